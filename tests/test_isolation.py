"""Isolation: a user posted in one street sees nothing of another street, through any page or endpoint.

The test walks every URL pattern the site has (pages and API), fills each parameter with an object of street A,
adds a search for street A's names, and requests it as a street officer of street B. Whatever answers must not
contain any of street A's names, codes or people. New pages and endpoints are covered without being listed here.
"""

import re
from collections.abc import Iterator
from html import escape
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from civicgrid.people.models import Post
from civicgrid.workorders import services
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

# Street A's names and codes, as they would appear in a page or a JSON body.
SECRETS = ("宁海路", "仙霞路", "王网格", "李网格", "陈网格长", "刘民警", "320106001003", "worker_a1", "officer_a")
SKIPPED_PREFIXES = ("admin/", "i18n/", "static/", "media/")
# Public by design, for anyone holding a work order's number (a resident, an Open311 client): they show where and
# what, never who; tests/workorders check them for personal data instead.
PUBLIC_PREFIXES = (
    "workorders/track/",
    "workorders/report/outlines",  # the streets' outlines, to find one's place on the report map
    "open311/",
    "api/v1/workorders/track/",
    "api/v1/hall/public/",  # the kiosk, board, booking, tracking and pad: centres' names and hours, masked names only
    "hall/kiosk/",  # the same as pages: the hall's kiosk, board and rating pad, and the residents' booking
    "hall/board/",
    "hall/pad/",
    "hall/book/",
    "evaluation/t/",  # a questionnaire behind an invitation, the open link, the published reverse list
    "evaluation/o/",
    "evaluation/public/",
    "api/v1/evaluation/public/",
)
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def routes(resolvers=None, prefix: str = "") -> Iterator[str]:
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def fill(route: str, values: dict[str, str]) -> str | None:
    """The route with every parameter replaced by street A's object of that kind; None if a kind is unknown."""
    path = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\.", ".")
    for match in PARAMETER.finditer(route):
        name = match.group("name")
        value = next((v for key, v in values.items() if key in name), None)
        if value is None:
            return None
        path = path.replace(match.group(0), value)
    if any(ch in path for ch in "^$()[]?*+\\"):
        return None  # a regex route this test cannot fill
    return "/" + path


def _service_centre_of_street_a(tree) -> dict[str, str]:
    """Street A's centre with a counter, a ticket, an application to deliver home and an appointment (by their
    URL parameter names), made at any hour the suite runs: the ticket and appointment are written as a factory would."""
    from datetime import time

    from django.utils import timezone

    from civicgrid.hall import services as hall
    from civicgrid.hall.models import Appointment, ServiceGroup, Ticket
    from civicgrid.people.choices import Role
    from tests.factories import staff

    hall.catalogue_load(actor=None, path=hall.default_catalogue_path())
    centre = hall.centre_create(actor=None, street_code=tree.street_a.code)
    counter = hall.counter_create(actor=None, centre_code=centre.code, number=1)
    clerk = staff(Role.WINDOW_CLERK, tree.street_a, username="clerk_of_a", full_name="宁海路窗口")
    group = ServiceGroup.objects.get(code="A")
    now = timezone.now()
    ticket = Ticket.objects.create(
        centre=centre,
        day=timezone.localdate(),
        group=group,
        number=1,
        code="A001",
        source="kiosk",
        resident_name="仙霞路居民",
        issued_at=now,
        queued_at=now,
    )
    application = hall.application_accept(
        actor=clerk,
        centre_code=centre.code,
        item_code="0101",
        applicant_name="仙霞路居民",
        id_number="320106198001011233",
        phone="13912345678",
        materials=["01", "02", "03"],
        result_delivery="home",
        address="宁海路 5 号",
        grid_code=tree.grid_a1.code,
    )
    hall.application_act(actor=clerk, number=application.number, action="complete_on_spot")
    appointment = Appointment.objects.create(
        code="20260001",
        centre=centre,
        item=application.item,
        group=group,
        region_path=centre.region_path,
        day=timezone.localdate(),
        slot_start=time(9),
        slot_end=time(9, 30),
        channel="online",
        resident_name="仙霞路居民",
        id_number="320106198001011233",
        phone="13912345678",
        booked_at=now,
    )
    return {
        "application_number": application.number,
        "centre": centre.code,
        "counter_id": str(counter.pk),
        "ticket_id": str(ticket.pk),
        "delivery_id": str(application.delivery.pk),
        "appointment_code": appointment.code,
    }


