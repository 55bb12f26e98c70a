"""The JSON API as a client sees it: authentication, jurisdiction, lookups, writes and their errors."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from civicgrid.people.models import ApiToken, Post
from civicgrid.people.services import api_token_create
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def logged_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def test_the_openapi_schema_and_offline_docs_are_served(tree):
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "CivicGrid API"
    assert {"/api/v1/regions/grid-at", "/api/v1/regions/{code}", "/api/v1/people/"} <= set(schema["paths"])
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    assert "cdn." not in docs.content.decode() and "/static/ninja/swagger-ui-bundle.js" in docs.content.decode()


@pytest.mark.parametrize("url", ["/api/v1/regions/", "/api/v1/people/me", "/api/v1/regions/grid-at?lon=118&lat=32"])
def test_without_login_or_token_every_endpoint_answers_401(tree, url):
    assert Client().get(url).status_code == 401


def test_given_a_token_then_it_authenticates_until_revoked_or_expired(tree):
    token, record = api_token_create(actor=tree.worker_a1, name="终端")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    me = client.get("/api/v1/people/me").json()
    assert me["username"] == "worker_a1" and me["roles"] == ["grid_worker"]
    assert me["jurisdiction"] == [tree.grid_a1.code]
    assert Client(headers={"Authorization": "Bearer cg_not-a-token"}).get("/api/v1/people/me").status_code == 401
    # its use is recorded, at most once a minute
    first_use = ApiToken.objects.get(pk=record.pk).last_used_at
    assert first_use is not None
    client.get("/api/v1/people/me")
    assert ApiToken.objects.get(pk=record.pk).last_used_at == first_use
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=first_use - timedelta(minutes=2))
    client.get("/api/v1/people/me")
    assert ApiToken.objects.get(pk=record.pk).last_used_at > first_use
    # a deactivated account's token no longer works, nor an expired or revoked token
    type(tree.worker_a1).objects.filter(pk=tree.worker_a1.pk).update(is_active=False)
    assert client.get("/api/v1/people/me").status_code == 401
    type(tree.worker_a1).objects.filter(pk=tree.worker_a1.pk).update(is_active=True)
    assert client.get("/api/v1/people/me").status_code == 200
    ApiToken.objects.filter(pk=record.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get("/api/v1/people/me").status_code == 401
    ApiToken.objects.filter(pk=record.pk).update(expires_at=None, is_active=False)
    assert client.get("/api/v1/people/me").status_code == 401


def test_a_token_is_made_only_from_a_logged_in_session_and_shown_once(tree):
    client = logged_in("worker_a1")
    made = client.post("/api/v1/people/me/tokens", json.dumps({"name": "巡查终端"}), content_type="application/json")
    assert made.status_code == 201
    token = made.json()["token"]
    listed = client.get("/api/v1/people/me/tokens").json()
    assert [t["name"] for t in listed] == ["巡查终端"] and "token" not in listed[0]
    with_token = Client(headers={"Authorization": f"Bearer {token}"})
    refused = with_token.post("/api/v1/people/me/tokens", json.dumps({"name": "x"}), content_type="application/json")
    assert refused.status_code == 401  # a stolen token cannot mint more tokens
    assert with_token.delete(f"/api/v1/people/me/tokens/{listed[0]['id']}").status_code == 204
    assert with_token.get("/api/v1/people/me").status_code == 401


def test_the_region_tree_detail_and_roster_of_ones_own_street(tree):
    client = logged_in("officer_a")
    tops = client.get("/api/v1/regions/").json()["items"]
    assert [r["code"] for r in tops] == ["320106001"]
    nested = client.get("/api/v1/regions/tree?depth=2").json()
    assert nested[0]["children"][0]["code"] == "320106001003"
    assert [g["code"] for g in nested[0]["children"][0]["children"]] == [tree.grid_a1.code, tree.grid_a2.code]
    grid = client.get(f"/api/v1/regions/{tree.grid_a1.code}").json()
    assert grid["roster"]["worker"]["full_name"] == "王网格"
    assert grid["roster"]["worker"]["phone"].count("*") == 4  # masked
    assert grid["roster"]["partner"]["code"] == tree.grid_a2.code
    assert [a["assistant_kind"] for a in grid["roster"]["assistants"]] == ["police_officer"]
    assert [a["code"] for a in grid["ancestors"]] == ["320106001", "320106001003"]
    geojson = client.get("/api/v1/regions/320106001/grids.geojson").json()
    assert len(geojson["features"]) == 2


def test_another_streets_region_is_404_and_absent_from_lists_and_batches(tree):
    client = logged_in("officer_b")
    assert client.get(f"/api/v1/regions/{tree.grid_a1.code}").status_code == 404
    assert client.get(f"/api/v1/regions/?parent={tree.street_a.code}").status_code == 404
    assert client.get(f"/api/v1/regions/tree?root={tree.street_a.code}").status_code == 404
    assert client.get("/api/v1/regions/?q=仙霞").json()["items"] == []
    assert client.get("/api/v1/people/worker_a1").status_code == 404
    assert "worker_a1" not in client.get("/api/v1/people/?limit=500").content.decode()
    assert client.get("/api/v1/regions/grid-at?lon=118.705&lat=32.005").status_code == 404
    batch = client.post(
        "/api/v1/regions/grid-at/batch",
        json.dumps({"points": [[118.705, 32.005], [118.725, 32.005]]}),
        content_type="application/json",
    )
    assert batch.json() == {"codes": [None, tree.grid_b1.code]}


def test_grid_lookup_by_point_and_its_validation(tree):
    client = logged_in("admin")
    assert client.get("/api/v1/regions/grid-at?lon=118.715&lat=32.005").json()["code"] == tree.grid_a2.code
    assert client.get("/api/v1/regions/grid-at?lon=100&lat=30").status_code == 404
    bad = client.get("/api/v1/regions/grid-at?lon=181&lat=32")
    assert bad.status_code == 422 and bad.json()["detail"].startswith("请求参数有误")
    assert client.get("/api/v1/regions/grid-at?lon=east&lat=32").status_code == 422
    too_many = json.dumps({"points": [[118.7, 32.0]] * 10_001})
    assert client.post("/api/v1/regions/grid-at/batch", too_many, content_type="application/json").status_code == 422
    outside = json.dumps({"points": [[118.7, 95.0]]})
    assert client.post("/api/v1/regions/grid-at/batch", outside, content_type="application/json").status_code == 422


def test_assigning_posts_through_the_api_maps_domain_errors(tree):
    client = logged_in("officer_a")
    newcomer = UserFactory(username="newcomer")

    def assign(**body):
        return client.post("/api/v1/people/posts", json.dumps(body), content_type="application/json")

    second_worker = assign(username="newcomer", role="grid_worker", region_code=tree.grid_a1.code)
    assert second_worker.status_code == 409 and "王网格" in second_worker.json()["detail"]
    other_street = assign(username="newcomer", role="grid_worker", region_code=tree.grid_b2.code)
    assert other_street.status_code == 422  # not visible to a street A officer: reported as unknown
    not_allowed = assign(username="newcomer", role="street_officer", region_code=tree.street_a.code)
    assert not_allowed.status_code == 403
    made = assign(username="newcomer", role="grid_assistant", region_code=tree.grid_a2.code, assistant_kind="volunteer")
    assert made.status_code == 201 and made.json()["role_label"] == "网格协管员"
    assert newcomer.posts.count() == 1
    ended = client.post(f"/api/v1/people/posts/{made.json()['id']}/end")
    assert ended.status_code == 200 and ended.json()["is_active"] is False
    other = Post.objects.get(user=tree.worker_b1)
    assert client.post(f"/api/v1/people/posts/{other.pk}/end").status_code == 404


def test_session_writes_need_the_csrf_token(tree):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="admin", password=PASSWORD)
    response = client.post("/api/v1/people/me/tokens", json.dumps({"name": "x"}), content_type="application/json")
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_a_list_offset_beyond_any_list_is_a_422_not_a_database_error(tree):
    client = logged_in("officer_a")
    assert client.get("/api/v1/people/", {"offset": 2**64}).status_code == 422
    assert client.get("/api/v1/people/", {"offset": 10}).status_code == 200
