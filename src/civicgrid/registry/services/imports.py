"""Importing ledgers from Excel or CSV: residents (the population ledger), buildings, organisations.

Every row is checked and every problem reported (row number, column, what is wrong; never the ID number or phone
itself). Two modes:
- all or nothing (`ImportMode.ALL_OR_NOTHING`): one bad row and nothing is written;
- clean rows only (`ImportMode.CLEAN_ROWS`): the good rows are written, the bad ones come back as an Excel file with
  the clerk's own values and a column saying what to fix, ready to be imported again.
Either way the import is one transaction and one `ImportBatch` records it (with the error file). Records written by
an import carry the batch, and one audit row records the import with its counts (not one audit row per resident:
a street's ledger is a hundred thousand rows).

Residents are written in bulk: PostgreSQL's COPY, elsewhere `bulk_create` in batches. The household a row names
(building, entrance, room) is created when it does not exist yet.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core import audit
from civicgrid.core.errors import DomainError, ValidationError
from civicgrid.core.identity import check_name, check_phone, check_uscc
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region
from civicgrid.registry import policy
from civicgrid.registry.choices import (
    CodeList,
    HouseholdStatus,
    ImportKind,
    ImportMode,
    ImportStatus,
    MoveReason,
    ResidenceStatus,
    ResidentStatus,
)
from civicgrid.registry.models import (
    Building,
    Entrance,
    Estate,
    Household,
    ImportBatch,
    Membership,
    Organisation,
    Resident,
    ResidentTag,
)
from civicgrid.registry.services.places import check_floor, check_room, household_address
from civicgrid.registry.spreadsheets import NotASpreadsheet, cell_text, read_table, workbook_bytes
from civicgrid.registry.validation import (
    CodeBook,
    check_tags_fit,
    clean_identity,
    parse_bool,
    parse_date,
    parse_housing_status,
    parse_int,
    parse_lon_lat,
    parse_residence_status,
    parse_text,
)

MAX_STORED_ERRORS = 2000  # in the batch record; the error file has them all
CHUNK = 5000


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    aliases: tuple[str, ...] = ()
    required: bool = False

    @property
    def names(self) -> set[str]:
        return {str(self.label), self.key, *self.aliases}


RESIDENT_COLUMNS = (
    Column("name", gettext_lazy("姓名"), required=True),
    Column("id_number", gettext_lazy("身份证号"), ("身份证号码", "公民身份号码", "身份证"), required=True),
    Column("sex", gettext_lazy("性别")),
    Column("birth_date", gettext_lazy("出生日期")),
    Column("ethnicity", gettext_lazy("民族")),
    Column("phone", gettext_lazy("联系电话"), ("手机号码", "电话")),
    Column("residence_status", gettext_lazy("人口类型"), ("户籍类型",)),
    Column("estate", gettext_lazy("小区"), ("小区名称",)),
    Column("building", gettext_lazy("楼栋"), ("楼栋号", "幢")),
    Column("building_code", gettext_lazy("楼栋编码")),
    Column("entrance", gettext_lazy("单元"), ("单元号",), required=True),
    Column("room", gettext_lazy("房号"), ("门牌号", "室"), required=True),
    Column("floor", gettext_lazy("楼层")),
    Column("relation", gettext_lazy("与户主关系"), ("关系",), required=True),
    Column("housing_status", gettext_lazy("住房性质")),
    Column("categories", gettext_lazy("人员类别")),
    Column("care_tags", gettext_lazy("关爱标签"), ("关爱对象",)),
    Column("education", gettext_lazy("学历"), ("文化程度",)),
    Column("marital_status", gettext_lazy("婚姻状况")),
    Column("political_status", gettext_lazy("政治面貌")),
    Column("registered_address", gettext_lazy("户籍地址")),
    Column("native_place", gettext_lazy("籍贯")),
    Column("occupation", gettext_lazy("职业")),
    Column("workplace", gettext_lazy("服务处所"), ("工作单位",)),
    Column("inflow_reason", gettext_lazy("流入原因")),
    Column("floating_since", gettext_lazy("来本地日期")),
    Column("categories_reviewed_on", gettext_lazy("类别核实日期")),
    Column("notes", gettext_lazy("备注")),
)
BUILDING_COLUMNS = (
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
ORGANISATION_COLUMNS = (
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
COLUMNS = {
    ImportKind.RESIDENTS: RESIDENT_COLUMNS,
    ImportKind.BUILDINGS: BUILDING_COLUMNS,
    ImportKind.ORGANISATIONS: ORGANISATION_COLUMNS,
}


class ImportRejected(ValidationError):
    """The file could not be imported at all (not a spreadsheet, missing columns); nothing was written."""

    def __init__(self, message: str, batch: ImportBatch | None = None) -> None:
        self.batch = batch
        self.rows = [message]
        super().__init__(message, errors={"file": [message]})


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class Checked:
    """What the check of a file found: good rows (ready to write) and every problem, by row."""

    good: list[Any] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    raw: dict[int, list[Any]] = field(default_factory=dict)  # bad rows' original cells, for the error file
    total: int = 0

    @property
    def bad_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})


class RowProblems:
    """Collects the problems of one row, so every bad field is reported, not only the first."""

    def __init__(self, row: int, labels: dict[str, str]) -> None:
        self.row = row
        self.labels = labels
        self.errors: list[RowError] = []

    def check(self, key: str, fn: Callable[[], Any], default: Any = None) -> Any:
        try:
            return fn()
        except DomainError as error:
            self.add(key, error.message)
            return default

    def add(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.row, self.labels.get(key, key), message))


def _headers(kind: str, table_headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """Column positions by key, and the labels of required columns that are missing."""
    positions: dict[str, int] = {}
    for column in COLUMNS[kind]:
        names = column.names
        for index, header in enumerate(table_headers):
            if header in names and column.key not in positions:
                positions[column.key] = index
    missing = [str(c.label) for c in COLUMNS[kind] if c.required and c.key not in positions]
    if kind == ImportKind.RESIDENTS and "building" not in positions and "building_code" not in positions:
        missing.append(_("楼栋（或楼栋编码）"))
    return positions, missing


def _batch(actor: Any, kind: str, mode: str, file_name: str, region_path: str) -> ImportBatch:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return ImportBatch(
        kind=kind,
        mode=mode,
        status=ImportStatus.REJECTED,
        file_name=(file_name or "")[:200],
        actor=user,
        actor_name=(user.get_username() if user else "system")[:150],
        region_path=region_path,
    )


def _actor_path(actor: Any) -> str:
    paths = policy.allowed_paths(actor, "import") if actor is not None else None
    if not paths:
        root = Region.objects.filter(parent__isnull=True).order_by("code").first()
        return root.path if root else ""
    return _common_path(paths)


def _common_path(paths: Iterable[str]) -> str:
    parts = [p.strip("/").split("/") for p in paths if p]
    if not parts:
        return ""
    common: list[str] = []
    for column in zip(*parts, strict=False):
        if len(set(column)) != 1:
            break
        common.append(column[0])
    return "/" + "".join(f"{c}/" for c in common) if common else ""


def import_file(
    *, actor: Any, kind: str, data: bytes, file_name: str = "", mode: str = ImportMode.ALL_OR_NOTHING
) -> ImportBatch:
    """Import a ledger file. Returns the batch (status imported, partial or rejected, with the error file when
    rows were bad). Raises ImportRejected when the file cannot be read or lacks required columns."""
    if kind not in COLUMNS:
        raise ValidationError(_("不支持导入该类内容。"))
    if mode not in ImportMode.values:
        raise ValidationError(_("导入方式应为“全部正确才导入”或“只导入正确的行”。"))
    if actor is not None:
        policy.require(actor, "import")
    wanted = set().union(*(c.names for c in COLUMNS[kind]))
    try:
        table = read_table(data, wanted)
    except NotASpreadsheet as error:
        raise ImportRejected(error.message) from error
    positions, missing = _headers(kind, table.headers)
    if missing:
        message = _("文件缺少以下列：%(columns)s。请使用台账导出的表头，或下载导入模板。") % {
            "columns": "、".join(missing)
        }
        raise ImportRejected(message)
    checker = {ImportKind.RESIDENTS: _check_residents, ImportKind.BUILDINGS: _check_buildings,
               ImportKind.ORGANISATIONS: _check_organisations}[ImportKind(kind)]  # fmt: skip
    with transaction.atomic():
        checked, region_paths = checker(actor, table.rows, positions)
        if checked.total == 0:
            raise ImportRejected(_("文件中没有数据行。"))
        batch = _batch(actor, kind, mode, file_name, _common_path(region_paths) or _actor_path(actor))
        batch.total_rows = checked.total
        batch.error_rows = len(checked.bad_rows)
        batch.errors = [e.__dict__ for e in checked.errors[:MAX_STORED_ERRORS]]
        if checked.errors:
            batch.error_file = error_workbook(kind, table.headers, checked)
        write = not checked.errors or mode == ImportMode.CLEAN_ROWS
        if write and checked.good:
            batch.save()
            writer = {ImportKind.RESIDENTS: _write_residents, ImportKind.BUILDINGS: _write_buildings,
                      ImportKind.ORGANISATIONS: _write_organisations}[ImportKind(kind)]  # fmt: skip
            batch.created = writer(batch, checked.good)
            batch.imported_rows = len(checked.good)
            batch.status = ImportStatus.PARTIAL if checked.errors else ImportStatus.IMPORTED
        batch.save()
        audit.record(
            actor=actor,
            action=f"registry.import_{kind}",
            obj=batch,
            after={
                "file": batch.file_name,
                "mode": mode,
                "status": batch.status,
                "rows": batch.total_rows,
                "imported": batch.imported_rows,
                "error_rows": batch.error_rows,
                "created": batch.created,
            },
        )
    return batch


def error_workbook(kind: str, headers: list[str], checked: Checked) -> bytes:
    """The bad rows as the clerk wrote them, with what is wrong in a last column: fix and import again."""
    problems: dict[int, list[str]] = defaultdict(list)
    for error in checked.errors:
        problems[error.row].append(f"{error.column}：{error.message}" if error.column else error.message)
    label = str(ImportKind(kind).label)

    def rows() -> Iterable[list[Any]]:
        for number in checked.bad_rows:
            cells = [cell_text(v) for v in checked.raw.get(number, [])]
            cells += [""] * (len(headers) - len(cells))
            yield [*cells[: len(headers)], f"第 {number} 行", "；".join(problems[number])]

    meta = [_("以下 %(n)s 行未导入。请按“错误说明”改正后，删除最后两列，再导入本文件。") % {"n": len(checked.bad_rows)}]
    return workbook_bytes(
        title=_("%(what)s导入错误行") % {"what": label},
        meta=meta,
        headers=[*headers, _("原行号"), _("错误说明")],
        rows=rows(),
        widths=[14] * len(headers) + [10, 60],
        sheet_name=_("错误行"),
    )


def _cell(row: list[Any], positions: dict[str, int], key: str) -> Any:
    index = positions.get(key)
    if index is None or index >= len(row):
        return ""
    value = row[index]
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return cell_text(value)


def _blank(row: list[Any]) -> bool:
    return all(cell is None or str(cell).strip() == "" for cell in row)


# ---------------------------------------------------------------- residents


@dataclass
class ResidentRow:
    row: int
    values: dict[str, Any]
    tag_ids: list[int]
    household_key: tuple[int, str, str]  # building id, entrance number, room
    household_id: int | None
    raw: list[Any]
    floor: int
    housing_status: str
    relation_id: int | None


def _buildings_for_import(
    actor: Any,
) -> tuple[dict[str, Building], dict[tuple[str, str], list[Building]], dict[int, dict[str, Entrance]]]:
    """The buildings the actor may import into: by code, by (estate name, building name), and their entrances."""
    rows = Building.objects.select_related("estate", "grid")
    paths = policy.allowed_paths(actor, "import") if actor is not None else None
    if paths is not None:
        rows = rows.filter(policy.path_filter("grid__path", paths))
    by_code: dict[str, Building] = {}
    by_name: dict[tuple[str, str], list[Building]] = defaultdict(list)
    for item in rows:
        by_code[item.code] = item
        by_name[(item.estate.name if item.estate_id and item.estate else "", item.name)].append(item)
    entrances: dict[int, dict[str, Entrance]] = defaultdict(dict)
    for entrance in Entrance.objects.filter(building__in=list(by_code.values())).only("id", "building_id", "number"):
        entrances[entrance.building_id][entrance.number] = entrance
    return by_code, by_name, entrances


def _check_residents(
    actor: Any, rows: Iterable[tuple[int, list[Any]]], positions: dict[str, int]
) -> tuple[Checked, set[str]]:
    today = timezone.localdate()
    book = CodeBook()
    labels = {c.key: str(c.label) for c in RESIDENT_COLUMNS}
    by_code, by_name, entrances = _buildings_for_import(actor)
    head_ids = {c.pk for c in book.by_code.values() if c.list == CodeList.RELATION and c.extra.get("head")}
    checked = Checked()
    seen_ids: dict[str, int] = {}
    pending: list[ResidentRow] = []
    bad_rows: set[int] = set()
    paths: set[str] = set()

    for number, row in rows:
        if _blank(row):
            continue
        checked.total += 1
        problems = RowProblems(number, labels)

        def cell(key: str, row: list[Any] = row) -> Any:
            return _cell(row, positions, key)

        values: dict[str, Any] = {}
        values["name"] = problems.check("name", lambda: check_name(cell("name")))
        identity = problems.check(
            "id_number",
            lambda: clean_identity(
                id_number=cell("id_number"), birth_date=cell("birth_date"), sex=cell("sex"), today=today
            ),
        )
        if identity is not None:
            values["id_number"], values["birth_date"], values["sex"] = identity
            if values["id_number"]:
                first = seen_ids.get(values["id_number"])
                if first is not None:
                    problems.add(
                        "id_number", _("与第 %(row)s 行是同一人（身份证号码相同），一人只能登记一次。") % {"row": first}
                    )
                else:
                    seen_ids[values["id_number"]] = number
        values["phone"] = problems.check("phone", lambda: check_phone(cell("phone")), "")
        values["residence_status"] = problems.check(
            "residence_status", lambda: parse_residence_status(cell("residence_status")), ResidenceStatus.REGISTERED
        )
        for key, list_name in (("ethnicity", CodeList.ETHNICITY), ("education", CodeList.EDUCATION),
                               ("marital_status", CodeList.MARITAL_STATUS), ("political_status", CodeList.POLITICAL_STATUS),
                               ("inflow_reason", CodeList.INFLOW_REASON)):  # fmt: skip
            code = problems.check(
                key, lambda k=key, lst=list_name: book.find(lst, cell(k), field_name=k, label=labels[k])
            )
            values[f"{key}_id"] = code.pk if code else None
        relation = problems.check(
            "relation",
            lambda: book.find(CodeList.RELATION, cell("relation"), field_name="relation", label=labels["relation"]),
        )
        for key, length in (("registered_address", 200), ("native_place", 60), ("occupation", 60), ("workplace", 100),
                            ("notes", 2000)):  # fmt: skip
            values[key] = problems.check(
                key, lambda k=key, n=length: parse_text(cell(k), field_name=k, label=labels[k], max_length=n), ""
            )
        for key in ("floating_since", "categories_reviewed_on"):
            values[key] = problems.check(
                key, lambda k=key: parse_date(cell(k), field_name=k, label=labels[k], today=today)
            )
        if values["residence_status"] != ResidenceStatus.FLOATING and (
            values.get("inflow_reason_id") or values.get("floating_since")
        ):
            problems.add("inflow_reason", _("只有流动人口才登记流入原因和来本地日期。"))
        tags = []
        for key, list_name in (("categories", CodeList.PERSON_CATEGORY), ("care_tags", CodeList.CARE_TAG)):
            tags += problems.check(
                key, lambda k=key, lst=list_name: book.find_many([lst], cell(k), field_name=k, label=labels[k]), []
            )
        if tags and values.get("birth_date"):
            problems.check("care_tags", lambda: check_tags_fit(tags, values["birth_date"], today))
        housing_status = problems.check("housing_status", lambda: parse_housing_status(cell("housing_status")), "owner")

        # Where they live: the building must exist and be in the importer's reach.
        place = None
        code_text = str(cell("building_code") or "").strip()
        name_text = str(cell("building") or "").strip()
        estate_text = str(cell("estate") or "").strip()
        if code_text:
            place = by_code.get(code_text)
            if place is None:
                problems.add(
                    "building_code",
                    _("没有找到楼栋编码为“%(code)s”的楼栋，或它不在您的管辖范围内。") % {"code": code_text[:24]},
                )
        elif name_text:
            candidates = by_name.get((estate_text, name_text), [])
            if len(candidates) == 1:
                place = candidates[0]
            elif not candidates:
                where = f"{estate_text}{name_text}"
                problems.add(
                    "building",
                    _("没有找到楼栋“%(name)s”，或它不在您的管辖范围内；请先登记楼栋。") % {"name": where[:60]},
                )
            else:
                problems.add("building", _("有多个同名楼栋，请填写楼栋编码。"))
        else:
            problems.add("building", _("请填写楼栋（或楼栋编码）。"))
        entrance_number = str(cell("entrance") or "").strip().removesuffix("单元")
        room = problems.check("room", lambda: check_room(cell("room")))
        floor = None
        if place is not None:
            if entrance_number not in entrances.get(place.pk, {}):
                problems.add("entrance", _("该楼栋没有“%(n)s”单元。") % {"n": entrance_number[:10]})
            if room:
                floor = problems.check("floor", lambda: check_floor(cell("floor"), place, room))
        if problems.errors:
            checked.errors += problems.errors
            checked.raw[number] = list(row)
            bad_rows.add(number)
            continue
        assert place is not None and room is not None and floor is not None
        paths.add(place.grid.path)
        values["grid_id"] = place.grid_id
        values["categories_reviewed_on"] = values["categories_reviewed_on"] or today
        pending.append(
            ResidentRow(
                row=number,
                values=values,
                tag_ids=[t.pk for t in tags],
                household_key=(place.pk, entrance_number, room),
                household_id=None,
                raw=list(row),
                floor=floor,
                housing_status=housing_status,
                relation_id=relation.pk if relation else None,
            )
        )

    _check_against_database(pending, checked, head_ids, bad_rows)
    checked.good = [r for r in pending if r.row not in bad_rows]
    checked.errors.sort(key=lambda e: e.row)
    return checked, paths


def _check_against_database(
    pending: list[ResidentRow], checked: Checked, head_ids: set[int], bad_rows: set[int]
) -> None:
    """Duplicates of people already registered, and one head per household (in the file and in the database)."""
    label_id = str(RESIDENT_COLUMNS[1].label)
    label_relation = str(next(c.label for c in RESIDENT_COLUMNS if c.key == "relation"))
    numbers = [r.values["id_number"] for r in pending if r.values["id_number"]]
    existing: dict[str, int | None] = {}
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start : start + CHUNK]
        existing.update(Resident.objects.filter(id_number__in=chunk).values_list("id_number", "household_id"))
    # Households already on file, for the rows' rooms.
    building_ids = sorted({r.household_key[0] for r in pending})
    households: dict[tuple[int, str, str], int] = {}
    for start in range(0, len(building_ids), 500):
        rows = Household.objects.filter(building_id__in=building_ids[start : start + 500]).exclude(
            status=HouseholdStatus.CLOSED
        )
        for pk, building_id, number, room in rows.values_list("id", "building_id", "entrance__number", "room"):
            households[(building_id, number, room)] = pk
    heads_on_file: set[int] = set()
    household_ids = sorted(set(households.values()))
    for start in range(0, len(household_ids), CHUNK):
        heads_on_file.update(
            Resident.objects.filter(
                household_id__in=household_ids[start : start + CHUNK],
                relation_id__in=head_ids,
                status=ResidentStatus.ACTIVE,
            ).values_list("household_id", flat=True)
        )
    heads_in_file: dict[tuple[int, str, str], int] = {}

    def fail(item: ResidentRow, column: str, message: str) -> None:
        checked.errors.append(RowError(item.row, column, message))
        checked.raw[item.row] = item.raw
        bad_rows.add(item.row)

    for item in pending:
        item.household_id = households.get(item.household_key)
        number = item.values["id_number"]
        if number and number in existing:
            other = existing[number]
            if other is not None and other != item.household_id:
                fail(item, label_id, _("该居民已登记在另一户，一人同时只能属于一户；如已搬家，请在系统中办理迁移。"))
            else:
                fail(item, label_id, _("该居民已登记（身份证号码相同），不能重复登记。"))
            continue
        if item.relation_id in head_ids:
            if item.household_id is not None and item.household_id in heads_on_file:
                fail(item, label_relation, _("该户已登记户主，一户只能有一名户主。"))
                continue
            first = heads_in_file.get(item.household_key)
            if first is not None:
                fail(
                    item,
                    label_relation,
                    _("与第 %(row)s 行登记在同一户且都是户主，一户只能有一名户主。") % {"row": first},
                )
                continue
            heads_in_file[item.household_key] = item.row


def _reserve_ids(model: type[Any], count: int) -> list[int]:
    """`count` fresh primary keys from the table's sequence (PostgreSQL), so COPY can write rows that refer to each
    other without reading them back."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [row[0] for row in cursor.fetchall()]


