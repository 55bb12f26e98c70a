"""The rating pad, the centre's statistics and the monthly window-staff scores with their Excel export."""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from civicgrid.core.models import AuditEntry
from civicgrid.hall import services, statistics
from civicgrid.hall.choices import ApplicationAction, TicketAction
from civicgrid.hall.models import Rating
from tests.hall.conftest import rid

pytestmark = pytest.mark.django_db

A = ApplicationAction


def rate(counter, ticket, score: int = 5, **fields):
    return services.rating_submit(pad_key=counter.pad_key, ticket_id=ticket.pk, score=score, **fields)


def act(ticket, action, clerk):
    return services.ticket_act(actor=clerk, ticket_id=ticket.pk, action=action)


# ---------------------------------------------------------------- the rating pad


def test_a_served_resident_rates_on_the_pad_and_the_rating_is_tied_to_everything(hall):
    ticket = hall.serving()
    application = hall.accept("0101", ticket_id=ticket.pk)
    rating = rate(hall.counter_a1, ticket, 5, reasons=["friendly", "efficient"], comment="很耐心")
    assert rating.ticket == ticket and rating.application == application
    assert rating.counter == hall.counter_a1 and rating.clerk == hall.clerk_a1 and rating.centre == hall.centre_a
    assert AuditEntry.objects.filter(action="rating.submit", region_path=hall.centre_a.region_path).count() == 1


def test_a_ticket_never_served_cannot_be_rated(hall):
    hall.sign_in()
    waiting = hall.ticket("A")
    with pytest.raises(TransitionNotAllowed, match="A001号尚未办理（等候中），不能评价"):
        rate(hall.counter_a1, waiting)
    called = services.call_next(actor=hall.clerk_a1, counter_id=hall.counter_a1.pk)
    with pytest.raises(TransitionNotAllowed, match="尚未办理（已叫号）"):
        rate(hall.counter_a1, called)
    act(called, TicketAction.NO_SHOW, hall.clerk_a1)
    with pytest.raises(TransitionNotAllowed, match="过号"):
        rate(hall.counter_a1, called)
    assert not Rating.objects.exists()


def test_a_ticket_is_rated_once(hall):
    ticket = hall.serving()
    rate(hall.counter_a1, ticket, 4)
    with pytest.raises(Conflict, match="已经评价过了"):
        rate(hall.counter_a1, ticket, 1)
    assert Rating.objects.get().score == 4


def test_a_pad_rates_only_its_own_counters_tickets_and_only_with_a_valid_key(hall):
    ticket = hall.serving()
    with pytest.raises(ValidationError, match="不是在2号窗口办理的"):
        rate(hall.counter_a2, ticket)
    with pytest.raises(NotFound, match="评价器未登记"):
        services.rating_submit(pad_key="no-such-pad", ticket_id=ticket.pk, score=5)
    with pytest.raises(NotFound):  # centre B's pad does not reach centre A's tickets
        rate(hall.counter_b1, ticket)
    services.pad_key_rotate(actor=hall.manager_a, counter_id=hall.counter_a1.pk)
    with pytest.raises(NotFound):
        rate(hall.counter_a1, ticket)  # the old key (still in memory) no longer works
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"score": 0}, "1 到 5 星"),
        ({"score": 6}, "1 到 5 星"),
        ({"reasons": ["bribery"]}, "评价标签"),
        ({"comment": "好" * 201}, "200 字"),
    ],
)
def test_bad_ratings_are_refused(hall, fields, message):
    ticket = hall.serving()
    values = {"score": 5, **fields}
    with pytest.raises(ValidationError, match=message):
        services.rating_submit(pad_key=hall.counter_a1.pad_key, ticket_id=ticket.pk, **values)
    assert not Rating.objects.exists()


# ---------------------------------------------------------------- statistics


