"""Statuses, actions and the one transition table of a work order."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.people.choices import Role
from civicgrid.regions.choices import Level


class Status(models.TextChoices):
    REPORTED = "reported", _("已上报")
    REGISTERED = "registered", _("已立案")
    DISPATCHED = "dispatched", _("已派遣")
    SIGNED = "signed", _("处置中")
    HANDLED = "handled", _("待核查")
    CLOSED = "closed", _("已结案")
    RATED = "rated", _("已评价")
    SUSPENDED = "suspended", _("已挂起")
    VOIDED = "voided", _("不予立案")
    MERGED = "merged", _("已合并")


class Action(models.TextChoices):
    REPORT = "report", _("上报")
    REGISTER = "register", _("立案")
    VOID = "void", _("不予立案")
    MERGE = "merge", _("合并重复")
    DISPATCH = "dispatch", _("派遣")
    REDISPATCH = "redispatch", _("改派")
    SIGN = "sign", _("签收")
    RETURN = "return", _("退回")
    HANDLE = "handle", _("处置反馈")
    REQUEST_EXTENSION = "request_extension", _("申请延期")
    GRANT_EXTENSION = "grant_extension", _("同意延期")
    REFUSE_EXTENSION = "refuse_extension", _("不同意延期")
    VERIFY_PASS = "verify_pass", _("核查通过")
    VERIFY_FAIL = "verify_fail", _("核查不通过（返工）")
    RATE = "rate", _("评价")
    REOPEN = "reopen", _("重新办理")
    ESCALATE = "escalate", _("上报上级")
    SUPERVISE = "supervise", _("督办")
    SUSPEND = "suspend", _("挂起")
    RESUME = "resume", _("恢复办理")
    SOLVE_ON_SPOT = "solve_on_spot", _("现场解决")
    MARK_OVERDUE = "mark_overdue", _("超期")
    NOTE = "note", _("备注")


class Party(models.TextChoices):
    """How an actor stands to a work order; who that is depends on the order's level, department and reporter."""

    DISPATCHER = "dispatcher", _("本级受理派遣人员")
    HANDLER = "handler", _("承办人员")
    VERIFIER = "verifier", _("核查人员")
    REPORTER = "reporter", _("上报人")
    SUPERVISOR = "supervisor", _("督办人员")
    SYSTEM = "system", _("系统")


class Source(models.TextChoices):
    PATROL = "patrol", _("网格员巡查")
    RESIDENT = "resident", _("居民上报")
    HOTLINE = "hotline", _("热线电话")
    ASSISTANT = "assistant", _("协管员随手拍")
    EVALUATION = "evaluation", _("反向测评")
    APP = "app", _("第三方应用")


class Supervision(models.TextChoices):
    NONE = "", _("无")
    YELLOW = "yellow", _("黄牌督办")
    RED = "red", _("红牌督办")


class LimitUnit(models.TextChoices):
    HOURS = "hours", _("工作小时")
    DAYS = "days", _("工作日")


SAME = "same"  # the action leaves the status as it is
PREVIOUS = "previous"  # the action returns to the status before the suspension

D, H, V, R, S, SYS = Party.DISPATCHER, Party.HANDLER, Party.VERIFIER, Party.REPORTER, Party.SUPERVISOR, Party.SYSTEM

