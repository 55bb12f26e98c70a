"""The satisfaction evaluation (居民满意度测评): campaigns with their indicator tree and questionnaires, the sample
plan (strata with quotas and populations, one-use invitations, the open link), responses, and the reverse problem
list that turns residents' free-text complaints into work orders and published rectifications.

Jurisdiction: a campaign belongs to its district (`region_path`); its plan, invitations, responses and reverse items
belong to their street, so a street's officers see their street and nothing of the others. The tree and the
questionnaires are what residents are asked: they are read through the campaign (`Scope()`: no region of their own).
Respondents are anonymous: a response keeps salted hashes of the phone and the device it came from, never the phone.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.core.jurisdiction import Scope
from civicgrid.evaluation.choices import (
    CampaignStatus,
    Channel,
    Entry,
    Group,
    ItemStatus,
    NodeKind,
    OnlineCheck,
    Polarity,
    Review,
)
from civicgrid.regions.models import Region

USER = settings.AUTH_USER_MODEL
DEFAULT_REWARDS = [500_000, 400_000, 300_000]


def new_online_key() -> str:
    return secrets.token_urlsafe(9)


def default_rewards() -> list[int]:
    return list(DEFAULT_REWARDS)


class Campaign(models.Model):
    """One round of the evaluation (a year) in a district."""

    name = models.CharField(_("测评名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    district = models.ForeignKey(Region, verbose_name=_("区"), on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=80, db_index=True)  # the district's path
    status = models.CharField(_("状态"), max_length=8, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    previous = models.ForeignKey(
        "self", verbose_name=_("上一轮测评"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    online_open = models.BooleanField(_("开放在线问卷"), default=True)
    online_key = models.CharField(_("在线问卷链接码"), max_length=16, unique=True, default=new_online_key)
    online_check = models.CharField(
        _("在线问卷防重复"), max_length=8, choices=OnlineCheck.choices, default=OnlineCheck.PHONE
    )
    rewards = models.JSONField(_("奖励金额(元)"), default=default_rewards)
    bootstrap_seed = models.PositiveIntegerField(_("自助法随机种子"), default=20200101)
    revision = models.PositiveIntegerField(default=1)  # bumped by every change that changes the report
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    opened_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    jurisdiction_scope = Scope(region_path="region_path")

    class Meta:
        verbose_name = _("测评活动")
        verbose_name_plural = _("测评活动")
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_path(self) -> str:
        return self.region_path


class Indicator(models.Model):
    """A node of the campaign's indicator tree: dimension > focus area > indicator, with its weight among siblings.

    A special indicator (专项特色指标) belongs to one street and stands outside the tree (no parent): it is scored
    and reported for that street beside the tree's scores, never inside them.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="indicators")
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    kind = models.CharField(_("层级"), max_length=12, choices=NodeKind.choices)
    code = models.CharField(_("编码"), max_length=12)
    name = models.CharField(_("名称"), max_length=60)
    weight = models.DecimalField(_("权重"), max_digits=6, decimal_places=4, default=1)
    is_key = models.BooleanField(_("关键指标"), default=False)
    street = models.ForeignKey(
        Region,
        verbose_name=_("专项特色指标所属街道"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    jurisdiction_scope = Scope()

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["sort", "code"]
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="evaluation_indicator_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def audit_region_path(self) -> str:
        return self.campaign.region_path

    @property
    def is_special(self) -> bool:
        return self.street_id is not None


class Questionnaire(models.Model):
    """The questionnaire of one respondent group. Frozen (no question changes) once its first answer arrives."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="questionnaires")
    group = models.CharField(_("调查对象"), max_length=12, choices=Group.choices)
    title = models.CharField(_("问卷标题"), max_length=100)
    intro = models.TextField(_("卷首语"), blank=True)
    large_text = models.BooleanField(_("大字版"), default=False)
    frozen_at = models.DateTimeField(_("冻结时间"), null=True, blank=True)

    jurisdiction_scope = Scope()

    class Meta:
        verbose_name = _("问卷")
        verbose_name_plural = _("问卷")
        ordering = ["campaign", "group"]
        constraints = [models.UniqueConstraint(fields=["campaign", "group"], name="evaluation_one_questionnaire")]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_region_path(self) -> str:
        return self.campaign.region_path


class Question(models.Model):
    """A question: positive and special ones are scored on a 1..`scale` scale and measure an indicator; a reverse
    question is free text. An answer of 0 to a scored question means "don't know" and is not scored."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(_("题号"), max_length=12)
    text = models.CharField(_("题目"), max_length=200)
    polarity = models.CharField(_("类型"), max_length=10, choices=Polarity.choices, default=Polarity.POSITIVE)
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("所测指标"), null=True, blank=True, on_delete=models.PROTECT, related_name="questions"
    )
    scale = models.PositiveSmallIntegerField(_("分值档数"), default=5)
    labels = models.JSONField(_("各档说明"), default=list, blank=True)
    required = models.BooleanField(_("必答"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    jurisdiction_scope = Scope()

    class Meta:
        verbose_name = _("题目")
        verbose_name_plural = _("题目")
        ordering = ["sort", "id"]
        constraints = [models.UniqueConstraint(fields=["questionnaire", "code"], name="evaluation_question_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    @property
    def audit_region_path(self) -> str:
        return self.questionnaire.campaign.region_path

    @property
    def is_scored(self) -> bool:
        return self.polarity != Polarity.REVERSE


class CampaignStreet(models.Model):
    """A street taking part in a campaign, with the spending it states for the cost index."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="streets")
    street = models.ForeignKey(Region, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    spending = models.DecimalField(_("工作经费(元)"), max_digits=14, decimal_places=2, null=True, blank=True)

    jurisdiction_scope = Scope(region_path="street__path")

    class Meta:
        verbose_name = _("参评街道")
        verbose_name_plural = _("参评街道")
        ordering = ["street__code"]
        constraints = [models.UniqueConstraint(fields=["campaign", "street"], name="evaluation_street_once")]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.street.name}"

    @property
    def audit_region_path(self) -> str:
        return self.street.path


class Stratum(models.Model):
    """A street and respondent group of the sample plan: its population (for the weights), its quota of directed
    responses, and running counts (kept under the row's lock, so a quota holds under concurrent submissions)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="strata")
    street = models.ForeignKey(Region, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    group = models.CharField(_("调查对象"), max_length=12, choices=Group.choices)
    population = models.PositiveIntegerField(_("总体数"), null=True, blank=True)
    quota = models.PositiveIntegerField(_("定向样本配额"), default=0)
    directed_count = models.PositiveIntegerField(_("定向样本数"), default=0)
    online_count = models.PositiveIntegerField(_("在线样本数"), default=0)

    jurisdiction_scope = Scope(region_path="street__path")

    class Meta:
        verbose_name = _("抽样层")
        verbose_name_plural = _("抽样层")
        ordering = ["street__code", "group"]
        constraints = [models.UniqueConstraint(fields=["campaign", "street", "group"], name="evaluation_stratum_once")]

    def __str__(self) -> str:
        return f"{self.street.name} · {self.get_group_display()}"

    @property
    def audit_region_path(self) -> str:
        return self.street.path


def new_token() -> str:
    """12 characters a surveyor can also type: no 0/O or 1/I/L."""
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _i in range(12))


class Invitation(models.Model):
    """A one-use token of the directed sample, printed as a QR code and handed to a sampled resident."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    stratum = models.ForeignKey(Stratum, on_delete=models.PROTECT, related_name="invitations")
    token = models.CharField(_("邀请码"), max_length=16, unique=True, default=new_token)
    surveyor = models.ForeignKey(
        USER, verbose_name=_("发放调查员"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    batch = models.PositiveIntegerField(_("批次"), default=1)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    jurisdiction_scope = Scope(region_path="stratum__street__path")

    class Meta:
        verbose_name = _("邀请码")
        verbose_name_plural = _("邀请码")
        ordering = ["batch", "id"]

    def __str__(self) -> str:
        return self.token

    @property
    def audit_region_path(self) -> str:
        return self.stratum.street.path


class Response(models.Model):
    """One questionnaire answered. Anonymous: which sample, group, street, when and by which surveyor, never who."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="responses")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="responses")
    street = models.ForeignKey(Region, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    group = models.CharField(_("调查对象"), max_length=12, choices=Group.choices)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    entry = models.CharField(_("填写方式"), max_length=10, choices=Entry.choices)
    invitation = models.OneToOneField(
        Invitation, verbose_name=_("邀请码"), null=True, blank=True, on_delete=models.PROTECT, related_name="response"
    )
    surveyor = models.ForeignKey(
        USER, verbose_name=_("调查员"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    device_hash = models.CharField(max_length=32, blank=True, editable=False)
    phone_hash = models.CharField(max_length=32, blank=True, editable=False)
    # a surveyor's offline answer sent twice, or a paper questionnaire imported twice, is stored once
    client_key = models.CharField(max_length=80, null=True, blank=True, editable=False)  # noqa: DJ001
    answers = models.JSONField(_("评分题答案"), default=dict)  # question code -> 0 (don't know) or 1..scale
    scores = models.JSONField(_("指标得分"), default=dict)  # indicator code -> the respondent's indicator score
    answers_hash = models.CharField(max_length=16, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("提交时间"), db_index=True)
    duration_seconds = models.PositiveIntegerField(_("作答用时(秒)"), null=True, blank=True)
    out_of_quota = models.BooleanField(_("超出配额"), default=False)
    flags = models.JSONField(_("可疑标记"), default=list, blank=True)
    review = models.CharField(_("审核"), max_length=10, choices=Review.choices, default=Review.NONE, blank=True)
    review_reason = models.CharField(_("审核理由"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        USER, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    jurisdiction_scope = Scope(region_path="street__path")

    class Meta:
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "street", "group"], name="evaluation_response_stratum"),
            models.Index(fields=["campaign", "review"], name="evaluation_response_review"),
            # the burst check: the same answers again, from one device or surveyor, within minutes
            models.Index(fields=["answers_hash", "submitted_at"], name="evaluation_response_burst"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "client_key"], name="evaluation_response_client_key"),
            models.UniqueConstraint(
                fields=["campaign", "phone_hash"],
                condition=Q(channel=Channel.ONLINE) & ~Q(phone_hash=""),
                name="evaluation_online_once_per_phone",
            ),
            models.UniqueConstraint(
                fields=["campaign", "device_hash"],
                condition=Q(channel=Channel.ONLINE, phone_hash="") & ~Q(device_hash=""),
                name="evaluation_online_once_per_device",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}-{self.pk}"

    @property
    def audit_region_path(self) -> str:
        return self.street.path


class OneTimeCode(models.Model):
    """An SMS code that proves an open-link respondent holds the phone. Only hashes are kept."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    phone_hash = models.CharField(max_length=32, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    jurisdiction_scope = Scope()

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.phone_hash[:6]}"


class ReverseItem(models.Model):
    """An item of the reverse problem list: what residents of one street said about one thing, routed as a work
    order with a deadline, its rectification (the work order's feedback and closure), and its publication."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="reverse_items")
    street = models.ForeignKey(Region, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    topic = models.CharField(_("问题类别"), max_length=24)
    topic_name = models.CharField(_("问题类别名称"), max_length=24)
    keyword = models.CharField(_("归并关键词"), max_length=24, blank=True)
    title = models.CharField(_("问题摘要"), max_length=120)
    department_key = models.CharField(_("建议责任部门"), max_length=32, blank=True)
    incident_type_code = models.CharField(_("工单事件类型"), max_length=12, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.NEW)
    work_order = models.ForeignKey(
        "workorders.WorkOrder",
        verbose_name=_("整改工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_on = models.DateField(_("整改期限"), null=True, blank=True)
    routed_at = models.DateTimeField(_("派发时间"), null=True, blank=True)
    routed_by = models.ForeignKey(
        USER, verbose_name=_("派发人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    routed_to = models.CharField(_("责任单位"), max_length=100, blank=True)
    dismiss_reason = models.CharField(_("不予派发理由"), max_length=200, blank=True)
    public_summary = models.CharField(_("居民反映（公示）"), max_length=300, blank=True)
    public_action = models.TextField(_("整改情况（公示）"), blank=True)
    rectified_at = models.DateTimeField(_("整改完成时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    jurisdiction_scope = Scope(region_path="street__path")

    class Meta:
        verbose_name = _("反向问题")
        verbose_name_plural = _("反向问题清单")
        ordering = ["-created_at", "-id"]
        constraints = [
            # comments saying the same thing in one street join the one open item
            models.UniqueConstraint(
                fields=["campaign", "street", "topic", "keyword"],
                condition=Q(status__in=[ItemStatus.NEW, ItemStatus.ROUTED]),
                name="evaluation_reverse_item_open_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_region_path(self) -> str:
        return self.street.path


class ReverseComment(models.Model):
    """One reverse (free-text) answer, stored with anything that looks like a phone or ID number masked."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="comments")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(_("内容"), max_length=500)
    topic = models.CharField(_("问题类别"), max_length=24, blank=True)
    item = models.ForeignKey(
        ReverseItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )  # none: the answer says there is nothing to report
    created_at = models.DateTimeField(_("时间"))

    jurisdiction_scope = Scope(region_path="street__path")

    class Meta:
        verbose_name = _("反向评价意见")
        verbose_name_plural = _("反向评价意见")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:30]


class ReportSnapshot(models.Model):
    """The last computed report of a campaign and the state of the data it was computed from (`stamp`)."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="snapshot")
    stamp = models.CharField(max_length=80)
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)
    data = models.JSONField()

    jurisdiction_scope = Scope()

    class Meta:
        verbose_name = _("测评报告缓存")
        verbose_name_plural = _("测评报告缓存")

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.stamp}"
