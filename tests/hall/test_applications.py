"""Applications: acceptance, the one-time notice, completion or forwarding with deadlines, the transition table by
party, proxies, first contact, delivery home and personal data.

Items used: 0101 就业创业证申领 (on the spot, 3 materials), 0201 最低生活保障申请 (forwarded to civil affairs, 20
working days, 7 materials), 0202 特困人员救助供养申请 (forwarded; its 4th material is optional), 0107 就业困难人员认定
(forwarded, 5 working days).
"""

import io
import itertools
import logging

import pytest
from django.utils import timezone
from PIL import Image

from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from civicgrid.core.models import AuditEntry, Notification, PersonalDataAccess
from civicgrid.hall import selectors, services
from civicgrid.hall.choices import (
    APPLICATION_TRANSITIONS,
    ApplicationAction,
    ApplicationStatus,
    Channel,
    DeliveryStatus,
    Party,
)
from civicgrid.hall.models import Application, ApplicationEvent, Delivery, Notice, ServiceItem
from civicgrid.hall.permissions import application_parties
from civicgrid.hall.services import Proxy
from civicgrid.people.models import Post, User
from tests.hall.conftest import RESIDENT, local, rid

pytestmark = pytest.mark.django_db

A = ApplicationAction
S = ApplicationStatus
WRONG_CHECK = rid("19750303", "311")[:-1] + ("1" if rid("19750303", "311")[-1] != "1" else "2")
HOME = {"result_delivery": "home", "address": "宁海路 5 号 2 单元 301 室", "grid_code": "320106001003001"}


def codes(item: str) -> list[str]:
    return list(ServiceItem.objects.get(code=item).materials.values_list("code", flat=True))


def do(application: Application, action: str, actor, note: str = "", **params) -> Application:
    return services.application_act(actor=actor, number=application.number, action=action, note=note, **params)


