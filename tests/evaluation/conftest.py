"""The evaluation's test world: the region tree with a third street, a campaign of Gulou's default design, and the
people who run it (the district administrator, street officers, a field surveyor in street A)."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache

from civicgrid.evaluation import services
from civicgrid.evaluation.choices import Group
from civicgrid.evaluation.models import Campaign
from civicgrid.people.choices import Role
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region
from tests.factories import Tree, make_region, rect, square, staff

# Every answer of a questionnaire set to x: each indicator score is (x - 1) / 4 * 100, so the overall score too.
SCORE_OF = {1: 0.0, 2: 25.0, 3: 50.0, 4: 75.0, 5: 100.0}


def answers(campaign: Campaign, group: str, value: int, **extra: Any) -> dict[str, Any]:
    questionnaire = campaign.questionnaires.get(group=group)
    result: dict[str, Any] = {
        q.code: value for q in questionnaire.questions.all() if q.is_scored and q.indicator.street_id is None
    }
    result.update(extra)
    return result


@dataclass
class World:
    tree: Tree
    street_c: Region
    campaign: Campaign
    surveyor: Any

    @property
    def admin(self) -> Any:
        return self.tree.admin


def third_street(tree: Tree) -> Region:
    street = make_region(
        "320106005", "华侨路街道", Level.STREET, tree.district, boundary=rect(118.74, 32.0, 0.02, 0.02)
    )
    community = make_region(
        "320106005001", "虎踞北路社区", Level.COMMUNITY, street, boundary=rect(118.74, 32.0, 0.02, 0.02)
    )
    make_region("320106005001001", "虎踞北路第一网格", Level.GRID, community, boundary=square(118.74, 32.0))
    return street


def open_campaign(world_tree: Tree, street_c: Region, *, year: int = 2026) -> Campaign:
    """A campaign with small quotas and populations, organisations left out (no quota, no population), opened."""
    campaign = services.campaign_create(actor=world_tree.admin, district_code="320106", year=year)
    streets = [world_tree.street_a.code, world_tree.street_b.code, street_c.code]
    quotas = {(code, group): 0 for code in streets for group in Group.values}
    quotas.update({(code, g): 5 for code in streets for g in (Group.ELDERLY, Group.ADULT)})
    services.quotas_set(actor=world_tree.admin, campaign_id=campaign.pk, quotas=quotas)
    services.population_set(
        actor=world_tree.admin,
        campaign_id=campaign.pk,
        table={(code, g): 1000 for code in streets for g in (Group.ELDERLY, Group.ADULT)},
    )
    services.campaign_act(actor=world_tree.admin, campaign_id=campaign.pk, action="open")
    campaign.refresh_from_db()
    return campaign


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()


@pytest.fixture
def world(tree) -> World:
    street_c = third_street(tree)
    surveyor = staff(Role.FIELD_SURVEYOR, tree.street_a, username="surveyor_a", full_name="宁海路调查员")
    return World(tree, street_c, open_campaign(tree, street_c), surveyor)
