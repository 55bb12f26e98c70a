"""The 4-hour rule as a weekly report: per worker, grid and community, for the community head's jurisdiction."""

from datetime import timedelta

import pytest

from civicgrid.gridwork import selectors, services
from civicgrid.gridwork.choices import DayState
from tests.gridwork.conftest import CENTRE_A2, MONDAY, at, loop, patrol_of

pytestmark = pytest.mark.django_db
FRIDAY = MONDAY + timedelta(days=4)


def day_patrol(worker, day, hours: float, centre) -> None:
    """A patrol from 08:30 walking round a square inside the grid for `hours` (a point every minute)."""
    patrol_of(worker, loop(at(day, 8, 30), hours, centre=centre, every=60))


def week(report, username):
    return next(w for w in report.workers if w.worker.username == username)


def test_the_week_shows_who_met_the_four_hours_on_every_working_day(gw):
    tree = gw.tree
    # given worker A1 patrols 4 h 10 min in A1 every working day, and worker A2 only 3 hours on Tuesday
    for n in range(5):
        day_patrol(tree.worker_a1, MONDAY + timedelta(days=n), 4 + 1 / 6, (118.705, 32.005))
    day_patrol(tree.worker_a2, MONDAY + timedelta(days=1), 3, CENTRE_A2)
    # when the community head reads the week's report on the next Monday
    report = selectors.four_hour_report(
        actor=gw.head_a, week_start=MONDAY + timedelta(days=2), today=MONDAY + timedelta(days=7)
    )
    # then it is the week of Monday 1 June, of community A's two grid workers only
    assert report.week_start == MONDAY and len(report.days) == 7
    assert [w.worker.username for w in report.workers] == ["worker_a1", "worker_a2"]
    a1, a2 = week(report, "worker_a1"), week(report, "worker_a2")
    assert (a1.required_days, a1.met_days, a1.missed_days, a1.week_met) == (5, 5, 0, True)
    assert a1.seconds == 5 * (4 * 3600 + 600)
    assert [d["state"] for d in a1.days] == [DayState.MET] * 5 + [DayState.REST] * 2
    assert (a2.met_days, a2.missed_days, a2.week_met) == (0, 5, False)
    assert a2.days[1]["seconds"] == 3 * 3600
    # and the community line counts one of two workers as having met the rule
    (community,) = report.communities
    assert (community.community.name, community.workers, community.met, community.share_met) == (
        "仙霞路社区",
        2,
        1,
        0.5,
    )


def test_leave_days_are_not_required_and_the_partners_time_counts_for_the_covered_grid(gw):
    tree = gw.tree
    # given worker A2 on leave on Friday, and A1 patrolling A2 for 4 hours that day (covering it)
    services.leave_request(
        actor=gw.head_a, worker_username="worker_a2", starts_on=FRIDAY, ends_on=FRIDAY, kind="sick",
        reason="看病", today=MONDAY,
    )  # fmt: skip
    for n in range(4):
        day_patrol(tree.worker_a2, MONDAY + timedelta(days=n), 4.1, CENTRE_A2)
    day_patrol(tree.worker_a1, FRIDAY, 4.1, CENTRE_A2)
    report = selectors.four_hour_report(actor=gw.head_a, week_start=MONDAY, today=MONDAY + timedelta(days=7))
    a2 = week(report, "worker_a2")
    # then A2 met every day required of them (Friday was leave)
    assert a2.days[4]["state"] == DayState.LEAVE
    assert (a2.required_days, a2.met_days, a2.week_met) == (4, 4, True)
    # and grid A2 was looked after on Friday too: by A1, named as the one who covered
    grid_a2 = next(g for g in report.grids if g.grid.code == tree.grid_a2.code)
    friday = grid_a2.days[4]
    assert friday["met"] and friday["covered_by"].username == "worker_a1"


def test_a_week_still_running_shows_today_as_pending_and_the_rest_as_to_come(gw):
    day_patrol(gw.tree.worker_a1, MONDAY, 4.1, (118.705, 32.005))
    day_patrol(gw.tree.worker_a1, MONDAY + timedelta(days=1), 1, (118.705, 32.005))
    report = selectors.four_hour_report(actor=gw.head_a, week_start=MONDAY, today=MONDAY + timedelta(days=1))
    a1 = week(report, "worker_a1")
    assert [d["state"] for d in a1.days[:3]] == [DayState.MET, DayState.PENDING, DayState.FUTURE]
    assert a1.on_track and not a1.week_met


def test_a_head_of_another_community_sees_nothing_of_community_a(gw):
    day_patrol(gw.tree.worker_a1, MONDAY, 4.1, (118.705, 32.005))
    report = selectors.four_hour_report(actor=gw.head_b, week_start=MONDAY, today=MONDAY + timedelta(days=7))
    assert [w.worker.username for w in report.workers] == ["worker_b1"]
    assert {g.grid.code for g in report.grids} == {gw.tree.grid_b1.code, gw.tree.grid_b2.code}
    assert [c.community.name for c in report.communities] == ["湖北路社区"]
