"""The four clears (四清): the rule set in `data/registry/four_clears.yaml`, turned into SQL.

Every check of the rule set becomes one 0/1 column per household, computed by one statement: residents are grouped
per household once (a single scan, whatever the number of checks about members), buildings' facilities once, and
the household rows joined to both. A household is clear on a clear when all its checks are 1; completeness of a
building, grid, community or street is the sum over its households, grouped in the same statement. So the district's
991 grids take one aggregate query (no Python loop over a million residents), and a household's file shows the very
same checks, one by one.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region
from civicgrid.registry import policy
from civicgrid.registry.choices import Clear, CodeList, HouseholdStatus, ResidenceStatus, ResidentStatus
from civicgrid.registry.models import Building, Code, Household, Resident

MEMBER_FIELDS = {
    "relation": ("relation_id", "fk", "与户主关系"),
    "id_number": ("id_number", "text", "身份证号码"),
    "phone": ("phone", "text", "联系电话"),
    "ethnicity": ("ethnicity_id", "fk", "民族"),
    "education": ("education_id", "fk", "学历"),
    "marital_status": ("marital_status_id", "fk", "婚姻状况"),
    "political_status": ("political_status_id", "fk", "政治面貌"),
    "registered_address": ("registered_address", "text", "户籍地址"),
    "occupation": ("occupation", "text", "职业"),
    "inflow_reason": ("inflow_reason_id", "fk", "流入原因"),
    "floating_since": ("floating_since", "date", "来本地日期"),
}
FLOATING_FIELDS = {k: MEMBER_FIELDS[k] for k in ("inflow_reason", "floating_since", "registered_address", "phone")}
HOUSEHOLD_FIELDS = {"housing_use": ("housing_use_id", "fk", "房屋用途"), "area_m2": ("area_m2", "fk", "建筑面积")}
BUILDING_FIELDS = {
    "captain_name": ("captain_name", "text", "楼栋长"),
    "captain_phone": ("captain_phone", "text", "楼栋长电话"),
    "property_company": ("property_company", "text", "物业服务企业"),
    "structure": ("structure_id", "fk", "建筑结构"),
    "use": ("use_id", "fk", "房屋用途"),
    "built_year": ("built_year", "fk", "建成年份"),
}
KINDS = {
    "has_members": set(),
    "has_head": set(),
    "members_have": {"fields"},
    "floating_members_have": {"fields"},
    "members_reviewed_within": {"months"},
    "household_has": {"fields"},
    "household_checked_within": {"months"},
    "building_has": {"fields"},
    "building_has_facilities": {"codes"},
    "building_checked_within": {"months"},
}
FIELDS_OF_KIND = {
    "members_have": MEMBER_FIELDS,
    "floating_members_have": FLOATING_FIELDS,
    "household_has": HOUSEHOLD_FIELDS,
    "building_has": BUILDING_FIELDS,
}
GROUPS = ("household", "building", "grid", "community", "street")


@dataclass(frozen=True)
class Check:
    kind: str
    fields: tuple[str, ...] = ()
    months: int = 0
    codes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        names = "、".join(_(FIELDS_OF_KIND[self.kind][f][2]) for f in self.fields) if self.fields else ""
        labels = {
            "has_members": _("户内有在册成员"),
            "has_head": _("登记了户主"),
            "members_have": _("每名成员都登记了%(names)s"),
            "floating_members_have": _("每名流动人口都登记了%(names)s"),
            "members_reviewed_within": _("每名成员的人员类别在 %(months)s 个月内核实过"),
            "household_has": _("登记了%(names)s"),
            "household_checked_within": _("%(months)s 个月内排查过隐患和矛盾纠纷"),
            "building_has": _("所在楼栋登记了%(names)s"),
            "building_has_facilities": _("所在楼栋配有%(codes)s"),
            "building_checked_within": _("所在楼栋的设施在 %(months)s 个月内核查过"),
        }
        return labels[self.kind] % {"names": names, "months": self.months, "codes": "、".join(self.code_names())}

    def code_names(self) -> list[str]:
        if not self.codes:
            return []
        names = dict(Code.objects.filter(list=CodeList.FACILITY, code__in=self.codes).values_list("code", "name"))
        return [names.get(c, c) for c in self.codes]


@dataclass(frozen=True)
class ClearRule:
    key: str
    label: str
    description: str
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def title(self) -> str:
        """The name in the user's language (the data file's words are in the registry's catalog)."""
        return _(self.label)

    @property
    def meaning(self) -> str:
        return _(self.description) if self.description else ""


