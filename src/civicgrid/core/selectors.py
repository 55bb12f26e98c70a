"""Reads of the audit log and the personal-data access log, restricted to the actor's jurisdiction."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from civicgrid.core.jurisdiction import restrict
from civicgrid.core.models import AuditEntry, CalendarDay, Notification, PersonalDataAccess


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    text: str = ""
    request_id: str = ""
    since: date | None = None
    until: date | None = None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_entries(*, actor: Any, filters: AuditFilter | None = None) -> QuerySet[AuditEntry]:
    rows = restrict(actor, AuditEntry.objects.select_related("object_type"))
    f = filters or AuditFilter()
    if f.actor:
        rows = rows.filter(actor_name__icontains=f.actor)
    if f.action:
        rows = rows.filter(action__startswith=f.action)
    if f.text:
        rows = rows.filter(Q(object_repr__icontains=f.text) | Q(object_id=f.text))
    if f.request_id:
        rows = rows.filter(request_id=f.request_id)
    if f.since:
        rows = rows.filter(created_at__gte=_day_start(f.since))
    if f.until:
        rows = rows.filter(created_at__lt=_day_start(f.until) + timedelta(days=1))
    return rows


def audit_actions(*, actor: Any) -> list[str]:
    return sorted(set(restrict(actor, AuditEntry.objects.all()).values_list("action", flat=True).distinct()))


def personal_data_accesses(*, actor: Any, who: str = "") -> QuerySet[PersonalDataAccess]:
    rows = restrict(actor, PersonalDataAccess.objects.select_related("subject_type"))
    if who:
        rows = rows.filter(actor_name__icontains=who)
    return rows


def inbox(*, actor: Any) -> QuerySet[Notification]:
    """The actor's own in-app messages, newest first."""
    return Notification.objects.filter(recipient=actor, channel="inbox")


def unread_count(*, actor: Any) -> int:
    return inbox(actor=actor).filter(read_at__isnull=True).count()


def calendar_days(*, year: int) -> QuerySet[CalendarDay]:
    """The days of a year that differ from Monday-to-Friday, or carry a name: what an administrator checks."""
    rows = CalendarDay.objects.filter(date__year=year)
    weekend = Q(date__week_day__in=[1, 7])
    return rows.filter((weekend & Q(is_working_day=True)) | (~weekend & Q(is_working_day=False)) | ~Q(name=""))


def calendar_years() -> list[int]:
    return sorted(
        {day.year for day in CalendarDay.objects.filter(date__month=1, date__day=1).values_list("date", flat=True)}
    )
