"""Delegations: the organiser's pages, applications, the leader's portal, roster imports."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest

from app import db
from events.models import AuditEntry, Category
from registration import mail
from registration.models import (
    Delegation,
    DelegationKind,
    DelegationQuota,
    DelegationStatus,
    EmailOutbox,
    Registration,
)
from registration.models import RegistrationStatus as Status
from tests.conftest import csrf_token

NOW = datetime.now(UTC)
PORTAL = re.compile(r"http://localhost(/d/[A-Za-z0-9_-]{43})")


@pytest.fixture
def organiser(make_user):
    return make_user("organiser@huiwu.example")


@pytest.fixture
def event(app, make_event, organiser):
    made = make_event(
        slug="rushang-2030",
        organiser=organiser,
        registration_opens_at=NOW - timedelta(days=1),
        registration_closes_at=NOW + timedelta(days=10),
        starts_at=NOW + timedelta(days=20),
        ends_at=NOW + timedelta(days=21),
    )
    with app.app_context():
        delegate = db.session.execute(db.select(Category).filter_by(event_id=made.id)).scalar()
        guest = Category(
            event_id=made.id, code="guest", name_zh="嘉宾", name_en="Guest", quota=3, position=1
        )
        db.session.add(guest)
        db.session.commit()
        made.delegate_id, made.guest_id = delegate.id, guest.id
    return made


def create_form(event, **changes):
    data = {
        "name": "济南市工商联代表团",
        "kind": "chamber",
        "region": "济南",
        "leader_name": "李建国",
        "leader_mobile": "138 0531 0001",
        "leader_email": "lijianguo@example.com",
        "deadline": "",
        "expected_size": "",
        f"places_{event.delegate_id}": "5",
        f"places_{event.guest_id}": "2",
    }
    data.update(changes)
    return data


def create_delegation(client, login_as, organiser, event, **changes):
    login_as(organiser)
    url = f"/manage/{event.id}/delegations/new"
    data = create_form(event, csrf_token=csrf_token(client, url), **changes)
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def portal_path(app) -> str:
    """The portal link in the last invitation written to the outbox."""
    with app.app_context():
        message = db.session.execute(
            db.select(EmailOutbox)
            .filter_by(kind="delegation_invitation")
            .order_by(EmailOutbox.id.desc())
        ).scalar()
        return PORTAL.search(message.body_text).group(1)


@pytest.fixture
def portal(app, client, login_as, organiser, event):
    """An organiser-made delegation (5 delegates, 2 guests) and its leader's portal path."""
    create_delegation(client, login_as, organiser, event)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    return portal_path(app)


def members(app):
    with app.app_context():
        return list(
            db.session.execute(
                db.select(Registration).where(Registration.delegation_id.is_not(None))
            ).scalars()
        )


def member_form(client, path, event, **changes):
    data = {
        "csrf_token": csrf_token(client, path),
        "category": str(event.delegate_id),
        "name": "张 伟",
        "name_en": "Wei ZHANG",
        "organisation": "济南重工集团",
        "position": "董事长",
        "mobile": "13905310002",
        "email": "",
        "consent": "y",
    }
    data.update(changes)
    return data


# --- the organiser's side ---------------------------------------------------------------


def test_organiser_creates_a_delegation_and_the_leader_is_invited(
    app, client, login_as, organiser, event
):
    response = create_delegation(client, login_as, organiser, event)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已发送至 lijianguo@example.com" in page or "lijianguo@example.com" in page
    with app.app_context():
        delegation = db.session.execute(db.select(Delegation)).scalar_one()
        assert delegation.status is DelegationStatus.APPROVED
        assert delegation.leader_mobile == "+8613805310001"
        assert {q.category_id: q.places for q in delegation.quotas} == {
            event.delegate_id: 5,
            event.guest_id: 2,
        }
        assert delegation.manage_token_hash and delegation.invited_at is not None
        (message,) = db.session.execute(db.select(EmailOutbox)).scalars()
        assert message.recipient == "lijianguo@example.com"
        assert message.subject == f"请为{event.title_zh}登记您的代表团成员"
        assert "济南市工商联代表团" in message.body_text and "嘉宾: 2" in message.body_text
    assert client.get(portal_path(app)).status_code == 200