class RulesRejected(ValueError):
    pass


def rules_path() -> Path:
    return Path(settings.DATA_DIR) / "registry" / "four_clears.yaml"


def parse_rules(document: Any) -> tuple[ClearRule, ...]:
    """The rule set, checked whole: an unknown check, field or a missing clear is an error naming it."""
    problems: list[str] = []
    clears = (document or {}).get("clears") if isinstance(document, dict) else None
    if not isinstance(clears, dict):
        raise RulesRejected("four_clears: a mapping 'clears' is required")
    result = []
    for key in Clear.values:
        spec = clears.get(key)
        if not isinstance(spec, dict) or not isinstance(spec.get("checks"), list) or not spec["checks"]:
            problems.append(f"{key}: checks are required")
            continue
        checks = []
        for number, item in enumerate(spec["checks"], 1):
            kind = item.get("check") if isinstance(item, dict) else None
            if kind not in KINDS:
                problems.append(f"{key} #{number}: unknown check {kind!r}")
                continue
            extra = set(item) - {"check"} - KINDS[kind]
            missing = KINDS[kind] - set(item)
            if extra or missing:
                problems.append(f"{key} #{number}: {kind} takes {sorted(KINDS[kind])}")
                continue
            fields = tuple(item.get("fields") or ())
            known = FIELDS_OF_KIND.get(kind, {})
            for name in fields:
                if name not in known:
                    problems.append(f"{key} #{number}: {kind} cannot check field {name!r}")
            months = item.get("months", 0)
            if "months" in item and not (isinstance(months, int) and 1 <= months <= 120):
                problems.append(f"{key} #{number}: months must be 1..120")
            codes = tuple(str(c) for c in item.get("codes") or ())
            checks.append(Check(kind=kind, fields=fields, months=months, codes=codes))
        result.append(
            ClearRule(
                key=key,
                label=str(spec.get("label") or Clear(key).label),
                description=str(spec.get("description") or ""),
                checks=tuple(checks),
            )
        )
    unknown = set(clears) - set(Clear.values)
    if unknown:
        problems.append(f"unknown clears {sorted(unknown)}")
    if problems:
        raise RulesRejected("; ".join(problems))
    return tuple(result)


@lru_cache(maxsize=1)
def rules() -> tuple[ClearRule, ...]:
    return parse_rules(yaml.safe_load(rules_path().read_text(encoding="utf-8")))


