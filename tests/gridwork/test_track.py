"""From a track to time in grid and distance (gridwork/track.py): the rules on synthetic tracks with known answers."""

import math
from datetime import timedelta

import numpy as np
import pytest
import shapely

from civicgrid.gridwork import track
from tests.factories import square
from tests.gridwork.conftest import MONDAY, at, walk

A1 = shapely.geometry.shape(square(118.70, 32.00))
A2 = shapely.geometry.shape(square(118.71, 32.00))
M_PER_DEG_LON = 111_195.08 * np.cos(np.radians(32.005))  # at the track's latitude
M_PER_DEG_LAT = 111_195.08

# East across the A1/A2 boundary (at 118.71) and back, then north inside A1: one hour, a point every 10 s.
CROSSING = [
    (600, 118.710, 32.005),  # 10 min inside A1, reaching the boundary
    (600, 118.716, 32.005),  # 10 min in A2
    (600, 118.710, 32.005),  # 10 min back to the boundary
    (600, 118.704, 32.005),  # 10 min inside A1
    (1200, 118.704, 32.0062),  # 20 min slowly north, inside A1
]


def arrays(points):
    return (
        np.array([p.at.timestamp() for p in points]),
        np.array([p.lon for p in points]),
        np.array([p.lat for p in points]),
        np.array([p.accuracy for p in points]),
    )


def crossing(every: float = 10.0):
    return walk(at(MONDAY, 9), CROSSING, origin=(118.704, 32.005), every=every)


def test_a_track_crossing_the_boundary_counts_exactly_the_minutes_inside():
    # given an hour's walk: 40 minutes inside grid A1 and 20 in A2 across their shared edge
    analysed = track.analyse(*arrays(crossing()))
    # then the time inside each grid is exact to the second
    assert round(track.seconds_inside(analysed, A1).sum()) == 40 * 60
    assert round(track.seconds_inside(analysed, A2).sum()) == 20 * 60
    # and the distance is the walk's: 4 legs of 0.006° east-west and 0.0012° north (steps of 10 m or more counted)
    expected = 4 * 0.006 * M_PER_DEG_LON + 0.0012 * M_PER_DEG_LAT
    assert analysed.distance_m == pytest.approx(expected, rel=0.01)
    assert analysed.verdict_counts() == {"kept": 361, "poor_accuracy": 0, "too_fast": 0, "duplicate": 0}


def test_the_crossing_is_cut_inside_a_segment_not_rounded_to_a_point():
    # given points only every 7 minutes 30 seconds: the boundary falls between two fixes
    points = walk(at(MONDAY, 9), [(900, 118.713, 32.005)], origin=(118.698 + 0.009, 32.005), every=450)
    analysed = track.analyse(*arrays(points))
    # when the gap rule is relaxed so the long intervals count
    relaxed = track.analyse(*arrays(points), rules=track.TrackRules(max_gap_seconds=600))
    # then with the default rule nothing counts (intervals over 5 minutes), and relaxed: 0.003° of 0.006° is in A1
    assert track.seconds_inside(analysed, A1).sum() == 0
    assert round(track.seconds_inside(relaxed, A1).sum()) == 450
    assert round(track.seconds_inside(relaxed, A2).sum()) == 450


def test_points_with_poor_accuracy_are_discarded():
    # given the crossing walk with a wild fix of 80 m accuracy every minute, placed far inside A2
    points = crossing()
    noisy = list(points)
    for k in range(6, 60, 6):
        p = points[k]
        noisy.append(type(p)(at=p.at + timedelta(seconds=5), lon=118.719, lat=32.009, accuracy=80.0))
    analysed = track.analyse(*arrays(noisy))
    # then they change nothing: the same minutes, and each is named as poor accuracy
    assert round(track.seconds_inside(analysed, A1).sum()) == 40 * 60
    assert analysed.verdict_counts()["poor_accuracy"] == 9


def test_a_gps_jump_is_discarded_by_speed():
    # given the walk with one fix 2 km away (good stated accuracy) ten seconds after a real one
    points = crossing()
    jump = type(points[0])(at=points[20].at + timedelta(seconds=5), lon=118.70 + 0.002, lat=32.025, accuracy=5)
    analysed = track.analyse(*arrays([*points, jump]))
    # then it is refused as too fast, and the time and distance are those of the real walk
    assert analysed.verdict_counts()["too_fast"] == 1
    assert round(track.seconds_inside(analysed, A1).sum()) == 40 * 60
    plain = track.analyse(*arrays(points))
    assert analysed.distance_m == pytest.approx(plain.distance_m)


def test_after_five_jumps_in_a_row_the_track_starts_again_from_the_new_place():
    # given a bad first fix 3 km away, then the real walk
    points = crossing()
    bad = type(points[0])(at=points[0].at - timedelta(seconds=10), lon=118.73, lat=32.02, accuracy=5)
    analysed = track.analyse(*arrays([bad, *points]))
    # then the first five real points are refused as jumps from the bad fix, and the track restarts at the fifth
    assert analysed.verdict_counts()["too_fast"] == 4
    # the lost 40 seconds are at the start, inside A1
    assert round(track.seconds_inside(analysed, A1).sum()) == 40 * 60 - 40


def test_a_gap_longer_than_five_minutes_is_not_counted():
    # given the walk with the phone silent for ten minutes inside A1 (from 09:40:00 to 09:50:00)
    points = crossing()
    silent = points[:241] + points[300:]
    analysed = track.analyse(*arrays(silent))
    # then those ten minutes do not count, the rest does
    assert round(track.seconds_inside(analysed, A1).sum()) == 30 * 60
    assert len(analysed.pieces()) == 2


