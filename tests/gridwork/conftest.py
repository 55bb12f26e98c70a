"""Grid work on the `tree` of tests/conftest.py: community heads and a grid leader in street B (`gw`; `guide` loads
the grid work guide as well), and helpers that walk a synthetic track through the square grids.

Geometry of the tree: grid A1 is the square 118.70–118.71 E × 32.00–32.01 N, A2 the square east of it (118.71–
118.72), B1 and B2 further east. A1 and A2 are each other's A/B partners. At 32°N, 0.00001° of longitude is 0.944 m.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from civicgrid.core import calendar as working_calendar
from civicgrid.core import services as core_services
from civicgrid.gridwork import services
from civicgrid.gridwork.models import Patrol
from civicgrid.people.choices import Role
from tests.factories import Tree, staff

BEIJING = ZoneInfo("Asia/Shanghai")
# A Monday with no holiday near it: the week of 2026-06-01 is five working days.
MONDAY = date(2026, 6, 1)
CENTRE_A1 = (118.705, 32.005)
CENTRE_A2 = (118.715, 32.005)


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=BEIJING)


def walk(
    start: datetime,
    legs: Sequence[tuple[float, float, float]],
    *,
    origin: tuple[float, float],
    every: float = 10.0,
    accuracy: float = 5.0,
) -> list[services.Point]:
    """Points every `every` seconds along straight legs at constant speed: each leg is (seconds, lon, lat) of where
    it ends; the walk starts at `origin` at `start`."""
    points = [services.Point(at=start, lon=origin[0], lat=origin[1], accuracy=accuracy)]
    t, lon, lat = 0.0, origin[0], origin[1]
    for seconds, to_lon, to_lat in legs:
        steps = round(seconds / every)
        for k in range(1, steps + 1):
            f = k / steps
            points.append(
                services.Point(
                    at=start + timedelta(seconds=t + f * seconds),
                    lon=lon + f * (to_lon - lon),
                    lat=lat + f * (to_lat - lat),
                    accuracy=accuracy,
                )
            )
        t, lon, lat = t + seconds, to_lon, to_lat
    return points


def loop(start: datetime, hours: float, *, centre: tuple[float, float] = CENTRE_A1, every: float = 30.0):
    """Walking round a square of 400 m side inside a grid for `hours` (about 1 m/s), a point every `every` s."""
    lon, lat = centre
    d = 0.002
    corners = [(lon + d, lat - d), (lon + d, lat + d), (lon - d, lat + d), (lon - d, lat - d)]
    legs = []
    total = 0.0
    i = 0
    while total < hours * 3600:
        seconds = min(480.0, hours * 3600 - total)
        c = corners[i % 4]
        legs.append((seconds, c[0], c[1]))
        total += seconds
        i += 1
    return walk(start, legs, origin=(lon - d, lat - d), every=every)


def upload(actor, patrol: Patrol, points: Sequence[services.Point], *, size: int = 500, now: datetime, prefix="b"):
    results = []
    for number, first in enumerate(range(0, len(points), size)):
        results.append(
            services.patrol_points_add(
                actor=actor,
                patrol_id=patrol.pk,
                batch_id=f"{prefix}{number}",
                points=points[first : first + size],
                now=now,
            )
        )
    return results


def patrol_of(actor, points: Sequence[services.Point], *, stop: bool = True) -> Patrol:
    """A whole patrol: started at the first point, the points uploaded, stopped at the last."""
    start = min(p.at for p in points)
    end = max(p.at for p in points)
    patrol, _created = services.patrol_start(actor=actor, now=start)
    upload(actor, patrol, points, now=end + timedelta(seconds=30))
    if stop:
        patrol = services.patrol_stop(actor=actor, patrol_id=patrol.pk, now=end + timedelta(seconds=30))
    patrol.refresh_from_db()
    return patrol


@dataclass
class Gridwork:
    tree: Tree
    head_a: object
    head_b: object
    leader_b: object


@pytest.fixture
def gw(tree) -> Gridwork:
    core_services.calendar_load_years(actor=None, years=[2026])
    working_calendar.invalidate()
    return Gridwork(
        tree=tree,
        head_a=staff(Role.COMMUNITY_HEAD, tree.community_a, username="head_a", full_name="仙霞路书记"),
        head_b=staff(Role.COMMUNITY_HEAD, tree.community_b, username="head_b", full_name="湖北路书记"),
        leader_b=staff(Role.GRID_LEADER, tree.grid_b1, username="leader_b", full_name="湖北路网格长"),
    )


@pytest.fixture
def guide(gw) -> Gridwork:
    """`gw` with the grid work guide loaded from its data file."""
    services.guide_load(actor=None)
    return gw


@pytest.fixture(autouse=True)
def _fresh_calendar():
    yield
    working_calendar.invalidate()
