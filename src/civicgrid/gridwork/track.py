"""From GPS points to distance walked and time spent inside grids. Pure numpy and shapely: no database here.

The rules (docs/gridwork.md, "From a track to hours"):
1. Points are sorted by time; of several points with the same time the most accurate one is kept (a batch sent
   twice, or a point repeated in a later batch, counts once).
2. A point whose stated accuracy is worse than `max_accuracy_m` is discarded: the phone itself says it does not know
   where it is to better than that (indoors, under a flyover).
3. A point that could only be reached from the last kept point at more than `max_speed_kmh` is discarded as a GPS
   jump. Grid workers walk or ride an e-bike (limited to 25 km/h by GB 17761), so 30 km/h is already generous.
   When `reanchor_after` points in a row are all "too fast", the last kept point was the odd one (a bad first fix,
   or the worker took a bus): the track starts again from the newest point, without counting the gap.
4. Between two consecutive kept points the worker is taken to move in a straight line at constant speed. An interval
   longer than `max_gap_seconds` is not counted at all (the page was closed or the phone slept: nobody knows where
   they were).
5. Time inside a grid: for each counted interval, the share of the straight segment that lies inside the grid
   boundary (a point on the boundary line counts as inside), times the interval's duration.
6. Distance: the sum of the counted steps, measured from the last point where the worker was taken to have moved; a
   step shorter than `min_step_m` waits (a phone lying still wanders a few metres with every fix, which is not walking).

Everything is vectorised but the speed and distance walks, which are sequential by nature and run over plain floats.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

EARTH_RADIUS_M = 6_371_008.8
# Segments longer than this are cut against the boundary exactly even when both ends are inside (a long segment
# may leave a concave grid and come back); shorter ones with both ends inside count whole.
EXACT_ABOVE_M = 50.0

# Verdict codes, in the order of choices.PointVerdict.
KEPT, POOR_ACCURACY, TOO_FAST, DUPLICATE = 0, 1, 2, 3
VERDICT_NAMES = ("kept", "poor_accuracy", "too_fast", "duplicate")


@dataclass(frozen=True)
class TrackRules:
    max_accuracy_m: float = 50.0
    max_speed_kmh: float = 30.0
    max_gap_seconds: float = 300.0
    min_step_m: float = 10.0
    reanchor_after: int = 5


DEFAULT_RULES = TrackRules()


@dataclass
class Track:
    """A track after the rules: sorted points, what became of each, and the kept points' counted intervals."""

    times: NDArray[np.float64]  # seconds since the epoch, ascending
    lons: NDArray[np.float64]
    lats: NDArray[np.float64]
    accuracies: NDArray[np.float64]
    verdicts: NDArray[np.int8]
    kept: NDArray[np.intp]  # positions of the kept points, ascending
    counted: NDArray[np.bool_]  # per interval kept[i] -> kept[i+1]: does it count
    walked: NDArray[np.float64]  # per interval: the metres it adds to the distance (rule 6)
    segments: NDArray[np.intp]  # per point: which of several tracks analysed together it belongs to (0 for one)

    @property
    def distance_m(self) -> float:
        return float(self.walked.sum())

    @property
    def interval_seconds(self) -> NDArray[np.float64]:
        return np.diff(self.times[self.kept])

    @property
    def counted_seconds(self) -> float:
        return float(self.interval_seconds[self.counted].sum())

    def verdict_counts(self) -> dict[str, int]:
        counts = np.bincount(self.verdicts, minlength=len(VERDICT_NAMES))
        return {name: int(counts[code]) for code, name in enumerate(VERDICT_NAMES)}

    def per_segment(self, per_interval: NDArray[np.float64], count: int) -> NDArray[np.float64]:
        """Sums of a per-interval value by segment (an interval belongs to the segment of its first point)."""
        if len(self.kept) < 2:
            return np.zeros(count, dtype=np.float64)
        return np.bincount(self.segments[self.kept[:-1]], weights=per_interval, minlength=count)

    def pieces(self) -> list[NDArray[np.intp]]:
        """The kept points cut where an interval does not count: each piece is one stretch of walking."""
        if not len(self.kept):
            return []
        cuts = np.flatnonzero(~self.counted) + 1
        return [piece for piece in np.split(self.kept, cuts) if len(piece)]


