"""The grid worker's phone in a real browser with a simulated position: start a patrol, walk across the edge of the
grid (losing the network for a while on the way), stop, and see the track and the time in grid; record a home visit.
Then the community head reads the weekly 4-hour report and the patrol's track on a desktop.

Screenshots of every screen are kept in test-artifacts/browser/gridwork-*.png."""

import pytest

from civicgrid.gridwork.models import HomeVisit, Patrol, TrackBatch
from tests.browser.conftest import screenshot
from tests.browser.test_map import log_in
from tests.factories import Tree
from tests.registry.conftest import id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
START = (118.7097, 32.0050)  # in grid A1, 30 m west of its border with A2
STEP = 0.00002  # about 1.9 m east per position: a walk, whatever the browser's timing


def phone(chromium):
    context = chromium.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        geolocation={"longitude": START[0], "latitude": START[1], "accuracy": 8},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("dialog", lambda dialog: dialog.accept())
    return context, page


def household_in_a1(tree) -> int:
    from civicgrid.registry import services as registry

    registry.codes_load(actor=None)
    building = registry.building_create(
        actor=tree.admin, grid_code=tree.grid_a1.code, name="1幢", address="仙霞路 8 号", floors_above=6
    )
    home = registry.household_create(actor=tree.admin, building_id=building.pk, entrance="1", room="301")
    registry.resident_register(
        actor=tree.admin, household_id=home.pk, name="张老伯", id_number=id_number(birth="19440305"),
        relation="02", tags=["elderly_alone"],
    )  # fmt: skip
    return home.pk


def walk(context, page, steps: int, start: int) -> None:
    for n in range(start, start + steps):
        context.set_geolocation({"longitude": START[0] + n * STEP, "latitude": START[1], "accuracy": 8})
        page.wait_for_timeout(700)


def test_a_grid_worker_patrols_across_the_grid_edge_offline_and_back_then_visits_a_household(chromium, live_server):
    tree = Tree()
    household = household_in_a1(tree)
    context, page = phone(chromium)
    log_in(page, live_server, "worker_a1")
    # today: the grid on the map, the patrol button, the old man due for a visit
    page.click("text=今日网格工作")
    page.wait_for_selector("#gw-map[data-ready=true]")
    assert "从未走访" in page.inner_text("#today-visits")
    screenshot(page, "gridwork-today.png")

    # start the patrol and walk east: 16 positions in A1, then on across the border into A2
    page.click("#today-patrol >> text=开始巡查")
    page.wait_for_selector("#gw-map[data-ready=true]")
    page.click("#patrol-start")
    page.wait_for_selector("#patrol[data-state=active]")
    walk(context, page, 10, 1)
    # the network drops: the positions wait on the phone
    context.set_offline(True)
    walk(context, page, 12, 11)
    page.wait_for_selector("#gw-status.offline")
    assert "保存在手机上" in page.inner_text("#gw-status")
    screenshot(page, "gridwork-patrol-offline.png")
    # back online: the queue goes up; a few more steps, then stop
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    walk(context, page, 8, 23)
    page.wait_for_selector("#patrol[data-queued='0']", timeout=30_000)
    screenshot(page, "gridwork-patrol.png")
    page.click("#patrol-stop")
    page.wait_for_url(f"{live_server.url}/gridwork/patrols/*/")
    page.wait_for_selector("#gw-map[data-ready=true]")

    # the patrol is closed with every position once, part of the walk inside A1 counted
    patrol = Patrol.objects.get()
    assert patrol.status == "closed"
    sent = sum(batch.count for batch in TrackBatch.objects.filter(patrol=patrol))
    assert patrol.point_count == sent and patrol.verdicts["duplicate"] == 0
    assert 0 < patrol.seconds_in_grid < patrol.tracked_seconds  # the steps in A2 do not count
    assert page.get_attribute("#gw-map", "data-stretches") == "1"
    assert page.locator("path.leaflet-interactive").count() >= 2  # the grid and the track
    figures = page.inner_text("#patrol-figures")
    assert "秒" in figures or "分" in figures
    assert "仙霞路第一网格" in page.inner_text("#grid-times")
    screenshot(page, "gridwork-patrol-detail.png")

    # record a home visit to the old man
    page.goto(f"{live_server.url}/gridwork/visits/")
    page.click(f"a[href='/gridwork/households/{household}/visit/']")
    page.check("input[name=kind][value=care]")
    page.fill("textarea[name=findings]", "老人独居，身体尚可，冰箱食物充足")
    page.fill("textarea[name=needs]", "希望社区帮忙预约上门理发")
    page.fill("textarea[name=risks]", "燃气软管老化")
    page.check("input[name=risk_level][value=medium]")
    screenshot(page, "gridwork-visit-form.png")
    page.click("#save-visit")
    page.wait_for_selector("text=走访已登记")
    assert "燃气软管老化" in page.inner_text("#visit")
    visit = HomeVisit.objects.get()
    assert visit.household_id == household and visit.risk_level == "medium"
    screenshot(page, "gridwork-visit.png")

    # a problem settled on the spot, and the day's community log
    context.set_geolocation({"longitude": 118.7052, "latitude": 32.0061, "accuracy": 8})  # back inside A1
    page.goto(f"{live_server.url}/gridwork/problems/new/")
    page.fill("textarea[name=description]", "3 幢楼道堆放纸箱，堵塞消防通道")
    page.click("#locate")
    page.wait_for_selector("#location-text:has-text('当前位置')")
    page.check("input[name=action][value=solve_on_spot]")
    page.fill("textarea[name=note]", "联系住户当场清理")
    screenshot(page, "gridwork-problem-form.png")
    page.click("#save-problem")
    page.wait_for_selector("#problem-status:has-text('现场解决')")
    screenshot(page, "gridwork-problem.png")
    page.goto(f"{live_server.url}/gridwork/log/")
    page.fill("textarea[name=content]", "上午巡查仙霞路一带，楼道杂物已清理；张老伯燃气软管需更换。")
    page.click("#log-form button.primary")
    page.wait_for_selector("text=民情日记已保存")
    screenshot(page, "gridwork-log.png")
    context.close()


