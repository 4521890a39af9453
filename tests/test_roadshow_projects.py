"""Projects: submission by a chamber's leader and by an enterprise, gating, editing,
withdrawal, the organisers' review with its email, and chambers against their targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app import db
from events.models import AuditEntry, Organisation, OrganisationKind
from events.roadshow import chambers, projects
from events.roadshow.models import (
    CooperationMode,
    Project,
    ProjectInterest,
    ProjectReview,
    ProjectStatus,
    RoadshowSetup,
    Sector,
)
from registration import links
from registration.models import (
    Delegation,
    DelegationKind,
    DelegationStatus,
    Registration,
    RegistrationStatus,
)
from tests.conftest import csrf_token

# --- helpers (shared with tests/test_project_decks.py) ---------------------------------------


def make_delegation(
    app,
    event,
    *,
    name="青岛 商会",
    kind=DelegationKind.CHAMBER,
    status=DelegationStatus.APPROVED,
    leader_email="leader@qingdao.example",
    locale="zh_Hans_CN",
):
    """A delegation with its leader's portal token: (id, token)."""
    with app.app_context():
        delegation = Delegation(
            event_id=event.id,
            name=name,
            kind=kind,
            status=status,
            leader_name="李会长",
            leader_email=leader_email,
            locale=locale,
        )
        token = links.issue_portal_token(delegation)
        db.session.add(delegation)
        db.session.commit()
        return delegation.id, token


def manage_token(app, registration) -> str:
    with app.app_context():
        row = db.session.get(Registration, registration.id)
        token = links.issue_manage_token(row)
        db.session.commit()
        return token


def open_submissions(app, event, *, is_open=True, close_at=None):
    with app.app_context():
        setup = db.session.get(RoadshowSetup, event.id) or RoadshowSetup(event_id=event.id)
        setup.submissions_open = is_open
        setup.submissions_close_at = close_at
        db.session.add(setup)
        db.session.commit()


def project_data(**changes) -> dict:
    data = {
        "title_zh": "青岛海洋牧场项目",
        "title_en": "Qingdao marine ranch",
        "summary_zh": "建设海洋牧场与冷链加工基地。",
        "summary_en": "",
        "sector": "marine",
        "owner_name": "青岛海洋发展集团",
        "region": "青岛市",
        "location": "即墨区",
        "capital_wan": "50000",
        "cooperation_mode": "equity",
        "presenter": "",
    }
    data.update(changes)
    return data


def post(client, url, data, **kwargs):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/")}, **kwargs)


def all_projects(app) -> list[Project]:
    with app.app_context():
        rows = list(db.session.execute(db.select(Project).order_by(Project.id)).scalars())
        db.session.expunge_all()
        return rows


def add_project(app, event, *, delegation_id=None, submitted_by=None, **fields) -> int:
    with app.app_context():
        values = {
            "event_id": event.id,
            "title_zh": "烟台葡萄酒产业园",
            "summary_zh": "葡萄酒产业园。",
            "sector": Sector.AGRICULTURE,
            "owner_name": "烟台酒业",
            "capital_wan": 1000,
            "cooperation_mode": CooperationMode.JOINT_VENTURE,
            "delegation_id": delegation_id,
            "submitted_by_id": submitted_by,
        }
        values.update(fields)
        project = Project(**values)
        db.session.add(project)
        db.session.commit()
        return project.id


@pytest.fixture
def organiser(make_user):
    return make_user("organiser@huiwu.example")


@pytest.fixture
def event(make_event, organiser):
    return make_event(organiser=organiser)


@pytest.fixture
def leader(app, event, make_registration):
    """An approved chamber delegation with two members (one cancelled): (id, token, member)."""
    delegation_id, token = make_delegation(app, event)
    member = make_registration(event, name="张伟", delegation_id=delegation_id)
    make_registration(
        event, name="赵敏", delegation_id=delegation_id, status=RegistrationStatus.CANCELLED
    )
    open_submissions(app, event)
    return delegation_id, token, member


