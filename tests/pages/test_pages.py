"""The pages as staff use them: login, what each role may open, and forms whose services refuse."""

import pytest
from django.test import Client

from civicgrid.core.models import AuditEntry, PersonalDataAccess
from civicgrid.people.models import Post, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def logged_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.mark.parametrize("url", ["/", "/regions/", "/regions/320106/", "/people/", "/people/posts/", "/audit/"])
def test_every_page_asks_a_stranger_to_log_in(tree, url):
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_wrong_password_says_so_in_chinese_and_the_right_one_leads_home(tree):
    client = Client()
    wrong = client.post("/accounts/login/", {"username": "admin", "password": "nope"})
    assert "用户名或密码不正确" in wrong.content.decode()
    right = client.post("/accounts/login/", {"username": "admin", "password": PASSWORD}, follow=True)
    assert "区管理员，您好" in right.content.decode()
    assert right.headers["X-Request-Id"]


def test_the_audit_log_is_for_administrators_only_and_searchable(tree):
    client = logged_in("officer_a")
    helper = UserFactory(username="helper", full_name="赵助手")
    client.post(
        "/people/posts/assign/",
        {
            "username": helper.username,
            "role": "grid_assistant",
            "region_code": tree.grid_a2.code,
            "assistant_kind": "volunteer",
        },
    )
    assert client.get("/audit/").status_code == 403
    admin = logged_in("admin")
    page = admin.get("/audit/", {"action": "post.assign", "actor": "officer_a"}).content.decode()
    assert "post.assign" in page and "赵助手" in page
    assert "post.assign" not in admin.get("/audit/", {"actor": "nobody"}).content.decode().split("<tbody>")[1]


def test_a_second_grid_worker_is_refused_with_the_reason_and_nothing_changes(tree):
    client = logged_in("admin")
    newcomer = UserFactory(username="newcomer")
    response = client.post(
        "/people/posts/assign/",
        {"username": "newcomer", "role": "grid_worker", "region_code": tree.grid_a1.code},
        follow=True,
    )
    assert "已有在岗网格员：王网格" in response.content.decode()
    assert not newcomer.posts.exists() and not AuditEntry.objects.exists()


def test_ending_a_post_from_the_posts_page(tree):
    client = logged_in("officer_a")
    post = Post.objects.get(user=tree.worker_a2)
    response = client.post(f"/people/posts/{post.pk}/end/", follow=True)
    assert "已离岗" in response.content.decode()
    post.refresh_from_db()
    assert not post.is_active
    other = Post.objects.get(user=tree.worker_b1)
    assert client.post(f"/people/posts/{other.pk}/end/").status_code == 404


def test_an_administrator_sees_a_full_phone_only_with_a_reason_and_it_is_logged(tree):
    client = logged_in("admin")
    page = client.get("/people/worker_a1/").content.decode()
    assert tree.worker_a1.phone not in page and tree.worker_a1.phone[-4:] in page
    refused = client.post("/people/worker_a1/reveal/", {"reason": ""}, follow=True)
    assert tree.worker_a1.phone not in refused.content.decode() and not PersonalDataAccess.objects.exists()
    shown = client.post("/people/worker_a1/reveal/", {"reason": "联系核实"}, follow=True).content.decode()
    assert tree.worker_a1.phone in shown
    assert PersonalDataAccess.objects.get().reason == "联系核实"
    assert tree.worker_a1.phone not in client.get("/people/worker_a1/").content.decode()  # once only
    assert "联系核实" in client.get("/audit/access/").content.decode()


def test_a_street_officer_may_not_reveal_phones(tree):
    client = logged_in("officer_a")
    assert "查看完整号码" not in client.get("/people/worker_a1/").content.decode()
    response = client.post("/people/worker_a1/reveal/", {"reason": "好奇"}, follow=True)
    assert tree.worker_a1.phone not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_switching_to_english_translates_the_pages(tree):
    client = logged_in("admin")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert "Hello, 区管理员" in page and "Audit log" in page
    assert "Regions and grids" in client.get(f"/regions/{tree.street_a.code}/").content.decode()


