"""The reverse problem list (反向问题清单): ask -> evaluate -> feed back -> rectify -> publish.

Every reverse (free-text) answer is stored with phone and ID numbers masked, classified by the keyword rules of
`data/evaluation/reverse_topics.yaml` (topic, suggested department, incident type) and grouped with what other
residents of the same street said about the same thing. An administrator routes an item as a work order with source
"reverse evaluation" (`workorders.services.report`, dispatched to the department when one is named, otherwise left
to the street's own dispatchers) with a rectification deadline; the work order's feedback and closure are the
rectification; once it is closed the item is published on the public page: what residents said, what was done, when.
"""

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from civicgrid.core.jurisdiction import restrict
from civicgrid.core.masking import mask_id_number, mask_phone
from civicgrid.evaluation import defaults
from civicgrid.evaluation.choices import ITEM_TRANSITIONS, ItemAction, ItemStatus
from civicgrid.evaluation.models import Question, Response, ReverseComment, ReverseItem
from civicgrid.people.models import Department
from civicgrid.people.permissions import holds_role
from civicgrid.regions.choices import GridKind, Level
from civicgrid.regions.models import Region

OPEN_ITEMS = (ItemStatus.NEW, ItemStatus.ROUTED)
MAX_DUE_DAYS = 366
NUMBERS = re.compile(
    r"(?<![0-9])(?:"
    r"[0-9]{17}[0-9Xx]|[0-9]{15}"  # resident ID numbers
    r"|1[3-9][0-9](?:[\s-]?[0-9]{4}){2}"  # mobile numbers, also written 138 1234 5678
    r"|0[0-9]{2,3}-?[0-9]{7,8}"  # landlines with their area code
    r"|[0-9]{7,}"  # anything else this long: a local number, an account, a card
    r")(?![0-9])"
)


def mask_numbers(text: str) -> str:
    """Free text with anything that looks like a phone or ID number masked (13812345678 -> 138****5678)."""

    def masked(match: re.Match[str]) -> str:
        digits = re.sub(r"[\s-]", "", match.group(0))
        return mask_id_number(digits) if len(digits) >= 15 else mask_phone(digits)

    return NUMBERS.sub(masked, text or "")


def classify(text: str) -> defaults.Rule | None:
    """The rule whose keywords the text mentions most (ties: the longer keyword, then the rule listed first);
    the "other" rule when none matches; None when the answer says there is nothing to report."""
    loaded = defaults.rules()
    plain = (text or "").strip().strip("。.!！,，;；~～ ")
    if len(plain) < 2 or plain in loaded.nothing:
        return None
    best: tuple[int, int] = (0, 0)
    chosen = loaded.other
    for rule in loaded.rules:
        found = [word for word in rule.keywords if word in plain]
        if found:
            score = (len(found), max(len(word) for word in found))
            if score > best:
                best, chosen = score, rule
    return chosen


def _item_for(response: Response, rule: defaults.Rule, cache: dict[tuple[int, str], ReverseItem]) -> ReverseItem:
    """The open item of the response's street for the rule, made if there is none (one per street and rule)."""
    key = (response.street_id, rule.name)
    if key in cache:
        return cache[key]
    lookup = {"campaign": response.campaign, "street_id": response.street_id, "topic": rule.topic, "keyword": rule.name}
    found = ReverseItem.objects.filter(**lookup, status__in=OPEN_ITEMS).first()
    if found is None:
        try:
            with transaction.atomic():
                found = ReverseItem.objects.create(
                    **lookup,
                    topic_name=rule.topic_name,
                    title=rule.name,
                    department_key=rule.department,
                    incident_type_code=rule.incident_type,
                )
        except IntegrityError:  # another resident of the street said it at the same moment
            found = ReverseItem.objects.get(**lookup, status__in=OPEN_ITEMS)
    cache[key] = found
    return found


def attach(response: Response, texts: Sequence[tuple[Question, str]]) -> list[ReverseComment]:
    return attach_many([(response, question, text) for question, text in texts])


