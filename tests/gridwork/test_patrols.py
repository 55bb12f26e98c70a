"""Patrols through their services: start, batches of points from the phone, stop; what is counted and what refused."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from civicgrid.gridwork import services
from civicgrid.gridwork.choices import PatrolEnd, PatrolStatus
from civicgrid.gridwork.models import Patrol, PatrolGridTime, TrackBatch
from civicgrid.people.models import User
from civicgrid.workorders.models import OfficerPosition
from tests.gridwork.conftest import CENTRE_A1, MONDAY, at, patrol_of, upload, walk
from tests.gridwork.test_track import CROSSING, M_PER_DEG_LAT, M_PER_DEG_LON

pytestmark = pytest.mark.django_db


def crossing(every: float = 10.0, accuracy: float = 5.0):
    return walk(at(MONDAY, 9), CROSSING, origin=(118.704, 32.005), every=every, accuracy=accuracy)


def started(worker, hour: int = 9):
    patrol, created = services.patrol_start(actor=worker, now=at(MONDAY, hour))
    assert created
    return patrol


def test_a_patrol_across_the_boundary_counts_only_the_minutes_inside_the_own_grid(gw):
    # given worker A1 walks an hour: 40 minutes in their grid A1 and 20 in the neighbouring A2 (no cover that day)
    patrol = patrol_of(gw.tree.worker_a1, crossing())
    # then the patrol is closed with its distance, its time in grid and every point kept
    assert patrol.status == PatrolStatus.CLOSED and patrol.end_reason == PatrolEnd.STOPPED
    assert patrol.seconds_in_grid == 40 * 60
    assert patrol.tracked_seconds == 60 * 60
    assert patrol.distance_m == pytest.approx(4 * 0.006 * M_PER_DEG_LON + 0.0012 * M_PER_DEG_LAT, rel=0.01)
    assert patrol.point_count == patrol.kept_count == 361
    # and the day's time is filed for grid A1 only
    rows = list(PatrolGridTime.objects.filter(patrol=patrol).values_list("grid__code", "day", "seconds", "covering"))
    assert rows == [(gw.tree.grid_a1.code, MONDAY, 2400, False)]
    assert patrol.ended_at == at(MONDAY, 10, 0, 30)  # when stop was pressed


def test_points_arrive_in_batches_in_any_order_and_the_figures_follow(gw):
    worker = gw.tree.worker_a1
    patrol = started(worker)
    points = crossing()
    now = at(MONDAY, 10, 1)
    # when the phone's queue sends the second half first (it was kept while the network was down)
    services.patrol_points_add(actor=worker, patrol_id=patrol.pk, batch_id="late", points=points[180:], now=now)
    half = Patrol.objects.get(pk=patrol.pk)
    services.patrol_points_add(actor=worker, patrol_id=patrol.pk, batch_id="early", points=points[:180], now=now)
    whole = Patrol.objects.get(pk=patrol.pk)
    # then each batch brought the figures up to date, and the whole track counts as if sent in order
    assert 0 < half.seconds_in_grid < whole.seconds_in_grid == 40 * 60
    assert whole.point_count == 361 and whole.last_point_at == at(MONDAY, 10)


def test_a_batch_sent_again_adds_nothing(gw):
    worker = gw.tree.worker_a1
    patrol = started(worker)
    points = crossing()[:100]
    now = at(MONDAY, 10)
    first = services.patrol_points_add(actor=worker, patrol_id=patrol.pk, batch_id="b-1", points=points, now=now)
    # when the phone did not hear the answer and sends the same batch again
    again = services.patrol_points_add(actor=worker, patrol_id=patrol.pk, batch_id="b-1", points=points, now=now)
    # then the second answer says so and nothing is counted twice
    assert (first.accepted, first.duplicate) == (100, False)
    assert (again.accepted, again.duplicate) == (0, True)
    patrol.refresh_from_db()
    assert patrol.point_count == 100 and TrackBatch.objects.filter(patrol=patrol).count() == 1
    # and a batch id reused for other points is refused, not merged
    with pytest.raises(Conflict, match="b-1"):
        services.patrol_points_add(actor=worker, patrol_id=patrol.pk, batch_id="b-1", points=points[:50], now=now)


def test_points_repeated_in_a_later_batch_count_once(gw):
    worker = gw.tree.worker_a1
    patrol = started(worker)
    points = crossing()
    now = at(MONDAY, 10, 1)
    services.patrol_points_add(actor=worker, patrol_id=patrol.pk, batch_id="x1", points=points[:200], now=now)
    services.patrol_points_add(actor=worker, patrol_id=patrol.pk, batch_id="x2", points=points[150:], now=now)
    patrol.refresh_from_db()
    assert patrol.seconds_in_grid == 40 * 60
    assert patrol.verdicts["duplicate"] == 50 and patrol.kept_count == 361


def test_poor_fixes_and_jumps_are_set_aside_and_named(gw):
    points = crossing()
    noisy = list(points)
    for k in range(6, 60, 6):  # nine fixes of 80 m accuracy
        noisy.append(type(points[0])(at=points[k].at + timedelta(seconds=5), lon=118.719, lat=32.009, accuracy=80))
    jump = points[20]  # one fix 2 km off, five seconds after a real one
    noisy.append(type(jump)(at=jump.at + timedelta(seconds=5), lon=118.702, lat=32.025, accuracy=5))
    patrol = patrol_of(gw.tree.worker_a1, noisy)
    assert patrol.seconds_in_grid == 40 * 60
    assert patrol.verdicts == {"kept": 361, "poor_accuracy": 9, "too_fast": 1, "duplicate": 0}


@pytest.mark.parametrize(
    ("point", "words"),
    [
        ({"at": at(MONDAY - timedelta(days=365 * 56), 8), "lon": 118.705, "lat": 32.005}, "早于巡查开始"),  # 1970
        ({"at": at(MONDAY, 9, 30), "lon": -73.97, "lat": 40.78}, "距离网格"),  # New York
        ({"at": at(MONDAY, 9, 30), "lon": 32.005, "lat": 118.705}, "经纬度超出范围"),  # lon and lat swapped
        ({"at": at(MONDAY, 11), "lon": 118.705, "lat": 32.005}, "晚于现在"),  # the phone's clock is wrong
        ({"at": at(MONDAY, 9, 30), "lon": 118.705, "lat": 32.005, "accuracy": float("nan")}, "定位精度"),
    ],
)
def test_a_bad_point_refuses_its_whole_batch_with_the_point_named(gw, point, words):
    worker = gw.tree.worker_a1
    patrol = started(worker)
    good = crossing()[:30]
    bad = services.Point(**{"accuracy": 5.0, **point})
    # when a batch of 30 good points and one bad one arrives
    with pytest.raises(ValidationError) as refused:
        services.patrol_points_add(
            actor=worker, patrol_id=patrol.pk, batch_id="mixed", points=[*good, bad], now=at(MONDAY, 10)
        )
    # then the message names the 31st point and why, and nothing of the batch is kept
    assert "第 31 个点" in refused.value.message and words in refused.value.message
    patrol.refresh_from_db()
    assert patrol.point_count == 0 and not TrackBatch.objects.exists() and not PatrolGridTime.objects.exists()


def test_an_oversized_or_empty_batch_is_refused(gw):
    worker = gw.tree.worker_a1
    patrol = started(worker)
    one = crossing()[0]
    many = [services.Point(at=one.at + timedelta(seconds=i), lon=one.lon, lat=one.lat, accuracy=5) for i in range(2001)]
    with pytest.raises(ValidationError, match="最多 2000 个点（收到 2001 个）"):
        services.patrol_points_add(actor=worker, patrol_id=patrol.pk, batch_id="big", points=many, now=at(MONDAY, 10))
    with pytest.raises(ValidationError, match="没有轨迹点"):
        services.patrol_points_add(actor=worker, patrol_id=patrol.pk, batch_id="none", points=[], now=at(MONDAY, 10))
    with pytest.raises(ValidationError, match="批次编号"):
        services.patrol_points_add(actor=worker, patrol_id=patrol.pk, batch_id="a b", points=[one], now=at(MONDAY, 10))
    assert not TrackBatch.objects.exists()


def test_only_the_patrols_own_worker_adds_points_or_stops_it(gw):
    patrol = started(gw.tree.worker_a1)
    point = crossing()[:1]
    for other in (gw.tree.worker_a2, gw.tree.leader_a, gw.head_a):
        with pytest.raises(NotFound):
            services.patrol_points_add(actor=other, patrol_id=patrol.pk, batch_id="x", points=point, now=at(MONDAY, 10))
        with pytest.raises(NotFound):
            services.patrol_stop(actor=other, patrol_id=patrol.pk, now=at(MONDAY, 10))


def test_only_a_grid_worker_on_post_starts_a_patrol(gw):
    for actor in (gw.head_a, gw.tree.officer_a, gw.tree.police_a1):
        with pytest.raises(PermissionDenied, match="网格员"):
            services.patrol_start(actor=actor, now=at(MONDAY, 9))
    assert not Patrol.objects.exists()


def test_one_open_patrol_at_a_time_and_a_retried_start_is_the_same_patrol(gw):
    worker = gw.tree.worker_a1
    first, created = services.patrol_start(actor=worker, start_key="k1", now=at(MONDAY, 9))
    retried, again = services.patrol_start(actor=worker, start_key="k1", now=at(MONDAY, 9, 0, 5))
    assert created and not again and retried.pk == first.pk
    with pytest.raises(Conflict, match="已有一次巡查正在进行") as refused:
        services.patrol_start(actor=worker, start_key="k2", now=at(MONDAY, 9, 5))
    assert refused.value.errors == {"open_patrol": [str(first.pk)]}
    # a patrol forgotten open for more than 16 hours is closed when the next one starts
    services.patrol_points_add(actor=worker, patrol_id=first.pk, batch_id="b", points=crossing(), now=at(MONDAY, 10))
    later, created = services.patrol_start(actor=worker, now=at(MONDAY + timedelta(days=1), 8))
    assert later.pk != first.pk
    first.refresh_from_db()
    assert created and first.status == PatrolStatus.CLOSED and first.end_reason == PatrolEnd.AUTO_CLOSED
    assert first.ended_at == at(MONDAY, 10) and first.seconds_in_grid == 40 * 60


def test_stop_pressed_offline_and_points_sent_after_it_still_count(gw):
    worker = gw.tree.worker_a1
    patrol = started(worker)
    points = crossing()
    services.patrol_points_add(actor=worker, patrol_id=patrol.pk, batch_id="1", points=points[:100], now=at(MONDAY, 10))
    # when the stop pressed at 10:00 arrives before the last batch (both waited in the phone's queue)
    stopped = services.patrol_stop(actor=worker, patrol_id=patrol.pk, ended_at=at(MONDAY, 10), now=at(MONDAY, 10, 5))
    services.patrol_points_add(
        actor=worker, patrol_id=patrol.pk, batch_id="2", points=points[100:], now=at(MONDAY, 10, 5)
    )
    # then the patrol ended when stop was pressed and counts the whole walk; a second stop changes nothing
    patrol.refresh_from_db()
    assert stopped.ended_at == at(MONDAY, 10) and patrol.seconds_in_grid == 40 * 60
    assert services.patrol_stop(actor=worker, patrol_id=patrol.pk, now=at(MONDAY, 11)).ended_at == at(MONDAY, 10)
    # but a point from after the patrol's end does not belong to it
    late = services.Point(at=at(MONDAY, 10, 30), lon=CENTRE_A1[0], lat=CENTRE_A1[1], accuracy=5)
    with pytest.raises(ValidationError, match="晚于本次巡查的时间范围"):
        services.patrol_points_add(actor=worker, patrol_id=patrol.pk, batch_id="3", points=[late], now=at(MONDAY, 11))


def test_a_stop_time_before_the_start_or_in_the_future_is_refused(gw):
    worker = gw.tree.worker_a1
    patrol = started(worker)
    with pytest.raises(ValidationError, match="不能早于巡查开始时间"):
        services.patrol_stop(actor=worker, patrol_id=patrol.pk, ended_at=at(MONDAY, 8), now=at(MONDAY, 10))
    with pytest.raises(ValidationError, match="不能晚于现在"):
        services.patrol_stop(actor=worker, patrol_id=patrol.pk, ended_at=at(MONDAY, 12), now=at(MONDAY, 10))
    assert Patrol.objects.get(pk=patrol.pk).status == PatrolStatus.OPEN


def test_a_fresh_point_of_an_open_patrol_is_the_workers_position_for_dispatch(gw):
    worker = gw.tree.worker_a1
    patrol = started(worker)
    upload(worker, patrol, crossing(), now=at(MONDAY, 10, 0, 30))
    position = OfficerPosition.objects.get(user=worker)
    assert (position.lon, position.lat) == pytest.approx((118.704, 32.0062))


@pytest.mark.django_db(transaction=True)
def test_the_same_batch_sent_twice_at_the_same_moment_is_stored_once(gw):
    worker = gw.tree.worker_a1
    patrol = started(worker)
    points = crossing()
    barrier = threading.Barrier(4)
    results: list[object] = []

    def send(batch_id: str) -> None:
        try:
            actor = User.objects.get(pk=worker.pk)
            barrier.wait()
            results.append(
                services.patrol_points_add(
                    actor=actor, patrol_id=patrol.pk, batch_id=batch_id, points=points, now=at(MONDAY, 10, 1)
                )
            )
        except Exception as error:  # every outcome is asserted below
            results.append(error)
        finally:
            connection.close()

    # when the phone's retry and the original both arrive at once, beside two copies of another batch
    threads = [threading.Thread(target=send, args=(name,)) for name in ("same", "same", "other", "other")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then each batch is stored once, the copies answer "duplicate", and the points counted once each
    assert sorted((r.batch_id, r.duplicate) for r in results) == [  # type: ignore[attr-defined]
        ("other", False),
        ("other", True),
        ("same", False),
        ("same", True),
    ]
    patrol.refresh_from_db()
    assert TrackBatch.objects.filter(patrol=patrol).count() == 2
    assert patrol.point_count == 2 * 361 and patrol.seconds_in_grid == 40 * 60


def test_a_start_pressed_offline_keeps_its_time_but_never_overlaps_the_last_patrol(gw):
    worker = gw.tree.worker_a1
    # when the start pressed at 09:00 reaches the server at 09:20 with the points of those minutes
    patrol, _created = services.patrol_start(actor=worker, started_at=at(MONDAY, 9), now=at(MONDAY, 9, 20))
    upload(worker, patrol, crossing()[:120], now=at(MONDAY, 9, 20))
    patrol.refresh_from_db()
    assert patrol.started_at == at(MONDAY, 9) and patrol.point_count == 120
    services.patrol_stop(actor=worker, patrol_id=patrol.pk, now=at(MONDAY, 9, 30))
    # a start claimed before that patrol's end would count the same minutes twice: refused
    with pytest.raises(ValidationError, match="早于上一次巡查的结束时间"):
        services.patrol_start(actor=worker, started_at=at(MONDAY, 9, 25), now=at(MONDAY, 9, 40))
    with pytest.raises(ValidationError, match="16 小时以内"):
        services.patrol_start(actor=worker, started_at=at(MONDAY, 9, 25), now=at(MONDAY + timedelta(days=1), 9))
