"""PolygonIndex agrees with a brute-force point-in-polygon test, edges, holes and MultiPolygons included."""

import random

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from civicgrid.core.geoindex import PolygonIndex


def brute_force(shapes: list[shapely.Geometry], x: float, y: float) -> int:
    point = shapely.Point(x, y)
    return next((i for i, shape in enumerate(shapes) if shape.intersects(point)), -1)


def test_given_cells_holes_and_multipolygons_then_find_and_find_many_agree_with_brute_force():
    # given a 4 x 4 grid of unit cells, one with a hole and the hole filled by another polygon, and a two-part one
    shapes: list[shapely.Geometry] = [box(i, j, i + 1, j + 1) for i in range(4) for j in range(4) if (i, j) != (3, 3)]
    shapes[5] = Polygon(box(1, 1, 2, 2).exterior.coords, [box(1.25, 1.25, 1.75, 1.75).exterior.coords])
    shapes.append(box(1.25, 1.25, 1.75, 1.75))
    shapes.append(MultiPolygon([box(3, 3, 3.5, 3.5), box(3.6, 3.6, 4, 4)]))
    index = PolygonIndex(list(range(len(shapes))), shapes)
    rng = random.Random(3)
    xs = [rng.uniform(-0.5, 4.5) for _ in range(3000)] + [1.0, 2.0, 1.25, 3.55, 1.5, -1.0]  # edges, hole edge, gap
    ys = [rng.uniform(-0.5, 4.5) for _ in range(3000)] + [0.5, 2.0, 1.5, 3.55, 1.5, -1.0]
    # when looked up one by one and all at once
    expected = [brute_force(shapes, x, y) for x, y in zip(xs, ys, strict=True)]
    single = [(-1 if (k := index.find(x, y)) is None else k) for x, y in zip(xs, ys, strict=True)]
    batch = index.find_many(np.array(xs), np.array(ys)).tolist()
    # then both agree with the brute force, point by point
    assert single == expected
    assert batch == expected
    assert index.find(1.5, 1.5) == len(shapes) - 2  # inside the hole: the polygon that fills it
    assert index.find(3.55, 3.55) is None  # between the two parts of the MultiPolygon


def test_an_empty_index_finds_nothing():
    index: PolygonIndex[str] = PolygonIndex([], [])
    assert index.find(1.0, 1.0) is None
    assert index.find_many(np.array([1.0]), np.array([1.0])).tolist() == [-1]
