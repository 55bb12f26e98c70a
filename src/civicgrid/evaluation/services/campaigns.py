"""Building a campaign: create it (with the default tree and questionnaires, or a copy of an earlier campaign's),
adjust the tree, the questions and the sample plan, print invitations, open and close it.

The tree's structure and the questions are frozen once the first answer of the questionnaire arrives; weights and
names may change until the campaign is closed (each change makes the report be recomputed).
"""

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import openpyxl
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from civicgrid.evaluation import defaults
from civicgrid.evaluation.choices import (
    CAMPAIGN_TRANSITIONS,
    CHILD_KIND,
    CampaignAction,
    CampaignStatus,
    Group,
    NodeKind,
    OnlineCheck,
    Polarity,
)
from civicgrid.evaluation.models import (
    Campaign,
    CampaignStreet,
    Indicator,
    Invitation,
    Question,
    Questionnaire,
    Stratum,
)
from civicgrid.evaluation.services.common import campaign_for_admin, require_not_closed
from civicgrid.people.choices import Role
from civicgrid.people.models import User
from civicgrid.people.permissions import holds_role, require_role
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region

DEFAULT_QUOTAS: dict[str, int] = {Group.ELDERLY: 100, Group.ADULT: 150, Group.ORGANISATION: 30}
MAX_INVITATIONS = 500
DEFAULT_LABELS = ["很不满意", "不满意", "一般", "满意", "很满意"]


def _error(field: str, message: str) -> ValidationError:
    return ValidationError(message, errors={field: [message]})


# ---------------------------------------------------------------- creating a campaign


@transaction.atomic
def campaign_create(
    *, actor: Any, district_code: str, year: int, name: str = "", copy_from_id: int | None = None
) -> Campaign:
    """A new campaign in draft: every street of the district, three strata each, the tree and the questionnaires
    from the default data files, or copied from an earlier campaign of the district (with its quotas and
    populations). The last closed campaign of an earlier year becomes `previous`, for the progress index."""
    district = Region.objects.filter(code=district_code, level=Level.DISTRICT).first()
    if district is None:
        raise _error("district", _("区划 %(code)s 不是一个区。") % {"code": district_code})
    if actor is not None:
        require_role(actor, {Role.DISTRICT_ADMIN}, at=district)
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise _error("year", _("请填写 2000 到 2100 之间的年度。"))
    name = (name or "").strip() or _("%(year)s年度%(district)s街道工作居民满意度测评") % {
        "year": year,
        "district": district.name,
    }
    if len(name) > 100:
        raise _error("name", _("测评名称不超过 100 字。"))
    source = None
    if copy_from_id is not None:
        source = Campaign.objects.filter(pk=copy_from_id, district=district).first()
        if source is None:
            raise _error("copy_from", _("要复制的测评不存在或不属于本区。"))
    previous = (
        Campaign.objects.filter(district=district, status=CampaignStatus.CLOSED, year__lt=year)
        .order_by("-year", "-closed_at")
        .first()
    )
    campaign = Campaign.objects.create(
        name=name, year=year, district=district, region_path=district.path, previous=previous
    )
    if source is not None:
        _copy_design(source, campaign)
    else:
        _design_from_defaults(campaign)
    streets = list(Region.objects.filter(parent=district, level=Level.STREET).order_by("code"))
    CampaignStreet.objects.bulk_create([CampaignStreet(campaign=campaign, street=street) for street in streets])
    earlier = {(s.street_id, s.group): s for s in Stratum.objects.filter(campaign=source)} if source else {}
    Stratum.objects.bulk_create(
        [
            Stratum(
                campaign=campaign,
                street=street,
                group=group,
                quota=earlier[(street.pk, group)].quota if (street.pk, group) in earlier else DEFAULT_QUOTAS[group],
                population=earlier[(street.pk, group)].population if (street.pk, group) in earlier else None,
            )
            for street in streets
            for group in Group.values
        ]
    )
    audit.record(
        actor=actor,
        action="evaluation.campaign.create",
        obj=campaign,
        after={"year": year, "streets": len(streets), "copied_from": copy_from_id, "previous": campaign.previous_id},
    )
    return campaign


