"""Ledgers (台账): named views over the one set of base records, defined in `data/registry/ledgers.yaml`.

A ledger is a filter and a list of columns over residents, households, buildings or organisations. The column
catalogue below says what each column name shows and whether it is personal data (masked unless unmasking was
allowed and asked for). The same definitions serve the page, the API and the Excel export, and the population
ledger's columns are what the import reads back.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core.identity import age
from civicgrid.core.masking import mask_id_number, mask_phone
from civicgrid.registry.choices import (
    RESIDENT_TAG_LISTS,
    CodeList,
    HouseholdStatus,
    HousingStatus,
    OrganisationStatus,
    ResidenceStatus,
    ResidentStatus,
    Sex,
)
from civicgrid.registry.models import Building, Code, Entrance, Household, Organisation, Resident, ResidentTag

KINDS = ("residents", "households", "buildings", "organisations")
MODELS: dict[str, type[Any]] = {
    "residents": Resident,
    "households": Household,
    "buildings": Building,
    "organisations": Organisation,
}
MAX_EXPORT_ROWS = 200_000  # an Excel sheet a community office can open; beyond it, export a street or community


@dataclass
class Context:
    """What a row needs beyond itself: masking, the codes, each resident's tags, key-person visibility."""

    unmasked: bool
    codes: dict[int, Code]
    today: date
    key_person_paths: tuple[str, ...] | None
    tags: dict[int, list[int]] = field(default_factory=dict)

    def code_name(self, pk: int | None) -> str:
        return self.codes[pk].name if pk and pk in self.codes else ""

    def sees_key_persons(self, path: str) -> bool:
        paths = self.key_person_paths
        return paths is None or any(path.startswith(p) for p in paths)


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # lazy translation
    get: Callable[[Any, Context], Any]
    personal: str = ""  # "id_number" or "phone": masked unless unmasked
    width: int = 14


def _tags(obj: Resident, ctx: Context, list_name: str) -> str:
    names = [ctx.codes[c].name for c in ctx.tags.get(obj.pk, []) if c in ctx.codes and ctx.codes[c].list == list_name]
    return "、".join(names)


def _household_part(obj: Resident, getter: Callable[[Household], Any]) -> Any:
    return getter(obj.household) if obj.household_id and obj.household else ""


def _yes(value: bool) -> str:
    return str(_("是")) if value else str(_("否"))


def _estate_name(building: Building) -> str:
    return building.estate.name if building.estate_id and building.estate else ""


# Every kind of record is filed in a grid of a community: the last two columns of most ledgers.
GRID = Column("grid", gettext_lazy("网格"), lambda o, c: o.grid.name, width=16)
COMMUNITY = Column(
    "community", gettext_lazy("社区"), lambda o, c: o.grid.parent.name if o.grid.parent_id else "", width=14
)


