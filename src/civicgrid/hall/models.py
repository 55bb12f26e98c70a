"""The service centre (街道社区事务受理服务中心): catalogue, centres and counters, the queue, appointments,
applications with their one-time notices and deliveries, and the rating pad.

Jurisdiction: a centre belongs to its street (`region_path` is the street's path); tickets, ratings and counters follow
their centre; an application and an appointment belong to the place they were filed (the centre's street, or the
community station that filed it, which lies inside the street), and an application forwarded to a department is seen
by that department too; a delivery belongs to the resident's grid, so the grid worker sees their deliveries and nothing
else of the application.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.jurisdiction import Scope
from civicgrid.hall.choices import (
    ApplicationAction,
    ApplicationStatus,
    AppointmentStatus,
    BookingChannel,
    Channel,
    ConsentMethod,
    DeliveryStatus,
    Mode,
    Outcome,
    PriorityReason,
    ProofKind,
    ProxyRelation,
    ResultDelivery,
    TicketAction,
    TicketSource,
    TicketStatus,
)
from civicgrid.people.models import Department
from civicgrid.regions.models import Region

USER = settings.AUTH_USER_MODEL


# ---------------------------------------------------------------- the catalogue (public reference data)


class ServiceGroup(models.Model):
    """A queue of the centre: its letter is the ticket prefix (A001, B001 ...)."""

    code = models.CharField(_("分组字母"), max_length=1, unique=True)
    name = models.CharField(_("分组名称"), max_length=40)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    jurisdiction_scope = Scope()

    class Meta:
        verbose_name = _("业务分组")
        verbose_name_plural = _("业务分组")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ServiceCategory(models.Model):
    code = models.CharField(_("类别代码"), max_length=2, unique=True)
    name = models.CharField(_("类别名称"), max_length=40)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    jurisdiction_scope = Scope()

    class Meta:
        verbose_name = _("事项类别")
        verbose_name_plural = _("事项类别")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class ServiceItem(models.Model):
    """One service item of the catalogue (事项清单): how it is handled, how fast, by whom, with which materials."""

    code = models.CharField(_("事项编码"), max_length=8, unique=True)
    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("事项类别"), on_delete=models.PROTECT, related_name="items"
    )
    group = models.ForeignKey(ServiceGroup, verbose_name=_("业务分组"), on_delete=models.PROTECT, related_name="items")
    name = models.CharField(_("事项名称"), max_length=60)
    description = models.CharField(_("办理说明"), max_length=300, blank=True)
    mode = models.CharField(_("办理方式"), max_length=12, choices=Mode.choices)
    time_limit_days = models.PositiveSmallIntegerField(_("承诺时限(工作日)"), default=0)
    department_key = models.CharField(_("后台办理部门"), max_length=32, blank=True, help_text=_("部门数据文件中的 key"))
    applicants = models.JSONField(_("申请人"), default=list, help_text=_("resident 本人、proxy 代办"))
    online_bookable = models.BooleanField(_("可网上预约"), default=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    jurisdiction_scope = Scope()

    class Meta:
        verbose_name = _("服务事项")
        verbose_name_plural = _("服务事项")
        ordering = ["category__sort", "sort", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def proxy_allowed(self) -> bool:
        return "proxy" in (self.applicants or [])

    @property
    def resident_allowed(self) -> bool:
        return "resident" in (self.applicants or [])


class Material(models.Model):
    """A material an item requires, with where a resident gets it (printed on the one-time notice)."""

    item = models.ForeignKey(ServiceItem, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="materials")
    code = models.CharField(_("材料序号"), max_length=4)
    name = models.CharField(_("材料名称"), max_length=80)
    copies = models.CharField(_("份数要求"), max_length=40, blank=True)
    source_note = models.CharField(_("获取途径"), max_length=200)
    required = models.BooleanField(_("必须提交"), default=True)

    jurisdiction_scope = Scope()

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["item", "code"]
        constraints = [models.UniqueConstraint(fields=["item", "code"], name="hall_material_code_per_item")]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------- centres and counters


def new_pad_key() -> str:
    return secrets.token_urlsafe(18)[:24]


class Centre(models.Model):
    """A street's service centre. Hours are local times; `extended_hours` adds evening or weekend service."""

    code = models.CharField(_("中心编码"), max_length=16, unique=True)
    name = models.CharField(_("中心名称"), max_length=100)
    street = models.ForeignKey(Region, verbose_name=_("所属街道"), on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=80, db_index=True)  # the street's path
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=30, blank=True)
    hours = models.JSONField(
        _("工作日服务时间"), default=list, help_text=_('工作日的服务时段，如 [["08:30", "12:00"], ["13:30", "17:30"]]')
    )
    extended_hours = models.JSONField(
        _("延时服务时间"),
        default=dict,
        blank=True,
        help_text=_('按星期（0=周一 … 6=周日）的额外时段，如 {"1": [["17:30", "19:00"]], "5": [["09:00", "12:00"]]}'),
    )
    slot_minutes = models.PositiveSmallIntegerField(_("预约时段(分钟)"), default=30)
    slot_capacity = models.PositiveSmallIntegerField(_("每时段每分组可约人数"), default=4)
    booking_days = models.PositiveSmallIntegerField(_("可提前预约天数"), default=7)
    priority_age = models.PositiveSmallIntegerField(_("老年人优先年龄"), default=70)
    ticket_cutoff_minutes = models.PositiveSmallIntegerField(_("下班前停止取号(分钟)"), default=15)
    not_offered = models.ManyToManyField(
        ServiceItem, verbose_name=_("本中心不办理的事项"), blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    jurisdiction_scope = Scope(region_path="region_path")

    class Meta:
        verbose_name = _("服务中心")
        verbose_name_plural = _("服务中心")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_path(self) -> str:
        return self.region_path


class Counter(models.Model):
    """A counter (窗口). With no groups it serves every group (通办); a clerk signs in to work at it."""

    centre = models.ForeignKey(Centre, verbose_name=_("服务中心"), on_delete=models.CASCADE, related_name="counters")
    number = models.PositiveSmallIntegerField(_("窗口号"))
    name = models.CharField(_("窗口名称"), max_length=40, default=_("综合窗口"))
    groups = models.ManyToManyField(
        ServiceGroup, verbose_name=_("受理分组"), blank=True, related_name="+", help_text=_("不选则受理全部分组")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    clerk = models.ForeignKey(
        USER, verbose_name=_("当前签到人员"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    pad_key = models.CharField(max_length=32, unique=True, default=new_pad_key, editable=False)

    jurisdiction_scope = Scope(region_path="centre__region_path")

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        ordering = ["centre", "number"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "number"], name="hall_counter_number_per_centre"),
            # a clerk works at one counter at a time
            models.UniqueConstraint(fields=["clerk"], name="hall_counter_one_per_clerk"),
        ]

    def __str__(self) -> str:
        return f"{self.number}号窗口"

    @property
    def audit_region_path(self) -> str:
        return self.centre.region_path


class NumberSequence(models.Model):
    """The last number given out per centre, day and series: a ticket prefix letter, or "app" for applications."""

    centre_id = models.BigIntegerField()
    day = models.DateField()
    series = models.CharField(max_length=8)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["centre_id", "day", "series"], name="hall_number_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.centre_id}-{self.day:%Y%m%d}-{self.series}: {self.last}"


# ---------------------------------------------------------------- appointments and the queue


class Appointment(models.Model):
    """A booked time slot for one item; the resident checks in at the kiosk with the code and joins the queue."""

    code = models.CharField(_("预约码"), max_length=10, unique=True)
    centre = models.ForeignKey(Centre, verbose_name=_("服务中心"), on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(ServiceItem, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(ServiceGroup, verbose_name=_("业务分组"), on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=80, db_index=True)  # the centre's street, or the booking station
    day = models.DateField(_("预约日期"))
    slot_start = models.TimeField(_("时段开始"))
    slot_end = models.TimeField(_("时段结束"))
    status = models.CharField(_("状态"), max_length=12, choices=AppointmentStatus.choices, default="booked")
    channel = models.CharField(_("预约渠道"), max_length=12, choices=BookingChannel.choices)
    resident_name = models.CharField(_("预约人姓名"), max_length=40)
    id_number = models.CharField(_("身份证号码"), max_length=18)
    phone = models.CharField(_("手机号码"), max_length=20)
    booked_by = models.ForeignKey(
        USER, verbose_name=_("代为预约人员"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    booked_at = models.DateTimeField(_("预约时间"))
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    jurisdiction_scope = Scope(region_path="region_path")

    class Meta:
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        ordering = ["day", "slot_start", "id"]
        indexes = [
            models.Index(fields=["centre", "day", "status"]),
            models.Index(fields=["day"], condition=models.Q(status="booked"), name="hall_appointment_booked_day"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def audit_region_path(self) -> str:
        return self.region_path


class SlotBooking(models.Model):
    """How many appointments a slot holds for a group; one conditional UPDATE keeps it under the capacity."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    slot_start = models.TimeField()
    group = models.ForeignKey(ServiceGroup, on_delete=models.CASCADE, related_name="+")
    booked = models.PositiveSmallIntegerField(default=0)

    jurisdiction_scope = Scope(region_path="centre__region_path")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["centre", "day", "slot_start", "group"], name="hall_slot_booking_unique")
        ]

    def __str__(self) -> str:
        return f"{self.centre_id} {self.day} {self.slot_start} {self.group_id}: {self.booked}"


class Ticket(models.Model):
    """A queue ticket: numbered per centre, day and group; called to a counter, served, rated."""

    # no index of its own: the indexes below begin with the centre, and a planner that knows no waiting tickets
    # yet (a day's few among a year's) took this one and read the centre's whole year for a group's queue
    centre = models.ForeignKey(
        Centre, verbose_name=_("服务中心"), on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    day = models.DateField(_("日期"))
    group = models.ForeignKey(
        ServiceGroup, verbose_name=_("业务分组"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    number = models.PositiveIntegerField(_("序号"))
    code = models.CharField(_("号码"), max_length=8)
    status = models.CharField(_("状态"), max_length=12, choices=TicketStatus.choices, default="waiting")
    source = models.CharField(_("来源"), max_length=12, choices=TicketSource.choices)
    priority_reason = models.CharField(_("优先原因"), max_length=12, choices=PriorityReason.choices, blank=True)
    appointment = models.OneToOneField(
        Appointment, verbose_name=_("预约"), null=True, blank=True, on_delete=models.PROTECT, related_name="ticket"
    )
    resident_name = models.CharField(_("姓名"), max_length=40, blank=True)
    id_number = models.CharField(_("身份证号码"), max_length=18, blank=True)
    issued_at = models.DateTimeField(_("取号时间"))
    queued_at = models.DateTimeField(_("排队起点"))  # walk-ins: issued; appointments: their slot; requeued: then
    called_at = models.DateTimeField(_("叫号时间"), null=True, blank=True)
    served_at = models.DateTimeField(_("开始办理"), null=True, blank=True)
    finished_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    counter = models.ForeignKey(
        Counter, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clerk = models.ForeignKey(
        USER, verbose_name=_("窗口人员"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_counter = models.ForeignKey(
        Counter,
        verbose_name=_("转至窗口"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # read only among a centre's waiting tickets of the day
    )
    recall_count = models.PositiveSmallIntegerField(_("重呼次数"), default=0)
    transfer_count = models.PositiveSmallIntegerField(_("转窗口次数"), default=0)
    # kept as whole seconds when they become known, so statistics are plain averages in any database
    wait_seconds = models.PositiveIntegerField(_("等候时长(秒)"), null=True, blank=True)
    handle_seconds = models.PositiveIntegerField(_("办理时长(秒)"), null=True, blank=True)
    extended = models.BooleanField(_("延时服务"), default=False)
    # the kiosk's Idempotency-Key of the press that took it: a retried press finds its ticket instead of a new one
    issue_key = models.CharField(max_length=64, blank=True, default="")
    version = models.PositiveIntegerField(default=1)

    jurisdiction_scope = Scope(region_path="centre__region_path")

    class Meta:
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "day", "code"], name="hall_ticket_code_per_day"),
            models.UniqueConstraint(
                fields=["centre", "day", "issue_key"], condition=~models.Q(issue_key=""), name="hall_ticket_issue_key"
            ),
        ]
        indexes = [
            # statistics read a period's tickets from this index alone (an index-only scan on PostgreSQL); the
            # columns after (centre, day) are keys rather than INCLUDE so that SQLite builds the same index
            models.Index(
                fields=[
                    *("centre", "day", "status", "group", "counter", "clerk"),
                    *("extended", "priority_reason", "wait_seconds", "handle_seconds"),
                ],
                name="hall_ticket_centre_day",
            ),
            # the end-of-day sweep finds the few tickets left open among a year's
            models.Index(
                fields=["day"],
                condition=models.Q(status__in=["waiting", "called", "serving"]),
                name="hall_ticket_open_day",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def audit_region_path(self) -> str:
        return self.centre.region_path


class TicketEvent(models.Model):
    """One step of a ticket; the board announces the calls and recalls among them."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(_("操作"), max_length=12, choices=TicketAction.choices)
    counter = models.ForeignKey(Counter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"))

    jurisdiction_scope = Scope(region_path="centre__region_path")

    class Meta:
        verbose_name = _("叫号记录")
        verbose_name_plural = _("叫号记录")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["centre", "action", "created_at"])]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action}"


# ---------------------------------------------------------------- applications


class Application(models.Model):
    """One resident's request for one item (办件), from acceptance to the result in their hands."""

    number = models.CharField(_("办件编号"), max_length=32, unique=True)
    centre = models.ForeignKey(Centre, verbose_name=_("服务中心"), on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(ServiceItem, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=ApplicationStatus.choices, db_index=True)
    outcome = models.CharField(_("办理结果"), max_length=10, choices=Outcome.choices, blank=True)
    channel = models.CharField(_("受理渠道"), max_length=16, choices=Channel.choices)
    region_path = models.CharField(max_length=80, db_index=True)  # the centre's street or the filing station
    department = models.ForeignKey(
        Department, verbose_name=_("后台办理部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("排队号"), null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )
    appointment = models.ForeignKey(
        Appointment, verbose_name=_("预约"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    counter = models.ForeignKey(
        Counter, verbose_name=_("受理窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_contact = models.ForeignKey(USER, verbose_name=_("首问负责人"), on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(
        USER, verbose_name=_("后台审核人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # the resident (personal data: masked everywhere but the clerk's working screen, revealed only with a log row)
    applicant_name = models.CharField(_("申请人姓名"), max_length=40)
    id_number = models.CharField(_("身份证号码"), max_length=18)
    birth_date = models.DateField(_("出生日期"))
    sex = models.CharField(_("性别"), max_length=1, choices=[("M", _("男")), ("F", _("女"))])
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)
    address = models.CharField(_("送达地址"), max_length=200, blank=True)
    grid = models.ForeignKey(
        Region, verbose_name=_("所在网格"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # proxy handling (代办): who applies on the resident's behalf, and how the resident consented
    proxy_relation = models.CharField(_("代办人身份"), max_length=12, choices=ProxyRelation.choices, blank=True)
    proxy_name = models.CharField(_("代办人姓名"), max_length=40, blank=True)
    proxy_id_number = models.CharField(_("代办人身份证号码"), max_length=18, blank=True)
    proxy_phone = models.CharField(_("代办人电话"), max_length=20, blank=True)
    proxy_user = models.ForeignKey(
        USER, verbose_name=_("代办网格员"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    consent_method = models.CharField(_("同意方式"), max_length=12, choices=ConsentMethod.choices, blank=True)
    consent_note = models.CharField(_("同意情况说明"), max_length=200, blank=True)
    materials = models.JSONField(_("材料"), default=list)  # [{code, name, required, provided}] as at acceptance
    result_delivery = models.CharField(_("结果领取方式"), max_length=10, choices=ResultDelivery.choices)
    accepted_at = models.DateTimeField(_("受理时间"), db_index=True)
    forwarded_at = models.DateTimeField(_("转后台时间"), null=True, blank=True)
    review_started_at = models.DateTimeField(_("签收审核时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("承诺办结时限"), null=True, blank=True, db_index=True)
    deadline_estimated = models.BooleanField(_("时限按周一至周五估算"), default=False)
    is_overdue = models.BooleanField(_("超期"), default=False, db_index=True)
    decided_on_time = models.BooleanField(_("按时办结"), null=True, blank=True)
    processing_seconds = models.PositiveIntegerField(_("受理至办结(秒)"), null=True, blank=True)
    decision_note = models.CharField(_("办理意见"), max_length=500, blank=True)
    visit_count = models.PositiveSmallIntegerField(_("跑动次数"), default=1)
    notice_issued = models.BooleanField(_("出具过一次性告知"), default=False)
    previous = models.ForeignKey(
        "self", verbose_name=_("此前办件"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    superseded = models.BooleanField(_("已被重新受理"), default=False)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    jurisdiction_scope = Scope(region_path="region_path", department="department")

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-accepted_at", "-id"]
        indexes = [
            models.Index(  # statistics: an index-only scan, as for tickets
                fields=[
                    *("centre", "accepted_at", "status", "first_contact", "counter", "item", "decided_at"),
                    *("due_at", "decided_on_time", "is_overdue", "superseded", "notice_issued", "previous"),
                    "processing_seconds",
                ],
                name="hall_application_centre_day",
            ),
            models.Index(fields=["centre", "status"]),
            models.Index(fields=["first_contact", "accepted_at"]),
            models.Index(fields=["item", "accepted_at"]),
            models.Index(fields=["id_number", "item"]),
            models.Index(fields=["department", "status"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_region_path(self) -> str:
        return self.region_path

    @property
    def missing_materials(self) -> list[dict]:
        return [m for m in self.materials if m.get("required") and not m.get("provided")]


class ApplicationEvent(models.Model):
    """One step of an application's timeline: who did what, from which status to which, and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=20, choices=ApplicationAction.choices)
    from_status = models.CharField(_("原状态"), max_length=12, choices=ApplicationStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=ApplicationStatus.choices)
    actor = models.ForeignKey(USER, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(_("操作人"), max_length=80, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)

    jurisdiction_scope = Scope(region_path="application__region_path", department="application__department")

    class Meta:
        verbose_name = _("办件记录")
        verbose_name_plural = _("办件记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.action}"


class Notice(models.Model):
    """A one-time notice (一次性告知单): every required material the resident did not bring, and where to get it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="notices")
    missing = models.JSONField(_("缺少的材料"))  # [{code, name, copies, source_note}]
    issued_by = models.ForeignKey(USER, verbose_name=_("告知人"), on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("告知时间"))

    jurisdiction_scope = Scope(region_path="application__region_path", department="application__department")

    class Meta:
        verbose_name = _("一次性告知单")
        verbose_name_plural = _("一次性告知单")
        ordering = ["issued_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.issued_at:%Y-%m-%d}"


def proof_path(instance: "Delivery", filename: str) -> str:
    return f"hall/deliveries/{instance.created_at:%Y/%m}/{secrets.token_hex(12)}.jpg"


class Delivery(models.Model):
    """The result of an application taken to the resident's home by the grid worker of their grid (送达上门)."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="delivery")
    grid = models.ForeignKey(Region, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=80, db_index=True)  # the grid's path
    assignee = models.ForeignKey(
        USER, verbose_name=_("送达人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=12, choices=DeliveryStatus.choices, default="pending")
    attempts = models.PositiveSmallIntegerField(_("上门未遇次数"), default=0)
    created_at = models.DateTimeField(_("派发时间"))
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    delivered_by = models.ForeignKey(
        USER, verbose_name=_("实际送达人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proof = models.FileField(_("送达凭证"), upload_to=proof_path, max_length=200, blank=True)
    proof_kind = models.CharField(_("凭证类型"), max_length=10, choices=ProofKind.choices, blank=True)
    proof_sha256 = models.CharField(max_length=64, blank=True)
    note = models.CharField(_("送达说明"), max_length=300, blank=True)

    jurisdiction_scope = Scope(region_path="region_path")

    class Meta:
        verbose_name = _("送达任务")
        verbose_name_plural = _("送达任务")
        ordering = ["status", "created_at"]
        indexes = [models.Index(fields=["assignee", "status"])]

    def __str__(self) -> str:
        return f"{self.application_id} {self.status}"

    @property
    def audit_region_path(self) -> str:
        return self.region_path


# ---------------------------------------------------------------- ratings


class Rating(models.Model):
    """A resident's rating on the counter's pad: one per ticket, tied to the counter, the clerk and the application."""

    ticket = models.OneToOneField(Ticket, verbose_name=_("排队号"), on_delete=models.PROTECT, related_name="rating")
    application = models.ForeignKey(
        Application, verbose_name=_("办件"), null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings"
    )
    centre = models.ForeignKey(Centre, verbose_name=_("服务中心"), on_delete=models.PROTECT, related_name="+")
    counter = models.ForeignKey(Counter, verbose_name=_("窗口"), on_delete=models.PROTECT, related_name="+")
    clerk = models.ForeignKey(
        USER, verbose_name=_("窗口人员"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("评分"))
    reasons = models.JSONField(_("评价标签"), default=list, blank=True)
    comment = models.CharField(_("评价意见"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("评价时间"))

    jurisdiction_scope = Scope(region_path="centre__region_path")

    class Meta:
        verbose_name = _("服务评价")
        verbose_name_plural = _("服务评价")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(  # statistics: an index-only scan, as for tickets
                fields=["centre", "created_at", "score", "clerk", "counter", "application", "ticket"],
                name="hall_rating_centre_day",
            ),
        ]
        constraints = [models.CheckConstraint(name="hall_rating_1_to_5", condition=models.Q(score__range=(1, 5)))]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.score}"


# ---------------------------------------------------------------- the statistics' daily roll-up (hall/rollup.py)


class FigureDay(models.Model):
    """Whether a centre's day is rolled up in `DailyFigure` and still current.

    Every change to a ticket, application or rating of a past day raises `version` (in the changing transaction);
    the roll-up records the version it read as `rolled_version`. Statistics read the stored sums only for days where
    the two are equal and compute every other day (today, a day changed since) from the live rows.
    """

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    version = models.PositiveIntegerField(default=1)
    rolled_version = models.PositiveIntegerField(default=0)

    jurisdiction_scope = Scope(region_path="centre__region_path")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["centre", "day"], name="hall_figure_day_unique")]

    def __str__(self) -> str:
        return f"{self.centre_id} {self.day}: {self.rolled_version}/{self.version}"


class DailyFigure(models.Model):
    """A centre's figures of one day for one key of a dimension (the centre itself, a counter, a clerk, an item or
    a group): the counts and sums `statistics.Row` adds up, so a year is a sum over a few thousand rows."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    dimension = models.CharField(max_length=8)  # centre, counter, clerk, item, group
    key = models.BigIntegerField()
    tickets = models.IntegerField(default=0)
    served = models.IntegerField(default=0)
    no_shows = models.IntegerField(default=0)
    extended = models.IntegerField(default=0)
    priority = models.IntegerField(default=0)
    wait_sum = models.BigIntegerField(default=0)
    wait_n = models.IntegerField(default=0)
    handle_sum = models.BigIntegerField(default=0)
    handle_n = models.IntegerField(default=0)
    applications = models.IntegerField(default=0)
    decided = models.IntegerField(default=0)
    due = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    overdue_open = models.IntegerField(default=0)
    trips_counted = models.IntegerField(default=0)
    one_trip = models.IntegerField(default=0)
    processing_sum = models.BigIntegerField(default=0)
    processing_n = models.IntegerField(default=0)
    ratings = models.IntegerField(default=0)
    score_sum = models.BigIntegerField(default=0)
    satisfied = models.IntegerField(default=0)

    jurisdiction_scope = Scope(region_path="centre__region_path")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["centre", "dimension", "day", "key"], name="hall_daily_figure_unique")
        ]

    def __str__(self) -> str:
        return f"{self.centre_id} {self.day} {self.dimension}={self.key}"
