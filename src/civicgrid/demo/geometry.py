"""Generated boundaries for a demo district: real grid boundaries are not public, so the demo draws its own.

Everything is a pure function of its inputs and a `random.Random`, so one seed always gives the same map.
Streets are Voronoi cells of random points inside the district outline, communities cells inside their street,
grids cells inside their community: neighbours share edges, nothing overlaps, every child lies in its parent.
"""

import math
import random
from collections.abc import Sequence

import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon, Point, Polygon

KM_PER_DEGREE = 111.32
PRECISION = 1e-7  # what the import stores; generating at the same precision keeps edges shared exactly


def outline(lon: float, lat: float, area_km2: float, rng: random.Random, corners: int = 28) -> Polygon:
    """An irregular, roughly round district outline of about `area_km2` around a centre point."""
    radius_km = math.sqrt(area_km2 / math.pi)
    points = []
    for i in range(corners):
        angle = 2 * math.pi * i / corners
        r = radius_km * rng.uniform(0.82, 1.15)
        points.append(
            (
                lon + r * math.cos(angle) / (KM_PER_DEGREE * math.cos(math.radians(lat))),
                lat + r * math.sin(angle) / KM_PER_DEGREE,
            )
        )
    shape = Polygon(points)
    scale = math.sqrt(area_km2 / area_km2_of(shape))
    return _rounded(shapely.affinity.scale(shape, xfact=scale, yfact=scale, origin=(lon, lat)))


def area_km2_of(geometry: shapely.Geometry) -> float:
    lat = geometry.centroid.y
    return float(geometry.area) * KM_PER_DEGREE**2 * math.cos(math.radians(lat))


def _rounded(geometry: shapely.Geometry) -> Polygon | MultiPolygon:
    geometry = shapely.make_valid(shapely.set_precision(geometry, PRECISION))
    parts = [g for g in getattr(geometry, "geoms", [geometry]) if isinstance(g, Polygon) and not g.is_empty]
    parts += [p for g in getattr(geometry, "geoms", []) if isinstance(g, MultiPolygon) for p in g.geoms]
    if not parts:
        return Polygon()
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def _points_inside(polygon: shapely.Geometry, count: int, rng: random.Random) -> list[Point]:
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    points: list[Point] = []
    while len(points) < count:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(polygon, x, y):
            points.append(Point(x, y))
    return points


def partition(polygon: shapely.Geometry, count: int, rng: random.Random) -> list[Polygon | MultiPolygon]:
    """`count` non-overlapping cells that together cover `polygon`, in a stable order (west to east, then south)."""
    if count <= 1:
        return [_rounded(polygon)]
    for _attempt in range(20):
        seeds = _points_inside(polygon, count, rng)
        cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=polygon, ordered=True)
        pieces = [_rounded(cell.intersection(polygon)) for cell in cells.geoms]
        if len(pieces) == count and all(not p.is_empty and area_km2_of(p) > 0.0005 for p in pieces):
            return sorted(pieces, key=lambda p: (round(p.centroid.x, 3), p.centroid.y))
    raise RuntimeError("could not partition the polygon; try another seed")


def allocate(total: int, weights: Sequence[float], minimum: int = 1) -> list[int]:
    """Split `total` into integers proportional to `weights`, each at least `minimum` (largest remainders)."""
    n = len(weights)
    spare = total - minimum * n
    if spare < 0:
        return [minimum] * n
    whole = sum(weights) or 1.0
    exact = [spare * w / whole for w in weights]
    counts = [minimum + int(e) for e in exact]
    order = sorted(range(n), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts
