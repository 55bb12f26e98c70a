"""Each figure's definition on hand-built work orders, with the clock fixed on 2026-12-04 (docs/figures.md).

November 2026 is the period unless a test says otherwise; orders lie in 仙霞路第一网格 (street 宁海路, A) or
湖北路第一网格 (street 湖南路, B).
"""

from datetime import date

import pytest

from civicgrid.command import figures
from civicgrid.command.templatetags.command import format_value
from civicgrid.core.errors import ValidationError
from civicgrid.workorders.choices import Source, Status, Supervision
from tests.command.conftest import closed_order, order

pytestmark = pytest.mark.django_db

NOV = (date(2026, 11, 1), date(2026, 11, 30))


def whole(tree, start=NOV[0], end=NOV[1], **kwargs):
    """The district's November figures as the district administrator sees them."""
    return figures.summary(tree.admin, start, end, "region", region=tree.district, **kwargs).total


def shown(counts, key):
    kpi = figures.KPI_BY_KEY[key]
    return format_value(kpi.value(counts), kpi.kind)


# ---------------------------------------------------------------- the due cohort


def test_two_orders_due_in_november_one_closed_on_time_one_overdue(tree):
    # given two orders due in November: one handled and closed before its deadline, one never handled
    closed_order(tree.grid_a1, due="2026-11-10T17:30", handled="2026-11-09T15:00", closed="2026-11-10T09:00")
    order(tree.grid_a1, Status.SIGNED, dispatched="2026-11-05T10:00", due="2026-11-12T17:30", is_overdue=True)
    # when the district's November figures are computed
    total = whole(tree)
    # then half was closed, half on time, half overdue
    assert total.due == 2
    assert shown(total, "close_rate") == "50.0%"
    assert shown(total, "on_time_close_rate") == "50.0%"
    assert shown(total, "overdue_rate") == "50.0%"
    assert shown(total, "handling_rate") == "50.0%"
    assert shown(total, "on_time_handling_rate") == "50.0%"


def test_an_order_handled_late_is_closed_but_not_on_time_and_counts_as_overdue(tree):
    # given an order due on 10 November, handled on the 12th and closed on the 13th
    closed_order(tree.grid_a1, due="2026-11-10T17:30", handled="2026-11-12T11:00", closed="2026-11-13T09:00")
    total = whole(tree)
    # then it is closed (close rate 100 %) but neither on time nor within the handling deadline
    assert shown(total, "close_rate") == "100.0%"
    assert shown(total, "on_time_close_rate") == "0.0%"
    assert shown(total, "overdue_rate") == "100.0%"


def test_handled_on_time_but_not_yet_verified_is_handled_not_closed(tree):
    # given an order handled before its deadline, still waiting for the on-site check
    order(
        tree.grid_a1,
        Status.HANDLED,
        dispatched="2026-11-03T10:00",
        due="2026-11-06T17:30",
        handled="2026-11-05T16:00",
        handled_on_time=True,
    )
    total = whole(tree)
    assert shown(total, "handling_rate") == "100.0%"
    assert shown(total, "on_time_handling_rate") == "100.0%"
    assert shown(total, "overdue_rate") == "0.0%"
    assert shown(total, "close_rate") == "0.0%"


def test_an_order_is_due_in_the_month_of_its_deadline_not_of_its_report(tree):
    # given an order reported in October whose deadline fell in November, and one reported in November due in December
    closed_order(tree.grid_a1, reported="2026-10-30T09:00", due="2026-11-03T17:30", handled="2026-11-03T10:00")
    order(tree.grid_a1, Status.DISPATCHED, reported="2026-11-30T16:00", due="2026-12-02T17:30")
    # then November has one order due, reported once; December one due
    november = whole(tree)
    assert (november.due, november.reported) == (1, 1)
    december = whole(tree, date(2026, 12, 1), date(2026, 12, 31))
    assert december.due == 1


