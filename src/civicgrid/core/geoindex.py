"""Point-in-polygon lookup over a fixed set of polygons (the grids), built on shapely's STRtree.

Grid boundaries never overlap, so a point lies in at most one polygon; `find` returns that polygon's key. A point
exactly on an edge shared by two grids belongs to both: the one first in `keys` answers, so a report made on the
boundary line still gets a grid.
"""

from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import NDArray


class PolygonIndex[K]:
    def __init__(self, keys: Sequence[K], geometries: Sequence[shapely.Geometry]) -> None:
        if len(keys) != len(geometries):
            raise ValueError("one key per geometry")
        self.keys: list[K] = list(keys)
        self.geometries = np.asarray(geometries, dtype=object)
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, x: float, y: float) -> K | None:
        """The key of the polygon containing (x, y), or None."""
        hits = self.tree.query(shapely.Point(x, y), predicate="intersects")
        return self.keys[int(hits.min())] if len(hits) else None

    def find_many(self, xs: NDArray[np.float64], ys: NDArray[np.float64]) -> NDArray[np.int64]:
        """For each point, the position (into `keys`) of the polygon containing it, or -1."""
        points = shapely.points(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
        result = np.full(len(points), -1, dtype=np.int64)
        point_positions, polygon_positions = self.tree.query(points, predicate="intersects")
        # on a shared edge a point has two hits; assigning in reverse leaves the first polygon, as `find` does
        order = np.lexsort((-polygon_positions, point_positions))
        result[point_positions[order]] = polygon_positions[order]
        return result
