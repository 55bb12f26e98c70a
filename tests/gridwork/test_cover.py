"""Leave and A/B cover: while grid A2's worker is on approved leave, the worker of its partner A1 covers it: their
patrols there count for A2, and they see and edit A2's records; before and after, they do not."""

from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from civicgrid.core.models import Notification
from civicgrid.gridwork import selectors, services
from civicgrid.gridwork.choices import LeaveStatus
from civicgrid.gridwork.models import PatrolGridTime
from civicgrid.people.models import User
from civicgrid.registry import policy
from civicgrid.registry.models import Household
from tests.gridwork.conftest import MONDAY, at, patrol_of, walk
from tests.gridwork.test_track import CROSSING

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The user as the next request sees them (nothing cached from before)."""
    return User.objects.get(pk=user.pk)


def leave_of_a2(gw, *, starts_on, ends_on, today):
    """Worker A2 asks for leave and grid leader 陈 approves it."""
    leave = services.leave_request(
        actor=gw.tree.worker_a2, starts_on=starts_on, ends_on=ends_on, kind="annual", reason="回老家", today=today
    )
    assert leave.status == LeaveStatus.REQUESTED
    return services.leave_act(actor=gw.tree.leader_a, leave_id=leave.pk, action="approve", today=today)


def crossing_patrol(gw):
    return patrol_of(gw.tree.worker_a1, walk(at(MONDAY, 9), CROSSING, origin=(118.704, 32.005)))


def times(patrol) -> list[tuple[str, int, bool]]:
    return sorted(PatrolGridTime.objects.filter(patrol=patrol).values_list("grid__name", "seconds", "covering"))


def test_during_the_partners_leave_time_in_their_grid_counts_for_it(gw):
    # given worker A2 on approved leave on Monday
    leave_of_a2(gw, starts_on=MONDAY, ends_on=MONDAY, today=MONDAY)
    # when worker A1 walks 40 minutes in A1 and 20 in A2
    patrol = crossing_patrol(gw)
    # then both count: A1 as their own grid, A2 as the grid they covered
    assert times(patrol) == [("仙霞路第一网格", 2400, False), ("仙霞路第二网格", 1200, True)]
    assert patrol.seconds_in_grid == 3600


def test_a_leave_approved_or_withdrawn_afterwards_recounts_the_partners_patrols(gw):
    patrol = crossing_patrol(gw)
    assert times(patrol) == [("仙霞路第一网格", 2400, False)]
    # when the leave of that day is recorded afterwards (sick leave is often written later)
    leave = leave_of_a2(gw, starts_on=MONDAY, ends_on=MONDAY, today=MONDAY + timedelta(days=2))
    assert times(patrol) == [("仙霞路第一网格", 2400, False), ("仙霞路第二网格", 1200, True)]
    # and when it is withdrawn again, the cover is off
    services.leave_act(actor=gw.head_a, leave_id=leave.pk, action="cancel", note="未休", today=MONDAY)
    assert times(patrol) == [("仙霞路第一网格", 2400, False)]


def test_the_partner_sees_and_edits_the_covered_grid_only_while_the_leave_runs(gw):
    from civicgrid.registry import services as registry

    registry.codes_load(actor=None)
    building = registry.building_create(
        actor=gw.tree.admin, grid_code=gw.tree.grid_a2.code, name="2幢", address="仙霞路 10 号", floors_above=6
    )
    home = registry.household_create(actor=gw.tree.admin, building_id=building.pk, entrance="1", room="101")
    problem = services.problem_record(actor=gw.tree.worker_a2, description="楼道堆放杂物")
    today = timezone.localdate()
    worker = fresh(gw.tree.worker_a1)
    # before the leave: A2's household and problem are not A1's business
    assert not selectors.problems(actor=worker).filter(pk=problem.pk).exists()
    assert not policy.visible(worker, Household.objects.all()).filter(pk=home.pk).exists()
    with pytest.raises(NotFound):
        services.visit_record(actor=worker, household_id=home.pk, findings="不在家")
    # when A2's worker is on approved leave today
    leave_of_a2(gw, starts_on=today, ends_on=today + timedelta(days=2), today=today)
    worker = fresh(gw.tree.worker_a1)
    assert [g.code for g in selectors.covered_grids(worker)] == [gw.tree.grid_a2.code]
    assert [g.code for g in selectors.my_grids(worker)] == [gw.tree.grid_a1.code, gw.tree.grid_a2.code]
    # then A1's worker sees A2's problem and household, records a visit there and settles the problem
    assert selectors.problems(actor=worker).filter(pk=problem.pk).exists()
    assert policy.visible(worker, Household.objects.all()).filter(pk=home.pk).exists()
    visit = services.visit_record(actor=worker, household_id=home.pk, findings="独居老人身体尚可")
    assert visit.grid == gw.tree.grid_a2
    services.problem_act(actor=worker, problem_id=problem.pk, action="solve_on_spot", note="已清理")
    # and was told about the cover when the leave was approved
    assert Notification.objects.filter(recipient=gw.tree.worker_a1, subject="AB岗顶岗提醒").exists()
    # but a worker of another street never covers A2
    assert not selectors.covered_grids(fresh(gw.tree.worker_b1)).exists()


def test_nobody_covers_for_a_leave_not_yet_approved(gw):
    services.leave_request(
        actor=gw.tree.worker_a2, starts_on=MONDAY, ends_on=MONDAY, kind="sick", reason="发烧", today=MONDAY
    )
    assert not selectors.covered_grids(fresh(gw.tree.worker_a1), on=MONDAY).exists()
    assert times(crossing_patrol(gw)) == [("仙霞路第一网格", 2400, False)]


def test_who_may_decide_a_leave(gw):
    leave = services.leave_request(
        actor=gw.tree.worker_a2, starts_on=MONDAY, ends_on=MONDAY, kind="personal", reason="家中有事", today=MONDAY
    )
    # nobody approves their own leave; the partner, another street's head and the police assistant may not either
    with pytest.raises(PermissionDenied):
        services.leave_act(actor=gw.tree.worker_a2, leave_id=leave.pk, action="approve", today=MONDAY)
    with pytest.raises(PermissionDenied):
        services.leave_act(actor=gw.tree.worker_a1, leave_id=leave.pk, action="approve", today=MONDAY)
    with pytest.raises(NotFound):
        services.leave_act(actor=gw.head_b, leave_id=leave.pk, action="approve", today=MONDAY)
    # a refusal needs a reason
    with pytest.raises(ValidationError, match="意见"):
        services.leave_act(actor=gw.head_a, leave_id=leave.pk, action="reject", today=MONDAY)
    services.leave_act(actor=gw.head_a, leave_id=leave.pk, action="reject", note="人手不足", today=MONDAY)
    # and a decided leave is not decided again
    with pytest.raises(TransitionNotAllowed, match="未批准"):
        services.leave_act(actor=gw.head_a, leave_id=leave.pk, action="approve", today=MONDAY)


def test_a_head_records_a_workers_leave_approved_at_once_and_overlaps_are_refused(gw):
    leave = services.leave_request(
        actor=gw.head_a,
        worker_username="worker_a2",
        starts_on=MONDAY,
        ends_on=MONDAY + timedelta(days=4),
        kind="training",
        reason="区里培训",
        today=MONDAY,
    )
    assert leave.status == LeaveStatus.APPROVED and leave.decided_by == gw.head_a
    with pytest.raises(ValidationError, match="时间重叠"):
        services.leave_request(
            actor=gw.tree.worker_a2, starts_on=MONDAY + timedelta(days=3), ends_on=MONDAY + timedelta(days=6),
            kind="annual", reason="休假", today=MONDAY,
        )  # fmt: skip
    with pytest.raises(ValidationError, match="结束日期不能早于开始日期"):
        services.leave_request(
            actor=gw.tree.worker_a1, starts_on=MONDAY, ends_on=MONDAY - timedelta(days=1), kind="annual",
            reason="休假", today=MONDAY,
        )  # fmt: skip
    # a head of another community cannot record leave for A2's worker
    with pytest.raises(NotFound):
        services.leave_request(
            actor=gw.head_b, worker_username="worker_a2", starts_on=MONDAY, ends_on=MONDAY, kind="sick",
            reason="病", today=MONDAY,
        )  # fmt: skip