RESIDENT_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        Column("name", gettext_lazy("姓名"), lambda o, c: o.name, width=10),
        Column("sex", gettext_lazy("性别"), lambda o, c: Sex(o.sex).label if o.sex else "", width=6),
        Column("birth_date", gettext_lazy("出生日期"), lambda o, c: o.birth_date, width=12),
        Column("age", gettext_lazy("年龄"), lambda o, c: age(o.birth_date, c.today), width=6),
        Column("id_number", gettext_lazy("身份证号"), lambda o, c: o.id_number, personal="id_number", width=21),
        Column("ethnicity", gettext_lazy("民族"), lambda o, c: c.code_name(o.ethnicity_id), width=8),
        Column("phone", gettext_lazy("联系电话"), lambda o, c: o.phone, personal="phone", width=14),
        Column("residence_status", gettext_lazy("人口类型"), lambda o, c: ResidenceStatus(o.residence_status).label),
        Column("address", gettext_lazy("现住址"), lambda o, c: _household_part(o, lambda h: h.address), width=40),
        Column("estate", gettext_lazy("小区"), lambda o, c: _household_part(o, lambda h: _estate_name(h.building))),
        Column("building", gettext_lazy("楼栋"), lambda o, c: _household_part(o, lambda h: h.building.name), width=8),
        Column("building_code", gettext_lazy("楼栋编码"), lambda o, c: _household_part(o, lambda h: h.building.code),
               width=20),
        Column("entrance", gettext_lazy("单元"), lambda o, c: _household_part(o, lambda h: h.entrance.number), width=6),
        Column("room", gettext_lazy("房号"), lambda o, c: _household_part(o, lambda h: h.room), width=8),
        Column("floor", gettext_lazy("楼层"), lambda o, c: _household_part(o, lambda h: h.floor), width=6),
        Column("housing_status", gettext_lazy("住房性质"),
               lambda o, c: _household_part(o, lambda h: HousingStatus(h.housing_status).label), width=8),
        Column("relation", gettext_lazy("与户主关系"), lambda o, c: c.code_name(o.relation_id), width=10),
        Column("categories", gettext_lazy("人员类别"), lambda o, c: _tags(o, c, CodeList.PERSON_CATEGORY), width=20),
        Column("care_tags", gettext_lazy("关爱标签"), lambda o, c: _tags(o, c, CodeList.CARE_TAG), width=20),
        Column("education", gettext_lazy("学历"), lambda o, c: c.code_name(o.education_id), width=10),
        Column("marital_status", gettext_lazy("婚姻状况"), lambda o, c: c.code_name(o.marital_status_id), width=10),
        Column("political_status", gettext_lazy("政治面貌"), lambda o, c: c.code_name(o.political_status_id), width=10),
        Column("registered_address", gettext_lazy("户籍地址"), lambda o, c: o.registered_address, width=30),
        Column("native_place", gettext_lazy("籍贯"), lambda o, c: o.native_place),
        Column("occupation", gettext_lazy("职业"), lambda o, c: o.occupation),
        Column("workplace", gettext_lazy("服务处所"), lambda o, c: o.workplace, width=20),
        Column("inflow_reason", gettext_lazy("流入原因"), lambda o, c: c.code_name(o.inflow_reason_id), width=10),
        Column("floating_since", gettext_lazy("来本地日期"), lambda o, c: o.floating_since, width=12),
        Column("categories_reviewed_on", gettext_lazy("类别核实日期"), lambda o, c: o.categories_reviewed_on, width=12),
        Column(
            "key_person_type",
            gettext_lazy("重点人员类别"),
            lambda o, c: c.code_name(o.key_person_type_id) if c.sees_key_persons(o.grid.path) else "",
        ),
        GRID,
        COMMUNITY,
        Column("notes", gettext_lazy("备注"), lambda o, c: o.notes, width=20),
    )
}  # fmt: skip

HOUSEHOLD_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        Column("address", gettext_lazy("地址"), lambda o, c: o.address, width=40),
        Column("estate", gettext_lazy("小区"), lambda o, c: _estate_name(o.building)),
        Column("building", gettext_lazy("楼栋"), lambda o, c: o.building.name, width=8),
        Column("entrance", gettext_lazy("单元"), lambda o, c: o.entrance.number, width=6),
        Column("floor", gettext_lazy("楼层"), lambda o, c: o.floor, width=6),
        Column("room", gettext_lazy("房号"), lambda o, c: o.room, width=8),
        Column("housing_status", gettext_lazy("住房性质"), lambda o, c: HousingStatus(o.housing_status).label, width=8),
        Column("housing_use", gettext_lazy("房屋用途"), lambda o, c: c.code_name(o.housing_use_id), width=10),
        Column("area_m2", gettext_lazy("建筑面积"), lambda o, c: o.area_m2, width=10),
        Column("head", gettext_lazy("户主"), lambda o, c: o.head_name or "", width=10),
        Column("members", gettext_lazy("成员数"), lambda o, c: o.member_count, width=8),
        Column("risks_checked_on", gettext_lazy("隐患排查日期"), lambda o, c: o.risks_checked_on, width=12),
        Column("status", gettext_lazy("状态"), lambda o, c: HouseholdStatus(o.status).label, width=8),
        GRID,
        COMMUNITY,
    )
}  # fmt: skip

