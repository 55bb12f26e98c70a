"""The working-day calendar: deadlines across holidays, adjusted working days and office hours; its services."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from civicgrid.core import calendar as working_calendar
from civicgrid.core import services
from civicgrid.core.errors import PermissionDenied, ValidationError
from civicgrid.core.models import AuditEntry, CalendarDay

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    working_calendar.invalidate()
    yield
    working_calendar.invalidate()


@pytest.fixture
def year_2026(db) -> working_calendar.WorkingCalendar:
    services.calendar_load_years(actor=None, years=[2026])
    working_calendar.invalidate()
    return working_calendar.calendar()


# ---------------------------------------------------------------- working days


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # the last working day before the National Day and Mid-autumn holidays (10-01 to 10-07)
        ("2026-09-30T10:00", 1, "2026-10-08T17:30"),
        ("2026-09-30T10:00", 2, "2026-10-09T17:30"),
        ("2026-09-30T10:00", 3, "2026-10-10T17:30"),  # Saturday 10-10 is an adjusted working day
        ("2026-09-30T10:00", 4, "2026-10-12T17:30"),  # Sunday 10-11 is not
        ("2026-10-03T15:00", 1, "2026-10-08T17:30"),  # started inside the holiday
        ("2026-09-25T09:00", 1, "2026-09-28T17:30"),  # Mid-autumn Festival, a Friday
        ("2026-09-19T09:00", 1, "2026-09-20T17:30"),  # Sunday 09-20 is worked to bridge the holiday
        ("2026-02-13T23:59", 1, "2026-02-14T17:30"),  # ... and Saturday 02-14 before the Spring Festival
        ("2026-09-28T23:30", 1, "2026-09-29T17:30"),  # the local day counts, not the UTC one
    ],
)
def test_working_days_skip_holidays_and_count_adjusted_weekends(year_2026, start, days, due):
    deadline = year_2026.add_working_days(local(start), days)
    assert timezone.localtime(deadline.at) == local(due)
    assert not deadline.estimated


def test_the_service_day_of_a_utc_timestamp_is_the_local_one(year_2026):
    # 2026-09-29 23:30 UTC is 2026-09-30 07:30 in Shanghai: the count starts from the 30th
    start = datetime(2026, 9, 29, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert timezone.localtime(year_2026.add_working_days(start, 1).at) == local("2026-10-08T17:30")


# ---------------------------------------------------------------- working hours (08:30-12:00, 13:30-17:30)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        ("2026-09-28T11:00", 2, "2026-09-28T14:30"),  # an hour before lunch, an hour after
        ("2026-09-28T11:30", 2, "2026-09-28T15:00"),  # half an hour before lunch, an hour and a half after
        ("2026-09-28T12:30", 2, "2026-09-28T15:30"),  # reported over lunch: the clock starts at 13:30
        ("2026-09-28T07:00", 0.5, "2026-09-28T09:00"),  # before office hours
        ("2026-09-28T08:30", 7.5, "2026-09-28T17:30"),  # a whole working day
        ("2026-09-28T17:00", 1, "2026-09-29T09:00"),
        ("2026-09-30T17:00", 1, "2026-10-08T09:00"),  # across the holidays
        ("2026-10-10T16:00", 2, "2026-10-12T09:00"),  # the adjusted Saturday counts, the Sunday does not
        ("2026-09-26T10:00", 1, "2026-09-28T09:30"),  # a holiday Saturday
        ("2026-09-28T20:00", 0.5, "2026-09-29T09:00"),
    ],
)
def test_working_hours_count_office_hours_only(year_2026, start, hours, due):
    deadline = year_2026.add_working_hours(local(start), hours)
    assert timezone.localtime(deadline.at) == local(due)
    assert not deadline.estimated


def test_office_hours_come_from_the_settings(db, settings):
    settings.WORKING_PERIODS = [("09:00", "12:00"), ("14:00", "18:00")]
    services.calendar_load_years(actor=None, years=[2026])
    calendar = working_calendar.calendar()
    assert timezone.localtime(calendar.add_working_hours(local("2026-09-28T11:00"), 2).at) == local("2026-09-28T15:00")
    assert timezone.localtime(calendar.add_working_days(local("2026-09-28T11:00"), 1).at) == local("2026-09-29T18:00")


# ---------------------------------------------------------------- a year without calendar rows


def test_a_deadline_running_into_a_year_without_rows_counts_weekdays_and_says_it_is_an_estimate(year_2026):
    # 2027 has no rows: 01-01 (a Friday) counts as a working day, the weekend does not
    deadline = year_2026.add_working_days(local("2026-12-30T10:00"), 3)
    assert timezone.localtime(deadline.at) == local("2027-01-04T17:30")
    assert deadline.estimated
    hours = year_2026.add_working_hours(local("2026-12-31T17:00"), 2)
    assert timezone.localtime(hours.at) == local("2027-01-01T10:00") and hours.estimated
    # a deadline that stays inside 2026 is exact
    assert not year_2026.add_working_days(local("2026-12-29T10:00"), 2).estimated


def test_a_calendar_with_no_rows_at_all_still_gives_deadlines(db):
    calendar = working_calendar.calendar()
    deadline = calendar.add_working_days(local("2027-03-05T10:00"), 1)  # a Friday
    assert timezone.localtime(deadline.at) == local("2027-03-08T17:30") and deadline.estimated
    deadline = calendar.add_working_hours(local("2027-03-06T10:00"), 1)
    assert timezone.localtime(deadline.at) == local("2027-03-08T09:30") and deadline.estimated


# ---------------------------------------------------------------- the calendar services


def test_an_administrator_loads_a_year_from_chinese_calendar_once(tree):
    loaded = services.calendar_load_years(actor=tree.admin, years=[2024])
    assert loaded == 366 == CalendarDay.objects.filter(date__year=2024).count()
    holiday = CalendarDay.objects.get(date=date(2024, 10, 1))
    assert not holiday.is_working_day and holiday.name == "国庆节"
    worked = CalendarDay.objects.get(date=date(2024, 9, 29))  # a Sunday worked before the National Day
    assert worked.is_working_day and worked.name == "国庆节调休上班"
    assert not CalendarDay.objects.get(date=date(2024, 10, 13)).is_working_day  # an ordinary Sunday
    row = AuditEntry.objects.get(action="calendar.load_year")
    assert row.actor == tree.admin and row.after == {"year": 2024, "source": "chinese-calendar"}
    # loading it again (or naming it twice) leaves the year, which may have been edited since, as it is
    assert services.calendar_load_years(actor=tree.admin, years=[2024, 2024]) == 0
    assert AuditEntry.objects.filter(action="calendar.load_year").count() == 1


def test_a_year_named_twice_in_one_load_is_loaded_once(tree):
    assert services.calendar_load_years(actor=tree.admin, years=[2025, 2025]) == 365
    assert AuditEntry.objects.filter(action="calendar.load_year").count() == 1


def test_a_year_chinese_calendar_does_not_know_is_refused_and_nothing_is_loaded(tree):
    with pytest.raises(ValidationError, match="2027"):
        services.calendar_load_years(actor=tree.admin, years=[2025, 2027])
    assert not CalendarDay.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize("who", ["officer_a", "worker_a1", "anonymous"])
def test_only_administrators_change_the_calendar(tree, who):
    services.calendar_load_years(actor=None, years=[2026])
    actor = AnonymousUser() if who == "anonymous" else getattr(tree, who)
    rows = list(CalendarDay.objects.values_list("date", "is_working_day", "name"))
    audit = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.calendar_load_years(actor=actor, years=[2025])
    with pytest.raises(PermissionDenied):
        services.calendar_year_create(actor=actor, year=2027)
    with pytest.raises(PermissionDenied):
        services.calendar_day_set(actor=actor, day=date(2026, 10, 9), is_working_day=False, name="调休")
    assert list(CalendarDay.objects.values_list("date", "is_working_day", "name")) == rows
    assert AuditEntry.objects.count() == audit


def test_an_administrator_opens_the_next_year_by_weekdays_and_sets_its_holidays_day_by_day(
    tree, django_capture_on_commit_callbacks
):
    services.calendar_load_years(actor=None, years=[2026])
    before = working_calendar.calendar().add_working_days(local("2026-12-31T10:00"), 1)
    assert before.estimated and timezone.localtime(before.at) == local("2027-01-01T17:30")
    # when the administrator opens 2027
    with django_capture_on_commit_callbacks(execute=True):
        assert services.calendar_year_create(actor=tree.admin, year=2027) == 365
    assert CalendarDay.objects.get(date=date(2027, 1, 1)).is_working_day  # a Friday, until told otherwise
    assert not CalendarDay.objects.get(date=date(2027, 1, 2)).is_working_day
    assert AuditEntry.objects.get(action="calendar.create_year").after == {"year": 2027, "source": "weekdays"}
    # then 2027 is known: deadlines there are no longer estimates
    assert not working_calendar.calendar().add_working_days(local("2026-12-31T10:00"), 1).estimated
    # when the State Council's notice arrives: New Year's Day is a holiday
    with django_capture_on_commit_callbacks(execute=True):
        row = services.calendar_day_set(actor=tree.admin, day=date(2027, 1, 1), is_working_day=False, name=" 元旦 ")
    assert not row.is_working_day and row.name == "元旦"
    entry = AuditEntry.objects.get(action="calendar.set_day")
    assert entry.actor == tree.admin
    assert entry.before == {"is_working_day": True, "name": ""}
    assert entry.after == {"is_working_day": False, "name": "元旦"}
    # then deadlines at once skip it, without waiting for the calendar cache to expire
    after = working_calendar.calendar().add_working_days(local("2026-12-31T10:00"), 1)
    assert timezone.localtime(after.at) == local("2027-01-04T17:30") and not after.estimated


def test_opening_a_year_twice_or_out_of_range_is_refused(tree):
    services.calendar_year_create(actor=tree.admin, year=2027)
    for year in (2027, 1999, 2101):
        with pytest.raises(ValidationError):
            services.calendar_year_create(actor=tree.admin, year=year)
    assert CalendarDay.objects.count() == 365
    assert AuditEntry.objects.filter(action="calendar.create_year").count() == 1


def test_a_day_of_a_year_not_opened_or_with_a_too_long_name_is_refused(tree):
    services.calendar_load_years(actor=None, years=[2026])
    with pytest.raises(ValidationError, match="2028"):
        services.calendar_day_set(actor=tree.admin, day=date(2028, 1, 1), is_working_day=False, name="元旦")
    with pytest.raises(ValidationError, match="40"):
        services.calendar_day_set(actor=tree.admin, day=date(2026, 10, 9), is_working_day=False, name="假" * 41)
    assert CalendarDay.objects.get(date=date(2026, 10, 9)).is_working_day
    assert not AuditEntry.objects.filter(action="calendar.set_day").exists()
    assert not CalendarDay.objects.filter(date__year=2028).exists()
