"""Statuses, actions and the transition tables of the service centre: tickets and applications.

Each table says, for a status and an action, the next status and the parties that may take it. A party is how an
actor stands to the ticket or application (`hall/permissions.py` works it out), not a bare role: a window clerk may
call a ticket only at a counter they are signed in to, and a back-office handler may review only what was forwarded
to their street office or department.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.people.choices import Role


class Mode(models.TextChoices):
    ON_THE_SPOT = "on_the_spot", _("即办")
    FORWARDED = "forwarded", _("收受分离")


class Applicant(models.TextChoices):
    """Who may apply for an item: the resident themselves, and/or someone on their behalf."""

    RESIDENT = "resident", _("本人")
    PROXY = "proxy", _("代办")


# ---------------------------------------------------------------- tickets


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("等候中")
    CALLED = "called", _("已叫号")
    SERVING = "serving", _("办理中")
    DONE = "done", _("已办结")
    NO_SHOW = "no_show", _("过号")
    CANCELLED = "cancelled", _("已作废")


class TicketAction(models.TextChoices):
    ISSUE = "issue", _("取号")
    CALL = "call", _("叫号")
    RECALL = "recall", _("重呼")
    START = "start", _("开始办理")
    FINISH = "finish", _("办结")
    NO_SHOW = "no_show", _("过号")
    TRANSFER = "transfer", _("转窗口")
    REQUEUE = "requeue", _("过号重排")
    CANCEL = "cancel", _("作废")


class TicketSource(models.TextChoices):
    KIOSK = "kiosk", _("取号机")
    APPOINTMENT = "appointment", _("预约签到")
    DESK = "desk", _("窗口代取")


class PriorityReason(models.TextChoices):
    """Who is called before everyone else (优先窗口): the elderly, the disabled, expectant mothers, servicemen."""

    ELDERLY = "elderly", _("老年人")
    DISABLED = "disabled", _("残疾人")
    PREGNANT = "pregnant", _("孕妇及怀抱婴儿者")
    MILITARY = "military", _("军人及优抚对象")


class TicketParty(models.TextChoices):
    COUNTER_CLERK = "counter_clerk", _("本窗口签到人员")
    CENTRE_CLERK = "centre_clerk", _("本中心窗口人员")
    MANAGER = "manager", _("服务中心主任")
    SYSTEM = "system", _("系统")


SAME = "same"  # the action leaves the status as it is

_CC, _CL, _M, _SYS = TicketParty.COUNTER_CLERK, TicketParty.CENTRE_CLERK, TicketParty.MANAGER, TicketParty.SYSTEM

# status -> action -> (next status, parties). "counter clerk" is the clerk signed in at the counter that called it;
# calling a waiting ticket needs a clerk signed in at a counter of the centre that serves the ticket's group.
TICKET_TRANSITIONS: dict[str, dict[str, tuple[str, frozenset[str]]]] = {
    TicketStatus.WAITING: {
        TicketAction.CALL: (TicketStatus.CALLED, frozenset({_CC})),
        TicketAction.CANCEL: (TicketStatus.CANCELLED, frozenset({_CL, _M, _SYS})),
    },
    TicketStatus.CALLED: {
        TicketAction.RECALL: (SAME, frozenset({_CC})),
        TicketAction.START: (TicketStatus.SERVING, frozenset({_CC})),
        TicketAction.NO_SHOW: (TicketStatus.NO_SHOW, frozenset({_CC})),
        # to another counter, or (a counter closing: its clerk signed out by the manager) back to the shared queue
        TicketAction.TRANSFER: (TicketStatus.WAITING, frozenset({_CC, _M, _SYS})),
        TicketAction.CANCEL: (TicketStatus.CANCELLED, frozenset({_M, _SYS})),
    },
    TicketStatus.SERVING: {
        TicketAction.FINISH: (TicketStatus.DONE, frozenset({_CC, _M, _SYS})),
        TicketAction.TRANSFER: (TicketStatus.WAITING, frozenset({_CC})),
    },
    TicketStatus.NO_SHOW: {
        TicketAction.REQUEUE: (TicketStatus.WAITING, frozenset({_CL, _M})),
    },
    TicketStatus.DONE: {},
    TicketStatus.CANCELLED: {},
}

OPEN_TICKET_STATUSES = frozenset({TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING})
SERVED_TICKET_STATUSES = frozenset({TicketStatus.SERVING, TicketStatus.DONE})  # may be rated
CALLED_TICKET_STATUSES = frozenset({TicketStatus.CALLED, TicketStatus.SERVING})  # at a counter now


# ---------------------------------------------------------------- appointments


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    CHECKED_IN = "checked_in", _("已签到")
    CANCELLED = "cancelled", _("已取消")
    MISSED = "missed", _("已爽约")


class BookingChannel(models.TextChoices):
    ONLINE = "online", _("居民网上预约")
    STATION = "station", _("社区代为预约")
    COUNTER = "counter", _("窗口预约")


# ---------------------------------------------------------------- applications


class ApplicationStatus(models.TextChoices):
    ACCEPTED = "accepted", _("已受理")
    INCOMPLETE = "incomplete", _("待补材料")
    FORWARDED = "forwarded", _("已转后台")
    IN_REVIEW = "in_review", _("审核中")
    COMPLETED = "completed", _("已办结")
    REJECTED = "rejected", _("不予办理")
    PICKED_UP = "picked_up", _("已领取")
    DELIVERED = "delivered", _("已送达")
    WITHDRAWN = "withdrawn", _("已撤回")


class ApplicationAction(models.TextChoices):
    ACCEPT = "accept", _("受理")
    ISSUE_NOTICE = "issue_notice", _("一次性告知")
    SUPPLEMENT = "supplement", _("补齐材料")
    COMPLETE_ON_SPOT = "complete_on_spot", _("即时办结")
    FORWARD = "forward", _("转后台办理")
    START_REVIEW = "start_review", _("签收审核")
    COMPLETE = "complete", _("审核办结")
    REJECT = "reject", _("不予办理")
    HAND_OVER = "hand_over", _("当面领取")
    DELIVER = "deliver", _("送达")
    WITHDRAW = "withdraw", _("撤回")
    MARK_OVERDUE = "mark_overdue", _("超期")


class Channel(models.TextChoices):
    COUNTER = "counter", _("窗口受理")
    APPOINTMENT = "appointment", _("预约办理")
    REMOTE_STATION = "remote_station", _("社区远程帮办")
    ONLINE = "online", _("网上申请")


class Outcome(models.TextChoices):
    NONE = "", _("未办结")
    APPROVED = "approved", _("准予办理")
    REJECTED = "rejected", _("不予办理")


class ResultDelivery(models.TextChoices):
    PICK_UP = "pick_up", _("窗口领取")
    HOME = "home", _("网格员送达上门")


class ProxyRelation(models.TextChoices):
    RELATIVE = "relative", _("亲属")
    GRID_WORKER = "grid_worker", _("网格员")
    OTHER = "other", _("其他受托人")


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("书面授权委托书")
    IN_PERSON = "in_person", _("本人到场确认")
    VIDEO = "video", _("视频确认")
    PHONE = "phone", _("电话确认并录音")


class Party(models.TextChoices):
    """How an actor stands to an application."""

    CLERK = "clerk", _("窗口人员")
    BACK_OFFICE = "back_office", _("后台人员")
    DELIVERER = "deliverer", _("送达网格员")
    MANAGER = "manager", _("服务中心主任")
    SYSTEM = "system", _("系统")


C, B, D, M, SYS = Party.CLERK, Party.BACK_OFFICE, Party.DELIVERER, Party.MANAGER, Party.SYSTEM
S = ApplicationStatus
A = ApplicationAction

# status -> action -> (next status, parties). The one place that says what may happen to an application.
APPLICATION_TRANSITIONS: dict[str, dict[str, tuple[str, frozenset[str]]]] = {
    S.ACCEPTED: {
        A.ISSUE_NOTICE: (S.INCOMPLETE, frozenset({C})),  # lists exactly the required materials not ticked
        A.COMPLETE_ON_SPOT: (S.COMPLETED, frozenset({C})),  # on-the-spot items with every material
        A.FORWARD: (S.FORWARDED, frozenset({C})),  # accept-and-forward items with every material
        A.REJECT: (S.REJECTED, frozenset({C})),  # on-the-spot items the resident is not entitled to
        A.WITHDRAW: (S.WITHDRAWN, frozenset({C, M})),
    },
    S.INCOMPLETE: {
        A.SUPPLEMENT: (S.ACCEPTED, frozenset({C})),  # the resident came back with what the notice listed
        A.WITHDRAW: (S.WITHDRAWN, frozenset({C, M, SYS})),
    },
    S.FORWARDED: {
        A.START_REVIEW: (S.IN_REVIEW, frozenset({B})),
        A.MARK_OVERDUE: (SAME, frozenset({SYS})),
    },
    S.IN_REVIEW: {
        A.COMPLETE: (S.COMPLETED, frozenset({B})),
        A.REJECT: (S.REJECTED, frozenset({B})),
        A.MARK_OVERDUE: (SAME, frozenset({SYS})),
    },
    S.COMPLETED: {
        A.HAND_OVER: (S.PICKED_UP, frozenset({C})),
        A.DELIVER: (S.DELIVERED, frozenset({D})),
    },
    S.REJECTED: {
        A.HAND_OVER: (S.PICKED_UP, frozenset({C})),  # the written decision, with its reason, is handed over too
        A.DELIVER: (S.DELIVERED, frozenset({D})),
    },
    S.PICKED_UP: {},
    S.DELIVERED: {},
    S.WITHDRAWN: {},
}

OPEN_APPLICATION_STATUSES = frozenset({S.ACCEPTED, S.INCOMPLETE, S.FORWARDED, S.IN_REVIEW})
DECIDED_STATUSES = frozenset({S.COMPLETED, S.REJECTED, S.PICKED_UP, S.DELIVERED})
WAITING_FOR_BACK_OFFICE = frozenset({S.FORWARDED, S.IN_REVIEW})
ENDED_APPLICATION_STATUSES = frozenset({S.PICKED_UP, S.DELIVERED, S.WITHDRAWN})
# Actions whose note is the reason the resident or the next person must read.
REASON_REQUIRED = frozenset({A.REJECT, A.WITHDRAW})
# What a resident tracking their application sees (internal marks stay inside).
PUBLIC_APPLICATION_ACTIONS = frozenset(set(A) - {A.MARK_OVERDUE})


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待送达")
    DELIVERED = "delivered", _("已送达")
    CANCELLED = "cancelled", _("已取消")


class ProofKind(models.TextChoices):
    SIGNATURE = "signature", _("居民签名")
    PHOTO = "photo", _("送达照片")


# ---------------------------------------------------------------- ratings


class RatingReason(models.TextChoices):
    """Quick reasons on the rating pad: praise first, then complaints."""

    FRIENDLY = "friendly", _("态度热情")
    EFFICIENT = "efficient", _("办事高效")
    CLEAR = "clear", _("解释清楚")
    ONE_TRIP = "one_trip", _("一次办成")
    LONG_WAIT = "long_wait", _("等候太久")
    UNFRIENDLY = "unfriendly", _("态度不好")
    UNSKILLED = "unskilled", _("业务不熟")
    TOO_MANY_MATERIALS = "too_many_materials", _("材料繁琐")
    FACILITIES = "facilities", _("环境设施差")


PRAISE_REASONS = frozenset({RatingReason.FRIENDLY, RatingReason.EFFICIENT, RatingReason.CLEAR, RatingReason.ONE_TRIP})


# ---------------------------------------------------------------- who does what

CLERK_ROLES = frozenset({Role.WINDOW_CLERK})
BACK_OFFICE_ROLES = frozenset({Role.BACK_OFFICE_HANDLER})
DEPARTMENT_REVIEW_ROLES = frozenset({Role.BACK_OFFICE_HANDLER, Role.DEPARTMENT_HANDLER})
DELIVERER_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_LEADER})
MANAGER_ROLES = frozenset({Role.CENTRE_MANAGER, Role.DISTRICT_ADMIN})
# Who reads a centre's statistics and window-staff scores.
STATISTICS_ROLES = frozenset({Role.CENTRE_MANAGER, Role.STREET_OFFICER, Role.DISTRICT_ADMIN})