@pytest.fixture
def morning(hall, clock):
    """A morning at centre A, every time known:

    counter 1 (clerk a1): A001 issued 09:00, called 09:10, on-the-spot 0101 completed, finished 09:16, rated 5;
                          A002 issued 09:16, called 09:36, 0201 forwarded (completed by the back office at 10:00),
                          finished 09:46, rated 4; A003 issued 09:46, called 09:50, no-show.
    counter 2 (clerk a2): A004 issued 09:50, called 09:55, a consultation (no application), finished 09:59, rated 3.
    the community station: a 0201 application with a one-time notice, still waiting for materials.
    """
    c1, c2 = hall.counter_a1, hall.counter_a2
    hall.sign_in(hall.clerk_a1, c1)
    hall.sign_in(hall.clerk_a2, c2)
    t1 = hall.ticket("A")
    clock.set("2026-09-28T09:10")
    services.call_next(actor=hall.clerk_a1, counter_id=c1.pk)
    app1 = hall.accept("0101", ticket_id=t1.pk)
    services.application_act(actor=hall.clerk_a1, number=app1.number, action=A.COMPLETE_ON_SPOT)
    clock.set("2026-09-28T09:16")
    act(t1, TicketAction.FINISH, hall.clerk_a1)
    t2 = hall.ticket("A")
    clock.set("2026-09-28T09:36")
    services.call_next(actor=hall.clerk_a1, counter_id=c1.pk)
    app2 = hall.accept("0201", ticket_id=t2.pk, id_number=rid("19700101", "456"))
    services.application_act(actor=hall.clerk_a1, number=app2.number, action=A.FORWARD)
    clock.set("2026-09-28T09:46")
    act(t2, TicketAction.FINISH, hall.clerk_a1)
    t3 = hall.ticket("A")
    clock.set("2026-09-28T09:50")
    called = services.call_next(actor=hall.clerk_a1, counter_id=c1.pk)
    act(called, TicketAction.NO_SHOW, hall.clerk_a1)
    t4 = hall.ticket("A")
    clock.set("2026-09-28T09:55")
    services.call_next(actor=hall.clerk_a2, counter_id=c2.pk)
    act(t4, TicketAction.START, hall.clerk_a2)
    clock.set("2026-09-28T09:59")
    act(t4, TicketAction.FINISH, hall.clerk_a2)
    rate(c1, t1, 5)
    rate(c1, t2, 4)
    rate(c2, t4, 3)
    clock.set("2026-09-28T10:00")
    for step in (A.START_REVIEW, A.COMPLETE):
        services.application_act(actor=hall.back_office_a, number=app2.number, action=step)
    app3 = hall.accept("0201", materials=["01"], clerk=hall.station_a, id_number=rid("19660606", "789"))
    services.application_act(actor=hall.station_a, number=app3.number, action=A.ISSUE_NOTICE)
    return {"tickets": (t1, t2, t3, t4), "applications": (app1, app2, app3)}


DAY = date(2026, 9, 28)


def test_statistics_by_counter_give_waits_handling_no_shows_on_time_one_trip_and_ratings(hall, morning):
    figures = statistics.statistics(actor=hall.manager_a, start=DAY, end=DAY, by="counter")
    rows = {row.key: row for row in figures.rows}
    one, two = rows[hall.counter_a1.pk], rows[hall.counter_a2.pk]
    assert "1号窗口" in one.label
    assert (one.tickets, one.served, one.no_shows) == (3, 2, 1)
    assert one.wait_minutes == round((600 + 1200 + 240) / 3 / 60, 1)
    assert one.handle_minutes == 8.0  # (6 + 10) / 2
    assert (one.applications, one.decided, one.on_time_rate, one.one_trip_rate) == (2, 2, 1.0, 1.0)
    assert (one.ratings, one.average_score, one.satisfaction_rate) == (2, 4.5, 1.0)
    assert (two.tickets, two.served, two.wait_minutes, two.handle_minutes) == (1, 1, 5.0, 4.0)
    assert (two.applications, two.average_score, two.satisfaction_rate) == (0, 3.0, 0.0)
    total = figures.total
    assert (total.tickets, total.applications, total.ratings) == (4, 3, 3)
    assert total.one_trip_rate == pytest.approx(2 / 3)  # the station's resident must come back once more
    assert total.no_show_rate == 0.25


