"""The demo district's base files at --scale small: households in every comprehensive grid, residents with valid
ID numbers marked as demo data, care recipients, organisations; the same seed gives the same files, and a second run
adds nothing."""

from collections import Counter

import pytest
from django.db.models import F
from django.utils import timezone
from stdnum.cn import ric, uscc

from civicgrid.demo import generator
from civicgrid.demo.hooks import DemoContext
from civicgrid.people.models import User
from civicgrid.regions.choices import GridKind, Level
from civicgrid.regions.models import Region
from civicgrid.registry import demo, selectors
from civicgrid.registry.models import Building, Household, Organisation, Resident, ResidentTag
from civicgrid.registry.validation import clean_identity

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_gulou() -> tuple[DemoContext, str]:
    generator.load("320106", scale="small", seed=generator.DEFAULT_SEED, password="x", say=lambda *_: None)
    context = DemoContext(
        district=Region.objects.get(code="320106"), scale="small", seed=generator.DEFAULT_SEED, password="x"
    )
    return context, demo.load_registry(context)


def test_every_comprehensive_grid_has_households_buildings_and_residents_with_demo_id_numbers(small_gulou):
    _context, summary = small_gulou
    grids = Region.objects.filter(level=Level.GRID, grid_kind=GridKind.COMPREHENSIVE)
    with_households = set(Household.objects.values_list("grid_id", flat=True).distinct())
    assert set(grids.values_list("pk", flat=True)) == with_households
    assert 200 <= Resident.objects.count() <= 1500, summary
    # every resident lives in a household of the grid they are filed in, in a building of that grid
    assert not Resident.objects.exclude(household__grid_id=F("grid_id")).exists()
    assert not Household.objects.exclude(building__grid_id=F("grid_id")).exists()
    assert Building.objects.filter(estate__isnull=True).count() == 0
    assert "居民" in summary and "用时" in summary
    # ID numbers are valid, agree with birth date and sex, and carry the demo marker 99 in digits 15-16
    for number, birth, sex in Resident.objects.values_list("id_number", "birth_date", "sex"):
        assert number[17] == ric.calc_check_digit(number)  # stdnum reads the 17 digits before the check
        assert number[14:16] == demo.DEMO_ORDER_CODE
        assert clean_identity(id_number=number, birth_date=birth, sex=sex, today=birth.today()) == (number, birth, sex)
    assert Resident.objects.values("id_number").distinct().count() == Resident.objects.count()
    for code in Organisation.objects.values_list("uscc", flat=True):
        assert uscc.is_valid(code)
    # care tags fit the ages (as an import of the demo's own ledger would check)
    from civicgrid.registry.validation import check_tags_fit

    for person in Resident.objects.prefetch_related("tags"):
        check_tags_fit(person.tags.all(), person.birth_date, timezone.localdate())
    # phones use the machine-to-machine segment 140, never a person's mobile
    assert not Resident.objects.exclude(phone="").exclude(phone__startswith="140").exists()


def test_care_recipients_floating_residents_organisations_and_four_clears_are_there(small_gulou):
    tags = Counter(ResidentTag.objects.values_list("code__code", flat=True))
    assert tags["retired"] and (tags["student"] or tags["preschool"])
    assert Resident.objects.filter(residence_status="floating").exists()
    assert Organisation.objects.filter(grid__grid_kind=GridKind.DEDICATED, is_key_unit=True).exists()
    elderly_alone = Resident.objects.filter(tag_links__code__code="elderly_alone")
    for person in elderly_alone:
        assert person.household.residents.count() == 1
    admin = User.objects.get(username="admin")
    rows = selectors.completeness(actor=admin, by="grid")
    assert len(rows) == Region.objects.filter(level=Level.GRID, grid_kind=GridKind.COMPREHENSIVE).count()
    assert all(0 <= row["complete"] <= row["households"] for row in rows)


def test_a_second_run_adds_nothing(small_gulou):
    context, _summary = small_gulou
    count = Resident.objects.count()
    assert "未重复生成" in demo.load_registry(context)
    assert Resident.objects.count() == count


def test_the_demo_id_number_formula_is_gb_11643():
    from datetime import date

    parts = demo.date_parts(date(1949, 12, 31))
    number = demo.demo_id_number("110105", parts[1], parts[2], 2)
    assert number[:17] == "11010519491231992" and number[17] == ric.calc_check_digit(number)
