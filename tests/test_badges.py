"""Badge PDFs: vector, Chinese text with the shipped font, a QR that decodes, batches."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from app import db
from events.models import Category
from registration import badges, ticket_codes
from registration.models import Delegation, DelegationKind, DelegationStatus, Registration
from registration.models import RegistrationStatus as Status
from tests.conftest import csrf_token


def poppler():
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        from tests.conftest import skip_or_fail

        skip_or_fail("REQUIRE_POPPLER", "poppler-utils (pdftoppm, pdftotext) is not installed")


def print_badges(client, event, **choices):
    """What the organiser's Print button sends (a POST: it records the printing)."""
    page = f"/manage/{event.id}/badges"
    data = {
        "csrf_token": csrf_token(client, page),
        "layout": "a4",
        "category": "",
        "delegation": "",
    }
    data.update(choices)
    return client.post(f"/manage/{event.id}/badges.pdf", data=data)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    poppler()
    path = tmp_path / "badge.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def pdf_codes(pdf: bytes, tmp_path: Path, dpi: int = 150, last_page: int = 0) -> list[str]:
    """Rasterise the pages (up to ``last_page``) as a printer would; read every QR code."""
    poppler()
    path = tmp_path / "badges.pdf"
    path.write_bytes(pdf)
    only = ["-l", str(last_page)] if last_page else []
    pages = str(tmp_path / "page")
    subprocess.run(["pdftoppm", "-r", str(dpi), *only, "-png", str(path), pages], check=True)
    codes = []
    for page in sorted(tmp_path.glob("page*.png")):
        codes += [found.text for found in zxingcpp.read_barcodes(Image.open(page))]
    return codes


def badge(**changes) -> badges.BadgeData:
    values = {
        "name": "孔繁华",
        "name_en": "Fanhua KONG",
        "secret": ticket_codes.new_secret(),
        "event_title": "2030儒商大会",
        "event_dates": "2030年9月25日 – 2030年9月27日",
        "category": "嘉宾",
        "color": "#b8860b",
        "organisation": "曲阜文旅集团有限公司",
        "delegation": "济南市工商联代表团",
    }
    values.update(changes)
    return badges.BadgeData(**values)


@pytest.mark.parametrize("layout", badges.LAYOUTS)
def test_a_badge_has_its_chinese_text_and_a_code_that_scans(layout, tmp_path):
    one = badge()
    pdf = badges.render([one], layout)
    text = pdf_text(pdf, tmp_path)
    assert "孔繁华" in text and "曲阜文旅集团有限公司" in text and "嘉宾" in text
    assert pdf_codes(pdf, tmp_path) == [one.secret]


def test_the_font_is_embedded_as_a_subset_and_text_is_not_an_image():
    pdf = badges.render([badge()], "a6")
    assert b"/FontFile2" in pdf  # TrueType outlines inside the file
    assert b"/Subtype /Image" not in pdf and b"/Subtype/Image" not in pdf
    assert len(pdf) < 60_000  # a subset, not the 10 MB font


def test_an_a4_sheet_holds_four_badges_and_every_code_scans(tmp_path):
    five = [badge(name=name) for name in ("王芳", "李娜", "张伟", "刘洋", "陈静")]
    pdf = badges.render(five, "a4")
    assert sorted(pdf_codes(pdf, tmp_path, dpi=120)) == sorted(b.secret for b in five)
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 2 or b"/Count 2" in pdf


def test_long_names_rare_characters_and_empty_fields_still_render(tmp_path):
    long_name = "阿卜杜热合曼·买买提依明" * 3 + "新疆"
    odd = badge(name=long_name[:40], organisation="", name_en="", delegation="")
    rare = badge(name="𠮷野家䶮😀")
    pdf = badges.render([odd, rare], "a6")
    assert sorted(pdf_codes(pdf, tmp_path)) == sorted([odd.secret, rare.secret])
    assert "阿卜杜热合曼" in pdf_text(pdf, tmp_path)
    assert badges.missing_characters("𠮷野家䶮😀 Ann") == ["𠮷", "😀"]
    assert badges.missing_characters("孔繁华 Fanhua") == []


# --- the organiser's pages ------------------------------------------------------------------


