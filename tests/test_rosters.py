"""Delegation rosters: reading uploads safely, formats, headers, values and row checks."""

from __future__ import annotations

import io
import random
import re
import zipfile

import pytest
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook

from registration import rosters
from registration.rosters import RosterRejected, RosterRow, check_rows, parse_roster
from tests.conftest import make_test_app

HEADER = ["姓名", "英文名", "参会类别", "单位", "职务", "手机", "邮箱"]
CATEGORIES = {"代表": 1, "Delegate": 1, "delegate": 1, "嘉宾": 2, "Guest": 2, "guest": 2}
INVALID_MOBILE = "This is not a valid mobile number."


def member(name="张三", mobile="13912345678", category="代表", **fields) -> list:
    """One row in the order of :data:`HEADER`."""
    return [
        name,
        fields.get("name_en", ""),
        category,
        fields.get("organisation", "济南某某有限公司"),
        fields.get("position", "总经理"),
        mobile,
        fields.get("email", ""),
    ]


def mobile_number(index: int) -> str:
    return f"1390000{index:04d}"


def members(count: int) -> list[list]:
    return [member(f"成员{index}", mobile_number(index)) for index in range(count)]


def csv_bytes(rows, encoding="utf-8", delimiter=",", bom=False) -> bytes:
    text = "\r\n".join(delimiter.join(str(value) for value in row) for row in rows) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def xlsx_bytes(rows, prepare=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if prepare:
        prepare(workbook, sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_cached_value(data: bytes, reference: str, value: str, kind: str) -> bytes:
    """What Excel would have saved: the formula of ``reference`` with its result."""
    source = zipfile.ZipFile(io.BytesIO(data))
    target_buffer = io.BytesIO()
    with zipfile.ZipFile(target_buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                pattern = rf'<c r="{reference}"><f>(.*?)</f><v />'.encode()
                cached = rf'<c r="{reference}" t="{kind}"><f>\1</f><v>{value}</v>'.encode()
                content, replaced = re.subn(pattern, cached, content)
                assert replaced == 1
            target.writestr(item, content)
    return target_buffer.getvalue()


def rejection(data: bytes) -> RosterRejected:
    with pytest.raises(RosterRejected) as caught:
        parse_roster(data)
    return caught.value


def problem_list(problems) -> list[tuple]:
    return [(problem.row, problem.column, str(problem.message)) for problem in problems]


class EndlessStream:
    """A 50 MB upload that counts how much of it was read."""

    def __init__(self, size=50 * rosters.MEGABYTE):
        self.left = size
        self.read_bytes = 0

    def read(self, size=-1):
        size = self.left if size is None or size < 0 else min(size, self.left)
        self.left -= size
        self.read_bytes += size
        return b"x" * size


# --- reading the upload ------------------------------------------------------------


def test_a_huge_upload_is_refused_just_past_the_limit_without_reading_it_whole():
    stream = EndlessStream()

    with pytest.raises(RosterRejected) as caught:
        rosters.read_upload(stream)

    assert stream.read_bytes == rosters.MAX_BYTES + 1
    assert str(caught.value.message) == "The file is too large: the limit is 5 MB."
    assert str(rosters.TOO_LARGE) == str(caught.value.message)
    assert caught.value.problems[0].row is None


def test_an_upload_at_the_limit_is_read_whole():
    data = rosters.read_upload(EndlessStream(size=1000), limit=1000)

    assert data == b"x" * 1000


def test_an_empty_upload_is_refused():
    with pytest.raises(RosterRejected) as caught:
        rosters.read_upload(io.BytesIO(b""))

    assert str(caught.value.message) == "The file is empty."
    assert str(rejection(b"").message) == "The file is empty."


# --- CSV encodings and delimiters --------------------------------------------------


def test_utf8_csv_gives_rows_numbered_as_in_excel():
    rows = parse_roster(csv_bytes([HEADER, member(), member("李四", "13912345679")]))

    assert [row.row for row in rows] == [2, 3]
    assert rows[0].values == {
        "name": "张三",
        "name_en": "",
        "category": "代表",
        "organisation": "济南某某有限公司",
        "position": "总经理",
        "mobile": "13912345678",
        "email": "",
    }


def test_utf8_csv_with_a_byte_order_mark_keeps_the_first_heading():
    rows = parse_roster(csv_bytes([HEADER, member()], bom=True))

    assert rows[0].values["name"] == "张三"


def test_gb18030_csv_with_full_width_digits_and_stray_spaces_is_cleaned():
    row = member(
        "张　三 ",  # ideographic space inside, a stray one after
        "１３９ １２３４　５６７８",
        " 代表",
        name_en="Zhang\u00a0 San",
        organisation="  济南　 某某有限公司 ",
        email="ＺＨＡＮＧ＠ｅｘａｍｐｌｅ．ｃｏｍ",
    )
    rows = parse_roster(csv_bytes([HEADER, row], encoding="gb18030"))
    people, problems = check_rows(rows, CATEGORIES)

    assert rows[0].values["name"] == "张三"
    assert rows[0].values["name_en"] == "Zhang San"
    assert rows[0].values["organisation"] == "济南 某某有限公司"
    assert rows[0].values["mobile"] == "139 1234 5678"
    assert problems == []
    assert people[0]["mobile"] == "+8613912345678"
    assert people[0]["email"] == "zhang@example.com"


def test_gbk_csv_as_excel_saves_it_on_chinese_windows():
    rows = parse_roster(csv_bytes([HEADER, member("欧阳娜娜", organisation="鲁商集团")], "gbk"))

    assert rows[0].values["name"] == "欧阳娜娜"
    assert rows[0].values["organisation"] == "鲁商集团"


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_tab_and_semicolon_separated_files(delimiter):
    rows = parse_roster(csv_bytes([HEADER, member(organisation="A, B & Co")], delimiter=delimiter))

    assert rows[0].values["mobile"] == "13912345678"
    assert rows[0].values["organisation"] == "A, B & Co"


def test_unicode_text_from_excel_is_utf16_and_tab_separated():
    text = "\r\n".join("\t".join(row) for row in [HEADER, member()]) + "\r\n"
    rows = parse_roster(text.encode("utf-16"))

    assert rows[0].values["name"] == "张三"


def test_latin_names_keep_their_spaces_and_chinese_names_lose_them():
    rows = parse_roster(
        csv_bytes(
            [HEADER, member("Maria  de la Cruz"), member("阿依古丽 · 买买提", mobile_number(1))]
        )
    )

    assert [row.values["name"] for row in rows] == ["Maria de la Cruz", "阿依古丽·买买提"]


# --- refusals of the whole file ----------------------------------------------------


def test_a_header_without_members_is_refused():
    assert str(rejection(csv_bytes([HEADER])).message) == "The roster has no members."


def test_blank_rows_are_skipped_and_do_not_count():
    rows = parse_roster(
        csv_bytes([HEADER, member(), [""] * 7, [], member("李四", mobile_number(1))])
    )

    assert [row.row for row in rows] == [2, 5]


def test_the_member_limit_holds_and_is_named():
    assert len(parse_roster(csv_bytes([HEADER, *members(rosters.MAX_ROWS)]))) == rosters.MAX_ROWS

    refused = rejection(csv_bytes([HEADER, *members(rosters.MAX_ROWS + 1)]))

    assert str(refused.message) == "A roster can hold at most 5000 members."


def test_a_sheet_of_endless_empty_rows_is_refused_before_reading_them_all():
    blank = ",,,,,,\r\n" * (rosters.MAX_SHEET_ROWS + 1)
    data = csv_bytes([HEADER, member()]) + blank.encode() + csv_bytes([member("李四")])

    assert "more than 100000 rows" in str(rejection(data).message)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8,
        random.Random(7).randbytes(4096),
        random.Random(8).randbytes(4096).replace(b"\x00", b"\x01"),
        b"PK\x03\x04 a zip that is not a workbook",
    ],
    ids=["png", "random", "random-without-nul", "broken-zip"],
)
def test_binary_files_are_not_rosters(data):
    assert str(rejection(data).message) == str(rosters.NOT_A_ROSTER)


def test_a_zip_without_a_workbook_is_not_a_roster():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "姓名,手机")

    assert str(rejection(buffer.getvalue()).message) == str(rosters.NOT_A_ROSTER)


