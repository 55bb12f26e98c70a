"""The service catalogue: load it from YAML or Excel (every row checked first, all or nothing), export it to Excel,
and let an administrator adjust an item (audited).

Both formats become the same document (groups, shared materials, categories with items) before one validator reads
it, so a district's Excel sheet and the shipped YAML obey exactly the same rules (docs/hall.md lists them).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from civicgrid.core import audit
from civicgrid.core.errors import ValidationError
from civicgrid.hall import selectors
from civicgrid.hall.choices import Applicant, Mode
from civicgrid.hall.models import Material, ServiceCategory, ServiceGroup, ServiceItem
from civicgrid.people.permissions import require_administrator_or_system

ITEM_KEYS = frozenset(
    {
        "code",
        "name",
        "mode",
        "days",
        "department",
        "group",
        "applicants",
        "bookable",
        "active",
        "description",
        "materials",
    }
)
MATERIAL_KEYS = frozenset({"ref", "name", "copies", "source", "required"})
CATEGORY_KEYS = frozenset({"code", "name", "group", "department", "items"})
MAX_FORWARDED_DAYS = 180

# Excel: one sheet per part; the header row names the columns (Chinese as offices write them, or the YAML keys).
SHEETS = {
    "groups": ("分组", "groups"),
    "categories": ("类别", "categories"),
    "items": ("事项", "items"),
    "materials": ("材料", "materials"),
}
COLUMNS = {
    "groups": {"字母": "code", "名称": "name"},
    "categories": {"代码": "code", "名称": "name", "分组": "group", "部门": "department"},
    "items": {
        "类别代码": "category",
        "事项编码": "code",
        "事项名称": "name",
        "办理方式": "mode",
        "承诺时限": "days",
        "部门": "department",
        "分组": "group",
        "申请人": "applicants",
        "可预约": "bookable",
        "启用": "active",
        "说明": "description",
    },
    "materials": {"事项编码": "item", "材料名称": "name", "份数": "copies", "获取途径": "source", "必须": "required"},
}
MODE_WORDS = {
    "即办": Mode.ON_THE_SPOT,
    "立等可取": Mode.ON_THE_SPOT,
    "收受分离": Mode.FORWARDED,
    "转办": Mode.FORWARDED,
}
APPLICANT_WORDS = {"本人": Applicant.RESIDENT, "代办": Applicant.PROXY}
TRUE_WORDS = {"是", "true", "yes", "y", "1", "√"}
FALSE_WORDS = {"否", "false", "no", "n", "0", "×", ""}


class CatalogueRejected(ValidationError):
    """A catalogue file with at least one bad row: nothing was loaded; `rows` lists every problem."""

    def __init__(self, rows: list[str]) -> None:
        super().__init__(_("事项清单文件有 %(n)s 处错误，未导入任何内容。") % {"n": len(rows)})
        self.rows = rows


@dataclass
class Checked:
    groups: list[dict[str, Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)  # each with "category" and resolved "materials"


def known_departments() -> set[str]:
    rows = yaml.safe_load((Path(settings.DATA_DIR) / "departments.yaml").read_text(encoding="utf-8")) or []
    return {str(row["key"]) for row in rows}


# ---------------------------------------------------------------- reading files


def read_document(path: Path) -> dict[str, Any]:
    """The catalogue document from a .yaml/.yml or .xlsx file."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise CatalogueRejected([_("无法读取文件：%(error)s") % {"error": error}]) from error
        if not isinstance(document, dict):
            raise CatalogueRejected([_("文件应包含 groups、materials 和 categories 三部分。")])
        return document
    if suffix == ".xlsx":
        try:
            return read_workbook(path.read_bytes())
        except CatalogueRejected:
            raise
        except Exception as error:  # openpyxl raises many kinds on a damaged or foreign file
            raise CatalogueRejected([_("无法读取 Excel 文件：%(error)s") % {"error": type(error).__name__}]) from error
    raise CatalogueRejected([_("只能导入 .yaml、.yml 或 .xlsx 文件。")])


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _sheet_rows(workbook: Any, part: str, problems: list[str]) -> list[tuple[int, dict[str, Any]]]:
    names = SHEETS[part]
    sheet = next((workbook[name] for name in names if name in workbook.sheetnames), None)
    if sheet is None:
        problems.append(_("缺少“%(sheet)s”工作表。") % {"sheet": names[0]})
        return []
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    columns = COLUMNS[part]
    keys = [columns.get(str(h).strip(), str(h).strip()) if h is not None else "" for h in header]
    wanted = set(columns.values())
    unknown = [str(h) for h, k in zip(header, keys, strict=False) if h is not None and k not in wanted]
    if unknown:
        problems.append(
            _("“%(sheet)s”工作表有不认识的列：%(cols)s。") % {"sheet": names[0], "cols": "、".join(unknown)}
        )
    result = []
    for number, values in enumerate(rows, start=2):
        row = {k: _cell(v) for k, v in zip(keys, values, strict=False) if k}
        if all(v in (None, "") for v in row.values()):
            continue
        result.append((number, row))
    return result