def _design_from_defaults(campaign: Campaign) -> None:
    nodes = defaults.read_tree()
    indicators = {n.code for n in nodes if n.kind == NodeKind.INDICATOR}
    _write_design(campaign, nodes, defaults.read_questionnaires(indicators=indicators))


def _copy_design(source: Campaign, campaign: Campaign) -> None:
    """The source campaign's tree (special indicators too) and questionnaires, as the data files would give them."""
    order = {NodeKind.DIMENSION: 0, NodeKind.FOCUS_AREA: 1, NodeKind.INDICATOR: 2}  # parents first
    old = sorted(source.indicators.select_related("parent"), key=lambda n: (order[NodeKind(n.kind)], n.sort, n.code))
    nodes = [
        defaults.Node(
            n.kind, n.code, n.name, n.weight, n.is_key, n.parent.code if n.parent else None, n.sort, n.street_id
        )
        for n in old
    ]
    specs = [
        defaults.QuestionnaireSpec(
            q.group,
            q.title,
            q.intro,
            q.large_text,
            [
                defaults.QuestionSpec(
                    x.code,
                    x.text,
                    x.polarity,
                    x.indicator.code if x.indicator else None,
                    x.scale,
                    x.labels,
                    x.sort,
                    x.required,
                )
                for x in q.questions.select_related("indicator")
            ],
        )
        for q in source.questionnaires.all()
    ]
    _write_design(campaign, nodes, specs)


def _write_design(campaign: Campaign, nodes: list[defaults.Node], specs: list[defaults.QuestionnaireSpec]) -> None:
    created: dict[str, Indicator] = {}
    for node in nodes:
        created[node.code] = Indicator.objects.create(
            campaign=campaign,
            parent=created[node.parent] if node.parent else None,
            kind=node.kind,
            code=node.code,
            name=node.name,
            weight=node.weight,
            is_key=node.is_key,
            street_id=node.street_id,
            sort=node.sort,
        )
    for spec in specs:
        questionnaire = Questionnaire.objects.create(
            campaign=campaign, group=spec.group, title=spec.title, intro=spec.intro, large_text=spec.large_text
        )
        Question.objects.bulk_create(
            [
                Question(
                    questionnaire=questionnaire,
                    code=q.code,
                    text=q.text,
                    polarity=q.polarity,
                    indicator=created[q.indicator] if q.indicator else None,
                    scale=q.scale,
                    labels=q.labels,
                    required=q.required,
                    sort=q.sort,
                )
                for q in spec.questions
            ]
        )


# ---------------------------------------------------------------- settings and status


CAMPAIGN_FIELDS = ("name", "online_open", "online_check", "rewards", "previous_id", "bootstrap_seed")


@transaction.atomic
def campaign_update(*, actor: Any, campaign_id: int, changes: Mapping[str, Any]) -> Campaign:
    unknown = set(changes) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(names)s。") % {"names": "、".join(sorted(unknown))})
    campaign = campaign_for_admin(actor, campaign_id, lock=True)
    require_not_closed(campaign)
    before = audit.snapshot(campaign, [name.removesuffix("_id") for name in changes])
    if "name" in changes:
        name = str(changes["name"] or "").strip()
        if not name or len(name) > 100:
            raise _error("name", _("测评名称须填写，不超过 100 字。"))
        campaign.name = name
    if "online_open" in changes:
        campaign.online_open = bool(changes["online_open"])
    if "online_check" in changes:
        if changes["online_check"] not in OnlineCheck.values:
            raise _error("online_check", _("在线问卷防重复方式应为手机号或设备。"))
        if campaign.responses.filter(channel="online").exists() and changes["online_check"] != campaign.online_check:
            raise TransitionNotAllowed(_("已有在线答卷，不能再改变防重复方式。"))
        campaign.online_check = changes["online_check"]
    if "rewards" in changes:
        rewards = changes["rewards"]
        if (
            not isinstance(rewards, list | tuple)
            or not 1 <= len(rewards) <= 10
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 100_000_000 for v in rewards)
        ):
            raise _error("rewards", _("奖励金额应为 1 到 10 个不小于 0 的整数（元），按名次排列。"))
        campaign.rewards = list(rewards)
    if "previous_id" in changes:
        previous = changes["previous_id"]
        if previous is not None:
            found = Campaign.objects.filter(pk=previous, district=campaign.district).exclude(pk=campaign.pk).first()
            if found is None or found.year >= campaign.year:
                raise _error("previous", _("上一轮测评须是本区更早年度的测评。"))
        campaign.previous_id = previous
    if "bootstrap_seed" in changes:
        seed = changes["bootstrap_seed"]
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**31:
            raise _error("bootstrap_seed", _("随机种子应为非负整数。"))
        campaign.bootstrap_seed = seed
    campaign.revision += 1
    campaign.save()
    audit.record(
        actor=actor,
        action="evaluation.campaign.update",
        obj=campaign,
        before=before,
        after=audit.snapshot(campaign, [name.removesuffix("_id") for name in changes]),
    )
    return campaign