def test_old_excel_files_are_refused_with_advice():
    message = str(rejection(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)).message)

    assert "save it as .xlsx" in message
    assert "CSV" in message


def test_a_file_without_a_name_column_is_not_a_roster():
    refused = rejection(csv_bytes([["序号", "单位", "手机"], ["1", "某公司", "13912345678"]]))

    assert "no column named 姓名 / Name" in str(refused.message)
    assert "template" in str(refused.message)


def test_a_missing_mobile_column_is_a_problem_of_the_file_naming_the_column():
    refused = rejection(csv_bytes([["姓名", "单位"], ["张三", "某公司"]]))

    assert problem_list(refused.problems) == [
        (None, "mobile", "The roster has no column for mobile numbers (手机 Mobile).")
    ]


def test_a_name_column_alone_is_read_as_a_roster_without_mobiles():
    refused = rejection(csv_bytes([["姓名"], ["张三"]]))

    assert refused.problems[0].column == "mobile"


# --- headers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headings", "keys"),
    [
        (["*姓名", "手机号码（必填）", "E-mail"], ["name", "mobile", "email"]),
        (
            ["Name", "Name (English)", "Mobile Phone", "Organization"],
            ["name", "name_en", "mobile", "organisation"],
        ),
        (
            ["姓名 Name", "英文名 English name", "手机 Mobile", "参会类别 Category"],
            ["name", "name_en", "mobile", "category"],
        ),
        (
            ["名字", "拼音", "联系电话", "身份", "企业名称", "职位"],
            ["name", "name_en", "mobile", "category", "organisation", "position"],
        ),
        (["姓名", "职务/职称", "手机/微信"], ["name", "position", "mobile"]),
        (
            ["Chinese name", "Romanised name", "phone", "Job title", "Company", "电子邮箱"],
            ["name", "name_en", "mobile", "position", "organisation", "email"],
        ),
    ],
)
def test_headings_are_recognised_in_their_many_spellings(headings, keys):
    values = [f"v{index}" for index in range(len(headings))]

    (row,) = parse_roster(csv_bytes([headings, values]))

    assert {key: row.values[key] for key in keys} == dict(zip(keys, values, strict=True))