BUILDING_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        Column("building_code", gettext_lazy("楼栋编码"), lambda o, c: o.code, width=20),
        Column("estate", gettext_lazy("小区"), lambda o, c: _estate_name(o)),
        Column("building", gettext_lazy("楼栋"), lambda o, c: o.name, width=8),
        Column("address", gettext_lazy("地址"), lambda o, c: o.address, width=30),
        Column("floors_above", gettext_lazy("地上层数"), lambda o, c: o.floors_above, width=8),
        Column("floors_below", gettext_lazy("地下层数"), lambda o, c: o.floors_below, width=8),
        Column("entrances", gettext_lazy("单元数"), lambda o, c: o.entrance_count, width=8),
        Column("households", gettext_lazy("户数"), lambda o, c: o.household_count, width=8),
        Column("residents", gettext_lazy("人数"), lambda o, c: o.resident_count, width=8),
        Column("use", gettext_lazy("房屋用途"), lambda o, c: c.code_name(o.use_id), width=10),
        Column("structure", gettext_lazy("建筑结构"), lambda o, c: c.code_name(o.structure_id)),
        Column("built_year", gettext_lazy("建成年份"), lambda o, c: o.built_year, width=8),
        Column("property_company", gettext_lazy("物业服务企业"), lambda o, c: o.property_company, width=20),
        Column("captain_name", gettext_lazy("楼栋长"), lambda o, c: o.captain_name, width=10),
        Column("captain_phone", gettext_lazy("楼栋长电话"), lambda o, c: o.captain_phone, personal="phone"),
        Column("facilities", gettext_lazy("设施"), lambda o, c: "、".join(f.name for f in o.facilities.all()),
               width=24),
        Column("facilities_checked_on", gettext_lazy("设施核查日期"), lambda o, c: o.facilities_checked_on, width=12),
        GRID,
        COMMUNITY,
    )
}  # fmt: skip

ORGANISATION_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        Column("name", gettext_lazy("单位名称"), lambda o, c: o.name, width=30),
        Column("uscc", gettext_lazy("统一社会信用代码"), lambda o, c: o.uscc, width=21),
        Column("org_type", gettext_lazy("单位类型"), lambda o, c: c.code_name(o.org_type_id), width=12),
        Column("industry", gettext_lazy("所属行业"), lambda o, c: c.code_name(o.industry_id), width=20),
        Column("legal_representative", gettext_lazy("法定代表人"), lambda o, c: o.legal_representative, width=10),
        Column("contact_name", gettext_lazy("联系人"), lambda o, c: o.contact_name, width=10),
        Column("contact_phone", gettext_lazy("联系电话"), lambda o, c: o.contact_phone, personal="phone"),
        Column("address", gettext_lazy("地址"), lambda o, c: o.address, width=30),
        Column("employees", gettext_lazy("从业人数"), lambda o, c: o.employees, width=8),
        Column("status", gettext_lazy("经营状态"), lambda o, c: OrganisationStatus(o.status).label, width=8),
        Column("is_key_unit", gettext_lazy("重点单位"), lambda o, c: _yes(o.is_key_unit), width=8),
        Column("dedicated_grid", gettext_lazy("专属网格"), lambda o, c: _yes(o.in_dedicated_grid), width=8),
        Column("risks_checked_on", gettext_lazy("隐患排查日期"), lambda o, c: o.risks_checked_on, width=12),
        GRID,
        COMMUNITY,
    )
}  # fmt: skip

COLUMNS = {
    "residents": RESIDENT_COLUMNS,
    "households": HOUSEHOLD_COLUMNS,
    "buildings": BUILDING_COLUMNS,
    "organisations": ORGANISATION_COLUMNS,
}
FILTERS = {
    "residents": {"status", "residence_status", "tags", "tags_any", "is_key_person", "min_age", "max_age", "sex"},
    "households": {"status", "housing_status"},
    "buildings": {"use"},
    "organisations": {"status", "org_type", "is_key_unit"},
}
RESTRICTIONS = ("key_persons",)


