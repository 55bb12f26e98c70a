"""Home visits against households, the visits due to care recipients (rules in data/home_visits.yaml), follow-ups,
and the daily community log."""

from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.core.errors import NotFound, PermissionDenied, ValidationError
from civicgrid.core.models import AuditEntry
from civicgrid.gridwork import selectors, services, visit_rules
from civicgrid.gridwork.models import CommunityLog, HomeVisit
from civicgrid.registry import services as registry
from civicgrid.registry.models import Household
from tests.registry.conftest import id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def homes(gw):
    """Three households in grid A1 (an old man living alone, a disabled woman, a family with nobody in care) and
    one in B1 with an old woman living alone."""
    registry.codes_load(actor=None)
    admin = gw.tree.admin
    a1 = registry.building_create(
        actor=admin, grid_code=gw.tree.grid_a1.code, name="1幢", address="仙霞路 8 号", floors_above=6, entrances=2
    )
    b1 = registry.building_create(
        actor=admin, grid_code=gw.tree.grid_b1.code, name="3号楼", address="湖北路 3 号", floors_above=5
    )
    alone = registry.household_create(actor=admin, building_id=a1.pk, entrance="1", room="101")
    disabled = registry.household_create(actor=admin, building_id=a1.pk, entrance="1", room="102")
    family = registry.household_create(actor=admin, building_id=a1.pk, entrance="2", room="201")
    other = registry.household_create(actor=admin, building_id=b1.pk, entrance="1", room="101")
    people = [
        (alone, "张老伯", id_number(birth="19440305", sequence=1), ["elderly_alone"]),
        (disabled, "李阿姨", id_number(birth="19700611", sequence=2, male=False), ["disabled"]),
        (family, "王先生", id_number(birth="19850102", sequence=3), []),
        (other, "赵奶奶", id_number(birth="19400808", sequence=4, male=False), ["elderly_alone"]),
    ]
    for home, name, number, tags in people:
        registry.resident_register(
            actor=admin, household_id=home.pk, name=name, id_number=number, relation="02", tags=tags
        )
    return {"alone": alone, "disabled": disabled, "family": family, "other": other}


def due_ids(actor) -> list[int]:
    return [d.household.pk for d in selectors.visits_due(actor=actor)]


def test_care_recipients_never_visited_are_due_first_then_by_how_overdue(gw, homes):
    worker = gw.tree.worker_a1
    # given nobody has been visited: both care households of A1 are due, the family is not, B1 is not A1's
    assert sorted(due_ids(worker)) == sorted([homes["alone"].pk, homes["disabled"].pk])
    due = {d.household.pk: d for d in selectors.visits_due(actor=worker)}
    assert due[homes["alone"].pk].every_days == 7 and "独居老人" in due[homes["alone"].pk].why
    assert due[homes["alone"].pk].recipients == [{"name": "张老伯", "tags": ["独居老人"]}]
    # when the worker visits the old man
    visit = services.visit_record(
        actor=worker, household_id=homes["alone"].pk, findings="身体尚可，冰箱食物充足", needs="希望有人帮忙买药",
        risks="燃气灶老化", risk_level="medium", follow_up_on=timezone.localdate() + timedelta(days=3), kind="care",
    )  # fmt: skip
    # then only the disabled woman is due; and the visit is the household's risk check in the registry
    assert due_ids(worker) == [homes["disabled"].pk]
    household = Household.objects.get(pk=homes["alone"].pk)
    assert household.risks_checked_on == timezone.localdate() and household.risk_notes == "燃气灶老化"
    # the audit row says a visit happened, never what the household said
    entry = AuditEntry.objects.get(action="home_visit.record")
    assert entry.after["risk_level"] == "medium" and "燃气灶" not in str(entry.after)
    assert visit.grid == gw.tree.grid_a1


def test_a_visit_older_than_the_interval_makes_the_household_due_again(gw, homes, monkeypatch):
    worker = gw.tree.worker_a1
    services.visit_record(actor=worker, household_id=homes["alone"].pk, findings="正常")
    HomeVisit.objects.update(visited_at=timezone.now() - timedelta(days=9))
    overdue = next(d for d in selectors.visits_due(actor=worker) if d.household.pk == homes["alone"].pk)
    assert overdue.overdue_days == 2
    # the rules are the data file's: a district that visits the alone weekly every 10 days sees nothing due
    monkeypatch.setattr(
        visit_rules, "visit_rules", lambda: [visit_rules.VisitRule(frozenset({"elderly_alone"}), 10, "十天")]
    )
    assert due_ids(worker) == []


