from pathlib import Path

import pytest
import yaml
from django.conf import settings

from civicgrid.core import calendar as working_calendar
from civicgrid.core import services as core_services
from civicgrid.people import services as people_services
from civicgrid.people.choices import Role
from civicgrid.people.models import Department
from civicgrid.workorders import services
from tests.factories import give_post, staff


class Linkage:
    """The test tree plus the catalogue, the 2025-2026 calendar, departments, operators and handlers."""

    def __init__(self, tree) -> None:
        self.tree = tree
        core_services.calendar_load_years(actor=None, years=[2025, 2026])
        working_calendar.invalidate()
        services.incident_types_load(actor=None, path=Path(settings.DATA_DIR) / "incident_types.yaml")
        entries = yaml.safe_load((Path(settings.DATA_DIR) / "departments.yaml").read_text("utf-8"))
        people_services.load_departments(actor=None, district=tree.district, entries=entries)
        self.water = Department.objects.get(code="320106-water")
        self.police = Department.objects.get(code="320106-police")
        self.city_management = Department.objects.get(code="320106-city_management")
        self.operator_a = staff(Role.OPERATOR, tree.street_a, username="operator_a", full_name="宁海路指挥员")
        self.operator_b = staff(Role.OPERATOR, tree.street_b, username="operator_b", full_name="湖南路指挥员")
        self.district_operator = staff(Role.OPERATOR, tree.district, username="district_operator", full_name="区指挥员")
        self.city_operator = staff(Role.OPERATOR, tree.city, username="city_operator", full_name="市指挥员")
        self.community_head_a = staff(Role.COMMUNITY_HEAD, tree.community_a, username="head_a", full_name="仙霞路书记")
        self.water_handler = staff(
            Role.DEPARTMENT_HANDLER, department=self.water, username="water_1", full_name="水务甲"
        )
        self.police_1 = staff(Role.DEPARTMENT_HANDLER, department=self.police, username="police_1", full_name="交警甲")
        self.police_2 = staff(Role.DEPARTMENT_HANDLER, department=self.police, username="police_2", full_name="交警乙")
        self.cm_handler = staff(
            Role.DEPARTMENT_HANDLER, department=self.city_management, username="cm_1", full_name="城管甲"
        )
        give_post(tree.officer_a, Role.STREET_OFFICER, tree.street_a)  # already holds it; harmless second post


# A point inside grid_a1 (118.70..118.71, 32.00..32.01) and one inside grid_b1.
IN_A1 = (118.705, 32.005)
IN_B1 = (118.725, 32.005)


@pytest.fixture
def linkage(tree) -> Linkage:
    working_calendar.invalidate()
    return Linkage(tree)