def _evaluation_of_street_a(tree) -> dict[str, str]:
    """A campaign with street A's special indicator, an invitation, a flagged response and a reverse item."""
    from civicgrid.evaluation import services as evaluation
    from civicgrid.evaluation.models import ReverseItem
    from civicgrid.people.choices import Role
    from tests.factories import staff

    campaign = evaluation.campaign_create(actor=tree.admin, district_code="320106", year=2026)
    evaluation.indicator_add(
        actor=tree.admin, campaign_id=campaign.pk, code="S01", name="宁海路应急包", street_code=tree.street_a.code
    )
    evaluation.question_add(
        actor=tree.admin,
        campaign_id=campaign.pk,
        group="adult",
        question=evaluation.QuestionIn(code="S01Q", text="仙霞路应急包小修小补", polarity="special", indicator="S01"),
    )
    evaluation.population_set(
        actor=tree.admin,
        campaign_id=campaign.pk,
        table={(s.code, g): 1000 for s in (tree.street_a, tree.street_b) for g in ("elderly", "adult", "organisation")},
    )
    evaluation.campaign_act(actor=tree.admin, campaign_id=campaign.pk, action="open")
    invitation = evaluation.invitations_create(
        actor=tree.admin, campaign_id=campaign.pk, street_code=tree.street_a.code, group="adult", count=2
    )[0]
    surveyor = staff(Role.FIELD_SURVEYOR, tree.street_a, username="surveyor_of_a", full_name="宁海路调查员")
    answers = {q.code: 5 for q in campaign.questionnaires.get(group="adult").questions.exclude(polarity="reverse")}
    response, _created = evaluation.surveyor_submit(
        actor=surveyor,
        campaign_id=campaign.pk,
        street_code=tree.street_a.code,
        group="adult",
        answers={**answers, "A90": "仙霞路电动车充电桩太少"},
        client_key="isolation-0001",
    )
    return {
        "campaign": str(campaign.pk),
        "reverse_item": str(ReverseItem.objects.get().pk),
        "response": str(response.pk),
        "invitation_batch": str(invitation.batch),
        "invitation_token": invitation.token,
        "online_key": campaign.online_key,
        "group": "adult",
    }


def _registry_of_street_a(tree) -> dict[str, str]:
    """Street A's base files: a building, a household with a resident, an organisation and an import (by their URL
    parameter names); their addresses and names carry "仙霞路", one of the secrets."""
    from civicgrid.registry import services as registry

    registry.codes_load(actor=None)
    building = registry.building_create(
        actor=tree.admin, grid_code=tree.grid_a1.code, name="1幢", address="仙霞路 8 号", floors_above=6
    )
    home = registry.household_create(actor=tree.admin, building_id=building.pk, entrance="1", room="301")
    resident = registry.resident_register(
        actor=tree.admin, household_id=home.pk, name="仙霞路居民", id_number="11010519491231002X", relation="02"
    )
    organisation = registry.organisation_create(
        actor=tree.admin, grid_code=tree.grid_a1.code, name="仙霞路菜场", org_type="individual", address="仙霞路 1 号"
    )
    batch = registry.import_file(
        actor=tree.officer_a, kind="residents", file_name="仙霞路人口.csv",
        data=f"姓名,身份证号,楼栋编码,单元,房号,与户主关系\r\n仙霞路人,1,{building.code},1,302,户主\r\n".encode(),
    )  # fmt: skip
    return {
        "household_id": str(home.pk),
        "building_id": str(building.pk),
        "resident_id": str(resident.pk),
        "organisation_id": str(organisation.pk),
        "batch_id": str(batch.pk),
        "ledger_key": "population",
    }


def _grid_work_of_street_a(tree, household_id: str) -> dict[str, str]:
    """Grid A1's patrol with its track, a visit to a household, a problem on the council's agenda, a guide task and
    a leave of street A (by their URL parameter names)."""
    from datetime import timedelta

    from django.utils import timezone

    from civicgrid.gridwork import services as gridwork
    from civicgrid.people.choices import Role
    from tests.factories import staff

    start = timezone.now() - timedelta(minutes=20)
    patrol, _created = gridwork.patrol_start(actor=tree.worker_a1, now=start)
    points = [
        gridwork.Point(at=start + timedelta(seconds=30 * i), lon=118.702 + 0.0002 * i, lat=32.005, accuracy=5)
        for i in range(30)
    ]
    gridwork.patrol_points_add(actor=tree.worker_a1, patrol_id=patrol.pk, batch_id="b1", points=points)
    gridwork.log_write(actor=tree.worker_a1, day=timezone.localdate(), content="仙霞路巡查平稳")
    visit = gridwork.visit_record(actor=tree.worker_a1, household_id=int(household_id), findings="仙霞路住户正常")
    problem = gridwork.problem_record(actor=tree.worker_a1, description="仙霞路停车难", action="pass_to_leader")
    gridwork.problem_act(actor=tree.leader_a, problem_id=problem.pk, action="put_on_agenda", note="仙霞路议")
    meeting = gridwork.meeting_plan(
        actor=tree.leader_a,
        grid_code=tree.grid_a1.code,
        scheduled_at=timezone.now() + timedelta(days=1),
        place="仙霞路",
    )
    gridwork.guide_load(actor=None)
    head = staff(Role.COMMUNITY_HEAD, tree.community_a, username="head_of_a", full_name="仙霞路书记")
    (task,) = gridwork.assignment_create(
        actor=head, task_code="060201", grid_codes=[tree.grid_a1.code], due_on=timezone.localdate() + timedelta(days=3)
    )
    leave = gridwork.leave_request(
        actor=tree.worker_a2, starts_on=timezone.localdate(), ends_on=timezone.localdate(), kind="sick", reason="仙霞路"
    )
    return {
        "patrol_id": str(patrol.pk),
        "visit_id": str(visit.pk),
        "problem_id": str(problem.pk),
        "meeting_id": str(meeting.pk),
        "assignment_id": str(task.pk),
        "leave_id": str(leave.pk),
    }


