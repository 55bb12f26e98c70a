"""The grid-work pages as their users meet them: the worker's phone pages, the community's pages, refusals shown as
messages with nothing written, and nothing of another community on any list."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from civicgrid.gridwork import services
from civicgrid.gridwork.models import CommunityLog, CouncilMeeting, FoundProblem, GuideAssignment, HomeVisit, Leave
from civicgrid.workorders.models import WorkOrder
from tests.factories import PASSWORD
from tests.gridwork.conftest import loop

pytestmark = pytest.mark.django_db


def client_of(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def home(gw):
    """A household in grid A1 with an old man living alone (never visited)."""
    from civicgrid.registry import services as registry
    from tests.registry.conftest import id_number

    registry.codes_load(actor=None)
    building = registry.building_create(
        actor=gw.tree.admin, grid_code=gw.tree.grid_a1.code, name="1幢", address="仙霞路 8 号", floors_above=6
    )
    household = registry.household_create(actor=gw.tree.admin, building_id=building.pk, entrance="1", room="301")
    registry.resident_register(
        actor=gw.tree.admin, household_id=household.pk, name="张老伯", id_number=id_number(birth="19440305"),
        relation="02", tags=["elderly_alone"],
    )  # fmt: skip
    return household


def patrol_today(worker, hours: float = 1.0):
    """A patrol of `hours` ending a minute ago, inside grid A1."""
    start = timezone.now() - timedelta(hours=hours, minutes=1)
    points = loop(start, hours, every=60)
    patrol, _created = services.patrol_start(actor=worker, now=start)
    services.patrol_points_add(actor=worker, patrol_id=patrol.pk, batch_id="b", points=points)
    return services.patrol_stop(actor=worker, patrol_id=patrol.pk)


def test_the_grid_workers_today_page_shows_their_day(gw, home):
    patrol_today(gw.tree.worker_a1)
    page = text(client_of("worker_a1").get("/gridwork/"))
    assert "今日网格工作" in page and "仙霞路第一网格" in page
    assert "1小时00分" in page  # time in grid today
    assert "开始巡查" in page
    assert home.address in page and "张**" in page and "从未走访" in page  # the visit due, the name masked
    assert 'id="today-deliveries"' in page and 'id="today-orders"' in page and 'id="today-tasks"' in page
    # the navigation and the home page lead here
    assert 'href="/gridwork/"' in text(client_of("worker_a1").get("/"))


def test_a_community_head_gets_the_overview_and_the_weekly_report(gw):
    patrol_today(gw.tree.worker_a1, hours=4.2)
    overview = text(client_of("head_a").get("/gridwork/"))
    assert "今日巡查" in overview and "4小时在格周报" in overview
    report = text(client_of("head_a").get("/gridwork/four-hours/"))
    assert 'data-worker="worker_a1"' in report and 'data-worker="worker_a2"' in report
    assert "王网格" in report
    other = text(client_of("head_b").get("/gridwork/four-hours/"))
    assert "王网格" not in other and 'data-worker="worker_b1"' in other


def test_a_resident_of_no_post_is_told_what_the_pages_are_for(gw):
    from tests.factories import UserFactory

    UserFactory(username="nobody")
    response = client_of("nobody").get("/gridwork/")
    assert response.status_code == 403 and "网格员、网格长" in response.content.decode()
    assert client_of("nobody").get("/gridwork/patrol/").status_code == 403


def test_the_patrol_page_gives_the_script_its_grid_and_api(gw):
    page = text(client_of("worker_a1").get("/gridwork/patrol/"))
    assert 'id="gw-map-config"' in page and "/api/v1/gridwork/patrols" in page and "仙霞路第一网格" in page
    assert 'id="patrol-start"' in page and "gridwork-patrol.js" in page


def test_patrol_records_and_the_track_page(gw):
    patrol = patrol_today(gw.tree.worker_a1)
    mine = text(client_of("worker_a1").get("/gridwork/patrols/"))
    assert f'href="/gridwork/patrols/{patrol.pk}/"' in mine
    detail = text(client_of("head_a").get(f"/gridwork/patrols/{patrol.pk}/"))
    assert (
        "1小时00分" in detail and "仙霞路第一网格" in detail and f"/api/v1/gridwork/patrols/{patrol.pk}/track" in detail
    )
    assert client_of("worker_a2").get(f"/gridwork/patrols/{patrol.pk}/").status_code == 404
    assert client_of("head_b").get(f"/gridwork/patrols/{patrol.pk}/").status_code == 404
    assert f"/gridwork/patrols/{patrol.pk}/" not in text(client_of("head_b").get("/gridwork/patrols/"))


def test_recording_a_visit_from_the_due_list(gw, home):
    worker = client_of("worker_a1")
    due = text(worker.get("/gridwork/visits/"))
    assert f'href="/gridwork/households/{home.pk}/visit/"' in due
    form = text(worker.get(f"/gridwork/households/{home.pk}/visit/"))
    assert home.address in form
    assert "张**" in form and "独居老人" in form and "张老伯" not in form  # who lives there, the name masked
    # the household's file and each member's file are one tap away, and open for the grid worker
    assert f'href="/registry/households/{home.pk}/"' in form
    assert worker.get(f"/registry/households/{home.pk}/").status_code == 200
    member = home.residents.first()
    assert f'href="/registry/residents/{member.pk}/edit/"' in form
    assert worker.get(f"/registry/residents/{member.pk}/edit/").status_code == 200
    # a visit without what was found is refused, with the field named, and nothing written
    refused = worker.post(f"/gridwork/households/{home.pk}/visit/", {"kind": "care", "met": "1", "risk_level": "none"})
    assert refused.status_code == 422 and not HomeVisit.objects.exists()
    saved = worker.post(
        f"/gridwork/households/{home.pk}/visit/",
        {"kind": "care", "met": "1", "findings": "老人身体尚好", "risk_level": "low", "risks": "电线老化",
         "key": "visit-key-0001"},
        follow=True,
    )  # fmt: skip
    assert "走访已登记" in text(saved) and "电线老化" in saved.content.decode()
    visit = HomeVisit.objects.get()
    assert visit.visitor == gw.tree.worker_a1 and visit.kind == "care"
    assert "没有超期未走访的关爱对象" in text(worker.get("/gridwork/visits/"))
    # the same form sent again (a double tap) is the same visit
    worker.post(
        f"/gridwork/households/{home.pk}/visit/",
        {"kind": "care", "met": "1", "findings": "老人身体尚好", "risk_level": "none", "key": "visit-key-0001"},
    )
    assert HomeVisit.objects.count() == 1
    assert client_of("head_b").get(f"/gridwork/visits/{visit.pk}/").status_code == 404
    assert client_of("worker_b1").get(f"/gridwork/households/{home.pk}/visit/").status_code == 404


def test_writing_the_community_log(gw):
    worker = client_of("worker_a1")
    today = timezone.localdate()
    response = worker.post("/gridwork/log/", {"day": str(today), "weather": "晴", "content": "巡查发现 2 处积水"})
    assert response.status_code == 302
    assert CommunityLog.objects.get().content == "巡查发现 2 处积水"
    too_old = worker.post("/gridwork/log/", {"day": str(today - timedelta(days=5)), "content": "补记"})
    assert too_old.status_code == 422 and "今天或昨天" in too_old.content.decode()
    assert "巡查发现 2 处积水" in text(client_of("head_a").get("/gridwork/log/"))
    assert "巡查发现 2 处积水" not in text(client_of("head_b").get("/gridwork/log/"))


def test_a_found_problem_from_the_form_to_a_work_order(gw):
    worker = client_of("worker_a1")
    assert "上报为工单" in text(worker.get("/gridwork/problems/new/"))
    response = worker.post(
        "/gridwork/problems/new/",
        {"description": "路面塌陷约半米", "lon": "118.703", "lat": "32.004", "action": "raise_work_order",
         "key": "problem-key-001"},
        follow=True,
    )  # fmt: skip
    page = text(response)
    problem = FoundProblem.objects.get()
    order = WorkOrder.objects.get()
    assert problem.work_order == order and order.source == "patrol"
    assert order.number in page and "已转工单" in page
    # solved on the spot without saying how: refused on the form, nothing written
    refused = worker.post("/gridwork/problems/new/", {"description": "垃圾桶满溢", "action": "solve_on_spot"})
    assert refused.status_code == 422 and "处理说明" in refused.content.decode()
    assert FoundProblem.objects.count() == 1


def test_the_leader_puts_a_problem_on_the_council_agenda_and_the_council_decides(gw):
    problem = services.problem_record(actor=gw.tree.worker_a1, description="小区停车难", action="pass_to_leader")
    leader = client_of("leader_a")
    assert "小区停车难" in text(leader.get("/gridwork/problems/?tab=leader"))
    leader.post(f"/gridwork/problems/{problem.pk}/act/", {"action": "put_on_agenda", "note": "需居民协商"})
    agenda = text(leader.get("/gridwork/council/"))
    assert "小区停车难" in agenda
    when = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    planned = leader.post(
        "/gridwork/council/plan/", {"grid_code": gw.tree.grid_a1.code, "scheduled_at": when, "place": "议事厅"}
    )
    meeting = CouncilMeeting.objects.get()
    assert planned.status_code == 302 and meeting.items.count() == 1
    held = leader.post(
        f"/gridwork/council/{meeting.pk}/hold/",
        {"minutes": "议定错时停车", "attendees": "居民代表 6 人", f"outcome_{problem.pk}": "resolved",
         f"decision_{problem.pk}": "与学校错时共享车位"},
        follow=True,
    )  # fmt: skip
    assert "议事结果已记录" in text(held)
    problem.refresh_from_db()
    assert problem.status == "resolved"
    assert "小区停车难" not in text(client_of("head_b").get("/gridwork/council/"))


def test_the_head_gives_a_guide_task_and_the_worker_completes_it(guide):
    head = client_of("head_a")
    due = timezone.localdate() + timedelta(days=5)
    assert "060201" in text(head.get("/gridwork/guide/"))
    response = head.post(
        "/gridwork/tasks/", {"task_code": "060201", "grids": [guide.tree.grid_a1.code], "due_on": str(due)}
    )
    assert response.status_code == 302
    task = GuideAssignment.objects.get()
    worker = client_of("worker_a1")
    assert f"/gridwork/tasks/{task.pk}/" in text(worker.get("/gridwork/tasks/"))
    worker.post(f"/gridwork/tasks/{task.pk}/act/", {"action": "complete", "note": "巡查 4 小时", "version": "1"})
    task.refresh_from_db()
    assert task.status == "completed"
    assert client_of("worker_a2").get(f"/gridwork/tasks/{task.pk}/").status_code == 404
    # a bad assignment is explained and writes nothing
    bad = head.post("/gridwork/tasks/", {"task_code": "999999", "grids": [guide.tree.grid_a1.code], "due_on": str(due)})
    assert bad.status_code == 422 and "没有事项" in bad.content.decode() and GuideAssignment.objects.count() == 1


def test_leave_asked_approved_and_the_partner_told(gw):
    today = timezone.localdate()
    worker = client_of("worker_a2")
    worker.post("/gridwork/leaves/", {"starts_on": str(today), "ends_on": str(today), "kind": "sick", "reason": "看病"})
    leave = Leave.objects.get()
    page = text(client_of("leader_a").get("/gridwork/leaves/"))
    assert "看病" in page and 'id="to-decide"' in page
    client_of("leader_a").post(f"/gridwork/leaves/{leave.pk}/act/", {"action": "approve"})
    leave.refresh_from_db()
    assert leave.status == "approved"
    partner = text(client_of("worker_a1").get("/gridwork/leaves/"))
    assert "AB岗顶岗" in partner and "仙霞路第二网格" in partner
    assert "看病" not in text(client_of("head_b").get("/gridwork/leaves/"))


def test_every_page_answers_in_english_too(gw):
    client = client_of("worker_a1")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = text(client.get("/gridwork/"))
    assert "Today's grid work" in page and "Start patrol" in page