def test_the_delegation_list_shows_expected_registered_and_approved(
    app, client, login_as, organiser, event, portal
):
    client.post(portal + "/members", data=member_form(client, portal, event))
    client.post(
        portal + "/members",
        data=member_form(client, portal, event, name="赵敏", mobile="13905310003"),
    )
    with app.app_context():
        first = db.session.execute(db.select(Registration).order_by(Registration.id)).scalar()
        first.status = Status.PENDING
        db.session.commit()
    login_as(organiser)
    page = client.get(f"/manage/{event.id}/delegations").get_data(as_text=True)
    row = re.search(r"济南市工商联代表团.*?</tr>", page, re.S).group(0)
    numbers = re.findall(r'<td class="text-end">(?:<a [^>]*>)?(\d+)', row)
    assert numbers == ["7", "2", "1"]  # expected 5+2, registered 2, approved 1


def test_quotas_cannot_drop_below_members_holding_places(
    app, client, login_as, organiser, event, portal
):
    for number in range(3):
        client.post(
            portal + "/members",
            data=member_form(
                client, portal, event, name=f"成员{number}", mobile=f"1390531100{number}"
            ),
        )
    login_as(organiser)
    with app.app_context():
        delegation_id = db.session.execute(db.select(Delegation.id)).scalar()
    url = f"/manage/{event.id}/delegations/{delegation_id}"
    data = create_form(event, csrf_token=csrf_token(client, url))
    data[f"places_{event.delegate_id}"] = "2"
    page = client.post(url, data=data).get_data(as_text=True)
    assert "已有 3 名成员占用名额" in page
    with app.app_context():
        assert db.session.get(DelegationQuota, (delegation_id, event.delegate_id)).places == 5


def test_another_events_delegation_is_not_found(app, client, login_as, make_user, event, portal):
    other = make_user("other@huiwu.example")
    login_as(other)
    with app.app_context():
        delegation_id = db.session.execute(db.select(Delegation.id)).scalar()
    assert client.get(f"/manage/{event.id}/delegations/{delegation_id}").status_code == 404


# --- applications ---------------------------------------------------------------------------


def apply_form(client, event, **changes):
    url = f"/e/{event.slug}/delegations/apply"
    data = {
        "csrf_token": csrf_token(client, url),
        "name": "青岛市青年企业家商会",
        "kind": "chamber",
        "region": "青岛",
        "leader_name": "孙丽",
        "leader_mobile": "+86 139-0532-0001",
        "leader_email": "sunli@example.com",
        "expected_size": "12",
        "application_note": "成员以海洋经济企业为主",
        "consent": "y",
    }
    data.update(changes)
    return url, data


def test_a_leader_applies_and_the_organiser_approves(app, client, login_as, organiser, event):
    url, data = apply_form(client, event)
    response = client.post(url, data=data)
    assert response.status_code == 302
    with app.app_context():
        delegation = db.session.execute(db.select(Delegation)).scalar_one()
        assert delegation.status is DelegationStatus.PENDING
        assert delegation.manage_token_hash is None and delegation.expected_size == 12
        delegation_id = delegation.id
    login_as(organiser)
    listing = client.get(f"/manage/{event.id}/delegations").get_data(as_text=True)
    assert "待审核" in listing and "青岛市青年企业家商会" in listing
    edit = f"/manage/{event.id}/delegations/{delegation_id}"
    token = csrf_token(client, edit)
    refused = client.post(edit + "/approve", data={"csrf_token": token}, follow_redirects=True)
    assert "请先为代表团分配至少一个类别的名额" in refused.get_data(as_text=True)
    data = create_form(event, csrf_token=token, name="青岛市青年企业家商会")
    data.update(leader_name="孙丽", leader_mobile="13905320001", leader_email="sunli@example.com")
    assert client.post(edit, data=data).status_code == 302
    client.post(edit + "/approve", data={"csrf_token": token})
    with app.app_context():
        delegation = db.session.get(Delegation, delegation_id)
        assert delegation.status is DelegationStatus.APPROVED
        assert [e.action for e in db.session.execute(db.select(AuditEntry)).scalars()] == [
            "delegation.applied",
            "delegation.updated",
            "delegation.approved",
            "delegation.invited",
        ]
    assert client.get(portal_path(app)).status_code == 200


def test_a_rejected_application_is_written_to_the_leader(app, client, login_as, organiser, event):
    url, data = apply_form(client, event)
    client.post(url, data=data)
    login_as(organiser)
    with app.app_context():
        delegation_id = db.session.execute(db.select(Delegation.id)).scalar()
    edit = f"/manage/{event.id}/delegations/{delegation_id}"
    client.post(
        edit + "/reject", data={"csrf_token": csrf_token(client, edit), "message": "名额已满"}
    )
    with app.app_context():
        assert db.session.get(Delegation, delegation_id).status is DelegationStatus.REJECTED
        (message,) = db.session.execute(db.select(EmailOutbox)).scalars()
        assert message.kind == "delegation_rejected" and "名额已满" in message.body_text


