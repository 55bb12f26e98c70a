"""The statistics' daily roll-up: a year is summed from stored days, and the figures stay exactly those of the live
computation, whatever changes to old days and whenever the roll-up last ran."""

from datetime import date

import pytest
from django.utils import timezone

from civicgrid.demo.hooks import DemoContext
from civicgrid.hall import demo, history, rollup, services, statistics, tasks
from civicgrid.hall.choices import ApplicationAction, ApplicationStatus, TicketAction, TicketStatus
from civicgrid.hall.models import Application, DailyFigure, FigureDay, Ticket
from civicgrid.people.choices import Role
from tests.factories import staff

pytestmark = pytest.mark.django_db

PERIODS = (
    (date(2026, 9, 1), date(2026, 9, 28)),  # the whole history and today
    (date(2026, 9, 14), date(2026, 9, 20)),  # one week, all of it rolled up
    (date(2026, 9, 18), date(2026, 9, 18)),  # one day
    (date(2026, 9, 25), date(2026, 9, 28)),  # a holiday weekend and today
)


def simulated(hall, seed: int) -> None:
    """Two weeks of both centres as the demo simulates them (random arrivals, waits, notices, returns, back-office
    decisions, deliveries, ratings), written through the history writer."""
    context = DemoContext(district=hall.tree.district, scale="small", seed=seed, password="x")
    halls = [
        demo.Hall(
            centre=hall.centre_a,
            street=hall.tree.street_a,
            counters=[hall.counter_a1, hall.counter_a2, hall.counter_a3],
            groups={hall.counter_a1.pk: frozenset(), hall.counter_a2.pk: frozenset(), hall.counter_a3.pk: {"C"}},
            clerks={hall.counter_a1.pk: "clerk_a1", hall.counter_a2.pk: "clerk_a2", hall.counter_a3.pk: "clerk_a3"},
            station="station_a",
            back_office=["backoffice_a"],
            manager="manager_a",
            grids=[hall.tree.grid_a1, hall.tree.grid_a2],
            size=6,
        ),
        demo.Hall(
            centre=hall.centre_b,
            street=hall.tree.street_b,
            counters=[hall.counter_b1],
            groups={hall.counter_b1.pk: frozenset()},
            clerks={hall.counter_b1.pk: "clerk_b"},
            station=None,
            back_office=["backoffice_b"],
            manager="manager_b",
            grids=[hall.tree.grid_b1],
            size=2,
        ),
    ]
    staff(Role.BACK_OFFICE_HANDLER, hall.tree.street_b, username="backoffice_b", full_name="湖南路后台")
    planner = demo.Planner(context, halls)
    planner.departments = {"civil_affairs": ["civil_1"]}  # the one department handler of the test world
    tickets, applications = planner.plan()
    history.history_import(actor=None, tickets=tickets, applications=applications)


def figures_of(rows, total):
    keep = {key: {name: getattr(row, name) for name in statistics.COUNTED} for key, row in rows.items()}
    keep["total"] = {name: getattr(total, name) for name in statistics.COUNTED}
    return keep


