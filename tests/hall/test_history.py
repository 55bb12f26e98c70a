"""Historical tickets, applications and ratings written in bulk: what the services would have recorded, numbers that
never collide with the live ones, every bad record listed and nothing written."""

from datetime import timedelta
from itertools import pairwise

import pytest

from civicgrid.core.errors import PermissionDenied
from civicgrid.core.models import AuditEntry
from civicgrid.hall import history, services
from civicgrid.hall.choices import ApplicationStatus, Channel, DeliveryStatus, TicketStatus
from civicgrid.hall.history import HistoryRejected
from civicgrid.hall.models import (
    Application,
    ApplicationEvent,
    Delivery,
    FigureDay,
    Notice,
    Rating,
    ServiceItem,
    Ticket,
    TicketEvent,
)
from tests.hall.conftest import ELDER_ID, RESIDENT, local, rid

pytestmark = pytest.mark.django_db


def at(text: str) -> str:
    return f"{text}:00+08:00"


def materials(code: str, *without: str) -> list[str]:
    names = ServiceItem.objects.get(code=code).materials.values_list("code", "name")
    return [c for c, name in names if not any(w in name for w in without)]


def served(key: str, day: str, *, clerk: str = "clerk_a1", counter: int = 1, start: str = "09:00", **extra):
    """A ticket of centre A taken, called, served and finished on `day`."""
    h, m = (int(x) for x in start.split(":"))

    def t(minutes: int) -> str:
        total = h * 60 + m + minutes
        return at(f"{day}T{total // 60:02d}:{total % 60:02d}")

    return {
        "key": key,
        "centre": "",  # filled in by the test, which knows the centre's code
        "group": "A",
        "events": [
            {"action": "issue", "at": t(0)},
            {"action": "call", "at": t(10), "actor": clerk, "counter": counter},
            {"action": "start", "at": t(11), "actor": clerk},
            {"action": "finish", "at": t(30), "actor": clerk},
        ],
        **extra,
    }


@pytest.fixture
def batch(hall):
    """Three visits and three applications of centre A in the week before the (fixed) Monday 2026-09-28 09:00."""
    code = hall.centre_a.code
    tickets = [
        served("T1", "2026-09-18", rating={"at": at("2026-09-18T09:31"), "score": 5, "reasons": ["friendly"]}),
        served("T2", "2026-09-21", clerk="clerk_a2", counter=2, start="10:00"),
        served("T3", "2026-09-23", clerk="clerk_a2", counter=2, start="14:00"),
    ]
    for ticket in tickets:
        ticket["centre"] = code
    applications = [
        {  # forwarded on a Friday: five working days counting the adjusted working Sunday, decided late
            "key": "A1",
            "centre": code,
            "item": "0107",
            "ticket": "T1",
            **RESIDENT,
            "materials": materials("0107"),
            "events": [
                {"action": "accept", "at": at("2026-09-18T09:14"), "actor": "clerk_a1"},
                {"action": "forward", "at": at("2026-09-18T09:25"), "actor": "clerk_a1"},
                {"action": "start_review", "at": at("2026-09-21T10:00"), "actor": "backoffice_a"},
                {"action": "mark_overdue", "at": at("2026-09-24T17:33"), "by": "system"},
                {"action": "complete", "at": at("2026-09-28T08:40"), "actor": "backoffice_a", "note": "准予认定。"},
                {"action": "hand_over", "at": at("2026-09-28T08:50"), "actor": "clerk_a2"},
            ],
        },
        {  # a missing photo: the one-time notice, and the resident back two days later
            "key": "A2",
            "centre": code,
            "item": "0302",
            "ticket": "T2",
            "applicant_name": "王秀英",
            "id_number": ELDER_ID,
            "materials": materials("0302", "照片"),
            "events": [
                {"action": "accept", "at": at("2026-09-21T10:12"), "actor": "clerk_a2"},
                {"action": "issue_notice", "at": at("2026-09-21T10:15"), "actor": "clerk_a2"},
                {
                    "action": "supplement",
                    "at": at("2026-09-23T14:12"),
                    "actor": "clerk_a2",
                    "counter": 2,
                    "materials": materials("0302"),
                },
                {"action": "complete_on_spot", "at": at("2026-09-23T14:20"), "actor": "clerk_a2"},
                {"action": "hand_over", "at": at("2026-09-23T14:25"), "actor": "clerk_a2"},
            ],
        },
        {  # filed from the community station, reviewed by the department, delivered home by the grid worker
            "key": "A3",
            "centre": code,
            "item": "0301",
            "applicant_name": "李德华",
            "id_number": rid("19360802", "315"),
            "phone": "13812345678",
            "address": "宁海路 12 号 3 栋 201 室",
            "grid": hall.tree.grid_a1.code,
            "result_delivery": "home",
            "materials": materials("0301"),
            "events": [
                {"action": "accept", "at": at("2026-09-14T10:00"), "actor": "station_a"},
                {"action": "forward", "at": at("2026-09-14T10:10"), "actor": "station_a"},
                {"action": "start_review", "at": at("2026-09-15T09:00"), "actor": "civil_1"},
                {"action": "complete", "at": at("2026-09-22T16:00"), "actor": "civil_1"},
                {"action": "deliver", "at": at("2026-09-23T10:00"), "actor": "worker_a1", "proof_kind": "signature"},
            ],
        },
    ]
    return tickets, applications


