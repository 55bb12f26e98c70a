"""The service centre in real browsers: a resident takes a ticket at the kiosk, the board calls it, the clerk accepts
with a missing material and prints the one-time notice, the resident comes back with it, the item is completed and
the resident rates on the counter's pad; the manager reads the statistics; another resident books on a phone.

The server's clock is set to a Monday morning in Shanghai (2026-09-28 09:00) and runs on from there, so the centre is
open whatever the hour the suite runs. Screenshots of every screen are kept in test-artifacts/browser/hall-*.png.
"""

import time as wall
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from civicgrid.hall.models import Application, Notice, Rating, Ticket
from tests.browser.conftest import screenshot
from tests.browser.test_map import log_in
from tests.factories import Tree
from tests.hall.conftest import RESIDENT, Hall, rid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MONDAY_MORNING = datetime(2026, 9, 28, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def running_clock(monkeypatch):
    """The server's time: Monday 09:00 when the test starts, moving on with the wall clock."""
    started = wall.monotonic()
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_MORNING + timedelta(seconds=wall.monotonic() - started))


def device(chromium, width: int, height: int, **options):
    context = chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": width, "height": height}, **options
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def test_from_the_kiosk_to_the_rating_pad(chromium, live_server, running_clock):
    hall = Hall(Tree())
    centre = hall.centre_a.code
    contexts = []

    # a resident takes a ticket for 社保就业 at the kiosk (a tablet)
    kiosk_context, kiosk = device(chromium, 1280, 800, has_touch=True)
    contexts.append(kiosk_context)
    kiosk.goto(f"{live_server.url}/hall/kiosk/{centre}/")
    kiosk.wait_for_selector("body[data-ready=true]")
    assert kiosk.locator(".kiosk-group").count() == 5
    screenshot(kiosk, "hall-kiosk.png")
    kiosk.click(".kiosk-group[data-group=A]")
    kiosk.wait_for_selector(".kiosk-ticket")
    assert kiosk.inner_text(".kiosk-ticket .number") == "A001"
    assert "前面还有 0 人" in kiosk.inner_text(".kiosk-ticket")
    screenshot(kiosk, "hall-kiosk-ticket.png")

    # the board on the hall's TV is open
    board_context, board = device(chromium, 1920, 1080)
    contexts.append(board_context)
    board.goto(f"{live_server.url}/hall/board/{centre}/")
    board.wait_for_selector("body[data-ready=true]")

    # the clerk signs in at counter 1 and calls the next resident
    desk_context, clerk = device(chromium, 1440, 900)
    contexts.append(desk_context)
    log_in(clerk, live_server, "clerk_a1")
    clerk.goto(f"{live_server.url}/hall/counter/")
    clerk.click("form[action$='/sign-in/'] button >> nth=0")
    clerk.wait_for_selector("#call-next")
    clerk.click("#call-next")
    clerk.wait_for_selector("[data-ticket=A001]")

    # the board shows the call (it asks every 3 seconds) and takes it as a new call to announce
    board.wait_for_selector(".board-now .code:text-is('A001')")
    board.wait_for_selector("body[data-announced]:not([data-announced='0'])")
    assert "号 到 1 号窗口" in board.inner_text(".board-now")
    screenshot(board, "hall-board.png")

    # the clerk accepts 就业创业证申领: ID card and residence book brought, the photo missing
    clerk.select_option("select[name=item]", "0101")
    clerk.wait_for_selector("#hall-materials input[value='03']")
    clerk.check("#hall-materials input[value='01']")
    clerk.check("#hall-materials input[value='02']")
    clerk.fill("input[name=applicant_name]", RESIDENT["applicant_name"])
    clerk.fill("input[name=id_number]", RESIDENT["id_number"])
    clerk.fill("input[name=phone]", RESIDENT["phone"])
    clerk.wait_for_selector("#hall-id-check .ok")
    screenshot(clerk, "hall-counter.png")
    clerk.click("#accept")
    clerk.wait_for_url("**/hall/applications/**")
    application = Application.objects.get()
    assert application.ticket.code == "A001" and application.missing_materials[0]["code"] == "03"
    screenshot(clerk, "hall-application.png")

    # the one-time notice: issued, then printed on A4 and on the 80 mm receipt printer
    clerk.click("details.action-issue_notice button")
    clerk.wait_for_selector(".messages .success")
    assert Notice.objects.get().missing[0]["name"] == "近期一寸免冠彩色照片"
    printout = desk_context.new_page()
    for size, width in (("a4", 900), ("80mm", 420)):
        printout.set_viewport_size({"width": width, "height": 1100})
        printout.goto(f"{live_server.url}/hall/applications/{application.number}/notice/?size={size}")
        assert "近期一寸免冠彩色照片" in printout.inner_text("table.materials")
        assert "申请人居民身份证" not in printout.inner_text("table.materials")
        screenshot(printout, f"hall-notice-{size}.png")
        printout.emulate_media(media="print")
        assert not printout.is_visible(".toolbar")  # the buttons stay off the paper
        screenshot(printout, f"hall-notice-{size}-print.png")
        printout.emulate_media(media="screen")
    printout.close()
    # the resident leaves to get the photo: the clerk ends this visit
    clerk.click("#finish-ticket")
    clerk.wait_for_url("**/hall/counter/")

    # the pad at counter 1 (a tablet)
    pad_context, pad = device(chromium, 1280, 800, has_touch=True)
    contexts.append(pad_context)
    pad.goto(f"{live_server.url}/hall/pad/{hall.counter_a1.pad_key}/")
    pad.wait_for_selector("body[data-ready=true]")

    # the resident returns with the photo, takes a new ticket, is called and the clerk completes the item
    if kiosk.is_visible("#kiosk-result-tools [data-home]"):  # else it went back by itself after 20 s
        kiosk.click("#kiosk-result-tools [data-home]")
    kiosk.click(".kiosk-group[data-group=A]")
    kiosk.wait_for_selector(".kiosk-ticket")
    assert kiosk.inner_text(".kiosk-ticket .number") == "A002"
    clerk.click("#call-next")
    clerk.wait_for_selector("[data-ticket=A002]")
    clerk.click(".ticket-start")
    clerk.wait_for_selector(".ticket-finish")
    clerk.fill("input[name=number]", application.number)
    clerk.click("text=查找办件")
    clerk.wait_for_url(f"**/hall/applications/{application.number}/")
    clerk.check("details.action-supplement input[value='03']")
    clerk.click("details.action-supplement button")
    clerk.wait_for_selector("details.action-complete_on_spot")
    clerk.click("details.action-complete_on_spot button")
    clerk.wait_for_selector(".messages .success")
    application.refresh_from_db()
    assert application.status == "completed" and application.visit_count == 2
    pad.wait_for_selector("body[data-state=serving]")
    screenshot(pad, "hall-pad-serving.png")
    clerk.click("#finish-ticket")
    clerk.wait_for_url("**/hall/counter/")

    # the pad asks for the rating; 5 stars with two quick reasons; thanks; back to idle
    pad.wait_for_selector("body[data-state=rate]")
    pad.click(".pad-stars label[data-star='5']")
    pad.click(".pad-reasons label:has(input[value=friendly])")
    pad.click(".pad-reasons label:has(input[value=one_trip])")
    screenshot(pad, "hall-pad.png")
    pad.click(".pad-submit")
    pad.wait_for_selector("[data-state=thanks]")
    screenshot(pad, "hall-pad-thanks.png")
    rating = Rating.objects.get()
    assert rating.ticket == Ticket.objects.get(code="A002") and rating.score == 5
    assert sorted(rating.reasons) == ["friendly", "one_trip"] and rating.clerk == hall.clerk_a1
    pad.wait_for_selector("body[data-state=idle]", timeout=30_000)
    screenshot(pad, "hall-pad-idle.png")

    # the centre manager reads the day's statistics
    manager_context, manager = device(chromium, 1440, 900)
    contexts.append(manager_context)
    log_in(manager, live_server, "manager_a")
    manager.goto(f"{live_server.url}/hall/statistics/?start=2026-09-01&end=2026-09-30")
    manager.wait_for_selector("#hall-chart-volume canvas")
    assert "1号窗口" in manager.inner_text(".hall-figures")
    screenshot(manager, "hall-statistics.png")

    # another resident books a slot for tomorrow on a phone
    phone_context, phone = device(chromium, 390, 844, is_mobile=True, has_touch=True)
    contexts.append(phone_context)
    phone.goto(f"{live_server.url}/hall/book/{centre}/")
    phone.select_option("select[name=item]", "0301")
    phone.click("label.hall-choice:has(input[value='2026-09-29'])")
    # choosing the item loaded the slots once already: wait for the list of the day just chosen
    phone.wait_for_selector("#slots [data-day='2026-09-29'] input[name=slot]")
    phone.click("label.hall-choice:has(input[value='10:00'])")
    phone.fill("input[name=resident_name]", "赵丽")
    phone.fill("input[name=id_number]", rid("19900307", "451"))
    phone.fill("input[name=phone]", "13900002222")
    screenshot(phone, "hall-booking-phone.png")
    phone.click("#book")
    phone.wait_for_selector("#appointment-code")
    assert len(phone.inner_text("#appointment-code")) == 8
    screenshot(phone, "hall-booking-done-phone.png")
    for context in contexts:
        context.close()


