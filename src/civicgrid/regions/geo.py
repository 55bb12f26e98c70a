"""The process-wide index of grid boundaries behind `grid_at`.

Built on first use; rebuilt in this process right after a boundary change commits, and in other processes
(web workers, task workers) when they notice that the grids' latest change time moved (checked at most every
few seconds, so a lookup costs no query).
"""

import threading
import time
from typing import NamedTuple

import shapely
from django.db.models import Count, Max

from civicgrid.core.geoindex import PolygonIndex
from civicgrid.regions.choices import Level

CHECK_EVERY_SECONDS = 5.0


class GridRef(NamedTuple):
    id: int
    code: str
    path: str


class _GridIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: PolygonIndex[GridRef] | None = None
        self._version: tuple[object, ...] | None = None
        self._checked_at = 0.0

    def _current_version(self) -> tuple[object, ...]:
        from civicgrid.regions.models import Region

        stats = Region.objects.filter(level=Level.GRID).aggregate(n=Count("id"), last=Max("updated_at"))
        return (stats["n"], stats["last"])

    def _build(self) -> None:
        from civicgrid.regions.models import Region

        version = self._current_version()
        refs: list[GridRef] = []
        geometries: list[shapely.Geometry] = []
        rows = Region.objects.filter(level=Level.GRID, boundary__isnull=False).values_list(
            "id", "code", "path", "boundary"
        )
        for pk, code, path, boundary in rows.iterator(chunk_size=500):
            refs.append(GridRef(pk, code, path))
            geometries.append(shapely.geometry.shape(boundary))
        self._index = PolygonIndex(refs, geometries)
        self._version = version
        self._checked_at = time.monotonic()

    def get(self) -> PolygonIndex[GridRef]:
        index = self._index
        if index is not None and time.monotonic() - self._checked_at < CHECK_EVERY_SECONDS:
            return index
        with self._lock:
            if self._index is None or self._current_version() != self._version:
                self._build()
            else:
                self._checked_at = time.monotonic()
            assert self._index is not None
            return self._index

    def invalidate(self) -> None:
        with self._lock:
            self._index = None
            self._version = None


grid_index = _GridIndex()
