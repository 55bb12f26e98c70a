"""Grid work over JSON (/api/v1/gridwork): what the phone pages send, the errors a phone can act on, and the
OpenAPI file describing it."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from civicgrid.gridwork.models import Patrol, PatrolGridTime, TrackBatch
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
API = "/api/v1/gridwork"


def client_of(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def post(client: Client, path: str, body: object, **headers: str):
    return client.post(f"{API}{path}", json.dumps(body), content_type="application/json", headers=headers)


def points_now(n: int, *, every: float = 10.0, lon: float = 118.704, step: float = 0.0001) -> list[dict]:
    """`n` points ending a minute ago, walking east inside grid A1 at about 1 m/s."""
    start = timezone.now() - timedelta(seconds=60 + n * every)
    return [
        {"at": (start + timedelta(seconds=i * every)).isoformat(), "lon": lon + i * step, "lat": 32.005, "accuracy": 8}
        for i in range(n)
    ]


@pytest.fixture
def phone(gw):
    """Worker A1's phone with a patrol started ten minutes ago (so points of the last minutes belong to it)."""
    client = client_of("worker_a1")
    response = post(client, "/patrols", {}, **{"Idempotency-Key": "start-1"})
    assert response.status_code == 201, response.content
    Patrol.objects.update(started_at=timezone.now() - timedelta(minutes=30))
    return client, response.json()["id"]


def test_the_phone_starts_sends_and_stops_a_patrol(phone):
    client, patrol_id = phone
    # a retried start is the same patrol
    again = post(client, "/patrols", {}, **{"Idempotency-Key": "start-1"})
    assert again.status_code == 200 and again.json()["id"] == patrol_id
    batch = {"batch_id": "q-1", "points": points_now(60)}
    sent = post(client, f"/patrols/{patrol_id}/points", batch)
    assert sent.status_code == 200, sent.content
    body = sent.json()
    assert (body["accepted"], body["duplicate"], body["patrol"]["point_count"]) == (60, False, 60)
    assert body["patrol"]["seconds_in_grid"] == 590 and body["patrol"]["distance_m"] > 500
    # the same batch from the offline queue again: nothing added
    resent = post(client, f"/patrols/{patrol_id}/points", batch)
    assert resent.json()["duplicate"] is True and resent.json()["patrol"]["point_count"] == 60
    assert client.get(f"{API}/patrols/current").json()["id"] == patrol_id
    stopped = post(client, f"/patrols/{patrol_id}/stop", {})
    assert stopped.status_code == 200 and stopped.json()["status"] == "closed"
    assert client.get(f"{API}/patrols/current").status_code == 404
    # the track for the map: the walk as a line, the grid counted as a polygon
    track = client.get(f"{API}/patrols/{patrol_id}/track").json()
    kinds = [f["properties"]["kind"] for f in track["features"]]
    assert kinds == ["grid", "stretch"] and len(track["features"][1]["geometry"]["coordinates"]) == 60
    detail = client.get(f"{API}/patrols/{patrol_id}").json()
    assert detail["grid_times"] == [
        {"grid": {"code": "320106001003001", "name": "仙霞路第一网格"}, "day": str(timezone.localdate()),
         "seconds": 590, "covering": False}
    ]  # fmt: skip


def test_a_hundred_thousand_points_in_one_request_is_refused_and_nothing_stored(phone):
    client, patrol_id = phone
    response = post(client, f"/patrols/{patrol_id}/points", {"batch_id": "flood", "points": points_now(100_000)})
    assert response.status_code == 413
    assert "上限" in response.json()["detail"] and "分次提交" in response.json()["detail"]
    # a batch under the size limit but over the point limit is refused by name
    response = post(client, f"/patrols/{patrol_id}/points", {"batch_id": "big", "points": points_now(2001, step=0)})
    assert response.status_code == 422
    assert response.json()["detail"] == "一个批次最多 2000 个点（收到 2001 个），请分批上传。"
    assert not TrackBatch.objects.exists() and Patrol.objects.get().point_count == 0


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"at": "1970-01-01T00:00:00Z"}, 422, "早于巡查开始"),
        ({"lon": 2.35, "lat": 48.86}, 422, "距离网格"),  # Paris
        ({"lat": 132.0}, 422, "经纬度超出范围"),
        ({"at": "yesterday"}, 422, "points.3.at"),
        ({"accuracy": "good"}, 422, "points.3.accuracy"),
    ],
)
def test_a_bad_point_is_a_clear_422_and_nothing_is_stored(phone, change, status, words):
    client, patrol_id = phone
    points = points_now(5)
    points[3] = {**points[3], **change}
    response = post(client, f"/patrols/{patrol_id}/points", {"batch_id": "bad", "points": points})
    assert response.status_code == status and words in response.json()["detail"], response.content
    assert not TrackBatch.objects.exists() and not PatrolGridTime.objects.exists()