def test_the_kiosk_and_the_board_recover_after_a_network_drop(chromium, live_server, running_clock):
    from civicgrid.hall import services

    hall = Hall(Tree())
    centre = hall.centre_a.code
    kiosk_context, kiosk = device(chromium, 1280, 800, has_touch=True)
    board_context, board = device(chromium, 1920, 1080)
    kiosk.goto(f"{live_server.url}/hall/kiosk/{centre}/")
    kiosk.wait_for_selector("body[data-ready=true]")
    board.goto(f"{live_server.url}/hall/board/{centre}/")
    board.wait_for_selector("body[data-ready=true]")

    # the kiosk's Wi-Fi drops just as a resident presses 为老助残: it keeps trying, never a blank screen
    kiosk_context.set_offline(True)
    kiosk.click(".kiosk-group[data-group=C]")
    kiosk.wait_for_selector("text=网络不稳定，正在重试")
    screenshot(kiosk, "hall-kiosk-retrying.png")
    kiosk_context.set_offline(False)
    # when the network is back the same press is answered: one ticket
    kiosk.wait_for_selector(".kiosk-ticket")
    assert kiosk.inner_text(".kiosk-ticket .number") == "C001"
    assert Ticket.objects.count() == 1

    # the board loses the network: it keeps its last picture and says it is reconnecting
    board_context.set_offline(True)
    board.wait_for_selector("#device-offline:not([hidden])", timeout=30_000)
    assert board.is_visible(".board-now")
    screenshot(board, "hall-board-offline.png")
    hall.sign_in(hall.clerk_a3, hall.counter_a3)
    services.call_next(actor=hall.clerk_a3, counter_id=hall.counter_a3.pk)
    board_context.set_offline(False)
    # and shows the call made meanwhile as soon as it is back
    board.wait_for_selector(".board-now .code:text-is('C001')", timeout=30_000)
    assert board.is_hidden("#device-offline")
    kiosk_context.close()
    board_context.close()


