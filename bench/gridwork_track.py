"""Time in grid for a day's track of 10,000 points (issue 5, "Speed": target under 50 ms).

A grid worker's day: 8 hours at one fix every ~2.9 s, walking between points of a real demo grid (the district's
grids as `civicgrid demo` plans them, no database needed), stepping out of the grid now and then, with GPS noise,
2 % poor fixes, 0.3 % jumps and 1 % repeated times. Timed, best and median of 30 runs each:

1. `track.analyse` + `track.seconds_inside` on the grid: the rules and the time inside (what the 4-hour rule adds up);
2. the same plus reading the stored track back from its JSON batches (50 batches of 200 points), i.e. what
   `services.patrols._recompute` does after each upload apart from writing its few rows.

Run: .venv/bin/python bench/gridwork_track.py [--grids N]   (N grids of the district, default 5)
"""

import argparse
import json
import math
import os
import statistics
import time

import django
import numpy as np
import shapely

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
django.setup()

from civicgrid.demo import generator  # noqa: E402
from civicgrid.gridwork import rules  # noqa: E402
from civicgrid.gridwork.track import analyse, seconds_inside  # noqa: E402

POINTS = 10_000
DAY = 8 * 3600.0
RUNS = 30


def day_track(polygon: shapely.Geometry, rng: np.random.Generator) -> np.ndarray:
    """Rows of [epoch seconds, lon, lat, accuracy], 10,000 of them over 8 hours."""
    minx, miny, maxx, maxy = polygon.bounds
    xs = rng.uniform(minx, maxx, 400)
    ys = rng.uniform(miny, maxy, 400)
    inside = np.column_stack([xs, ys])[shapely.contains_xy(polygon, xs, ys)]
    waypoints = inside[rng.integers(len(inside), size=120)]
    outside = rng.random(len(waypoints)) < 0.08
    waypoints[outside] += rng.normal(0, 0.004, (int(outside.sum()), 2))
    lat_scale = 111_195.0 * math.cos(math.radians(waypoints[0, 1]))
    metres = np.hypot(np.diff(waypoints[:, 0]) * lat_scale, np.diff(waypoints[:, 1]) * 111_195.0)
    legs = np.concatenate([[0], np.cumsum(metres / 1.1 + rng.uniform(30, 240, len(metres)))])
    legs *= DAY / legs[-1]  # the whole walk fits the working day
    start = 1_780_000_000.0
    times = start + np.arange(POINTS) * (DAY / POINTS) + rng.uniform(-0.5, 0.5, POINTS)  # a fix every 2.9 s
    lon = np.interp(times - start, legs, waypoints[:, 0]) + rng.normal(0, 3, POINTS) / lat_scale
    lat = np.interp(times - start, legs, waypoints[:, 1]) + rng.normal(0, 3, POINTS) / 111_195.0
    accuracy = np.clip(rng.lognormal(math.log(9), 0.45, POINTS), 3, 45)
    poor = rng.random(POINTS) < 0.02
    accuracy[poor] = rng.uniform(60, 180, int(poor.sum()))
    lat[rng.random(POINTS) < 0.003] += 0.01
    repeated = np.flatnonzero(rng.random(POINTS) < 0.01)
    times[repeated[repeated > 0]] = times[repeated[repeated > 0] - 1]
    return np.column_stack([np.round(times * 1000) / 1000, lon.round(7), lat.round(7), accuracy.round(1)])


def timed(function, runs: int = RUNS) -> tuple[float, float]:
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        spent.append(time.perf_counter() - started)
    return min(spent) * 1000, statistics.median(spent) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grids", type=int, default=5)
    options = parser.parse_args()
    plan = generator.plan("320106", scale="district", seed=generator.DEFAULT_SEED)
    features = [f for f in plan.grid_features if f["properties"].get("kind") != "dedicated"][: options.grids]
    rng = np.random.default_rng(7)
    print(f"load average {os.getloadavg()[0]:.2f}; {POINTS:,} points per day; best / median of {RUNS} runs")
    for feature in features:
        polygon = shapely.geometry.shape(feature["geometry"])
        shapely.prepare(polygon)
        rows = day_track(polygon, rng)
        stored = [json.dumps(chunk.tolist()) for chunk in np.array_split(rows, POINTS // 200)]

        def compute(rows: np.ndarray = rows, polygon: shapely.Geometry = polygon) -> float:
            track = analyse(rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], rules.TRACK)
            return float(seconds_inside(track, polygon).sum())

        def from_storage(stored: list[str] = stored, polygon: shapely.Geometry = polygon) -> float:
            rows = np.array([row for chunk in stored for row in json.loads(chunk)], dtype=np.float64)
            return compute(rows, polygon)

        track = analyse(rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], rules.TRACK)
        inside = seconds_inside(track, polygon).sum()
        best, median = timed(compute)
        stored_best, stored_median = timed(from_storage)
        print(
            f"grid {feature['properties']['code']}: {inside / 3600:.2f} h in grid of "
            f"{track.counted_seconds / 3600:.2f} h tracked, {track.distance_m / 1000:.1f} km, "
            f"verdicts {track.verdict_counts()} | "
            f"analyse + time in grid {best:.1f} / {median:.1f} ms | with reading the stored batches "
            f"{stored_best:.1f} / {stored_median:.1f} ms"
        )


if __name__ == "__main__":
    main()
