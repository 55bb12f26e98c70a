"""Every page shows a user only their own jurisdiction: street B's officer learns nothing of street A."""

import re

import pytest
from django.test import Client

from civicgrid.people.models import Post
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

STREET_A_NAMES = ["仙霞路", "王网格", "李网格", "陈网格长", "刘民警", "宁海路干部"]


def logged_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/regions/search/?q=仙霞",
        "/regions/320106001003001/card/",
        "/regions/320106001/grids.geojson",
        "/people/worker_a1/",
        "/audit/access/",
    ],
)
def test_the_other_pages_ask_a_stranger_to_log_in_too(tree, url):
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "path",
    [
        "/regions/{street_a}/",
        "/regions/{grid_a1}/",
        "/regions/{grid_a1}/card/",
        "/regions/{street_a}/grids.geojson",
        "/regions/{grid_a1}/grids.geojson",
        "/people/worker_a1/",
        "/people/officer_a/",
    ],
)
def test_street_b_gets_404_for_everything_of_street_a(tree, path):
    url = path.format(street_a=tree.street_a.code, grid_a1=tree.grid_a1.code)
    response = logged_in("officer_b").get(url)
    assert response.status_code == 404
    page = response.content.decode()
    assert "不在您的管辖范围内" in page  # the same 404 page as for a code that does not exist
    assert not any(name in page for name in STREET_A_NAMES)


def test_an_unknown_region_and_a_foreign_one_answer_alike(tree):
    client = logged_in("officer_b")
    foreign = client.get(f"/regions/{tree.street_a.code}/")
    unknown = client.get("/regions/320106099/")
    assert foreign.status_code == unknown.status_code == 404

    def main(body: bytes) -> str:
        return re.search(r"<main.*</main>", body.decode(), re.S).group(0)

    assert main(foreign.content) == main(unknown.content)


def test_street_b_sees_none_of_street_a_in_lists_and_searches(tree):
    client = logged_in("officer_b")
    pages = [
        client.get("/people/").content.decode(),
        client.get("/people/", {"q": "网格"}).content.decode(),
        client.get("/people/posts/").content.decode(),
        client.get("/people/posts/", {"region": tree.street_a.code}).content.decode(),
        client.get("/regions/search/", {"q": "仙霞"}).content.decode(),
        client.get("/regions/search/", {"q": "320106001"}, headers={"HX-Request": "true"}).content.decode(),
        client.get("/").content.decode(),
        client.get(f"/regions/{tree.street_b.code}/").content.decode(),
        client.get(f"/regions/{tree.street_b.code}/grids.geojson").content.decode(),
    ]
    for number, page in enumerate(pages):
        assert not [name for name in STREET_A_NAMES if name in page], number
    assert "赵网格" in pages[0] and "湖北路社区" in pages[7]


def test_street_b_cannot_end_or_take_street_a_posts(tree):
    client = logged_in("officer_b")
    post = Post.objects.get(user=tree.worker_a1)
    assert client.post(f"/people/posts/{post.pk}/end/").status_code == 404
    response = client.post(
        "/people/posts/assign/",
        {
            "username": "worker_a1",
            "role": "grid_assistant",
            "region_code": tree.grid_b1.code,
            "assistant_kind": "volunteer",
        },
        follow=True,
    )
    assert "没有用户名为“worker_a1”的人员" in response.content.decode()
    refused = client.post(
        "/people/posts/assign/",
        {"username": "officer_b", "role": "grid_leader", "region_code": tree.grid_a1.code},
        follow=True,
    )
    assert "不存在或不在您的管辖范围内" in refused.content.decode()
    assert Post.objects.filter(is_active=True).count() == 9


@pytest.mark.parametrize("username", ["officer_a", "worker_a1", "leader_a"])
def test_only_administrators_open_the_audit_log(tree, username):
    client = logged_in(username)
    for url in ("/audit/", "/audit/access/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "无权访问" in response.content.decode()
    assert "/audit/" not in client.get("/").content.decode()