def test_title_and_notes_above_the_header_are_skipped_and_unknown_columns_ignored():
    data = csv_bytes(
        [
            ["济南市工商联代表团名单"],
            ["请于9月1日前提交，手机号必填"],
            ["序号", *HEADER, "备注"],
            ["1", *member(), "素食"],
        ]
    )
    rows = parse_roster(data)

    assert [row.row for row in rows] == [4]
    assert rows[0].values["name"] == "张三"
    assert set(rows[0].values) == set(rosters.COLUMNS)


def test_the_mobile_heading_wins_over_a_landline_heading():
    rows = parse_roster(
        csv_bytes([["姓名", "电话", "手机"], ["张三", "0531-88888888", "13912345678"]])
    )

    assert rows[0].values["mobile"] == "13912345678"


# --- XLSX --------------------------------------------------------------------------


def test_xlsx_with_mobiles_typed_as_numbers():
    rows = parse_roster(
        xlsx_bytes([HEADER, member(mobile=13912345678), member("李四", 1.3912345679e10)])
    )

    assert [row.values["mobile"] for row in rows] == ["13912345678", "13912345679"]


def test_xlsx_merged_title_row_above_the_header_is_skipped():
    def merge_title(workbook, sheet):
        sheet.merge_cells("A1:G1")

    rows = parse_roster(xlsx_bytes([["济南市工商联代表团名单"], HEADER, member()], merge_title))

    assert [(row.row, row.values["name"]) for row in rows] == [(3, "张三")]


