"""Attendee exports: safe cells, CSV for Excel on Chinese Windows, XLSX, filters."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert

from app import db
from registration import exports
from registration.models import Answer, Question, QuestionKind, Registration

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- pure functions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+8613912345678", "'+8613912345678"),
        ("-5", "'-5"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("王立", "王立"),
        ("a=b+c", "a=b+c"),
        ("", ""),
        (-5, -5),
        (3.5, 3.5),
        (None, None),
    ],
)
def test_neutralise_prefixes_text_that_a_spreadsheet_would_run(value, safe):
    assert exports.neutralise(value) == safe


def test_answers_read_as_text_in_the_ui_language():
    snapshot = {"options": {"veg": {"zh": "素餐", "en": "Vegetarian meals"}}}
    today = [{"key": "veg", "zh": "素食", "en": "Vegetarian"}, {"key": "it", "zh": "信息技术"}]

    assert exports.answer_text("single_choice", "veg", snapshot, today, "en") == "Vegetarian meals"
    assert exports.answer_text("multiple_choice", ["veg", "it"], {}, today, "zh_Hans_CN") == (
        "素食; 信息技术"
    )
    assert exports.answer_text("single_choice", "gone", {}, today, "en") == "gone"
    assert exports.answer_text("yes_no", False, {}, [], "zh", yes="是", no="否") == "否"
    assert exports.answer_text("number", 12, {}, [], "en") == 12
    assert exports.answer_text("text", None, {}, [], "en") == ""


def test_csv_chunks_start_with_one_bom_and_use_crlf():
    rows = [[f"王{n}", n] for n in range(5)]
    chunks = list(exports.csv_chunks(["姓名", "编号"], rows, chunk_rows=2))
    body = b"".join(chunks)
    assert len(chunks) == 3
    assert body.startswith(b"\xef\xbb\xbf") and body.count(b"\xef\xbb\xbf") == 1
    assert body.decode("utf-8-sig").split("\r\n")[:2] == ["姓名,编号", "王0,0"]


def test_xlsx_writer_makes_a_workbook_openpyxl_reads_back():
    target = io.BytesIO()
    when = datetime(2030, 9, 1, 9, 30)
    rows = [["王立", 42, when, "'=1+1", "a\x00b & <c>", ""], ["李娜", 3.5, None, "x" * 40000]]

    exports.write_xlsx(target, ["姓名", "编号", "时间", "公式", "控制", "空"], rows, "参会/人员")

    sheet = load_workbook(io.BytesIO(target.getvalue())).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert sheet.title == "参会 人员"
    assert values[0] == ["姓名", "编号", "时间", "公式", "控制", "空"]
    assert values[1] == ["王立", 42, when, "'=1+1", "ab & <c>", None]
    assert values[2][:3] == ["李娜", 3.5, None] and len(values[2][3]) == 32767
    assert sheet["A1"].font.b and sheet["D2"].data_type == "s"
    assert sheet.freeze_panes == "A2"


def test_export_filename_is_ascii():
    day = datetime(2026, 11, 27).date()
    assert exports.export_filename("rushang-2019", day, "xlsx") == (
        "rushang-2019-attendees-20261127.xlsx"
    )
    assert exports.export_filename("儒商", day, "csv") == "event-attendees-20261127.csv"


# --- downloads ---------------------------------------------------------------------


@pytest.fixture
def fair(app, make_user, make_event, make_registration, login_as, client):
    """An event with two people, a choice question, and its organiser signed in."""
    organiser = make_user(name="组织者甲")
    event = make_event(organiser=organiser, slug="rushang-2030")
    wang = make_registration(
        event,
        name="王立",
        name_en="Li WANG",
        mobile="+8613912345678",
        email="wang.li@example.com",
        created_at=datetime(2030, 9, 1, 1, 0, tzinfo=UTC),
    )
    li = make_registration(
        event,
        name="=HYPERLINK(1)",
        mobile="+8613800001111",
        status="pending",
        created_at=datetime(2030, 9, 2, 1, 0, tzinfo=UTC),
    )
    with app.app_context():
        question = Question(
            event_id=event.id,
            kind=QuestionKind.MULTIPLE_CHOICE,
            label_zh="关注产业",
            label_en="Sectors",
            options=[
                {"key": "it", "zh": "信息技术", "en": "IT"},
                {"key": "sea", "zh": "智慧海洋", "en": "Smart ocean"},
            ],
        )
        db.session.add(question)
        db.session.flush()
        db.session.add(
            Answer(registration_id=wang.id, question_id=question.id, value=["it", "sea"])
        )
        db.session.commit()
        question_id = question.id
    login_as(organiser)
    return SimpleNamespace(
        event=event,
        wang=wang,
        li=li,
        question=f"q{question_id}",
        url=f"/manage/{event.id}/attendees/export",
    )


def english(client, fair, **params):
    """A download with English headers (``lang=en`` switches the session)."""
    return client.get(fair.url, query_string={"lang": "en", **params})


def read_xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_xlsx_has_the_chosen_columns_in_the_chosen_order(client, fair):
    columns = f"mobile,name,{fair.question},created,status"
    response = english(client, fair, format="xlsx", columns=columns)

    rows = read_xlsx(response)

    assert response.mimetype == exports.XLSX_MIMETYPE
    assert rows[0] == ["Mobile", "Name", "Sectors", "Registered at", "Status"]
    assert rows[1:] == [
        ["'+8613800001111", "'=HYPERLINK(1)", None, datetime(2030, 9, 2, 9, 0), "Pending"],
        ["'+8613912345678", "王立", "IT; Smart ocean", datetime(2030, 9, 1, 9, 0), "Confirmed"],
    ]


def test_xlsx_headers_are_chinese_by_default(client, fair):
    response = client.get(fair.url, query_string={"format": "xlsx", "columns": "name,mobile"})
    assert read_xlsx(response)[0] == ["姓名", "手机"]


def test_checkbox_columns_keep_their_order_and_default_includes_the_questions(client, fair):
    chosen = client.get(f"{fair.url}?lang=en&format=xlsx&columns=email&columns=id&columns=name_en")
    default = client.get(fair.url, query_string={"format": "xlsx"})

    assert read_xlsx(chosen)[0] == ["Email", "ID", "English name"]
    assert read_xlsx(chosen)[2] == ["wang.li@example.com", fair.wang.id, "Li WANG"]
    assert len(read_xlsx(default)[0]) == len(exports.DEFAULT_COLUMNS) + 1


def test_csv_is_utf8_with_a_bom_for_excel_and_keeps_chinese(client, fair):
    response = english(client, fair, format="csv")

    assert response.data.startswith(b"\xef\xbb\xbf")
    assert response.mimetype == "text/csv"
    rows = read_csv(response)
    assert rows[0][:3] == ["Name", "Organisation", "Position"]
    assert rows[2][0] == "王立" and "鲁信科技有限公司" in rows[2]
    assert "'+8613912345678" in rows[2] and "'=HYPERLINK(1)" in rows[1]
    assert "2030-09-01 09:00" in rows[2]


def test_downloads_are_named_attachments_that_are_never_cached(client, fair):
    for fmt in exports.FORMATS:
        response = client.get(fair.url, query_string={"format": fmt})
        disposition = response.headers["Content-Disposition"]
        assert re.fullmatch(
            rf"attachment; filename=rushang-2030-attendees-\d{{8}}\.{fmt}", disposition
        )
        assert response.headers["Cache-Control"] == "no-store"


def test_exports_apply_the_lists_search_and_filters(client, fair):
    pending = english(client, fair, format="csv", status="pending", columns="id")
    searched = client.get(
        fair.url, query_string={"format": "xlsx", "q": "139 1234", "columns": "id"}
    )

    assert read_csv(pending)[1:] == [[str(fair.li.id)]]
    assert read_xlsx(searched)[1:] == [[fair.wang.id]]


def test_unknown_columns_are_refused(client, fair):
    response = english(client, fair, format="csv", columns="name,password")
    assert response.status_code == 400
    assert "Unknown columns: password" in response.get_data(as_text=True)


def test_export_page_offers_columns_and_passes_the_list_filters_on(client, fair):
    page = client.get(f"{fair.url}?lang=en&status=pending&q=HYPER").get_data(as_text=True)

    assert "1 registration matches the list" in page
    assert '<input type="hidden" name="status" value="pending">' in page
    assert '<input type="hidden" name="q" value="HYPER">' in page
    assert f'value="{fair.question}" id="column-{fair.question}" checked' in page
    assert 'value="id" id="column-id">' in page  # not a default column


def test_answers_stay_with_their_person_across_export_batches(app, client, fair):
    with app.app_context():
        question_id = int(fair.question[1:])
        category_id = db.session.get(Registration, fair.wang.id).category_id
        ids = db.session.execute(
            insert(Registration).returning(Registration.id),
            [
                {
                    "event_id": fair.event.id,
                    "category_id": category_id,
                    "name": f"批量{number:04d}",
                    "organisation": "",
                    "position": "",
                    "mobile": f"+86137{number:08d}",
                    "created_at": datetime(2030, 8, 1, tzinfo=UTC),
                    "updated_at": datetime(2030, 8, 1, tzinfo=UTC),
                }
                for number in range(1100)
            ],
        ).scalars()
        answers = [
            {"registration_id": rid, "question_id": question_id, "value": ["it"] if rid % 2 else []}
            for rid in ids
        ]
        db.session.execute(insert(Answer), answers)
        db.session.commit()

    response = english(client, fair, format="csv", columns=f"id,{fair.question}")

    answers = dict(read_csv(response)[1:])
    assert len(answers) == 1102
    assert answers.pop(str(fair.wang.id)) == "IT; Smart ocean"
    assert answers.pop(str(fair.li.id)) == ""
    assert all(answer == ("IT" if int(rid) % 2 else "") for rid, answer in answers.items())
