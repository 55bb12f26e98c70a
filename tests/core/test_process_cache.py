"""Reference data kept in the process: reloaded after a save in this process at once, elsewhere after its time."""

from datetime import date

import pytest

from civicgrid.core import process_cache
from civicgrid.core.models import CalendarDay

pytestmark = pytest.mark.django_db


@pytest.fixture
def names():
    loads = []

    def load(day):
        loads.append(day)
        return CalendarDay.objects.filter(date=day).values_list("name", flat=True).first()

    cache = process_cache.ProcessCache(load, seconds=60, models=[CalendarDay])
    cache.loads = loads
    return cache


def test_a_value_is_read_once_while_it_is_fresh(names):
    CalendarDay.objects.create(date=date(2026, 10, 1), is_working_day=False, name="国庆节")
    assert names.get(date(2026, 10, 1)) == "国庆节"
    assert names.get(date(2026, 10, 1)) == "国庆节"
    assert names.loads == [date(2026, 10, 1)]


def test_a_save_in_this_process_is_seen_at_once(names):
    day = CalendarDay.objects.create(date=date(2026, 10, 1), is_working_day=False, name="国庆节")
    assert names.get(date(2026, 10, 1)) == "国庆节"
    day.name = "国庆节、中秋节"
    day.save()
    assert names.get(date(2026, 10, 1)) == "国庆节、中秋节"
    day.delete()
    assert names.get(date(2026, 10, 1)) is None


def test_a_change_without_signals_is_seen_when_the_value_expires(names, monkeypatch):
    # given a value read now, when another process changes the row (no signal here), then it is stale until it expires
    CalendarDay.objects.create(date=date(2026, 10, 1), is_working_day=False, name="国庆节")
    clock = [1000.0]
    monkeypatch.setattr(process_cache.time, "monotonic", lambda: clock[0])
    assert names.get(date(2026, 10, 1)) == "国庆节"
    CalendarDay.objects.filter(date=date(2026, 10, 1)).update(name="国庆")
    clock[0] += 59
    assert names.get(date(2026, 10, 1)) == "国庆节"
    clock[0] += 2
    assert names.get(date(2026, 10, 1)) == "国庆"


def test_clear_all_forgets_every_cache(names):
    CalendarDay.objects.create(date=date(2026, 10, 1), is_working_day=False, name="国庆节")
    names.get(date(2026, 10, 1))
    process_cache.clear_all()
    names.get(date(2026, 10, 1))
    assert len(names.loads) == 2


def test_codes_that_name_nothing_cannot_grow_the_cache_without_end(db):
    # given a cache of at most 3 values, when a client asks for ever new keys (misses are kept too)
    cache = process_cache.ProcessCache(lambda code: None, seconds=60, models=(), limit=3)
    for n in range(10):
        assert cache.get(f"nothing-{n}") is None
    # then it never holds more than its limit
    assert len(cache) <= 3
