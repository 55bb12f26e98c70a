"""Grid work: patrols and their tracks, leave and A/B cover, home visits, the community log, found problems and the
grid council, the grid work guide and its tasks assigned to grids.

Every record keeps the path of its grid (`region_path`, copied when it is made) so that jurisdiction filters are a
prefix match on the row itself, without joins, as work orders do.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.core.jurisdiction import Scope
from civicgrid.gridwork.choices import (
    AgendaOutcome,
    AssignmentStatus,
    Frequency,
    LeaveReason,
    LeaveStatus,
    MeetingStatus,
    PatrolEnd,
    PatrolStatus,
    ProblemAction,
    ProblemStatus,
    RiskLevel,
    VisitKind,
)
from civicgrid.regions.models import Region

USER = settings.AUTH_USER_MODEL


class InGrid(models.Model):
    """A record that belongs to one grid."""

    grid = models.ForeignKey(Region, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(_("所属区域路径"), max_length=80, editable=False)

    jurisdiction_scope = Scope(region_path="region_path")

    class Meta:
        abstract = True

    @property
    def audit_region_path(self) -> str:
        return self.region_path

    def place_in(self, grid: Region) -> None:
        self.grid = grid
        self.region_path = grid.path


# ---------------------------------------------------------------- patrols


class Patrol(InGrid):
    """One patrol of a grid worker: from start to stop, with the track the phone uploads in batches.

    `grid` is the worker's own grid when the patrol started; the time counted for each grid and day (their own, and
    a grid they covered that day) is in `PatrolGridTime`, kept up to date as batches arrive.
    """

    worker = models.ForeignKey(USER, verbose_name=_("网格员"), on_delete=models.PROTECT, related_name="patrols")
    status = models.CharField(_("状态"), max_length=8, choices=PatrolStatus.choices, default=PatrolStatus.OPEN)
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    end_reason = models.CharField(_("结束方式"), max_length=12, choices=PatrolEnd.choices, blank=True)
    start_key = models.CharField(max_length=64, blank=True, editable=False)  # the phone's idempotency key
    point_count = models.PositiveIntegerField(_("轨迹点数"), default=0)
    kept_count = models.PositiveIntegerField(_("有效点数"), default=0)
    last_point_at = models.DateTimeField(_("最后定位时间"), null=True, blank=True)
    distance_m = models.FloatField(_("巡查里程(米)"), default=0)
    seconds_in_grid = models.PositiveIntegerField(_("在格时长(秒)"), default=0)
    tracked_seconds = models.PositiveIntegerField(_("有效轨迹时长(秒)"), default=0)
    verdicts = models.JSONField(_("轨迹点判定"), default=dict, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("巡查")
        verbose_name_plural = _("巡查")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["worker", "-started_at"]),
            models.Index(fields=["region_path", "-started_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["worker"],
                condition=models.Q(status=PatrolStatus.OPEN),
                name="patrol_one_open_per_worker",
                violation_error_message=_("每名网格员同时只能有一次进行中的巡查。"),
            ),
            models.UniqueConstraint(
                fields=["worker", "start_key"], condition=~models.Q(start_key=""), name="patrol_start_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"


class TrackBatch(models.Model):
    """One upload of track points from the phone, as sent: `[[epoch_ms, lon, lat, accuracy_m], ...]`.

    A batch is kept whole (one row, not one row per point: a district's month of tracks is a few million batches,
    not a billion rows) and identified by the phone's batch id, so a retried upload adds nothing.
    """

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="batches")
    batch_id = models.CharField(_("批次编号"), max_length=64)
    digest = models.CharField(max_length=64)
    points = models.JSONField(_("轨迹点"))
    count = models.PositiveIntegerField(_("点数"))
    first_at = models.DateTimeField(_("最早时间"))
    last_at = models.DateTimeField(_("最晚时间"))
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    jurisdiction_scope = Scope(region_path="patrol__region_path")

    class Meta:
        verbose_name = _("轨迹批次")
        verbose_name_plural = _("轨迹批次")
        ordering = ["first_at", "id"]
        constraints = [models.UniqueConstraint(fields=["patrol", "batch_id"], name="track_batch_unique_per_patrol")]

    def __str__(self) -> str:
        return f"{self.patrol_id}/{self.batch_id}"


class PatrolGridTime(InGrid):
    """Seconds a patrol spent inside one grid on one (Beijing) day: what the 4-hour rule adds up."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="grid_times")
    worker = models.ForeignKey(USER, verbose_name=_("网格员"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("日期"))
    seconds = models.PositiveIntegerField(_("在格时长(秒)"))
    covering = models.BooleanField(_("顶岗"), default=False)

    class Meta:
        verbose_name = _("在格时长")
        verbose_name_plural = _("在格时长")
        ordering = ["day", "grid_id"]
        indexes = [models.Index(fields=["day", "region_path"]), models.Index(fields=["worker", "day"])]
        constraints = [
            models.UniqueConstraint(fields=["patrol", "grid", "day"], name="patrol_grid_time_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.grid_id} {self.seconds}s"


# ---------------------------------------------------------------- leave and A/B cover


class Leave(InGrid):
    """A grid worker's leave. While an approved leave runs, the worker of the grid's A/B partner covers the grid."""

    worker = models.ForeignKey(USER, verbose_name=_("请假人"), on_delete=models.PROTECT, related_name="leaves")
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    kind = models.CharField(_("假别"), max_length=12, choices=LeaveReason.choices)
    reason = models.CharField(_("事由"), max_length=200)
    status = models.CharField(_("状态"), max_length=10, choices=LeaveStatus.choices, default=LeaveStatus.REQUESTED)
    requested_by = models.ForeignKey(USER, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("登记时间"))
    decided_by = models.ForeignKey(
        USER, verbose_name=_("审批人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("请假")
        verbose_name_plural = _("请假")
        ordering = ["-starts_on", "-id"]
        indexes = [
            models.Index(fields=["status", "starts_on", "ends_on"]),
            models.Index(fields=["worker", "starts_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="leave_ends_after_start", condition=models.Q(ends_on__gte=models.F("starts_on"))
            )
        ]

    def __str__(self) -> str:
        return f"{self.worker} {self.starts_on:%Y-%m-%d}–{self.ends_on:%Y-%m-%d}"


# ---------------------------------------------------------------- home visits


class HomeVisit(InGrid):
    """A grid worker's visit to a household (入户走访): what they found, what the household needs, the risks seen,
    and when to come back. `grid` is the household's grid at the time of the visit."""

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("户"), on_delete=models.PROTECT, related_name="+"
    )
    visitor = models.ForeignKey(USER, verbose_name=_("走访人"), on_delete=models.PROTECT, related_name="+")
    visited_at = models.DateTimeField(_("走访时间"))
    kind = models.CharField(_("走访类型"), max_length=12, choices=VisitKind.choices, default=VisitKind.ROUTINE)
    met = models.BooleanField(_("见到住户"), default=True)
    findings = models.TextField(_("走访情况"))
    needs = models.TextField(_("居民需求"), blank=True)
    risks = models.TextField(_("隐患矛盾"), blank=True)
    risk_level = models.CharField(_("风险程度"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.NONE)
    follow_up_on = models.DateField(_("回访日期"), null=True, blank=True)
    client_key = models.CharField(max_length=64, blank=True, editable=False)  # the phone's idempotency key
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("入户走访")
        verbose_name_plural = _("入户走访")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["household", "-visited_at"]),
            models.Index(fields=["region_path", "-visited_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["visitor", "client_key"], condition=~models.Q(client_key=""), name="home_visit_client_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {timezone.localtime(self.visited_at):%Y-%m-%d}"


# ---------------------------------------------------------------- community log


class CommunityLog(InGrid):
    """The day's community log (民情日记) of one grid worker: what they saw and heard in the grid."""

    worker = models.ForeignKey(USER, verbose_name=_("网格员"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("日期"))
    weather = models.CharField(_("天气"), max_length=20, blank=True)
    content = models.TextField(_("民情记录"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("民情日记")
        verbose_name_plural = _("民情日记")
        ordering = ["-day", "-id"]
        indexes = [models.Index(fields=["region_path", "-day"])]
        constraints = [models.UniqueConstraint(fields=["worker", "day"], name="community_log_one_per_worker_day")]

    def __str__(self) -> str:
        return f"{self.worker} {self.day:%Y-%m-%d}"


# ---------------------------------------------------------------- found problems and the grid council


class FoundProblem(InGrid):
    """A problem a grid worker found: settled on the spot, passed to the grid leader, put on the grid council's
    agenda, or raised as a work order (the work-order module takes it from there)."""

    recorded_by = models.ForeignKey(USER, verbose_name=_("发现人"), on_delete=models.PROTECT, related_name="+")
    found_at = models.DateTimeField(_("发现时间"))
    description = models.TextField(_("问题描述"))
    address = models.CharField(_("地点"), max_length=200, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    resolution = models.TextField(_("处理结果"), blank=True)
    work_order = models.ForeignKey(
        "workorders.WorkOrder",
        verbose_name=_("工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    client_key = models.CharField(max_length=64, blank=True, editable=False)  # the phone's idempotency key
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("发现问题")
        verbose_name_plural = _("发现问题")
        ordering = ["-found_at", "-id"]
        indexes = [models.Index(fields=["region_path", "status"]), models.Index(fields=["status", "-found_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recorded_by", "client_key"],
                condition=~models.Q(client_key=""),
                name="found_problem_client_key",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.description[:20]}"


class ProblemEvent(models.Model):
    """One step of a found problem: who did what, from which status to which, and why."""

    problem = models.ForeignKey(FoundProblem, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=20)
    from_status = models.CharField(_("原状态"), max_length=16, choices=ProblemStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=ProblemStatus.choices)
    actor = models.ForeignKey(USER, verbose_name=_("操作人"), null=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)  # when it happened (history keeps its times)

    jurisdiction_scope = Scope(region_path="problem__region_path")

    class Meta:
        verbose_name = _("问题处理记录")
        verbose_name_plural = _("问题处理记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.action}"

    @property
    def action_label(self) -> str:
        if self.action == "record":
            return str(_("登记"))
        return str(ProblemAction(self.action).label) if self.action in ProblemAction.values else self.action


class CouncilMeeting(InGrid):
    """A meeting of the grid council (网格议事会): its agenda is what the grid leader could not settle."""

    scheduled_at = models.DateTimeField(_("召开时间"))
    place = models.CharField(_("地点"), max_length=100)
    status = models.CharField(_("状态"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    convened_by = models.ForeignKey(USER, verbose_name=_("召集人"), on_delete=models.PROTECT, related_name="+")
    attendees = models.CharField(_("参会人员"), max_length=500, blank=True)
    minutes = models.TextField(_("会议纪要"), blank=True)
    held_at = models.DateTimeField(_("实际召开时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("网格议事会")
        verbose_name_plural = _("网格议事会")
        ordering = ["-scheduled_at", "-id"]

    def __str__(self) -> str:
        return f"{self.grid_id} {timezone.localtime(self.scheduled_at):%Y-%m-%d}"


class AgendaItem(models.Model):
    """One problem on a council meeting's agenda, and what the council decided."""

    meeting = models.ForeignKey(CouncilMeeting, on_delete=models.CASCADE, related_name="items")
    problem = models.ForeignKey(FoundProblem, on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveSmallIntegerField(_("序号"))
    outcome = models.CharField(_("议定结果"), max_length=12, choices=AgendaOutcome.choices, blank=True)
    decision = models.TextField(_("议定意见"), blank=True)

    jurisdiction_scope = Scope(region_path="meeting__region_path")

    class Meta:
        verbose_name = _("议题")
        verbose_name_plural = _("议题")
        ordering = ["meeting", "position"]
        constraints = [models.UniqueConstraint(fields=["meeting", "problem"], name="agenda_item_once_per_meeting")]

    def __str__(self) -> str:
        return f"{self.meeting_id}.{self.position}"


# ---------------------------------------------------------------- the grid work guide


class GuideCategory(models.Model):
    code = models.CharField(_("代码"), max_length=2, unique=True)
    name = models.CharField(_("大类"), max_length=40)
    sort = models.PositiveSmallIntegerField(default=0)

    jurisdiction_scope = Scope()  # reference data, the same for everyone

    class Meta:
        verbose_name = _("网格工作指南大类")
        verbose_name_plural = _("网格工作指南大类")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class GuideSubcategory(models.Model):
    category = models.ForeignKey(GuideCategory, on_delete=models.PROTECT, related_name="subcategories")
    code = models.CharField(_("代码"), max_length=4, unique=True)
    name = models.CharField(_("小类"), max_length=40)
    sort = models.PositiveSmallIntegerField(default=0)

    jurisdiction_scope = Scope()

    class Meta:
        verbose_name = _("网格工作指南小类")
        verbose_name_plural = _("网格工作指南小类")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class GuideTask(models.Model):
    """One task of the grid work guide: what the grid worker does (service content) and to what standard."""

    subcategory = models.ForeignKey(GuideSubcategory, on_delete=models.PROTECT, related_name="tasks")
    code = models.CharField(_("代码"), max_length=6, unique=True)
    name = models.CharField(_("工作事项"), max_length=60)
    content = models.TextField(_("服务内容"))
    standard = models.TextField(_("服务标准"))
    frequency = models.CharField(_("频次"), max_length=12, choices=Frequency.choices)
    is_active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(default=0)

    jurisdiction_scope = Scope()

    class Meta:
        verbose_name = _("网格工作事项")
        verbose_name_plural = _("网格工作事项")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class GuideAssignment(InGrid):
    """A guide task given to a grid with a due date (by the community head); done when its grid worker records it."""

    task = models.ForeignKey(GuideTask, verbose_name=_("工作事项"), on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("完成期限"))
    status = models.CharField(
        _("状态"), max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED
    )
    note = models.CharField(_("布置说明"), max_length=500, blank=True)
    assigned_by = models.ForeignKey(USER, verbose_name=_("布置人"), on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("布置时间"))
    completed_by = models.ForeignKey(
        USER, verbose_name=_("完成人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    result = models.TextField(_("完成情况"), blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("网格工作任务")
        verbose_name_plural = _("网格工作任务")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["region_path", "status", "due_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "grid", "due_on"],
                condition=~models.Q(status=AssignmentStatus.CANCELLED),
                name="guide_assignment_once_per_due_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_id}@{self.grid_id} {self.due_on:%Y-%m-%d}"

    @property
    def is_done(self) -> bool:
        return self.status == AssignmentStatus.COMPLETED