def test_a_deadline_still_ahead_is_not_due_yet(tree, clock):
    # given the 15th of November and an open order due on the 20th
    clock.set("2026-11-15T10:00")
    order(tree.grid_a1, Status.DISPATCHED, dispatched="2026-11-14T10:00", due="2026-11-20T17:30")
    # then nothing is due so far this month, so the rates have no value (shown as "—", never 0 % or 100 %)
    total = whole(tree)
    assert total.due == 0
    assert total.value("close_rate") is None
    assert shown(total, "close_rate") == "—"
    assert figures.composite(total) is None
    # and once the deadline has passed it is due (and overdue, as it was not handled)
    clock.set("2026-11-21T09:00")
    total = whole(tree)
    assert total.due == 1 and shown(total, "overdue_rate") == "100.0%"


def test_suspended_voided_and_merged_orders_are_never_due(tree):
    order(tree.grid_a1, Status.SUSPENDED, dispatched="2026-11-03T10:00", due="2026-11-05T17:30")
    order(tree.grid_a1, Status.VOIDED, due="2026-11-05T17:30")
    order(tree.grid_a1, Status.MERGED, due="2026-11-05T17:30")
    total = whole(tree)
    assert total.due == 0 and total.reported == 3


def test_an_order_solved_on_the_spot_is_due_and_closed_on_time_when_it_is_closed(tree):
    # given a grid worker's report solved on the spot (no handling deadline) and an order closed late
    order(
        tree.grid_a1,
        Status.CLOSED,
        solved_on_spot=True,
        registered="2026-11-04T10:00",
        dispatched="2026-11-04T10:00",
        handled="2026-11-04T10:00",
        closed="2026-11-04T10:00",
        reported="2026-11-04T10:00",
        handled_on_time=True,
        closed_on_time=True,
    )
    closed_order(tree.grid_a1, due="2026-11-10T17:30", handled="2026-11-11T09:00")
    total = whole(tree)
    assert total.due == 2
    assert shown(total, "on_time_close_rate") == "50.0%"
    # it is registered but never dispatched, and half of November's reports were solved on the spot
    assert (total.reported, total.registered, total.dispatched) == (2, 2, 1)
    assert shown(total, "on_spot_share") == "50.0%"


def test_rework_extension_and_return_rates_count_due_orders_that_went_through_them_at_least_once(tree):
    closed_order(tree.grid_a1, due="2026-11-10T17:30", handled="2026-11-09T10:00", rework_count=2)
    closed_order(tree.grid_a1, due="2026-11-11T17:30", handled="2026-11-10T10:00", extension_count=1)
    closed_order(tree.grid_a1, due="2026-11-12T17:30", handled="2026-11-11T10:00", return_count=1)
    closed_order(tree.grid_a1, due="2026-11-13T17:30", handled="2026-11-12T10:00")
    total = whole(tree)
    assert total.due == 4
    assert shown(total, "rework_rate") == "25.0%"
    assert shown(total, "extension_rate") == "25.0%"
    assert shown(total, "return_rate") == "25.0%"


# ---------------------------------------------------------------- the reported cohort


def test_reported_registered_and_dispatched_are_counted_by_the_time_of_report(tree):
    # given four reports in November: one voided, one registered, one dispatched then returned, one dispatched
    order(tree.grid_a1, Status.VOIDED)
    order(tree.grid_a1, Status.REGISTERED, registered="2026-11-02T10:00")
    order(tree.grid_a1, Status.REGISTERED, registered="2026-11-02T10:00", return_count=1)
    order(tree.grid_a1, Status.DISPATCHED, registered="2026-11-02T10:00", dispatched="2026-11-02T11:00")
    # and one reported on 31 October, registered in November
    order(tree.grid_a1, Status.REGISTERED, reported="2026-10-31T23:59", registered="2026-11-01T08:00")
    total = whole(tree)
    assert (total.reported, total.registered, total.dispatched) == (4, 3, 1)


