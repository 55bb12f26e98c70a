"""Found problems: settled on the spot, passed to the grid leader, put on the grid council's agenda, or raised as a
work order through the work-order module; and the council meeting that decides its agenda."""

from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from civicgrid.core.models import AuditEntry, Notification
from civicgrid.gridwork import selectors, services
from civicgrid.gridwork.choices import AgendaOutcome, MeetingStatus, ProblemStatus
from civicgrid.workorders.choices import Source
from civicgrid.workorders.choices import Status as OrderStatus
from civicgrid.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db
IN_A1 = (118.703, 32.004)


def record(gw, description="单元门禁损坏", **extra):
    return services.problem_record(actor=gw.tree.worker_a1, description=description, **extra)


def steps(problem) -> list[tuple[str, str]]:
    return list(problem.events.values_list("action", "to_status"))


def test_a_problem_settled_on_the_spot_is_recorded_with_how(gw):
    problem = record(gw, lon=IN_A1[0], lat=IN_A1[1], action="solve_on_spot", note="劝离占道摊贩")
    assert problem.status == ProblemStatus.SOLVED_ON_SPOT and problem.resolution == "劝离占道摊贩"
    assert problem.grid == gw.tree.grid_a1
    assert steps(problem) == [("record", "open"), ("solve_on_spot", "solved_on_spot")]
    assert AuditEntry.objects.filter(action="problem.solve_on_spot").count() == 1
    # settling on the spot needs to say how
    with pytest.raises(ValidationError, match="处理说明"):
        record(gw, action="solve_on_spot")


def test_a_problem_raised_as_a_work_order_goes_through_the_work_order_module(gw):
    problem = record(gw, description="路灯不亮，晚上行人看不清", lon=IN_A1[0], lat=IN_A1[1], address="仙霞路 8 号")
    raised = services.problem_act(actor=gw.tree.worker_a1, problem_id=problem.pk, action="raise_work_order")
    order = WorkOrder.objects.get(pk=raised.work_order_id)
    # then a real work order stands reported from a patrol, at the same place, by the grid worker
    assert raised.status == ProblemStatus.WORK_ORDER
    assert (order.source, order.status, order.reporter, order.region) == (
        Source.PATROL, OrderStatus.REPORTED, gw.tree.worker_a1, gw.tree.grid_a1,
    )  # fmt: skip
    assert order.description.startswith("路灯不亮") and (order.lon, order.lat) == IN_A1
    assert order.events.count() == 1
    # and a repeated request (a double tap) makes no second order
    assert WorkOrder.objects.count() == 1
    with pytest.raises(TransitionNotAllowed, match="已转工单"):
        services.problem_act(actor=gw.tree.worker_a1, problem_id=problem.pk, action="raise_work_order")


def test_passed_to_the_leader_who_settles_it(gw):
    problem = record(gw, action="pass_to_leader")
    assert problem.status == ProblemStatus.WITH_LEADER
    assert Notification.objects.filter(recipient=gw.tree.leader_a, subject="网格员提交待协调问题").exists()
    # the worker cannot settle what they passed on; the leader can, saying how
    with pytest.raises(PermissionDenied, match="网格长"):
        services.problem_act(actor=gw.tree.worker_a1, problem_id=problem.pk, action="resolve", note="好了")
    done = services.problem_act(actor=gw.tree.leader_a, problem_id=problem.pk, action="resolve", note="协调物业更换")
    assert done.status == ProblemStatus.RESOLVED and done.resolution == "协调物业更换"