def readiness_problems(campaign: Campaign, *, closing: bool = False) -> list[str]:
    """What keeps the campaign from opening (or closing): weights, questions, quotas, populations."""
    problems: list[str] = []
    nodes = list(campaign.indicators.filter(street__isnull=True))
    siblings: dict[str | None, list[tuple[str, Decimal]]] = {}
    codes = {n.pk: n.code for n in nodes}
    for node in nodes:
        siblings.setdefault(codes.get(node.parent_id) if node.parent_id else None, []).append((node.code, node.weight))
    problems.extend(defaults.weights_problems(siblings))
    for node in nodes:
        if node.kind != NodeKind.INDICATOR and not any(n.parent_id == node.pk for n in nodes):
            problems.append(_("%(code)s %(name)s 下没有指标。") % {"code": node.code, "name": node.name})
    asked = set(Question.objects.filter(questionnaire__campaign=campaign).values_list("indicator_id", flat=True))
    for node in campaign.indicators.filter(kind=NodeKind.INDICATOR):
        if node.pk not in asked:
            problems.append(_("指标 %(code)s %(name)s 没有题目。") % {"code": node.code, "name": node.name})
    for questionnaire in campaign.questionnaires.all():
        if not questionnaire.questions.exclude(polarity=Polarity.REVERSE).exists():
            problems.append(_("“%(title)s”没有评分题。") % {"title": questionnaire.title})
    strata = list(campaign.strata.select_related("street"))
    if not any(s.quota for s in strata):
        problems.append(_("抽样方案中没有任何配额。"))
    if closing:
        missing = [s for s in strata if (s.quota or s.directed_count) and not s.population]
        if missing:
            names = "、".join(f"{s.street.name}{s.get_group_display()}" for s in missing[:10])
            problems.append(
                _("以下抽样层缺少总体数，无法加权：%(names)s%(more)s。")
                % {"names": names, "more": _("等 %(n)s 个") % {"n": len(missing)} if len(missing) > 10 else ""}
            )
    return problems


@transaction.atomic
def campaign_act(*, actor: Any, campaign_id: int, action: str) -> Campaign:
    """Open, close or reopen a campaign. Closing waits for submissions in progress (it locks every stratum)."""
    if action not in CampaignAction.values:
        raise ValidationError(_("未知的操作：%(action)s。") % {"action": action})
    campaign = campaign_for_admin(actor, campaign_id, lock=True)
    allowed = CAMPAIGN_TRANSITIONS[campaign.status].get(action)
    if allowed is None:
        raise TransitionNotAllowed(
            _("测评当前状态为“%(status)s”，不能“%(action)s”。")
            % {"status": campaign.get_status_display(), "action": CampaignAction(action).label}
        )
    target, roles = allowed
    if actor is not None and not holds_role(actor, roles, at=campaign.district):
        raise PermissionDenied(_("只有区级管理员可以开始或结束测评。"))
    list(Stratum.objects.filter(campaign=campaign).select_for_update())  # submissions in flight finish first
    problems = readiness_problems(campaign, closing=action == CampaignAction.CLOSE)
    if action != CampaignAction.REOPEN and problems:
        raise ValidationError(
            _("测评还不能%(action)s：%(problems)s")
            % {"action": CampaignAction(action).label, "problems": "；".join(problems)},
            errors={"campaign": problems},
        )
    before = campaign.status
    now = timezone.now()
    campaign.status = target
    if action == CampaignAction.OPEN:
        campaign.opened_at = campaign.opened_at or now
    elif action == CampaignAction.CLOSE:
        campaign.closed_at = now
    campaign.revision += 1
    campaign.save()
    audit.record(
        actor=actor,
        action=f"evaluation.campaign.{action}",
        obj=campaign,
        before={"status": before},
        after={"status": target},
    )
    return campaign