# --- chambers as organisations ---------------------------------------------------------------


def test_chamber_of_finds_or_creates_the_chamber_by_its_normalised_name(app, event):
    first_id, _ = make_delegation(app, event, name=" 青岛  商会 ")
    second_id, _ = make_delegation(app, event, name="青岛 商会")
    city_id, _ = make_delegation(app, event, name="烟台市", kind=DelegationKind.CITY)
    with app.app_context():
        first = chambers.chamber_of(db.session.get(Delegation, first_id))
        second = chambers.chamber_of(db.session.get(Delegation, second_id))
        assert chambers.chamber_of(db.session.get(Delegation, city_id)) is None
        db.session.commit()
        assert first.id == second.id
        assert first.name == "青岛 商会" and first.kind is OrganisationKind.CHAMBER
        assert db.session.get(Delegation, first_id).organisation_id == first.id
        assert db.session.get(Delegation, city_id).organisation_id is None
        assert db.session.execute(db.select(db.func.count(Organisation.id))).scalar() == 1


# --- submitting ------------------------------------------------------------------------------


def test_leader_submits_a_project_presented_by_a_member(app, client, event, leader):
    delegation_id, token, member = leader
    page = client.get(f"/d/{token}/projects/new").get_data(as_text=True)
    assert "张伟" in page and "赵敏" not in page  # only active members may present
    assert page.count('name="csrf_token"') >= 1

    response = post(client, f"/d/{token}/projects/new", project_data(presenter=str(member.id)))

    assert response.status_code == 302
    [project] = all_projects(app)
    assert response.headers["Location"].endswith(f"/d/{token}/projects/{project.id}")
    assert project.status is ProjectStatus.SUBMITTED
    assert (project.delegation_id, project.presenter_id) == (delegation_id, member.id)
    assert project.submitted_by_id is None and project.capital_wan == 50000
    with app.app_context():
        chamber = db.session.get(Organisation, project.chamber_id)
        assert chamber.name == "青岛 商会"
        assert db.session.get(Delegation, delegation_id).organisation_id == chamber.id
        entry = db.session.execute(db.select(AuditEntry).filter_by(action="project.submitted"))
        assert entry.scalar_one().actor_label == "delegation leader"
    listing = client.get(f"/d/{token}/projects").get_data(as_text=True)
    assert "青岛海洋牧场项目" in listing
    for page in (listing, client.get(f"/d/{token}/projects/{project.id}").get_data(as_text=True)):
        assert " style=" not in page and "<script>" not in page


def test_a_presenter_from_outside_the_delegation_is_refused(
    app, client, event, leader, make_registration
):
    _, token, _member = leader
    outsider = make_registration(event, name="外人")
    response = post(client, f"/d/{token}/projects/new", project_data(presenter=str(outsider.id)))
    assert response.status_code == 400
    assert all_projects(app) == []


def test_enterprise_submits_through_its_manage_link(app, client, event, make_registration):
    delegation_id, _ = make_delegation(app, event, name="潍坊商会")
    presenter = make_registration(event, name="周强", delegation_id=delegation_id)
    token = manage_token(app, presenter)
    open_submissions(app, event)

    page = client.get(f"/r/{token}/projects/new").get_data(as_text=True)
    assert 'name="presenter"' not in page  # the registration presents its own project
    response = post(client, f"/r/{token}/projects/new", project_data(presenter="999"))

    assert response.status_code == 302
    [project] = all_projects(app)
    assert (project.presenter_id, project.submitted_by_id) == (presenter.id, presenter.id)
    assert project.delegation_id is None
    with app.app_context():
        assert db.session.get(Organisation, project.chamber_id).name == "潍坊商会"
    assert "青岛海洋牧场项目" in client.get(f"/r/{token}/projects").get_data(as_text=True)


