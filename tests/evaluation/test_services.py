"""Building a campaign, answering it every way, quotas and tokens under concurrency, review."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from civicgrid.core.models import AuditEntry, Notification
from civicgrid.evaluation import services
from civicgrid.evaluation.choices import Channel, Flag, Group, Review
from civicgrid.evaluation.models import Campaign, Invitation, Response, ReverseComment, Stratum
from tests.evaluation.conftest import answers, open_campaign, third_street
from tests.factories import staff

pytestmark = pytest.mark.django_db


def test_a_new_campaign_gets_gulous_tree_and_three_questionnaires(tree):
    campaign = services.campaign_create(actor=tree.admin, district_code="320106", year=2026)
    kinds = [node.kind for node in campaign.indicators.all()]
    assert (kinds.count("dimension"), kinds.count("focus_area"), kinds.count("indicator")) == (4, 10, 17)
    assert sorted(campaign.questionnaires.values_list("group", flat=True)) == ["adult", "elderly", "organisation"]
    assert campaign.questionnaires.get(group="elderly").large_text
    assert campaign.strata.count() == 2 * 3  # every street of the district, three groups each
    assert AuditEntry.objects.filter(action="evaluation.campaign.create").count() == 1


def test_a_street_officer_cannot_create_or_open_a_campaign(tree):
    with pytest.raises(PermissionDenied):
        services.campaign_create(actor=tree.officer_a, district_code="320106", year=2026)
    campaign = services.campaign_create(actor=tree.admin, district_code="320106", year=2026)
    with pytest.raises((PermissionDenied, NotFound)):
        services.campaign_act(actor=tree.officer_a, campaign_id=campaign.pk, action="open")


def test_opening_checks_the_weights(tree):
    campaign = services.campaign_create(actor=tree.admin, district_code="320106", year=2026)
    services.indicator_update(actor=tree.admin, campaign_id=campaign.pk, code="D1", weight="0.5")
    with pytest.raises(ValidationError) as refused:
        services.campaign_act(actor=tree.admin, campaign_id=campaign.pk, action="open")
    assert "权重合计为 1.3" in refused.value.message
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_questions_are_frozen_once_the_first_answer_arrives(world):
    campaign = world.campaign
    services.question_update(
        actor=world.admin,
        campaign_id=campaign.pk,
        group="adult",
        code="A01",
        question=services.QuestionIn(code="A01", text="社区党组织的服务", indicator="I01"),
    )
    services.surveyor_submit(
        actor=world.surveyor,
        campaign_id=campaign.pk,
        street_code=world.tree.street_a.code,
        group="adult",
        answers=answers(campaign, "adult", 4),
        client_key="first-answer-01",
    )
    with pytest.raises(TransitionNotAllowed) as refused:
        services.question_delete(actor=world.admin, campaign_id=campaign.pk, group="adult", code="A02")
    assert "题目已冻结" in refused.value.message
    with pytest.raises(TransitionNotAllowed):
        services.indicator_add(actor=world.admin, campaign_id=campaign.pk, code="I99", name="新指标", parent_code="F01")
    # the elderly questionnaire has no answer yet: still open to changes
    services.question_delete(actor=world.admin, campaign_id=campaign.pk, group="elderly", code="E12")


def test_bad_answers_are_refused_with_each_problem_named_and_nothing_stored(world):
    campaign = world.campaign
    invitation = services.invitations_create(
        actor=world.admin, campaign_id=campaign.pk, street_code=world.tree.street_a.code, group="elderly", count=1
    )[0]
    bad = {**answers(campaign, "elderly", 4), "E01": 6, "A01": 3}
    with pytest.raises(ValidationError) as refused:
        services.invitation_submit(token=invitation.token, answers=bad)
    assert set(refused.value.errors) == {"E01", "A01"}
    assert "1 到 5" in refused.value.errors["E01"][0]
    assert "不属于" in refused.value.errors["A01"][0]
    missing = answers(campaign, "elderly", 4)
    del missing["E03"]
    with pytest.raises(ValidationError, match="请回答第 E03 题"):
        services.invitation_submit(token=invitation.token, answers=missing)
    assert Response.objects.count() == 0
    invitation.refresh_from_db()
    assert invitation.used_at is None  # still usable
    assert Stratum.objects.get(campaign=campaign, street=world.tree.street_a, group="elderly").directed_count == 0


def test_a_used_or_unknown_token_or_a_closed_campaign_is_refused(world):
    campaign = world.campaign
    invitation = services.invitations_create(
        actor=world.admin, campaign_id=campaign.pk, street_code=world.tree.street_b.code, group="adult", count=2
    )[0]
    services.invitation_submit(token=invitation.token.lower(), answers=answers(campaign, "adult", 5))
    with pytest.raises(Conflict, match="已经使用过"):
        services.invitation_submit(token=invitation.token, answers=answers(campaign, "adult", 5))
    with pytest.raises(NotFound):
        services.invitation_submit(token="NOSUCHTOKEN2", answers=answers(campaign, "adult", 5))
    services.campaign_act(actor=world.admin, campaign_id=campaign.pk, action="close")
    other = Invitation.objects.filter(used_at__isnull=True).first()
    with pytest.raises(TransitionNotAllowed, match="已经结束"):
        services.invitation_submit(token=other.token, answers=answers(campaign, "adult", 5))
    assert Response.objects.count() == 1


def _race(count: int, work) -> list:
    """Run `work(i)` in `count` threads at once; what each returned or raised."""
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as error:
            results[i] = error
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_two_submissions_of_one_token_at_once_one_succeeds_one_conflicts(tree):
    street_c = third_street(tree)
    campaign = open_campaign(tree, street_c)
    token = services.invitations_create(
        actor=tree.admin, campaign_id=campaign.pk, street_code=tree.street_a.code, group="adult", count=1
    )[0].token
    payload = answers(campaign, "adult", 4)
    results = _race(2, lambda i: services.invitation_submit(token=token, answers=payload))
    assert sum(isinstance(r, Response) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert Response.objects.count() == 1
    assert Stratum.objects.get(campaign=campaign, street=tree.street_a, group="adult").directed_count == 1


@pytest.mark.django_db(transaction=True)
def test_a_quota_holds_under_concurrent_submissions_and_the_rest_are_kept_flagged(tree):
    street_c = third_street(tree)
    campaign = open_campaign(tree, street_c)  # quota 5 per street and group
    tokens = [
        i.token
        for i in services.invitations_create(
            actor=tree.admin, campaign_id=campaign.pk, street_code=tree.street_b.code, group="elderly", count=8
        )
    ]
    results = _race(
        8, lambda i: services.invitation_submit(token=tokens[i], answers=answers(campaign, "elderly", 2 + i % 3))
    )
    assert all(isinstance(r, Response) for r in results), results
    stored = Response.objects.filter(campaign=campaign)
    assert stored.count() == 8
    assert stored.filter(out_of_quota=False).count() == 5  # exactly the quota, whatever the interleaving
    assert stored.filter(out_of_quota=True, review=Review.PENDING).count() == 3
    assert all(Flag.OUT_OF_QUOTA in r.flags for r in stored.filter(out_of_quota=True))
    assert Stratum.objects.get(campaign=campaign, street=tree.street_b, group="elderly").directed_count == 8


def test_the_open_link_takes_one_response_per_verified_phone(world, django_capture_on_commit_callbacks):
    campaign = world.campaign
    with django_capture_on_commit_callbacks(execute=True):
        services.online_code_send(key=campaign.online_key, phone="139 1234 5678", client_address="10.0.0.1")
    sms = Notification.objects.get(channel="sms")
    code = sms.body.split("验证码是 ")[1][:6]
    with pytest.raises(ValidationError, match="验证码不正确"):
        services.online_code_verify(
            key=campaign.online_key, phone="13912345678", code="000000" if code != "000000" else "111111"
        )
    proof = services.online_code_verify(key=campaign.online_key, phone="13912345678", code=code)
    response = services.online_submit(
        key=campaign.online_key,
        street_code=world.tree.street_a.code,
        group="adult",
        answers=answers(campaign, "adult", 4),
        proof=proof,
    )
    assert (response.channel, response.entry, response.surveyor) == (Channel.ONLINE, "online", None)
    assert "13912345678" not in response.phone_hash and len(response.phone_hash) == 32
    with pytest.raises(Conflict, match="该手机号已经参加过"):
        services.online_submit(
            key=campaign.online_key,
            street_code=world.tree.street_a.code,
            group="adult",
            answers=answers(campaign, "adult", 4),
            proof=proof,
        )
    with pytest.raises(Conflict):
        services.online_code_send(key=campaign.online_key, phone="13912345678")
    with pytest.raises(PermissionDenied):
        services.online_submit(
            key=campaign.online_key, street_code=world.tree.street_a.code, group="adult", answers={}, proof="forged"
        )
    assert Stratum.objects.get(campaign=campaign, street=world.tree.street_a, group="adult").online_count == 1


def test_the_open_link_by_device_takes_one_response_per_device(world):
    campaign = world.campaign
    services.campaign_update(actor=world.admin, campaign_id=campaign.pk, changes={"online_check": "device"})
    common = {"key": campaign.online_key, "street_code": world.street_c.code, "group": "elderly"}
    services.online_submit(**common, answers=answers(campaign, "elderly", 5), device_id="device-1")
    with pytest.raises(Conflict, match="本设备已经提交过"):
        services.online_submit(**common, answers=answers(campaign, "elderly", 3), device_id="device-1")
    services.online_submit(**common, answers=answers(campaign, "elderly", 3), device_id="device-2")
    assert Response.objects.filter(channel="online").count() == 2


def test_sms_codes_are_rate_limited_per_phone(world, settings):
    campaign = world.campaign
    for _i in range(3):
        services.online_code_send(key=campaign.online_key, phone="13900000001")
    from civicgrid.core.errors import RateLimited

    with pytest.raises(RateLimited):
        services.online_code_send(key=campaign.online_key, phone="13900000001")


def test_a_surveyors_offline_answer_sent_twice_is_stored_once(world):
    campaign = world.campaign
    Campaign.objects.filter(pk=campaign.pk).update(opened_at=timezone.now() - timedelta(days=2))
    collected = timezone.now() - timedelta(hours=3)
    common = {
        "actor": world.surveyor,
        "campaign_id": campaign.pk,
        "street_code": world.tree.street_a.code,
        "group": "elderly",
        "answers": answers(campaign, "elderly", 4, E90="小区里电动车没地充电，充电桩太少"),
        "client_key": "offline-7f3a9c",
        "collected_at": collected,
    }
    first, created = services.surveyor_submit(**common)
    again, created_again = services.surveyor_submit(**common)
    assert created and not created_again and first.pk == again.pk
    assert first.surveyor == world.surveyor and first.submitted_at == collected
    assert ReverseComment.objects.get().item.title == "电动车充电设施不足"
    # a surveyor of street A cannot survey street B
    with pytest.raises(PermissionDenied):
        services.surveyor_submit(**{**common, "street_code": world.tree.street_b.code, "client_key": "other-key-1"})


def test_straight_lining_and_bursts_are_flagged_never_excluded_until_a_person_decides(world):
    campaign = world.campaign
    first, _c = services.surveyor_submit(
        actor=world.surveyor,
        campaign_id=campaign.pk,
        street_code=world.tree.street_a.code,
        group="adult",
        answers=answers(campaign, "adult", 5),
        client_key="burst-000001",
    )
    second, _c = services.surveyor_submit(
        actor=world.surveyor,
        campaign_id=campaign.pk,
        street_code=world.tree.street_a.code,
        group="adult",
        answers=answers(campaign, "adult", 5),
        client_key="burst-000002",
    )
    first.refresh_from_db()
    assert Flag.STRAIGHT_LINE in first.flags and Flag.BURST in first.flags and Flag.BURST in second.flags
    assert first.review == second.review == Review.PENDING
    with pytest.raises(ValidationError, match="审核理由"):
        services.response_review(actor=world.admin, response_id=second.pk, action="exclude", reason="")
    with pytest.raises(PermissionDenied):
        services.response_review(actor=world.tree.officer_a, response_id=second.pk, action="exclude", reason="重复")
    services.response_review(actor=world.admin, response_id=second.pk, action="exclude", reason="同一调查员重复录入")
    second.refresh_from_db()
    assert second.review == Review.EXCLUDED and second.reviewed_by == world.admin
    entry = AuditEntry.objects.get(action="evaluation.response.exclude")
    assert entry.after["reason"] == "同一调查员重复录入"


def test_population_from_a_file_reports_every_bad_row_and_sets_nothing(world):
    campaign = world.campaign
    good = "街道,群体,总体数\n宁海路街道,老年居民,18000\n320106003,中青年居民,52000\n"
    table = services.population_from_file(campaign=campaign, filename="p.csv", content=good.encode())
    assert table == {("320106001", "elderly"): 18000, ("320106003", "adult"): 52000}
    bad = "街道,群体,总体数\n不存在街道,老年居民,1\n宁海路街道,小孩,2\n宁海路街道,老年居民,-5\n"
    with pytest.raises(services.PopulationRejected) as refused:
        services.population_from_file(campaign=campaign, filename="p.csv", content=bad.encode())
    assert len(refused.value.rows) == 3
    services.population_set(actor=world.admin, campaign_id=campaign.pk, table=table)
    assert Stratum.objects.get(campaign=campaign, street=world.tree.street_a, group="elderly").population == 18000


def test_a_campaign_cannot_close_without_populations(tree):
    street_c = third_street(tree)
    campaign = open_campaign(tree, street_c)
    Stratum.objects.filter(campaign=campaign, street=street_c, group=Group.ADULT).update(population=None)
    with pytest.raises(ValidationError, match="缺少总体数"):
        services.campaign_act(actor=tree.admin, campaign_id=campaign.pk, action="close")
    assert Campaign.objects.get(pk=campaign.pk).status == "open"


def test_copying_a_campaign_keeps_special_indicators_and_the_plan(world):
    campaign = world.campaign
    services.indicator_add(
        actor=world.admin,
        campaign_id=campaign.pk,
        code="S01",
        name="应急包小修小补",
        street_code=world.tree.street_a.code,
    )
    copy = services.campaign_create(actor=world.admin, district_code="320106", year=2027, copy_from_id=campaign.pk)
    assert copy.indicators.get(code="S01").street == world.tree.street_a
    assert copy.strata.get(street=world.street_c, group="adult").population == 1000
    staff  # noqa: B018 - imported for other tests' readers
