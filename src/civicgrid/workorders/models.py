import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.core.jurisdiction import Scope
from civicgrid.people.models import Department
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region
from civicgrid.workorders.choices import OPEN_STATUSES, Action, LimitUnit, Source, Status, Supervision


class IncidentCategory(models.Model):
    code = models.CharField(_("大类代码"), max_length=8, unique=True)
    name = models.CharField(_("大类名称"), max_length=40)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    jurisdiction_scope = Scope()  # the catalogue is public reference data

    class Meta:
        verbose_name = _("事件大类")
        verbose_name_plural = _("事件大类")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class IncidentType(models.Model):
    """One incident type and its line of the responsibility list: who handles it, at which level, how fast."""

    code = models.CharField(_("小类代码"), max_length=12, unique=True)
    category = models.ForeignKey(
        IncidentCategory, verbose_name=_("事件大类"), on_delete=models.PROTECT, related_name="types"
    )
    name = models.CharField(_("小类名称"), max_length=40)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    keywords = models.JSONField(_("关键词"), default=list, blank=True, help_text=_("居民只写描述时据此推荐类型"))
    handling_level = models.CharField(_("处置层级"), max_length=12, choices=Level.choices)
    department_key = models.CharField(_("责任部门"), max_length=32, blank=True, help_text=_("部门数据文件中的 key"))
    dispatch_hours = models.DecimalField(_("立案派遣时限(工作小时)"), max_digits=5, decimal_places=1, default=1)
    sign_hours = models.DecimalField(_("签收时限(工作小时)"), max_digits=5, decimal_places=1, default=2)
    handle_limit = models.DecimalField(_("处置时限"), max_digits=5, decimal_places=1)
    handle_unit = models.CharField(_("处置时限单位"), max_length=8, choices=LimitUnit.choices)
    field_dispatch = models.BooleanField(_("就近派遣外勤"), default=False)
    auto_dispatch = models.BooleanField(_("自动派遣"), default=False)
    auto_escalate = models.BooleanField(_("超时自动上报上级"), default=False)
    emergency_fund = models.BooleanField(_("可用应急包"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    # Open311 service attributes (questions asked when this type is reported), see workorders/open311/attributes.py
    attributes = models.JSONField(_("补充信息项"), default=list, blank=True)
    is_private = models.BooleanField(
        _("涉及个人隐私"), default=False, help_text=_("如关爱、纠纷：公开接口不显示其描述、地址、坐标和处理说明")
    )

    jurisdiction_scope = Scope()

    class Meta:
        verbose_name = _("事件类型（责任清单）")
        verbose_name_plural = _("事件类型（责任清单）")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.category.name} / {self.name}"


class WorkOrder(models.Model):
    """What is done about one incident, from report to rating. Merged duplicates point to the surviving order."""

    number = models.CharField(_("工单编号"), max_length=24, unique=True)
    region = models.ForeignKey(Region, verbose_name=_("所在网格"), on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=80, db_index=True)  # the grid's path, so jurisdiction is one prefix
    incident_type = models.ForeignKey(
        IncidentType,
        verbose_name=_("事件类型"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the (type, status) and (type, newest) indexes lead with it
    )
    description = models.TextField(_("问题描述"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    level = models.CharField(_("当前层级"), max_length=12, choices=Level.choices)
    department = models.ForeignKey(
        Department,
        verbose_name=_("承办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the (department, status) index leads with it
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reporter_name = models.CharField(_("上报人称呼"), max_length=40, blank=True)
    reporter_phone = models.CharField(_("上报人电话"), max_length=20, blank=True)
    tracking_key = models.CharField(max_length=32, editable=False)
    client_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # NULL, not "": the unique constraint must admit every order sent without a key
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, editable=False)  # noqa: DJ001
    open311_client = models.ForeignKey(
        "Open311Client", verbose_name=_("接入应用"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What an Open311 client application sent besides the report itself (personal data: never returned by the API)
    reporter_email = models.EmailField(_("上报人邮箱"), blank=True)
    device_id = models.CharField(_("设备标识"), max_length=64, blank=True, editable=False)
    account_id = models.CharField(_("应用内账号"), max_length=64, blank=True, editable=False)
    media_url = models.URLField(_("附件链接"), max_length=500, blank=True)
    attributes = models.JSONField(_("补充信息"), default=dict, blank=True)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("合并到"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    suspended_from = models.CharField(max_length=12, choices=Status.choices, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    supervision = models.CharField(_("督办"), max_length=8, choices=Supervision.choices, blank=True)
    is_overdue = models.BooleanField(_("超期"), default=False)
    solved_on_spot = models.BooleanField(_("现场解决"), default=False)
    extension_pending_days = models.PositiveSmallIntegerField(_("申请延期(工作日)"), null=True, blank=True)
    dispatch_due_at = models.DateTimeField(_("派遣时限"), null=True, blank=True)
    sign_due_at = models.DateTimeField(_("签收时限"), null=True, blank=True)
    handle_due_at = models.DateTimeField(_("处置时限"), null=True, blank=True, db_index=True)
    deadline_estimated = models.BooleanField(_("时限按周一至周五估算"), default=False)
    reported_at = models.DateTimeField(_("上报时间"), db_index=True)
    registered_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True, db_index=True)
    closed_on_time = models.BooleanField(_("按期结案"), null=True, blank=True)
    handled_on_time = models.BooleanField(_("按期处置"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("评价"), null=True, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=200, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    return_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("延期次数"), default=0)
    escalation_count = models.PositiveSmallIntegerField(_("上报上级次数"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    jurisdiction_scope = Scope(region_path="region_path", department="department")

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["-reported_at", "-id"]
        # Every index costs each report an insert and each query a plan: only those the lists, queues, figures and
        # the sweep use (bench/README.md). Plain Index() entries also spare PostgreSQL the LIKE-pattern copies that
        # Django adds to each indexed or unique CharField.
        indexes = [
            models.Index(fields=["status", "level", "region_path"]),
            models.Index(fields=["department", "status"]),
            models.Index(fields=["incident_type", "status"]),
            models.Index(fields=["incident_type", "-reported_at", "-id"], name="work_order_type_newest"),
            models.Index(
                fields=["-reported_at", "-id"],
                name="work_order_open_newest",
                condition=models.Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(
                fields=["-reported_at", "-id"], name="work_order_overdue_newest", condition=models.Q(is_overdue=True)
            ),
            models.Index(
                fields=["-reported_at", "-id"], name="work_order_supervised_newest", condition=~models.Q(supervision="")
            ),
            models.Index(fields=["client_fingerprint", "reported_at"], name="work_order_client_recent"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tracking_key"], name="work_order_tracking_key_unique"),
            models.UniqueConstraint(fields=["idempotency_key"], name="work_order_idempotency_key_unique"),
            models.CheckConstraint(
                name="work_order_rating_1_to_5",
                condition=models.Q(rating__isnull=True) | models.Q(rating__range=(1, 5)),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_region_path(self) -> str:
        return self.region_path

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @staticmethod
    def new_tracking_key() -> str:
        return secrets.token_urlsafe(18)[:24]


class WorkOrderEvent(models.Model):
    """One step on a work order's timeline: who did what, from which status to which, with note and photos."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("原状态"), max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(_("操作人"), max_length=80, blank=True)  # "居民", "系统" or the staff name
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    jurisdiction_scope = Scope(region_path="work_order__region_path", department="work_order__department")

    class Meta:
        verbose_name = _("工单处理记录")
        verbose_name_plural = _("工单处理记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.action}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # the stored name never carries what the client called the file
    return f"workorders/{instance.created_at:%Y/%m}/{secrets.token_hex(12)}.{instance.extension}"


class Attachment(models.Model):
    """A photo of a work order, checked and re-encoded on upload (which also drops GPS and camera data)."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        WorkOrderEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    jurisdiction_scope = Scope(region_path="work_order__region_path", department="work_order__department")

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file.name or ""

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png"}.get(self.content_type, "bin")


class WorkOrderSequence(models.Model):
    """The last number given out per district and day, so numbers are readable, gapless and never collide."""

    district_code = models.CharField(max_length=6)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district_code", "day"], name="work_order_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.district_code}-{self.day:%Y%m%d}: {self.last}"


class OfficerPosition(models.Model):
    """A field officer's latest known position and whether they are on duty, for nearest-officer dispatch."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="position"
    )
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    on_duty = models.BooleanField(_("在岗"), default=True)
    reported_at = models.DateTimeField(_("上报时间"), db_index=True)

    jurisdiction_scope = Scope(region_path="user__posts__region__path", department="user__posts__department")

    class Meta:
        verbose_name = _("外勤人员位置")
        verbose_name_plural = _("外勤人员位置")

    def __str__(self) -> str:
        return f"{self.user_id} {self.lon:.5f},{self.lat:.5f}"


class Open311Client(models.Model):
    """An application that files and follows reports over Open311 with its own api_key (only a hash is kept)."""

    name = models.CharField(_("应用名称"), max_length=80)
    contact = models.CharField(_("联系人"), max_length=120, blank=True)
    key_prefix = models.CharField(max_length=8, db_index=True)
    key_digest = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 接入应用")
        verbose_name_plural = _("Open311 接入应用")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