# ---------------------------------------------------------------- the tree


def _tree_open(campaign: Campaign) -> None:
    require_not_closed(campaign)
    if campaign.questionnaires.filter(frozen_at__isnull=False).exists():
        raise TransitionNotAllowed(_("已有答卷，指标体系的结构已冻结；仍可修改名称和权重。"))


def _node(campaign: Campaign, code: str) -> Indicator:
    node = campaign.indicators.filter(code=code).select_related("street").first()
    if node is None:
        raise NotFound(_("没有编码为 %(code)s 的指标。") % {"code": code})
    return node


def _clean_weight(value: Any) -> Decimal:
    try:
        weight = Decimal(str(value))
    except InvalidOperation:
        weight = Decimal(-1)
    if not Decimal(0) < weight <= 1 or weight.as_tuple().exponent < -4:  # type: ignore[operator]
        raise _error("weight", _("权重应为 0 到 1 之间的数，最多 4 位小数。"))
    return weight


@transaction.atomic
def indicator_update(
    *,
    actor: Any,
    campaign_id: int,
    code: str,
    name: str | None = None,
    weight: Any = None,
    is_key: bool | None = None,
) -> Indicator:
    campaign = campaign_for_admin(actor, campaign_id, lock=True)
    require_not_closed(campaign)
    node = _node(campaign, code)
    before = audit.snapshot(node, ["name", "weight", "is_key"])
    if name is not None:
        name = name.strip()
        if not name or len(name) > 60:
            raise _error("name", _("名称须填写，不超过 60 字。"))
        node.name = name
    if weight is not None:
        node.weight = _clean_weight(weight)
    if is_key is not None:
        if node.kind != NodeKind.INDICATOR or node.is_special:
            raise _error("is_key", _("只有指标体系中的指标可以设为关键指标。"))
        node.is_key = bool(is_key)
    node.save()
    campaign.revision += 1
    campaign.save(update_fields=["revision", "updated_at"])
    audit.record(
        actor=actor,
        action="evaluation.indicator.update",
        obj=node,
        before=before,
        after=audit.snapshot(node, ["name", "weight", "is_key"]),
    )
    return node


@transaction.atomic
def indicator_add(
    *,
    actor: Any,
    campaign_id: int,
    code: str,
    name: str,
    parent_code: str | None = None,
    street_code: str | None = None,
    weight: Any = 1,
    is_key: bool = False,
) -> Indicator:
    """A node under `parent_code` (a dimension with no parent), or a street's special indicator (`street_code`)."""
    campaign = campaign_for_admin(actor, campaign_id, lock=True)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 12 or campaign.indicators.filter(code=code).exists():
        raise _error("code", _("编码须填写、不超过 12 个字符，且在本次测评中唯一。"))
    if not name or len(name) > 60:
        raise _error("name", _("名称须填写，不超过 60 字。"))
    street = parent = None
    if street_code:
        require_not_closed(campaign)
        row = campaign.streets.filter(street__code=street_code).select_related("street").first()
        if row is None:
            raise _error("street", _("街道 %(code)s 未参加本次测评。") % {"code": street_code})
        street, kind, weight, is_key = row.street, NodeKind.INDICATOR, 1, False
    else:
        _tree_open(campaign)
        if parent_code:
            parent = _node(campaign, parent_code)
            if parent.kind not in CHILD_KIND or parent.is_special:
                raise _error("parent", _("指标下不能再设下级。"))
            kind = CHILD_KIND[NodeKind(parent.kind)]
        else:
            kind = NodeKind.DIMENSION
    sort = (campaign.indicators.filter(parent=parent).aggregate(last=Max("sort"))["last"] or 0) + 1
    node = Indicator.objects.create(
        campaign=campaign,
        parent=parent,
        kind=kind,
        code=code,
        name=name,
        weight=_clean_weight(weight),
        is_key=bool(is_key) and kind == NodeKind.INDICATOR,
        street=street,
        sort=sort,
    )
    campaign.revision += 1
    campaign.save(update_fields=["revision", "updated_at"])
    audit.record(
        actor=actor,
        action="evaluation.indicator.add",
        obj=node,
        after={"code": code, "name": name, "kind": kind, "parent": parent_code, "street": street_code},
    )
    return node


