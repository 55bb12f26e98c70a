"""Writes to what core owns: the working-day calendar."""

from datetime import date
from typing import Any

import chinese_calendar
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core import calendar as working_calendar
from civicgrid.core.errors import ValidationError
from civicgrid.core.models import CalendarDay, Notification
from civicgrid.people.permissions import require_administrator_or_system

# chinese-calendar names holidays in English; offices write them in Chinese.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _year_rows(year: int) -> list[CalendarDay]:
    day = date(year, 1, 1)
    rows = []
    while day.year == year:
        _holiday, name = chinese_calendar.get_holiday_detail(day)
        working = chinese_calendar.is_workday(day)
        label = HOLIDAY_NAMES.get(name or "", name or "")
        if working and day.weekday() >= 5:  # a weekend made a working day to bridge a holiday
            label = f"{label}调休上班" if label else "调休上班"
        rows.append(CalendarDay(date=day, is_working_day=working, name=label[:40]))
        day = date.fromordinal(day.toordinal() + 1)
    return rows


def known_years() -> list[int]:
    """The years chinese-calendar has data for (it raises NotImplementedError beyond its release)."""
    years = []
    for year in range(2004, 2100):
        try:
            chinese_calendar.is_workday(date(year, 1, 2))
        except NotImplementedError:
            break
        years.append(year)
    return years


@transaction.atomic
def calendar_load_years(*, actor: Any, years: list[int]) -> int:
    """Seed the named years from chinese-calendar; a year already in the table is left as it is (it may be edited)."""
    require_administrator_or_system(actor)
    available = set(known_years())
    unknown = [year for year in years if year not in available]
    if unknown:
        raise ValidationError(
            _("chinese-calendar 没有 %(years)s 年的节假日安排，请在工作日历页面逐日录入。")
            % {"years": "、".join(map(str, unknown))}
        )
    present = set(CalendarDay.objects.filter(date__year__in=years).values_list("date__year", flat=True).distinct())
    loaded = 0
    for year in sorted(set(years)):  # a year named twice is loaded once
        if year in present:
            continue
        loaded += len(CalendarDay.objects.bulk_create(_year_rows(year)))
        audit.record(actor=actor, action="calendar.load_year", after={"year": year, "source": "chinese-calendar"})
    transaction.on_commit(working_calendar.invalidate)
    return loaded


@transaction.atomic
def calendar_year_create(*, actor: Any, year: int) -> int:
    """Open a year the library does not know: every day by the weekday rule, to be corrected day by day."""
    require_administrator_or_system(actor)
    if CalendarDay.objects.filter(date__year=year).exists():
        raise ValidationError(_("%(year)s 年的工作日历已经存在。") % {"year": year})
    if not 2000 <= year <= 2100:
        raise ValidationError(_("年份应在 2000 到 2100 之间。"))
    rows = []
    day = date(year, 1, 1)
    while day.year == year:
        rows.append(CalendarDay(date=day, is_working_day=day.weekday() < 5))
        day = date.fromordinal(day.toordinal() + 1)
    CalendarDay.objects.bulk_create(rows)
    audit.record(actor=actor, action="calendar.create_year", after={"year": year, "source": "weekdays"})
    transaction.on_commit(working_calendar.invalidate)
    return len(rows)


@transaction.atomic
def calendar_day_set(*, actor: Any, day: date, is_working_day: bool, name: str = "") -> CalendarDay:
    """Mark one day as a holiday or an adjusted working day, as the State Council's notice says."""
    require_administrator_or_system(actor)
    if len(name) > 40:
        raise ValidationError(_("名称不能超过 40 个字。"))
    row = CalendarDay.objects.select_for_update().filter(date=day).first()
    if row is None:
        raise ValidationError(_("%(year)s 年的工作日历还没有建立，请先建立该年。") % {"year": day.year})
    before = {"is_working_day": row.is_working_day, "name": row.name}
    row.is_working_day = is_working_day
    row.name = name.strip()
    row.save(update_fields=["is_working_day", "name", "updated_at"])
    audit.record(
        actor=actor,
        action="calendar.set_day",
        obj=row,
        before=before,
        after={"is_working_day": row.is_working_day, "name": row.name},
    )
    transaction.on_commit(working_calendar.invalidate)
    return row


def notifications_mark_read(*, actor: Any, notification_id: int | None = None) -> int:
    """Mark one of the actor's own messages read, or all of them. A personal flag: not audited."""
    rows = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if notification_id is not None:
        rows = rows.filter(pk=notification_id)
    return rows.update(read_at=timezone.now())