def test_xlsx_heading_merged_across_two_columns():
    def merge_name(workbook, sheet):
        sheet.merge_cells("A1:B1")

    rows = parse_roster(
        xlsx_bytes([["姓名", None, "手机"], ["张三", "备注", "13912345678"]], merge_name)
    )

    assert rows[0].values["name"] == "张三"
    assert rows[0].values["mobile"] == "13912345678"


def test_xlsx_two_row_header_with_merged_cells():
    def merge_headings(workbook, sheet):
        for cells in ("A1:A2", "B1:C1", "D1:D2"):
            sheet.merge_cells(cells)

    data = xlsx_bytes(
        [
            ["姓名", "联系方式", None, "单位"],
            [None, "手机", "邮箱", None],
            ["张三", "13912345678", "z@example.com", "某公司"],
        ],
        merge_headings,
    )
    rows = parse_roster(data)

    assert [row.row for row in rows] == [3]
    assert rows[0].values["mobile"] == "13912345678"
    assert rows[0].values["email"] == "z@example.com"
    assert rows[0].values["organisation"] == "某公司"


def test_xlsx_two_row_header_with_the_name_on_the_second_row():
    def merge_headings(workbook, sheet):
        for cells in ("A2:A3", "B2:C2", "D2:D3", "E2:E3"):
            sheet.merge_cells(cells)

    data = xlsx_bytes(
        [
            ["济南市工商联代表团名单"],
            ["序号", "基本信息", None, "单位", "手机"],
            [None, "姓名", "性别", None, None],
            [1, "张三", "男", "某公司", 13912345678],
        ],
        merge_headings,
    )
    rows = parse_roster(data)

    assert [row.row for row in rows] == [4]
    assert rows[0].values["organisation"] == "某公司"
    assert rows[0].values["mobile"] == "13912345678"


def test_xlsx_merged_data_cells_beyond_the_first_are_empty():
    def merge_organisation(workbook, sheet):
        sheet.merge_cells("D2:D3")

    data = xlsx_bytes([HEADER, member(), member("李四", mobile_number(1))], merge_organisation)
    rows = parse_roster(data)

    assert [row.values["organisation"] for row in rows] == ["济南某某有限公司", ""]


def test_xlsx_reads_the_first_sheet_that_has_a_header():
    def add_roster_sheet(workbook, sheet):
        sheet.title = "说明"
        roster = workbook.create_sheet("名单")
        roster.append(HEADER)
        roster.append(member())

    rows = parse_roster(xlsx_bytes([["请填写第二张表"]], add_roster_sheet))

    assert rows[0].values["name"] == "张三"


def test_xlsx_formula_without_a_cached_value_is_a_problem_of_its_cell():
    rows = [HEADER, *members(5)]
    rows[3][5] = "=F2"  # row 4, the mobile column

    refused = rejection(xlsx_bytes(rows))

    assert problem_list(refused.problems) == [
        (4, "mobile", "This cell holds a formula without a value. Paste it as values instead.")
    ]


def test_xlsx_formula_with_a_cached_value_uses_the_value():
    rows = [HEADER, member(), member("=A2", mobile_number(1))]
    data = with_cached_value(xlsx_bytes(rows), "A3", "李四", "str")

    assert [row.values["name"] for row in parse_roster(data)] == ["张三", "李四"]


def test_xlsx_formula_showing_an_error_is_a_problem():
    data = with_cached_value(xlsx_bytes([HEADER, member("=VLOOKUP(1,X1:X2,2)")]), "A2", "#N/A", "e")

    refused = rejection(data)

    assert [(problem.row, problem.column) for problem in refused.problems] == [(2, "name")]
    assert "#N/A" in str(refused.problems[0].message)


