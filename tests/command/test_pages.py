"""The figures page and its Excel export as district and street staff use them; who may open them; isolation."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from civicgrid.core.models import AuditEntry
from civicgrid.people.choices import Role
from civicgrid.workorders.choices import Status
from tests.command.conftest import closed_order, logged_in, order
from tests.factories import give_post, staff

pytestmark = pytest.mark.django_db

NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture
def november(tree):
    """Street A: two due, one closed on time; street B: one due, closed late."""
    closed_order(tree.grid_a1, due="2026-11-10T17:30", handled="2026-11-09T15:00")
    order(tree.grid_a2, Status.SIGNED, dispatched="2026-11-05T10:00", due="2026-11-12T17:30")
    closed_order(tree.grid_b1, due="2026-11-10T17:30", handled="2026-11-11T15:00")


def test_the_district_administrator_sees_cards_charts_and_the_table_by_street(tree, november):
    response = logged_in("admin").get("/command/figures/", NOVEMBER)
    assert response.status_code == 200
    page = response.content.decode()
    # the cards, the charts' holders and the table with one row per street and the whole
    for words in ("结案率", "按期结案率", "超期率", "满意率", "平均处置时长", 'id="cmd-trend"', 'id="cmd-sources"'):
        assert words in page
    table = response.context["result"]
    assert [row.label for row in table.rows] == ["宁海路街道", "湖南路街道"]
    assert "66.7%" in page  # the district's close rate: 2 of 3
    assert "?start=2026-11-01&amp;end=2026-11-30&amp;region=320106001" in page  # drill-down keeps the period
    assert "echarts.min.js" in page and "cmd-charts-data" in page


def test_the_group_tabs_swap_only_the_table(tree, november):
    client = logged_in("admin")
    response = client.get(
        "/command/figures/",
        {**NOVEMBER, "group_by": "source"},
        headers={"HX-Request": "true", "HX-Target": "cmd-table"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="cmd-table"')
    assert "<html" not in body and "居民上报" in body


def test_a_street_officer_sees_their_street_drills_to_its_grids_and_nothing_else(tree, november):
    client = logged_in("officer_a")
    page = client.get("/command/figures/", {**NOVEMBER, "level": "grid"})
    assert page.status_code == 200
    assert [row.label for row in page.context["result"].rows] == ["仙霞路第一网格", "仙霞路第二网格"]
    assert "湖南路" not in page.content.decode()
    # the other street is out of reach: the same 404 as an unknown region
    assert client.get("/command/figures/", {"region": tree.street_b.code}).status_code == 404
    assert client.get("/command/figures/", {"region": "999999999"}).status_code == 404
    assert client.get("/command/figures/export/", {"region": tree.street_b.code}).status_code == 404


def test_a_street_b_officer_sees_none_of_street_a_in_the_page_the_partial_or_the_export(tree, november):
    client = logged_in("officer_b")
    for headers in ({}, {"HX-Request": "true", "HX-Target": "cmd-table"}):
        for group_by in ("region", "department", "source"):
            body = client.get("/command/figures/", {**NOVEMBER, "group_by": group_by}, headers=headers)
            text = body.content.decode()
            assert body.status_code == 200
            assert "宁海路" not in text and "仙霞路" not in text and "320106001" not in text
    workbook = load_workbook(io.BytesIO(client.get("/command/figures/export/", NOVEMBER).content))
    cells = " ".join(str(c.value) for row in workbook["指标"].iter_rows() for c in row if c.value is not None)
    assert "湖南路" in cells and "宁海路" not in cells


@pytest.mark.parametrize("username", ["worker_a1", "police_a1"])
def test_grid_staff_may_not_open_the_command_pages(tree, username):
    client = logged_in(username)
    for url in ("/command/figures/", "/command/figures/export/", "/command/map/", "/command/map/live.json"):
        assert client.get(url).status_code == 403, url


def test_a_stranger_is_asked_to_log_in(tree):
    response = Client().get("/command/figures/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-11-30", "end": "2026-11-01", "preset": "custom"}, "结束日期早于开始日期"),
        ({"start": "2020-01-01", "end": "2026-11-30", "preset": "custom"}, "最长 3 年"),
        ({"start": "2026-13-45", "preset": "custom"}, "有效的日期"),
        ({"min_due": "0"}, "1"),
        ({"source": "pigeon"}, "pigeon"),
        ({"category": "nope"}, "nope"),
    ],
)
def test_bad_input_gets_a_clear_message_and_no_figures(tree, params, message):
    response = logged_in("admin").get("/command/figures/", params)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert "result" not in response.context or response.context["result"] is None


def test_the_export_is_the_table_on_screen_with_a_header_and_an_audit_row(tree, november):
    # when the district administrator exports November by street, ranked by close rate
    response = logged_in("admin").get("/command/figures/export/", {**NOVEMBER, "kpi": "close_rate", "min_due": "1"})
    # then they get a workbook named after the region and the period
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert (
        "attachment" in response["Content-Disposition"] and "20261101-20261130.xlsx" in response["Content-Disposition"]
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["指标", "排名", "指标口径"]
    sheet = book["指标"]
    header = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=2, max_row=8)}
    assert header["统计区域"] == "鼓楼区（320106）"
    assert header["统计期间"] == "2026-11-01 至 2026-11-30"
    assert header["分组"] == "区域"
    assert header["筛选条件"] == "无"
    assert header["导出人"] == "区管理员（admin）"
    assert header["导出时间"] == "2026-12-04 10:00"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=10)]
    titles = rows[0]
    assert titles[:2] == ["名称", "代码"]
    assert rows[1][:2] == ["宁海路街道", "320106001"]
    assert rows[2][:2] == ["湖南路街道", "320106003"]
    assert rows[3][0] == "合计"
    close_rate = titles.index("结案率")
    assert rows[1][close_rate] == pytest.approx(0.5) and rows[3][close_rate] == pytest.approx(2 / 3, abs=1e-4)
    assert sheet.cell(row=11, column=close_rate + 1).number_format == "0.0%"
    satisfaction = titles.index("满意率")
    assert rows[1][satisfaction] == "—"  # nobody rated: no value, not 0 %
    ranking = [[c.value for c in row] for row in book["排名"].iter_rows(min_row=2)]
    assert [row[:2] for row in ranking] == [[1, "湖南路街道"], [2, "宁海路街道"]]
    # and the audit log says who took which table
    entry = AuditEntry.objects.get(action="figures.export")
    assert entry.actor == tree.admin
    assert entry.region_path == tree.district.path
    assert entry.after == {"period": "2026-11-01 至 2026-11-30", "group_by": "region", "filters": {}, "rows": 2}


def test_the_export_names_its_filters(tree, november):
    response = logged_in("admin").get("/command/figures/export/", {**NOVEMBER, "source": "resident"})
    sheet = load_workbook(io.BytesIO(response.content))["指标"]
    header = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=2, max_row=8)}
    assert header["筛选条件"] == "来源：居民上报"
    assert AuditEntry.objects.get(action="figures.export").after["filters"] == {"来源": "居民上报"}


def test_the_navigation_and_home_page_offer_the_command_centre_to_those_who_may_use_it(tree):
    admin_home = logged_in("admin").get("/").content.decode()
    assert "/command/map/" in admin_home and "/command/figures/" in admin_home
    worker_home = logged_in("worker_a1").get("/").content.decode()
    assert "/command/" not in worker_home


def test_an_officer_of_two_streets_starts_at_the_district_and_sees_both_streets_only(tree, november):
    both = staff(Role.STREET_OFFICER, tree.street_a, username="two_streets")
    give_post(both, Role.STREET_OFFICER, tree.street_b)
    client = logged_in("two_streets")
    page = client.get("/command/figures/", NOVEMBER)
    assert page.status_code == 200
    assert page.context["region"] == tree.district
    assert [row.label for row in page.context["result"].rows] == ["宁海路街道", "湖南路街道"]
    # the district itself is not theirs to browse, so the map draws no district grid layer but still works
    map_page = client.get("/command/map/")
    assert map_page.status_code == 200 and map_page.context["map_config"]["gridsUrl"] == ""
    assert client.get("/command/map/live.json").status_code == 200
