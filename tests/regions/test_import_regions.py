"""Importing division codes from the CSV files: the real files load; a bad file is rejected whole."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from civicgrid.core.errors import PermissionDenied
from civicgrid.core.models import AuditEntry
from civicgrid.regions import divisions, services
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region
from tests.factories import staff

pytestmark = pytest.mark.django_db


def copy_divisions(tmp_path: Path) -> Path:
    target = tmp_path / "divisions"
    shutil.copytree(settings.DIVISIONS_DIR, target)
    return target


def append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def test_given_the_real_files_when_gulou_is_imported_then_13_streets_and_123_communities_exist():
    # when
    call_command("import_regions", "320106")
    # then
    gulou = Region.objects.get(code="320106")
    assert gulou.parent.code == "320100" and gulou.path == "/320100/320106/"
    assert Region.objects.filter(level=Level.STREET, parent=gulou).count() == 13
    assert Region.objects.filter(level=Level.COMMUNITY, path__startswith=gulou.path).count() == 123
    ninghai = Region.objects.get(code="320106001")
    assert ninghai.name == "宁海路街道" and ninghai.statistical_code == "320106001000"
    community = Region.objects.get(code="320106001003")
    assert community.name == "仙霞路社区" and community.path == "/320100/320106/320106001/320106001003/"
    assert AuditEntry.objects.filter(action="region.create").count() == 1 + 1 + 13 + 123


def test_given_gulou_imported_when_imported_again_then_nothing_changes():
    call_command("import_regions", "320106")
    audit_rows = AuditEntry.objects.count()
    result = services.import_regions(actor=None, rows=divisions.district_rows("320106", settings.DIVISIONS_DIR))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 138)
    assert AuditEntry.objects.count() == audit_rows


def test_given_a_municipality_when_pudong_is_imported_then_shanghai_plays_the_city():
    call_command("import_regions", "310115")
    pudong = Region.objects.get(code="310115")
    assert pudong.parent.code == "310000" and pudong.parent.level == Level.CITY
    assert Region.objects.filter(level=Level.STREET, parent=pudong).count() > 30


def test_given_bad_rows_when_imported_then_every_bad_row_is_reported_and_nothing_is_imported(tmp_path):
    # given the real files with four bad rows added
    source = copy_divisions(tmp_path)
    append(source / "streets.csv", "32010601X,坏代码街道,320106,32,3201")  # malformed code
    append(source / "streets.csv", "320105001,别区街道,320106,32,3201")  # code does not extend its district
    append(source / "villages.csv", "320106099001,无主社区居委会,320106099,32,3201,320106")  # unknown street
    append(source / "villages.csv", "320106001003,仙霞路社区居委会,320106001,32,3201,320106")  # duplicate
    rows = divisions.district_rows("320106", source)
    # when
    with pytest.raises(services.ImportRejected) as caught:
        services.import_regions(actor=None, rows=rows)
    # then
    report = {(e.row.split(":")[0], e.code): e.message for e in caught.value.rows}
    assert set(report) == {
        ("streets.csv", "32010601X"),
        ("streets.csv", "320105001"),
        ("villages.csv", "320106099001"),
        ("villages.csv", "320106001003"),
    }
    assert "9 位" in report[("streets.csv", "32010601X")]
    assert "不符" in report[("streets.csv", "320105001")]
    assert "不存在" in report[("villages.csv", "320106099001")]
    assert "重复" in report[("villages.csv", "320106001003")]
    assert all(e.row.split(":")[1].isdigit() for e in caught.value.rows)  # every error names its line
    assert Region.objects.count() == 0 and AuditEntry.objects.count() == 0


def test_given_a_bad_file_when_the_command_runs_then_it_fails_listing_rows(tmp_path, capsys):
    source = copy_divisions(tmp_path)
    append(source / "streets.csv", "3201060AB,坏代码街道,320106,32,3201")
    with pytest.raises(CommandError, match="未导入任何数据"):
        call_command("import_regions", "320106", source=source)
    assert "3201060AB" in capsys.readouterr().err
    assert not Region.objects.exists()


def test_given_a_missing_column_or_unknown_district_then_the_import_is_rejected(tmp_path):
    source = copy_divisions(tmp_path)
    (source / "streets.csv").write_text("code,name\n320106001,宁海路街道\n", encoding="utf-8")
    with pytest.raises(services.ImportRejected, match="1 处错误") as caught:
        divisions.district_rows("320106", source)
    assert "areaCode" in caught.value.rows[0].message
    with pytest.raises(services.ImportRejected):
        divisions.district_rows("999999", settings.DIVISIONS_DIR)


def test_given_a_street_officer_when_importing_regions_then_it_is_refused_but_an_administrator_may(tree):
    rows = divisions.district_rows("320106", settings.DIVISIONS_DIR)
    with pytest.raises(PermissionDenied):
        services.import_regions(actor=tree.officer_a, rows=rows)
    outsider_admin = staff("district_admin", tree.district)
    # a district administrator may import the streets and communities of their own district
    below_district = [r for r in rows if r.level in (Level.STREET, Level.COMMUNITY)]
    result = services.import_regions(actor=outsider_admin, rows=below_district)
    assert result.created == 136 - 4  # the tree already had 2 streets and 2 communities
    assert AuditEntry.objects.filter(action="region.create", actor=outsider_admin).count() == 132