def test_the_period_runs_from_local_midnight_to_local_midnight(tree):
    # 2026-11-30 23:59 in Shanghai is 15:59 UTC: still November; 2026-12-01 00:00 is not
    order(tree.grid_a1, reported="2026-11-30T23:59")
    order(tree.grid_a1, reported="2026-12-01T00:00")
    order(tree.grid_a1, reported="2026-11-01T00:00")
    assert whole(tree).reported == 2


def test_supervision_counts_the_highest_level_each_november_report_reached(tree):
    order(tree.grid_a1, Status.DISPATCHED, supervision=Supervision.YELLOW)
    order(tree.grid_a1, Status.DISPATCHED, supervision=Supervision.RED)
    order(tree.grid_a1, Status.DISPATCHED, supervision=Supervision.RED)
    order(tree.grid_a1, Status.DISPATCHED)
    total = whole(tree)
    assert (total.supervised_yellow, total.supervised_red) == (1, 2)


# ---------------------------------------------------------------- the closed cohort


def test_average_handling_time_is_wall_clock_hours_from_dispatch_to_handling_of_orders_closed_in_the_period(tree):
    closed_order(tree.grid_a1, due="2026-11-20T17:30", dispatched="2026-11-02T10:00", handled="2026-11-02T12:00")
    closed_order(tree.grid_a1, due="2026-11-20T17:30", dispatched="2026-11-02T10:00", handled="2026-11-02T14:00")
    # closed in December: not November's
    closed_order(
        tree.grid_a1,
        due="2026-12-20T17:30",
        dispatched="2026-11-02T10:00",
        handled="2026-11-30T10:00",
        closed="2026-12-01T09:00",
    )
    total = whole(tree)
    assert total.closed == 2
    assert shown(total, "avg_handling_hours") == "3.0"


def test_satisfaction_is_four_and_five_stars_among_rated_orders_closed_in_the_period(tree):
    for rating in (5, 4, 3):
        closed_order(
            tree.grid_a1, due="2026-11-20T17:30", handled="2026-11-05T10:00", status=Status.RATED, rating=rating
        )
    closed_order(tree.grid_a1, due="2026-11-20T17:30", handled="2026-11-05T10:00")  # not rated: not in the base
    total = whole(tree)
    assert (total.rated, total.satisfied) == (3, 2)
    assert shown(total, "satisfaction_rate") == "66.7%"


def test_no_ratings_means_no_satisfaction_value_and_the_composite_uses_the_rest(tree):
    closed_order(tree.grid_a1, due="2026-11-10T17:30", handled="2026-11-09T10:00")
    total = whole(tree)
    assert total.value("satisfaction_rate") is None
    # on-time close 100 %, close 100 %, no rework: 100 on the three weighted components that have a value
    assert figures.composite(total) == pytest.approx(100.0)


# ---------------------------------------------------------------- grouping and drill-down


@pytest.fixture
def two_streets(tree):
    """Street A: 3 due (2 closed on time); street B: 1 due, overdue. Water handles A's, police B's."""
    from civicgrid.people.models import Department

    water = Department.objects.create(code="320106-water", name="水务局", region=tree.district)
    police = Department.objects.create(code="320106-police", name="公安分局", region=tree.district)
    closed_order(tree.grid_a1, due="2026-11-10T17:30", handled="2026-11-09T10:00", department=water)
    closed_order(tree.grid_a2, due="2026-11-10T17:30", handled="2026-11-09T10:00", department=water)
    order(tree.grid_a2, Status.SIGNED, due="2026-11-11T17:30", department=water, source=Source.PATROL)
    order(tree.grid_b1, Status.SIGNED, due="2026-11-11T17:30", department=police, source=Source.HOTLINE)
    return water, police


def test_the_district_groups_by_street_and_the_rows_add_up_to_the_whole(tree, two_streets):
    result = figures.summary(tree.admin, *NOV, "region", region=tree.district)
    assert [(row.label, row.code, row.counts.due) for row in result.rows] == [
        ("宁海路街道", "320106001", 3),
        ("湖南路街道", "320106003", 1),
    ]
    assert [shown(row.counts, "close_rate") for row in result.rows] == ["66.7%", "0.0%"]
    assert result.total.due == 4 and shown(result.total, "close_rate") == "50.0%"