def test_an_application_needs_a_valid_mobile_and_consent(app, client, event):
    url, data = apply_form(client, event, leader_mobile="12345")
    assert "手机号码无效" in client.post(url, data=data).get_data(as_text=True)
    url, data = apply_form(client, event, consent="")
    assert "提交申请需要您的同意" in client.post(url, data=data).get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(Delegation)).first() is None


# --- the portal: one by one ---------------------------------------------------------------------


def test_a_forged_portal_link_is_not_found(client, portal):
    assert client.get("/d/" + "A" * 43).status_code == 404
    assert client.get(portal[:-1] + ("B" if portal[-1] != "B" else "C")).status_code == 404


def test_the_leader_adds_edits_and_removes_members(app, client, event, portal):
    response = client.post(portal + "/members", data=member_form(client, portal, event))
    assert response.status_code == 302
    (member,) = members(app)
    assert member.name == "张伟" and member.status is Status.CONFIRMED
    assert member.mobile == "+8613905310002" and member.delegation_id is not None
    page = client.get(portal).get_data(as_text=True)
    assert "张伟" in page and "已确认" in page

    edit = f"{portal}/members/{member.id}"
    data = member_form(client, edit, event, name="张伟伟", category=str(event.guest_id))
    assert client.post(edit, data=data).status_code == 302
    (member,) = members(app)
    assert member.name == "张伟伟" and member.category_id == event.guest_id

    client.post(edit + "/remove", data={"csrf_token": csrf_token(client, portal)})
    (member,) = members(app)
    assert member.status is Status.CANCELLED


def test_the_delegation_quota_holds_for_single_members(app, client, event, portal):
    for number in range(2):
        client.post(
            portal + "/members",
            data=member_form(
                client,
                portal,
                event,
                category=str(event.guest_id),
                name=f"嘉宾{number}",
                mobile=f"1390531200{number}",
            ),
        )
    page = client.post(
        portal + "/members",
        data=member_form(client, portal, event, category=str(event.guest_id), mobile="13905312009"),
    ).get_data(as_text=True)
    assert "2 个名额已全部占用" in page
    assert len(members(app)) == 2


def test_a_member_already_registered_is_refused(app, client, event, portal, make_registration):
    make_registration(event, mobile="+8613905310002")
    page = client.post(portal + "/members", data=member_form(client, portal, event))
    assert "该手机号码已报名本活动" in page.get_data(as_text=True)
    assert members(app) == []


def test_another_delegations_member_is_not_found(app, client, event, portal, make_registration):
    stranger = make_registration(event, mobile="+8613905310099")
    assert client.get(f"{portal}/members/{stranger.id}").status_code == 404
    response = client.post(
        f"{portal}/members/{stranger.id}/remove", data={"csrf_token": csrf_token(client, portal)}
    )
    assert response.status_code == 404


def test_after_the_deadline_the_portal_is_read_only(app, client, event, portal):
    client.post(portal + "/members", data=member_form(client, portal, event))
    with app.app_context():
        delegation = db.session.execute(db.select(Delegation)).scalar_one()
        delegation.deadline = NOW - timedelta(minutes=1)
        db.session.commit()
    page = client.get(portal).get_data(as_text=True)
    assert "修改代表团的截止时间已过" in page and "上传" not in page
    data = member_form(client, portal, event, name="迟到", mobile="13905319999")
    page = client.post(portal + "/members", data=data).get_data(as_text=True)
    assert "修改代表团的截止时间已过" in page
    assert len(members(app)) == 1


def test_members_with_an_email_get_their_own_link(app, client, event, portal):
    client.post(
        portal + "/members", data=member_form(client, portal, event, email="zw@example.com")
    )
    with app.app_context():
        mail.send_pending(ignore_schedule=True)  # written as it is sent
        message = db.session.execute(
            db.select(EmailOutbox).filter_by(recipient="zw@example.com")
        ).scalar_one()
        assert message.kind == "confirmation" and "/r/" in message.body_text
        assert "济南市工商联代表团" in message.body_text


# --- the portal: roster upload --------------------------------------------------------------------