# ---------------------------------------------------------------- SQL


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (the last day of that month when it is shorter: 31 May -> 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError(day)


def _filled(alias: str, column: str, kind: str) -> str:
    return f"{alias}.{column} <> ''" if kind == "text" else f"{alias}.{column} IS NOT NULL"


class _Sql:
    """Builds the per-household statement for a rule set; `params` collects the values in order."""

    def __init__(self, rule_set: Sequence[ClearRule], today: date) -> None:
        self.rules = rule_set
        self.today = today
        self.member_columns: list[str] = []
        self.member_params: list[Any] = []
        self.household_columns: list[str] = []  # (expression) AS c<n>
        self.household_params: list[Any] = []
        self.facility_sets: dict[tuple[str, ...], str] = {}
        self.check_columns: list[list[str]] = []  # per clear, the names of its check columns
        head_ids = [c.pk for c in Code.objects.filter(list=CodeList.RELATION) if c.extra.get("head")]
        self.head_ids = head_ids or [0]
        number = 0
        for rule in rule_set:
            names = []
            for check in rule.checks:
                number += 1
                names.append(self._add(check, f"c{number}"))
            self.check_columns.append(names)

    def _cutoff(self, months: int) -> date:
        return months_before(self.today, months)

    def _member(self, name: str, condition: str, params: list[Any], how: str = "MIN") -> str:
        self.member_columns.append(f"{how}(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {name}")
        self.member_params.extend(params)
        # No members: "every member ..." holds (has_members says whether there are any); "some member" does not.
        default = 1 if how == "MIN" else 0
        self.household_columns.append(f"COALESCE(m.{name}, {default}) AS {name}")
        return name

    def _household(self, name: str, condition: str, params: list[Any]) -> str:
        self.household_columns.append(f"CASE WHEN {condition} THEN 1 ELSE 0 END AS {name}")
        self.household_params.extend(params)
        return name

    def _add(self, check: Check, name: str) -> str:
        kind = check.kind
        if kind == "has_members":
            self.household_columns.append(f"CASE WHEN COALESCE(m.n, 0) > 0 THEN 1 ELSE 0 END AS {name}")
            return name
        if kind == "has_head":
            marks = ", ".join(["%s"] * len(self.head_ids))
            return self._member(name, f"r.relation_id IN ({marks})", list(self.head_ids), how="MAX")
        if kind in ("members_have", "floating_members_have"):
            table = FIELDS_OF_KIND[kind]
            condition = " AND ".join(_filled("r", table[f][0], table[f][1]) for f in check.fields)
            if kind == "floating_members_have":
                return self._member(name, f"(r.residence_status <> %s OR ({condition}))", [ResidenceStatus.FLOATING])
            return self._member(name, condition, [])
        if kind == "members_reviewed_within":
            return self._member(name, "r.categories_reviewed_on >= %s", [self._cutoff(check.months)])
        if kind == "household_has":
            condition = " AND ".join(_filled("h", HOUSEHOLD_FIELDS[f][0], HOUSEHOLD_FIELDS[f][1]) for f in check.fields)
            return self._household(name, condition, [])
        if kind == "household_checked_within":
            return self._household(name, "h.risks_checked_on >= %s", [self._cutoff(check.months)])
        if kind == "building_has":
            condition = " AND ".join(_filled("b", BUILDING_FIELDS[f][0], BUILDING_FIELDS[f][1]) for f in check.fields)
            return self._household(name, condition, [])
        if kind == "building_checked_within":
            return self._household(name, "b.facilities_checked_on >= %s", [self._cutoff(check.months)])
        if kind == "building_has_facilities":
            alias = self.facility_sets.setdefault(check.codes, f"f{len(self.facility_sets) + 1}")
            return self._household(name, f"{alias}.building_id IS NOT NULL", [])
        raise AssertionError(kind)

    def statement(self, *, household_filter: str, household_params: list[Any], resident_filter: str,
                  resident_params: list[Any], building_filter: str = "1 = 1",
                  building_params: Sequence[Any] = ()) -> tuple[str, list[Any]]:  # fmt: skip
        """SELECT one row per household: id, building, grid, its check columns, then one column per clear. The
        filters narrow the households, their residents and the buildings whose facilities are looked at (on
        `bf.building_id`) to the same part of the district."""
        resident = Resident._meta.db_table
        household = Household._meta.db_table
        building = Building._meta.db_table
        through = Building.facilities.through._meta.db_table
        code = Code._meta.db_table
        params: list[Any] = []
        ctes = []
        member_sql = ", ".join(["COUNT(*) AS n", *self.member_columns])
        ctes.append(
            f"m AS (SELECT r.household_id, {member_sql} FROM {resident} r "
            f"WHERE r.status = %s AND r.household_id IS NOT NULL AND {resident_filter} GROUP BY r.household_id)"
        )
        params += [*self.member_params, ResidentStatus.ACTIVE, *resident_params]
        for codes, alias in self.facility_sets.items():
            marks = ", ".join(["%s"] * len(codes))
            ctes.append(
                f"{alias} AS (SELECT bf.building_id FROM {through} bf JOIN {code} c ON c.id = bf.code_id "
                f"WHERE c.list = %s AND c.code IN ({marks}) AND {building_filter} GROUP BY bf.building_id "
                f"HAVING COUNT(DISTINCT c.code) = %s)"
            )
            params += [CodeList.FACILITY, *codes, *building_params, len(set(codes))]
        clear_columns = [
            "CASE WHEN " + " AND ".join(f"{c} = 1" for c in names) + f" THEN 1 ELSE 0 END AS clear_{rule.key}"
            for rule, names in zip(self.rules, self.check_columns, strict=True)
        ]
        joins = " ".join(
            f"LEFT JOIN {alias} ON {alias}.building_id = h.building_id" for alias in self.facility_sets.values()
        )
        inner = (
            f"SELECT h.id AS household_id, h.building_id, h.grid_id, {', '.join(self.household_columns)} "
            f"FROM {household} h JOIN {building} b ON b.id = h.building_id "
            f"LEFT JOIN m ON m.household_id = h.id {joins} "
            f"WHERE h.status = %s AND {household_filter}"
        )
        params += [*self.household_params, HouseholdStatus.ACTIVE, *household_params]
        outer = f"SELECT t.*, {', '.join(clear_columns)} FROM ({inner}) t"
        return f"WITH {', '.join(ctes)} {outer}", params


def _grid_ids(actor: Any, within: Region | None) -> list[int] | None:
    """The grids the actor may read (inside `within`); None when that is every grid (no filter needed)."""
    if within is None:
        grids = policy.visible_grids(actor)
        return None if grids is None else list(grids.values_list("pk", flat=True))
    rows = policy.visible(actor, Region.objects.filter(level=Level.GRID, path__startswith=within.path))
    return list(rows.values_list("id", flat=True))


def _in(column: str, ids: list[int] | None) -> tuple[str, list[Any]]:
    if ids is None:
        return "1 = 1", []
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _run(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def household_clears(*, household: Household, today: date | None = None) -> list[dict[str, Any]]:
    """Each clear of one household (already read through a selector) with each of its checks: ok or not."""
    rule_set = rules()
    sql = _Sql(rule_set, today or timezone.localdate())
    statement, params = sql.statement(
        household_filter="h.id = %s", household_params=[household.pk],
        resident_filter="r.household_id = %s", resident_params=[household.pk],
        building_filter="bf.building_id = %s", building_params=[household.building_id],
    )  # fmt: skip
    rows = _run(statement, params)
    row = rows[0] if rows else None
    result = []
    for rule, names in zip(rule_set, sql.check_columns, strict=True):
        checks = [
            {"label": check.label, "ok": bool(row and row[name] == 1)}
            for check, name in zip(rule.checks, names, strict=True)
        ]
        result.append(
            {
                "key": rule.key,
                "label": rule.title,
                "description": rule.meaning,
                "ok": bool(row and row[f"clear_{rule.key}"] == 1),
                "checks": checks,
                "applies": row is not None,
            }
        )
    return result


def flags(*, household_ids: Sequence[int], today: date | None = None) -> dict[int, dict[str, bool]]:
    """Whether each of these households (read through a selector; in residence) is clear on each clear."""
    if not household_ids:
        return {}
    rule_set = rules()
    sql = _Sql(rule_set, today or timezone.localdate())
    marks = ", ".join(["%s"] * len(household_ids))
    statement, params = sql.statement(
        household_filter=f"h.id IN ({marks})", household_params=list(household_ids),
        resident_filter=f"r.household_id IN ({marks})", resident_params=list(household_ids),
        building_filter=f"bf.building_id IN (SELECT building_id FROM {Household._meta.db_table} WHERE id IN ({marks}))",
        building_params=list(household_ids),
    )  # fmt: skip
    return {
        row["household_id"]: {rule.key: row[f"clear_{rule.key}"] == 1 for rule in rule_set}
        for row in _run(statement, params)
    }


def _by_grids(
    sql: _Sql, grid_ids: list[int] | None, building_ids: Sequence[int] | None = None
) -> tuple[str, list[Any]]:
    """The per-household statement over these grids (None: all), or only these buildings of them."""
    household_filter, household_params = _in("h.grid_id", grid_ids)
    resident_filter, resident_params = _in("r.grid_id", grid_ids)
    building_filter, building_params = "1 = 1", list[Any]()
    if grid_ids is not None:
        in_grids, building_params = _in("grid_id", grid_ids)
        building_filter = f"bf.building_id IN (SELECT id FROM {Building._meta.db_table} WHERE {in_grids})"
    if building_ids is not None:
        in_buildings, ids = _in("h.building_id", list(building_ids))
        household_filter, household_params = f"{household_filter} AND {in_buildings}", household_params + ids
        building_filter, building_params = _in("bf.building_id", list(building_ids))
    return sql.statement(
        household_filter=household_filter, household_params=household_params,
        resident_filter=resident_filter, resident_params=resident_params,
        building_filter=building_filter, building_params=building_params,
    )  # fmt: skip


def incomplete(*, grid_ids: Sequence[int], today: date | None = None) -> list[int]:
    """The households in residence of these grids that are not clear on all four, in id order."""
    if not grid_ids:
        return []
    rule_set = rules()
    statement, params = _by_grids(_Sql(rule_set, today or timezone.localdate()), list(grid_ids))
    every = [f"clear_{rule.key}" for rule in rule_set]
    return sorted(row["household_id"] for row in _run(statement, params) if not all(row[c] == 1 for c in every))


GROUPS_BY = ("building", "grid", "community", "street")


def completeness(
    *, actor: Any, by: str, within: Region | None = None, building_ids: Sequence[int] | None = None,
    today: date | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Four-clears completeness of the actor's households, one row per building, grid, community or street.

    Each row: `id`, `households`, the number clear on each clear (`family`, `categories`, `facilities`, `risks`)
    and on all four (`complete`). Only households in residence count; buildings and grids without any are absent.
    The statement groups by building or grid only; communities and streets add up their grids' rows here (a join
    to the regions inside the statement lets a planner without statistics loop over regions for every household).
    """
    if by not in GROUPS_BY:
        raise ValueError(by)
    rule_set = rules()
    keys = [rule.key for rule in rule_set]
    sql = _Sql(rule_set, today or timezone.localdate())
    inner, params = _by_grids(sql, _grid_ids(actor, within), building_ids)
    sums = ", ".join(f"SUM(clear_{key}) AS {key}" for key in keys)
    every = " * ".join(f"clear_{key}" for key in keys)
    column = "t.building_id" if by == "building" else "t.grid_id"
    # The WITH clause must come first: move it out of the derived table.
    head, _sep, body = inner.partition(" SELECT t.*")
    statement = (
        f"{head} SELECT {column} AS id, COUNT(*) AS households, {sums}, SUM({every}) AS complete "
        f"FROM (SELECT t.*{body}) t GROUP BY {column} ORDER BY {column}"
    )
    rows = _run(statement, params)
    for row in rows:
        for name in (*keys, "complete", "households"):
            row[name] = int(row[name] or 0)
    if by in ("building", "grid"):
        return rows
    grids = Region.objects.filter(level=Level.GRID, pk__in=[row["id"] for row in rows])
    parent_of: dict[int, int] = {pk: int(parent) for pk, parent in grids.values_list("pk", "parent_id")}
    if by == "street":
        communities = Region.objects.filter(pk__in=set(parent_of.values())).values_list("pk", "parent_id")
        street_of = {pk: int(parent) for pk, parent in communities}
        parent_of = {grid: street_of[community] for grid, community in parent_of.items()}
    totals: dict[int, dict[str, Any]] = {}
    for row in rows:
        key = parent_of[row["id"]]
        total = totals.setdefault(key, {"id": key, **dict.fromkeys((*keys, "complete", "households"), 0)})
        for name in (*keys, "complete", "households"):
            total[name] += row[name]
    return [totals[key] for key in sorted(totals)]


def rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0