@pytest.fixture
def setup(app, make_event, make_user):
    organiser = make_user("organiser@huiwu.example")
    staff = make_user("staff@huiwu.example")
    event = make_event(organiser=organiser, staff=staff, title_zh="2030儒商大会")
    with app.app_context():
        category = db.session.execute(db.select(Category).filter_by(event_id=event.id)).scalar()
        delegation = Delegation(
            event_id=event.id,
            name="济南市工商联代表团",
            kind=DelegationKind.CHAMBER,
            status=DelegationStatus.APPROVED,
            leader_name="李建国",
        )
        db.session.add(delegation)
        people = [
            ("孔繁华", Status.CONFIRMED, delegation),
            ("𠮷田花子", Status.CONFIRMED, None),
            ("王芳", Status.PENDING, None),
        ]
        for number, (name, status, group) in enumerate(people):
            db.session.add(
                Registration(
                    event_id=event.id,
                    category_id=category.id,
                    delegation=group,
                    status=status,
                    name=name,
                    mobile=f"+861390000000{number}",
                    organisation="曲阜文旅集团",
                )
            )
        db.session.commit()
        rows = db.session.execute(
            db.select(Registration.name, Registration.ticket_secret, Registration.id)
        ).all()
        secrets = {name: secret for name, secret, _id in rows}
        ids = {name: number for name, _secret, number in rows}
    return {"event": event, "organiser": organiser, "staff": staff, "secrets": secrets, "ids": ids}


def test_the_organiser_prints_confirmed_badges_and_sees_font_problems(
    app, client, login_as, setup, tmp_path
):
    event = setup["event"]
    login_as(setup["organiser"])
    page = client.get(f"/manage/{event.id}/badges").get_data(as_text=True)
    assert "已确认报名 2 人，证件有效；其中 0 人已打印" in page
    assert "𠮷田花子" in page and "𠮷" in page
    response = print_badges(client, event)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    codes = pdf_codes(response.data, tmp_path, dpi=120)
    assert sorted(codes) == sorted([setup["secrets"]["孔繁华"], setup["secrets"]["𠮷田花子"]])
    with app.app_context():
        printed = dict(
            db.session.execute(db.select(Registration.name, Registration.badge_printed_at)).all()
        )
        assert printed["孔繁华"] and printed["𠮷田花子"] and printed["王芳"] is None
    again = print_badges(client, event, unprinted="y")
    assert again.status_code == 404  # everything is printed already


def test_a_delegations_badges_and_a_single_one_at_the_door(app, client, login_as, setup, tmp_path):
    event = setup["event"]
    login_as(setup["organiser"])
    with app.app_context():
        delegation_id = db.session.execute(db.select(Delegation.id)).scalar()
    only = print_badges(client, event, layout="a6", delegation=str(delegation_id))
    assert pdf_codes(only.data, tmp_path) == [setup["secrets"]["孔繁华"]]


def test_staff_print_one_badge_at_the_door_but_no_batches(client, login_as, setup):
    event = setup["event"]
    login_as(setup["staff"])
    single = client.get(f"/manage/{event.id}/attendees/{setup['ids']['孔繁华']}/badge.pdf")
    assert single.status_code == 200 and single.mimetype == "application/pdf"
    pending = client.get(f"/manage/{event.id}/attendees/{setup['ids']['王芳']}/badge.pdf")
    assert pending.status_code == 409
    token = csrf_token(client, "/")
    assert (
        client.post(f"/manage/{event.id}/badges.pdf", data={"csrf_token": token}).status_code == 403
    )
    assert client.get(f"/manage/{event.id}/badges.pdf").status_code == 405


def test_another_events_badges_are_not_found(app, client, login_as, make_user, setup):
    login_as(make_user("other@huiwu.example"))
    event = setup["event"]
    token = csrf_token(client, "/")
    assert (
        client.post(f"/manage/{event.id}/badges.pdf", data={"csrf_token": token}).status_code == 404
    )
    assert (
        client.get(f"/manage/{event.id}/attendees/{setup['ids']['孔繁华']}/badge.pdf").status_code
        == 404
    )


def test_a_bad_layout_is_refused(client, login_as, setup):
    login_as(setup["organiser"])
    assert print_badges(client, setup["event"], layout="a3").status_code == 400
    forged = client.post(f"/manage/{setup['event'].id}/badges.pdf", data={"layout": "a4"})
    assert forged.status_code == 400  # no CSRF token


def test_rendering_reads_nothing_but_its_input():
    pdf = badges.render([badge()], "cr80")
    assert pdf.startswith(b"%PDF") and Image is not None and io is not None


def test_the_command_writes_a_category_s_badges_and_marks_them(app, runner, setup, tmp_path):
    out = tmp_path / "delegates.pdf"
    result = runner.invoke(
        args=["badges", "render", setup["event"].slug, "--out", str(out), "--category", "delegate"]
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 2 badges" in result.output
    codes = pdf_codes(out.read_bytes(), tmp_path, dpi=120)
    assert sorted(codes) == sorted([setup["secrets"]["孔繁华"], setup["secrets"]["𠮷田花子"]])
    again = runner.invoke(
        args=["badges", "render", setup["event"].slug, "--out", str(out), "--unprinted"]
    )
    assert again.exit_code != 0 and "nothing to print" in again.output
    wrong = runner.invoke(
        args=["badges", "render", setup["event"].slug, "--out", str(out), "--category", "vip"]
    )
    assert "no category 'vip'" in wrong.output and "delegate" in wrong.output