def test_xlsx_with_too_many_members_is_refused():
    refused = rejection(xlsx_bytes([HEADER, *members(rosters.MAX_ROWS + 1)]))

    assert "5000" in str(refused.message)


# --- checks of each row ------------------------------------------------------------


def rows_of(*values_rows) -> list[RosterRow]:
    return parse_roster(csv_bytes([HEADER, *values_rows]))


def test_good_rows_become_people():
    rows = rows_of(
        member(name_en="Zhang San", email="Zhang@Example.COM"),
        member("李四", "+852 9123 4567", "guest"),
    )

    people, problems = check_rows(rows, CATEGORIES)

    assert problems == []
    assert people == [
        {
            "row": 2,
            "name": "张三",
            "name_en": "Zhang San",
            "organisation": "济南某某有限公司",
            "position": "总经理",
            "mobile": "+8613912345678",
            "email": "zhang@example.com",
            "category_id": 1,
        },
        {
            "row": 3,
            "name": "李四",
            "name_en": None,
            "organisation": "济南某某有限公司",
            "position": "总经理",
            "mobile": "+85291234567",
            "email": None,
            "category_id": 2,
        },
    ]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (member(name=""), "name", "The name is missing."),
        (member(name="张" * 101), "name", "This is too long: at most 100 characters."),
        (member(mobile="12345"), "mobile", INVALID_MOBILE),
        (member(mobile=""), "mobile", "The mobile number is missing."),
        (member(email="zhang@example"), "email", "This is not a valid email address."),
        (member(email="zhang @example.com"), "email", "This is not a valid email address."),
        (member(email="a@b@example.com"), "email", "This is not a valid email address."),
        (member(category=""), "category", "The category is missing."),
        (
            member(organisation="公" * 201),
            "organisation",
            "This is too long: at most 200 characters.",
        ),
        (
            member(category="VIP"),
            "category",
            "Unknown category “VIP”: choose one of 代表 / Delegate / 嘉宾 / Guest.",
        ),
        (
            member(mobile="1.39123E+10"),
            "mobile",
            "Excel has shortened this number to 1.39123E+10 and lost digits. "
            "Format the column as text and type the numbers again.",
        ),
    ],
)
def test_a_bad_row_among_good_ones_reports_exactly_that_row(row, column, message):
    values_rows = members(30)
    values_rows.insert(17, row)  # spreadsheet row 19: header, then 17 good rows

    people, problems = check_rows(rows_of(*values_rows), CATEGORIES)

    assert problem_list(problems) == [(19, column, message)]
    assert len(people) == 30
    assert 19 not in {person["row"] for person in people}


def test_every_problem_of_every_row_is_collected():
    rows = rows_of(member(name="", mobile="1", email="bad", category="VIP"), member(), member(""))

    _, problems = check_rows(rows, CATEGORIES)

    assert [(problem.row, problem.column) for problem in problems] == [
        (2, "name"),
        (2, "mobile"),
        (2, "email"),
        (2, "category"),
        (4, "name"),
        (4, "mobile"),
    ]


def test_a_duplicate_mobile_is_reported_on_the_later_row_naming_the_first():
    rows = rows_of(
        member(mobile="139 1234 5678"),
        member("李四", mobile_number(1)),
        member("王五", "+86 13912345678"),
    )

    people, problems = check_rows(rows, CATEGORIES)

    assert problem_list(problems) == [(4, "mobile", "This mobile number is also on row 2.")]
    assert [person["row"] for person in people] == [2, 3]


def test_categories_match_without_case_width_or_spaces():
    rows = rows_of(member(category="ＤＥＬＥＧＡＴＥ"), member("李四", mobile_number(1), " 嘉 宾"))

    people, problems = check_rows(rows, CATEGORIES)

    assert problems == []
    assert [person["category_id"] for person in people] == [1, 2]