def test_the_back_office_completes_and_the_grid_worker_delivers_on_a_phone(chromium, live_server, running_clock):
    from civicgrid.hall import services
    from civicgrid.hall.models import ServiceItem

    hall = Hall(Tree())
    materials = list(ServiceItem.objects.get(code="0201").materials.values_list("code", flat=True))
    application = hall.accept(
        "0201",
        materials=materials,
        result_delivery="home",
        address="宁海路 5 号 2 单元 301 室",
        grid_code=hall.tree.grid_a1.code,
    )
    services.application_act(actor=hall.clerk_a1, number=application.number, action="forward")

    # the street's back office signs it in its inbox and completes it, the result to be delivered home
    office_context, office = device(chromium, 1440, 900)
    log_in(office, live_server, "backoffice_a")
    office.goto(f"{live_server.url}/hall/applications/")
    assert application.number in office.inner_text("table.applications")
    screenshot(office, "hall-back-office.png")
    office.click(f"text={application.number}")
    office.click("details.action-start_review button")
    office.wait_for_selector("details.action-complete")
    office.fill("details.action-complete textarea[name=note]", "经审核，家庭人均收入低于低保标准，准予享受最低生活保障")
    office.click("details.action-complete button")
    office.wait_for_selector(".messages .success")
    screenshot(office, "hall-back-office-done.png")
    application.refresh_from_db()
    assert application.status == "completed" and application.delivery.assignee == hall.tree.worker_a1

    # the grid worker delivers it with the resident's signature drawn on the phone
    phone_context, phone = device(chromium, 390, 844, is_mobile=True, has_touch=True)
    log_in(phone, live_server, "worker_a1")
    phone.goto(f"{live_server.url}/hall/deliveries/")
    assert "最低生活保障申请" in phone.inner_text(".deliveries")
    screenshot(phone, "hall-deliveries-phone.png")
    phone.click(".deliveries a")
    phone.click("#reveal-address")
    phone.wait_for_selector(".hall-revealed")
    assert "宁海路 5 号 2 单元 301 室" in phone.inner_text(".hall-revealed")
    pad = phone.locator("#signature-pad canvas")
    pad.scroll_into_view_if_needed()  # the mouse only reaches what is inside the viewport
    box = pad.bounding_box()
    phone.mouse.move(box["x"] + 30, box["y"] + 60)
    phone.mouse.down()
    for step in range(1, 12):
        phone.mouse.move(box["x"] + 30 + step * 25, box["y"] + 60 + (step % 3) * 20)
    phone.mouse.up()
    screenshot(phone, "hall-delivery-phone.png")
    phone.click("#deliver")
    phone.wait_for_selector(".messages .success")
    application.refresh_from_db()
    assert application.status == "delivered" and application.delivery.proof_kind == "signature"
    office_context.close()
    phone_context.close()