def _metres(lons: NDArray[np.float64], lats: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Positions in metres on a plane tangent at the track's middle latitude (exact enough within a district)."""
    if not len(lats):
        return lons.copy(), lats.copy()
    middle = math.radians(float(np.median(lats)))
    x = np.radians(lons) * EARTH_RADIUS_M * math.cos(middle)
    y = np.radians(lats) * EARTH_RADIUS_M
    return x, y


def analyse(
    times: Sequence[float] | NDArray[np.float64],
    lons: Sequence[float] | NDArray[np.float64],
    lats: Sequence[float] | NDArray[np.float64],
    accuracies: Sequence[float] | NDArray[np.float64],
    rules: TrackRules = DEFAULT_RULES,
    segments: Sequence[int] | NDArray[np.intp] | None = None,
) -> Track:
    """The rules applied to one track, or to several at once: `segments` says for each point which track it
    belongs to (tracks numbered in time order, e.g. a worker's patrols of a month). Each track is judged as if it
    were alone: no interval, speed check or distance runs from one into the next."""
    t_in = np.asarray(times, dtype=np.float64)
    a_in = np.asarray(accuracies, dtype=np.float64)
    s_in = np.zeros(len(t_in), dtype=np.intp) if segments is None else np.asarray(segments, dtype=np.intp)
    # by track, then time, and among equal times the most accurate first, so that the first is kept
    order = np.lexsort((a_in, t_in, s_in))
    t = t_in[order]
    seg = s_in[order]
    lon = np.asarray(lons, dtype=np.float64)[order]
    lat = np.asarray(lats, dtype=np.float64)[order]
    acc = a_in[order]
    n = len(t)
    verdicts = np.zeros(n, dtype=np.int8)
    if n:
        repeated = np.zeros(n, dtype=bool)
        repeated[1:] = (t[1:] == t[:-1]) & (seg[1:] == seg[:-1])
        verdicts[repeated] = DUPLICATE
        verdicts[~repeated & (acc > rules.max_accuracy_m)] = POOR_ACCURACY
    candidates = np.flatnonzero(verdicts == KEPT)
    x, y = _metres(lon, lat)
    max_speed = rules.max_speed_kmh / 3.6

    cx, cy, ct, cs = x[candidates], y[candidates], t[candidates], seg[candidates]
    steps = np.hypot(np.diff(cx), np.diff(cy))
    spans = np.diff(ct)
    same = cs[1:] == cs[:-1]
    fine = same & (spans <= rules.max_gap_seconds)  # what a pair of consecutive kept candidates counts as
    bad = np.flatnonzero(same & (steps > max_speed * spans))  # pairs j -> j+1 too fast for one another
    if not len(bad):
        # the usual case: no jump anywhere, every candidate is kept
        kept, counted = candidates, fine
    else:
        kept, counted = _walk_speed(candidates, x, y, t, seg, verdicts, max_speed, rules, bad, fine)

    return Track(
        times=t,
        lons=lon,
        lats=lat,
        accuracies=acc,
        verdicts=verdicts,
        kept=kept,
        counted=counted,
        walked=_walked(x[kept], y[kept], counted, rules.min_step_m),
        segments=seg,
    )


def _walk_speed(
    candidates: NDArray[np.intp],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    t: NDArray[np.float64],
    seg: NDArray[np.intp],
    verdicts: NDArray[np.int8],
    max_speed: float,
    rules: TrackRules,
    bad: NDArray[np.intp],
    fine: NDArray[np.bool_],
) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """Rule 3, point by point from the last kept one; marks the jumps TOO_FAST in `verdicts`. A new segment
    starts afresh from its first point. Stretches where each candidate is reachable from the one before (no pair in
    `bad`) are kept whole: from a kept point, its successors up to the next bad pair are kept as the point-by-point
    walk would keep them, so the walk only steps point by point around the jumps."""
    xs, ys, ts, ss = x.tolist(), y.tolist(), t.tolist(), seg.tolist()
    positions = candidates.tolist()
    fine_pairs = fine.tolist()
    bad_pairs = bad.tolist()
    count = len(positions)
    kept: list[int] = [0]  # indexes into `candidates`
    counted: list[bool] = []
    too_fast = 0
    anchor = 0
    following = 0  # index into bad_pairs of the first bad pair at or after the anchor
    p = 1
    while p < count:
        if too_fast == 0 and anchor == p - 1:
            while following < len(bad_pairs) and bad_pairs[following] < anchor:
                following += 1
            stop = bad_pairs[following] if following < len(bad_pairs) else count - 1
            if stop >= p:  # candidates p..stop each follow their predecessor at a possible speed
                kept.extend(range(p, stop + 1))
                counted.extend(fine_pairs[p - 1 : stop])
                anchor, p = stop, stop + 1
                continue
        i, a = positions[p], positions[anchor]
        if ss[i] != ss[a]:
            counted.append(False)  # the next track: nothing runs across
        else:
            span = ts[i] - ts[a]
            if math.hypot(xs[i] - xs[a], ys[i] - ys[a]) > max_speed * span:
                too_fast += 1
                if too_fast < rules.reanchor_after:
                    verdicts[i] = TOO_FAST
                    p += 1
                    continue
                counted.append(False)  # start again here; the jump itself does not count
            else:
                counted.append(span <= rules.max_gap_seconds)
        too_fast = 0
        kept.append(p)
        anchor = p
        p += 1
    return candidates[np.asarray(kept, dtype=np.intp)], np.asarray(counted, dtype=bool)


def _walked(
    x: NDArray[np.float64], y: NDArray[np.float64], counted: NDArray[np.bool_], min_step: float
) -> NDArray[np.float64]:
    """Rule 6, per interval: steps of at least `min_step` from where the worker last moved, only over counted
    intervals (each step is credited to the interval that completes it)."""
    if len(x) < 2:
        return np.zeros(0, dtype=np.float64)
    steps = np.hypot(np.diff(x), np.diff(y))
    if min_step <= 0 or bool(np.all(steps[counted] >= min_step)):
        return np.where(counted, steps, 0.0)
    xs, ys, ok = x.tolist(), y.tolist(), counted.tolist()
    walked = [0.0] * (len(xs) - 1)
    ax, ay = xs[0], ys[0]
    for i in range(1, len(xs)):
        if not ok[i - 1]:
            ax, ay = xs[i], ys[i]  # after a gap the walk starts again where the worker reappears
            continue
        step = math.hypot(xs[i] - ax, ys[i] - ay)
        if step >= min_step:
            walked[i - 1] = step
            ax, ay = xs[i], ys[i]
    return np.asarray(walked, dtype=np.float64)


def seconds_inside(track: Track, polygon: shapely.Geometry) -> NDArray[np.float64]:
    """Rule 5: for each interval between kept points, the seconds spent inside `polygon` (lon/lat); 0 if not counted.

    Only the intervals whose ends lie on different sides of the boundary, or that are long (unless both ends are
    inside a convex grid), are cut against it; the rest are wholly in or out, which `intersects_xy` on the prepared
    polygon answers for all points at once.
    """
    kept = track.kept
    if len(kept) < 2:
        return np.zeros(0, dtype=np.float64)
    shapely.prepare(polygon)
    lon, lat = track.lons[kept], track.lats[kept]
    inside = shapely.intersects_xy(polygon, lon, lat)
    share = (inside[:-1] & inside[1:]).astype(np.float64)
    x, y = _metres(lon, lat)
    long = np.hypot(np.diff(x), np.diff(y)) > EXACT_ABOVE_M
    if _is_convex(polygon):
        long &= ~(inside[:-1] & inside[1:])  # a straight line between two points inside a convex grid stays inside
    exact = track.counted & ((inside[:-1] != inside[1:]) | long)
    positions = np.flatnonzero(exact)
    if len(positions):
        coords = np.stack(
            [
                np.column_stack([lon[positions], lat[positions]]),
                np.column_stack([lon[positions + 1], lat[positions + 1]]),
            ],
            axis=1,
        )
        lines = shapely.linestrings(coords)
        # a line wholly inside needs no cut: the prepared polygon answers that much faster than an intersection
        within = shapely.contains_properly(polygon, lines)
        share[positions[within]] = 1.0
        positions, lines = positions[~within], lines[~within]
        whole = shapely.length(lines)
        part = shapely.length(shapely.intersection(lines, polygon))
        # a segment of zero length (the worker stood still) is wholly where its point is
        share[positions] = np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), inside[positions])
    return np.where(track.counted, share * track.interval_seconds, 0.0)


def _is_convex(polygon: shapely.Geometry) -> bool:
    hull = shapely.area(shapely.convex_hull(polygon))
    return bool(hull > 0 and shapely.area(polygon) >= hull * (1 - 1e-9))


def bounds_to_days(track: Track, day_starts: NDArray[np.float64]) -> NDArray[np.intp]:
    """For each interval, the position of the day it begins in, given the days' start times (ascending).

    An interval is short (at most `max_gap_seconds`), so one that crosses midnight is counted on the day it began.
    """
    starts = track.times[track.kept][:-1]
    return np.searchsorted(day_starts, starts, side="right") - 1
