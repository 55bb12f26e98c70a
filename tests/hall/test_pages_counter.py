"""The window clerk's working screen and an application's page, as a clerk uses them through the day: sign in,
call, accept with missing materials, print the one-time notice, the resident returns, complete, forward, hand over.
Refusals change nothing and say why; the ID number is whole only on the clerk's screen, and showing it is logged."""

import pytest
from django.test import Client

from civicgrid.core.models import PersonalDataAccess
from civicgrid.hall import services
from civicgrid.hall.models import Application, Notice, Ticket
from tests.factories import PASSWORD
from tests.hall.conftest import RESIDENT, rid

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def as_user(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def accept_form(hall, item: str = "0101", materials=("01", "02", "03"), **fields) -> dict:
    return {
        "centre": hall.centre_a.code,
        "item": item,
        **RESIDENT,
        "materials": list(materials),
        "result_delivery": "pick_up",
        **fields,
    }


# ---------------------------------------------------------------- signing in and the queue


def test_a_clerk_signs_in_calls_the_next_resident_and_the_board_shows_it(hall):
    clerk = as_user("clerk_a1")
    page = clerk.get("/hall/counter/")
    assert page.status_code == 200
    body = page.content.decode()
    # given a clerk not signed in: the counters to choose, the acceptance form with the catalogue by category
    assert "选择窗口签到" in body and "为老助残窗口" in body and "就业创业证申领" in body
    signed = clerk.post("/hall/counter/sign-in/", {"counter_id": hall.counter_a1.pk}, follow=True)
    assert "已在1号窗口签到" in signed.content.decode()
    hall.ticket("A")
    hall.ticket("B")
    # when they press "call next" (htmx swaps the queue panel)
    called = clerk.post("/hall/counter/call-next/", headers=HTMX)
    assert called.status_code == 200
    panel = called.content.decode()
    assert panel.lstrip().startswith('<div id="hall-queue"')
    assert 'data-ticket="A001"' in panel and "已叫 A001 号到1号窗口" in panel
    assert "B001" in panel  # still waiting, in the list below
    assert 'id="hall-ticket-link" hx-swap-oob="true"' in panel  # the acceptance form links the ticket now
    # then the board calls A001 to counter 1
    board = Client().get(f"/hall/board/{hall.centre_a.code}/live/").content.decode()
    assert 'data-speech="请 A001 号到 1 号窗口办理"' in board


def test_the_ticket_buttons_follow_the_table_and_refusals_say_why(hall):
    clerk = as_user("clerk_a1")
    hall.sign_in()
    hall.sign_in(hall.clerk_a2, hall.counter_a2)
    first = hall.ticket("A")
    clerk.post("/hall/counter/call-next/", headers=HTMX)
    first.refresh_from_db()
    # a ticket called but not started blocks the next call, with the reason
    blocked = clerk.post("/hall/counter/call-next/", headers=HTMX).content.decode()
    assert "A001号已叫号尚未处理" in blocked
    recall = clerk.post(f"/hall/counter/tickets/{first.pk}/act/", {"action": "recall"}, headers=HTMX)
    assert "已重呼 A001 号" in recall.content.decode()
    # transfer to counter 2 (signed in): the resident waits for counter 2, first in line there
    first.refresh_from_db()
    moved = clerk.post(
        f"/hall/counter/tickets/{first.pk}/act/",
        {"action": "transfer", "to_counter": hall.counter_a2.pk, "expected_version": first.version},
        headers=HTMX,
    )
    assert "已转窗口" in moved.content.decode()
    first.refresh_from_db()
    assert first.status == "waiting" and first.target_counter == hall.counter_a2
    # a stale page (old version) is told someone else acted first; nothing changes
    stale = clerk.post(
        f"/hall/counter/tickets/{first.pk}/act/", {"action": "no_show", "expected_version": 1}, headers=HTMX
    )
    assert "已被他人处理" in stale.content.decode()
    # counter 2 calls it, passes it over; the clerk at counter 1 requeues the no-show
    services.call_next(actor=hall.clerk_a2, counter_id=hall.counter_a2.pk)
    services.ticket_act(actor=hall.clerk_a2, ticket_id=first.pk, action="no_show")
    assert "今日过号" in clerk.get("/hall/counter/").content.decode()
    clerk.post(f"/hall/counter/tickets/{first.pk}/act/", {"action": "requeue"}, headers=HTMX)
    first.refresh_from_db()
    assert first.status == "waiting"
    # the waiting list the screen polls
    polled = clerk.get("/hall/counter/queue/")
    assert polled.status_code == 200 and "A001" in polled.content.decode()
    assert polled.content.decode().lstrip().startswith('<div id="hall-waiting"')


def test_a_clerk_calls_a_particular_ticket_and_not_one_another_counter_has(hall):
    clerk = as_user("clerk_a1")
    hall.sign_in()
    hall.sign_in(hall.clerk_a2, hall.counter_a2)
    hall.ticket("A")
    second = hall.ticket("A")
    answer = clerk.post(f"/hall/counter/tickets/{second.pk}/call/", headers=HTMX).content.decode()
    assert 'data-ticket="A002"' in answer
    taken = services.call_next(actor=hall.clerk_a2, counter_id=hall.counter_a2.pk)
    services.ticket_act(actor=hall.clerk_a2, ticket_id=taken.pk, action="start")
    clerk.post(f"/hall/counter/tickets/{second.pk}/act/", {"action": "start"}, headers=HTMX)
    refused = clerk.post(f"/hall/counter/tickets/{taken.pk}/call/", headers=HTMX).content.decode()
    assert "已被2号窗口叫号" in refused


# ---------------------------------------------------------------- accepting, the notice, the return


def test_the_item_picker_shows_the_mode_the_promised_deadline_and_the_materials_with_their_sources(hall):
    clerk = as_user("clerk_a1")
    answer = clerk.get("/hall/counter/materials/", {"centre": hall.centre_a.code, "item": "0201"})
    body = answer.content.decode()
    assert answer.status_code == 200 and "<html" not in body
    assert "收受分离" in body and "承诺 20 个工作日" in body
    assert "户口簿" in body and "户主保管" in body and body.count('name="materials"') == 7
    assert "预计 10月30日 前办结" in body  # 20 working days across the National Day holidays


def test_the_id_number_is_checked_as_the_clerk_types_it(hall):
    clerk = as_user("clerk_a1")
    good = clerk.post("/hall/counter/id-check/", {"id_number": RESIDENT["id_number"]}).content.decode()
    assert "号码有效" in good and "1980-01-01" in good and "男" in good and "46 岁" in good
    bad = clerk.post("/hall/counter/id-check/", {"id_number": "320106198001011234"}).content.decode()
    assert "校验位不对" in bad


def test_accepting_with_a_missing_material_then_the_notice_printed_and_the_resident_back(hall):
    clerk = as_user("clerk_a1")
    hall.sign_in()
    hall.ticket("A")
    called = services.call_next(actor=hall.clerk_a1, counter_id=hall.counter_a1.pk)
    # given the resident brought the ID card and the residence book but no photo
    answer = clerk.post("/hall/counter/accept/", accept_form(hall, materials=["01", "02"], ticket_id=called.pk))
    application = Application.objects.get()
    assert answer.status_code == 302 and answer.url == f"/hall/applications/{application.number}/"
    assert application.first_contact == hall.clerk_a1 and application.ticket == called
    page = clerk.get(answer.url).content.decode()
    # the working page names the first contact, masks the resident, and offers the one-time notice first
    assert "首问负责人" in page and "周窗口" in page
    assert "张**" in page and "320106********1233"[:6] in page and RESIDENT["id_number"] not in page
    assert "材料不全（缺 1 项）" in page
    assert page.index("action-issue_notice") < page.index("action-withdraw")
    # when the clerk issues the notice
    issued = clerk.post(
        f"/hall/applications/{application.number}/act/",
        {"action": "issue_notice", "expected_version": application.version},
        follow=True,
    )
    assert "已出具一次性告知单" in issued.content.decode()
    notice = Notice.objects.get()
    assert [m["name"] for m in notice.missing] == ["近期一寸免冠彩色照片"]
    # then the printable notice lists exactly the missing material and where to get it, on A4 and on 80 mm
    for size in ("a4", "80mm"):
        printed = clerk.get(f"/hall/applications/{application.number}/notice/", {"size": size})
        text = printed.content.decode()
        assert printed.status_code == 200 and "一次性告知单" in text and f"size-{size}" in text
        assert "近期一寸免冠彩色照片" in text and "任一照相馆拍摄" in text
        assert "申请人居民身份证" not in text  # brought: not listed
        assert "宁海路街道社区事务受理服务中心" in text and "025-83700000" in text and "周窗口" in text
        assert RESIDENT["id_number"] not in text and "张**" in text
    assert "size: 80mm auto" in clerk.get(f"/hall/applications/{application.number}/notice/?size=80mm").content.decode()
    # the resident comes back with the photo: any clerk records it, then completes on the spot
    back = as_user("clerk_a2")
    application.refresh_from_db()
    back.post(
        f"/hall/applications/{application.number}/act/",
        {"action": "supplement", "materials": ["03"], "expected_version": application.version},
    )
    application.refresh_from_db()
    assert application.status == "accepted" and application.visit_count == 2
    back.post(f"/hall/applications/{application.number}/act/", {"action": "complete_on_spot"})
    application.refresh_from_db()
    assert application.status == "completed" and application.first_contact == hall.clerk_a1


def test_a_forwarded_item_shows_its_deadline_and_the_receipt_prints_it(hall):
    clerk = as_user("clerk_a1")
    clerk.post("/hall/counter/accept/", accept_form(hall, item="0301", materials=["01", "02", "03"]))
    application = Application.objects.get()
    page = clerk.get(f"/hall/applications/{application.number}/").content.decode()
    assert "承诺 10 个工作日，将于" in page and "action-forward" in page
    clerk.post(f"/hall/applications/{application.number}/act/", {"action": "forward"})
    application.refresh_from_db()
    assert application.status == "forwarded" and application.due_at is not None
    receipt = clerk.get(f"/hall/applications/{application.number}/receipt/").content.decode()
    assert "受理回执" in receipt and "高龄津贴申领" in receipt and "承诺办结" in receipt
    assert application.due_at.astimezone().strftime("%Y年%-m月%-d日") in receipt
    assert "申请人居民身份证" in receipt and RESIDENT["id_number"] not in receipt


def test_bad_input_at_acceptance_says_what_is_wrong_and_creates_nothing(hall):
    clerk = as_user("clerk_a1")
    wrong_id = clerk.post("/hall/counter/accept/", accept_form(hall, id_number="320106198001011234"))
    assert wrong_id.status_code == 422 and "校验位不对" in wrong_id.content.decode()
    # the clerk's own typing comes back whole on their screen, to correct it
    assert 'value="320106198001011234"' in wrong_id.content.decode()
    no_item = clerk.post("/hall/counter/accept/", accept_form(hall, item=""))
    assert no_item.status_code == 422 and "请选择服务事项" in no_item.content.decode()
    home = clerk.post("/hall/counter/accept/", accept_form(hall, result_delivery="home"))
    assert home.status_code == 422 and "送达地址" in home.content.decode()
    hall.centre_a.not_offered.add(hall.centre_a.not_offered.model.objects.get(code="0102"))
    not_here = clerk.post("/hall/counter/accept/", accept_form(hall, item="0102", materials=[]))
    assert not_here.status_code == 422 and "本中心不办理事项 0102" in not_here.content.decode()
    assert Application.objects.count() == 0


def test_a_relative_applies_on_behalf_with_consent(hall):
    clerk = as_user("clerk_a1")
    form = accept_form(
        hall,
        item="0301",
        proxy_relation="relative",
        proxy_name="张小红",
        proxy_id_number=rid("19850202", "246"),
        proxy_phone="13700001111",
        consent_method="written",
        consent_note="女儿代办，持授权委托书",
    )
    missing_consent = clerk.post("/hall/counter/accept/", {**form, "consent_method": ""})
    assert missing_consent.status_code == 422 and "同意代办的方式" in missing_consent.content.decode()
    assert clerk.post("/hall/counter/accept/", form).status_code == 302
    application = Application.objects.get()
    assert application.proxy_relation == "relative" and application.consent_method == "written"
    page = clerk.get(f"/hall/applications/{application.number}/").content.decode()
    assert "亲属" in page and "张**" in page and "书面授权委托书" in page and "13700001111" not in page


def test_revealing_the_id_number_on_the_working_screen_is_logged(hall):
    clerk = as_user("clerk_a1")
    application = hall.accept("0101")
    shown = clerk.post(
        f"/hall/applications/{application.number}/reveal/",
        {"show": ["id_number", "applicant_name"], "reason": "窗口核对身份"},
        headers=HTMX,
    )
    assert RESIDENT["id_number"] in shown.content.decode() and "张晓明" in shown.content.decode()
    access = PersonalDataAccess.objects.get()
    assert access.actor == hall.clerk_a1 and access.fields == ["id_number", "applicant_name"]
    no_reason = clerk.post(
        f"/hall/applications/{application.number}/reveal/", {"show": ["id_number"], "reason": ""}, headers=HTMX
    )
    assert "查看事由" in no_reason.content.decode() and RESIDENT["id_number"] not in no_reason.content.decode()
    assert PersonalDataAccess.objects.count() == 1


def test_finishing_the_ticket_from_the_application_page_hands_over_to_the_pad(hall):
    clerk = as_user("clerk_a1")
    ticket = hall.serving()
    application = hall.accept("0101", ticket_id=ticket.pk)
    services.application_act(actor=hall.clerk_a1, number=application.number, action="complete_on_spot")
    page = clerk.get(f"/hall/applications/{application.number}/").content.decode()
    assert 'id="finish-ticket"' in page
    clerk.post(f"/hall/counter/tickets/{ticket.pk}/act/", {"action": "finish", "next": "/hall/counter/"})
    assert Ticket.objects.get(pk=ticket.pk).status == "done"
    pad = Client().get(f"/hall/pad/{hall.counter_a1.pad_key}/").content.decode()
    assert 'data-state="rate"' in pad and "就业创业证申领" in pad
    # the result is handed over at the counter
    clerk.post(f"/hall/applications/{application.number}/act/", {"action": "hand_over"})
    assert Application.objects.get().status == "picked_up"


def test_a_station_clerk_files_remotely_without_a_queue(hall):
    station = as_user("station_a")
    page = station.get("/hall/counter/").content.decode()
    assert "社区远程帮办" in page and "选择窗口签到" not in page
    station.post("/hall/counter/accept/", accept_form(hall, item="0301"))
    assert Application.objects.get().channel == "remote_station"


def test_who_may_not_use_the_counter_is_told_so(hall, tree):
    refused = as_user("officer_a").get("/hall/counter/")
    assert refused.status_code == 403 and "窗口工作台供服务中心的窗口人员" in refused.content.decode()
    assert Client().get("/hall/counter/").status_code == 302  # to the login page
    # a clerk of street B sees nothing of street A's application
    application = hall.accept("0101")
    other = as_user("clerk_b")
    for url in (
        f"/hall/applications/{application.number}/",
        f"/hall/applications/{application.number}/receipt/",
        f"/hall/applications/{application.number}/notice/",
    ):
        assert other.get(url).status_code == 404
    assert other.post(f"/hall/applications/{application.number}/act/", {"action": "withdraw"}).status_code == 404
    assert Application.objects.get().status == "accepted"
