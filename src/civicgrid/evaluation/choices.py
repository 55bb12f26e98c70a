"""Statuses, kinds and the transition tables of the satisfaction evaluation: campaigns, responses under review and
the items of the reverse problem list."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.people.choices import Role


class Group(models.TextChoices):
    """Respondent groups, one questionnaire each (老年居民 / 中青年居民 / 驻区单位)."""

    ELDERLY = "elderly", _("老年居民")
    ADULT = "adult", _("中青年居民")
    ORGANISATION = "organisation", _("驻区单位")


class Channel(models.TextChoices):
    DIRECTED = "directed", _("定向抽样")
    ONLINE = "online", _("在线随机")


class Entry(models.TextChoices):
    """How a response came in: the channel says which sample it belongs to, the entry how it was filled."""

    INVITATION = "invitation", _("邀请码自填")
    SURVEYOR = "surveyor", _("调查员代填")
    PAPER = "paper", _("纸质问卷录入")
    ONLINE = "online", _("公开链接")


class Polarity(models.TextChoices):
    POSITIVE = "positive", _("正向评价")
    REVERSE = "reverse", _("反向评价")
    SPECIAL = "special", _("专项特色")


class NodeKind(models.TextChoices):
    DIMENSION = "dimension", _("维度")
    FOCUS_AREA = "focus_area", _("重点")
    INDICATOR = "indicator", _("指标")


CHILD_KIND = {NodeKind.DIMENSION: NodeKind.FOCUS_AREA, NodeKind.FOCUS_AREA: NodeKind.INDICATOR}


class OnlineCheck(models.TextChoices):
    """What makes an open-link respondent one respondent."""

    PHONE = "phone", _("手机号（短信验证码）")
    DEVICE = "device", _("设备")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("筹备中")
    OPEN = "open", _("测评中")
    CLOSED = "closed", _("已结束")


class CampaignAction(models.TextChoices):
    OPEN = "open", _("开始测评")
    CLOSE = "close", _("结束测评")
    REOPEN = "reopen", _("重新开放")


ADMINS = frozenset({Role.DISTRICT_ADMIN})

# status -> action -> (next status, roles). Opening checks the campaign is complete; closing freezes the report.
CAMPAIGN_TRANSITIONS: dict[str, dict[str, tuple[str, frozenset[str]]]] = {
    CampaignStatus.DRAFT: {CampaignAction.OPEN: (CampaignStatus.OPEN, ADMINS)},
    CampaignStatus.OPEN: {CampaignAction.CLOSE: (CampaignStatus.CLOSED, ADMINS)},
    CampaignStatus.CLOSED: {CampaignAction.REOPEN: (CampaignStatus.OPEN, ADMINS)},
}


class Flag(models.TextChoices):
    """Why a response waits for a person's review. A flag never excludes a response by itself."""

    OUT_OF_QUOTA = "out_of_quota", _("超出配额")
    STRAIGHT_LINE = "straight_line", _("所有评分题答案相同")
    BURST = "burst", _("同一设备或调查员短时间内提交相同答卷")
    TOO_FAST = "too_fast", _("作答时间过短")


class Review(models.TextChoices):
    NONE = "", _("无需审核")
    PENDING = "pending", _("待审核")
    KEPT = "kept", _("审核保留")
    EXCLUDED = "excluded", _("审核剔除")


class ReviewAction(models.TextChoices):
    KEEP = "keep", _("保留")
    EXCLUDE = "exclude", _("剔除")


# review status -> action -> next. Any response may be excluded by a person (with a reason), and brought back.
REVIEW_TRANSITIONS: dict[str, dict[str, str]] = {
    Review.NONE: {ReviewAction.EXCLUDE: Review.EXCLUDED},
    Review.PENDING: {ReviewAction.KEEP: Review.KEPT, ReviewAction.EXCLUDE: Review.EXCLUDED},
    Review.KEPT: {ReviewAction.EXCLUDE: Review.EXCLUDED},
    Review.EXCLUDED: {ReviewAction.KEEP: Review.KEPT},
}


class ItemStatus(models.TextChoices):
    """An item of the reverse problem list. "Rectified" is read from its work order (closed)."""

    NEW = "new", _("待派发")
    ROUTED = "routed", _("整改中")
    PUBLISHED = "published", _("已公示")
    DISMISSED = "dismissed", _("不予派发")


class ItemAction(models.TextChoices):
    ROUTE = "route", _("派发整改")
    PUBLISH = "publish", _("公示整改结果")
    DISMISS = "dismiss", _("不予派发")
    RESTORE = "restore", _("恢复待派发")


ITEM_TRANSITIONS: dict[str, dict[str, tuple[str, frozenset[str]]]] = {
    ItemStatus.NEW: {
        ItemAction.ROUTE: (ItemStatus.ROUTED, ADMINS),
        ItemAction.DISMISS: (ItemStatus.DISMISSED, ADMINS),
    },
    ItemStatus.ROUTED: {ItemAction.PUBLISH: (ItemStatus.PUBLISHED, ADMINS)},  # once its work order is closed
    ItemStatus.DISMISSED: {ItemAction.RESTORE: (ItemStatus.NEW, ADMINS)},
    ItemStatus.PUBLISHED: {},
}
# Who reads a campaign's results: the district's administrators everything, a street's officers their street.
RESULT_READERS = frozenset({Role.DISTRICT_ADMIN, Role.STREET_OFFICER})
SURVEYOR_ROLES = frozenset({Role.FIELD_SURVEYOR, Role.DISTRICT_ADMIN})
