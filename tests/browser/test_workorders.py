"""The closed loop in a real browser: a resident reports from a phone, the operator dispatches, the handler
gives feedback with a photo, the resident confirms and rates."""

import io

import pytest
from PIL import Image

from civicgrid.workorders.models import WorkOrder
from tests.browser.conftest import screenshot
from tests.browser.test_map import log_in
from tests.factories import Tree
from tests.workorders.conftest import IN_A1, Linkage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def photo_file(name: str) -> dict:
    data = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 160)).save(data, "JPEG")
    return {"name": name, "mimeType": "image/jpeg", "buffer": data.getvalue()}


def test_the_closed_loop_from_a_phone_report_to_the_rating(chromium, live_server):
    linkage = Linkage(Tree())
    # given a resident on a phone who lets the browser give the location
    phone = chromium.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": IN_A1[0], "latitude": IN_A1[1]},
        permissions=["geolocation"],
    )
    resident = phone.new_page()
    resident.set_default_timeout(15_000)
    resident.goto(f"{live_server.url}/workorders/report/")
    resident.wait_for_selector("#report-map[data-ready=true]")
    # when they pick a type, describe it, add a photo, take the location and submit
    resident.select_option("select[name=incident_type]", "0201")
    resident.fill("textarea[name=description]", "宁海路小区东门下水道堵塞，污水漫到人行道上")
    resident.set_input_files("input[name=photos]", photo_file("drain.jpg"))
    resident.click("#locate")
    resident.wait_for_selector("#report-map[data-placed=true]")
    resident.fill("input[name=reporter_phone]", "13912345678")
    screenshot(resident, "report-phone.png")
    resident.click("button[type=submit]")
    # then they land on the tracking page of the new work order, which they keep
    resident.wait_for_url("**/workorders/track/**")
    order = WorkOrder.objects.get()
    assert order.number in resident.inner_text("h1")
    assert order.region == linkage.tree.grid_a1 and order.attachments.count() == 1
    tracking_url = resident.url
    screenshot(resident, "track-phone.png")

    # the street operator dispatches it from the queue with one click, as the responsibility list suggests
    desk = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 860})
    operator = desk.new_page()
    operator.set_default_timeout(15_000)
    log_in(operator, live_server, "operator_a")
    operator.goto(f"{live_server.url}/workorders/?tab=queue")
    assert order.number in operator.inner_text("table.orders")
    screenshot(operator, "queue.png")
    operator.click("table.orders button.primary")
    operator.wait_for_selector(".messages .success")
    order.refresh_from_db()
    assert order.status == "dispatched" and order.department == linkage.water

    # the water department's handler signs, then gives feedback with a photo
    handler_context = chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 860}
    )
    handler = handler_context.new_page()
    handler.set_default_timeout(15_000)
    log_in(handler, live_server, "water_1")
    handler.goto(f"{live_server.url}/workorders/{order.number}/")
    handler.click("details.action-sign button")
    handler.wait_for_selector("details.action-handle")
    handler.fill("details.action-handle textarea[name=note]", "已派车疏通，管道畅通")
    handler.set_input_files("details.action-handle input[name=photos]", photo_file("done.jpg"))
    handler.click("details.action-handle button")
    handler.wait_for_selector(".messages .success")
    assert "已派车疏通" in handler.inner_text(".timeline")
    screenshot(handler, "handled.png")

    # the resident confirms it is fixed and rates it
    resident.goto(tracking_url)
    resident.click("form.action-verify_pass button")
    resident.wait_for_selector("form.action-rate")
    resident.check("form.action-rate input[name=rating][value='5']")
    resident.fill("form.action-rate input[name=comment]", "处理很及时")
    resident.click("form.action-rate button")
    resident.wait_for_selector(".messages .success")
    order.refresh_from_db()
    assert order.status == "rated" and order.rating == 5
    screenshot(resident, "rated-phone.png")
    for context in (phone, desk, handler_context):
        context.close()