def test_an_empty_category_takes_the_default():
    rows = rows_of(member(category=""), member("李四", mobile_number(1), "嘉宾"))

    people, problems = check_rows(rows, CATEGORIES, default_category=7)

    assert problems == []
    assert [person["category_id"] for person in people] == [7, 2]


def test_a_roster_without_a_category_column_needs_a_default():
    rows = parse_roster(
        csv_bytes([["姓名", "手机"], ["张三", "13912345678"], ["李四", mobile_number(1)]])
    )

    people, problems = check_rows(rows, CATEGORIES, default_category=3)
    assert problems == []
    assert [person["category_id"] for person in people] == [3, 3]

    people, problems = check_rows(rows, CATEGORIES)
    assert people == []
    assert [(problem.row, problem.column) for problem in problems] == [(None, "category")]
    assert "参会类别 Category" in str(problems[0].message)


def test_mobiles_kept_as_text_by_excel_tricks_are_read():
    rows = rows_of(
        member(mobile="'+8613912345678"),
        member("李四", '="13912345679"'),
        member("王五", "1.3912345670E+10"),
        member("赵六", "13912345671.0"),  # what pandas writes
    )

    people, problems = check_rows(rows, CATEGORIES)

    assert problems == []
    assert [person["mobile"] for person in people] == [
        "+8613912345678",
        "+8613912345679",
        "+8613912345670",
        "+8613912345671",
    ]


def test_column_labels_follow_the_language_of_the_page(tmp_path):
    problem = rosters.RosterProblem(2, "mobile", "x")
    app = make_test_app("sqlite://", tmp_path)

    with app.app_context():
        with force_locale("zh_Hans_CN"):
            assert problem.column_label == "手机"
            assert rosters.RosterProblem(3, "category", "x").column_label == "参会类别"
        with force_locale("en"):
            assert problem.column_label == "Mobile"
    assert rosters.RosterProblem(None, None, "x").column_label is None


# --- the template ------------------------------------------------------------------


def test_the_template_has_headings_a_category_list_and_a_text_mobile_column():
    workbook = load_workbook(io.BytesIO(rosters.template_xlsx(["代表", "嘉宾"], "en")))
    roster, notes = workbook.worksheets

    assert workbook.sheetnames == ["名单 Roster", "说明 Instructions"]
    assert [cell.value for cell in roster[1]] == [
        "姓名 Name",
        "英文名 English name",
        "参会类别 Category",
        "单位 Organisation",
        "职务 Position",
        "手机 Mobile",
        "邮箱 Email",
    ]
    assert all(cell.font.b for cell in roster[1])
    assert roster.freeze_panes == "A2"
    assert roster.column_dimensions["F"].number_format == "@"
    (validation,) = roster.data_validations.dataValidation
    assert str(validation.sqref) == "C2:C5001"
    choice_range = validation.formula1.split("!")[1].replace("$", "")
    assert [cell.value for (cell,) in notes[choice_range]] == ["代表", "嘉宾"]
    assert "5000" in " ".join(str(cell.value) for cell in notes["A"])


def test_a_filled_in_template_parses_back():
    workbook = load_workbook(io.BytesIO(rosters.template_xlsx(["代表", "=嘉宾"], "zh_Hans_CN")))
    workbook.active.append(member(name_en="Zhang San", email="z@example.com"))
    workbook.active.append(member("李四", mobile_number(1), "嘉宾"))
    buffer = io.BytesIO()
    workbook.save(buffer)

    rows = parse_roster(buffer.getvalue())
    people, problems = check_rows(rows, CATEGORIES)

    assert problems == []
    assert [(person["row"], person["name"], person["category_id"]) for person in people] == [
        (2, "张三", 1),
        (3, "李四", 2),
    ]
    assert workbook.worksheets[1]["A12"].value == "=嘉宾"  # a label, not a formula


def test_an_empty_template_has_no_members():
    refused = rejection(rosters.template_xlsx([], "en"))

    assert str(refused.message) == "The roster has no members."
