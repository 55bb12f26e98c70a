"""The home page of each role, the audit log's readable rows, messages instead of errors, Django admin."""

import re

import pytest
from django.test import Client

from civicgrid.people.models import Post, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def logged_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def figures(page: str) -> dict[str, str]:
    return {label: number for number, label in re.findall(r"<b>([\d,]+)</b><span>([^<]+)</span>", page)}


def test_the_administrator_home_shows_district_figures_and_every_entry(tree):
    page = logged_in("admin").get("/").content.decode()
    assert figures(page) == {"街道": "2", "社区": "2", "网格": "4", "工作人员": "8"}
    for url in ("/regions/", "/people/", "/people/posts/", "/audit/", f"/regions/{tree.district.code}/"):
        assert f'href="{url}"' in page
    assert "区级管理员 · 鼓楼区" in page


def test_a_street_officer_home_leads_to_their_street_and_counts_only_it(tree):
    page = logged_in("officer_a").get("/").content.decode()
    assert figures(page) == {"街道": "1", "社区": "1", "网格": "2", "工作人员": "5"}
    assert f'href="/regions/{tree.street_a.code}/"' in page and "宁海路街道" in page
    assert 'href="/audit/"' not in page


def test_a_grid_worker_home_leads_to_their_grid(tree):
    page = logged_in("worker_a1").get("/").content.decode()
    assert f'href="/regions/{tree.grid_a1.code}/"' in page and "我的网格" in page
    assert not figures(page)


def test_figures_use_thousands_separators(tree):
    UserFactory.create_batch(2)
    for n in range(1200):
        User.objects.create(username=f"bulk{n}")
    users = User.objects.filter(username__startswith="bulk")
    Post.objects.bulk_create(
        [Post(user=u, role="grid_assistant", region=tree.grid_b2, assistant_kind="volunteer") for u in users]
    )
    assert figures(logged_in("admin").get("/").content.decode())["工作人员"] == "1,208"


def test_the_audit_log_shows_time_in_shanghai_and_readable_json(tree):
    officer = logged_in("officer_a")
    post = Post.objects.get(user=tree.worker_a2)
    officer.post(f"/people/posts/{post.pk}/end/")
    page = logged_in("admin").get("/audit/", {"action": "post.end"}).content.decode()
    assert re.search(r"<td>20\d\d-\d\d-\d\d \d\d:\d\d</td>", page)
    assert "&quot;is_active&quot;: false" in page  # JSON, not a Python repr
    assert "officer_a" in page


def test_a_refused_action_is_a_message_never_a_500(tree):
    client = logged_in("admin")
    post = Post.objects.get(user=tree.worker_a2)
    client.post(f"/people/posts/{post.pk}/end/")
    again = client.post(f"/people/posts/{post.pk}/end/", {"next": "https://evil.example/"}, follow=True)
    assert again.status_code == 200 and "该岗位已经离岗" in again.content.decode()
    assert all("evil" not in url for url, _ in again.redirect_chain)
    bad = client.post("/people/posts/assign/", {"username": "worker_a2", "role": "no_such_role"}, follow=True)
    assert bad.status_code == 200 and "请填写区域代码或部门代码" in bad.content.decode()


def test_after_a_good_assignment_next_may_only_lead_inside_the_site(tree):
    client = logged_in("admin")
    UserFactory(username="newbie")
    response = client.post(
        "/people/posts/assign/",
        {"username": "newbie", "role": "grid_worker", "region_code": tree.grid_b2.code, "next": "//evil.example/x"},
    )
    assert response.status_code == 302 and response["Location"] == "/people/posts/"
    assert Post.objects.get(user__username="newbie").region == tree.grid_b2


def test_people_list_masks_phones_and_filters_by_role(tree):
    page = logged_in("admin").get("/people/", {"role": "grid_worker"}).content.decode()
    assert "王网格" in page and "陈网格长" not in page
    assert tree.worker_a1.phone not in page
    assert tree.worker_a1.phone[:3] + "****" + tree.worker_a1.phone[-4:] in page


def test_english_covers_the_card_and_the_audit_log(tree):
    client = logged_in("admin")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    card = client.get(f"/regions/{tree.grid_a1.code}/card/").content.decode()
    assert "Grid worker" in card and "王网格" in card
    assert "Personal data views" in client.get("/audit/").content.decode()
    assert "Comprehensive grid" in card


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/regions/region/",
        "/admin/people/user/",
        "/admin/people/post/",
        "/admin/people/department/",
        "/admin/people/apitoken/",
        "/admin/core/auditentry/",
        "/admin/core/personaldataaccess/",
    ],
)
def test_django_admin_lists_every_model(tree, url):
    User.objects.create_superuser("root", password=PASSWORD)
    assert logged_in("root").get(url).status_code == 200


def test_django_admin_is_read_only_and_ends_posts_through_the_service(tree):
    User.objects.create_superuser("root", password=PASSWORD)
    client = logged_in("root")
    assert client.get("/admin/regions/region/add/").status_code == 403
    assert client.get("/admin/people/post/add/").status_code == 403
    post = Post.objects.get(user=tree.worker_a2)
    response = client.post("/admin/people/post/", {"action": "end_posts", "_selected_action": [post.pk]}, follow=True)
    assert response.status_code == 200
    post.refresh_from_db()
    assert not post.is_active
    assert "post.end" in client.get("/admin/core/auditentry/").content.decode()
