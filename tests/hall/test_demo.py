"""The demo district's service centres: a centre with counters in every street, clerks at work, and weeks of history
that make the statistics page alive on first start (the clock stands at Monday 2026-09-28 09:00)."""

from collections import Counter
from datetime import date, timedelta
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db.models import Count, Max

from civicgrid.hall import services, statistics
from civicgrid.hall.choices import APPLICATION_TRANSITIONS, TICKET_TRANSITIONS, ApplicationStatus, TicketStatus
from civicgrid.hall.models import (
    Application,
    ApplicationEvent,
    Centre,
    DailyFigure,
    Delivery,
    FigureDay,
    Notice,
    Rating,
    ServiceItem,
    Ticket,
    TicketEvent,
)
from civicgrid.hall.models import (
    Counter as Window,
)
from civicgrid.people.models import User
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region

pytestmark = pytest.mark.django_db
TODAY = date(2026, 9, 28)


@pytest.fixture
def small_gulou(capsys) -> str:
    call_command("demo", scale="small")
    return capsys.readouterr().out


def test_every_street_has_a_centre_with_counters_hours_clerks_and_the_catalogue(small_gulou):
    streets = Region.objects.filter(level=Level.STREET)
    centres = {c.street_id: c for c in Centre.objects.all()}
    assert set(centres) == set(streets.values_list("pk", flat=True))
    assert ServiceItem.objects.count() == 66
    for centre in centres.values():
        counters = list(Window.objects.filter(centre=centre))
        assert 4 <= len(counters) <= 6
        assert centre.hours == [["08:30", "12:00"], ["13:30", "17:30"]] and centre.extended_hours
        assert centre.address.startswith("南京市鼓楼区") and centre.phone.startswith("025-")
        assert len({c.pad_key for c in counters}) == len(counters)  # every rating pad has its own key
        s = centre.street.code[-3:]
        for number in range(1, len(counters) + 1):
            assert User.objects.filter(username=f"s{s}.clerk{number}").exists()
    # it is Monday 09:00: the centres are open and their clerks are signed in at the counters
    assert Window.objects.filter(clerk__isnull=False).count() == Window.objects.count()
    assert "hall: 服务中心 2 个" in small_gulou
    # a second run adds nothing
    before = (Ticket.objects.count(), Application.objects.count(), Rating.objects.count())
    call_command("demo", scale="small")
    assert (Ticket.objects.count(), Application.objects.count(), Rating.objects.count()) == before


def test_the_history_has_the_turns_of_a_real_service_centre(small_gulou):
    tickets = list(Ticket.objects.all())
    assert 400 <= len(tickets) <= 1500
    days = {t.day for t in tickets}
    assert min(days) >= TODAY - timedelta(days=14) and max(days) == TODAY
    statuses = Counter(t.status for t in tickets)
    assert statuses[TicketStatus.DONE] > 0.85 * len(tickets) and statuses[TicketStatus.NO_SHOW] > 0
    # this morning's queue: residents at the counters
    assert {t.status for t in tickets if t.day == TODAY} & {TicketStatus.CALLED, TicketStatus.SERVING}
    assert all(
        t.status in (TicketStatus.DONE, TicketStatus.NO_SHOW, TicketStatus.CANCELLED) for t in tickets if t.day < TODAY
    )
    # numbers: per centre, day and group, from 1 without a gap; a live kiosk continues after them
    series = Counter((t.centre_id, t.day, t.group_id) for t in tickets)
    for (centre, day, group), count in series.items():
        numbers = sorted(t.number for t in tickets if (t.centre_id, t.day, t.group_id) == (centre, day, group))
        assert numbers == list(range(1, count + 1))
    centre = Centre.objects.order_by("code").first()
    live = services.ticket_issue(actor=None, centre_code=centre.code, group_code="A")
    today = [t.number for t in tickets if (t.centre_id, t.day, t.group_id) == (centre.pk, TODAY, live.group_id)]
    assert live.number == 1 + max(today, default=0)
    # timelines: each step allowed from the status before it, in time order, ending in the ticket's status
    events: dict[int, list[TicketEvent]] = {}
    for event in TicketEvent.objects.order_by("created_at", "id"):
        events.setdefault(event.ticket_id, []).append(event)
    for ticket in tickets:
        steps = events[ticket.pk]
        assert steps[0].action == "issue" and all(a.created_at <= b.created_at for a, b in pairwise(steps))
        status = TicketStatus.WAITING
        for step in steps[1:]:
            target, _parties = TICKET_TRANSITIONS[status][step.action]
            status = status if target == "same" else target
        assert status == ticket.status, ticket.code
        if ticket.status == TicketStatus.DONE:
            assert ticket.wait_seconds is not None and ticket.handle_seconds and ticket.handle_seconds < 2 * 3600
    waits = [t.wait_seconds for t in tickets if t.wait_seconds is not None]
    assert 60 < sum(waits) / len(waits) < 40 * 60  # minutes, not seconds nor hours


