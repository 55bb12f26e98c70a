"""Home visits (入户走访): a grid worker records what they found in a household, what it needs, the risks seen and
when to come back. A visit that met the household is also its risk and dispute check in the registry (four clears)."""

from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from civicgrid.gridwork.choices import Party, RiskLevel, VisitKind
from civicgrid.gridwork.models import HomeVisit
from civicgrid.gridwork.permissions import is_active_staff, parties_at
from civicgrid.gridwork.services.common import clean_text

VISITORS = frozenset({Party.WORKER, Party.LEADER, Party.HEAD})
MAX_TEXT = 2000
MAX_FOLLOW_UP_DAYS = 180


@transaction.atomic
def visit_record(
    *,
    actor: Any,
    household_id: int,
    findings: str,
    kind: str = VisitKind.ROUTINE,
    met: bool = True,
    needs: str = "",
    risks: str = "",
    risk_level: str = RiskLevel.NONE,
    follow_up_on: date | None = None,
    visited_at: datetime | None = None,
    client_key: str = "",
) -> HomeVisit:
    """Record a visit to a household of a grid the actor works in (own, covered for a partner, led or headed).
    A retry with the same `client_key` returns the visit the first call recorded."""
    from civicgrid.registry import policy
    from civicgrid.registry.models import Household

    if not is_active_staff(actor):
        raise PermissionDenied()
    client_key = (client_key or "").strip()[:64]
    if client_key:
        existing = HomeVisit.objects.filter(visitor=actor, client_key=client_key).first()
        if existing is not None:
            return existing
    try:
        household = policy.visible(actor, Household.objects.select_related("grid")).get(pk=household_id)
    except Household.DoesNotExist as error:
        raise NotFound(_("没有找到该户，或它不在您的管辖范围内。")) from error
    now = timezone.now()
    at = visited_at or now
    if timezone.is_naive(at):
        at = timezone.make_aware(at, timezone.get_current_timezone())
    if at > now + timedelta(minutes=5) or at < now - timedelta(days=7):
        message = _("走访时间须在最近 7 天内，且不能晚于现在。")
        raise ValidationError(message, errors={"visited_at": [message]})
    day = timezone.localtime(at).date()
    if not parties_at(actor, household.grid, on=day) & VISITORS:
        raise PermissionDenied(_("只有本网格（含顶岗网格）的网格员、网格长和社区负责人可以登记入户走访。"))
    if kind not in VisitKind.values:
        raise ValidationError(_("请选择走访类型。"), errors={"kind": [_("请选择走访类型。")]})
    if risk_level not in RiskLevel.values:
        raise ValidationError(_("请选择风险程度。"), errors={"risk_level": [_("请选择风险程度。")]})
    findings = clean_text(findings, field="findings", label=_("走访情况"), limit=MAX_TEXT, required=True)
    needs = clean_text(needs, field="needs", label=_("居民需求"), limit=MAX_TEXT, required=False)
    risks = clean_text(risks, field="risks", label=_("隐患矛盾"), limit=MAX_TEXT, required=False)
    if risk_level != RiskLevel.NONE and not risks:
        message = _("请写明发现的隐患或矛盾。")
        raise ValidationError(message, errors={"risks": [message]})
    if follow_up_on is not None and not day < follow_up_on <= day + timedelta(days=MAX_FOLLOW_UP_DAYS):
        message = _("回访日期须在走访之后 %(n)s 天以内。") % {"n": MAX_FOLLOW_UP_DAYS}
        raise ValidationError(message, errors={"follow_up_on": [message]})
    visit = HomeVisit(
        household=household,
        visitor=actor,
        visited_at=at,
        kind=kind,
        met=met,
        findings=findings,
        needs=needs,
        risks=risks,
        risk_level=risk_level,
        follow_up_on=follow_up_on,
        client_key=client_key,
    )
    visit.place_in(household.grid)
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError as error:  # the same retry twice at once
        raise Conflict(_("该走访记录正在提交，请稍后刷新查看。")) from error
    # what a household said stays in the visit; the audit row says that a visit happened and what kind
    audit.record(
        actor=actor,
        action="home_visit.record",
        obj=visit,
        after={
            "household": household.pk,
            "kind": kind,
            "met": met,
            "risk_level": risk_level,
            "follow_up_on": follow_up_on,
            "visited_at": at,
        },
    )
    if met:
        from civicgrid.registry.services.places import household_check_risks

        household_check_risks(actor=actor, household_id=household.pk, checked_on=day, notes=risks)
    return visit
