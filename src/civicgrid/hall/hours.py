"""Opening hours of a centre: regular service on working days, extended service (延时服务) on evenings and weekends.

A day is one of three kinds, from the working-day calendar in `core`:
- a working day (including a weekend made a working day to bridge a holiday): the regular hours, plus the extended
  hours of that weekday;
- a plain weekend day: the extended hours of that weekday only (e.g. a Saturday morning service);
- a holiday (a weekday off, or any day of a named holiday): closed.
Appointment slots are cut from every period of the day, `slot_minutes` long.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core.calendar import calendar

TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
EARLY_TICKET_MINUTES = 30  # the kiosk starts issuing this long before the first period (residents queue early)
CHECK_IN_EARLY_MINUTES = 60  # an appointment may be checked in this long before its slot
CHECK_IN_GRACE_MINUTES = 15  # ... and this long after its slot has ended


@dataclass(frozen=True)
class Period:
    start: time
    end: time
    extended: bool = False

    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_periods(value: Any, *, label: str) -> tuple[list[tuple[time, time]], list[str]]:
    """Periods from JSON ([["08:30", "12:00"], ...]): the parsed list and every problem found, in order."""
    problems: list[str] = []
    periods: list[tuple[time, time]] = []
    if not isinstance(value, list):
        return [], [_('%(label)s应为时段列表，如 [["08:30", "12:00"]]。') % {"label": label}]
    for pair in value:
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(isinstance(p, str) and TIME.match(p) for p in pair)
        ):
            problems.append(
                _('%(label)s中的时段 %(pair)s 格式不对，应为 ["HH:MM", "HH:MM"]。') % {"label": label, "pair": pair}
            )
            continue
        start, end = time.fromisoformat(pair[0]), time.fromisoformat(pair[1])
        if start >= end:
            problems.append(
                _("%(label)s中的时段 %(a)s-%(b)s 结束时间应晚于开始时间。")
                % {"label": label, "a": pair[0], "b": pair[1]}
            )
            continue
        periods.append((start, end))
    periods.sort()
    for (_a, end), (start, _b) in pairwise(periods):
        if start < end:
            problems.append(_("%(label)s中的时段有重叠。") % {"label": label})
            break
    return periods, problems


def hours_problems(hours: Any, extended: Any) -> list[str]:
    """Everything wrong with a centre's regular and extended hours (empty when they are fine)."""
    regular, problems = parse_periods(hours, label=_("工作日服务时间"))
    if not problems and not regular:
        problems.append(_("请至少填写一个工作日服务时段。"))
    if not isinstance(extended, dict):
        return [*problems, _("延时服务时间应为按星期（0-6）列出的时段。")]
    for weekday, periods in extended.items():
        if str(weekday) not in {str(n) for n in range(7)}:
            problems.append(_("延时服务的星期应为 0（周一）到 6（周日），不能是 %(d)s。") % {"d": weekday})
            continue
        extra, found = parse_periods(periods, label=_("延时服务时间"))
        problems.extend(found)
        if int(weekday) < 5 and not found:
            # on a working day the extended periods add to the regular ones and must not overlap them
            merged = sorted(regular + extra)
            if any(s < e for (_a, e), (s, _b) in pairwise(merged)):
                problems.append(_("星期%(d)s的延时服务时段与工作日服务时间重叠。") % {"d": int(weekday) + 1})
    return problems


def day_kind(day: date) -> str:
    """ "working", "weekend" or "holiday" by the working-day calendar."""
    if calendar().is_working_day(day):
        return "working"
    if day.weekday() < 5:
        return "holiday"  # a weekday off is always part of a holiday
    return "holiday" if day in calendar().holidays else "weekend"


def periods_on(centre: Any, day: date) -> list[Period]:
    """The centre's service periods on a day, in order; empty on a holiday."""
    kind = day_kind(day)
    if kind == "holiday":
        return []
    result: list[Period] = []
    if kind == "working":
        regular, _problems = parse_periods(centre.hours, label="")
        result.extend(Period(a, b) for a, b in regular)
    extra, _problems = parse_periods((centre.extended_hours or {}).get(str(day.weekday()), []), label="")
    result.extend(Period(a, b, extended=True) for a, b in extra)
    return sorted(result, key=lambda p: p.start)


def at(day: date, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment))


def period_at(centre: Any, when: datetime) -> Period | None:
    """The period `when` falls in, or None when the centre is closed then."""
    local = timezone.localtime(when)
    for period in periods_on(centre, local.date()):
        if period.start <= local.time() < period.end:
            return period
    return None


def ticket_period(centre: Any, when: datetime) -> Period | None:
    """The period a ticket taken at `when` belongs to: from half an hour before a period's start until the
    cut-off before its end (the last residents must still be served before closing). None: no tickets now."""
    local = timezone.localtime(when)
    cutoff = timedelta(minutes=centre.ticket_cutoff_minutes)
    for period in periods_on(centre, local.date()):
        opens = at(local.date(), period.start) - timedelta(minutes=EARLY_TICKET_MINUTES)
        if opens <= local < at(local.date(), period.end) - cutoff:
            return period
    return None


def slots_on(centre: Any, day: date) -> list[tuple[time, time, bool]]:
    """Appointment slots of a day: (start, end, extended), `slot_minutes` each, cut from every period."""
    size = timedelta(minutes=max(centre.slot_minutes, 5))
    slots = []
    for period in periods_on(centre, day):
        start = datetime.combine(day, period.start)
        end = datetime.combine(day, period.end)
        while start + size <= end:
            slots.append((start.time(), (start + size).time(), period.extended))
            start += size
    return slots


def describe(centre: Any, day: date) -> str:
    """The day's hours as a resident reads them: "08:30-12:00、13:30-17:30（延时 17:30-19:00）" or "休息"."""
    periods = periods_on(centre, day)
    if not periods:
        return _("休息")
    regular = "、".join(p.label() for p in periods if not p.extended)
    extended = "、".join(p.label() for p in periods if p.extended)
    if regular and extended:
        return _("%(regular)s（延时服务 %(extended)s）") % {"regular": regular, "extended": extended}
    return regular or _("延时服务 %(extended)s") % {"extended": extended}