@transaction.atomic
def indicator_delete(*, actor: Any, campaign_id: int, code: str) -> None:
    campaign = campaign_for_admin(actor, campaign_id, lock=True)
    node = _node(campaign, code)
    if node.is_special:
        require_not_closed(campaign)
        if Question.objects.filter(indicator=node, questionnaire__frozen_at__isnull=False).exists():
            raise TransitionNotAllowed(_("该专项特色指标已有答卷，不能删除。"))
    else:
        _tree_open(campaign)
    if node.children.exists() or Question.objects.filter(indicator=node).exists():
        raise TransitionNotAllowed(_("%(code)s 下还有下级或题目，请先删除它们。") % {"code": code})
    audit.record(actor=actor, action="evaluation.indicator.delete", obj=node, before={"code": code, "name": node.name})
    node.delete()
    campaign.revision += 1
    campaign.save(update_fields=["revision", "updated_at"])


# ---------------------------------------------------------------- questionnaires and questions


def _questionnaire(campaign: Campaign, group: str, *, lock: bool) -> Questionnaire:
    rows = Questionnaire.objects.filter(campaign=campaign, group=group)
    found = (rows.select_for_update() if lock else rows).first()
    if found is None:
        raise NotFound(_("没有该调查对象的问卷。"))
    return found


def _unfrozen(questionnaire: Questionnaire) -> None:
    if questionnaire.frozen_at is not None:
        raise TransitionNotAllowed(
            _("“%(title)s”已于 %(at)s 收到第一份答卷，题目已冻结，不能再增删或修改。")
            % {
                "title": questionnaire.title,
                "at": timezone.localtime(questionnaire.frozen_at).strftime("%Y-%m-%d %H:%M"),
            }
        )


@transaction.atomic
def questionnaire_update(
    *, actor: Any, campaign_id: int, group: str, title: str, intro: str, large_text: bool
) -> Questionnaire:
    """The title, the introduction and the large-text layout (they change no answer, so frozen or not)."""
    campaign = campaign_for_admin(actor, campaign_id)
    require_not_closed(campaign)
    questionnaire = _questionnaire(campaign, group, lock=True)
    title, intro = (title or "").strip(), (intro or "").strip()
    if not title or len(title) > 100:
        raise _error("title", _("问卷标题须填写，不超过 100 字。"))
    if len(intro) > 500:
        raise _error("intro", _("卷首语不超过 500 字。"))
    before = audit.snapshot(questionnaire, ["title", "intro", "large_text"])
    questionnaire.title, questionnaire.intro, questionnaire.large_text = title, intro, bool(large_text)
    questionnaire.save()
    audit.record(
        actor=actor,
        action="evaluation.questionnaire.update",
        obj=questionnaire,
        before=before,
        after=audit.snapshot(questionnaire, ["title", "intro", "large_text"]),
    )
    return questionnaire


@dataclass(frozen=True)
class QuestionIn:
    code: str
    text: str
    polarity: str = Polarity.POSITIVE
    indicator: str | None = None
    scale: int = 5
    labels: Sequence[str] = ()
    required: bool = True
    sort: int | None = None


