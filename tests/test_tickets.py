"""Ticket secrets, their QR codes, reissuing a badge, and the e-badge page."""

from __future__ import annotations

import email
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import zxingcpp
from PIL import Image

from app import db
from events.models import AuditEntry
from registration import mail, ticket_codes, tickets
from registration.models import Registration, RevokedTicket
from registration.models import RegistrationStatus as Status
from tests.conftest import csrf_token

NOW = datetime.now(UTC)
LINK = re.compile(r"http://localhost(/r/[A-Za-z0-9_-]{43})")


def decoded(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_secrets_are_160_random_bits_in_uppercase_base32():
    drawn = {ticket_codes.new_secret() for _ in range(2000)}
    assert len(drawn) == 2000
    assert all(re.fullmatch(r"[A-Z2-7]{32}", secret) for secret in drawn)
    assert all(ticket_codes.looks_like_secret(secret) for secret in drawn)
    assert not ticket_codes.looks_like_secret("abcdefghijklmnopqrstuvwxyz234567")


def test_the_qr_of_a_secret_is_version_2_at_level_m_in_alphanumeric_mode():
    secret = ticket_codes.new_secret()
    matrix = ticket_codes.qr_matrix(secret)
    assert len(matrix) == 25 and {len(row) for row in matrix} == {25}  # version 2
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(ticket_codes.qr_png(secret))))
    assert (found.text, found.ec_level) == (secret, "M")
    # Version 2 at level M holds 26 bytes: 32 characters fit only in alphanumeric mode.
    assert len(secret.encode()) > 26
    with pytest.raises(ValueError):
        ticket_codes.qr_matrix("not-a-secret")


def test_every_registration_gets_its_own_secret(app, make_event, make_registration):
    event = make_event()
    first = make_registration(event, mobile="+8613900000001")
    second = make_registration(event, mobile="+8613900000002")
    assert ticket_codes.looks_like_secret(first.ticket_secret)
    assert first.ticket_secret != second.ticket_secret


def test_a_reissued_badge_revokes_the_old_secret(app, make_event, make_registration, make_user):
    event = make_event()
    registration = make_registration(event)
    organiser = make_user()
    with app.app_context():
        stored = db.session.get(Registration, registration.id)
        old = stored.ticket_secret
        new = tickets.reissue(stored, db.session.merge(organiser), "badge lost")
        db.session.commit()
        assert new != old and ticket_codes.looks_like_secret(new)
        revoked = db.session.get(RevokedTicket, old)
        assert (revoked.registration_id, revoked.reason) == (registration.id, "badge lost")
        assert tickets.lookup(old) == (stored, True)
        assert tickets.lookup(new.lower()) == (stored, False)
        assert tickets.lookup(ticket_codes.new_secret()) == (None, False)
        assert tickets.lookup("nonsense") == (None, False)
        (entry,) = db.session.execute(db.select(AuditEntry)).scalars()
        assert entry.action == "registration.ticket_reissued"


@pytest.fixture
def open_event(make_event):
    return make_event(
        registration_opens_at=NOW - timedelta(days=1),
        registration_closes_at=NOW + timedelta(days=10),
        starts_at=NOW + timedelta(days=20),
        ends_at=NOW + timedelta(days=21),
    )


def sign_up(app, client, event, smtp_server):
    url = f"/e/{event.slug}/register"
    page = client.get(url).get_data(as_text=True)
    category_id = re.search(r'name="category"[^>]* value="(\d+)"', page).group(1)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "category": category_id,
            "name": "孔繁华",
            "organisation": "曲阜文旅集团",
            "mobile": "13905371234",
            "email": "kfh@example.com",
            "consent": "y",
        },
    )
    assert response.status_code == 302
    response.close()
    return response.headers["Location"]


