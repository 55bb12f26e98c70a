"""Base files on the `tree` of tests/conftest.py: the code lists, an estate in community A with a building in each of
grids A1 and A2, a building in grid B1, a household in each, and a community head of community A.

GB 11643 example numbers (valid check digits) used across the tests:
  11010519491231002X  born 1949-12-31, female (the standard's own example)
  440524188001010014  born 1880-01-01, male   (the standard's second example: too old to be alive)
Numbers made for these tests carry valid check digits computed by python-stdnum.
"""

from dataclasses import dataclass

import pytest
from stdnum.cn import ric

from civicgrid.people.choices import Role
from civicgrid.registry import services
from civicgrid.registry.models import Building, Estate, Household
from tests.factories import Tree, staff

GB_EXAMPLE = "11010519491231002X"
GB_EXAMPLE_OLD = "440524188001010014"


def id_number(place: str = "320106", birth: str = "19800101", sequence: int = 1, male: bool = True) -> str:
    """A valid 18-character number: place code, birth date, sequence (odd 17th digit for men) and check digit."""
    seq = f"{sequence:02d}" + str((1 if male else 2) + 2 * (sequence % 4))
    body = f"{place}{birth}{seq}"
    return body + ric.calc_check_digit(body + "0")


@dataclass
class Places:
    tree: Tree
    estate: Estate
    building_a1: Building
    building_a2: Building
    building_b1: Building
    home_a1: Household
    home_a2: Household
    home_b1: Household
    head_a: object  # community head of community A


@pytest.fixture
def codes(db):
    services.codes_load(actor=None)


@pytest.fixture
def places(tree, codes) -> Places:
    estate = services.estate_create(
        actor=tree.admin, community_code=tree.community_a.code, name="阳光小区", address="仙霞路 8 号"
    )
    a1 = services.building_create(
        actor=tree.admin, grid_code=tree.grid_a1.code, estate_id=estate.pk, name="1幢", address="仙霞路 8 号",
        floors_above=6, entrances=2, lon=118.705, lat=32.005,
    )  # fmt: skip
    a2 = services.building_create(
        actor=tree.admin, grid_code=tree.grid_a2.code, estate_id=estate.pk, name="2幢", address="仙霞路 10 号",
        floors_above=18, floors_below=1, entrances=1, lon=118.715, lat=32.005,
    )  # fmt: skip
    b1 = services.building_create(
        actor=tree.admin, grid_code=tree.grid_b1.code, name="湖北路 3 号楼", address="湖北路 3 号", floors_above=5,
    )  # fmt: skip
    home_a1 = services.household_create(actor=tree.admin, building_id=a1.pk, entrance="1", room="301")
    home_a2 = services.household_create(actor=tree.admin, building_id=a2.pk, entrance="1", room="1201")
    home_b1 = services.household_create(actor=tree.admin, building_id=b1.pk, entrance="1", room="201")
    head_a = staff(Role.COMMUNITY_HEAD, tree.community_a, username="head_a", full_name="仙霞路书记")
    return Places(tree, estate, a1, a2, b1, home_a1, home_a2, home_b1, head_a)
