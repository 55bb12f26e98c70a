"""Working days and hours: deadlines counted on the Chinese calendar of holidays and adjusted working days.

The calendar lives in the database (`CalendarDay`). A deadline that runs into a year with no rows counts Monday to
Friday and says so (`Deadline.estimated`), so a missing year is flagged on screen instead of crashing anything.
"""

import time as monotonic_clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from civicgrid.core.models import CalendarDay

MAX_DAYS = 3 * 366  # no step has a time limit near three years; a longer walk is a bug, not a deadline


@dataclass(frozen=True)
class Deadline:
    at: datetime
    estimated: bool = False  # some day on the way lies in a year the calendar does not know


def working_periods() -> list[tuple[time, time]]:
    return [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in settings.WORKING_PERIODS]


class WorkingCalendar:
    def __init__(self, days: dict[date, bool], years: set[int], holidays: frozenset[date] = frozenset()) -> None:
        self.days = days
        self.years = years
        self.holidays = holidays  # days off with a festival's name (a weekend inside a holiday among them)
        self.periods = working_periods()

    def knows(self, day: date) -> bool:
        return day.year in self.years

    def is_working_day(self, day: date) -> bool:
        if day in self.days:
            return self.days[day]
        return day.weekday() < 5

    def add_working_hours(self, start: datetime, hours: float) -> Deadline:
        """The moment `hours` of working time after `start` (time outside working periods does not count)."""
        local = timezone.localtime(start)
        tz = local.tzinfo
        remaining = timedelta(hours=hours)
        day = local.date()
        estimated = False
        for _ in range(MAX_DAYS):
            estimated |= not self.knows(day)
            if self.is_working_day(day):
                for begin, end in self.periods:
                    period_start = datetime.combine(day, begin, tz)
                    period_end = datetime.combine(day, end, tz)
                    current = max(local, period_start)
                    if current >= period_end:
                        continue
                    if current + remaining <= period_end:
                        return Deadline(current + remaining, estimated)
                    remaining -= period_end - current
                    local = period_end
            day += timedelta(days=1)
        raise ValueError(f"a time limit of {hours} working hours is longer than the calendar walks")

    def add_working_days(self, start: datetime, days: int) -> Deadline:
        """The close of the `days`-th working day after the day of `start` (the day itself does not count)."""
        day = timezone.localtime(start).date()
        estimated = False
        counted = 0
        for _ in range(MAX_DAYS):
            day += timedelta(days=1)
            estimated |= not self.knows(day)
            if self.is_working_day(day):
                counted += 1
                if counted >= days:
                    close = datetime.combine(day, self.periods[-1][1], timezone.get_current_timezone())
                    return Deadline(close, estimated)
        raise ValueError(f"a time limit of {days} working days is longer than the calendar walks")

    def add(self, start: datetime, amount: float, unit: str) -> Deadline:
        return self.add_working_days(start, int(amount)) if unit == "days" else self.add_working_hours(start, amount)


_cached: tuple[float, WorkingCalendar] | None = None
CACHE_SECONDS = 60.0


def calendar() -> WorkingCalendar:
    """The calendar as the database holds it, reloaded at most once a minute (and at once after an edit here)."""
    global _cached
    now = monotonic_clock.monotonic()
    if _cached is None or now - _cached[0] > CACHE_SECONDS:
        rows = list(CalendarDay.objects.values_list("date", "is_working_day", "name"))
        days = {day: working for day, working, _name in rows}
        holidays = frozenset(day for day, working, name in rows if not working and name)
        _cached = (now, WorkingCalendar(days, {day.year for day in days}, holidays))
    return _cached[1]


def invalidate() -> None:
    global _cached
    _cached = None
