"""Importing grids from GeoJSON: good files create grids and rebuild the lookup; any bad feature rejects the file."""

import json
import threading

import pytest
import shapely
from django.core.management import CommandError, call_command

from civicgrid.core.errors import Conflict, PermissionDenied
from civicgrid.core.models import AuditEntry
from civicgrid.regions import selectors, services
from civicgrid.regions.choices import GridKind, Level
from civicgrid.regions.models import Region
from tests.factories import rect, square

pytestmark = pytest.mark.django_db

LON, LAT = (
    118.70,
    32.01,
)  # the tree's community A spans 118.70-118.72 E, 32.00-32.02 N; its two grids fill the lower half


def feature(code: str, geometry: dict, **properties) -> dict:
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"code": code, "name": f"网格{code[-3:]}", **properties},
    }


def collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def test_given_two_new_grids_when_imported_then_they_exist_are_paired_audited_and_found_by_point(
    tree, django_capture_on_commit_callbacks
):
    # given two grids in the upper half of community A, the second a dedicated grid
    upper_left = square(LON, LAT, 0.005)
    upper_right = square(LON + 0.005, LAT, 0.005)
    data = collection(
        feature("320106001003003", upper_left, households=420, population=1150, partner="320106001003004"),
        feature("320106001003004", upper_right, kind="dedicated", dedicated_class="key_comanaged"),
    )
    assert selectors.grid_at(LON + 0.002, LAT + 0.002) is None
    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = services.import_grids(actor=tree.admin, collection=data)
    # then
    assert (result.created, result.updated) == (2, 0)
    third = Region.objects.get(code="320106001003003")
    fourth = Region.objects.get(code="320106001003004")
    assert third.parent == tree.community_a and third.path == tree.community_a.path + "320106001003003/"
    assert (third.grid_kind, third.target_households, third.target_population) == (GridKind.COMPREHENSIVE, 420, 1150)
    assert (fourth.grid_kind, fourth.dedicated_class) == (GridKind.DEDICATED, "key_comanaged")
    assert third.partner == fourth and fourth.partner == third
    assert 0.2 < third.area_km2 < 0.3  # 0.005 degrees square at 32 N is about 0.47 km x 0.56 km
    assert AuditEntry.objects.filter(action="grid.create", actor=tree.admin).count() == 2
    assert AuditEntry.objects.filter(action="grid.pair").count() == 2
    hit = selectors.grid_at(LON + 0.002, LAT + 0.002)
    assert hit is not None and hit.code == "320106001003003"


def test_given_an_existing_grid_when_reimported_with_a_new_shape_then_it_is_updated_and_lookups_follow(
    tree, django_capture_on_commit_callbacks
):
    assert selectors.grid_at(118.7095, 32.0095).code == tree.grid_a1.code
    # the first grid shrinks to its lower half
    with django_capture_on_commit_callbacks(execute=True):
        services.import_grids(
            actor=None, collection=collection(feature(tree.grid_a1.code, rect(LON, 32.0, 0.01, 0.005)))
        )
    tree.grid_a1.refresh_from_db()
    assert shapely.geometry.shape(tree.grid_a1.boundary).bounds == (118.70, 32.0, 118.71, 32.005)
    assert selectors.grid_at(118.7095, 32.0095) is None
    assert selectors.grid_at(118.7095, 32.0045).code == tree.grid_a1.code
    row = AuditEntry.objects.get(action="grid.update")
    assert row.after["boundary_changed"] is True and row.before["name"] == "仙霞路第一网格"