def test_statistics_by_clerk_and_by_item(hall, morning):
    by_clerk = {r.key: r for r in statistics.statistics(actor=hall.manager_a, start=DAY, end=DAY, by="clerk").rows}
    assert by_clerk[hall.clerk_a1.pk].label == "周窗口" and by_clerk[hall.clerk_a1.pk].applications == 2
    assert by_clerk[hall.station_a.pk].one_trip_rate == 0.0
    by_item = {r.label: r for r in statistics.statistics(actor=hall.manager_a, start=DAY, end=DAY, by="item").rows}
    assert by_item["0101 就业创业证申领"].average_score == 5.0
    assert by_item["0201 最低生活保障申请"].applications == 2
    assert by_item["0201 最低生活保障申请"].on_time_rate == 1.0
    by_day = statistics.statistics(actor=hall.manager_a, start=DAY, end=DAY, by="day").rows
    assert [(r.label, r.tickets, r.applications, r.ratings) for r in by_day] == [("2026-09-28", 4, 3, 3)]


def test_the_monthly_scores_follow_the_documented_formula(hall, morning):
    scores = statistics.window_scores(actor=hall.manager_a, centre_code=hall.centre_a.code, month=DAY)
    by_name = {s.clerk.username: s for s in scores.rows}
    assert scores.mean_workload == pytest.approx(1.3, abs=0.05) and scores.centre_average_score == 4.0
    a1, a2, station = by_name["clerk_a1"], by_name["clerk_a2"], by_name["station_a"]
    assert (a1.workload, a2.workload, station.workload) == (2, 1, 1)
    assert (a1.quantity_points, a2.quantity_points) == (40.0, 30.0)
    assert (a1.quality_points, station.quality_points) == (30.0, 15.0)
    assert a1.adjusted_score == pytest.approx((9 + 5 * 4.0) / 7, abs=0.01)
    assert a1.total == 93.6 and a1.grade == "优秀" and a1.rank == 1
    assert a2.total == 81.2 and a2.grade == "良好"
    assert station.total == 67.5 and station.grade == "合格" and station.rank == 3


def test_the_scores_export_to_excel_and_the_export_is_audited(hall, morning):
    name, data = services.scores_export(actor=hall.manager_a, centre_code=hall.centre_a.code, month=DAY)
    assert name.endswith("202609-window-scores.xlsx")
    workbook = load_workbook(BytesIO(data))
    assert workbook.sheetnames == ["窗口人员月度考核", "按窗口", "按人员", "按事项"]
    sheet = workbook["窗口人员月度考核"]
    assert "2026年09月" in sheet["A1"].value and "2026-09-01 至 2026-09-30" in sheet["A2"].value
    assert "宁海路主任" in sheet["A3"].value
    names = [row[1] for row in sheet.iter_rows(min_row=7, values_only=True)]
    assert names == ["周窗口", "吴窗口", "仙霞路工作站"]
    entry = AuditEntry.objects.get(action="hall.scores.export")
    assert entry.actor == hall.manager_a and entry.after == {"month": "2026-09", "clerks": 3}


def test_statistics_are_for_the_manager_the_street_and_the_district_only(hall, morning):
    with pytest.raises(PermissionDenied):
        statistics.statistics(actor=hall.clerk_a1, start=DAY, end=DAY, centre_code=hall.centre_a.code)
    with pytest.raises(NotFound):
        statistics.statistics(actor=hall.manager_b, start=DAY, end=DAY, centre_code=hall.centre_a.code)
    assert statistics.statistics(actor=hall.tree.officer_a, start=DAY, end=DAY).total.tickets == 4
    everything = statistics.statistics(actor=hall.tree.admin, start=DAY, end=DAY, by="centre")
    assert {c.code for c in everything.centres} == {hall.centre_a.code, hall.centre_b.code}
    assert statistics.statistics(actor=hall.manager_b, start=DAY, end=DAY).total.tickets == 0
    with pytest.raises(ValidationError, match="结束日期"):
        statistics.statistics(actor=hall.manager_a, start=DAY, end=date(2026, 9, 1))
    with pytest.raises(ValidationError, match="统计维度"):
        statistics.statistics(actor=hall.manager_a, start=DAY, end=DAY, by="weather")
