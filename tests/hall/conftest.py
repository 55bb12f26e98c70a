"""The service centre's test world: the region tree, the 2025-2026 calendar, the departments, the default catalogue,
a centre in each street with counters, and the people who work there.

The clock stands still (a Monday morning, 2026-09-28 09:00 in Shanghai, two days before the National Day holidays)
unless a test moves it, so numbers, deadlines and opening hours are exact.
"""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from stdnum.cn import ric

from civicgrid.core import calendar as working_calendar
from civicgrid.core import services as core_services
from civicgrid.hall import services
from civicgrid.hall.models import Application, Ticket
from civicgrid.people import services as people_services
from civicgrid.people.choices import Role
from civicgrid.people.models import Department
from tests.factories import staff

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class Clock:
    def __init__(self) -> None:
        self.at = local("2026-09-28T09:00")  # a Monday

    def now(self) -> datetime:
        return self.at

    def set(self, text: str) -> None:
        self.at = local(text)

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Clock:
    fixed = Clock()
    monkeypatch.setattr(timezone, "now", fixed.now)
    return fixed


@pytest.fixture(autouse=True)
def _fresh_limits_and_media(settings, tmp_path):
    cache.clear()  # the per-client limits count in the cache
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    cache.clear()


def rid(birth: str = "19800101", sequence: str = "123", area: str = "320106") -> str:
    """A valid resident identity number (the check character computed), e.g. rid("19450301", "242")."""
    body = f"{area}{birth}{sequence}"
    return body + ric.calc_check_digit(body + "0")


RESIDENT = {"applicant_name": "张晓明", "id_number": rid("19800101", "123"), "phone": "13912345678"}
ELDER_ID = rid("19400515", "224")  # 86 on the fixed day: a woman (even 17th digit)


class Hall:
    """Street A (宁海路) has centre A with counters 1 and 2 serving every group and counter 3 serving only group C
    (为老助残); street B (湖南路) has centre B with one counter. Clerks a1, a2, a3 work in A, clerk b in B; a station
    clerk works at 仙霞路社区 (in A); back office of street A; the civil-affairs department's handler; managers."""

    def __init__(self, tree: Any) -> None:
        self.tree = tree
        core_services.calendar_load_years(actor=None, years=[2025, 2026])
        working_calendar.invalidate()
        entries = yaml.safe_load((Path(settings.DATA_DIR) / "departments.yaml").read_text("utf-8"))
        people_services.load_departments(actor=None, district=tree.district, entries=entries)
        services.catalogue_load(actor=None, path=services.default_catalogue_path())
        self.centre_a = services.centre_create(
            actor=None,
            street_code=tree.street_a.code,
            address="南京市鼓楼区宁海路 122 号",
            phone="025-83700000",
            extended_hours={"1": [["17:30", "19:00"]], "5": [["09:00", "12:00"]]},
        )
        self.centre_b = services.centre_create(actor=None, street_code=tree.street_b.code)
        self.counter_a1 = services.counter_create(actor=None, centre_code=self.centre_a.code, number=1)
        self.counter_a2 = services.counter_create(actor=None, centre_code=self.centre_a.code, number=2)
        self.counter_a3 = services.counter_create(
            actor=None, centre_code=self.centre_a.code, number=3, name="为老助残窗口", groups=["C"]
        )
        self.counter_b1 = services.counter_create(actor=None, centre_code=self.centre_b.code, number=1)
        self.clerk_a1 = staff(Role.WINDOW_CLERK, tree.street_a, username="clerk_a1", full_name="周窗口")
        self.clerk_a2 = staff(Role.WINDOW_CLERK, tree.street_a, username="clerk_a2", full_name="吴窗口")
        self.clerk_a3 = staff(Role.WINDOW_CLERK, tree.street_a, username="clerk_a3", full_name="郑窗口")
        self.clerk_b = staff(Role.WINDOW_CLERK, tree.street_b, username="clerk_b", full_name="冯窗口")
        self.station_a = staff(Role.WINDOW_CLERK, tree.community_a, username="station_a", full_name="仙霞路工作站")
        self.back_office_a = staff(Role.BACK_OFFICE_HANDLER, tree.street_a, username="backoffice_a", full_name="陈后台")
        self.civil_affairs = Department.objects.get(code="320106-civil_affairs")
        self.civil_handler = staff(
            Role.DEPARTMENT_HANDLER, department=self.civil_affairs, username="civil_1", full_name="民政甲"
        )
        self.manager_a = staff(Role.CENTRE_MANAGER, tree.street_a, username="manager_a", full_name="宁海路主任")
        self.manager_b = staff(Role.CENTRE_MANAGER, tree.street_b, username="manager_b", full_name="湖南路主任")

    def sign_in(self, clerk: Any = None, counter: Any = None) -> Any:
        return services.counter_sign_in(actor=clerk or self.clerk_a1, counter_id=(counter or self.counter_a1).pk)

    def ticket(self, group: str = "A", **fields: Any) -> Ticket:
        return services.ticket_issue(actor=None, centre_code=self.centre_a.code, group_code=group, **fields)

    def serving(self, clerk: Any = None, counter: Any = None, group: str = "A") -> Ticket:
        """A ticket called and being served at the clerk's counter."""
        clerk, counter = clerk or self.clerk_a1, counter or self.counter_a1
        self.sign_in(clerk, counter)
        self.ticket(group)
        called = services.call_next(actor=clerk, counter_id=counter.pk)
        assert called is not None
        return services.ticket_act(actor=clerk, ticket_id=called.pk, action="start")

    def accept(self, item: str = "0101", *, materials: Any = None, clerk: Any = None, **fields: Any) -> Application:
        """An application accepted at centre A; by default with every material of the item."""
        from civicgrid.hall.models import ServiceItem

        if materials is None:
            materials = list(ServiceItem.objects.get(code=item).materials.values_list("code", flat=True))
        values = {**RESIDENT, **fields}
        return services.application_accept(
            actor=clerk or self.clerk_a1,
            centre_code=self.centre_a.code,
            item_code=item,
            materials=materials,
            **values,
        )


@pytest.fixture
def hall(tree) -> Hall:
    working_calendar.invalidate()
    return Hall(tree)
