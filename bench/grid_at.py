"""grid_at at district scale: lookups per second over the demo district's grids.

Builds the demo district's grid boundaries exactly as `civicgrid demo` plans them (no database needed), indexes
them with civicgrid.core.geoindex.PolygonIndex, and times single and vectorised lookups of random points in the
district, next to shapely's own STRtree query on the same points as the limit. Run: make bench
"""

import os
import random
import sys
import time

import django
import numpy as np
import shapely

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
django.setup()

from civicgrid.core.geoindex import PolygonIndex  # noqa: E402
from civicgrid.demo import generator  # noqa: E402

SINGLE = 200_000
BATCH = 1_000_000


def best_of(runs: int, function) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    plan = generator.plan("320106", scale="district", seed=generator.DEFAULT_SEED)
    shapes = [shapely.geometry.shape(f["geometry"]) for f in plan.grid_features]
    codes = [f["properties"]["code"] for f in plan.grid_features]
    started = time.perf_counter()
    index = PolygonIndex(codes, shapes)
    build = time.perf_counter() - started

    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(shapes, dtype=object))
    rng = random.Random(1)
    xs = np.array([rng.uniform(minx, maxx) for _ in range(BATCH)])
    ys = np.array([rng.uniform(miny, maxy) for _ in range(BATCH)])
    single_points = list(zip(xs[:SINGLE].tolist(), ys[:SINGLE].tolist(), strict=True))

    # correctness first: the index agrees with shapely's STRtree on every batch point
    tree = shapely.STRtree(shapes)
    points = shapely.points(xs, ys)
    expected = np.full(BATCH, -1)
    found_points, found_shapes = tree.query(points, predicate="intersects")
    expected[found_points] = found_shapes
    assert np.array_equal(index.find_many(xs, ys), expected), "PolygonIndex disagrees with STRtree"  # no edge hits

    def ours_single() -> None:
        for x, y in single_points:
            index.find(x, y)

    def shapely_single() -> None:
        for x, y in single_points:
            tree.query(shapely.Point(x, y), predicate="intersects")

    ours_one = SINGLE / best_of(3, ours_single)
    theirs_one = SINGLE / best_of(3, shapely_single)
    ours_batch = BATCH / best_of(3, lambda: index.find_many(xs, ys))
    theirs_batch = BATCH / best_of(3, lambda: tree.query(shapely.points(xs, ys), predicate="intersects"))
    inside = int((expected >= 0).sum())

    print(f"grids: {len(shapes)}  index build: {build * 1000:.0f} ms  points inside a grid: {inside / BATCH:.0%}")
    rows = [
        ("single", "find", ours_one, "query(point)", theirs_one),
        ("batch", "find_many", ours_batch, "query(points)", theirs_batch),
    ]
    for kind, ours_name, ours, theirs_name, theirs in rows:
        print(
            f"{kind:>6} lookups/s: PolygonIndex.{ours_name} {ours:>11,.0f}  STRtree.{theirs_name} {theirs:>11,.0f}"
            f"  ratio {ours / theirs:.2f}"
        )
    versions = f"python {sys.version.split()[0]}, shapely {shapely.__version__}, numpy {np.__version__}"
    print(f"{versions}, {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
