"""Statuses, actions and transition tables of grid work: leave, found problems, council meetings, guide tasks.

Each table says, for a status and an action, the next status and the parties that may take it. A party is how an
actor stands to the record's grid (`gridwork/permissions.py` works it out): its grid worker (or the A/B partner
covering it during a leave), its grid leader, the head of its community, the person who recorded it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Party(models.TextChoices):
    WORKER = "worker", _("本网格网格员（含顶岗）")
    LEADER = "leader", _("本网格网格长")
    HEAD = "head", _("社区负责人")
    APPLICANT = "applicant", _("申请人本人")
    RECORDER = "recorder", _("登记人")


_W, _L, _H, _A, _R = Party.WORKER, Party.LEADER, Party.HEAD, Party.APPLICANT, Party.RECORDER
APPROVERS = frozenset({_L, _H})

# ---------------------------------------------------------------- patrols


class PatrolStatus(models.TextChoices):
    OPEN = "open", _("巡查中")
    CLOSED = "closed", _("已结束")


class PatrolEnd(models.TextChoices):
    """How a patrol ended: the worker pressed stop, or it was left open and closed when the next one started."""

    STOPPED = "stopped", _("网格员结束")
    AUTO_CLOSED = "auto_closed", _("超时自动结束")


class PointVerdict(models.TextChoices):
    """What the track analysis made of a point (docs/gridwork.md, "From a track to hours")."""

    KEPT = "kept", _("有效")
    POOR_ACCURACY = "poor_accuracy", _("定位精度差")
    TOO_FAST = "too_fast", _("速度异常")
    DUPLICATE = "duplicate", _("重复时间点")


class DayState(models.TextChoices):
    """One day of the 4-hour rule for one worker."""

    MET = "met", _("达标")
    MISSED = "missed", _("未达标")
    PENDING = "pending", _("进行中")
    LEAVE = "leave", _("请假")
    REST = "rest", _("休息日")
    FUTURE = "future", _("未到")


# ---------------------------------------------------------------- leave


class LeaveStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")
    CANCELLED = "cancelled", _("已撤销")


class LeaveAction(models.TextChoices):
    APPROVE = "approve", _("批准")
    REJECT = "reject", _("不批准")
    CANCEL = "cancel", _("撤销")


class LeaveReason(models.TextChoices):
    ANNUAL = "annual", _("年休假")
    SICK = "sick", _("病假")
    PERSONAL = "personal", _("事假")
    MARRIAGE = "marriage", _("婚假")
    MATERNITY = "maternity", _("产假/陪产假")
    BEREAVEMENT = "bereavement", _("丧假")
    TRAINING = "training", _("培训学习")
    OTHER = "other", _("其他")


LEAVE_TRANSITIONS: dict[str, dict[str, tuple[str, frozenset[str]]]] = {
    LeaveStatus.REQUESTED: {
        LeaveAction.APPROVE: (LeaveStatus.APPROVED, APPROVERS),
        LeaveAction.REJECT: (LeaveStatus.REJECTED, APPROVERS),
        LeaveAction.CANCEL: (LeaveStatus.CANCELLED, frozenset({_A, _L, _H})),
    },
    # an approved leave is withdrawn by whoever may approve it (the worker asks them): cover arrangements hang on it
    LeaveStatus.APPROVED: {
        LeaveAction.CANCEL: (LeaveStatus.CANCELLED, APPROVERS),
    },
    LeaveStatus.REJECTED: {},
    LeaveStatus.CANCELLED: {},
}
LEAVE_REASON_REQUIRED = frozenset({LeaveAction.REJECT, LeaveAction.CANCEL})
# Leaves that stand: they block overlapping requests; only approved ones hand the grid to the partner.
LEAVE_STANDING = (LeaveStatus.REQUESTED, LeaveStatus.APPROVED)


# ---------------------------------------------------------------- home visits


class VisitKind(models.TextChoices):
    ROUTINE = "routine", _("日常走访")
    CARE = "care", _("关爱探访")
    FOLLOW_UP = "follow_up", _("回访")
    COLLECTION = "collection", _("信息采集")
    DELIVERY = "delivery", _("送达服务")


class RiskLevel(models.TextChoices):
    NONE = "none", _("无")
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")


# ---------------------------------------------------------------- found problems


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("待处置")
    SOLVED_ON_SPOT = "solved_on_spot", _("现场解决")
    WITH_LEADER = "with_leader", _("网格长协调中")
    ON_AGENDA = "on_agenda", _("待网格议事会议定")
    RESOLVED = "resolved", _("已解决")
    WORK_ORDER = "work_order", _("已转工单")
    DISMISSED = "dismissed", _("不予处理")


class ProblemAction(models.TextChoices):
    SOLVE_ON_SPOT = "solve_on_spot", _("现场解决")
    PASS_TO_LEADER = "pass_to_leader", _("交网格长协调")
    PUT_ON_AGENDA = "put_on_agenda", _("提交网格议事会")
    RESOLVE = "resolve", _("协调解决")
    RAISE_WORK_ORDER = "raise_work_order", _("上报为工单")
    DISMISS = "dismiss", _("不予处理")


# The three tiers of the seeds: what a grid worker can, they settle on the spot; what needs coordinating goes to the
# grid leader; what the leader cannot settle goes to the grid council and, if still unsolved, up as a work order.
PROBLEM_TRANSITIONS: dict[str, dict[str, tuple[str, frozenset[str]]]] = {
    ProblemStatus.OPEN: {
        ProblemAction.SOLVE_ON_SPOT: (ProblemStatus.SOLVED_ON_SPOT, frozenset({_W, _R})),
        ProblemAction.PASS_TO_LEADER: (ProblemStatus.WITH_LEADER, frozenset({_W, _R})),
        ProblemAction.RAISE_WORK_ORDER: (ProblemStatus.WORK_ORDER, frozenset({_W, _R, _L, _H})),
    },
    ProblemStatus.WITH_LEADER: {
        ProblemAction.RESOLVE: (ProblemStatus.RESOLVED, APPROVERS),
        ProblemAction.PUT_ON_AGENDA: (ProblemStatus.ON_AGENDA, APPROVERS),
        ProblemAction.RAISE_WORK_ORDER: (ProblemStatus.WORK_ORDER, APPROVERS),
        ProblemAction.DISMISS: (ProblemStatus.DISMISSED, APPROVERS),
    },
    ProblemStatus.ON_AGENDA: {
        ProblemAction.RESOLVE: (ProblemStatus.RESOLVED, APPROVERS),
        ProblemAction.RAISE_WORK_ORDER: (ProblemStatus.WORK_ORDER, APPROVERS),
        ProblemAction.DISMISS: (ProblemStatus.DISMISSED, APPROVERS),
    },
    ProblemStatus.SOLVED_ON_SPOT: {},
    ProblemStatus.RESOLVED: {},
    ProblemStatus.WORK_ORDER: {},
    ProblemStatus.DISMISSED: {},
}
PROBLEM_NOTE_REQUIRED = frozenset(
    {ProblemAction.SOLVE_ON_SPOT, ProblemAction.RESOLVE, ProblemAction.DISMISS, ProblemAction.PUT_ON_AGENDA}
)
PROBLEM_OPEN_STATUSES = (ProblemStatus.OPEN, ProblemStatus.WITH_LEADER, ProblemStatus.ON_AGENDA)


# ---------------------------------------------------------------- grid council


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("待召开")
    HELD = "held", _("已召开")
    CANCELLED = "cancelled", _("已取消")


class AgendaOutcome(models.TextChoices):
    PENDING = "", _("待议")
    RESOLVED = "resolved", _("议定解决")
    WORK_ORDER = "work_order", _("上报为工单")
    DISMISSED = "dismissed", _("不予处理")
    DEFERRED = "deferred", _("下次再议")


# What a council decision does to the problem on the agenda (deferred leaves it on the agenda for the next meeting).
OUTCOME_ACTIONS: dict[str, str] = {
    AgendaOutcome.RESOLVED: ProblemAction.RESOLVE,
    AgendaOutcome.WORK_ORDER: ProblemAction.RAISE_WORK_ORDER,
    AgendaOutcome.DISMISSED: ProblemAction.DISMISS,
}


# ---------------------------------------------------------------- grid work guide


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", _("待完成")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class AssignmentAction(models.TextChoices):
    COMPLETE = "complete", _("完成")
    REOPEN = "reopen", _("退回重做")
    CANCEL = "cancel", _("取消")


ASSIGNMENT_TRANSITIONS: dict[str, dict[str, tuple[str, frozenset[str]]]] = {
    AssignmentStatus.ASSIGNED: {
        AssignmentAction.COMPLETE: (AssignmentStatus.COMPLETED, frozenset({_W})),
        AssignmentAction.CANCEL: (AssignmentStatus.CANCELLED, frozenset({_H})),
    },
    AssignmentStatus.COMPLETED: {
        AssignmentAction.REOPEN: (AssignmentStatus.ASSIGNED, frozenset({_H})),
    },
    AssignmentStatus.CANCELLED: {},
}
ASSIGNMENT_NOTE_REQUIRED = frozenset({AssignmentAction.COMPLETE, AssignmentAction.REOPEN, AssignmentAction.CANCEL})


class Frequency(models.TextChoices):
    """How often a guide task recurs (the community head sets the due dates from it)."""

    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    HALF_YEARLY = "half_yearly", _("每半年")
    YEARLY = "yearly", _("每年")
    AS_NEEDED = "as_needed", _("随时")