def roster_csv(rows, encoding="utf-8-sig") -> bytes:
    lines = ["姓名,英文名,参会类别,单位,职务,手机,邮箱"] + [",".join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(client, portal, data: bytes, filename="roster.csv"):
    return client.post(
        portal + "/roster",
        data={
            "csrf_token": csrf_token(client, portal),
            "consent": "y",
            "roster": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )


def good_rows(count, category="代表", start=0):
    return [
        [f"成员{n}", "", category, "济南重工集团", "经理", f"13905{n + start:06d}", ""]
        for n in range(count)
    ]


def test_a_gb18030_roster_with_full_width_digits_is_imported(app, client, event, portal):
    rows = [
        ["王　芳", "Fang WANG", "代表", "山东黄金集团", "总经理", "１３９　０５３１　００１１", ""],
        ["刘洋", "", "嘉宾", "浪潮集团", "", " 13905310012 ", "LY@Example.com"],
    ]
    response = upload(client, portal, roster_csv(rows, "gb18030"))
    assert response.status_code == 302, response.get_data(as_text=True)
    imported = {m.name: m for m in members(app)}
    assert set(imported) == {"王芳", "刘洋"}
    assert imported["王芳"].mobile == "+8613905310011"
    assert imported["刘洋"].category_id == event.guest_id
    assert imported["刘洋"].email == "ly@example.com"
    page = client.get(portal).get_data(as_text=True)
    assert "王芳" in page and "刘洋" in page


def test_one_bad_row_among_many_imports_nothing_and_is_reported(app, client, event, portal):
    with app.app_context():
        quota = db.session.get(DelegationQuota, (portal_delegation_id(app), event.delegate_id))
        quota.places = 5000
        db.session.commit()
    rows = good_rows(4999)
    rows[2500][5] = "12345"
    response = upload(client, portal, roster_csv(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "未导入任何成员" in page
    problems = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", page)
    assert problems == [("2502", "手机", "不是有效的手机号码。")] or [p[:2] for p in problems] == [
        ("2502", "手机")
    ]
    assert members(app) == []


def portal_delegation_id(app) -> int:
    return db.session.execute(db.select(Delegation.id)).scalar()


def test_roster_problems_name_row_and_column(app, client, event, portal, make_registration):
    make_registration(event, mobile="+8613905000003")
    rows = [
        ["", "", "代表", "A", "", "13905000001", ""],
        ["甲", "", "贵宾", "A", "", "13905000002", ""],
        ["乙", "", "代表", "A", "", "13905000003", ""],
        ["丙", "", "代表", "A", "", "13905000004", ""],
        ["丁", "", "代表", "A", "", "139 0500 0004", ""],
    ]
    page = upload(client, portal, roster_csv(rows)).get_data(as_text=True)
    problems = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td>", page)
    assert problems == [("2", "姓名"), ("3", "参会类别"), ("4", "手机"), ("6", "手机")]
    assert "该手机号码已报名本活动" in page
    assert members(app) == []


def test_a_roster_over_the_delegations_quota_is_refused(app, client, event, portal):
    page = upload(client, portal, roster_csv(good_rows(3, "嘉宾"))).get_data(as_text=True)
    assert "超出名额" in page
    assert re.findall(r"<tr><td>(\d+)</td>", page) == ["4"]  # the third guest; 2 places
    assert members(app) == []


def test_a_roster_over_the_categorys_quota_is_refused(app, client, event, portal):
    with app.app_context():
        quota = db.session.get(DelegationQuota, (portal_delegation_id(app), event.guest_id))
        quota.places = 10
        db.session.commit()
    page = upload(client, portal, roster_csv(good_rows(4, "嘉宾"))).get_data(as_text=True)
    assert re.findall(r"<tr><td>(\d+)</td>", page) == ["5"]  # the category holds 3
    assert members(app) == []


def test_an_xlsx_roster_from_the_template_is_imported(app, client, event, portal):
    template = client.get(portal + "/roster-template.xlsx")
    assert template.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(template.data))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert "姓名 Name" in headers[0]
    row = {"姓名": "孔明", "参会类别": "代表", "手机": 13905318888, "单位": "曲阜文旅集团"}
    values = [next((v for k, v in row.items() if h.startswith(k)), None) for h in headers]
    sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(client, portal, buffer.getvalue(), "名单.xlsx")
    assert response.status_code == 302, response.get_data(as_text=True)
    (member,) = members(app)
    assert member.name == "孔明" and member.mobile == "+8613905318888"


def test_a_50_mb_upload_is_refused_unread(app, client, portal):
    size = 50 * 1024 * 1024

    class Huge(io.RawIOBase):
        """A 50 MB multipart body that counts how much of it the server read."""

        def __init__(self):
            self.left, self.read_bytes = size, 0

        def readable(self):
            return True

        def readinto(self, buffer):
            chunk = min(len(buffer), self.left)
            buffer[:chunk] = b"a" * chunk
            self.left -= chunk
            self.read_bytes += chunk
            return chunk

    huge = Huge()
    response = client.post(
        portal + "/roster",
        content_type="multipart/form-data; boundary=huiwu",
        environ_overrides={"wsgi.input": huge, "CONTENT_LENGTH": str(size)},
    )
    assert response.status_code == 413
    assert "文件过大：上限为 5 MB" in response.get_data(as_text=True)
    assert huge.read_bytes == 0
    assert members(app) == []


def test_an_empty_file_and_a_picture_are_refused(app, client, portal):
    assert "文件为空" in upload(client, portal, b"").get_data(as_text=True)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    page = upload(client, portal, png, "photo.csv").get_data(as_text=True)
    assert "不是名单" in page
    assert members(app) == []


def test_the_roster_upload_needs_the_consent(app, client, event, portal):
    response = client.post(
        portal + "/roster",
        data={
            "csrf_token": csrf_token(client, portal),
            "roster": (io.BytesIO(roster_csv(good_rows(1))), "r.csv"),
        },
        content_type="multipart/form-data",
    )
    assert "请确认" in response.get_data(as_text=True)
    assert members(app) == []


def test_delegation_kinds_are_labelled(app):
    from registration.delegation_forms import DELEGATION_KINDS

    assert set(DELEGATION_KINDS) == set(DelegationKind)


def test_members_get_mail_in_the_leaders_language(app, client, event, portal, smtp_server, runner):
    client.post(
        portal + "/members", data=member_form(client, portal, event, email="zw@example.com")
    )
    with app.app_context():
        mail.send_pending(ignore_schedule=True)
    received = [m for m in smtp_server.messages if m["to"] == ["zw@example.com"]]
    assert received and "您的" in received[0]["message"]["Subject"]


def test_imported_members_get_their_confirmation_written_when_sent(
    app, client, event, portal, smtp_server
):
    rows = good_rows(3)
    rows[0][6] = "chengyuan0@example.com"
    rows[2][6] = "chengyuan2@example.com"
    response = upload(client, portal, roster_csv(rows))
    assert response.status_code == 302
    response.close()  # the messages go out as the response closes
    received = {m["to"][0]: m["message"] for m in smtp_server.messages}
    assert set(received) == {"chengyuan0@example.com", "chengyuan2@example.com"}
    message = received["chengyuan2@example.com"]
    assert message["Subject"] == f"您的{event.title_zh}报名已确认"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "成员2" in text and "济南市工商联代表团" in text
    assert re.search(r"http://localhost/r/[A-Za-z0-9_-]{43}", text)
    with app.app_context():
        rows = db.session.execute(db.select(EmailOutbox)).scalars().all()
        assert {row.render_context for row in rows if row.kind == "confirmation"} == {None}


def test_moving_a_member_into_an_approval_category_waits_for_approval(app, client, event, portal):
    with app.app_context():
        db.session.get(Category, event.guest_id).needs_approval = True
        db.session.commit()
    client.post(portal + "/members", data=member_form(client, portal, event))
    (member,) = members(app)
    assert member.status is Status.CONFIRMED
    edit = f"{portal}/members/{member.id}"
    client.post(edit, data=member_form(client, edit, event, category=str(event.guest_id)))
    (member,) = members(app)
    assert (member.category_id, member.status) == (event.guest_id, Status.PENDING)


def test_saving_an_application_keeps_the_leaders_note(app, client, login_as, organiser, event):
    url, data = apply_form(client, event)
    client.post(url, data=data)
    login_as(organiser)
    with app.app_context():
        delegation_id = db.session.execute(db.select(Delegation.id)).scalar()
    edit = f"/manage/{event.id}/delegations/{delegation_id}"
    data = create_form(event, csrf_token=csrf_token(client, edit), name="青岛市青年企业家商会")
    assert client.post(edit, data=data).status_code == 302
    with app.app_context():
        assert (
            db.session.get(Delegation, delegation_id).application_note == "成员以海洋经济企业为主"
        )


def test_an_oversized_upload_to_a_forged_link_is_not_found(client):
    response = client.post(
        "/d/" + "A" * 43 + "/roster",
        data=b"x" * (6 * 1024 * 1024),
        content_type="multipart/form-data; boundary=huiwu",
    )
    assert response.status_code == 404
