"""The four clears: the rule set read from its data file, each household's checks, and completeness per building,
grid and community, counted only over what the actor may see."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from civicgrid.registry import fourclears, selectors, services
from tests.registry.conftest import id_number


def clears_of(home, today=None) -> dict[str, dict]:
    return {c["key"]: c for c in fourclears.household_clears(household=home, today=today)}


def make_household_clear(places, home, building):
    """Everything the rules of data/registry/four_clears.yaml ask for, for one household."""
    admin = places.tree.admin
    services.resident_register(actor=admin, household_id=home.pk, name="王建国", id_number=id_number(), relation="02")
    services.building_update(actor=admin, building_id=building.pk, captain_name="刘楼长")
    services.building_check_facilities(actor=admin, building_id=building.pk, facilities=["extinguisher", "cctv"])
    services.household_check_risks(actor=admin, household_id=home.pk, notes="无")


def test_the_rule_file_is_checked_whole_and_names_what_is_wrong():
    document = {
        "clears": {
            "family": {"checks": [{"check": "has_members"}, {"check": "members_have", "fields": ["shoe_size"]}]},
            "categories": {"checks": [{"check": "members_reviewed_within", "months": 0}]},
            "facilities": {"checks": [{"check": "teleport"}]},
        }
    }
    with pytest.raises(fourclears.RulesRejected) as caught:
        fourclears.parse_rules(document)
    text = str(caught.value)
    assert "shoe_size" in text and "months must be 1..120" in text and "teleport" in text
    assert "risks: checks are required" in text


def test_the_shipped_rules_load():
    assert [rule.key for rule in fourclears.rules()] == ["family", "categories", "facilities", "risks"]


def test_a_household_is_clear_check_by_check(places):
    home = places.home_a1
    # given a household with no one registered
    clears = clears_of(home)
    assert not clears["family"]["ok"]
    assert [c["ok"] for c in clears["family"]["checks"]] == [False, False, True]
    # when its head is registered, the building's captain, facilities and the risk check are recorded
    make_household_clear(places, home, places.building_a1)
    # then all four clears hold
    assert all(c["ok"] for c in clears_of(home).values())
    # and a year later the reviews and checks have run out, while the family situation stays clear
    later = clears_of(home, today=timezone.localdate() + timedelta(days=400))
    assert later["family"]["ok"]
    assert not later["categories"]["ok"] and not later["facilities"]["ok"] and not later["risks"]["ok"]


def test_a_floating_member_without_inflow_reason_leaves_the_categories_unclear(places):
    make_household_clear(places, places.home_a1, places.building_a1)
    services.resident_register(
        actor=places.tree.admin, household_id=places.home_a1.pk, name="周小川", id_number=id_number(sequence=5),
        relation="99", residence_status="floating",
    )  # fmt: skip
    clears = clears_of(places.home_a1)
    assert clears["family"]["ok"]
    assert not clears["categories"]["ok"]
    labels = [c["label"] for c in clears["categories"]["checks"] if not c["ok"]]
    assert labels == ["每名流动人口都登记了流入原因、来本地日期"]


def test_a_member_without_an_id_number_leaves_the_family_unclear(places):
    make_household_clear(places, places.home_a1, places.building_a1)
    services.resident_register(
        actor=places.tree.admin, household_id=places.home_a1.pk, name="王小宝", birth_date="2024-02-03", sex="男",
        relation="20",
    )  # fmt: skip
    assert not clears_of(places.home_a1)["family"]["ok"]


def test_completeness_per_building_grid_and_community_counts_what_the_actor_sees(places):
    tree = places.tree
    make_household_clear(places, places.home_a1, places.building_a1)
    services.household_create(actor=tree.admin, building_id=places.building_a1.pk, entrance="2", room="502")
    vacant = services.household_create(actor=tree.admin, building_id=places.building_a1.pk, entrance="2", room="601")
    services.household_update(actor=tree.admin, household_id=vacant.pk, status="vacant")
    # the district administrator: every grid with households in residence
    by_grid = {row["code"]: row for row in selectors.completeness(actor=tree.admin, by="grid")}
    assert set(by_grid) == {tree.grid_a1.code, tree.grid_a2.code, tree.grid_b1.code}
    a1 = by_grid[tree.grid_a1.code]
    assert (a1["households"], a1["family"], a1["facilities"], a1["complete"]) == (2, 1, 2, 1)
    assert a1["rates"]["complete"] == 0.5
    by_community = {row["code"]: row for row in selectors.completeness(actor=tree.admin, by="community")}
    assert by_community[tree.community_a.code]["households"] == 3
    by_building = selectors.completeness(actor=tree.admin, by="building", within=tree.grid_a1.code)
    assert [(row["id"], row["households"]) for row in by_building] == [(places.building_a1.pk, 2)]
    # A1's grid worker sees only A1; B1's worker only B1
    assert [row["code"] for row in selectors.completeness(actor=tree.worker_a1, by="grid")] == [tree.grid_a1.code]
    assert [row["code"] for row in selectors.completeness(actor=tree.worker_b1, by="grid")] == [tree.grid_b1.code]


def test_months_before_keeps_the_day_or_takes_the_last_of_a_short_month():
    assert fourclears.months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)
    assert fourclears.months_before(date(2026, 1, 15), 12) == date(2025, 1, 15)
