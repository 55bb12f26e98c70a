"""Importing the building ledger (楼栋台账: a row per building, its estate created when new) and the organisation
ledger (实有单位台账: a row per organisation, its unified social credit code checked with `cn.uscc`)."""

from typing import Any, ClassVar

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core import bulk as core_bulk
from civicgrid.core.identity import check_phone, check_uscc
from civicgrid.regions.choices import GridKind, Level
from civicgrid.regions.models import Region
from civicgrid.registry import bulk
from civicgrid.registry.choices import CodeList
from civicgrid.registry.models import Building, Entrance, Estate, ImportBatch, Organisation
from civicgrid.registry.policy import path_filter
from civicgrid.registry.services.importing import Cells, Column, RowError, RowProblems, import_paths, not_in_reach
from civicgrid.registry.validation import CodeBook, parse_bool, parse_int, parse_lon_lat, parse_text

BUILDING_COLUMNS: tuple[Column, ...] = (
    Column("grid", gettext_lazy("网格编码"), ("网格代码",), required=True),
    Column("estate", gettext_lazy("小区"), ("小区名称",)),
    Column("building", gettext_lazy("楼栋"), ("楼栋号",), required=True),
    Column("address", gettext_lazy("地址"), required=True),
    Column("floors_above", gettext_lazy("地上层数"), required=True),
    Column("floors_below", gettext_lazy("地下层数")),
    Column("entrances", gettext_lazy("单元数"), required=True),
    Column("use", gettext_lazy("房屋用途")),
    Column("structure", gettext_lazy("建筑结构")),
    Column("built_year", gettext_lazy("建成年份")),
    Column("property_company", gettext_lazy("物业服务企业")),
    Column("captain_name", gettext_lazy("楼栋长")),
    Column("captain_phone", gettext_lazy("楼栋长电话")),
    Column("lon", gettext_lazy("经度")),
    Column("lat", gettext_lazy("纬度")),
)
ORGANISATION_COLUMNS: tuple[Column, ...] = (
    Column("name", gettext_lazy("单位名称"), required=True),
    Column("uscc", gettext_lazy("统一社会信用代码"), required=True),
    Column("org_type", gettext_lazy("单位类型"), required=True),
    Column("industry", gettext_lazy("所属行业")),
    Column("legal_representative", gettext_lazy("法定代表人")),
    Column("contact_name", gettext_lazy("联系人")),
    Column("contact_phone", gettext_lazy("联系电话")),
    Column("address", gettext_lazy("地址"), required=True),
    Column("grid", gettext_lazy("网格编码"), ("网格代码",), required=True),
    Column("building_code", gettext_lazy("楼栋编码")),
    Column("employees", gettext_lazy("从业人数")),
    Column("is_key_unit", gettext_lazy("重点单位")),
)


def _grids(actor: Any) -> dict[str, Region]:
    """The grids the actor may import into, by code."""
    grids = Region.objects.filter(level=Level.GRID).select_related("parent")
    paths = import_paths(actor)
    if paths is not None:
        grids = grids.filter(path_filter("path", paths))
    return {g.code: g for g in grids}


