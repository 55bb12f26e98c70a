"""The district administrator's main path: log in, open the map, click a grid, see who looks after it."""

import pytest

from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, Tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")


def test_the_administrator_opens_the_map_clicks_a_grid_and_sees_its_worker(page, live_server):
    tree = Tree()
    # given the district administrator logged in
    log_in(page, live_server, "admin")
    assert "区管理员，您好" in page.inner_text("h1")
    # when they open the region browser, the district map, and click the first grid of 仙霞路
    page.click("text=区域与网格")  # one top region: the browser opens it at once
    page.wait_for_url(f"{live_server.url}/regions/{tree.district.code}/")
    page.wait_for_selector("#map[data-ready=true]")
    assert page.get_attribute("#map", "data-features") == "4"
    # the street borders are drawn over the grids but take no clicks: the click at the grid's centre reaches the grid
    assert page.locator("path.leaflet-interactive").count() == 4
    assert "宁海路街道" in page.inner_text("#map")
    box = page.locator("path.leaflet-interactive").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # then the card names the grid, its worker, A/B partner, leader and assistant
    card = page.locator("#grid-card")
    card.locator(".worker").wait_for()
    text = card.inner_text()
    assert "仙霞路第一网格" in text
    assert "王网格" in text
    assert "仙霞路第二网格" in text and "李网格" in text  # the A/B partner and its worker
    assert "陈网格长" in text and "刘民警" in text
    screenshot(page, "map.png")


def test_a_grid_worker_on_a_phone_sees_their_grid_and_switches_to_english(chromium, live_server):
    Tree()
    context = chromium.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    log_in(page, live_server, "worker_a1")
    assert "我的网格" in page.inner_text("main")
    screenshot(page, "home-mobile.png")
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert "My grid" in page.inner_text("main")
    page.click("text=My grid")
    page.wait_for_selector("#map[data-ready=true]")
    assert "王网格" in page.inner_text("#grid-card")
    screenshot(page, "grid-mobile-en.png")
    context.close()


def test_the_region_search_finds_a_grid_by_name(page, live_server):
    Tree()
    log_in(page, live_server, "officer_a")
    page.goto(f"{live_server.url}/regions/320106001/")
    page.fill("input[name=q]", "第二")
    page.wait_for_selector("#search-results li a")
    assert "仙霞路第二网格" in page.inner_text("#search-results")
    assert "湖北路" not in page.inner_text("#search-results")


def test_the_administrator_reads_figures_and_the_audit_log(page, live_server):
    tree = Tree()
    from civicgrid.people import services
    from civicgrid.people.models import Post

    services.post_end(actor=tree.admin, post_id=Post.objects.get(user=tree.worker_a2).pk)
    log_in(page, live_server, "admin")
    assert "4" in page.inner_text(".stats")
    screenshot(page, "home-admin.png")
    page.click("nav.nav >> text=审计日志")
    page.wait_for_selector("pre.json")
    assert "post.end" in page.inner_text("table")
    page.click("nav.tabs >> text=个人信息查看记录")
    page.wait_for_url(f"{live_server.url}/audit/access/")
    page.go_back()
    screenshot(page, "audit.png")
