"""The demo district: real divisions, generated boundaries that pass every import check, staff for every role."""

import pytest
import shapely
from django.core.management import call_command

from civicgrid.demo import generator
from civicgrid.people.choices import Role
from civicgrid.people.models import Post, User
from civicgrid.regions import selectors
from civicgrid.regions.choices import GridKind, Level
from civicgrid.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_gulou(capsys) -> str:
    call_command("demo", scale="small")
    return capsys.readouterr().out


def test_the_small_demo_loads_two_real_streets_with_grids_staff_and_printed_accounts(small_gulou):
    assert set(Region.objects.filter(level=Level.STREET).values_list("name", flat=True)) == {"宁海路街道", "华侨路街道"}
    grids = Region.objects.filter(level=Level.GRID)
    communities = Region.objects.filter(level=Level.COMMUNITY)
    assert grids.filter(grid_kind=GridKind.COMPREHENSIVE).count() == 3 * communities.count()
    assert grids.filter(grid_kind=GridKind.DEDICATED).count() == 1
    for role in Role:
        assert Post.objects.filter(role=role, is_active=True).exists(), role
    assert User.objects.get(username="admin").check_password("civicgrid-demo")
    for username in ("admin", "s001.officer", "g001003001.worker", "dept.city_management"):
        assert username in small_gulou
    assert "区级管理员" in small_gulou


def test_every_grid_lies_in_its_community_overlaps_none_and_is_found_by_its_centre(small_gulou):
    grids = list(Region.objects.filter(level=Level.GRID).select_related("parent"))
    shapes = {g.code: shapely.geometry.shape(g.boundary) for g in grids}
    for grid in grids:
        community = shapely.geometry.shape(grid.parent.boundary).buffer(1e-6)
        assert community.contains(shapes[grid.code]), grid.code
        assert 300 <= (grid.target_households or 300) <= 500
        hit = selectors.grid_at(grid.centre_lon, grid.centre_lat)
        assert hit is not None and hit.code == grid.code
    tree = shapely.STRtree(list(shapes.values()))
    codes = list(shapes)
    for i, j in zip(*tree.query(list(shapes.values()), predicate="overlaps"), strict=True):
        overlap = shapes[codes[i]].intersection(shapes[codes[j]]).area
        assert overlap < 1e-9, (codes[i], codes[j])  # shared edges only


def test_every_grid_has_one_worker_one_leader_and_a_partner_where_a_neighbour_exists(small_gulou):
    for grid in Region.objects.filter(level=Level.GRID, grid_kind=GridKind.COMPREHENSIVE):
        posts = Post.objects.filter(region=grid, is_active=True)
        assert posts.filter(role=Role.GRID_WORKER).count() == 1
        assert posts.filter(role=Role.GRID_LEADER).count() == 1
        assert 1 <= posts.filter(role=Role.GRID_ASSISTANT).count() <= 3
    paired = Region.objects.filter(level=Level.GRID, partner__isnull=False)
    assert paired.count() >= Region.objects.filter(level=Level.GRID).count() // 2
    for grid in paired:
        assert grid.partner.partner_id == grid.pk and grid.partner.parent_id == grid.parent_id


def test_running_the_demo_again_changes_nothing_and_says_so(small_gulou, capsys):
    before = Region.objects.count(), User.objects.count(), Post.objects.count()
    call_command("demo", scale="small")
    assert "已载入，跳过" in capsys.readouterr().out
    assert (Region.objects.count(), User.objects.count(), Post.objects.count()) == before


def test_the_same_seed_gives_the_same_district_and_another_seed_another():
    one = generator.plan("320106", scale="small", seed=7)
    two = generator.plan("320106", scale="small", seed=7)
    other = generator.plan("320106", scale="small", seed=8)
    assert one.grid_features == two.grid_features and one.staff == two.staff
    assert one.grid_features != other.grid_features


def test_the_district_scale_plan_has_gulous_991_comprehensive_grids():
    plan = generator.plan("320106", scale="district", seed=generator.DEFAULT_SEED)
    kinds = [f["properties"].get("kind", GridKind.COMPREHENSIVE) for f in plan.grid_features]
    assert kinds.count(GridKind.COMPREHENSIVE) == 991
    assert kinds.count(GridKind.DEDICATED) == 36
    assert len(plan.street_features) == 13 and len(plan.community_features) == 123


def test_another_district_loads_by_its_code(capsys):
    call_command("demo", district="230102", scale="small")
    daoli = Region.objects.get(code="230102")
    assert daoli.name == "道里区" and daoli.parent.name == "哈尔滨市"
    assert Region.objects.filter(level=Level.GRID, path__startswith=daoli.path).exists()
    assert "兆麟" in capsys.readouterr().out or Region.objects.filter(name__startswith="兆麟").exists()


def test_an_unknown_district_is_a_clear_error():
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("demo", district="999999", scale="small")
    assert not Region.objects.exists()


def test_the_steps_run_in_the_order_of_their_apps_whatever_was_imported_first():
    from django.utils.module_loading import autodiscover_modules

    import civicgrid.evaluation.demo  # noqa: F401  (a step of a later app registered before the earlier ones)
    from civicgrid.demo.hooks import ordered_steps

    autodiscover_modules("demo")
    assert [name for name, _step in ordered_steps()] == ["workorders", "hall", "registry", "gridwork", "evaluation"]