class BuildingImporter:
    columns: ClassVar[tuple[Column, ...]] = BUILDING_COLUMNS

    def __init__(self, actor: Any) -> None:
        self.book = CodeBook()
        self.labels = {c.key: str(c.label) for c in BUILDING_COLUMNS}
        self.grids = _grids(actor)
        self.existing = set(
            Building.objects.filter(estate__isnull=False).values_list("estate__community_id", "estate__name", "name")
        )
        self.seen: dict[tuple[int | None, str, str], int] = {}
        self.region_paths: set[str] = set()
        self.created: dict[str, int] = {"estates": 0, "buildings": 0}

    def check(self, rows: list[tuple[int, list[Any]]], positions: dict[str, int]) -> tuple[list[Any], list[RowError]]:
        good, errors = [], []
        year = timezone.localdate().year
        for number, row in rows:
            problems = RowProblems(number, self.labels)
            item = self._check_row(problems, Cells(row, positions), year)
            if problems.errors:
                errors += problems.errors
            else:
                good.append(item)
        return good, errors

    def _check_row(self, problems: RowProblems, cell: Cells, year: int) -> dict[str, Any]:
        check, labels = problems.check, self.labels
        grid = self.grids.get(cell.text("grid"))
        if grid is None:
            problems.add("grid", not_in_reach(_("该网格")))

        def text(key: str, length: int, required: bool = False) -> str:
            return check(
                key, parse_text, cell(key), field_name=key, label=labels[key], max_length=length, required=required,
                default="",
            )  # fmt: skip

        def number(key: str, low: int, high: int, required: bool = False) -> int | None:
            return check(
                key, parse_int, cell(key), field_name=key, label=labels[key], low=low, high=high, required=required
            )

        values: dict[str, Any] = {
            "name": text("building", 40, required=True),
            "address": text("address", 200, required=True),
            "floors_above": number("floors_above", 1, 200, required=True),
            "floors_below": number("floors_below", 0, 20) or 0,
            "built_year": number("built_year", 1800, year),
            "property_company": text("property_company", 100),
            "captain_name": text("captain_name", 40),
            "captain_phone": check(
                "captain_phone", check_phone, cell("captain_phone"), field="captain_phone", default=""
            ),
        }
        entrances = number("entrances", 1, 50, required=True)
        for key, list_name in (("use", CodeList.HOUSING_USE), ("structure", CodeList.BUILDING_STRUCTURE)):
            code = check(key, self.book.find, list_name, cell(key), field_name=key, label=labels[key])
            values[f"{key}_id"] = code.pk if code else None
        values["lon"], values["lat"] = check("lon", parse_lon_lat, cell("lon"), cell("lat"), default=(None, None))
        estate = text("estate", 100)
        if grid is not None and values["name"] and estate:
            same = (grid.parent_id, estate, values["name"])
            first = self.seen.setdefault(same, problems.row)
            if same in self.existing:
                problems.add("building", _("该小区已有同名楼栋。"))
            elif first != problems.row:
                problems.add("building", _("与第 %(row)s 行是同一楼栋。") % {"row": first})
        return {"grid": grid, "estate": estate, "entrances": entrances, "values": values}

    def write(self, batch: ImportBatch, good: list[dict[str, Any]]) -> None:
        """Estates that are new, then the buildings numbered on in their grids, then their entrances."""
        estates = {
            (e.community_id, e.name): e
            for e in Estate.objects.filter(community_id__in={item["grid"].parent_id for item in good})
        }
        sequences: dict[int, int] = {}
        rows = []
        for item in good:
            grid, estate = item["grid"], None
            if item["estate"]:
                estate = estates.get((grid.parent_id, item["estate"]))
                if estate is None:
                    estate = _new_estate(grid.parent, item["estate"])
                    estates[(grid.parent_id, item["estate"])] = estate
                    self.created["estates"] += 1
            if grid.pk not in sequences:
                last = Building.objects.filter(grid=grid).aggregate(m=Max("code"))["m"]
                sequences[grid.pk] = int(last[-4:]) if last else 0
            sequences[grid.pk] += 1
            rows.append((f"{grid.code}{sequences[grid.pk]:04d}", grid.pk, estate.pk if estate else None, item))
        ids = core_bulk.new_ids(Building, len(rows))
        names = tuple(good[0]["values"]) if good else ()
        bulk.insert(
            Building,
            ("id", "code", "grid_id", "estate_id", "import_batch_id", *names),
            ((pk, code, grid_id, estate_id, batch.pk, *item["values"].values())
             for pk, (code, grid_id, estate_id, item) in zip(ids, rows, strict=True)),
        )  # fmt: skip
        bulk.insert(
            Entrance,
            ("building_id", "number"),
            ((pk, str(n)) for pk, item in zip(ids, good, strict=True) for n in range(1, item["entrances"] + 1)),
        )
        self.created["buildings"] += len(rows)
        self.region_paths.update(item["grid"].path for item in good)


def _new_estate(community: Region, name: str) -> Estate:
    last = Estate.objects.filter(community=community).aggregate(m=Max("code"))["m"]
    return Estate.objects.create(code=f"{community.code}{(int(last[-3:]) if last else 0) + 1:03d}", name=name,
                                 community=community)  # fmt: skip