def test_the_applications_cover_every_path_and_the_ratings_are_mostly_good(small_gulou):
    applications = list(Application.objects.all())
    statuses = Counter(a.status for a in applications)
    assert set(statuses) >= {
        ApplicationStatus.INCOMPLETE,
        ApplicationStatus.FORWARDED,
        ApplicationStatus.IN_REVIEW,
        ApplicationStatus.COMPLETED,
        ApplicationStatus.PICKED_UP,
        ApplicationStatus.DELIVERED,
    }
    assert statuses[ApplicationStatus.PICKED_UP] > len(applications) / 4
    # one-time notices, and residents who came back with what they listed
    assert Notice.objects.count() == sum(1 for a in applications if a.notice_issued)
    assert any(a.visit_count == 2 and a.notice_issued for a in applications)
    # forwarded ones decided on the calendar: some late, with the overdue mark on their timeline
    decided = [a for a in applications if a.due_at and a.decided_at]
    assert (decided and any(a.decided_on_time is False for a in decided)) or any(a.is_overdue for a in applications)
    assert ApplicationEvent.objects.filter(action="mark_overdue", actor__isnull=True, actor_label="系统").exists()
    # remote handling from a community station, proxies with the resident's consent, deliveries with proof
    assert any(a.channel == "remote_station" for a in applications)
    assert all(a.consent_method for a in applications if a.proxy_relation)
    assert Delivery.objects.filter(status="delivered").exclude(proof_kind="").exists()
    for application in applications[:200]:
        steps = list(ApplicationEvent.objects.filter(application=application).order_by("created_at", "id"))
        assert steps[0].action == "accept" and steps[-1].to_status == application.status
        for step in steps[1:]:
            assert step.action in APPLICATION_TRANSITIONS[step.from_status], (application.number, step.action)
    # ratings: mostly 4 and 5, each by a served ticket at its counter
    scores = Counter(Rating.objects.values_list("score", flat=True))
    assert sum(scores.values()) > 100 and (scores[4] + scores[5]) / sum(scores.values()) > 0.75
    assert set(scores) <= {1, 2, 3, 4, 5}


def test_the_statistics_page_is_alive_and_read_from_the_roll_up(small_gulou):
    admin = User.objects.get(username="admin")
    figures = statistics.statistics(actor=admin, start=TODAY - timedelta(days=14), end=TODAY, by="centre")
    total = figures.total
    assert len(figures.rows) == 2
    assert total.tickets > 400 and total.applications > 300 and total.ratings > 100
    assert 0 < total.wait_minutes < 40 and 5 < total.handle_minutes < 30
    assert 0.5 < total.on_time_rate <= 1 and 0.6 < total.one_trip_rate < 1 and total.average_score > 4
    # every past day is rolled up (today is read live)
    rolled = FigureDay.objects.filter(day__lt=TODAY)
    assert rolled.count() > 10 and all(d.version == d.rolled_version for d in rolled)
    assert not FigureDay.objects.filter(day=TODAY).exists()
    by_day = DailyFigure.objects.filter(dimension="centre").values("centre").annotate(n=Count("id"), last=Max("day"))
    assert all(row["last"] == TODAY - timedelta(days=1) or row["last"] < TODAY for row in by_day)