@dataclass(frozen=True)
class Ledger:
    key: str
    name: str
    of: str
    filters: dict[str, Any]
    columns: tuple[str, ...]
    restricted: str = ""

    @property
    def title(self) -> str:
        """The name in the user's language (the data file's names are in the registry's catalog)."""
        return _(self.name)

    @property
    def column_defs(self) -> list[Column]:
        return [COLUMNS[self.of][key] for key in self.columns]

    @property
    def model(self) -> type[Any]:
        return MODELS[self.of]

    @property
    def personal_fields(self) -> list[str]:
        return [c.key for c in self.column_defs if c.personal]


class LedgersRejected(ValueError):
    pass


def ledgers_path() -> Path:
    return Path(settings.DATA_DIR) / "registry" / "ledgers.yaml"


def parse_ledgers(document: Any) -> dict[str, Ledger]:
    """The ledger definitions, checked whole. A ledger that shows or filters key persons must be restricted."""
    items = document.get("ledgers") if isinstance(document, dict) else None
    if not isinstance(items, list) or not items:
        raise LedgersRejected("ledgers: a list 'ledgers' is required")
    problems: list[str] = []
    result: dict[str, Ledger] = {}
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            problems.append(f"#{number}: not a mapping")
            continue
        key = str(item.get("key") or "")
        where = f"{key or '#' + str(number)}"
        of = item.get("of")
        if not key.replace("_", "").isalnum() or key in result:
            problems.append(f"{where}: key missing, not a word or repeated")
        if of not in KINDS:
            problems.append(f"{where}: of must be one of {KINDS}")
            continue
        filters = item.get("filters") or {}
        columns = tuple(item.get("columns") or ())
        unknown_filters = set(filters) - FILTERS[of]
        unknown_columns = [c for c in columns if c not in COLUMNS[of]]
        if unknown_filters:
            problems.append(f"{where}: unknown filters {sorted(unknown_filters)}")
        if unknown_columns or not columns:
            problems.append(f"{where}: unknown or no columns {unknown_columns}")
        restricted = str(item.get("restricted") or "")
        if restricted and restricted not in RESTRICTIONS:
            problems.append(f"{where}: restricted must be one of {RESTRICTIONS}")
        if ("is_key_person" in filters or "key_person_type" in columns) and restricted != "key_persons":
            problems.append(f"{where}: a ledger of key persons must be restricted: key_persons")
        if not item.get("name"):
            problems.append(f"{where}: name is required")
        result[key] = Ledger(
            key=key, name=str(item.get("name") or key), of=of, filters=dict(filters), columns=columns,
            restricted=restricted,
        )  # fmt: skip
    if problems:
        raise LedgersRejected("; ".join(problems))
    return result


@lru_cache(maxsize=1)
def definitions() -> dict[str, Ledger]:
    return parse_ledgers(yaml.safe_load(ledgers_path().read_text(encoding="utf-8")))


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def apply_filters(ledger: Ledger, queryset: QuerySet[Any], today: date) -> QuerySet[Any]:
    filters = ledger.filters
    if ledger.of == "residents":
        if "status" in filters:
            queryset = queryset.filter(status__in=_as_list(filters["status"]))
        if "residence_status" in filters:
            queryset = queryset.filter(residence_status__in=_as_list(filters["residence_status"]))
        if "sex" in filters:
            queryset = queryset.filter(sex__in=_as_list(filters["sex"]))
        if "is_key_person" in filters:
            queryset = queryset.filter(is_key_person=bool(filters["is_key_person"]))
        for tag in _as_list(filters.get("tags") or []):
            queryset = queryset.filter(
                Exists(
                    ResidentTag.objects.filter(
                        resident=OuterRef("pk"), code__list__in=RESIDENT_TAG_LISTS, code__code=tag
                    )
                )
            )
        if filters.get("tags_any"):
            queryset = queryset.filter(
                Exists(
                    ResidentTag.objects.filter(
                        resident=OuterRef("pk"),
                        code__list__in=RESIDENT_TAG_LISTS,
                        code__code__in=_as_list(filters["tags_any"]),
                    )
                )
            )
        if filters.get("min_age") is not None:
            queryset = queryset.filter(birth_date__lte=_years_ago(today, int(filters["min_age"])))
        if filters.get("max_age") is not None:
            queryset = queryset.filter(birth_date__gt=_years_ago(today, int(filters["max_age"]) + 1))
    elif ledger.of == "households":
        if "status" in filters:
            queryset = queryset.filter(status__in=_as_list(filters["status"]))
        if "housing_status" in filters:
            queryset = queryset.filter(housing_status__in=_as_list(filters["housing_status"]))
    elif ledger.of == "buildings":
        if "use" in filters:
            queryset = queryset.filter(use__list=CodeList.HOUSING_USE, use__code__in=_as_list(filters["use"]))
    elif ledger.of == "organisations":
        if "status" in filters:
            queryset = queryset.filter(status__in=_as_list(filters["status"]))
        if "org_type" in filters:
            queryset = queryset.filter(org_type__code__in=_as_list(filters["org_type"]))
        if "is_key_unit" in filters:
            queryset = queryset.filter(is_key_unit=bool(filters["is_key_unit"]))
    return queryset