def test_a_history_is_written_as_the_services_would_have_recorded_it(hall, batch):
    tickets, applications = batch
    result = history.history_import(actor=hall.tree.admin, tickets=tickets, applications=applications)
    assert result.ticket_statuses == {TicketStatus.DONE: 3}
    assert result.application_statuses == {
        ApplicationStatus.PICKED_UP: 2,
        ApplicationStatus.DELIVERED: 1,
    }
    # the ticket: its number of the day, waits and handling times, its timeline, its rating
    first = Ticket.objects.get(pk=result.tickets["T1"])
    assert (first.code, first.day.isoformat(), first.status) == ("A001", "2026-09-18", TicketStatus.DONE)
    assert (first.wait_seconds, first.handle_seconds) == (600, 1200)
    assert first.counter == hall.counter_a1 and first.clerk == hall.clerk_a1
    assert list(TicketEvent.objects.filter(ticket=first).values_list("action", flat=True)) == [
        "issue",
        "call",
        "start",
        "finish",
    ]
    rating = Rating.objects.get(ticket=first)
    assert (rating.score, rating.clerk, rating.counter, rating.reasons) == (
        5,
        hall.clerk_a1,
        hall.counter_a1,
        ["friendly"],
    )
    late = Application.objects.get(number=result.applications["A1"])
    assert rating.application == late
    # forwarded on Friday 18 September: Sunday 20 was a working day, so the fifth is Thursday 24, at closing time
    assert late.number == f"{hall.centre_a.code}-20260918-0001"
    assert late.due_at == local("2026-09-24T17:30") and late.department.code == "320106-hrss"
    assert (late.decided_on_time, late.is_overdue, late.first_contact, late.reviewer) == (
        False,
        False,
        hall.clerk_a1,
        hall.back_office_a,
    )
    assert late.processing_seconds == int((local("2026-09-28T08:40") - local("2026-09-18T09:14")).total_seconds())
    assert late.ticket == first and late.counter == hall.counter_a1 and late.channel == Channel.COUNTER
    steps = list(ApplicationEvent.objects.filter(application=late).values_list("action", "from_status", "to_status"))
    assert steps[3] == ("mark_overdue", "in_review", "in_review")
    assert all(a[2] == b[1] for a, b in pairwise(steps))
    # the one-time notice and the return visit
    returned = Application.objects.get(number=result.applications["A2"])
    assert (returned.notice_issued, returned.visit_count, returned.counter) == (True, 2, hall.counter_a2)
    assert [m["name"] for m in Notice.objects.get(application=returned).missing] == ["近期一寸免冠彩色照片"]
    # remote handling from the station, and the delivery home with its proof
    home = Application.objects.get(number=result.applications["A3"])
    assert home.channel == Channel.REMOTE_STATION and home.region_path == hall.tree.community_a.path
    delivery = Delivery.objects.get(application=home)
    assert (delivery.status, delivery.assignee, delivery.delivered_by, delivery.proof_kind) == (
        DeliveryStatus.DELIVERED,
        hall.tree.worker_a1,
        hall.tree.worker_a1,
        "signature",
    )
    # one audit row for the batch (no personal data in it), and the statistics' days marked to roll up
    entry = AuditEntry.objects.get(action="hall.history_import")
    assert entry.actor == hall.tree.admin and entry.after["tickets"] == 3 and entry.after["applications"] == 3
    assert RESIDENT["id_number"] not in str(entry.after) and "王秀英" not in str(entry.after)
    marked = FigureDay.objects.filter(centre=hall.centre_a, rolled_version=0).values_list("day", flat=True)
    assert sorted(d.isoformat() for d in marked) == ["2026-09-14", "2026-09-18", "2026-09-21", "2026-09-23"]


