"""Leave and A/B cover: a grid worker's leave, approved by the grid leader or the community head. While an approved
leave runs, the worker of the grid's A/B partner covers it (selectors.covered_grids) and patrols there count for it."""

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit, notifications
from civicgrid.core.errors import NotFound, PermissionDenied, ValidationError
from civicgrid.core.notifications import Message
from civicgrid.gridwork import rules, selectors
from civicgrid.gridwork.choices import (
    APPROVERS,
    LEAVE_REASON_REQUIRED,
    LEAVE_STANDING,
    LEAVE_TRANSITIONS,
    LeaveAction,
    LeaveReason,
    LeaveStatus,
    Party,
)
from civicgrid.gridwork.models import Leave
from civicgrid.gridwork.permissions import is_active_staff, own_grids, parties_at
from civicgrid.gridwork.services.common import approvers_of, check_transition, clean_text, worker_of
from civicgrid.gridwork.services.patrols import patrols_recompute_for_leave
from civicgrid.people import selectors as people
from civicgrid.people.models import User


def _dates(starts_on: date, ends_on: date, today: date) -> None:
    if ends_on < starts_on:
        message = _("结束日期不能早于开始日期。")
        raise ValidationError(message, errors={"ends_on": [message]})
    if (ends_on - starts_on).days + 1 > rules.MAX_LEAVE_DAYS:
        message = _("一次请假最长 %(n)s 天，更长的请分段登记。") % {"n": rules.MAX_LEAVE_DAYS}
        raise ValidationError(message, errors={"ends_on": [message]})
    if starts_on < today - timedelta(days=rules.LEAVE_BACKDATE_DAYS):
        message = _("只能补登 %(n)s 天以内的请假。") % {"n": rules.LEAVE_BACKDATE_DAYS}
        raise ValidationError(message, errors={"starts_on": [message]})
    if starts_on > today + timedelta(days=366):
        message = _("开始日期不能晚于一年以后。")
        raise ValidationError(message, errors={"starts_on": [message]})


@transaction.atomic
def leave_request(
    *,
    actor: Any,
    starts_on: date,
    ends_on: date,
    kind: str,
    reason: str,
    worker_username: str = "",
    today: date | None = None,
) -> Leave:
    """Record a leave. A grid worker asks for their own (it waits for approval); a grid leader or community head
    records one for a worker of their grid, and it stands approved at once."""
    today = today or timezone.localdate()
    if not is_active_staff(actor):
        raise PermissionDenied()
    if worker_username and worker_username != actor.get_username():
        try:
            worker = people.user_by_username(actor=actor, username=worker_username)
        except User.DoesNotExist as error:
            raise NotFound(_("没有找到该网格员，或他不在您的管辖范围内。")) from error
    else:
        worker = actor
    grids = own_grids(worker)
    if not grids:
        message = _("%(name)s 不是在岗网格员，无需登记网格请假。") % {"name": worker.display_name}
        raise ValidationError(message, errors={"worker": [message]})
    grid = grids[0]
    self_request = worker.pk == actor.pk
    if not self_request and not parties_at(actor, grid, on=today) & APPROVERS:
        raise PermissionDenied(_("只有本网格的网格长或社区负责人可以为他人登记请假。"))
    if kind not in LeaveReason.values:
        message = _("请选择假别。")
        raise ValidationError(message, errors={"kind": [message]})
    reason = clean_text(reason, field="reason", label=_("请假事由"), limit=200, required=True)
    _dates(starts_on, ends_on, today)
    # one request at a time per worker: lock the person, then look for an overlap
    User.objects.select_for_update().filter(pk=worker.pk).first()
    overlap = (
        Leave.objects.filter(worker=worker, status__in=LEAVE_STANDING, starts_on__lte=ends_on, ends_on__gte=starts_on)
        .order_by("starts_on")
        .first()
    )
    if overlap is not None:
        message = _("与已登记的请假（%(start)s 至 %(end)s，%(status)s）时间重叠。") % {
            "start": f"{overlap.starts_on:%Y-%m-%d}",
            "end": f"{overlap.ends_on:%Y-%m-%d}",
            "status": overlap.get_status_display(),
        }
        raise ValidationError(message, errors={"starts_on": [message]})
    now = timezone.now()
    leave = Leave(
        worker=worker,
        starts_on=starts_on,
        ends_on=ends_on,
        kind=kind,
        reason=reason,
        requested_by=actor,
        requested_at=now,
    )
    leave.place_in(grid)
    if not self_request:
        leave.status = LeaveStatus.APPROVED
        leave.decided_by = actor
        leave.decided_at = now
    leave.save()
    audit.record(
        actor=actor,
        action="leave.request" if self_request else "leave.record",
        obj=leave,
        after={
            "worker": worker.get_username(),
            "grid": grid.code,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "kind": kind,
            "status": leave.status,
        },
    )
    if self_request:
        notifications.to_staff(
            approvers_of(grid),
            Message(
                subject=_("请假待审批"),
                body=_("%(name)s 申请 %(start)s 至 %(end)s 请假：%(reason)s") % _leave_words(leave),
            ),
        )
    else:
        _approved(leave)
    return leave