def test_drilling_down_from_a_street_to_its_communities_and_grids(tree, two_streets):
    street = figures.summary(tree.admin, *NOV, "region", region=tree.street_a)
    assert [(row.label, row.level, row.counts.due) for row in street.rows] == [("仙霞路社区", "community", 3)]
    community = figures.summary(tree.admin, *NOV, "region", region=tree.community_a)
    assert [(row.label, row.level, row.counts.due) for row in community.rows] == [
        ("仙霞路第一网格", "grid", 1),
        ("仙霞路第二网格", "grid", 2),
    ]
    # the district straight down to its grids, for a ranking of grids
    grids = figures.summary(tree.admin, *NOV, "region", region=tree.district, level="grid")
    assert [row.code for row in grids.rows] == [
        tree.grid_a1.code,
        tree.grid_a2.code,
        tree.grid_b1.code,
    ]
    # a grid is the bottom: its own figures
    grid = figures.summary(tree.admin, *NOV, "region", region=tree.grid_a2)
    assert [(row.label, row.counts.due) for row in grid.rows] == [("仙霞路第二网格", 2)]


def test_grouping_by_department_source_category_and_type(tree, two_streets):
    by_department = figures.summary(tree.admin, *NOV, "department", region=tree.district)
    assert [(row.label, row.counts.due) for row in by_department.rows] == [("公安分局", 1), ("水务局", 3)]
    by_source = figures.summary(tree.admin, *NOV, "source", region=tree.district)
    assert [(row.label, row.counts.reported) for row in by_source.rows] == [
        ("网格员巡查", 1),
        ("居民上报", 2),
        ("热线电话", 1),
    ]
    by_type = figures.summary(tree.admin, *NOV, "type", region=tree.district)
    assert [(row.label, row.counts.reported) for row in by_type.rows] == [("待分类", 4)]
    by_category = figures.summary(tree.admin, *NOV, "category", region=tree.district)
    assert [row.label for row in by_category.rows] == ["待分类"]


def test_filters_narrow_every_figure(tree, two_streets):
    water, _police = two_streets
    result = figures.summary(
        tree.admin, *NOV, "region", region=tree.district, filters=figures.Filters(department=water.code)
    )
    assert result.total.due == 3
    patrol = figures.summary(tree.admin, *NOV, "region", region=tree.district, filters=figures.Filters(source="patrol"))
    assert patrol.total.reported == 1


def test_a_street_b_officer_computes_nothing_of_street_a(tree, two_streets):
    # given the officer of 湖南路 (B), asking for the district's figures with no region
    result = figures.summary(tree.officer_b, *NOV, "region", region=None)
    # then only B's one order is counted
    assert result.total.due == 1
    by_department = figures.summary(tree.officer_b, *NOV, "department", region=tree.street_b)
    assert [(row.label, row.counts.due) for row in by_department.rows] == [("公安分局", 1)]


# ---------------------------------------------------------------- rankings


def rows_with(due_and_closed: dict[str, tuple[int, int]]) -> list[figures.Row]:
    rows = []
    for code, (due, closed) in due_and_closed.items():
        counts = figures.Counts(due=due, due_closed=closed, due_closed_on_time=closed, due_handled_on_time=closed)
        rows.append(figures.Row(code, f"单位{code}", counts, code))
    return rows


def test_ranking_shares_ranks_on_ties_and_leaves_tiny_units_unranked():
    rows = rows_with({"a": (10, 9), "b": (20, 18), "c": (10, 5), "d": (2, 2), "e": (0, 0)})
    ranked = figures.ranking(rows, "close_rate", min_due=5)
    assert [(item.row.code, item.rank) for item in ranked] == [
        ("b", 1),  # 90.0 %, more due orders first among equals
        ("a", 1),  # 90.0 %: the same rank
        ("c", 3),  # 50.0 %: third, not second
        ("d", None),  # 100 % on 2 orders: listed, not ranked
        ("e", None),  # 0/0: no value
    ]


