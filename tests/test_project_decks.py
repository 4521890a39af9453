"""Pitch decks: checked by content, capped at 20 MB with a friendly answer, stored
atomically, replaced without orphans, and downloaded only by whom it concerns."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from pypdf import PdfWriter
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from events.roadshow import decks, projects
from events.roadshow.models import ProjectStatus
from registration.models import DelegationKind
from tests.conftest import csrf_token
from tests.test_roadshow_projects import (
    add_project,
    all_projects,
    make_delegation,
    manage_token,
    open_submissions,
    project_data,
)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def pdf_bytes(pages: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def deck_folder(app) -> Path:
    with app.app_context():
        return decks.folder()


def files_in(app) -> set[str]:
    return {path.name for path in deck_folder(app).iterdir()}


def upload(client, url, content: bytes, filename: str, **changes):
    data = project_data(**changes)
    data["csrf_token"] = csrf_token(client, "/")
    fields = MultiDict(data)
    fields.add("deck", FileStorage(io.BytesIO(content), filename, content_type="application/pdf"))
    # Encoded in memory: the test client would spool a large body to a temporary
    # file that nobody closes when the app refuses the body unread.
    boundary, body = encode_multipart(fields)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.fixture
def organiser(make_user):
    return make_user("organiser@huiwu.example")


@pytest.fixture
def event(make_event, organiser):
    return make_event(organiser=organiser)


@pytest.fixture
def leader(app, event, make_registration):
    delegation_id, token = make_delegation(app, event)
    open_submissions(app, event)
    return delegation_id, token


def test_a_real_pdf_is_kept_under_a_random_name_with_its_particulars(app, client, leader):
    _, token = leader
    content = pdf_bytes(3)
    before = files_in(app)
    response = upload(client, f"/d/{token}/projects/new", content, "../../路演 材料\x07.PDF")
    assert response.status_code == 302

    [project] = all_projects(app)
    assert len(project.deck_key) == 32 and int(project.deck_key, 16) >= 0
    assert files_in(app) - before == {f"{project.deck_key}.pdf"}
    stored = deck_folder(app) / f"{project.deck_key}.pdf"
    assert stored.read_bytes() == content
    assert project.deck_filename == "路演 材料.pdf"
    assert (project.deck_size, project.deck_pages) == (len(content), 3)
    assert project.deck_sha256 == hashlib.sha256(content).hexdigest()
    assert not any(name.endswith(".part") for name in files_in(app))


@pytest.mark.parametrize(
    "content, filename, message",
    [
        (b"%PDF-1.7\n this is not really a PDF at all", "deck.pdf", "cannot be read"),
        (PNG, "deck.pdf", "not a PDF"),
        (b"", "deck.pdf", "The file is empty."),
    ],
)
def test_a_file_that_is_no_pdf_is_refused_whatever_its_name(
    app, client, leader, content, filename, message
):
    _, token = leader
    before = files_in(app)
    response = upload(client, f"/d/{token}/projects/new?lang=en", content, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert all_projects(app) == []
    assert files_in(app) == before


def test_an_empty_file_field_keeps_the_form_without_a_deck(app, client, leader):
    _, token = leader
    response = upload(client, f"/d/{token}/projects/new", b"", "")
    assert response.status_code == 302
    assert all_projects(app)[0].deck_key is None


def test_a_deck_over_20_mb_gets_the_form_back_and_writes_nothing(app, client, leader):
    _, token = leader
    before = files_in(app)
    big = pdf_bytes(1) + b"%" * decks.UPLOAD_BODY_LIMIT  # refused before it is read
    response = upload(client, f"/d/{token}/projects/new?lang=en", big, "big.pdf")
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "a pitch deck may be at most 20 MB" in text
    assert 'name="title_zh"' in text  # the form, not a bare error page
    assert all_projects(app) == []
    assert files_in(app) == before


def test_a_deck_just_over_20_mb_within_the_body_cap_is_refused_on_the_form(app, client, leader):
    _, token = leader
    before = files_in(app)
    content = pdf_bytes(1)
    content += b"%" * (decks.MAX_BYTES + 1 - len(content))
    response = upload(client, f"/d/{token}/projects/new?lang=en", content, "big.pdf")
    assert response.status_code == 400
    assert "a pitch deck may be at most 20 MB" in response.get_data(as_text=True)
    assert files_in(app) == before and all_projects(app) == []


def test_a_deck_over_20_mb_on_the_edit_page_keeps_the_project(app, client, event, leader):
    delegation_id, token = leader
    project_id = add_project(app, event, delegation_id=delegation_id)
    big = b"%PDF-" + b"0" * decks.UPLOAD_BODY_LIMIT
    response = upload(client, f"/d/{token}/projects/{project_id}?lang=en", big, "big.pdf")
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "at most 20 MB" in text and "烟台葡萄酒产业园" in text


def test_replacing_a_deck_removes_the_old_file_after_saving(app, client, event, leader):
    delegation_id, token = leader
    upload(client, f"/d/{token}/projects/new", pdf_bytes(1), "v1.pdf")
    [first] = all_projects(app)
    old = deck_folder(app) / f"{first.deck_key}.pdf"
    assert old.exists()

    response = upload(client, f"/d/{token}/projects/{first.id}", pdf_bytes(4), "v2.pdf")

    assert response.status_code == 302
    [second] = all_projects(app)
    assert second.deck_key != first.deck_key and second.deck_pages == 4
    assert second.deck_filename == "v2.pdf"
    assert not old.exists()
    assert (deck_folder(app) / f"{second.deck_key}.pdf").exists()


def test_a_failed_save_leaves_no_orphan_deck(app, client, event, leader, monkeypatch):
    delegation_id, token = leader
    upload(client, f"/d/{token}/projects/new", pdf_bytes(1), "v1.pdf")
    [first] = all_projects(app)
    before = files_in(app)

    def refuse(*args, **kwargs):
        raise projects.ProjectError("refused for the test")

    monkeypatch.setattr(projects, "update", refuse)
    response = upload(client, f"/d/{token}/projects/{first.id}", pdf_bytes(2), "v2.pdf")

    assert response.status_code == 200
    assert files_in(app) == before  # the new file is gone, the old one kept
    assert all_projects(app)[0].deck_key == first.deck_key


def test_saving_without_a_new_file_keeps_the_deck(app, client, leader):
    _, token = leader
    upload(client, f"/d/{token}/projects/new", pdf_bytes(1), "v1.pdf")
    [first] = all_projects(app)
    data = project_data(title_zh="新标题")
    data["csrf_token"] = csrf_token(client, "/")
    assert client.post(f"/d/{token}/projects/{first.id}", data=data).status_code == 302
    [project] = all_projects(app)
    assert project.deck_key == first.deck_key and project.title_zh == "新标题"
    assert (deck_folder(app) / f"{first.deck_key}.pdf").exists()


def assert_pdf_download(response, content: bytes, filename_part: str):
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and filename_part in disposition
    assert response.get_data() == content
    response.close()


def test_decks_download_for_the_submitter_and_the_organisers_only(
    app, client, event, leader, login_as, organiser, make_user, make_event, make_registration
):
    delegation_id, token = leader
    content = pdf_bytes(2)
    upload(client, f"/d/{token}/projects/new", content, "deck.pdf")
    [project] = all_projects(app)
    _, other_token = make_delegation(app, event, name="济南商会")
    stranger = manage_token(app, make_registration(event))

    assert_pdf_download(
        client.get(f"/d/{token}/projects/{project.id}/deck.pdf"), content, "deck.pdf"
    )
    assert client.get(f"/d/{other_token}/projects/{project.id}/deck.pdf").status_code == 404
    assert client.get(f"/r/{stranger}/projects/{project.id}/deck.pdf").status_code == 404
    organiser_url = f"/manage/{event.id}/projects/{project.id}/deck.pdf"
    assert client.get(organiser_url).status_code == 302  # to the sign-in page

    staff = make_user("staff@huiwu.example")
    other_event = make_event(organiser=organiser, staff=staff)
    assert client.get(f"/manage/{other_event.id}/projects/{project.id}/deck.pdf").status_code in (
        302,
        404,
    )
    login_as(organiser)
    assert_pdf_download(client.get(organiser_url), content, "deck.pdf")
    assert client.get(f"/manage/{other_event.id}/projects/{project.id}/deck.pdf").status_code == 404
    detail = client.get(f"/manage/{event.id}/projects/{project.id}").get_data(as_text=True)
    assert 'data-testid="deck-link"' in detail


def test_a_staff_member_cannot_download_decks(
    app, client, make_event, make_user, organiser, login_as
):
    staff = make_user("staff@huiwu.example")
    event = make_event(organiser=organiser, staff=staff)
    delegation_id, token = make_delegation(app, event)
    open_submissions(app, event)
    upload(client, f"/d/{token}/projects/new", pdf_bytes(1), "deck.pdf")
    [project] = all_projects(app)
    login_as(staff)
    assert client.get(f"/manage/{event.id}/projects/{project.id}/deck.pdf").status_code == 403


def test_an_enterprise_uploads_and_downloads_its_deck(app, client, event, make_registration):
    delegation_id, _ = make_delegation(app, event, name="淄博市", kind=DelegationKind.CITY)
    person = make_registration(event, delegation_id=delegation_id)
    token = manage_token(app, person)
    open_submissions(app, event)
    content = pdf_bytes(1)
    assert upload(client, f"/r/{token}/projects/new", content, "企业介绍.pdf").status_code == 302
    [project] = all_projects(app)
    response = client.get(f"/r/{token}/projects/{project.id}/deck.pdf")
    assert_pdf_download(response, content, "filename*=UTF-8''")


def test_a_project_without_a_deck_has_nothing_to_download(app, client, event, leader):
    delegation_id, token = leader
    project_id = add_project(app, event, delegation_id=delegation_id)
    assert client.get(f"/d/{token}/projects/{project_id}/deck.pdf").status_code == 404


def test_a_deck_whose_file_went_missing_is_not_found(app, client, event, leader):
    delegation_id, token = leader
    project_id = add_project(
        app,
        event,
        delegation_id=delegation_id,
        deck_key="0" * 32,
        deck_filename="gone.pdf",
        status=ProjectStatus.SUBMITTED,
    )
    assert client.get(f"/d/{token}/projects/{project_id}/deck.pdf").status_code == 404


@pytest.mark.parametrize(
    "name, expected",
    [
        ("deck.pdf", "deck.pdf"),
        ("C:\\Users\\王\\路演.pdf", "路演.pdf"),
        ('a"b<c>.pdf', "abc.pdf"),
        ("no extension", "no extension.pdf"),
        ("", "deck.pdf"),
        ("...", "deck.pdf"),
        ("line\r\nbreak.pdf", "linebreak.pdf"),
    ],
)
def test_display_names_are_cleaned(name, expected):
    assert decks.display_name(name) == expected


def test_deck_keys_never_reach_the_file_system_unchecked(app):
    with app.app_context(), pytest.raises(ValueError):
        decks.path_for("../../etc/passwd")
