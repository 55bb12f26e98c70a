"""The command centre in a real browser: the operator dispatches a new report from the map with one click; the
district administrator reads the figures with their charts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.workorders import services
from civicgrid.workorders.choices import Source, Status
from civicgrid.workorders.models import WorkOrder
from tests.browser.conftest import screenshot
from tests.browser.test_map import log_in
from tests.command.conftest import closed_order, order
from tests.factories import Tree
from tests.workorders.conftest import IN_A1, Linkage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_operator_dispatches_a_new_report_from_the_map_with_one_click(page, live_server):
    linkage = Linkage(Tree())
    # given a resident's new report of a blocked drain in 仙霞路第一网格
    report = services.report(
        actor=None,
        source=Source.RESIDENT,
        lon=IN_A1[0],
        lat=IN_A1[1],
        incident_type_code="0201",
        description="小区东门下水道堵塞，污水漫到人行道上",
        address="宁海路12号",
        reporter_phone="13912345678",
    )
    # when the street's operator opens the command map
    log_in(page, live_server, "operator_a")
    page.click("nav.nav >> text=指挥地图")
    page.wait_for_selector("#cmd-map[data-ready=true]")
    # then the report is a marker waiting for dispatch, and a row of the list beside the map
    marker = page.locator(f'.leaflet-marker-pane span[data-number="{report.number}"]')
    assert marker.get_attribute("data-status") == "reported"
    assert "cmd-s-waiting" in marker.get_attribute("class")
    row = page.locator(f'#cmd-list li[data-number="{report.number}"]')
    assert "下水道堵塞" in row.inner_text() and "13912345678" not in page.content()
    assert page.inner_text('#cmd-situation [data-key="waiting"]') == "1"
    screenshot(page, "command-map.png")
    # when they click the marker, the popup names the suggested department, and they click 派遣 once
    marker.click()
    page.wait_for_selector(".cmd-popup .cmd-dispatch")
    assert "水务局" in page.inner_text(".cmd-popup")
    screenshot(page, "command-map-popup.png")
    page.click(".cmd-popup .cmd-dispatch button")
    # then the order is dispatched to the water department, and the marker and the popup say so
    page.wait_for_selector(".cmd-flash")
    report.refresh_from_db()
    assert report.status == Status.DISPATCHED and report.department == linkage.water
    page.wait_for_selector(f'.leaflet-marker-pane span[data-number="{report.number}"][data-status="dispatched"]')
    assert "已派遣" in page.inner_text(".cmd-popup")
    assert page.inner_text('#cmd-situation [data-key="waiting"]') == "0"
    screenshot(page, "command-map-dispatched.png")


def test_the_list_beside_the_map_focuses_a_marker_and_the_filters_survive_the_refresh(chromium, live_server):
    Linkage(Tree())
    first = services.report(
        actor=None,
        source=Source.RESIDENT,
        lon=IN_A1[0],
        lat=IN_A1[1],
        incident_type_code="0201",
        description="下水道堵塞",
    )
    services.report(
        actor=None,
        source=Source.APP,
        lon=IN_A1[0] + 0.002,
        lat=IN_A1[1],
        incident_type_code="0901",
        description="店招广告牌松动",
    )
    # an operator on a phone
    context = chromium.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    phone = context.new_page()
    phone.set_default_timeout(15_000)
    log_in(phone, live_server, "operator_a")
    phone.goto(f"{live_server.url}/command/map/")
    phone.wait_for_selector("#cmd-map[data-markers='2']")
    # when they tap the drain's row, its popup opens on the map
    phone.tap(f'#cmd-list li[data-number="{first.number}"]')
    phone.wait_for_selector(f'.cmd-popup[data-number="{first.number}"]')
    screenshot(phone, "command-map-phone.png")
    # and a filter narrows markers and list at once and stays in the address for the next refresh
    phone.click(".cmd-map-filters summary")  # folded on a phone
    phone.select_option("select[name=type]", "0901")
    phone.wait_for_selector("#cmd-map[data-markers='1']")
    assert "type=0901" in phone.url
    assert phone.locator("#cmd-list li[data-number]").count() == 1
    context.close()


def test_the_district_administrator_reads_the_figures_with_their_charts(page, live_server):
    tree = Tree()
    now = timezone.localtime()

    def ago(days: float) -> str:
        return (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")

    for grid, late in ((tree.grid_a1, False), (tree.grid_a2, True), (tree.grid_b1, False), (tree.grid_b2, False)):
        for n in range(3):
            closed_order(
                grid,
                reported=ago(9 + n),
                registered=ago(9 + n),
                dispatched=ago(9 + n),
                due=ago(4 + n),
                handled=ago(3 + n if late else 5 + n),
                closed=ago(2 + n),
                source=Source.PATROL if n else Source.RESIDENT,
                status=Status.RATED,
                rating=5 - n,
            )
    order(tree.grid_b1, Status.SIGNED, reported=ago(6), dispatched=ago(6), due=ago(1), is_overdue=True)
    start, end = (now - timedelta(days=29)).date(), now.date()
    log_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/command/figures/?preset=30d")
    page.wait_for_selector("body[data-charts-ready=true]")
    # the cards, the trend, the sources and the ranking are drawn (ECharts draws on canvas)
    for chart in ("#cmd-trend", "#cmd-sources", "#cmd-ranking-chart"):
        assert page.locator(f"{chart} canvas").count() == 1, chart
    assert page.inner_text(".cmd-card-due b") == "13"
    assert f"统计期间 {start:%Y-%m-%d} 至 {end:%Y-%m-%d}" in page.inner_text("main")
    screenshot(page, "command-figures.png")
    # the department tab swaps the table (htmx) and the address follows; the street row drills down to grids
    page.click(".cmd-tabs >> text=来源")
    page.wait_for_selector(".cmd-tabs a[aria-current=page]:has-text('来源')")
    assert "group_by=source" in page.url
    assert "网格员巡查" in page.inner_text("table.cmd-figures")
    assert page.locator("#cmd-ranking-chart canvas").count() == 1
    page.click(".cmd-tabs >> text=区域")
    page.wait_for_selector(".cmd-tabs a[aria-current=page]:has-text('区域')")
    page.click("table.cmd-figures >> text=宁海路街道")
    page.wait_for_selector("h1:has-text('宁海路街道')")
    assert "仙霞路社区" in page.inner_text("table.cmd-figures")
    screenshot(page, "command-figures-street.png")
    assert WorkOrder.objects.count() == 13