def _words(value: Any, mapping: Mapping[str, str]) -> Any:
    if isinstance(value, str) and value in mapping:
        return mapping[value]
    return value


def _flag(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return value  # left as it is: the validator names it


def read_workbook(data: bytes) -> dict[str, Any]:
    """An Excel catalogue as the same document the YAML gives (no shared materials: every row is written out)."""
    workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
    problems: list[str] = []
    groups = [
        {**row, "_where": _("“分组”表第 %(n)s 行") % {"n": n}} for n, row in _sheet_rows(workbook, "groups", problems)
    ]
    categories: dict[str, dict[str, Any]] = {}
    for n, row in _sheet_rows(workbook, "categories", problems):
        code = str(row.get("code") or "").zfill(2) if row.get("code") is not None else ""
        categories[code] = {**row, "code": code, "items": [], "_where": _("“类别”表第 %(n)s 行") % {"n": n}}
    materials: dict[str, list[dict[str, Any]]] = {}
    for n, row in _sheet_rows(workbook, "materials", problems):
        item = str(row.pop("item", "") or "")
        row["required"] = _flag(row.get("required", True)) if row.get("required") is not None else True
        materials.setdefault(item, []).append({**row, "_where": _("“材料”表第 %(n)s 行") % {"n": n}})
    for n, row in _sheet_rows(workbook, "items", problems):
        where = _("“事项”表第 %(n)s 行") % {"n": n}
        category = str(row.pop("category", "") or "")
        category = category.zfill(2) if category.isdigit() else category
        code = str(row.get("code") or "")
        if isinstance(row.get("applicants"), str):
            parts = [p for p in re.split(r"[,，、\s]+", row["applicants"]) if p]
            row["applicants"] = [APPLICANT_WORDS.get(p, p) for p in parts]
        row["mode"] = _words(row.get("mode"), MODE_WORDS)
        for key in ("bookable", "active"):
            if key in row:
                row[key] = _flag(row[key])
            if row.get(key) is None:
                row.pop(key, None)
        for key in ("department", "group", "description"):
            if row.get(key) in (None, ""):
                row.pop(key, None)
        row["materials"] = materials.pop(code, [])
        row["_where"] = where
        if category not in categories:
            problems.append(_("%(where)s：类别代码 %(code)s 不在“类别”表中。") % {"where": where, "code": category})
            continue
        categories[category]["items"].append(row)
    for orphan, rows in materials.items():
        problems.append(
            _("%(where)s：事项编码 %(code)s 不在“事项”表中。") % {"where": rows[0]["_where"], "code": orphan or "?"}
        )
    # what the sheets' layout got wrong is reported together with the rows' own problems
    return {"groups": groups, "materials": {}, "categories": list(categories.values()), "_read_problems": problems}


# ---------------------------------------------------------------- checking


def _text(value: Any, limit: int) -> str | None:
    """A non-empty string of at most `limit` characters, or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        return None
    return value.strip()


def _material(
    entry: Any, library: dict[str, Any], where: str, problems: list[str], position: int
) -> dict[str, Any] | None:
    label = _("%(where)s 第 %(n)s 项材料") % {"where": where, "n": position}
    if isinstance(entry, str):
        if entry not in library:
            problems.append(_("%(label)s：没有名为 %(key)s 的共用材料。") % {"label": label, "key": entry})
            return None
        entry = {"ref": entry}
    if not isinstance(entry, dict):
        problems.append(_("%(label)s：应为共用材料的名字或 {name, copies, source}。") % {"label": label})
        return None
    label = entry.get("_where", label)
    unknown = sorted(str(k) for k in set(entry) - MATERIAL_KEYS - {"_where"})
    if unknown:
        problems.append(_("%(label)s：不认识的字段 %(keys)s。") % {"label": label, "keys": "、".join(unknown)})
    base: dict[str, Any] = {}
    if "ref" in entry:
        if entry["ref"] not in library:
            problems.append(_("%(label)s：没有名为 %(key)s 的共用材料。") % {"label": label, "key": entry["ref"]})
            return None
        base = dict(library[entry["ref"]])
    merged = {**base, **{k: v for k, v in entry.items() if k not in ("ref", "_where")}}
    name, source = _text(merged.get("name"), 80), _text(merged.get("source"), 200)
    copies = merged.get("copies") or ""
    if name is None:
        problems.append(_("%(label)s：材料名称必填，不超过 80 字。") % {"label": label})
    if source is None:
        problems.append(
            _("%(label)s：获取途径必填，不超过 200 字（一次性告知单上要告诉居民去哪里办）。") % {"label": label}
        )
    if not isinstance(copies, str | int) or len(str(copies)) > 40:
        problems.append(_("%(label)s：份数要求不超过 40 字。") % {"label": label})
    required = merged.get("required", True)
    if not isinstance(required, bool):
        problems.append(_("%(label)s：required 应为 true 或 false。") % {"label": label})
    if name is None or source is None:
        return None
    return {"name": name, "copies": str(copies).strip(), "source_note": source, "required": required is not False}


def check_document(document: dict[str, Any]) -> Checked:
    """Every problem of the document at once, or the checked rows ready to load."""
    problems: list[str] = list(document.get("_read_problems") or [])
    unknown_parts = sorted(str(k) for k in set(document) - {"groups", "materials", "categories", "_read_problems"})
    if unknown_parts:
        problems.append(_("文件有不认识的部分：%(keys)s。") % {"keys": "、".join(unknown_parts)})
    departments = known_departments()
    checked = Checked()

    groups = document.get("groups") or []
    group_codes: set[str] = set()
    if not isinstance(groups, list) or not groups:
        problems.append(_("groups 应列出至少一个业务分组。"))
        groups = []
    for position, group in enumerate(groups, start=1):
        where = group.get("_where") if isinstance(group, dict) else None
        where = where or _("第 %(n)s 个业务分组") % {"n": position}
        if not isinstance(group, dict):
            problems.append(_("%(where)s：应为 {code, name}。") % {"where": where})
            continue
        code, name = str(group.get("code") or ""), _text(group.get("name"), 40)
        if not re.fullmatch(r"[A-Z]", code):
            problems.append(_("%(where)s：分组字母应为一个大写字母 A-Z（取号前缀）。") % {"where": where})
        elif code in group_codes:
            problems.append(_("%(where)s：分组字母 %(code)s 重复。") % {"where": where, "code": code})
        if name is None:
            problems.append(_("%(where)s：分组名称必填，不超过 40 字。") % {"where": where})
        group_codes.add(code)
        checked.groups.append({"code": code, "name": name, "sort": position})

    library = document.get("materials") or {}
    if not isinstance(library, dict):
        problems.append(_("materials 应为“名字: {name, copies, source}”的共用材料表。"))
        library = {}
    for key, entry in library.items():
        if (
            not isinstance(entry, dict)
            or _text(entry.get("name"), 80) is None
            or _text(entry.get("source"), 200) is None
        ):
            problems.append(_("共用材料 %(key)s：须有名称（80 字内）和获取途径（200 字内）。") % {"key": key})

    categories = document.get("categories") or []
    if not isinstance(categories, list) or not categories:
        problems.append(_("categories 应列出至少一个事项类别。"))
        categories = []
    category_codes: set[str] = set()
    item_codes: set[str] = set()
    item_names: set[str] = set()
    for position, category in enumerate(categories, start=1):
        if not isinstance(category, dict):
            problems.append(_("第 %(n)s 个类别：应为 {code, name, items}。") % {"n": position})
            continue
        code = str(category.get("code") or "")
        name = _text(category.get("name"), 40)
        where = category.get("_where") or _("类别 %(code)s（%(name)s）") % {"code": code or "?", "name": name or ""}
        unknown = sorted(str(k) for k in set(category) - CATEGORY_KEYS - {"_where"})
        if unknown:
            problems.append(_("%(where)s：不认识的字段 %(keys)s。") % {"where": where, "keys": "、".join(unknown)})
        if not re.fullmatch(r"\d{2}", code) or name is None:
            problems.append(_("%(where)s：类别代码应为 2 位数字，名称必填（40 字内）。") % {"where": where})
            continue
        if code in category_codes:
            problems.append(_("%(where)s：类别代码重复。") % {"where": where})
        category_codes.add(code)
        checked.categories.append({"code": code, "name": name, "sort": position})
        entries = category.get("items") or []
        if not isinstance(entries, list) or not entries:
            problems.append(_("%(where)s：应列出至少一个事项。") % {"where": where})
            continue
        defaults = {k: category[k] for k in ("group", "department") if category.get(k)}
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                problems.append(_("%(where)s 第 %(n)s 个事项：应为一个映射。") % {"where": where, "n": number})
                continue
            row = _check_item(
                {**defaults, **entry}, code, number, library, group_codes, departments, item_codes, item_names, problems
            )
            if row is not None:
                row["sort"] = number
                checked.items.append(row)
    if problems:
        raise CatalogueRejected(problems)
    return checked


def _check_item(
    row: dict[str, Any],
    category: str,
    number: int,
    library: dict[str, Any],
    group_codes: set[str],
    departments: set[str],
    item_codes: set[str],
    item_names: set[str],
    problems: list[str],
) -> dict[str, Any] | None:
    code = str(row.get("code") or "")
    name = _text(row.get("name"), 60)
    where = row.get("_where") or _("事项 %(code)s（%(name)s）") % {
        "code": code or f"{category}#{number}",
        "name": row.get("name") or "",
    }
    before = len(problems)
    unknown = sorted(str(k) for k in set(row) - ITEM_KEYS - {"_where"})
    if unknown:
        problems.append(_("%(where)s：不认识的字段 %(keys)s。") % {"where": where, "keys": "、".join(unknown)})
    if not re.fullmatch(rf"{category}\d{{2}}", code):
        problems.append(_("%(where)s：事项编码应为类别代码 %(c)s 加 2 位数字。") % {"where": where, "c": category})
    elif code in item_codes:
        problems.append(_("%(where)s：事项编码重复。") % {"where": where})
    item_codes.add(code)
    if name is None:
        problems.append(_("%(where)s：事项名称必填，不超过 60 字。") % {"where": where})
    elif name in item_names:
        problems.append(_("%(where)s：事项名称与另一事项重复。") % {"where": where})
    else:
        item_names.add(name)
    mode = row.get("mode")
    if mode not in Mode.values:
        problems.append(_("%(where)s：办理方式应为 on_the_spot（即办）或 forwarded（收受分离）。") % {"where": where})
    days = row.get("days")
    if isinstance(days, bool) or not isinstance(days, int):
        problems.append(_("%(where)s：承诺时限应为整数个工作日。") % {"where": where})
    elif mode == Mode.ON_THE_SPOT and days != 0:
        problems.append(_("%(where)s：即办事项的承诺时限应为 0（当场办结）。") % {"where": where})
    elif mode == Mode.FORWARDED and not 1 <= days <= MAX_FORWARDED_DAYS:
        problems.append(
            _("%(where)s：收受分离事项的承诺时限应为 1 到 %(max)s 个工作日。")
            % {"where": where, "max": MAX_FORWARDED_DAYS}
        )
    department = row.get("department") or ""
    if department and department not in departments:
        problems.append(_("%(where)s：部门 %(key)s 不在部门数据文件中。") % {"where": where, "key": department})
    if mode == Mode.FORWARDED and not department:
        problems.append(_("%(where)s：收受分离事项须指定后台办理部门。") % {"where": where})
    group = str(row.get("group") or "")
    if group not in group_codes:
        problems.append(_("%(where)s：业务分组 %(g)s 不在 groups 中。") % {"where": where, "g": group or "?"})
    applicants = row.get("applicants", [Applicant.RESIDENT, Applicant.PROXY])
    if (
        not isinstance(applicants, list)
        or not applicants
        or any(a not in Applicant.values for a in applicants)
        or len(set(applicants)) != len(applicants)
    ):
        problems.append(_("%(where)s：申请人应为 resident（本人）和/或 proxy（代办）。") % {"where": where})
    for flag in ("bookable", "active"):
        if flag in row and not isinstance(row[flag], bool):
            problems.append(_("%(where)s：%(flag)s 应为 true 或 false。") % {"where": where, "flag": flag})
    description = row.get("description") or ""
    if not isinstance(description, str) or len(description) > 300:
        problems.append(_("%(where)s：办理说明不超过 300 字。") % {"where": where})
    entries = row.get("materials")
    materials: list[dict[str, Any]] = []
    if not isinstance(entries, list) or not entries:
        problems.append(_("%(where)s：应列出至少一项申请材料。") % {"where": where})
        entries = []
    names: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        material = _material(entry, library, where, problems, position)
        if material is None:
            continue
        if material["name"] in names:
            problems.append(_("%(where)s：材料“%(name)s”重复。") % {"where": where, "name": material["name"]})
        names.add(material["name"])
        materials.append({**material, "code": f"{position:02d}"})
    if len(problems) > before:
        return None
    return {
        "code": code,
        "category": category,
        "group": group,
        "name": name,
        "description": description.strip(),
        "mode": mode,
        "time_limit_days": days,
        "department_key": department,
        "applicants": list(applicants),
        "online_bookable": row.get("bookable", True),
        "is_active": row.get("active", True),
        "materials": materials,
    }


# ---------------------------------------------------------------- loading


@dataclass
class LoadResult:
    groups: int
    categories: int
    items: int
    on_the_spot: int
    forwarded: int
    materials: int
    retired: int


def catalogue_load(*, actor: Any, path: Path) -> LoadResult:
    """Load the catalogue from a YAML or Excel file: every problem listed and nothing loaded unless all is good.

    Items missing from the file are retired (`is_active = False`), never deleted: applications point at them.
    """
    require_administrator_or_system(actor)
    return catalogue_load_document(actor=actor, document=read_document(path), source=path.name)


def catalogue_load_document(*, actor: Any, document: dict[str, Any], source: str = "") -> LoadResult:
    require_administrator_or_system(actor)
    checked = check_document(document)
    with transaction.atomic():
        # a few bulk statements instead of one per row: a district's catalogue loads in a blink, and so does the demo
        group_rows = _upsert(ServiceGroup, checked.groups, ("name", "sort"))
        category_rows = _upsert(ServiceCategory, checked.categories, ("name", "sort"))
        item_rows = _upsert(
            ServiceItem,
            [
                {
                    **{k: row[k] for k in ("code", *ITEM_COLUMNS)},
                    "category": category_rows[row["category"]],
                    "group": group_rows[row["group"]],
                }
                for row in checked.items
            ],
            (*ITEM_COLUMNS, "category", "group"),
            lock=True,
        )
        existing = {(m.item_id, m.code): m for m in Material.objects.filter(item__in=item_rows.values())}
        wanted: set[tuple[int, str]] = set()
        new, changed = [], []
        for row in checked.items:
            item = item_rows[row["code"]]
            for material in row["materials"]:
                values = {k: material[k] for k in MATERIAL_COLUMNS}
                wanted.add((item.pk, material["code"]))
                found = existing.get((item.pk, material["code"]))
                if found is None:
                    new.append(Material(item=item, code=material["code"], **values))
                elif any(getattr(found, k) != v for k, v in values.items()):
                    for key, value in values.items():
                        setattr(found, key, value)
                    changed.append(found)
        Material.objects.bulk_create(new, batch_size=500)
        Material.objects.bulk_update(changed, list(MATERIAL_COLUMNS), batch_size=500)
        stale = [m.pk for key, m in existing.items() if key not in wanted]
        Material.objects.filter(pk__in=stale).delete()
        material_count = len(wanted)
        retired = ServiceItem.objects.filter(is_active=True).exclude(code__in=[r["code"] for r in checked.items])
        retired_count = retired.update(is_active=False)
        transaction.on_commit(selectors.forget_catalogue)  # bulk writes send no signals to the process caches
        active = [r for r in checked.items if r["is_active"]]
        result = LoadResult(
            groups=len(checked.groups),
            categories=len(checked.categories),
            items=len(checked.items),
            on_the_spot=sum(1 for r in active if r["mode"] == Mode.ON_THE_SPOT),
            forwarded=sum(1 for r in active if r["mode"] == Mode.FORWARDED),
            materials=material_count,
            retired=retired_count,
        )
        audit.record(actor=actor, action="service_catalogue.load", after={**result.__dict__, "file": source})
    return result


ITEM_COLUMNS = (
    "name",
    "description",
    "mode",
    "time_limit_days",
    "department_key",
    "applicants",
    "online_bookable",
    "is_active",
    "sort",
)
MATERIAL_COLUMNS = ("name", "copies", "source_note", "required")


def _upsert(model: Any, rows: list[dict[str, Any]], columns: tuple[str, ...], *, lock: bool = False) -> dict[str, Any]:
    """Create or update rows by their `code` in bulk; returns every row by code."""
    query = model.objects.select_for_update() if lock else model.objects.all()
    existing = {obj.code: obj for obj in query.filter(code__in=[r["code"] for r in rows])}
    new, changed = [], []
    for row in rows:
        values = {k: row[k] for k in columns}
        found = existing.get(row["code"])
        if found is None:
            new.append(model(code=row["code"], **values))
        elif any(_current(found, k, v) != (v.pk if isinstance(v, models.Model) else v) for k, v in values.items()):
            for key, value in values.items():
                setattr(found, key, value)
            changed.append(found)
    model.objects.bulk_create(new, batch_size=500)
    model.objects.bulk_update(changed, list(columns), batch_size=500)
    return {**existing, **{obj.code: obj for obj in new}}


def _current(obj: Any, name: str, value: Any) -> Any:
    # a foreign key is compared by id, without loading the related row
    return getattr(obj, f"{name}_id") if isinstance(value, models.Model) else getattr(obj, name)


def default_catalogue_path() -> Path:
    return Path(settings.DATA_DIR) / "service_catalogue.yaml"


# ---------------------------------------------------------------- export and adjustments


def catalogue_workbook() -> bytes:
    """The catalogue as it stands, in the Excel layout `catalogue_load` reads (a district starts from this)."""
    workbook = Workbook()
    sheets = {}
    for position, (part, (title, _english)) in enumerate(SHEETS.items()):
        sheet = workbook.active if position == 0 else workbook.create_sheet()
        sheet.title = title
        sheet.append(list(COLUMNS[part]))
        sheets[part] = sheet
    for group in ServiceGroup.objects.order_by("sort", "code"):
        sheets["groups"].append([group.code, group.name])
    for category in ServiceCategory.objects.order_by("sort", "code"):
        first = category.items.order_by("sort", "code").first()
        sheets["categories"].append([category.code, category.name, first.group.code if first else "", ""])
    mode_names = {Mode.ON_THE_SPOT: "即办", Mode.FORWARDED: "收受分离"}
    for item in ServiceItem.objects.select_related("category", "group").order_by("category__sort", "sort", "code"):
        sheets["items"].append(
            [
                item.category.code,
                item.code,
                item.name,
                mode_names[Mode(item.mode)],
                item.time_limit_days,
                item.department_key,
                item.group.code,
                "、".join({"resident": "本人", "proxy": "代办"}[a] for a in item.applicants),
                "是" if item.online_bookable else "否",
                "是" if item.is_active else "否",
                item.description,
            ]
        )
        for material in item.materials.order_by("code"):
            sheets["materials"].append(
                [item.code, material.name, material.copies, material.source_note, "是" if material.required else "否"]
            )
    for sheet in sheets.values():
        for column in sheet.columns:
            width = max(len(str(cell.value or "")) for cell in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(8, width * 1.6), 60)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


# What an administrator may change on an item in the admin (codes, names and materials come from the file).
ITEM_FIELDS = ("mode", "time_limit_days", "department_key", "applicants", "online_bookable", "is_active", "description")


@transaction.atomic
def item_update(*, actor: Any, item_id: int, changes: dict[str, Any]) -> ServiceItem:
    """Adjust one item (from the admin), checked as the loader checks it, audited with before and after."""
    require_administrator_or_system(actor)
    unknown = set(changes) - set(ITEM_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(names)s。") % {"names": "、".join(sorted(unknown))})
    item = ServiceItem.objects.select_for_update().get(pk=item_id)
    before = audit.snapshot(item, changes)
    for name, value in changes.items():
        setattr(item, name, value)
    problems = []
    if item.mode == Mode.ON_THE_SPOT and item.time_limit_days != 0:
        problems.append(_("即办事项的承诺时限应为 0。"))
    if item.mode == Mode.FORWARDED and not 1 <= item.time_limit_days <= MAX_FORWARDED_DAYS:
        problems.append(_("收受分离事项的承诺时限应为 1 到 %(max)s 个工作日。") % {"max": MAX_FORWARDED_DAYS})
    if item.department_key and item.department_key not in known_departments():
        problems.append(_("部门 %(key)s 不在部门数据文件中。") % {"key": item.department_key})
    if item.mode == Mode.FORWARDED and not item.department_key:
        problems.append(_("收受分离事项须指定后台办理部门。"))
    if not item.applicants or any(a not in Applicant.values for a in item.applicants):
        problems.append(_("申请人应为本人和/或代办。"))
    if problems:
        raise ValidationError(" ".join(problems))
    item.save(update_fields=list(changes))
    audit.record(
        actor=actor, action="service_item.update", obj=item, before=before, after=audit.snapshot(item, changes)
    )
    return item