def _clean_question(campaign: Campaign, questionnaire: Questionnaire, data: QuestionIn, *, current: int | None) -> dict:
    code, text = (data.code or "").strip(), (data.text or "").strip()
    same = Question.objects.filter(questionnaire__campaign=campaign, code=code)
    taken = (same.exclude(pk=current) if current is not None else same).exists()
    if not code or len(code) > 12 or taken:
        raise _error("code", _("题号须填写、不超过 12 个字符，且在本次测评的问卷中唯一。"))
    if not text or len(text) > 200:
        raise _error("text", _("题目须填写，不超过 200 字。"))
    if data.polarity not in Polarity.values:
        raise _error("polarity", _("题目类型应为正向、反向或专项特色。"))
    indicator = None
    if data.polarity == Polarity.REVERSE:
        if data.indicator:
            raise _error("indicator", _("反向评价题不对应指标。"))
        return {
            "code": code,
            "text": text,
            "polarity": data.polarity,
            "indicator": None,
            "scale": 0,
            "labels": [],
            "required": False,
        }
    indicator = campaign.indicators.filter(code=data.indicator or "").first()
    if indicator is None or indicator.kind != NodeKind.INDICATOR:
        raise _error("indicator", _("请选择题目所测的指标。"))
    if (data.polarity == Polarity.SPECIAL) != indicator.is_special:
        raise _error("indicator", _("专项特色题须对应街道的专项特色指标，正向题须对应指标体系中的指标。"))
    if not isinstance(data.scale, int) or not 2 <= data.scale <= defaults.MAX_SCALE:
        raise _error("scale", _("分值档数应为 2 到 %(n)s。") % {"n": defaults.MAX_SCALE})
    labels = [str(label).strip()[:20] for label in data.labels if str(label).strip()]
    if not labels:
        labels = DEFAULT_LABELS if data.scale == 5 else [str(i) for i in range(1, data.scale + 1)]
    if len(labels) != data.scale:
        raise _error("labels", _("各档说明的个数应与分值档数相同。"))
    return {
        "code": code,
        "text": text,
        "polarity": data.polarity,
        "indicator": indicator,
        "scale": data.scale,
        "labels": labels,
        "required": bool(data.required),
    }


@transaction.atomic
def question_add(*, actor: Any, campaign_id: int, group: str, question: QuestionIn) -> Question:
    campaign = campaign_for_admin(actor, campaign_id)
    require_not_closed(campaign)
    questionnaire = _questionnaire(campaign, group, lock=True)
    _unfrozen(questionnaire)
    fields = _clean_question(campaign, questionnaire, question, current=None)
    sort = question.sort or (questionnaire.questions.aggregate(last=Max("sort"))["last"] or 0) + 1
    created = Question.objects.create(questionnaire=questionnaire, sort=sort, **fields)
    audit.record(
        actor=actor, action="evaluation.question.add", obj=created, after={**fields, "indicator": question.indicator}
    )
    return created


@transaction.atomic
def question_update(*, actor: Any, campaign_id: int, group: str, code: str, question: QuestionIn) -> Question:
    campaign = campaign_for_admin(actor, campaign_id)
    require_not_closed(campaign)
    questionnaire = _questionnaire(campaign, group, lock=True)
    _unfrozen(questionnaire)
    existing = questionnaire.questions.filter(code=code).first()
    if existing is None:
        raise NotFound(_("没有题号为 %(code)s 的题目。") % {"code": code})
    before = audit.snapshot(existing, ["code", "text", "polarity", "indicator", "scale", "labels", "required", "sort"])
    fields = _clean_question(campaign, questionnaire, question, current=existing.pk)
    for name, value in fields.items():
        setattr(existing, name, value)
    if question.sort is not None:
        existing.sort = question.sort
    existing.save()
    audit.record(
        actor=actor,
        action="evaluation.question.update",
        obj=existing,
        before=before,
        after=audit.snapshot(
            existing, ["code", "text", "polarity", "indicator", "scale", "labels", "required", "sort"]
        ),
    )
    return existing


@transaction.atomic
def question_delete(*, actor: Any, campaign_id: int, group: str, code: str) -> None:
    campaign = campaign_for_admin(actor, campaign_id)
    require_not_closed(campaign)
    questionnaire = _questionnaire(campaign, group, lock=True)
    _unfrozen(questionnaire)
    existing = questionnaire.questions.filter(code=code).first()
    if existing is None:
        raise NotFound(_("没有题号为 %(code)s 的题目。") % {"code": code})
    audit.record(
        actor=actor, action="evaluation.question.delete", obj=existing, before={"code": code, "text": existing.text}
    )
    existing.delete()


# ---------------------------------------------------------------- the sample plan


def _strata(campaign: Campaign) -> dict[tuple[str, str], Stratum]:
    return {
        (s.street.code, s.group): s for s in campaign.strata.select_related("street").select_for_update(of=("self",))
    }


