"""The figures over JSON: the same numbers as the page, the caller's jurisdiction only, in the OpenAPI file."""

import pytest

from civicgrid.workorders.choices import Status
from tests.command.conftest import closed_order, logged_in, order

pytestmark = pytest.mark.django_db

NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture
def november(tree):
    closed_order(tree.grid_a1, due="2026-11-10T17:30", handled="2026-11-09T15:00", status=Status.RATED, rating=5)
    order(tree.grid_a2, Status.SIGNED, dispatched="2026-11-05T10:00", due="2026-11-12T17:30")
    closed_order(tree.grid_b1, due="2026-11-10T17:30", handled="2026-11-11T15:00")


def test_the_summary_by_street_with_rates_as_fractions_and_null_for_nothing_to_divide(tree, november):
    response = logged_in("admin").get("/api/v1/figures/summary", NOVEMBER)
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {"start": "2026-11-01", "end": "2026-11-30"}
    assert body["region"] == {"code": "320106", "name": "鼓楼区", "level": "district"}
    assert body["total"]["figures"]["due"] == 3
    assert body["total"]["figures"]["close_rate"] == pytest.approx(0.6667)
    assert body["total"]["counts"]["due_closed"] == 2
    a, b = body["rows"]
    assert (a["key"], a["label"], a["level"]) == ("320106001", "宁海路街道", "street")
    assert a["figures"]["satisfaction_rate"] == 1.0
    assert b["figures"]["satisfaction_rate"] is None  # nobody rated: null, not 0
    assert b["figures"]["overdue_rate"] == 1.0


def test_the_summary_by_department_and_with_filters(tree, november):
    client = logged_in("admin")
    body = client.get("/api/v1/figures/summary", {**NOVEMBER, "group_by": "source", "source": "resident"}).json()
    assert [row["key"] for row in body["rows"]] == ["resident"]
    assert body["filters"] == {"来源": "居民上报"}
    grids = client.get("/api/v1/figures/summary", {**NOVEMBER, "level": "grid"}).json()
    assert [row["key"] for row in grids["rows"]] == [tree.grid_a1.code, tree.grid_a2.code, tree.grid_b1.code]


def test_the_ranking_and_the_trend(tree, november):
    client = logged_in("admin")
    ranking = client.get("/api/v1/figures/ranking", {**NOVEMBER, "kpi": "on_time_close_rate", "min_due": 1}).json()
    assert ranking["better"] == "high" and ranking["kpi_label"] == "按期结案率"
    assert [(i["rank"], i["label"], i["value"]) for i in ranking["items"]] == [
        (1, "宁海路街道", 0.5),
        (2, "湖南路街道", 0.0),
    ]
    unranked = client.get("/api/v1/figures/ranking", {**NOVEMBER, "min_due": 5}).json()
    assert all(item["rank"] is None for item in unranked["items"])
    trend = client.get("/api/v1/figures/trend", {"start": "2026-10-01", "end": "2026-11-30"}).json()
    assert [(b["start"], b["reported"], b["due"]) for b in trend["buckets"]] == [
        ("2026-10-01", 0, 0),
        ("2026-11-01", 3, 3),
    ]


def test_a_street_b_officer_gets_only_street_b_and_a_404_for_street_a(tree, november):
    client = logged_in("officer_b")
    body = client.get("/api/v1/figures/summary", NOVEMBER).json()
    assert body["region"]["code"] == tree.street_b.code
    assert body["total"]["figures"]["due"] == 1
    assert "宁海路" not in str(body) and "仙霞路" not in str(body)
    for endpoint in ("summary", "ranking", "trend"):
        refused = client.get(f"/api/v1/figures/{endpoint}", {"region": tree.street_a.code})
        assert refused.status_code == 404 and "不在您的管辖范围内" in refused.json()["detail"]
        by_department = client.get(f"/api/v1/figures/{endpoint}", {**NOVEMBER, "group_by": "department"})
        assert "宁海路" not in by_department.content.decode()


def test_grid_staff_get_a_403_with_a_reason(tree):
    response = logged_in("worker_a1").get("/api/v1/figures/summary")
    assert response.status_code == 403
    assert "区级管理员" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-11-30", "end": "2026-11-01"}, "结束日期早于开始日期"),
        ({"start": "2020-01-01", "end": "2026-11-30"}, "最长 3 年"),
        ({"start": "not-a-date"}, "请求参数有误"),
        ({"group_by": "weather"}, "请求参数有误"),
        ({"source": "pigeon"}, "请求参数有误"),
        ({"type": "9999"}, "事件类型 9999 不存在"),
    ],
)
def test_bad_parameters_get_a_422_with_a_readable_message(tree, params, message):
    response = logged_in("admin").get("/api/v1/figures/summary", params)
    assert response.status_code == 422
    assert message in response.json()["detail"]


@pytest.mark.parametrize("params", [{"region": "320106\x00"}, {"department": "water\x00"}])
def test_a_nul_byte_stops_at_the_door_before_the_database(tree, params):
    # PostgreSQL cannot compare a NUL byte: core.middleware refuses it for every page and endpoint
    response = logged_in("admin").get("/api/v1/figures/summary", params)
    assert response.status_code == 400 and "空字符" in response.json()["detail"]


def test_a_day_by_day_trend_over_more_than_a_year_is_refused(tree):
    response = logged_in("admin").get(
        "/api/v1/figures/trend", {"start": "2024-01-01", "end": "2025-06-30", "interval": "day"}
    )
    assert response.status_code == 422 and "按日的趋势最长一年" in response.json()["detail"]


def test_the_figures_are_in_the_openapi_file(tree):
    schema = logged_in("admin").get("/api/v1/openapi.json").json()
    for path in ("/api/v1/figures/summary", "/api/v1/figures/ranking", "/api/v1/figures/trend"):
        assert "get" in schema["paths"][path], path
    summary = schema["paths"]["/api/v1/figures/summary"]["get"]
    names = {p["name"] for p in summary["parameters"]}
    assert {"start", "end", "region", "group_by", "level", "category", "type", "source", "department"} <= names
    assert "SummaryOut" in schema["components"]["schemas"]
    figures = schema["components"]["schemas"]["FiguresOut"]["properties"]
    assert {"close_rate", "on_time_close_rate", "satisfaction_rate", "avg_handling_hours", "composite"} <= set(figures)