def _leave_words(leave: Leave) -> dict[str, str]:
    return {
        "name": leave.worker.display_name,
        "start": f"{leave.starts_on:%Y-%m-%d}",
        "end": f"{leave.ends_on:%Y-%m-%d}",
        "reason": leave.reason,
        "grid": leave.grid.name,
    }


def _approved(leave: Leave) -> None:
    """The partner takes the grid over: they are told, and their patrols of those days count for it."""
    partner = leave.grid.partner
    covering = worker_of(partner) if partner is not None else None
    words = _leave_words(leave)
    notifications.to_staff(
        [leave.worker], Message(subject=_("请假已批准"), body=_("%(start)s 至 %(end)s 的请假已批准。") % words)
    )
    if covering is not None and covering.pk != leave.worker_id:
        notifications.to_staff(
            [covering],
            Message(
                subject=_("AB岗顶岗提醒"),
                body=_("%(name)s %(start)s 至 %(end)s 请假，期间由您负责%(grid)s。") % words,
            ),
        )
    patrols_recompute_for_leave(leave=leave)


@transaction.atomic
def leave_act(*, actor: Any, leave_id: int, action: str, note: str = "", today: date | None = None) -> Leave:
    """Approve, refuse or withdraw a leave, as the transition table allows."""
    today = today or timezone.localdate()
    try:
        leave = selectors.leaves(actor=actor).select_for_update(of=("self",)).get(pk=leave_id)
    except Leave.DoesNotExist as error:
        raise NotFound(_("没有找到该请假记录，或它不在您的管辖范围内。")) from error
    if action not in LeaveAction.values:
        raise ValidationError(_("未知的操作：%(action)s。") % {"action": action})
    mine = parties_at(actor, leave.grid, on=today)
    if leave.worker_id == actor.pk:
        mine = {Party.APPLICANT}  # nobody approves their own leave, whatever else they are
    target = check_transition(
        LEAVE_TRANSITIONS,
        leave.status,
        action,
        mine,
        status_label=leave.get_status_display(),
        action_label=str(LeaveAction(action).label),
    )
    note = clean_text(note, field="note", label=_("意见"), limit=200, required=action in LEAVE_REASON_REQUIRED)
    before = leave.status
    leave.status = target
    if action in (LeaveAction.APPROVE, LeaveAction.REJECT):
        leave.decided_by = actor
        leave.decided_at = timezone.now()
    leave.decision_note = note
    leave.save()
    audit.record(
        actor=actor,
        action=f"leave.{action}",
        obj=leave,
        before={"status": before},
        after={"status": target, "note": note},
    )
    if target == LeaveStatus.APPROVED:
        _approved(leave)
    elif before == LeaveStatus.APPROVED:
        patrols_recompute_for_leave(leave=leave)  # the cover is off: those days count for the partner's grid only
    if action == LeaveAction.REJECT:
        notifications.to_staff(
            [leave.worker],
            Message(
                subject=_("请假未批准"), body=_("%(start)s 至 %(end)s 的请假未批准：") % _leave_words(leave) + note
            ),
        )
    return leave