def test_the_same_time_twice_counts_once_keeping_the_more_accurate_fix():
    points = crossing()
    again = [type(p)(at=p.at, lon=p.lon + 0.00001, lat=p.lat, accuracy=20.0) for p in points[:100]]
    analysed = track.analyse(*arrays([*again, *points]))
    assert analysed.verdict_counts()["duplicate"] == 100
    assert round(track.seconds_inside(analysed, A1).sum()) == 40 * 60
    kept_accuracies = analysed.accuracies[analysed.kept]
    assert set(kept_accuracies.tolist()) == {5.0}


def test_a_phone_lying_still_walks_no_distance():
    # given an hour of fixes wandering a few metres around one spot
    rng = np.random.default_rng(7)
    start = at(MONDAY, 9).timestamp()
    times = start + np.arange(360) * 10.0
    lons = 118.705 + rng.normal(0, 0.00003, 360)
    lats = 32.005 + rng.normal(0, 0.00003, 360)
    analysed = track.analyse(times, lons, lats, np.full(360, 8.0))
    # then it stayed an hour inside, and the wobble is not taken for walking (summing every wobble would make ~2 km)
    assert round(track.seconds_inside(analysed, A1).sum()) == 3590
    wobble = np.hypot(np.diff(lons) * 94_300, np.diff(lats) * 111_195).sum()
    assert wobble > 1500
    assert analysed.distance_m < wobble / 5


def test_an_empty_or_single_point_track_counts_nothing():
    empty = track.analyse([], [], [], [])
    assert empty.distance_m == 0 and track.seconds_inside(empty, A1).sum() == 0
    one = track.analyse([1.7e9], [118.705], [32.005], [5.0])
    assert one.distance_m == 0 and track.seconds_inside(one, A1).sum() == 0


def test_a_straight_step_across_the_notch_of_a_concave_grid_counts_only_its_inside_parts():
    # given an L-shaped grid (A1 without its north-east quarter) and one long step between two points inside it
    # that cuts through the missing quarter: from the north-west arm to the south-east arm
    notch = shapely.Polygon([(118.70, 32.00), (118.71, 32.00), (118.71, 32.005), (118.705, 32.005),
                             (118.705, 32.01), (118.70, 32.01)])  # fmt: skip
    start = at(MONDAY, 9).timestamp()
    analysed = track.analyse(
        [start, start + 200], [118.7025, 118.7095], [32.0095, 32.0005], [5.0, 5.0],
        rules=track.TrackRules(max_speed_kmh=100),
    )  # fmt: skip
    inside = track.seconds_inside(analysed, notch).sum()
    # then the part of the line crossing the missing quarter is not counted, while in the square A1 the whole step is
    line = shapely.LineString([(118.7025, 32.0095), (118.7095, 32.0005)])
    expected = 200 * shapely.intersection(line, notch).length / line.length
    assert inside == pytest.approx(expected) and inside < 200
    assert track.seconds_inside(analysed, A1).sum() == pytest.approx(200)


def reference_walk(times, xs, ys, segments, rules=track.DEFAULT_RULES):
    """Rule 3 point by point, as simply as it can be said: what the fast walk must give on any track."""
    kept, counted, verdicts = [], [], {}
    too_fast, anchor = 0, None
    for i in range(len(times)):
        if anchor is not None and segments[i] != segments[anchor]:
            counted.append(False)
        elif anchor is not None:
            span = times[i] - times[anchor]
            if math.hypot(xs[i] - xs[anchor], ys[i] - ys[anchor]) > rules.max_speed_kmh / 3.6 * span:
                too_fast += 1
                if too_fast < rules.reanchor_after:
                    verdicts[i] = "too_fast"
                    continue
                counted.append(False)
            else:
                counted.append(span <= rules.max_gap_seconds)
        too_fast = 0
        kept.append(i)
        anchor = i
    return kept, counted, len(verdicts)


@pytest.mark.parametrize("seed", range(12))
def test_the_fast_speed_walk_keeps_exactly_what_the_point_by_point_rule_keeps(seed):
    # given tracks of walking with bursts of jumps (single, runs of 3 to 7, a bad first fix) over three segments
    rng = np.random.default_rng(seed)
    n = 1500
    times = np.cumsum(rng.uniform(1, 30, n)) + 1.78e9
    xs = np.cumsum(rng.normal(0, 8, n))
    ys = np.cumsum(rng.normal(0, 8, n))
    for start in rng.choice(n - 10, 25, replace=False):
        run = rng.integers(1, 8)
        xs[start : start + run] += rng.choice([-1, 1]) * rng.uniform(500, 3000)
    segments = np.repeat([0, 1, 2], [500, 600, 400])
    lats = 32.0 + ys / 111_195.0
    lons = 118.7 + xs / (111_195.0 * math.cos(math.radians(32.0)))
    analysed = track.analyse(times, lons, lats, np.full(n, 5.0), segments=segments)
    # then kept points, counted intervals and jumps are those of the simple rule (on the same plane coordinates)
    x, y = track._metres(analysed.lons, analysed.lats)
    kept, counted, jumps = reference_walk(analysed.times.tolist(), x.tolist(), y.tolist(), analysed.segments.tolist())
    assert analysed.kept.tolist() == kept
    assert analysed.counted.tolist() == counted
    assert analysed.verdict_counts()["too_fast"] == jumps > 0