def test_follow_ups_come_due_until_the_household_is_visited_again(gw, homes):
    worker = gw.tree.worker_a1
    services.visit_record(
        actor=worker, household_id=homes["family"].pk, findings="邻里纠纷", risks="与楼上漏水纠纷", risk_level="low",
        follow_up_on=timezone.localdate() + timedelta(days=1),
    )  # fmt: skip
    assert not selectors.follow_ups_due(actor=worker).exists()
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert [v.household_id for v in selectors.follow_ups_due(actor=worker, today=tomorrow)] == [homes["family"].pk]
    services.visit_record(actor=worker, household_id=homes["family"].pk, findings="已调解", kind="follow_up")
    assert not selectors.follow_ups_due(actor=worker, today=tomorrow).exists()


def test_a_visit_outside_ones_grid_or_with_bad_fields_is_refused(gw, homes):
    worker = gw.tree.worker_a1
    with pytest.raises(NotFound):
        services.visit_record(actor=worker, household_id=homes["other"].pk, findings="x")
    with pytest.raises(PermissionDenied):
        services.visit_record(actor=gw.tree.officer_a, household_id=homes["alone"].pk, findings="x")
    with pytest.raises(ValidationError, match="走访情况"):
        services.visit_record(actor=worker, household_id=homes["alone"].pk, findings="")
    with pytest.raises(ValidationError, match="隐患或矛盾"):
        services.visit_record(actor=worker, household_id=homes["alone"].pk, findings="x", risk_level="high")
    with pytest.raises(ValidationError, match="回访日期"):
        services.visit_record(
            actor=worker, household_id=homes["alone"].pk, findings="x", follow_up_on=timezone.localdate()
        )
    with pytest.raises(ValidationError, match="最近 7 天"):
        services.visit_record(
            actor=worker, household_id=homes["alone"].pk, findings="x", visited_at=timezone.now() + timedelta(hours=2)
        )
    assert not HomeVisit.objects.exists()
    # a retried submission (same key) is the same visit
    first = services.visit_record(actor=worker, household_id=homes["alone"].pk, findings="正常", client_key="v1")
    again = services.visit_record(actor=worker, household_id=homes["alone"].pk, findings="正常", client_key="v1")
    assert first.pk == again.pk and HomeVisit.objects.count() == 1


def test_the_head_of_another_community_sees_no_visits_of_community_a(gw, homes):
    services.visit_record(actor=gw.tree.worker_a1, household_id=homes["alone"].pk, findings="正常")
    assert selectors.visits(actor=gw.head_a).count() == 1
    assert not selectors.visits(actor=gw.head_b).exists()
    assert homes["other"].pk in due_ids(gw.head_b) and homes["alone"].pk not in due_ids(gw.head_b)


def test_the_community_log_is_written_today_or_yesterday_once_per_day(gw):
    worker = gw.tree.worker_a1
    today = timezone.localdate()
    log, created = services.log_write(actor=worker, day=today, content="上午巡查发现 3 处乱堆放", weather="晴")
    assert created and log.grid == gw.tree.grid_a1
    log, created = services.log_write(actor=worker, day=today, content="上午巡查发现 3 处乱堆放，已清理", weather="晴")
    assert not created and CommunityLog.objects.count() == 1
    services.log_write(actor=worker, day=today - timedelta(days=1), content="补记昨天")
    with pytest.raises(ValidationError, match="今天或昨天"):
        services.log_write(actor=worker, day=today - timedelta(days=2), content="太晚了")
    with pytest.raises(PermissionDenied):
        services.log_write(actor=gw.head_a, day=today, content="社区负责人不写民情日记")
    # the head of the community reads them; the partner and another community do not
    assert selectors.community_logs(actor=gw.head_a).count() == 2
    assert not selectors.community_logs(actor=gw.tree.worker_a2).exists()
    assert not selectors.community_logs(actor=gw.head_b).exists()