def test_enterprise_outside_a_chamber_has_no_chamber(app, client, event, make_registration):
    delegation_id, _ = make_delegation(app, event, name="淄博市", kind=DelegationKind.CITY)
    presenter = make_registration(event, delegation_id=delegation_id)
    token = manage_token(app, presenter)
    open_submissions(app, event)
    assert post(client, f"/r/{token}/projects/new", project_data()).status_code == 302
    assert all_projects(app)[0].chamber_id is None


@pytest.mark.parametrize(
    "value, message",
    [
        ("五千", "Enter the capital as a whole number"),
        ("12.5", "Enter the capital as a whole number"),
        ("-5", "between 0 and 100,000,000"),
        ("100000001", "between 0 and 100,000,000"),
        ("", "Enter the capital sought"),
    ],
)
def test_capital_must_be_a_whole_number_of_wan_in_range(app, client, leader, value, message):
    _, token, _member = leader
    response = post(client, f"/d/{token}/projects/new?lang=en", project_data(capital_wan=value))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert all_projects(app) == []


def test_capital_accepts_thousands_separators(app, client, leader):
    _, token, _member = leader
    response = post(client, f"/d/{token}/projects/new", project_data(capital_wan="1,000,000"))
    assert response.status_code == 302
    assert all_projects(app)[0].capital_wan == 1_000_000


def test_required_fields_are_required(app, client, leader):
    _, token, _member = leader
    data = project_data(title_zh="", summary_zh="", sector="")
    response = post(client, f"/d/{token}/projects/new", data)
    assert response.status_code == 400
    assert response.get_data(as_text=True).count("invalid-feedback") >= 3
    assert all_projects(app) == []


def test_the_owner_defaults_to_the_presenters_organisation(app, client, leader):
    _, token, member = leader
    response = post(client, f"/d/{token}/projects/new?lang=en", project_data(owner_name=" "))
    assert response.status_code == 400  # no presenter chosen: nobody to take it from
    assert "Enter the project owner" in response.get_data(as_text=True)
    data = project_data(owner_name="", presenter=str(member.id))
    assert post(client, f"/d/{token}/projects/new", data).status_code == 302
    assert all_projects(app)[0].owner_name == "鲁信科技有限公司"


# --- the submission window -------------------------------------------------------------------


def _close_by_setup(app, event, **_):
    open_submissions(app, event, is_open=False)


def _close_by_date(app, event, **_):
    open_submissions(app, event, close_at=datetime.now(UTC) - timedelta(minutes=1))


def _no_setup(app, event, **_):
    with app.app_context():
        db.session.execute(db.delete(RoadshowSetup))
        db.session.commit()


def _delegation_pending(app, event, delegation_id, **_):
    with app.app_context():
        db.session.get(Delegation, delegation_id).status = DelegationStatus.PENDING
        db.session.commit()