def test_the_rows_that_are_not_units_are_listed_but_never_ranked():
    rows = rows_with({"a": (10, 9)})
    rows.append(figures.Row(None, "无承办部门", figures.Counts(due=30, due_closed=30), ""))
    ranked = figures.ranking(rows, "close_rate", min_due=5)
    assert [(item.row.label, item.rank) for item in ranked] == [("单位a", 1), ("无承办部门", None)]


def test_a_lower_is_better_figure_ranks_the_lowest_first():
    rows = rows_with({"a": (10, 9), "b": (10, 5)})
    ranked = figures.ranking(rows, "overdue_rate", min_due=5)
    assert [(item.row.code, item.rank, format_value(item.value, "rate")) for item in ranked] == [
        ("a", 1, "10.0%"),
        ("b", 2, "50.0%"),
    ]


def test_ranking_by_an_unknown_figure_is_refused():
    with pytest.raises(ValidationError):
        figures.ranking([], "reported")


# ---------------------------------------------------------------- trend and periods


def test_the_trend_puts_each_cohort_in_the_bucket_of_its_own_timestamp(tree):
    closed_order(
        tree.grid_a1,
        reported="2026-10-28T09:00",
        due="2026-11-03T17:30",
        handled="2026-11-03T10:00",
        closed="2026-11-04T09:00",
    )
    order(tree.grid_a1, reported="2026-11-16T09:00")
    order(tree.grid_a1, reported="2026-11-01T00:30")  # still 31 October in UTC: the local day counts
    monthly = figures.trend(tree.admin, date(2026, 10, 1), date(2026, 11, 30), "month", region=tree.district)
    assert [(b.start, b.reported, b.closed, b.due, b.close_rate) for b in monthly] == [
        (date(2026, 10, 1), 1, 0, 0, None),
        (date(2026, 11, 1), 2, 1, 1, 1.0),
    ]
    weekly = figures.trend(tree.admin, *NOV, "week", region=tree.district)
    assert weekly[0].start == date(2026, 10, 26)  # the Monday of the week holding 1 November
    assert sum(b.reported for b in weekly) == 2 and sum(b.closed for b in weekly) == 1
    daily = {b.start: b for b in figures.trend(tree.admin, *NOV, "day", region=tree.district)}
    assert len(daily) == 30
    assert (daily[date(2026, 11, 1)].reported, daily[date(2026, 11, 16)].reported) == (1, 1)
    assert (daily[date(2026, 11, 3)].due, daily[date(2026, 11, 4)].closed) == (1, 1)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2026, 11, 30), date(2026, 11, 1), "结束日期早于开始日期"),
        (date(2020, 1, 1), date(2026, 11, 30), "最长 3 年"),
    ],
)
def test_a_bad_period_is_refused_with_a_clear_message(tree, start, end, message):
    with pytest.raises(ValidationError, match=message):
        figures.summary(tree.admin, start, end, region=tree.district)


def test_an_unknown_filter_or_grouping_is_refused(tree):
    with pytest.raises(ValidationError, match="来源"):
        figures.summary(tree.admin, *NOV, filters=figures.Filters(source="pigeon"))
    with pytest.raises(ValidationError, match="分组"):
        figures.summary(tree.admin, *NOV, "weather")
    with pytest.raises(ValidationError):
        figures.summary(tree.admin, *NOV, region=tree.street_a, level="street")


def test_the_default_period_is_the_current_month(tree):
    assert figures.period(None, None) == figures.Period(date(2026, 12, 1), date(2026, 12, 31))


def test_numbers_are_written_as_chinese_offices_write_them():
    assert format_value(1234567, "count") == "1,234,567"
    assert format_value(0.12345, "rate") == "12.3%"
    assert format_value(None, "rate") == "—"
    assert format_value(12.345, "hours") == "12.3"