BAD_FEATURES = [
    (feature("32010600100300", square(LON, LAT, 0.004)), "15 位"),  # malformed code
    (feature("320106001003000", square(LON, LAT, 0.004)), "15 位"),  # sequence 000
    (feature("320106001099001", square(LON, LAT, 0.004)), "不存在"),  # unknown community
    (feature("320106001003005", {"type": "Point", "coordinates": [LON, LAT]}), "Polygon"),
    (
        feature(  # a bow tie: self-intersecting
            "320106001003006",
            {
                "type": "Polygon",
                "coordinates": [
                    [[LON, LAT], [LON + 0.004, LAT + 0.004], [LON + 0.004, LAT], [LON, LAT + 0.004], [LON, LAT]]
                ],
            },
        ),
        "自相交",
    ),
    (feature("320106001003007", square(LON + 0.05, LAT, 0.004)), "超出上级区域"),  # outside its community
    (feature("320106001003008", square(LON + 0.009, 32.0, 0.004)), "重叠"),  # overlaps grid a1 and a2
    (feature("320106001003009", square(LON, LAT, 0.004), kind="dedicated"), "类别"),
    (feature("320106001003010", square(LON, LAT, 0.004), households=-3), "户数"),
    (feature("320106001003011", square(LON, LAT, 0.004), partner="320106001003999"), "结对"),
    (feature("320106001003012", {"type": "Polygon", "coordinates": [[[LON, LAT], [500, LAT]]]}), "解析"),
    (feature("320106001003013", square(LON, LAT, 0.004), name=""), "名称"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_FEATURES, ids=[m for _f, m in BAD_FEATURES])
def test_given_one_bad_feature_among_good_ones_when_imported_then_nothing_is_imported(tree, bad, message):
    good = feature("320106001003020", square(LON + 0.015, LAT, 0.004))
    before = Region.objects.count(), AuditEntry.objects.count()
    with pytest.raises(services.ImportRejected) as caught:
        services.import_grids(actor=None, collection=collection(good, bad))
    assert {(e.row, e.code) for e in caught.value.rows} == {("第 2 个要素", bad["properties"]["code"])}
    assert message in caught.value.rows[0].message
    assert (Region.objects.count(), AuditEntry.objects.count()) == before


def test_given_many_bad_features_then_every_one_is_reported(tree):
    bad = [f for f, _m in BAD_FEATURES]
    with pytest.raises(services.ImportRejected) as caught:
        services.import_grids(actor=None, collection=collection(*bad))
    assert {e.code for e in caught.value.rows} == {f["properties"]["code"] for f in bad}


def test_given_two_overlapping_grids_in_the_same_file_then_both_duplicates_and_overlaps_are_reported(tree):
    one = feature("320106001003003", square(LON, LAT, 0.004))
    two = feature("320106001003004", square(LON + 0.002, LAT, 0.004))
    again = feature("320106001003003", square(LON + 0.006, LAT, 0.003))
    with pytest.raises(services.ImportRejected) as caught:
        services.import_grids(actor=None, collection=collection(one, two, again))
    messages = [e.message for e in caught.value.rows]
    assert any("重复" in m for m in messages) and any("重叠" in m for m in messages)


@pytest.mark.parametrize("payload", [[], {"type": "Feature"}, {"type": "FeatureCollection", "features": []}, "x"])
def test_given_not_a_feature_collection_then_the_file_is_rejected(tree, payload):
    with pytest.raises(services.ImportRejected, match="1 处错误"):
        services.import_grids(actor=None, collection=payload)


def test_given_the_command_and_a_file_with_a_bad_row_then_it_exits_with_the_report(tree, tmp_path, capsys):
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(collection(feature("320106001099001", square(LON, LAT, 0.004)))), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_grids", str(path))
    assert "320106001099001" in capsys.readouterr().err
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="GeoJSON"):
        call_command("import_grids", str(path))


def test_given_a_street_officer_when_importing_grids_then_it_is_refused(tree):
    with pytest.raises(PermissionDenied):
        services.import_grids(
            actor=tree.officer_a, collection=collection(feature("320106001003003", square(LON, LAT, 0.004)))
        )
    assert not Region.objects.filter(code="320106001003003").exists()


def test_given_community_boundaries_when_a_boundary_overlaps_a_neighbour_then_it_is_rejected(tree):
    # moving community B half over community A
    moved = {
        "type": "Feature",
        "geometry": rect(118.71, 32.0, 0.02, 0.02),
        "properties": {"code": tree.community_b.code},
    }
    with pytest.raises(services.ImportRejected) as caught:
        services.import_boundaries(actor=None, collection=collection(moved))
    assert "重叠" in caught.value.rows[0].message or "超出" in caught.value.rows[0].message
    # a grid code is refused here: grids go through import_grids
    grid = {"type": "Feature", "geometry": square(LON, LAT), "properties": {"code": tree.grid_a1.code}}
    with pytest.raises(services.ImportRejected, match="1 处错误"):
        services.import_boundaries(actor=None, collection=collection(grid))


def test_given_a_street_without_a_boundary_when_its_boundary_is_set_then_area_and_centre_follow(tree):
    street = Region.objects.create(
        code="320106002",
        name="华侨路街道",
        level=Level.STREET,
        parent=tree.district,
        path=tree.district.path + "320106002/",
    )
    below = {"type": "Feature", "geometry": rect(118.70, 31.99, 0.04, 0.01), "properties": {"code": "320106002"}}
    services.import_boundaries(actor=tree.admin, collection=collection(below))
    street.refresh_from_db()
    assert 118.70 < street.centre_lon < 118.74 and 31.99 < street.centre_lat < 32.0
    assert 4.1 < street.area_km2 < 4.3


@pytest.mark.django_db(transaction=True)
def test_given_two_imports_at_once_then_both_commit_or_one_fails_cleanly(tree):
    # Concurrent imports of the same new code: one creates it, the other ends with an error, never two rows.
    data = collection(feature("320106001003003", square(LON, LAT, 0.004)))
    errors: list[Exception] = []

    def run() -> None:
        from django.db import connection

        try:
            services.import_grids(actor=None, collection=data)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Region.objects.filter(code="320106001003003").count() == 1
    assert all(isinstance(error, Conflict) for error in errors), errors