def _copy(model: type[Any], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = model._meta.db_table
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


RESIDENT_DB_COLUMNS = (
    "name", "id_number", "sex", "birth_date", "ethnicity_id", "education_id", "marital_status_id", "political_status_id",
    "inflow_reason_id", "phone", "residence_status", "registered_address", "native_place", "occupation", "workplace",
    "notes", "floating_since", "categories_reviewed_on", "grid_id",
)  # fmt: skip


def _write_residents(batch: ImportBatch, good: list[ResidentRow]) -> dict[str, int]:
    now = timezone.now()
    today = timezone.localdate()
    # 1. households that do not exist yet, one per (building, entrance, room)
    new_keys: dict[tuple[int, str, str], ResidentRow] = {}
    for item in good:
        if item.household_id is None and item.household_key not in new_keys:
            new_keys[item.household_key] = item
    buildings = Building.objects.in_bulk({key[0] for key in new_keys})
    estates = Estate.objects.in_bulk({b.estate_id for b in buildings.values() if b.estate_id})
    entrances = {(e.building_id, e.number): e for e in Entrance.objects.filter(building_id__in=list(buildings))}
    new_households = []
    for key, item in new_keys.items():
        place = buildings[key[0]]
        if place.estate_id:
            place.estate = estates[place.estate_id]
        entrance = entrances[(key[0], key[1])]
        new_households.append(
            Household(
                building_id=place.pk,
                entrance_id=entrance.pk,
                floor=item.floor,
                room=key[2],
                grid_id=place.grid_id,
                address=household_address(place, entrance, key[2]),
                housing_status=item.housing_status,
                status=HouseholdStatus.ACTIVE,
                import_batch=batch,
                created_at=now,
                updated_at=now,
            )  # fmt: skip
        )
    postgres = connection.vendor == "postgresql"
    if postgres:
        ids = _reserve_ids(Household, len(new_households))
        for household, pk in zip(new_households, ids, strict=True):
            household.pk = pk
        _copy(
            Household,
            (
                "id",
                "building_id",
                "entrance_id",
                "floor",
                "room",
                "grid_id",
                "address",
                "housing_status",
                "status",
                "import_batch_id",
                "created_at",
                "updated_at",
                "risk_notes",
                "notes",
            ),  # fmt: skip
            (
                (
                    h.pk,
                    h.building_id,
                    h.entrance_id,
                    h.floor,
                    h.room,
                    h.grid_id,
                    h.address,
                    h.housing_status,
                    h.status,
                    batch.pk,
                    now,
                    now,
                    "",
                    "",
                )
                for h in new_households
            ),  # fmt: skip
        )
    else:
        Household.objects.bulk_create(new_households, batch_size=2000)
    created_households = _household_keys(new_households, entrances)
    for item in good:
        if item.household_id is None:
            item.household_id = created_households[item.household_key]
    # 2. residents, their memberships and tags
    if postgres:
        ids = _reserve_ids(Resident, len(good))
        _copy(
            Resident,
            (
                "id",
                *RESIDENT_DB_COLUMNS,
                "household_id",
                "relation_id",
                "status",
                "former_name",
                "is_key_person",
                "import_batch_id",
                "created_at",
                "updated_at",
            ),  # fmt: skip
            (
                (
                    pk,
                    *(item.values[c] for c in RESIDENT_DB_COLUMNS),
                    item.household_id,
                    item.relation_id,
                    ResidentStatus.ACTIVE,
                    "",
                    False,
                    batch.pk,
                    now,
                    now,
                )
                for item, pk in zip(good, ids, strict=True)
            ),  # fmt: skip
        )
    else:
        objects = [
            Resident(
                **{c: item.values[c] for c in RESIDENT_DB_COLUMNS},
                household_id=item.household_id,
                relation_id=item.relation_id,
                status=ResidentStatus.ACTIVE,
                import_batch=batch,
            )  # fmt: skip
            for item in good
        ]
        Resident.objects.bulk_create(objects, batch_size=2000)
        ids = [o.pk for o in objects]
    memberships = (
        (item.household_id, pk, item.relation_id, today, MoveReason.IMPORTED, "")
        for item, pk in zip(good, ids, strict=True)
    )
    tags = ((pk, tag) for item, pk in zip(good, ids, strict=True) for tag in item.tag_ids)
    if postgres:
        _copy(
            Membership,
            ("household_id", "resident_id", "relation_id", "started_on", "start_reason", "end_reason"),
            memberships,
        )
        _copy(ResidentTag, ("resident_id", "code_id"), tags)
    else:
        Membership.objects.bulk_create(
            [
                Membership(household_id=h, resident_id=r, relation_id=rel, started_on=d, start_reason=s)
                for h, r, rel, d, s, _e in memberships
            ],
            batch_size=5000,
        )
        ResidentTag.objects.bulk_create([ResidentTag(resident_id=r, code_id=c) for r, c in tags], batch_size=5000)
    return {"households": len(new_households), "residents": len(good)}


def _household_keys(
    households: list[Household], entrances: dict[tuple[int, str], Entrance]
) -> dict[tuple[int, str, str], int]:
    number_of = {e.pk: number for (_b, number), e in entrances.items()}
    return {(h.building_id, number_of[h.entrance_id], h.room): h.pk for h in households}


# ---------------------------------------------------------------- buildings


@dataclass
class BuildingRow:
    row: int
    grid: Region
    estate_name: str
    values: dict[str, Any]
    entrances: int


def _check_buildings(
    actor: Any, rows: Iterable[tuple[int, list[Any]]], positions: dict[str, int]
) -> tuple[Checked, set[str]]:
    today = timezone.localdate()
    book = CodeBook()
    labels = {c.key: str(c.label) for c in BUILDING_COLUMNS}
    grids = Region.objects.filter(level=Level.GRID)
    paths_allowed = policy.allowed_paths(actor, "import") if actor is not None else None
    if paths_allowed is not None:
        grids = grids.filter(policy.path_filter("path", paths_allowed))
    grid_by_code = {g.code: g for g in grids.select_related("parent")}
    existing = set(
        Building.objects.filter(estate__isnull=False).values_list("estate__community_id", "estate__name", "name")
    )
    checked = Checked()
    seen: dict[tuple[int, str, str], int] = {}
    paths: set[str] = set()
    for number, row in rows:
        if _blank(row):
            continue
        checked.total += 1
        problems = RowProblems(number, labels)

        def cell(key: str, row: list[Any] = row) -> Any:
            return _cell(row, positions, key)

        grid = grid_by_code.get(str(cell("grid")).strip())
        if grid is None:
            problems.add("grid", _("没有找到该网格，或它不在您的管辖范围内。"))
        values: dict[str, Any] = {}
        values["name"] = problems.check(
            "building",
            lambda: parse_text(
                cell("building"), field_name="building", label=labels["building"], max_length=40, required=True
            ),
        )
        values["address"] = problems.check(
            "address",
            lambda: parse_text(
                cell("address"), field_name="address", label=labels["address"], max_length=200, required=True
            ),
        )
        values["floors_above"] = problems.check(
            "floors_above",
            lambda: parse_int(
                cell("floors_above"),
                field_name="floors_above",
                label=labels["floors_above"],
                low=1,
                high=200,
                required=True,
            ),
        )
        values["floors_below"] = problems.check(
            "floors_below",
            lambda: (
                parse_int(cell("floors_below"), field_name="floors_below", label=labels["floors_below"], low=0, high=20)
                or 0
            ),
            0,
        )
        entrances = problems.check(
            "entrances",
            lambda: parse_int(
                cell("entrances"), field_name="entrances", label=labels["entrances"], low=1, high=50, required=True
            ),
        )
        values["built_year"] = problems.check(
            "built_year",
            lambda: parse_int(
                cell("built_year"), field_name="built_year", label=labels["built_year"], low=1800, high=today.year
            ),
        )
        for key, list_name in (("use", CodeList.HOUSING_USE), ("structure", CodeList.BUILDING_STRUCTURE)):
            code = problems.check(
                key, lambda k=key, lst=list_name: book.find(lst, cell(k), field_name=k, label=labels[k])
            )
            values[f"{key}_id"] = code.pk if code else None
        values["property_company"] = problems.check(
            "property_company",
            lambda: parse_text(
                cell("property_company"),
                field_name="property_company",
                label=labels["property_company"],
                max_length=100,
            ),
            "",
        )
        values["captain_name"] = problems.check(
            "captain_name",
            lambda: parse_text(
                cell("captain_name"), field_name="captain_name", label=labels["captain_name"], max_length=40
            ),
            "",
        )
        values["captain_phone"] = problems.check(
            "captain_phone", lambda: check_phone(cell("captain_phone"), field="captain_phone"), ""
        )
        lon_lat = problems.check("lon", lambda: parse_lon_lat(cell("lon"), cell("lat")), (None, None))
        values["lon"], values["lat"] = lon_lat
        estate_name = problems.check(
            "estate",
            lambda: parse_text(cell("estate"), field_name="estate", label=labels["estate"], max_length=100),
            "",
        )
        if grid is not None and values["name"] and estate_name:
            key = (grid.parent_id, estate_name, values["name"])
            if key in existing:
                problems.add("building", _("该小区已有同名楼栋。"))
            elif key in seen:
                problems.add("building", _("与第 %(row)s 行是同一楼栋。") % {"row": seen[key]})
            else:
                seen[key] = number
        if problems.errors:
            checked.errors += problems.errors
            checked.raw[number] = list(row)
            continue
        assert grid is not None
        paths.add(grid.path)
        checked.good.append(BuildingRow(number, grid, estate_name, values, entrances))
    return checked, paths


def _write_buildings(batch: ImportBatch, good: list[BuildingRow]) -> dict[str, int]:
    estates_created = 0
    estates: dict[tuple[int, str], Estate] = {
        (e.community_id, e.name): e for e in Estate.objects.filter(community_id__in={r.grid.parent_id for r in good})
    }
    sequences: dict[int, int] = {}
    created = []
    for item in good:
        estate = None
        if item.estate_name:
            key = (item.grid.parent_id, item.estate_name)
            estate = estates.get(key)
            if estate is None:
                community = item.grid.parent
                assert community is not None
                last = (
                    Estate.objects.filter(community=community).order_by("-code").values_list("code", flat=True).first()
                )
                estate = Estate.objects.create(
                    code=f"{community.code}{(int(last[-3:]) if last else 0) + 1:03d}",
                    name=item.estate_name,
                    community=community,
                )
                estates[key] = estate
                estates_created += 1
        if item.grid.pk not in sequences:
            last = Building.objects.filter(grid=item.grid).order_by("-code").values_list("code", flat=True).first()
            sequences[item.grid.pk] = int(last[-4:]) if last else 0
        sequences[item.grid.pk] += 1
        created.append(
            Building(
                code=f"{item.grid.code}{sequences[item.grid.pk]:04d}",
                grid=item.grid,
                estate=estate,
                import_batch=batch,
                **item.values,
            )
        )
    Building.objects.bulk_create(created, batch_size=1000)
    if any(b.pk is None for b in created):  # a database that returns no keys from a bulk insert
        keyed = {b.code: b.pk for b in Building.objects.filter(import_batch=batch)}
        for b in created:
            b.pk = keyed[b.code]
    Entrance.objects.bulk_create(
        [
            Entrance(building_id=b.pk, number=str(n))
            for b, item in zip(created, good, strict=True)
            for n in range(1, item.entrances + 1)
        ],
        batch_size=5000,
    )
    return {"estates": estates_created, "buildings": len(created)}


# ---------------------------------------------------------------- organisations


def _check_organisations(
    actor: Any, rows: Iterable[tuple[int, list[Any]]], positions: dict[str, int]
) -> tuple[Checked, set[str]]:
    book = CodeBook()
    labels = {c.key: str(c.label) for c in ORGANISATION_COLUMNS}
    grids = Region.objects.filter(level=Level.GRID)
    paths_allowed = policy.allowed_paths(actor, "import") if actor is not None else None
    if paths_allowed is not None:
        grids = grids.filter(policy.path_filter("path", paths_allowed))
    grid_by_code = {g.code: g for g in grids}
    buildings = {b.code: b for b in Building.objects.filter(grid__in=list(grid_by_code.values()))}
    registered = set(Organisation.objects.exclude(uscc="").values_list("uscc", flat=True))
    checked = Checked()
    seen: dict[str, int] = {}
    paths: set[str] = set()
    for number, row in rows:
        if _blank(row):
            continue
        checked.total += 1
        problems = RowProblems(number, labels)

        def cell(key: str, row: list[Any] = row) -> Any:
            return _cell(row, positions, key)

        values: dict[str, Any] = {}
        values["name"] = problems.check(
            "name",
            lambda: parse_text(cell("name"), field_name="name", label=labels["name"], max_length=120, required=True),
        )
        values["address"] = problems.check(
            "address",
            lambda: parse_text(
                cell("address"), field_name="address", label=labels["address"], max_length=200, required=True
            ),
        )
        uscc = problems.check("uscc", lambda: check_uscc(cell("uscc")), "")
        if uscc:
            if uscc in registered:
                problems.add("uscc", _("该统一社会信用代码已登记。"))
            elif uscc in seen:
                problems.add("uscc", _("与第 %(row)s 行是同一单位（统一社会信用代码相同）。") % {"row": seen[uscc]})
            else:
                seen[uscc] = number
        values["uscc"] = uscc
        org_type = problems.check(
            "org_type",
            lambda: book.find(
                CodeList.ORGANISATION_TYPE, cell("org_type"), field_name="org_type", label=labels["org_type"]
            ),
        )
        if org_type is None and not any(e.column == labels["org_type"] for e in problems.errors):
            problems.add("org_type", _("请填写单位类型。"))
        values["org_type_id"] = org_type.pk if org_type else None
        industry = problems.check(
            "industry",
            lambda: book.find(CodeList.INDUSTRY, cell("industry"), field_name="industry", label=labels["industry"]),
        )
        values["industry_id"] = industry.pk if industry else None
        for key in ("legal_representative", "contact_name"):
            values[key] = problems.check(
                key, lambda k=key: parse_text(cell(k), field_name=k, label=labels[k], max_length=40), ""
            )
        values["contact_phone"] = problems.check(
            "contact_phone", lambda: check_phone(cell("contact_phone"), field="contact_phone"), ""
        )
        values["employees"] = problems.check(
            "employees",
            lambda: parse_int(cell("employees"), field_name="employees", label=labels["employees"], low=0, high=10**6),
        )
        values["is_key_unit"] = problems.check(
            "is_key_unit",
            lambda: parse_bool(cell("is_key_unit"), field_name="is_key_unit", label=labels["is_key_unit"]),
            False,
        )
        grid = grid_by_code.get(str(cell("grid")).strip())
        if grid is None:
            problems.add("grid", _("没有找到该网格，或它不在您的管辖范围内。"))
        building = None
        code_text = str(cell("building_code") or "").strip()
        if code_text:
            building = buildings.get(code_text)
            if building is None:
                problems.add(
                    "building_code",
                    _("没有找到楼栋编码为“%(code)s”的楼栋，或它不在您的管辖范围内。") % {"code": code_text[:24]},
                )
            elif grid is not None and grid.grid_kind != "dedicated" and building.grid_id != grid.pk:
                problems.add("grid", _("单位所在网格应为其楼栋所在的网格，或它的专属网格。"))
        if problems.errors:
            checked.errors += problems.errors
            checked.raw[number] = list(row)
            continue
        assert grid is not None
        paths.add(grid.path)
        values["grid_id"] = grid.pk
        values["building_id"] = building.pk if building else None
        checked.good.append(values)
    return checked, paths


def _write_organisations(batch: ImportBatch, good: list[dict[str, Any]]) -> dict[str, int]:
    Organisation.objects.bulk_create([Organisation(import_batch=batch, **values) for values in good], batch_size=2000)
    return {"organisations": len(good)}


def template_workbook(kind: str) -> bytes:
    """An empty import file with the right header (required columns marked *)."""
    columns = COLUMNS[ImportKind(kind)]
    headers = [f"{c.label}*" if c.required else str(c.label) for c in columns]
    meta = [_("带 * 的列必须有；表头之上的说明行可以保留。身份证号码请设为文本格式，以免 Excel 改成科学计数法。")]
    return workbook_bytes(
        title=_("%(what)s导入模板") % {"what": ImportKind(kind).label}, meta=meta, headers=headers, rows=[],
        widths=[14] * len(headers),
    )  # fmt: skip


__all__ = ["ImportRejected", "error_workbook", "import_file", "template_workbook"]