def test_the_community_head_reads_the_week_and_a_track(chromium, live_server):
    from datetime import timedelta

    from django.utils import timezone

    from civicgrid.gridwork import services
    from civicgrid.people.choices import Role
    from tests.factories import staff
    from tests.gridwork.conftest import loop

    tree = Tree()
    staff(Role.COMMUNITY_HEAD, tree.community_a, username="head_a", full_name="仙霞路书记")
    start = timezone.now() - timedelta(hours=4, minutes=20)
    patrol, _created = services.patrol_start(actor=tree.worker_a1, now=start)
    services.patrol_points_add(
        actor=tree.worker_a1, patrol_id=patrol.pk, batch_id="day", points=loop(start, 4.25, every=30)
    )
    services.patrol_stop(actor=tree.worker_a1, patrol_id=patrol.pk)
    context = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    log_in(page, live_server, "head_a")
    page.click("text=4小时在格周报")
    page.wait_for_selector("#week-table")
    row = page.inner_text("tr[data-worker=worker_a1]")
    assert "王网格" in row and "4." in row
    screenshot(page, "gridwork-four-hours.png")
    page.click("text=巡查记录 >> nth=0")
    page.click(f"a[href='/gridwork/patrols/{patrol.pk}/']")
    page.wait_for_selector("#gw-map[data-ready=true]")
    assert "4小时" in page.inner_text("#seconds-in-grid")
    screenshot(page, "gridwork-track-desktop.png")
    # the council's agenda, guide tasks and leave
    problem = services.problem_record(
        actor=tree.worker_a1, description="小区停车位不足，车辆乱停", action="pass_to_leader"
    )
    services.problem_act(actor=tree.leader_a, problem_id=problem.pk, action="put_on_agenda", note="需居民协商")
    page.click(".gw-tabs >> text=议事会")
    assert "小区停车位不足" in page.inner_text("#agenda")
    screenshot(page, "gridwork-council.png")
    services.guide_load(actor=None)
    page.goto(f"{live_server.url}/gridwork/guide/")
    page.click("#guide summary >> nth=1")
    screenshot(page, "gridwork-guide.png")
    page.click("#task-010101 >> text=布置")
    page.check("input[name=grids] >> nth=0")
    page.fill("input[name=due_on]", (timezone.localdate() + timedelta(days=7)).isoformat())
    page.click("#assign-form button.primary")
    page.wait_for_selector("text=已布置给 1 个网格")
    screenshot(page, "gridwork-tasks.png")
    context.close()
