"""Reading the division files (areas.csv, streets.csv, villages.csv) into rows for `services.import_regions`."""

import csv
from pathlib import Path

from django.utils.translation import gettext as _

from civicgrid.regions.choices import Level
from civicgrid.regions.services import ImportRejected, RegionRow, RowError, committee_to_place

REQUIRED_COLUMNS = {
    "areas.csv": {"code", "name", "level", "parent"},
    "streets.csv": {"code", "name", "areaCode"},
    "villages.csv": {"code", "name", "streetCode", "areaCode"},
}


def _read(path: Path) -> list[dict[str, str]] | RowError:
    if not path.exists():
        return RowError(path.name, "", _("文件不存在。"))
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = REQUIRED_COLUMNS[path.name] - set(reader.fieldnames or [])
            if missing:
                return RowError(path.name, "", _("缺少列：%(columns)s。") % {"columns": ", ".join(sorted(missing))})
            return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        return RowError(path.name, "", _("无法读取 CSV（应为 UTF-8）：%(error)s") % {"error": exc})


def district_rows(district_code: str, source: Path) -> list[RegionRow]:
    """The city, the district, its streets and its communities, parents first. Rejects unreadable files."""
    tables = {name: _read(source / name) for name in REQUIRED_COLUMNS}
    problems = [table for table in tables.values() if isinstance(table, RowError)]
    if problems:
        raise ImportRejected(problems)
    areas, streets, villages = (tables[name] for name in ("areas.csv", "streets.csv", "villages.csv"))
    assert isinstance(areas, list) and isinstance(streets, list) and isinstance(villages, list)

    by_code = {row["code"]: row for row in areas}
    district = by_code.get(district_code)
    if district is None or district.get("level") != "district":
        raise ImportRejected(
            [RowError("areas.csv", district_code, _("区代码 %(code)s 不在 areas.csv 中。") % {"code": district_code})]
        )
    rows: list[RegionRow] = []
    city = by_code.get(district.get("parent", ""))
    if city is not None:
        # A municipality (Shanghai, Chongqing) is a province-level city: it plays the city's part.
        rows.append(RegionRow("areas.csv", city["code"], city["name"], Level.CITY, None))
    rows.append(RegionRow("areas.csv", district_code, district["name"], Level.DISTRICT, city["code"] if city else None))
    for number, row in enumerate(streets, start=2):
        if row["areaCode"] == district_code:
            rows.append(RegionRow(f"streets.csv:{number}", row["code"], row["name"], Level.STREET, district_code))
    for number, row in enumerate(villages, start=2):
        if row["areaCode"] == district_code:
            rows.append(
                RegionRow(
                    f"villages.csv:{number}",
                    row["code"],
                    committee_to_place(row["name"]),
                    Level.COMMUNITY,
                    row["streetCode"],
                )
            )
    return rows