def assert_stored_equals_live(centre_ids):
    for start, end in PERIODS:
        for by in statistics.GROUPINGS:
            stored = figures_of(*statistics.figures(centre_ids, start, end, by))
            live = figures_of(*statistics.figures(centre_ids, start, end, by, stored=False))
            assert stored == live, (start, end, by)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_stored_days_give_exactly_the_live_figures(hall, clock, seed):
    simulated(hall, seed)
    ids = [hall.centre_a.pk, hall.centre_b.pk]
    assert Ticket.objects.count() > 200 and Application.objects.count() > 100
    # nothing rolled up yet: everything is live
    assert_stored_equals_live(ids)
    result = rollup.refresh()
    # every past day of both centres from the first ticket to yesterday is rolled up; today never is
    first = min(Ticket.objects.values_list("day", flat=True))
    assert result.days == 2 * (date(2026, 9, 27) - first).days + 2
    assert not FigureDay.objects.filter(day=date(2026, 9, 28)).exists()
    assert DailyFigure.objects.filter(dimension="centre").count() > 10
    assert_stored_equals_live(ids)
    # the old days change: a forwarded application decided, another marked overdue by the sweep, a result
    # picked up, a resident who never came back withdrawn
    clock.set("2026-10-09T10:00")
    waiting = list(Application.objects.filter(status=ApplicationStatus.IN_REVIEW).order_by("id")[:3])
    for application in waiting[:2]:
        reviewer = application.reviewer
        reviewer.forget_posts()
        services.application_act(actor=reviewer, number=application.number, action=ApplicationAction.COMPLETE)
    assert services.applications_sweep() > 0
    incomplete = Application.objects.filter(status=ApplicationStatus.INCOMPLETE, centre=hall.centre_a).first()
    if incomplete is not None:
        services.application_act(
            actor=hall.manager_a, number=incomplete.number, action=ApplicationAction.WITHDRAW, note="居民已不需要办理。"
        )
    stale = [d for d in FigureDay.objects.all() if d.version != d.rolled_version]
    assert stale, "changing old applications marks their days as changed"
    assert_stored_equals_live(ids)
    rollup.refresh()
    assert all(d.version == d.rolled_version for d in FigureDay.objects.filter(day__lt=date(2026, 9, 28)))
    assert_stored_equals_live(ids)


def test_a_day_is_rolled_up_only_once_its_tickets_are_closed_and_the_sweep_does_it(hall, clock):
    # Monday: a ticket left waiting at closing time
    served = hall.serving(hall.clerk_a2, hall.counter_a2)
    services.ticket_act(actor=hall.clerk_a2, ticket_id=served.pk, action=TicketAction.FINISH)
    ticket = hall.ticket("A")
    clock.set("2026-09-29T00:20")
    rollup.refresh(centre_ids=[hall.centre_a.pk])
    assert not FigureDay.objects.filter(day=date(2026, 9, 28), rolled_version__gt=0).exists()
    assert not DailyFigure.objects.filter(day=date(2026, 9, 28)).exists()  # the ticket still waits
    counts = tasks.sweep.call(reschedule=False)  # closes it, then rolls the day up
    assert counts["tickets_closed"] == 1 and counts["days_rolled_up"] >= 1
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CANCELLED
    day = FigureDay.objects.get(centre=hall.centre_a, day=date(2026, 9, 28))
    assert day.version == day.rolled_version
    row = DailyFigure.objects.get(centre=hall.centre_a, day=date(2026, 9, 28), dimension="centre")
    assert (row.tickets, row.served) == (2, 1)
    by_counter = statistics.statistics(actor=hall.manager_a, start=date(2026, 9, 28), end=date(2026, 9, 29))
    assert by_counter.total.tickets == 2


def test_a_reader_in_another_time_zone_gets_the_same_figures_computed_live(hall, clock):
    simulated(hall, 3)
    rollup.refresh()
    ids = [hall.centre_a.pk]
    start, end = date(2026, 9, 14), date(2026, 9, 27)
    with timezone.override("Asia/Shanghai"):
        same = figures_of(*statistics.figures(ids, start, end, "day"))
    with timezone.override("UTC"):
        utc = figures_of(*statistics.figures(ids, start, end, "day"))
        utc_live = figures_of(*statistics.figures(ids, start, end, "day", stored=False))
    assert utc == utc_live  # stored days are Beijing days: read elsewhere, everything is computed live
    assert same["total"]["tickets"] == utc["total"]["tickets"]  # tickets count by their own day anywhere


def test_a_year_of_statistics_reads_a_few_stored_rows(hall, clock, django_assert_max_num_queries):
    simulated(hall, 4)
    rollup.refresh()
    # a year by item: the stored rows of the rolled-up days, and today's live rows
    with django_assert_max_num_queries(12):
        figures = statistics.statistics(
            actor=hall.tree.admin, start=date(2025, 10, 1), end=date(2026, 9, 28), by="item"
        )
    assert figures.total.tickets == Ticket.objects.count()
    assert sum(row.applications for row in figures.rows) == Application.objects.count()