class OrganisationImporter:
    columns: ClassVar[tuple[Column, ...]] = ORGANISATION_COLUMNS

    def __init__(self, actor: Any) -> None:
        self.book = CodeBook()
        self.labels = {c.key: str(c.label) for c in ORGANISATION_COLUMNS}
        self.grids = _grids(actor)
        self.buildings = {
            b.code: b for b in Building.objects.filter(grid__in=list(self.grids.values())).only("id", "code", "grid_id")
        }
        self.registered = set(Organisation.objects.exclude(uscc="").values_list("uscc", flat=True))
        self.seen: dict[str, int] = {}
        self.region_paths: set[str] = set()
        self.created: dict[str, int] = {"organisations": 0}

    def check(self, rows: list[tuple[int, list[Any]]], positions: dict[str, int]) -> tuple[list[Any], list[RowError]]:
        good, errors = [], []
        for number, row in rows:
            problems = RowProblems(number, self.labels)
            item = self._check_row(problems, Cells(row, positions))
            if problems.errors:
                errors += problems.errors
            else:
                good.append(item)
        return good, errors

    def _check_row(self, problems: RowProblems, cell: Cells) -> dict[str, Any]:
        check, labels, book = problems.check, self.labels, self.book

        def text(key: str, length: int, required: bool = False) -> str:
            return check(
                key, parse_text, cell(key), field_name=key, label=labels[key], max_length=length, required=required,
                default="",
            )  # fmt: skip

        values: dict[str, Any] = {
            "name": text("name", 120, required=True),
            "address": text("address", 200, required=True),
            "legal_representative": text("legal_representative", 40),
            "contact_name": text("contact_name", 40),
            "contact_phone": check(
                "contact_phone", check_phone, cell("contact_phone"), field="contact_phone", default=""
            ),
            "employees": check(
                "employees",
                parse_int,
                cell("employees"),
                field_name="employees",
                label=labels["employees"],
                low=0,
                high=10**6,
            ),
            "is_key_unit": check(
                "is_key_unit",
                parse_bool,
                cell("is_key_unit"),
                field_name="is_key_unit",
                label=labels["is_key_unit"],
                default=False,
            ),
        }
        uscc = check("uscc", check_uscc, cell("uscc"), default="")
        if uscc:
            first = self.seen.setdefault(uscc, problems.row)
            if uscc in self.registered:
                problems.add("uscc", _("该统一社会信用代码已登记。"))
            elif first != problems.row:
                problems.add("uscc", _("与第 %(row)s 行是同一单位（统一社会信用代码相同）。") % {"row": first})
        values["uscc"] = uscc
        org_type = check(
            "org_type", book.find, CodeList.ORGANISATION_TYPE, cell("org_type"), field_name="org_type",
            label=labels["org_type"],
        )  # fmt: skip
        if org_type is None and not any(e.column == labels["org_type"] for e in problems.errors):
            problems.add("org_type", _("请填写单位类型。"))
        values["org_type_id"] = org_type.pk if org_type else None
        industry = check(
            "industry", book.find, CodeList.INDUSTRY, cell("industry"), field_name="industry", label=labels["industry"]
        )
        values["industry_id"] = industry.pk if industry else None
        grid = self.grids.get(cell.text("grid"))
        if grid is None:
            problems.add("grid", not_in_reach(_("该网格")))
        building = None
        code = cell.text("building_code")
        if code:
            building = self.buildings.get(code)
            if building is None:
                problems.add("building_code", not_in_reach(_("楼栋编码为“%(code)s”的楼栋") % {"code": code[:24]}))
            elif grid is not None and grid.grid_kind != GridKind.DEDICATED and building.grid_id != grid.pk:
                problems.add("grid", _("单位所在网格应为其楼栋所在的网格，或它的专属网格。"))
        values["grid_id"] = grid.pk if grid else None
        values["building_id"] = building.pk if building else None
        return {"values": values, "path": grid.path if grid else ""}

    def write(self, batch: ImportBatch, good: list[dict[str, Any]]) -> None:
        names = tuple(good[0]["values"]) if good else ()
        bulk.insert(Organisation, (*names, "import_batch_id"), ((*item["values"].values(), batch.pk) for item in good))
        self.created["organisations"] += len(good)
        self.region_paths.update(item["path"] for item in good)