def shape(ledger: Ledger, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The joins and counts a ledger's columns need, and a stable order."""
    if ledger.of == "residents":
        return queryset.select_related("grid__parent", "household__building__estate", "household__entrance").order_by(
            "grid__code", "household__building__code", "household__entrance__number", "household__room", "id"
        )
    if ledger.of == "households":
        heads = [c.pk for c in Code.objects.filter(list=CodeList.RELATION) if c.extra.get("head")]
        members = Resident.objects.filter(household=OuterRef("pk"), status=ResidentStatus.ACTIVE)
        return (
            queryset.select_related("grid__parent", "building__estate", "entrance")
            .annotate(
                head_name=Subquery(members.filter(relation__in=heads).values("name")[:1]),
                member_count=Subquery(members.order_by().values("household").annotate(n=Count("id")).values("n")[:1]),
            )
            .order_by("grid__code", "building__code", "entrance__number", "room")
        )
    if ledger.of == "buildings":
        return (
            queryset.select_related("grid__parent", "estate")
            .prefetch_related("facilities")
            .annotate(
                entrance_count=Subquery(
                    Entrance.objects.filter(building=OuterRef("pk")).order_by().values("building")
                    .annotate(n=Count("id")).values("n")[:1]
                ),
                household_count=Subquery(
                    Household.objects.filter(building=OuterRef("pk"), status=HouseholdStatus.ACTIVE).order_by()
                    .values("building").annotate(n=Count("id")).values("n")[:1]
                ),
                resident_count=Subquery(
                    Resident.objects.filter(household__building=OuterRef("pk"), status=ResidentStatus.ACTIVE)
                    .order_by().values("household__building").annotate(n=Count("id")).values("n")[:1]
                ),
            )
            .order_by("grid__code", "code")
        )  # fmt: skip
    return queryset.select_related("grid__parent").order_by("grid__code", "name", "id")


def rows(ledger: Ledger, objects: list[Any], ctx: Context) -> Iterator[list[Any]]:
    """Each object's cells, with personal data masked unless the context says otherwise."""
    if ledger.of == "residents":
        ids = [o.pk for o in objects]
        ctx.tags = {}
        for resident_id, code_id in ResidentTag.objects.filter(resident_id__in=ids).values_list(
            "resident_id", "code_id"
        ):
            ctx.tags.setdefault(resident_id, []).append(code_id)
    columns = ledger.column_defs
    for obj in objects:
        cells = []
        for column in columns:
            value = column.get(obj, ctx)
            if column.personal and not ctx.unmasked and value:
                value = mask_id_number(str(value)) if column.personal == "id_number" else mask_phone(str(value))
            cells.append(str(value) if hasattr(value, "_proxy____cast") else value)
        yield cells


def context(*, unmasked: bool, key_person_paths: tuple[str, ...] | None) -> Context:
    return Context(
        unmasked=unmasked,
        codes={c.pk: c for c in Code.objects.all()},
        today=timezone.localdate(),
        key_person_paths=key_person_paths,
    )
