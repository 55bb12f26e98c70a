"""The command centre's tests: a fixed clock, the linkage of tests/workorders, and hand-built work orders.

The clock stands at Friday 2026-12-04 10:00 (Asia/Shanghai), so every deadline of November has passed. Hand-built
orders are rows written straight into the table with exactly the timestamps a test names: the figures read rows,
and a test of a definition must control each timestamp to the minute.
"""

import itertools
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from civicgrid.regions.models import Region
from civicgrid.workorders.choices import Source, Status
from civicgrid.workorders.models import IncidentType, WorkOrder
from tests.factories import PASSWORD
from tests.workorders.conftest import Linkage

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = "2026-12-04T10:00"
_numbers = itertools.count(1)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class Clock:
    def __init__(self) -> None:
        self.at = local(NOW)

    def now(self) -> datetime:
        return self.at

    def set(self, text: str) -> None:
        self.at = local(text)


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Clock:
    fixed = Clock()
    monkeypatch.setattr(timezone, "now", fixed.now)
    return fixed


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def linkage(tree) -> Linkage:
    return Linkage(tree)


STAMPS = ("reported", "registered", "dispatched", "signed", "handled", "closed", "rated", "due")


def order(grid: Region, status: str = Status.REPORTED, **fields: Any) -> WorkOrder:
    """A work order written as it stands: timestamps given as local "2026-11-03T09:00" text.

    reported=..., registered=..., dispatched=..., handled=..., closed=..., rated=..., due=... (the handling deadline);
    any other WorkOrder field as it is (department, rating, rework_count, supervision, solved_on_spot, ...).
    """
    values: dict[str, Any] = {}
    for stamp in STAMPS:
        text = fields.pop(stamp, None)
        if text is not None:
            values["handle_due_at" if stamp == "due" else f"{stamp}_at"] = local(text)
    values.setdefault("reported_at", local("2026-11-02T09:00"))
    kind = fields.pop("kind", None)
    if isinstance(kind, str):
        kind = IncidentType.objects.get(code=kind)
    number = f"320106-20261102-{next(_numbers):05d}"
    return WorkOrder.objects.create(
        number=number,
        region=grid,
        region_path=grid.path,
        incident_type=kind,
        description=fields.pop("description", "下水道堵塞"),
        source=fields.pop("source", Source.RESIDENT),
        status=status,
        level=fields.pop("level", "street"),
        tracking_key=WorkOrder.new_tracking_key(),
        lon=fields.pop("lon", None),
        lat=fields.pop("lat", None),
        **values,
        **fields,
    )


def closed_order(grid: Region, *, due: str, handled: str, closed: str | None = None, **fields: Any) -> WorkOrder:
    """A work order dispatched, handled at `handled` against the deadline `due`, and closed (on time or not)."""
    on_time = local(handled) <= local(due)
    return order(
        grid,
        fields.pop("status", Status.CLOSED),
        registered=fields.pop("registered", "2026-11-02T09:30"),
        dispatched=fields.pop("dispatched", "2026-11-02T10:00"),
        due=due,
        handled=handled,
        closed=closed or handled,
        handled_on_time=on_time,
        closed_on_time=on_time,
        **fields,
    )


def logged_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client