def test_the_e_badge_shows_the_code_and_the_mail_carries_it(app, client, open_event, smtp_server):
    manage = sign_up(app, client, open_event, smtp_server)
    with app.app_context():
        secret = db.session.execute(db.select(Registration.ticket_secret)).scalar_one()
    page = client.get(manage).get_data(as_text=True)
    assert "/badge" in page
    badge = client.get(manage + "/badge")
    html = badge.get_data(as_text=True)
    assert badge.status_code == 200 and "no-store" in badge.headers["Cache-Control"]
    assert 'class="ticket-qr"' in html and "孔繁华" in html and "曲阜文旅集团" in html
    assert secret not in html  # only in the drawing: nothing to copy from the page text
    png = client.get(manage + "/badge.png")
    assert png.mimetype == "image/png" and decoded(png.data) == [secret]
    (received,) = smtp_server.messages
    parts = {
        part.get_filename(): part.get_payload(decode=True)
        for part in email.message_from_bytes(received["message"].as_bytes()).walk()
        if part.get_filename()
    }
    assert decoded(parts["badge-qr.png"]) == [secret]


def test_no_code_before_the_registration_is_confirmed(app, client, open_event, smtp_server):
    manage = sign_up(app, client, open_event, smtp_server)
    with app.app_context():
        registration = db.session.execute(db.select(Registration)).scalar_one()
        registration.status = Status.PENDING
        db.session.commit()
    html = client.get(manage + "/badge").get_data(as_text=True)
    assert "ticket-qr" not in html and "确认后" in html
    assert client.get(manage + "/badge.png").status_code == 404
    assert client.get("/r/" + "x" * 43 + "/badge").status_code == 404


def test_mail_written_later_carries_the_code_too(app, make_event, make_registration):
    event = make_event()
    registration = make_registration(event, email="later@example.com")
    with app.test_request_context("/"):
        message = mail.queue(
            "confirmation",
            "later@example.com",
            locale="zh_Hans_CN",
            event=db.session.get(type(event), event.id),
            registration=db.session.get(Registration, registration.id),
            render_later=True,
        )
        assert message.attachments == []
        mail._render_now(message)
        assert [a["filename"] for a in message.attachments] == ["badge-qr.png"]
        db.session.rollback()


def test_an_organiser_reissues_a_badge_and_the_person_gets_the_new_code(
    app, client, make_event, make_registration, make_user, login_as, smtp_server
):
    organiser = make_user("organiser@huiwu.example")
    event = make_event(organiser=organiser)
    registration = make_registration(event, email="kfh@example.com")
    login_as(organiser)
    detail = f"/manage/{event.id}/attendees/{registration.id}"
    assert "重新生成" in client.get(detail).get_data(as_text=True)
    response = client.post(
        detail + "/reissue", data={"csrf_token": csrf_token(client, detail), "reason": "证件遗失"}
    )
    assert response.status_code == 302
    response.close()
    with app.app_context():
        stored = db.session.get(Registration, registration.id)
        assert stored.ticket_secret != registration.ticket_secret
        assert tickets.lookup(registration.ticket_secret) == (stored, True)
        new_secret = stored.ticket_secret
    page = client.get(detail).get_data(as_text=True)
    assert "证件遗失" in page
    (received,) = smtp_server.messages
    parts = {
        part.get_filename(): part.get_payload(decode=True)
        for part in email.message_from_bytes(received["message"].as_bytes()).walk()
        if part.get_filename()
    }
    assert decoded(parts["badge-qr.png"]) == [new_secret]


def test_staff_and_other_organisers_cannot_reissue(
    app, client, make_event, make_registration, make_user, login_as
):
    staff = make_user("staff@huiwu.example")
    event = make_event(staff=staff)
    registration = make_registration(event)
    login_as(staff)
    detail = f"/manage/{event.id}/attendees/{registration.id}"
    token = csrf_token(client, "/")
    assert client.post(detail + "/reissue", data={"csrf_token": token}).status_code == 403
    with app.app_context():
        assert db.session.execute(db.select(RevokedTicket)).first() is None