def test_another_worker_neither_sees_nor_feeds_my_patrol(phone):
    _client, patrol_id = phone
    other = client_of("worker_a2")
    assert other.get(f"{API}/patrols/{patrol_id}").status_code == 404
    assert other.get(f"{API}/patrols/{patrol_id}/track").status_code == 404
    refused = post(other, f"/patrols/{patrol_id}/points", {"batch_id": "x", "points": points_now(3)})
    assert refused.status_code == 404
    assert other.get(f"{API}/patrols").json()["items"] == []
    # the community head and the grid leader see it; the head of another community does not
    assert [p["id"] for p in client_of("head_a").get(f"{API}/patrols").json()["items"]] == [patrol_id]
    assert [p["id"] for p in client_of("leader_a").get(f"{API}/patrols").json()["items"]] == [patrol_id]
    assert client_of("head_b").get(f"{API}/patrols").json()["items"] == []


def test_today_and_the_weekly_report(phone):
    client, patrol_id = phone
    post(client, f"/patrols/{patrol_id}/points", {"batch_id": "1", "points": points_now(30)})
    today = client.get(f"{API}/today").json()
    assert today["grids"] == [{"grid": {"code": "320106001003001", "name": "仙霞路第一网格"}, "covering": False}]
    assert today["open_patrol"]["id"] == patrol_id and today["seconds_in_grid"] == 290
    assert today["daily_seconds"] == 4 * 3600
    report = client_of("head_a").get(f"{API}/reports/four-hours").json()
    assert [w["worker"]["username"] for w in report["workers"]] == ["worker_a1", "worker_a2"]
    assert report["communities"][0]["community"]["name"] == "仙霞路社区"
    assert client_of("head_b").get(f"{API}/reports/four-hours", {"region": "320106001003"}).json()["workers"] == []


def test_problems_leave_and_logs_over_json(gw):
    worker = client_of("worker_a1")
    created = post(
        worker,
        "/problems",
        {"description": "井盖松动", "lon": 118.703, "lat": 32.004, "action": "raise_work_order"},
        **{"Idempotency-Key": "p-1"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "work_order" and body["work_order"]
    assert [e["action"] for e in body["events"]] == ["record", "raise_work_order"]
    # the same submission again (the phone retried) is the same problem
    again = post(
        worker, "/problems", {"description": "井盖松动", "lon": 118.703, "lat": 32.004}, **{"Idempotency-Key": "p-1"}
    )
    assert again.json()["id"] == body["id"]
    bad = post(worker, "/problems", {"description": "x", "lon": 118.80, "lat": 32.005})
    assert bad.status_code == 422 and "网格" in bad.json()["detail"]
    leave = post(worker, "/leaves", {"starts_on": str(timezone.localdate()), "ends_on": str(timezone.localdate()),
                                     "kind": "sick", "reason": "发烧"})  # fmt: skip
    assert leave.status_code == 201 and leave.json()["status"] == "requested"
    approved = post(client_of("leader_a"), f"/leaves/{leave.json()['id']}/actions", {"action": "approve"})
    assert approved.json()["status"] == "approved"
    assert client_of("worker_a2").get(f"{API}/covered-grids").json()[0]["worker_on_leave"]["username"] == "worker_a1"
    day = str(timezone.localdate())
    written = worker.put(f"{API}/logs/{day}", json.dumps({"content": "今日巡查平稳"}), content_type="application/json")
    assert written.status_code == 201
    assert worker.get(f"{API}/logs/{day}").json()["content"] == "今日巡查平稳"


def test_the_openapi_file_describes_grid_work(gw):
    schema = client_of("admin").get("/api/v1/openapi.json").json()
    paths = [path for path in schema["paths"] if path.startswith(API)]
    for expected in ("/patrols", "/patrols/{patrol_id}/points", "/reports/four-hours", "/visits/due", "/problems",
                     "/council-meetings", "/guide", "/guide/assignments", "/leaves", "/today"):  # fmt: skip
        assert f"{API}{expected}" in paths
