"""Ids reserved for rows written in bulk: never one the table gave out before, not even a deleted row's."""

from datetime import date

import pytest

from civicgrid.core import bulk
from civicgrid.core.models import CalendarDay

pytestmark = pytest.mark.django_db


def test_reserved_ids_lie_above_every_id_the_table_ever_gave_out():
    # given three days, the last of them deleted again
    days = [CalendarDay.objects.create(date=date(2030, 1, n), is_working_day=True) for n in (1, 2, 3)]
    last = days[-1].pk
    days[-1].delete()
    # when ids are reserved for four more rows, then none of them is the deleted row's, and they are distinct
    ids = bulk.new_ids(CalendarDay, 4)
    assert len(set(ids)) == 4 and min(ids) > last
    assert bulk.new_ids(CalendarDay, 0) == []