def test_a_street_b_officer_learns_nothing_of_street_a_from_any_url(tree):
    post_a = Post.objects.get(user=tree.worker_a1)
    order_a = services.report(
        actor=tree.worker_a1, description="仙霞路路灯不亮", source="patrol", grid_code=tree.grid_a1.code
    )
    evaluation = _evaluation_of_street_a(tree)
    values = {
        **evaluation,  # first: "campaign_id" and "reverse_item_id" must not be filled as a post's "id"
        **_service_centre_of_street_a(tree),  # first: "application_number" must not be filled as a work order's
        **(registry := _registry_of_street_a(tree)),  # before "id": "household_id" must get a household
        **_grid_work_of_street_a(tree, registry["household_id"]),  # before "id": "patrol_id" is a patrol's
        "number": order_a.number,
        "code": tree.grid_a1.code,
        "username": "worker_a1",
        "post": str(post_a.pk),
        "id": str(post_a.pk),
        "pk": str(post_a.pk),
        "format": "json",
    }
    client = Client()
    assert client.login(username="officer_b", password=PASSWORD)
    checked = []
    for route in sorted(set(routes())):
        if route.lstrip("^").startswith(SKIPPED_PREFIXES + PUBLIC_PREFIXES):
            continue
        path = fill(route, values)
        if path is None:
            continue
        search = {
            "q": "仙霞",
            "parent": tree.community_a.code,
            "root": tree.street_a.code,
            "region": tree.street_a.code,
            "lon": "118.705",
            "lat": "32.005",
        }
        for params in ({}, search):
            url = f"{path}?{urlencode(params)}" if params else path
            response = client.get(path, params)
            assert response.status_code < 500, url
            body = response.content.decode("utf-8", errors="replace")
            # a page may echo the address it was asked for (language switch, pager): that is not a leak
            body = body.replace(escape(url), "").replace(url, "")
            leaked = [secret for secret in SECRETS if secret in body]
            assert not leaked, f"{url} ({response.status_code}) shows {leaked}"
            checked.append(url)
    # the walk must have reached the pages and the API, or it proves nothing
    assert any(url.startswith("/api/v1/regions") for url in checked), checked
    assert any(url.startswith("/regions/") for url in checked), checked
    assert any(url.startswith("/people/") for url in checked), checked
    assert any(url.startswith(f"/workorders/{order_a.number}") for url in checked), checked
    assert any(url.startswith(f"/api/v1/hall/applications/{values['application_number']}") for url in checked)
    assert any(url.startswith(f"/api/v1/hall/centres/{values['centre']}/") for url in checked), checked
    assert any(url.startswith(f"/hall/applications/{values['application_number']}/") for url in checked), checked
    assert any(url.startswith(f"/hall/deliveries/{values['delivery_id']}/") for url in checked), checked
    assert any(url.startswith(f"/hall/centres/{values['centre']}/") for url in checked), checked
    assert any(url.startswith(f"/evaluation/{evaluation['campaign']}/report") for url in checked), checked
    assert any(url.startswith(f"/api/v1/evaluation/campaigns/{evaluation['campaign']}") for url in checked), checked
    assert any(
        url.startswith(f"/evaluation/{evaluation['campaign']}/reverse/{evaluation['reverse_item']}") for url in checked
    )
    assert any(url.startswith(f"/registry/households/{values['household_id']}/") for url in checked), checked
    assert any(url.startswith(f"/registry/regions/{tree.grid_a1.code}/") for url in checked), checked
    assert any(url.startswith(f"/api/v1/registry/residents/{values['resident_id']}") for url in checked), checked
    assert any(url.startswith(f"/registry/imports/{values['batch_id']}/") for url in checked), checked
    assert any(url.startswith(f"/gridwork/patrols/{values['patrol_id']}/") for url in checked), checked
    assert any(url.startswith(f"/api/v1/gridwork/patrols/{values['patrol_id']}/track") for url in checked), checked
    assert any(url.startswith(f"/gridwork/council/{values['meeting_id']}/") for url in checked), checked


def test_the_same_urls_do_show_street_a_to_its_own_officer(tree):
    # the positive control: the secrets are findable, so their absence above means something
    client = Client()
    assert client.login(username="officer_a", password=PASSWORD)
    body = client.get(f"/regions/{tree.grid_a1.code}/").content.decode()
    assert "仙霞路第一网格" in body
    assert "王网格" in client.get(f"/api/v1/regions/{tree.grid_a1.code}").content.decode()