def test_what_the_leader_cannot_settle_goes_to_the_council_which_decides_it(gw):
    tree = gw.tree
    parking = record(gw, description="小区停车位不足，车辆乱停", action="pass_to_leader")
    dogs = record(gw, description="楼下遛狗不牵绳", action="pass_to_leader")
    for problem in (parking, dogs):
        services.problem_act(actor=tree.leader_a, problem_id=problem.pk, action="put_on_agenda", note="需议事会协商")
    # when the leader plans the grid council, its agenda is what waits for it
    meeting = services.meeting_plan(
        actor=tree.leader_a,
        grid_code=tree.grid_a1.code,
        scheduled_at=timezone.now() + timedelta(days=3),
        place="社区议事厅",
    )
    assert [item.problem_id for item in meeting.items.order_by("position")] == [parking.pk, dogs.pk]
    # and a problem put on the agenda afterwards joins the planned meeting
    noise = record(gw, description="夜间施工噪音", action="pass_to_leader")
    services.problem_act(actor=tree.leader_a, problem_id=noise.pk, action="put_on_agenda", note="涉及多方")
    assert meeting.items.count() == 3
    # when the council meets: one resolved, one raised as a work order, one deferred
    held = services.meeting_hold(
        actor=tree.leader_a,
        meeting_id=meeting.pk,
        minutes="议定：错时共享停车；遛狗问题上报城管；噪音下次再议。",
        attendees="网格长、网格员、居民代表 5 人、物业",
        decisions=[
            services.Decision(problem_id=parking.pk, outcome=AgendaOutcome.RESOLVED, decision="与周边单位错时共享车位"),
            services.Decision(problem_id=dogs.pk, outcome=AgendaOutcome.WORK_ORDER),
            services.Decision(problem_id=noise.pk, outcome=AgendaOutcome.DEFERRED),
        ],
    )
    assert held.status == MeetingStatus.HELD
    statuses = dict(
        selectors.problems(actor=tree.leader_a)
        .filter(pk__in=[parking.pk, dogs.pk, noise.pk])
        .values_list("pk", "status")
    )
    assert statuses == {parking.pk: "resolved", dogs.pk: "work_order", noise.pk: "on_agenda"}
    assert WorkOrder.objects.get().description.startswith("楼下遛狗不牵绳")
    # the deferred one waits for the next meeting
    again = services.meeting_plan(
        actor=tree.leader_a, grid_code=tree.grid_a1.code, scheduled_at=timezone.now() + timedelta(days=10), place="社区"
    )
    assert [item.problem_id for item in again.items.all()] == [noise.pk]


def test_a_council_meeting_needs_a_decision_for_every_item(gw):
    problem = record(gw, action="pass_to_leader")
    services.problem_act(actor=gw.tree.leader_a, problem_id=problem.pk, action="put_on_agenda", note="议")
    meeting = services.meeting_plan(
        actor=gw.head_a, grid_code=gw.tree.grid_a1.code, scheduled_at=timezone.now() + timedelta(days=1), place="社区"
    )
    with pytest.raises(ValidationError, match="还没有议定结果"):
        services.meeting_hold(actor=gw.head_a, meeting_id=meeting.pk, minutes="议", attendees="众人", decisions=[])
    with pytest.raises(ValidationError, match="需要写明议定意见"):
        services.meeting_hold(
            actor=gw.head_a, meeting_id=meeting.pk, minutes="议", attendees="众人",
            decisions=[services.Decision(problem_id=problem.pk, outcome=AgendaOutcome.RESOLVED)],
        )  # fmt: skip
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED
    # a grid worker neither plans nor holds the council
    with pytest.raises(NotFound):
        services.meeting_plan(
            actor=gw.tree.worker_a1, grid_code=gw.tree.grid_a1.code, scheduled_at=timezone.now(), place="x"
        )


def test_two_people_acting_on_the_same_problem_one_wins_the_other_is_told(gw):
    problem = record(gw, action="pass_to_leader")
    seen = problem.version
    services.problem_act(
        actor=gw.tree.leader_a, problem_id=problem.pk, action="resolve", note="已解决", expected_version=seen
    )
    with pytest.raises(Conflict, match="已被他人处理"):
        services.problem_act(
            actor=gw.head_a, problem_id=problem.pk, action="dismiss", note="不处理", expected_version=seen
        )
    assert selectors.problem(actor=gw.head_a, problem_id=problem.pk).status == ProblemStatus.RESOLVED


def test_a_problem_outside_ones_grids_is_refused(gw):
    with pytest.raises(ValidationError, match="不在您负责的网格"):
        record(gw, lon=118.725, lat=32.005)  # grid B1
    with pytest.raises(ValidationError, match="不在任何网格"):
        record(gw, lon=118.60, lat=32.005)
    with pytest.raises(ValidationError, match="问题描述"):
        record(gw, description="  ")
    outsider = services.problem_record(actor=gw.tree.worker_b1, description="井盖缺失")
    with pytest.raises(NotFound):
        services.problem_act(actor=gw.tree.worker_a1, problem_id=outsider.pk, action="pass_to_leader")
    assert not selectors.problems(actor=gw.head_a).filter(pk=outsider.pk).exists()