@transaction.atomic
def quotas_set(*, actor: Any, campaign_id: int, quotas: Mapping[tuple[str, str], int]) -> int:
    """Quotas of directed responses per (street code, group). Lowering one below what came in flags nothing after
    the fact: a response is flagged out of quota when it arrives."""
    campaign = campaign_for_admin(actor, campaign_id, lock=True)
    require_not_closed(campaign)
    strata = _strata(campaign)
    problems = [
        _("%(street)s/%(group)s：不是本次测评的抽样层，或配额不是 0 到 100000 的整数。")
        % {"street": street, "group": group}
        for (street, group), quota in quotas.items()
        if (street, group) not in strata
        or not isinstance(quota, int)
        or isinstance(quota, bool)
        or not 0 <= quota <= 100_000
    ]
    if problems:
        raise ValidationError(problems[0], errors={"quotas": problems})
    changed = {}
    for key, quota in quotas.items():
        if strata[key].quota != quota:
            changed["/".join(key)] = [strata[key].quota, quota]
            strata[key].quota = quota
            strata[key].save(update_fields=["quota"])
    if changed:
        audit.record(actor=actor, action="evaluation.quotas.set", obj=campaign, after={"changed": changed})
    return len(changed)


class PopulationRejected(ValidationError):
    def __init__(self, rows: list[str]) -> None:
        super().__init__(_("总体数文件有 %(n)s 处错误，未导入任何数据。") % {"n": len(rows)}, errors={"file": rows})
        self.rows = rows


@transaction.atomic
def population_set(*, actor: Any, campaign_id: int, table: Mapping[tuple[str, str], int], source: str = "file") -> int:
    """The population N_h of each (street code, group) that weights the scores: from a file now, from the registry
    when it can count residents by street and age and organisations by street (it then calls this with its table).
    Every (street, group) of the table must be a stratum of the campaign; strata not in the table keep theirs."""
    campaign = campaign_for_admin(actor, campaign_id, lock=True)
    require_not_closed(campaign)
    strata = _strata(campaign)
    problems = []
    for (street, group), population in table.items():
        if (street, group) not in strata:
            problems.append(
                _("街道 %(street)s / %(group)s 不是本次测评的抽样层。") % {"street": street, "group": group}
            )
        elif not isinstance(population, int) or isinstance(population, bool) or not 1 <= population <= 10_000_000:
            problems.append(_("街道 %(street)s / %(group)s 的总体数应为正整数。") % {"street": street, "group": group})
    if problems:
        raise PopulationRejected(problems)
    changed = {}
    for key, population in table.items():
        if strata[key].population != population:
            changed["/".join(key)] = [strata[key].population, population]
            strata[key].population = population
            strata[key].save(update_fields=["population"])
    campaign.revision += 1
    campaign.save(update_fields=["revision", "updated_at"])
    audit.record(
        actor=actor, action="evaluation.population.set", obj=campaign, after={"source": source[:40], "changed": changed}
    )
    return len(changed)


GROUP_NAMES = {**{str(g.label): g.value for g in Group}, **{g.value: g.value for g in Group}}
POPULATION_COLUMNS = {
    "街道": "street",
    "街道代码": "street",
    "street": "street",
    "群体": "group",
    "调查对象": "group",
    "group": "group",
    "总体数": "population",
    "人数": "population",
    "population": "population",
}