def attach_many(rows: Sequence[tuple[Response, Question, str]]) -> list[ReverseComment]:
    """Store reverse answers (masked), each on its street's item for what it is about."""
    cache: dict[tuple[int, str], ReverseItem] = {}
    comments = []
    for response, question, text in rows:
        masked = mask_numbers(text)[:500]
        rule = classify(masked)
        comments.append(
            ReverseComment(
                campaign_id=response.campaign_id,
                response=response,
                question=question,
                street_id=response.street_id,
                text=masked,
                topic=rule.topic if rule else "",
                item=_item_for(response, rule, cache) if rule else None,
                created_at=response.submitted_at,
            )
        )
    return ReverseComment.objects.bulk_create(comments, batch_size=2000)


# ---------------------------------------------------------------- acting on an item


def _locked_item(actor: Any, item_id: int, action: str) -> ReverseItem:
    item = (
        restrict(actor, ReverseItem.objects.all())
        .select_for_update(of=("self",))
        .select_related("campaign", "campaign__district", "street", "work_order")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise NotFound(_("没有找到该反向问题，或它不在您的管辖范围内。"))
    allowed = ITEM_TRANSITIONS[item.status].get(action)
    if allowed is None:
        raise TransitionNotAllowed(
            _("该问题当前为“%(status)s”，不能“%(action)s”。")
            % {"status": item.get_status_display(), "action": ItemAction(action).label}
        )
    if not holds_role(actor, allowed[1], at=item.campaign.district):
        raise PermissionDenied(_("只有区级管理员可以派发和公示反向问题。"))
    return item


def _grid_in(street: Region, grid_code: str) -> Region:
    grids = Region.objects.filter(level=Level.GRID, path__startswith=street.path)
    if grid_code:
        grid = grids.filter(code=grid_code).first()
        if grid is None:
            raise ValidationError(_("网格 %(code)s 不在%(street)s。") % {"code": grid_code, "street": street.name})
        return grid
    grid = grids.filter(grid_kind=GridKind.COMPREHENSIVE).order_by("code").first() or grids.order_by("code").first()
    if grid is None:
        raise ValidationError(_("%(street)s还没有网格，无法建立工单。") % {"street": street.name})
    return grid


def describe(item: ReverseItem, *, limit: int = 5) -> str:
    """The work order's description: the campaign, the street, the item and what residents said (masked)."""
    texts = [c.text for c in item.comments.order_by("created_at", "id")[:limit]]
    count = item.comments.count()
    head = _("【反向测评】%(campaign)s：%(street)s %(count)s 位居民反映“%(title)s”。") % {
        "campaign": item.campaign.name,
        "street": item.street.name,
        "count": count,
        "title": item.title,
    }
    body = "；".join(f"“{text}”" for text in texts)
    return (head + (_("居民原话：") + body if body else ""))[:1900]


@transaction.atomic
def item_route(
    *,
    actor: Any,
    item_id: int,
    due_on: date,
    incident_type_code: str = "",
    department_key: str | None = None,
    grid_code: str = "",
    note: str = "",
) -> ReverseItem:
    """Route an item with a deadline as a work order of source "reverse evaluation": to the department when one
    is given (dispatched at once), otherwise to the street (it lands where the responsibility list says)."""
    from civicgrid.workorders import services as workorders
    from civicgrid.workorders.choices import Action, Source
    from civicgrid.workorders.models import IncidentType

    item = _locked_item(actor, item_id, ItemAction.ROUTE)
    today = timezone.localdate()
    if not isinstance(due_on, date) or not today < due_on <= today + timedelta(days=MAX_DUE_DAYS):
        message = _("整改期限应在今天之后、一年以内。")
        raise ValidationError(message, errors={"due_on": [message]})
    kind = IncidentType.objects.filter(code=incident_type_code or item.incident_type_code, is_active=True).first()
    if kind is None:
        message = _("请选择工单的事件类型。")
        raise ValidationError(message, errors={"incident_type": [message]})
    key = item.department_key if department_key is None else department_key
    department = None
    if key:
        department = Department.objects.filter(code=f"{item.campaign.district.code}-{key}", is_active=True).first()
        if department is None:
            message = _("本区没有该责任部门。")
            raise ValidationError(message, errors={"department": [message]})
    note = (note or "").strip()[:500]
    grid = _grid_in(item.street, grid_code)
    order = workorders.report(
        actor=actor,
        description=describe(item) + (f" {note}" if note else ""),
        source=Source.EVALUATION,
        grid_code=grid.code,
        incident_type_code=kind.code,
    )
    if department is not None:
        # the administrator's routing decision, carried out by the system (audited below with the administrator)
        order = workorders.act(
            actor=None,
            as_system=True,
            work_order_id=order.pk,
            action=Action.DISPATCH,
            department_code=department.code,
            note=_("反向问题清单派发，整改期限 %(due)s。") % {"due": due_on.isoformat()},
        )
    item.status = ItemStatus.ROUTED
    item.work_order = order
    item.due_on = due_on
    item.routed_at, item.routed_by = timezone.now(), actor
    item.routed_to = department.name if department else item.street.name
    item.department_key = key
    item.incident_type_code = kind.code
    item.save()
    audit.record(
        actor=actor,
        action="evaluation.reverse_item.route",
        obj=item,
        before={"status": ItemStatus.NEW},
        after={"status": item.status, "work_order": order.number, "to": item.routed_to, "due_on": due_on},
    )
    return item


def rectification_note(item: ReverseItem) -> str:
    """What the handler wrote when they fed back (the work order's last "handle" step), for the publication."""
    order = item.work_order
    if order is None:
        return ""
    from civicgrid.workorders.choices import Action

    event = order.events.filter(action__in=[Action.HANDLE, Action.SOLVE_ON_SPOT]).order_by("-created_at").first()
    return event.note if event else ""


def is_rectified(item: ReverseItem) -> bool:
    from civicgrid.workorders.choices import Status

    return item.work_order is not None and item.work_order.status in (Status.CLOSED, Status.RATED)


@transaction.atomic
def item_publish(*, actor: Any, item_id: int, summary: str = "", action_text: str = "") -> ReverseItem:
    """Publish a rectified item (its work order closed): what residents said, what was done, when."""
    item = _locked_item(actor, item_id, ItemAction.PUBLISH)
    if not is_rectified(item):
        raise TransitionNotAllowed(_("整改工单尚未办结（核查通过后结案），还不能公示。"))
    summary = mask_numbers(" ".join((summary or "").split()))
    action_text = mask_numbers((action_text or "").strip() or rectification_note(item))
    if not summary:
        summary = _("%(count)s 位居民反映：%(title)s") % {"count": item.comments.count(), "title": item.title}
    if len(summary) > 300:
        raise ValidationError(_("居民反映摘要不超过 300 字。"), errors={"summary": [_("不超过 300 字。")]})
    if not action_text or len(action_text) > 2000:
        message = _("请填写整改情况（不超过 2000 字）。")
        raise ValidationError(message, errors={"action_text": [message]})
    assert item.work_order is not None
    item.status = ItemStatus.PUBLISHED
    item.public_summary, item.public_action = summary, action_text
    item.rectified_at = item.work_order.closed_at
    item.published_at = timezone.now()
    item.save()
    audit.record(
        actor=actor,
        action="evaluation.reverse_item.publish",
        obj=item,
        before={"status": ItemStatus.ROUTED},
        after={"status": item.status, "summary": summary, "action": action_text[:200]},
    )
    return item


@transaction.atomic
def item_dismiss(*, actor: Any, item_id: int, reason: str) -> ReverseItem:
    """Not routed (praise, not actionable, outside the district's remit), with the reason."""
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= 200:
        message = _("请填写不予派发的理由（2 到 200 字）。")
        raise ValidationError(message, errors={"reason": [message]})
    item = _locked_item(actor, item_id, ItemAction.DISMISS)
    item.status, item.dismiss_reason = ItemStatus.DISMISSED, reason
    item.save()
    audit.record(
        actor=actor,
        action="evaluation.reverse_item.dismiss",
        obj=item,
        before={"status": "new"},
        after={"reason": reason},
    )
    return item


@transaction.atomic
def item_restore(*, actor: Any, item_id: int) -> ReverseItem:
    item = _locked_item(actor, item_id, ItemAction.RESTORE)
    clash = ReverseItem.objects.filter(
        campaign=item.campaign, street=item.street, topic=item.topic, keyword=item.keyword, status__in=OPEN_ITEMS
    ).exists()
    if clash:
        raise TransitionNotAllowed(_("该街道已有同类问题在处理中，新的意见已归入其中。"))
    item.status, item.dismiss_reason = ItemStatus.NEW, ""
    item.save()
    audit.record(actor=actor, action="evaluation.reverse_item.restore", obj=item, after={"status": item.status})
    return item