def signature() -> bytes:
    """A signature as a phone draws it: black strokes on a transparent background (PNG)."""
    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    for x in range(40, 260):
        image.putpixel((x, 60 + (x % 20) - 10), (0, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


RESIDENTS = itertools.count(200)


def application_in(hall, status: str, action: str = "") -> Application:
    """An application of centre A walked to `status`, set up so that `action` makes sense there (each for a new
    resident, so that none continues another's waiting matter)."""
    clerk, back = hall.clerk_a1, hall.back_office_a
    resident = {"id_number": rid("19800101", f"{next(RESIDENTS):03d}")}
    if status == S.ACCEPTED:
        if action == A.ISSUE_NOTICE:
            return hall.accept("0201", materials=["01"], **resident)
        if action in (A.COMPLETE_ON_SPOT, A.REJECT):
            return hall.accept("0101", **resident)
        return hall.accept("0201", **resident)
    if status == S.INCOMPLETE:
        return do(hall.accept("0201", materials=["01"], **resident), A.ISSUE_NOTICE, clerk)
    if status == S.WITHDRAWN:
        return do(hall.accept("0201", **resident), A.WITHDRAW, clerk, note="居民不再申请")
    application = do(hall.accept("0201", **HOME, **resident), A.FORWARD, clerk)
    if status == S.FORWARDED:
        return application
    application = do(application, A.START_REVIEW, back)
    if status == S.IN_REVIEW:
        return application
    if status in (S.REJECTED,):
        return do(application, A.REJECT, back, note="家庭人均收入高于低保标准")
    application = do(application, A.COMPLETE, back, note="符合条件，自下月起发放")
    if status == S.COMPLETED:
        return application
    if status == S.PICKED_UP:
        return do(application, A.HAND_OVER, clerk)
    services.delivery_deliver(
        actor=hall.tree.worker_a1, delivery_id=application.delivery.pk, proof=signature(), proof_kind="signature"
    )
    application.refresh_from_db()
    return application


# ---------------------------------------------------------------- the transition table by party

C, B, D, M = Party.CLERK, Party.BACK_OFFICE, Party.DELIVERER, Party.MANAGER
OUTSIDERS = ("clerk_b", "manager_b", "worker_b1", "officer_b")


def roster(application: Application) -> dict[str, set[str]]:
    """How each person of street A stands to the application (the department's handler once it was forwarded there,
    the grid worker once there is something to deliver to their grid)."""
    people = {"clerk_a1": {C}, "clerk_a2": {C}, "backoffice_a": {B}, "manager_a": {M}}
    if application.department_id:
        people["civil_1"] = {B}
    if Delivery.objects.filter(application=application).exists():
        people["worker_a1"] = {D}
    return people


def test_the_roster_stands_to_a_completed_application_as_the_table_tests_assume(hall):
    application = application_in(hall, S.COMPLETED)
    for username, parties in roster(application).items():
        assert application_parties(User.objects.get(username=username), application) == parties, username
    assert set(roster(application)) == {"clerk_a1", "clerk_a2", "backoffice_a", "manager_a", "civil_1", "worker_a1"}
    for username in OUTSIDERS:
        assert application_parties(User.objects.get(username=username), application) == set(), username


def _transitions():
    for status, actions in APPLICATION_TRANSITIONS.items():
        for action, (_target, parties) in actions.items():
            yield status, action, parties


def _attempt(hall, application: Application, action: str, actor) -> None:
    note = "理由充分的说明" if action in (A.REJECT, A.WITHDRAW) else ""
    if action == A.DELIVER:
        delivery = Delivery.objects.get(application=application)
        services.delivery_deliver(actor=actor, delivery_id=delivery.pk, proof=signature(), proof_kind="signature")
    elif action == A.SUPPLEMENT:
        do(application, action, actor, materials=codes(application.item.code))
    else:
        do(application, action, actor, note=note)


@pytest.mark.parametrize(("status", "action", "parties"), list(_transitions()))
def test_every_application_action_is_done_by_the_parties_the_table_names_and_refused_to_everyone_else(
    hall, status, action, parties
):
    people = roster(application_in(hall, status, action))
    for username in [*people, *OUTSIDERS]:
        application = application_in(hall, status, action)
        actor = User.objects.get(username=username)
        mine = roster(application).get(username, set())
        events = application.events.count()
        if mine & parties:
            _attempt(hall, application, action, actor)
            application.refresh_from_db()
            target = APPLICATION_TRANSITIONS[status][action][0]
            assert application.status == (status if target == "same" else target), username
            assert application.events.count() == events + 1
        else:
            with pytest.raises((PermissionDenied, NotFound)):
                _attempt(hall, application, action, actor)
            application.refresh_from_db()
            assert application.status == status and application.events.count() == events, username


@pytest.mark.parametrize("status", list(S))
def test_an_action_the_table_does_not_list_is_refused_naming_the_status(hall, status):
    application = application_in(hall, status)
    if A.COMPLETE_ON_SPOT in APPLICATION_TRANSITIONS[status]:
        return
    with pytest.raises(TransitionNotAllowed, match=f"当前为“{S(status).label}”"):
        do(application, A.COMPLETE_ON_SPOT, hall.clerk_a1)


def test_the_system_alone_marks_overdue(hall):
    application = application_in(hall, S.FORWARDED)
    with pytest.raises(PermissionDenied, match="系统"):
        do(application, A.MARK_OVERDUE, hall.manager_a)
    assert services.application_act(actor=None, as_system=True, number=application.number, action=A.MARK_OVERDUE)


# ---------------------------------------------------------------- acceptance and the one-time notice


def test_an_on_the_spot_item_is_accepted_and_completed_at_once_by_its_first_contact(hall):
    ticket = hall.serving()
    application = hall.accept("0101", ticket_id=ticket.pk)
    assert application.status == S.ACCEPTED and application.first_contact == hall.clerk_a1
    assert application.number == f"{hall.centre_a.code}-20260928-0001"
    assert application.channel == Channel.COUNTER and application.counter == hall.counter_a1
    assert application.sex == "M" and application.birth_date.isoformat() == "1980-01-01"
    application = do(application, A.COMPLETE_ON_SPOT, hall.clerk_a1)
    assert application.status == S.COMPLETED and application.outcome == "approved" and application.decided_on_time
    application = do(application, A.HAND_OVER, hall.clerk_a1)
    assert application.status == S.PICKED_UP and application.ended_at is not None


def test_completing_an_application_twice_is_refused_and_changes_nothing(hall):
    application = do(hall.accept("0101"), A.COMPLETE_ON_SPOT, hall.clerk_a1)
    events = application.events.count()
    with pytest.raises(TransitionNotAllowed, match="当前为“已办结”，不能“即时办结”"):
        do(application, A.COMPLETE_ON_SPOT, hall.clerk_a2)
    application.refresh_from_db()
    assert application.events.count() == events and application.version == 2
    back = do(do(application_in(hall, S.FORWARDED), A.START_REVIEW, hall.back_office_a), A.COMPLETE, hall.back_office_a)
    with pytest.raises(TransitionNotAllowed, match="已办结"):
        do(back, A.COMPLETE, hall.civil_handler)


def test_the_one_time_notice_lists_exactly_the_required_materials_not_brought_and_where_to_get_each(hall):
    # given a resident applying for 特困供养 with their ID card and the signed authorisation only
    application = hall.accept("0202", materials=["01", "03"])
    assert [m["code"] for m in application.missing_materials] == ["02", "05"]  # 04 (残疾人证) is optional
    # when the clerk issues the one-time notice
    application = do(application, A.ISSUE_NOTICE, hall.clerk_a1)
    # then it names exactly 户口簿 and 申请表, each with where to get it, and the resident hears it by SMS
    notice = Notice.objects.get(application=application)
    assert [m["name"] for m in notice.missing] == ["户口簿", "申请表"]
    assert "派出所" in notice.missing[0]["source_note"] and "本中心窗口提供" in notice.missing[1]["source_note"]
    assert application.status == S.INCOMPLETE and application.notice_issued
    sms = Notification.objects.filter(channel="sms", subject="一次性告知").get()
    assert "户口簿、申请表" in sms.body and "残疾人证" not in sms.body


def test_no_notice_when_nothing_is_missing_and_no_completion_while_something_is(hall):
    complete = hall.accept("0201")
    with pytest.raises(ValidationError, match="材料已齐全"):
        do(complete, A.ISSUE_NOTICE, hall.clerk_a1)
    partial = hall.accept("0201", materials=["01", "02"], id_number=rid("19700707", "333"))
    with pytest.raises(ValidationError, match="材料不全（缺少：户口簿、家庭经济状况核对授权书"):
        do(partial, A.FORWARD, hall.clerk_a1)
    assert Notice.objects.count() == 0


def test_the_resident_comes_back_once_with_everything_and_the_second_visit_is_counted(hall, clock):
    application = do(hall.accept("0202", materials=["01", "03"]), A.ISSUE_NOTICE, hall.clerk_a1)
    clock.set("2026-09-29T10:00")
    # a clerk at another counter takes it up; still missing one: refused, nothing changes
    with pytest.raises(ValidationError, match="仍缺少：申请表"):
        do(application, A.SUPPLEMENT, hall.clerk_a2, materials=["02"])
    application.refresh_from_db()
    assert application.status == S.INCOMPLETE and application.visit_count == 1
    application = do(application, A.SUPPLEMENT, hall.clerk_a2, materials=["02", "05"])
    assert application.status == S.ACCEPTED and application.visit_count == 2
    assert application.first_contact == hall.clerk_a1  # the first contact still owns it
    assert do(application, A.FORWARD, hall.clerk_a2).status == S.FORWARDED


def test_accepting_the_same_matter_again_at_the_same_centre_points_to_the_waiting_application(hall):
    first = do(hall.accept("0202", materials=["01"]), A.ISSUE_NOTICE, hall.clerk_a1)
    with pytest.raises(Conflict, match=f"请在原办件上补齐材料.*|办件 {first.number}"):
        hall.accept("0202", clerk=hall.clerk_a2)
    assert Application.objects.count() == 1


def test_the_same_matter_taken_up_at_another_centre_continues_and_counts_the_extra_trip(hall):
    first = do(hall.accept("0202", materials=["01"]), A.ISSUE_NOTICE, hall.clerk_a1)
    second = services.application_accept(
        actor=hall.clerk_b,
        centre_code=hall.centre_b.code,
        item_code="0202",
        materials=codes("0202"),
        **RESIDENT,
    )
    first.refresh_from_db()
    assert second.previous == first and second.visit_count == 2
    assert first.status == S.WITHDRAWN and first.superseded


def test_forwarding_sets_the_deadline_by_working_days_across_the_national_day_holidays(hall, clock):
    # accepted on the last working afternoon before the holidays, with a 5-working-day promise
    clock.set("2026-09-30T16:00")
    application = do(hall.accept("0107"), A.FORWARD, hall.clerk_a1)
    # 10-08, 10-09, the working Saturday 10-10, 10-12, 10-13: due at the close of 10-13
    assert timezone.localtime(application.due_at) == local("2026-10-13T17:30")
    assert not application.deadline_estimated
    assert application.department.name == "人力资源和社会保障局"
    inbox = Notification.objects.filter(channel="inbox", recipient=hall.back_office_a)
    assert inbox.filter(subject__contains=application.number).exists()


def test_past_its_deadline_a_forwarded_application_is_marked_overdue_and_its_completion_late(hall, clock):
    application = do(hall.accept("0107"), A.FORWARD, hall.clerk_a1)
    clock.set("2026-10-09T17:31")
    assert services.applications_sweep() == 0
    clock.set("2026-10-12T09:00")  # the fifth working day after 09-28 is 10-09 (the holidays do not count)
    assert services.applications_sweep() == 1
    assert services.applications_sweep() == 0
    application.refresh_from_db()
    assert application.is_overdue and application.events.filter(action=A.MARK_OVERDUE, actor=None).exists()
    application = do(do(application, A.START_REVIEW, hall.back_office_a), A.COMPLETE, hall.back_office_a)
    assert application.decided_on_time is False and not application.is_overdue


@pytest.mark.parametrize(
    ("id_number", "message"),
    [
        ("32010619800101123", "应为 18 位，现在是 17 位"),
        ("3201061980010112X3", "前 17 位应为数字"),
        ("320106198001011234", "校验位不对"),
        (rid("19801301", "123"), "出生日期无效"),
        (rid("20300101", "123"), "出生日期不合理"),
        (rid("19800101", "123", area="999999"), "地区代码"),
        ("", "请填写申请人身份证号码"),
    ],
)
def test_invalid_identity_numbers_are_refused_with_what_is_wrong_and_nothing_is_written(hall, id_number, message):
    with pytest.raises(ValidationError, match=message) as caught:
        hall.accept("0101", id_number=id_number)
    assert caught.value.errors == {"id_number": [caught.value.message]}
    assert not Application.objects.exists()
    if id_number:
        assert id_number not in caught.value.message


def test_residents_born_before_their_district_code_existed_are_accepted(hall):
    # 320106 (鼓楼区) exists since 1983; a resident born in 1940 carries it on their card all the same
    application = hall.accept("0301", id_number=rid("19400515", "224"), materials=codes("0301"))
    assert application.birth_date.year == 1940 and application.sex == "F"


def test_an_item_the_centre_does_not_offer_is_refused(hall):
    services.centre_items_set(actor=hall.manager_a, centre_code=hall.centre_a.code, not_offered=["0101"])
    with pytest.raises(ValidationError, match="本中心不办理事项 0101"):
        hall.accept("0101")
    with pytest.raises(ValidationError, match="本中心不办理事项 9999"):
        hall.accept("9999", materials=[])
    assert not Application.objects.exists()


def test_unknown_materials_a_bad_phone_and_home_delivery_without_a_grid_are_refused(hall):
    with pytest.raises(ValidationError, match="没有这些材料编号：99"):
        hall.accept("0101", materials=["01", "99"])
    with pytest.raises(ValidationError, match="手机号码格式不正确"):
        hall.accept("0101", phone="12345")
    with pytest.raises(ValidationError, match="请填写手机号码"):
        hall.accept("0201", phone="")  # a forwarded item: the resident must be told the result
    with pytest.raises(ValidationError, match="网格"):
        hall.accept("0201", result_delivery="home", address="宁海路 5 号")
    with pytest.raises(ValidationError, match="该位置不在任何网格内"):
        hall.accept("0201", **{**HOME, "grid_code": None}, lon=0.0, lat=0.0)
    assert not Application.objects.exists()


# ---------------------------------------------------------------- proxies and remote stations


def test_a_relative_applies_for_an_elderly_resident_with_the_consent_recorded(hall):
    proxy = Proxy(
        relation="relative",
        name="张建国",
        id_number=rid("19750303", "311"),
        phone="13800000003",
        consent_method="written",
        consent_note="老人行动不便，出具授权委托书",
    )
    application = hall.accept("0301", materials=codes("0301"), id_number=rid("19400515", "224"), proxy=proxy)
    assert application.proxy_relation == "relative" and application.consent_method == "written"
    assert application.proxy_id_number == proxy.id_number


@pytest.mark.parametrize(
    ("item", "proxy", "message"),
    [
        (
            "0106",
            Proxy(
                relation="relative",
                name="张建国",
                id_number=rid("19750303", "311"),
                phone="13800000003",
                consent_method="written",
            ),
            "须本人办理",
        ),
        ("0207", None, "须由监护人或家属代为申请"),
        (
            "0301",
            Proxy(
                relation="relative",
                name="张建国",
                id_number=rid("19750303", "311"),
                phone="13800000003",
                consent_method="",
            ),
            "同意代办的方式",
        ),
        (
            "0301",
            Proxy(
                relation="relative", name="张建国", id_number=WRONG_CHECK, phone="13800000003", consent_method="written"
            ),
            "代办人身份证号码",
        ),
        ("0301", Proxy(relation="grid_worker", username="clerk_a2", consent_method="in_person"), "在岗网格员"),
    ],
)
def test_proxy_rules_are_kept(hall, item, proxy, message):
    with pytest.raises(ValidationError, match=message):
        hall.accept(item, materials=codes(item), proxy=proxy)
    assert not Application.objects.exists()


def test_a_grid_worker_applies_for_a_resident_of_their_grid(hall):
    proxy = Proxy(relation="grid_worker", username="worker_a1", consent_method="video", consent_note="视频确认本人意愿")
    application = hall.accept("0301", materials=codes("0301"), proxy=proxy)
    assert application.proxy_user == hall.tree.worker_a1 and application.proxy_name == "王网格"


def test_a_community_station_files_remotely_into_the_street_centre(hall):
    application = hall.accept("0201", clerk=hall.station_a)
    assert application.channel == Channel.REMOTE_STATION
    assert application.region_path == hall.tree.community_a.path and application.first_contact == hall.station_a
    for who in (hall.station_a, hall.clerk_a1, hall.manager_a):
        assert selectors.applications(actor=who).filter(pk=application.pk).exists()
    assert not selectors.applications(actor=hall.clerk_b).exists()
    assert do(application, A.FORWARD, hall.station_a).status == S.FORWARDED
    with pytest.raises(NotFound):
        services.application_accept(
            actor=hall.station_a, centre_code=hall.centre_b.code, item_code="0101", materials=codes("0101"), **RESIDENT
        )


# ---------------------------------------------------------------- back office, first contact, delivery


def test_forwarded_work_reaches_the_back_office_inbox_and_the_first_contact_stays_visible(hall):
    application = application_in(hall, S.FORWARDED)
    assert list(selectors.back_office_inbox(actor=hall.back_office_a)) == [application]
    assert list(selectors.back_office_inbox(actor=hall.civil_handler)) == [application]
    assert not selectors.back_office_inbox(actor=hall.clerk_a1).exists()
    application = do(do(application, A.START_REVIEW, hall.civil_handler), A.COMPLETE, hall.civil_handler)
    assert application.first_contact == hall.clerk_a1 and application.reviewer == hall.civil_handler
    assert not selectors.back_office_inbox(actor=hall.back_office_a).exists()


def test_a_rejection_needs_its_reason_and_the_resident_is_told_it(hall):
    application = do(application_in(hall, S.FORWARDED), A.START_REVIEW, hall.back_office_a)
    with pytest.raises(ValidationError, match="请填写说明"):
        do(application, A.REJECT, hall.back_office_a)
    application = do(application, A.REJECT, hall.back_office_a, note="家庭人均收入高于低保标准")
    assert application.outcome == "rejected" and application.decision_note == "家庭人均收入高于低保标准"
    sms = Notification.objects.filter(channel="sms", subject="办件未予办理").get()
    assert "家庭人均收入高于低保标准" in sms.body


def test_a_clerk_cannot_turn_down_a_forwarded_item_the_back_office_decides(hall):
    with pytest.raises(ValidationError, match="由后台审核"):
        do(hall.accept("0201"), A.REJECT, hall.clerk_a1, note="不符合")


def test_a_result_for_home_goes_to_the_grid_workers_phone_and_is_delivered_with_a_signature(hall, settings):
    application = application_in(hall, S.COMPLETED)
    delivery = application.delivery
    assert delivery.assignee == hall.tree.worker_a1 and delivery.status == DeliveryStatus.PENDING
    assert list(selectors.my_deliveries(actor=hall.tree.worker_a1)) == [delivery]
    assert Notification.objects.filter(recipient=hall.tree.worker_a1, subject__contains=application.number).exists()
    # the grid worker of the partner grid does not get it, nor anyone of street B
    assert not selectors.my_deliveries(actor=hall.tree.worker_a2).exists()
    assert not selectors.deliveries(actor=hall.clerk_b).exists()
    services.delivery_attempt(actor=hall.tree.worker_a1, delivery_id=delivery.pk, note="家中无人，约明天上午")
    services.delivery_deliver(
        actor=hall.tree.worker_a1, delivery_id=delivery.pk, proof=signature(), proof_kind="signature", note="本人签收"
    )
    delivery.refresh_from_db()
    application.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert application.status == S.DELIVERED and application.ended_at is not None
    # the signature is kept as a JPEG with its strokes on white paper
    with Image.open(delivery.proof.path) as proof:
        assert proof.format == "JPEG" and proof.getpixel((5, 5)) == (255, 255, 255)
    with pytest.raises(TransitionNotAllowed):
        services.delivery_deliver(
            actor=hall.tree.worker_a1, delivery_id=delivery.pk, proof=signature(), proof_kind="signature"
        )


def test_a_delivery_proof_must_be_a_real_image(hall):
    application = application_in(hall, S.COMPLETED)
    with pytest.raises(ValidationError, match="不是可识别的图片"):
        services.delivery_deliver(
            actor=hall.tree.worker_a1, delivery_id=application.delivery.pk, proof=b"%PDF-1.4", proof_kind="photo"
        )
    with pytest.raises(ValidationError, match="请上传"):
        services.delivery_deliver(
            actor=hall.tree.worker_a1, delivery_id=application.delivery.pk, proof=b"", proof_kind="photo"
        )
    assert Delivery.objects.get().status == DeliveryStatus.PENDING


def test_when_the_grid_has_no_worker_the_partner_grids_worker_delivers(hall):
    Post.objects.filter(user=hall.tree.worker_a1).update(is_active=False)
    application = application_in(hall, S.COMPLETED)
    assert application.delivery.assignee == hall.tree.worker_a2  # A/B posts: grid a2 covers grid a1


def test_picking_up_at_the_counter_cancels_the_pending_delivery(hall):
    application = do(application_in(hall, S.COMPLETED), A.HAND_OVER, hall.clerk_a2)
    assert application.status == S.PICKED_UP
    assert Delivery.objects.get().status == DeliveryStatus.CANCELLED
    assert not selectors.my_deliveries(actor=hall.tree.worker_a1).exists()


def test_the_manager_reassigns_a_delivery_to_another_grid_worker(hall):
    application = application_in(hall, S.COMPLETED)
    with pytest.raises(PermissionDenied):
        services.delivery_assign(actor=hall.back_office_a, delivery_id=application.delivery.pk, username="worker_a2")
    with pytest.raises(ValidationError, match="网格员"):
        services.delivery_assign(actor=hall.manager_a, delivery_id=application.delivery.pk, username="clerk_a1")
    delivery = services.delivery_assign(actor=hall.manager_a, delivery_id=application.delivery.pk, username="worker_a2")
    assert delivery.assignee == hall.tree.worker_a2
    assert list(selectors.my_deliveries(actor=hall.tree.worker_a2)) == [delivery]


# ---------------------------------------------------------------- personal data


def test_the_full_identity_number_is_shown_only_with_a_reason_and_every_view_is_logged(hall):
    application = application_in(hall, S.COMPLETED)
    with pytest.raises(ValidationError, match="查看事由"):
        services.application_reveal(actor=hall.clerk_a2, number=application.number, fields=["id_number"], reason="")
    shown = services.application_reveal(
        actor=hall.clerk_a2, number=application.number, fields=["id_number", "phone"], reason="核对身份"
    )
    assert shown == {"id_number": application.id_number, "phone": RESIDENT["phone"]}
    assert len(shown["id_number"]) == 18
    access = PersonalDataAccess.objects.get()
    assert access.actor == hall.clerk_a2 and access.fields == ["id_number", "phone"] and access.reason == "核对身份"
    # the grid worker delivering it may see how to reach the resident, never the identity number
    worker = hall.tree.worker_a1
    assert services.application_reveal(actor=worker, number=application.number, fields=["phone"], reason="联系送达")
    with pytest.raises(PermissionDenied):
        services.application_reveal(actor=worker, number=application.number, fields=["id_number"], reason="看看")
    with pytest.raises(NotFound):
        services.application_reveal(actor=hall.clerk_b, number=application.number, fields=["phone"], reason="看看")
    assert PersonalDataAccess.objects.count() == 2


def test_neither_audit_rows_nor_logs_carry_the_residents_personal_data(hall, caplog):
    caplog.set_level(logging.DEBUG)
    application = application_in(hall, S.DELIVERED)
    rows = str(list(AuditEntry.objects.values("before", "after", "object_repr")))
    events = str(list(ApplicationEvent.objects.values("note", "data")))
    for secret in (application.id_number, application.applicant_name, application.phone, application.address):
        assert secret not in rows and secret not in events and secret not in caplog.text