def population_from_file(*, campaign: Campaign, filename: str, content: bytes) -> dict[tuple[str, str], int]:
    """Read a population file (CSV in UTF-8 or Excel .xlsx): columns 街道 (code or name), 群体 (老年居民 / 中青年居民 /
    驻区单位), 总体数. Every bad row is reported; nothing is returned unless all rows are good."""
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        if filename.lower().endswith(".xlsx"):
            sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
            lines = [list(r) for r in sheet.iter_rows(values_only=True)] if sheet is not None else []
        else:
            lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    except Exception as error:  # a damaged or mislabelled file: say so, whatever the reader raised
        raise PopulationRejected([_("无法读取文件：%(error)s") % {"error": type(error).__name__}]) from error
    if not lines:
        raise PopulationRejected([_("文件是空的。")])
    header = [POPULATION_COLUMNS.get(str(cell or "").strip()) for cell in lines[0]]
    if not {"street", "group", "population"} <= set(header):
        raise PopulationRejected([_("第 1 行应为列名：街道、群体、总体数。")])
    for number, line in enumerate(lines[1:], start=2):
        if all(cell in (None, "") for cell in line):
            continue
        rows.append((number, {name: cell for name, cell in zip(header, line, strict=False) if name}))
    streets = {row.street.code: row.street for row in campaign.streets.select_related("street")}
    by_name = {street.name: code for code, street in streets.items()}
    table: dict[tuple[str, str], int] = {}
    problems: list[str] = []
    for number, row in rows:
        street = str(row.get("street") or "").strip()
        code = street if street in streets else by_name.get(street)
        group = GROUP_NAMES.get(str(row.get("group") or "").strip())
        raw = row.get("population")
        try:
            population = int(str(raw).replace(",", "").strip())
            if float(str(raw).replace(",", "")) != population:
                raise ValueError
        except (TypeError, ValueError):
            population = 0
        if code is None:
            problems.append(_("第 %(n)s 行：街道“%(street)s”未参加本次测评。") % {"n": number, "street": street})
        if group is None:
            problems.append(_("第 %(n)s 行：群体应为老年居民、中青年居民或驻区单位。") % {"n": number})
        if not 1 <= population <= 10_000_000:
            problems.append(_("第 %(n)s 行：总体数应为正整数。") % {"n": number})
        if code and group:
            if (code, group) in table:
                problems.append(_("第 %(n)s 行：与前面的行重复。") % {"n": number})
            table[(code, group)] = population
    if problems:
        raise PopulationRejected(problems)
    if not table:
        raise PopulationRejected([_("文件中没有数据行。")])
    return table


@transaction.atomic
def spending_set(*, actor: Any, campaign_id: int, street_code: str, spending: Decimal | None) -> CampaignStreet:
    """The street's stated spending on the year's work (yuan), for the cost index; None clears it."""
    campaign = campaign_for_admin(actor, campaign_id, lock=True)
    require_not_closed(campaign)
    row = campaign.streets.select_related("street").filter(street__code=street_code).first()
    if row is None:
        raise _error("street", _("街道 %(code)s 未参加本次测评。") % {"code": street_code})
    if spending is not None and not Decimal(0) < Decimal(spending) < Decimal("1e12"):
        raise _error("spending", _("工作经费应为大于 0 的金额（元）。"))
    before = {"spending": row.spending}
    row.spending = Decimal(spending).quantize(Decimal("0.01")) if spending is not None else None
    row.save(update_fields=["spending"])
    campaign.revision += 1
    campaign.save(update_fields=["revision", "updated_at"])
    audit.record(
        actor=actor, action="evaluation.spending.set", obj=row, before=before, after={"spending": row.spending}
    )
    return row


# ---------------------------------------------------------------- invitations


@transaction.atomic
def invitations_create(
    *, actor: Any, campaign_id: int, street_code: str, group: str, count: int, surveyor: str | None = None
) -> list[Invitation]:
    """A batch of one-use invitations for a stratum, to print as QR codes and hand to sampled residents."""
    campaign = campaign_for_admin(actor, campaign_id, lock=True)
    require_not_closed(campaign)
    stratum = campaign.strata.select_related("street").filter(street__code=street_code, group=group).first()
    if stratum is None:
        raise _error("street", _("该街道和调查对象不是本次测评的抽样层。"))
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_INVITATIONS:
        raise _error("count", _("每批生成 1 到 %(n)s 个邀请码。") % {"n": MAX_INVITATIONS})
    holder = None
    if surveyor:
        holder = User.objects.filter(username=surveyor, is_active=True).first()
        if holder is None or not holds_role(holder, {Role.FIELD_SURVEYOR}, at=stratum.street):
            raise _error("surveyor", _("%(name)s 不是该街道的测评调查员。") % {"name": surveyor})
    batch = (campaign.invitations.aggregate(last=Max("batch"))["last"] or 0) + 1
    created = Invitation.objects.bulk_create(
        [Invitation(campaign=campaign, stratum=stratum, surveyor=holder, batch=batch) for _i in range(count)]
    )
    audit.record(
        actor=actor,
        action="evaluation.invitations.create",
        obj=campaign,
        region_path=stratum.street.path,
        after={"street": street_code, "group": group, "count": count, "batch": batch, "surveyor": surveyor},
    )
    return created