def test_historical_numbers_and_live_numbers_never_collide(hall, clock):
    hall.sign_in()
    early = hall.ticket("A")  # live, at 09:00
    assert early.code == "A001"
    today = {
        "key": "before-nine",
        "centre": hall.centre_a.code,
        "group": "A",
        "events": [{"action": "issue", "at": at("2026-09-28T08:40")}],
    }
    result = history.history_import(actor=None, tickets=[today])
    assert Ticket.objects.get(pk=result.tickets["before-nine"]).code == "A002"  # waits in today's queue
    assert hall.ticket("A").code == "A003"
    app = history.history_import(
        actor=None,
        applications=[
            {
                "centre": hall.centre_a.code,
                "item": "0101",
                **RESIDENT,
                "materials": materials("0101"),
                "events": [
                    {"action": "accept", "at": at("2026-09-28T08:45"), "actor": "clerk_a1"},
                    {"action": "complete_on_spot", "at": at("2026-09-28T08:50"), "actor": "clerk_a1"},
                ],
            }
        ],
    )
    live = hall.accept("0101", id_number=rid("19900101", "777"))
    assert live.number.endswith("-0002") and next(iter(app.applications.values())).endswith("-0001")


def test_a_bad_batch_lists_every_problem_and_writes_nothing(hall, batch):
    tickets, applications = batch
    code = hall.centre_a.code
    bad_tickets = [
        *tickets,
        {"key": "X1", "centre": "nowhere", "group": "A", "events": [{"action": "issue", "at": at("2026-09-21T09:00")}]},
        {
            "key": "X2",
            "centre": code,
            "group": "A",
            "events": [
                {"action": "issue", "at": at("2026-09-21T09:00")},
                {"action": "call", "at": at("2026-09-21T08:50"), "actor": "clerk_a1", "counter": 1},
            ],
        },
        {  # a clerk of the other street cannot call here
            "key": "X3",
            "centre": code,
            "group": "A",
            "events": [
                {"action": "issue", "at": at("2026-09-21T09:00")},
                {"action": "call", "at": at("2026-09-21T09:05"), "actor": "clerk_b", "counter": 1},
            ],
        },
        {  # finished without being started
            "key": "X4",
            "centre": code,
            "group": "A",
            "events": [
                {"action": "issue", "at": at("2026-09-21T09:00")},
                {"action": "call", "at": at("2026-09-21T09:05"), "actor": "clerk_a1", "counter": 1},
                {"action": "finish", "at": at("2026-09-21T09:06"), "actor": "clerk_a1"},
            ],
        },
        {  # a day that ended with the ticket still waiting
            "key": "X5",
            "centre": code,
            "group": "A",
            "events": [{"action": "issue", "at": at("2026-09-21T09:00")}],
        },
        {  # a passed-over ticket rated
            "key": "X6",
            "centre": code,
            "group": "A",
            "events": [
                {"action": "issue", "at": at("2026-09-21T09:00")},
                {"action": "call", "at": at("2026-09-21T09:05"), "actor": "clerk_a1", "counter": 1},
                {"action": "no_show", "at": at("2026-09-21T09:08"), "actor": "clerk_a1"},
            ],
            "rating": {"at": at("2026-09-21T09:09"), "score": 1},
        },
        {  # counter 3 serves group C only
            "key": "X7",
            "centre": code,
            "group": "A",
            "events": [
                {"action": "issue", "at": at("2026-09-21T09:00")},
                {"action": "call", "at": at("2026-09-21T09:05"), "actor": "clerk_a3", "counter": 3},
            ],
        },
        {"key": "X8", "centre": code, "group": "A", "events": [{"action": "issue", "at": at("2026-09-29T09:00")}]},
    ]
    accepted = {"action": "accept", "at": at("2026-09-21T10:00"), "actor": "clerk_a1"}
    bad_applications = [
        *applications,
        {
            "key": "Y1",
            "centre": code,
            "item": "0101",
            **RESIDENT,
            "id_number": "320106198001011230",
            "events": [accepted],
        },
        {  # forwarding what is done on the spot
            "key": "Y2",
            "centre": code,
            "item": "0101",
            **RESIDENT,
            "materials": materials("0101"),
            "events": [accepted, {"action": "forward", "at": at("2026-09-21T10:05"), "actor": "clerk_a1"}],
        },
        {  # a material missing and no notice
            "key": "Y3",
            "centre": code,
            "item": "0107",
            **RESIDENT,
            "materials": materials("0107", "身份证"),
            "events": [accepted, {"action": "forward", "at": at("2026-09-21T10:05"), "actor": "clerk_a1"}],
        },
        {  # overdue before the deadline
            "key": "Y4",
            "centre": code,
            "item": "0107",
            **RESIDENT,
            "materials": materials("0107"),
            "events": [
                accepted,
                {"action": "forward", "at": at("2026-09-21T10:05"), "actor": "clerk_a1"},
                {"action": "mark_overdue", "at": at("2026-09-22T10:00"), "by": "system"},
            ],
        },
        {"key": "Y5", "centre": code, "item": "0101", "ticket": "nope", **RESIDENT, "events": [accepted]},
        {  # the back office of the other street
            "key": "Y6",
            "centre": code,
            "item": "0107",
            **RESIDENT,
            "materials": materials("0107"),
            "events": [
                accepted,
                {"action": "forward", "at": at("2026-09-21T10:05"), "actor": "clerk_a1"},
                {"action": "start_review", "at": at("2026-09-21T11:00"), "actor": "clerk_b"},
            ],
        },
        {  # a rejection needs its reason
            "key": "Y7",
            "centre": code,
            "item": "0101",
            **RESIDENT,
            "materials": materials("0101"),
            "events": [accepted, {"action": "reject", "at": at("2026-09-21T10:05"), "actor": "clerk_a1"}],
        },
    ]
    with pytest.raises(HistoryRejected) as caught:
        history.history_import(actor=None, tickets=bad_tickets, applications=bad_applications)
    problems = "\n".join(caught.value.rows)
    expected = [
        ("X1", "没有编码为“nowhere”的服务中心"),
        ("X2", "早于上一步"),
        ("X3", "只有本窗口签到人员可以“叫号”"),
        ("X4", "当前状态为“已叫号”，不能“办结”"),
        ("X5", "当天未结束的号应由系统次日作废或办结"),
        ("X6", "不能评价"),
        ("X7", "不受理该分组的业务"),
        ("X8", "晚于现在"),
        ("Y1", "校验位不对"),
        ("Y2", "是即办事项"),
        ("Y3", "应先出具一次性告知单"),
        ("Y4", "超期只能在承诺时限之后标记"),
        ("Y5", "关联的排队号“nope”不在本批记录中"),
        ("Y6", "只有后台人员可以“签收审核”"),
        ("Y7", "须填写原因"),
    ]
    for key, message in expected:
        line = next((row for row in caught.value.rows if f"（{key}）" in row), "")
        assert message in line, (key, message, problems)
    assert len(caught.value.rows) == len(expected)
    assert not Ticket.objects.exists() and not Application.objects.exists() and not Rating.objects.exists()
    assert not AuditEntry.objects.filter(action="hall.history_import").exists()