# status -> action -> (next status, parties that may do it). The one place that says what may happen.
TRANSITIONS: dict[str, dict[str, tuple[str, frozenset[str]]]] = {
    Status.REPORTED: {
        Action.REGISTER: (Status.REGISTERED, frozenset({D, SYS})),
        Action.DISPATCH: (Status.DISPATCHED, frozenset({D, SYS})),  # registers and dispatches in one click
        Action.VOID: (Status.VOIDED, frozenset({D})),
        Action.MERGE: (Status.MERGED, frozenset({D})),
        Action.ESCALATE: (Status.REGISTERED, frozenset({D, SYS})),
        Action.SUPERVISE: (SAME, frozenset({S, SYS})),
        Action.MARK_OVERDUE: (SAME, frozenset({SYS})),
        Action.NOTE: (SAME, frozenset({D, S})),
    },
    Status.REGISTERED: {
        Action.DISPATCH: (Status.DISPATCHED, frozenset({D, SYS})),
        Action.VOID: (Status.VOIDED, frozenset({D})),
        Action.MERGE: (Status.MERGED, frozenset({D})),
        Action.ESCALATE: (Status.REGISTERED, frozenset({D, SYS})),
        Action.SUSPEND: (Status.SUSPENDED, frozenset({D})),
        Action.SUPERVISE: (SAME, frozenset({S, SYS})),
        Action.MARK_OVERDUE: (SAME, frozenset({SYS})),
        Action.NOTE: (SAME, frozenset({D, S})),
    },
    Status.DISPATCHED: {
        Action.SIGN: (Status.SIGNED, frozenset({H})),
        Action.RETURN: (Status.REGISTERED, frozenset({H})),
        Action.REDISPATCH: (Status.DISPATCHED, frozenset({D})),
        Action.SUSPEND: (Status.SUSPENDED, frozenset({D})),
        Action.SUPERVISE: (SAME, frozenset({S, SYS})),
        Action.MARK_OVERDUE: (SAME, frozenset({SYS})),
        Action.NOTE: (SAME, frozenset({D, H, S})),
    },
    Status.SIGNED: {
        Action.HANDLE: (Status.HANDLED, frozenset({H})),
        Action.RETURN: (Status.REGISTERED, frozenset({H})),
        Action.REQUEST_EXTENSION: (SAME, frozenset({H})),
        Action.GRANT_EXTENSION: (SAME, frozenset({D})),
        Action.REFUSE_EXTENSION: (SAME, frozenset({D})),
        Action.SUSPEND: (Status.SUSPENDED, frozenset({D})),
        Action.SUPERVISE: (SAME, frozenset({S, SYS})),
        Action.MARK_OVERDUE: (SAME, frozenset({SYS})),
        Action.NOTE: (SAME, frozenset({D, H, S})),
    },
    Status.HANDLED: {
        Action.VERIFY_PASS: (Status.CLOSED, frozenset({V})),
        Action.VERIFY_FAIL: (Status.SIGNED, frozenset({V})),
        Action.SUPERVISE: (SAME, frozenset({S, SYS})),
        Action.NOTE: (SAME, frozenset({D, H, S})),
    },
    Status.SUSPENDED: {
        Action.RESUME: (PREVIOUS, frozenset({D})),
        Action.NOTE: (SAME, frozenset({D, S})),
    },
    Status.CLOSED: {
        Action.RATE: (Status.RATED, frozenset({R})),
        Action.REOPEN: (Status.REGISTERED, frozenset({R})),
    },
    Status.RATED: {
        Action.REOPEN: (Status.REGISTERED, frozenset({R})),
    },
    Status.VOIDED: {},
    Status.MERGED: {},
}

OPEN_STATUSES = frozenset(
    {Status.REPORTED, Status.REGISTERED, Status.DISPATCHED, Status.SIGNED, Status.HANDLED, Status.SUSPENDED}
)
ENDED_STATUSES = frozenset({Status.CLOSED, Status.RATED, Status.VOIDED, Status.MERGED})
# Where a clock runs against a deadline: waiting for dispatch, for signing, for handling.
WAITING_FOR_DISPATCH = frozenset({Status.REPORTED, Status.REGISTERED})
WAITING_FOR_HANDLER = frozenset({Status.DISPATCHED, Status.SIGNED})

# Actions that need a written reason: the next person must know why.
REASON_REQUIRED = frozenset(
    {
        Action.VOID,
        Action.RETURN,
        Action.REQUEST_EXTENSION,
        Action.REFUSE_EXTENSION,
        Action.VERIFY_FAIL,
        Action.ESCALATE,
        Action.SUSPEND,
        Action.SUPERVISE,
        Action.REOPEN,
        Action.HANDLE,
        Action.NOTE,
    }
)

# The roles that register and dispatch at each level of the linkage platform.
LEVEL_DISPATCHERS: dict[str, frozenset[str]] = {
    Level.GRID: frozenset({Role.GRID_WORKER, Role.GRID_LEADER}),
    Level.COMMUNITY: frozenset({Role.COMMUNITY_HEAD}),
    Level.STREET: frozenset({Role.OPERATOR, Role.STREET_OFFICER}),
    Level.DISTRICT: frozenset({Role.OPERATOR, Role.DISTRICT_ADMIN}),
    Level.CITY: frozenset({Role.OPERATOR, Role.DISTRICT_ADMIN}),
}
# Upward, one level at a time.
ESCALATION: dict[str, str] = {
    Level.GRID: Level.COMMUNITY,
    Level.COMMUNITY: Level.STREET,
    Level.STREET: Level.DISTRICT,
    Level.DISTRICT: Level.CITY,
}
SUPERVISOR_ROLES = frozenset({Role.OPERATOR, Role.STREET_OFFICER, Role.DISTRICT_ADMIN})
VERIFIER_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_LEADER})
HANDLER_ROLES = frozenset({Role.DEPARTMENT_HANDLER})

# What the resident holding the tracking key may do, in the order the tracking page offers it.
REPORTER_ACTIONS = (Action.VERIFY_PASS, Action.VERIFY_FAIL, Action.RATE, Action.REOPEN)

# Public tracking shows residents these steps (internal notes and overdue marks stay inside).
PUBLIC_ACTIONS = frozenset(
    {
        Action.REPORT,
        Action.REGISTER,
        Action.VOID,
        Action.MERGE,
        Action.DISPATCH,
        Action.REDISPATCH,
        Action.SIGN,
        Action.HANDLE,
        Action.GRANT_EXTENSION,
        Action.VERIFY_PASS,
        Action.VERIFY_FAIL,
        Action.RATE,
        Action.REOPEN,
        Action.ESCALATE,
        Action.SUSPEND,
        Action.RESUME,
        Action.SOLVE_ON_SPOT,
    }
)