@pytest.mark.parametrize("close", [_close_by_setup, _close_by_date, _no_setup, _delegation_pending])
def test_closed_submissions_show_projects_read_only(app, client, event, leader, close):
    delegation_id, token, _member = leader
    project_id = add_project(app, event, delegation_id=delegation_id)
    close(app, event, delegation_id=delegation_id)

    listing = client.get(f"/d/{token}/projects?lang=en")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert 'data-testid="closed"' in text and "烟台葡萄酒产业园" in text
    assert f"/d/{token}/projects/new" not in text
    assert client.get(f"/d/{token}/projects/new").status_code == 302
    assert post(client, f"/d/{token}/projects/new", project_data()).status_code == 302
    page = client.get(f"/d/{token}/projects/{project_id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' not in page and "烟台酒业" in page
    post(client, f"/d/{token}/projects/{project_id}", project_data())
    assert [p.title_zh for p in all_projects(app)] == ["烟台葡萄酒产业园"]


def test_submissions_close_at_the_closing_time(app, client, event, leader):
    _, token, _member = leader
    open_submissions(app, event, close_at=datetime.now(UTC) + timedelta(hours=1))
    assert post(client, f"/d/{token}/projects/new", project_data()).status_code == 302
    _close_by_date(app, event)
    text = client.get(f"/d/{token}/projects?lang=en").get_data(as_text=True)
    assert "Project submissions closed on" in text


def test_a_cancelled_registration_cannot_submit(app, client, event, make_registration):
    person = make_registration(event, status=RegistrationStatus.CANCELLED)
    token = manage_token(app, person)
    open_submissions(app, event)
    text = client.get(f"/r/{token}/projects?lang=en").get_data(as_text=True)
    assert "no longer active" in text
    post(client, f"/r/{token}/projects/new", project_data())
    assert all_projects(app) == []


# --- editing and withdrawing -----------------------------------------------------------------


def test_saving_after_changes_requested_sends_the_project_back_for_review(
    app, client, event, leader
):
    delegation_id, token, member = leader
    project_id = add_project(
        app,
        event,
        delegation_id=delegation_id,
        status=ProjectStatus.CHANGES_REQUESTED,
        review_comment="请补充投资回报测算。",
    )
    page = client.get(f"/d/{token}/projects/{project_id}").get_data(as_text=True)
    assert "请补充投资回报测算。" in page and "烟台酒业" in page

    data = project_data(title_zh="烟台葡萄酒产业园（二期）", presenter=str(member.id))
    response = post(client, f"/d/{token}/projects/{project_id}", data)

    assert response.status_code == 302
    [project] = all_projects(app)
    assert project.status is ProjectStatus.SUBMITTED
    assert project.title_zh == "烟台葡萄酒产业园（二期）" and project.presenter_id == member.id


@pytest.mark.parametrize(
    "status", [ProjectStatus.ACCEPTED, ProjectStatus.REJECTED, ProjectStatus.WITHDRAWN]
)
def test_a_reviewed_project_cannot_be_edited(app, client, event, leader, status):
    delegation_id, token, _member = leader
    project_id = add_project(app, event, delegation_id=delegation_id, status=status)
    page = client.get(f"/d/{token}/projects/{project_id}?lang=en").get_data(as_text=True)
    assert "This project can no longer be changed." in page
    post(client, f"/d/{token}/projects/{project_id}", project_data(title_zh="改过"))
    [project] = all_projects(app)
    assert project.title_zh == "烟台葡萄酒产业园" and project.status is status


def test_withdrawing_a_project(app, client, event, leader):
    delegation_id, token, _member = leader
    project_id = add_project(app, event, delegation_id=delegation_id, status=ProjectStatus.ACCEPTED)
    url = f"/d/{token}/projects/{project_id}/withdraw"
    assert post(client, url, {}).status_code == 302
    assert all_projects(app)[0].status is ProjectStatus.WITHDRAWN
    with app.app_context():
        entry = db.session.execute(db.select(AuditEntry).filter_by(action="project.withdrawn"))
        assert entry.scalar_one().details["status"] == ["accepted", "withdrawn"]
    # Without the CSRF token nothing happens.
    other = add_project(app, event, delegation_id=delegation_id)
    client.post(f"/d/{token}/projects/{other}/withdraw")
    assert all_projects(app)[1].status is ProjectStatus.SUBMITTED


def test_a_rejected_project_cannot_be_withdrawn(app, client, event, leader):
    delegation_id, token, _member = leader
    project_id = add_project(app, event, delegation_id=delegation_id, status=ProjectStatus.REJECTED)
    response = post(client, f"/d/{token}/projects/{project_id}/withdraw", {})
    assert response.status_code == 302
    assert all_projects(app)[0].status is ProjectStatus.REJECTED


def test_projects_of_other_submitters_and_events_are_not_found(
    app, client, event, leader, make_event, make_registration
):
    delegation_id, token, member = leader
    other_delegation, other_token = make_delegation(app, event, name="济南商会")
    theirs = add_project(app, event, delegation_id=other_delegation)
    own = add_project(app, event, delegation_id=delegation_id)
    elsewhere = add_project(app, make_event(), delegation_id=delegation_id)
    member_token = manage_token(app, member)
    by_member = add_project(app, event, submitted_by=member.id)

    for url in (
        f"/d/{token}/projects/{theirs}",
        f"/d/{token}/projects/{elsewhere}",
        f"/d/{token}/projects/{by_member}",
        f"/d/{token}/projects/{theirs}/deck.pdf",
        f"/r/{member_token}/projects/{own}",
        "/d/not-a-token/projects",
        f"/d/not-a-token/projects/{own}",
        "/r/not-a-token/projects",
    ):
        assert client.get(url).status_code == 404, url
    assert post(client, f"/d/{token}/projects/{theirs}/withdraw", {}).status_code == 404
    assert client.get(f"/r/{member_token}/projects/{by_member}").status_code == 200
    assert client.get(f"/d/{other_token}/projects/{theirs}").status_code == 200


# --- organisers ------------------------------------------------------------------------------


def organiser_urls(event, project_id, chamber_id):
    base = f"/manage/{event.id}/projects"
    return [
        base,
        f"{base}/{project_id}",
        f"{base}/chambers",
    ]


@pytest.mark.parametrize("role, expected", [("organiser", 200), ("staff", 403), ("other", 404)])
def test_only_organisers_see_project_pages(
    app, client, make_user, make_event, login_as, organiser, role, expected
):
    staff = make_user("staff@huiwu.example")
    event = make_event(organiser=organiser, staff=staff)
    project_id = add_project(app, event)
    user = {"organiser": organiser, "staff": staff, "other": make_user()}[role]
    assert client.get(f"/manage/{event.id}/projects").status_code == 302  # signed out
    login_as(user)
    for url in organiser_urls(event, project_id, None):
        assert client.get(url).status_code == expected, url
    posted = post(
        client, f"/manage/{event.id}/projects/{project_id}/review", {"decision": "accepted"}
    )
    assert posted.status_code == (302 if role == "organiser" else expected)


def test_organiser_list_counts_filters_and_interest(
    app, client, login_as, organiser, event, make_event, make_registration
):
    delegation_id, _ = make_delegation(app, event)
    investor = make_registration(event, name="投资人")
    marine = add_project(
        app, event, delegation_id=delegation_id, sector=Sector.MARINE, title_zh="海洋项目"
    )
    add_project(app, event, status=ProjectStatus.ACCEPTED, title_zh="农业项目")
    add_project(app, make_event(), title_zh="别的大会的项目")
    with app.app_context():
        db.session.add(ProjectInterest(project_id=marine, registration_id=investor.id))
        db.session.commit()
    login_as(organiser)

    text = client.get(f"/manage/{event.id}/projects").get_data(as_text=True)
    assert "海洋项目" in text and "农业项目" in text and "别的大会的项目" not in text
    assert 'data-count="submitted" href' in text
    row = text.split(f'data-project="{marine}"')[1].split("</tr>")[0]
    assert '<td class="text-end" data-interest>1</td>' in row

    by_status = client.get(f"/manage/{event.id}/projects?status=accepted").get_data(as_text=True)
    assert "农业项目" in by_status and "海洋项目" not in by_status
    by_sector = client.get(f"/manage/{event.id}/projects?sector=marine").get_data(as_text=True)
    assert "海洋项目" in by_sector and "农业项目" not in by_sector
    assert client.get(f"/manage/{event.id}/projects?status=bogus").status_code == 200


def test_organiser_opens_submissions_on_the_event_clock(app, client, login_as, organiser, event):
    login_as(organiser)
    url = f"/manage/{event.id}/projects/settings"
    response = post(
        client,
        url,
        {"submissions_open": "y", "submissions_close_at": "2030-09-01T18:00"},
    )
    assert response.status_code == 302
    with app.app_context():
        setup = db.session.get(RoadshowSetup, event.id)
        assert setup.submissions_open is True
        assert setup.submissions_close_at == datetime(2030, 9, 1, 10, 0, tzinfo=UTC)
    page = client.get(f"/manage/{event.id}/projects").get_data(as_text=True)
    assert 'value="2030-09-01T18:00"' in page
    assert post(client, url, {"submissions_close_at": "soon"}).status_code == 400


def test_review_records_history_and_emails_the_leader_in_their_language(
    app, client, login_as, organiser, event, smtp_server
):
    delegation_id, token = make_delegation(
        app, event, locale="en", leader_email="li@chamber.example"
    )
    project_id = add_project(app, event, delegation_id=delegation_id, title_en="Yantai wine park")
    login_as(organiser)
    url = f"/manage/{event.id}/projects/{project_id}/review"

    response = post(client, url, {"decision": "changes_requested", "comment": "Add the budget."})

    assert response.status_code == 302
    response.close()  # the message goes out as the response closes
    [project] = all_projects(app)
    assert project.status is ProjectStatus.CHANGES_REQUESTED
    assert project.review_comment == "Add the budget." and project.reviewed_at is not None
    [mail] = smtp_server.messages
    assert mail["to"] == ["li@chamber.example"]
    assert "Yantai wine park" in mail["message"]["Subject"]
    assert "changes requested" in mail["message"]["Subject"]
    assert "Add the budget." in mail["message"].get_body(("plain",)).get_content()

    post(client, url, {"decision": "accepted", "comment": ""}).close()
    with app.app_context():
        reviews = list(
            db.session.execute(db.select(ProjectReview).order_by(ProjectReview.id)).scalars()
        )
        assert [r.decision for r in reviews] == [
            ProjectStatus.CHANGES_REQUESTED,
            ProjectStatus.ACCEPTED,
        ]
        assert all(r.actor_id is not None for r in reviews)
        actions = db.session.execute(
            db.select(AuditEntry.action).filter_by(subject_type="project", subject_id=project_id)
        ).scalars()
        assert list(actions) == ["project.reviewed", "project.reviewed"]
    assert len(smtp_server.messages) == 2
    page = client.get(f"/manage/{event.id}/projects/{project_id}").get_data(as_text=True)
    assert "Add the budget." in page and page.count("data-status=") >= 3
    assert " style=" not in page and "<script>" not in page


def test_review_emails_an_enterprise_submitter_in_chinese(
    app, client, login_as, organiser, event, make_registration, smtp_server
):
    person = make_registration(event, email="zhou@enterprise.example")
    project_id = add_project(app, event, submitted_by=person.id, presenter_id=person.id)
    login_as(organiser)
    url = f"/manage/{event.id}/projects/{project_id}/review"
    post(client, url, {"decision": "accepted"}).close()
    [mail] = smtp_server.messages
    assert mail["to"] == ["zhou@enterprise.example"]
    assert "烟台葡萄酒产业园" in mail["message"]["Subject"]


@pytest.mark.parametrize("decision", ["rejected", "changes_requested"])
def test_rejecting_or_requesting_changes_needs_a_comment(
    app, client, login_as, organiser, event, decision
):
    project_id = add_project(app, event)
    login_as(organiser)
    response = post(
        client,
        f"/manage/{event.id}/projects/{project_id}/review?lang=en",
        {"decision": decision, "comment": "  "},
    )
    assert response.status_code == 400
    assert "Please say why" in response.get_data(as_text=True)
    assert all_projects(app)[0].status is ProjectStatus.SUBMITTED
    with app.app_context():
        assert db.session.execute(db.select(ProjectReview)).first() is None


def test_review_service_refuses_a_missing_comment_and_withdrawn_projects(app, event, organiser):
    project_id = add_project(app, event)
    with app.app_context():
        project = db.session.get(Project, project_id)
        with pytest.raises(projects.ProjectError):
            projects.review(project, ProjectStatus.REJECTED, "", organiser)
        project.status = ProjectStatus.WITHDRAWN
        with pytest.raises(projects.ProjectError):
            projects.review(project, ProjectStatus.ACCEPTED, "", organiser)


def test_organiser_sets_the_pitch_length(app, client, login_as, organiser, event):
    project_id = add_project(app, event)
    login_as(organiser)
    url = f"/manage/{event.id}/projects/{project_id}/duration"
    assert post(client, url, {"duration_slots": "2"}).status_code == 302
    assert all_projects(app)[0].duration_slots == 2
    assert post(client, url, {"duration_slots": "5"}).status_code == 400
    assert post(client, url, {"duration_slots": "0"}).status_code == 400
    assert all_projects(app)[0].duration_slots == 2


def test_organiser_pages_are_scoped_to_the_event(
    app, client, login_as, organiser, event, make_event
):
    other_event = make_event(organiser=organiser)
    theirs = add_project(app, other_event)
    login_as(organiser)
    base = f"/manage/{event.id}/projects"
    assert client.get(f"{base}/{theirs}").status_code == 404
    assert client.get(f"{base}/{theirs}/deck.pdf").status_code == 404
    assert post(client, f"{base}/{theirs}/review", {"decision": "accepted"}).status_code == 404
    assert post(client, f"{base}/{theirs}/duration", {"duration_slots": "2"}).status_code == 404


# --- chambers and their targets --------------------------------------------------------------


def test_chambers_count_the_years_projects_against_their_targets(
    app, client, login_as, organiser, event, make_event
):
    delegation_id, token = make_delegation(app, event)
    open_submissions(app, event)
    with app.app_context():
        chamber = chambers.chamber_of(db.session.get(Delegation, delegation_id))
        db.session.commit()
        chamber_id = chamber.id
    spring = make_event(organiser=organiser, starts_at=datetime(2030, 4, 1, 2, tzinfo=UTC))
    # 31 Dec 2029 20:00 UTC is already 2030 in Shanghai.
    new_year = make_event(starts_at=datetime(2029, 12, 31, 20, tzinfo=UTC))
    last_year = make_event(starts_at=datetime(2029, 6, 1, 2, tzinfo=UTC))
    add_project(app, event, chamber_id=chamber_id, status=ProjectStatus.ACCEPTED)
    add_project(app, event, chamber_id=chamber_id, status=ProjectStatus.SUBMITTED)
    add_project(app, event, chamber_id=chamber_id, status=ProjectStatus.REJECTED)
    add_project(app, spring, chamber_id=chamber_id, status=ProjectStatus.ACCEPTED)
    add_project(app, new_year, chamber_id=chamber_id, status=ProjectStatus.CHANGES_REQUESTED)
    add_project(app, last_year, chamber_id=chamber_id, status=ProjectStatus.ACCEPTED)
    login_as(organiser)

    url = f"/manage/{event.id}/projects/chambers"
    response = post(client, f"{url}/{chamber_id}", {f"c{chamber_id}-project_target": "5"})
    assert response.status_code == 302

    text = client.get(url).get_data(as_text=True)
    row = text.split(f'data-chamber="{chamber_id}"')[1].split("</tr>")[0]
    assert "data-here>3<" in row
    assert "data-accepted>2 / 5<" in row
    assert "data-pending>2<" in row
    leader_page = client.get(f"/d/{token}/projects?lang=en").get_data(as_text=True)
    assert "2 of the target of 5 projects accepted" in leader_page

    assert (
        post(client, f"{url}/{chamber_id}", {f"c{chamber_id}-project_target": "-1"}).status_code
        == 400
    )
    assert (
        post(client, f"{url}/{chamber_id}", {f"c{chamber_id}-project_target": ""}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(Organisation, chamber_id).project_target is None
    # A chamber without projects in this event is not this event's to change.
    with app.app_context():
        stranger = Organisation(name="外省商会", kind=OrganisationKind.CHAMBER)
        db.session.add(stranger)
        db.session.commit()
        stranger_id = stranger.id
    assert (
        post(client, f"{url}/{stranger_id}", {f"c{stranger_id}-project_target": "3"}).status_code
        == 404
    )