def test_only_a_district_administrator_or_the_system_imports_history(hall, batch):
    tickets, applications = batch
    with pytest.raises(PermissionDenied):
        history.history_import(actor=hall.manager_a, tickets=tickets, applications=applications)
    assert not Ticket.objects.exists()


def test_a_ticket_transferred_and_requeued_keeps_the_counts_the_services_keep(hall):
    code = hall.centre_a.code
    record = {
        "key": "T",
        "centre": code,
        "group": "A",
        "priority_reason": "elderly",
        "events": [
            {"action": "issue", "at": at("2026-09-22T13:40")},
            {"action": "call", "at": at("2026-09-22T13:45"), "actor": "clerk_a1", "counter": 1},
            {"action": "no_show", "at": at("2026-09-22T13:48"), "actor": "clerk_a1"},
            {"action": "requeue", "at": at("2026-09-22T14:10"), "actor": "clerk_a2"},
            {"action": "call", "at": at("2026-09-22T14:12"), "actor": "clerk_a2", "counter": 2},
            {"action": "recall", "at": at("2026-09-22T14:13"), "actor": "clerk_a2"},
            {"action": "start", "at": at("2026-09-22T14:14"), "actor": "clerk_a2"},
            {"action": "transfer", "at": at("2026-09-22T14:16"), "actor": "clerk_a2", "to_counter": 1},
            {"action": "call", "at": at("2026-09-22T14:20"), "actor": "clerk_a1", "counter": 1},
            {"action": "start", "at": at("2026-09-22T14:21"), "actor": "clerk_a1"},
            {"action": "finish", "at": at("2026-09-22T14:31"), "actor": "clerk_a1"},
        ],
    }
    result = history.history_import(actor=None, tickets=[record])
    ticket = Ticket.objects.get(pk=result.tickets["T"])
    # the wait is to the first call; handling from the last call to the finish
    assert (ticket.wait_seconds, ticket.handle_seconds) == (300, 660)
    assert (ticket.recall_count, ticket.transfer_count, ticket.priority_reason) == (1, 1, "elderly")
    assert ticket.counter == hall.counter_a1 and ticket.target_counter is None
    transfer = TicketEvent.objects.get(ticket=ticket, action="transfer")
    assert transfer.data == {"from": 2, "to": 1} and transfer.counter == hall.counter_a1
    assert ticket.finished_at - ticket.issued_at == timedelta(minutes=51)
    # a live ticket of that day gets no number of the same series: the history took it
    assert services.next_in_series(hall.centre_a.pk, ticket.day, "A") == 2