def test_the_region_search_partial_answers_htmx(tree):
    client = logged_in("officer_a")
    partial = client.get("/regions/search/", {"q": "第二"}, headers={"HX-Request": "true"}).content.decode()
    assert "仙霞路第二网格" in partial and "<html" not in partial
    assert "没有找到" in client.get("/regions/search/", {"q": "不存在的地方"}).content.decode()


def test_the_grid_map_data_is_geojson_of_the_visible_grids(tree):
    data = logged_in("officer_a").get(f"/regions/{tree.district.code}/grids.geojson")
    assert data.status_code == 404  # the district itself lies outside a street officer's jurisdiction
    street = logged_in("officer_a").get(f"/regions/{tree.street_a.code}/grids.geojson").json()
    grids = [f for f in street["features"] if not f["properties"].get("outline")]
    outlines = [f for f in street["features"] if f["properties"].get("outline")]
    assert [f["id"] for f in grids] == [tree.grid_a1.code, tree.grid_a2.code]
    assert grids[0]["properties"]["card_url"] == f"/regions/{tree.grid_a1.code}/card/"
    assert [f["id"] for f in outlines] == [tree.community_a.code]  # the child community's border, not clickable
    assert "card_url" not in outlines[0]["properties"]


def test_a_street_officer_creates_a_grid_assistant_with_account_and_post_in_one_step(tree):
    client = logged_in("officer_a")
    form = {
        "username": "new.helper",
        "full_name": "钱协管",
        "phone": "13900001111",
        "password": "a-long-passphrase-9",
        "role": "grid_assistant",
        "region_code": tree.grid_a2.code,
        "assistant_kind": "volunteer",
    }
    page = client.post("/people/new/", form, follow=True).content.decode()
    assert "已新建人员并任命" in page and "钱协管" in page
    assert User.objects.get(username="new.helper").posts.get().region == tree.grid_a2


def test_a_failed_post_leaves_no_account_behind(tree):
    client = logged_in("officer_a")
    form = {
        "username": "second.worker",
        "full_name": "孙重复",
        "password": "a-long-passphrase-9",
        "role": "grid_worker",
        "region_code": tree.grid_a1.code,
        "next": "/people/",
    }
    page = client.post("/people/new/", form, follow=True).content.decode()
    assert "已有在岗网格员" in page
    assert not User.objects.filter(username="second.worker").exists()
    short = client.post("/people/new/", {**form, "password": "short"}, follow=True).content.decode()
    assert "初始密码" in short and not User.objects.filter(username="second.worker").exists()


def test_a_community_grid_gets_a_new_partner_from_its_page(tree):
    from tests.factories import make_region, square

    third = make_region("320106001003003", "仙霞路第三网格", "grid", tree.community_a, boundary=square(118.70, 32.01))
    client = logged_in("officer_a")
    assert "保存结对" in client.get(f"/regions/{third.code}/").content.decode()
    client.post(f"/regions/{third.code}/partner/", {"partner": tree.grid_a1.code})
    tree.grid_a1.refresh_from_db()
    tree.grid_a2.refresh_from_db()
    assert tree.grid_a1.partner == third and tree.grid_a2.partner is None
    assert "保存结对" not in logged_in("worker_a1").get(f"/regions/{tree.grid_a1.code}/").content.decode()
    response = client.post(f"/regions/{third.code}/partner/", {"partner": tree.grid_b1.code})
    assert response.status_code == 404  # another street's grid is not even there for this officer


def test_the_django_admin_is_read_only(tree):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(root)
    assert client.get("/admin/regions/region/").status_code == 200
    assert client.get("/admin/regions/region/add/").status_code == 403
    assert client.post(f"/admin/regions/region/{tree.grid_a1.pk}/delete/", {"post": "yes"}).status_code == 403
