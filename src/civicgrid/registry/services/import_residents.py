"""Importing the population ledger (人口台账): one row per resident, naming the building (by its code, or by estate and
building name), the entrance and the room they live in. The household of a room is created when it has no file yet.

Every problem of every row is reported: a malformed or checksum-failing ID number, a birth date or sex that contradicts
it, a date in the future, a code not in the code lists, an unknown building or entrance, the same person twice in the
file, a person already registered (in another household: a move is what is wanted), two heads of one household.
Messages never repeat an ID number or phone.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core import bulk as core_bulk
from civicgrid.core.identity import check_name, check_phone
from civicgrid.registry import bulk
from civicgrid.registry.choices import CodeList, HouseholdStatus, HousingStatus, ResidenceStatus, ResidentStatus
from civicgrid.registry.models import Building, Code, Entrance, Household, ImportBatch, Resident, ResidentTag
from civicgrid.registry.policy import path_filter
from civicgrid.registry.services.importing import Cells, Column, RowError, RowProblems, import_paths, not_in_reach
from civicgrid.registry.services.places import check_floor, check_room, household_address
from civicgrid.registry.validation import (
    CodeBook,
    check_tags_fit,
    clean_identity,
    parse_date,
    parse_housing_status,
    parse_residence_status,
    parse_text,
)

COLUMNS: tuple[Column, ...] = (
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
# The resident's own columns, in the order a checked row holds them.
DB_COLUMNS = (
    "name", "id_number", "sex", "birth_date", "ethnicity_id", "education_id", "marital_status_id",
    "political_status_id", "inflow_reason_id", "phone", "residence_status", "registered_address", "native_place",
    "occupation", "workplace", "notes", "floating_since", "categories_reviewed_on", "grid_id", "relation_id",
)  # fmt: skip
CODE_COLUMNS = (
    ("ethnicity", CodeList.ETHNICITY),
    ("education", CodeList.EDUCATION),
    ("marital_status", CodeList.MARITAL_STATUS),
    ("political_status", CodeList.POLITICAL_STATUS),
    ("inflow_reason", CodeList.INFLOW_REASON),
)
TEXT_COLUMNS = (("registered_address", 200), ("native_place", 60), ("occupation", 60), ("workplace", 100))
TAG_COLUMNS = (("categories", CodeList.PERSON_CATEGORY), ("care_tags", CodeList.CARE_TAG))
HouseholdKey = tuple[int, str, str]  # building id, entrance number, room


@dataclass(slots=True)
class ResidentRow:
    row: int
    values: tuple[Any, ...]  # in the order of DB_COLUMNS
    tag_ids: list[int]
    household: HouseholdKey
    floor: int
    housing_status: str
    grid_path: str


class ResidentImporter:
    columns: ClassVar[tuple[Column, ...]] = COLUMNS

    def __init__(self, actor: Any) -> None:
        self.today = timezone.localdate()
        self.book = CodeBook()
        self.labels = {c.key: str(c.label) for c in COLUMNS}
        self.head_ids = {
            c.pk for c in self.book.by_code.values() if c.list == CodeList.RELATION and c.extra.get("head")
        }
        buildings = Building.objects.select_related("estate", "grid")
        paths = import_paths(actor)
        if paths is not None:
            buildings = buildings.filter(path_filter("grid__path", paths))
        self.by_code: dict[str, Building] = {}
        self.by_pk: dict[int, Building] = {}
        self.by_name: dict[tuple[str, str], list[Building]] = defaultdict(list)
        for item in buildings:
            self.by_code[item.code] = self.by_pk[item.pk] = item
            self.by_name[(item.estate.name if item.estate_id and item.estate else "", item.name)].append(item)
        self.entrances: dict[tuple[int, str], int] = dict(
            ((b, n), pk)
            for pk, b, n in Entrance.objects.filter(building__in=list(self.by_code.values())).values_list(
                "id", "building_id", "number"
            )
        )
        self.households: dict[HouseholdKey, int] = {}  # rooms with a file, for the buildings looked at so far
        self.heads_on_file: set[int] = set()  # households whose head is on file
        self.loaded_buildings: set[int] = set()
        self.seen_ids: dict[str, int] = {}  # ID number -> first row with it
        self.heads_in_file: dict[HouseholdKey, int] = {}
        self.region_paths: set[str] = set()
        self.created: dict[str, int] = {"households": 0, "residents": 0}

    # ---------------------------------------------------------------- checking

    def check(self, rows: list[tuple[int, list[Any]]], positions: dict[str, int]) -> tuple[list[Any], list[RowError]]:
        errors: list[RowError] = []
        pending: list[ResidentRow] = []
        for number, cells in rows:
            problems = RowProblems(number, self.labels)
            item = self._check_row(problems, Cells(cells, positions))
            if problems.errors:
                errors += problems.errors
            elif item is not None:
                pending.append(item)
        good = self._check_against_database(pending, errors)
        return good, errors

    def _check_row(self, problems: RowProblems, cell: Cells) -> ResidentRow | None:
        """One row's resident, or None with every problem noted. Empty optional cells take no check at all: a
        million rows are mostly empty cells."""
        check, labels, book, today, get = problems.check, self.labels, self.book, self.today, cell.values.get
        name = check("name", check_name, get("name"))
        identity = check(
            "id_number", clean_identity, id_number=get("id_number"), birth_date=get("birth_date"), sex=get("sex"),
            today=today,
        )  # fmt: skip
        id_number, birth, sex = identity if identity is not None else ("", None, "")
        if id_number:
            first = self.seen_ids.setdefault(id_number, problems.row)
            if first != problems.row:
                problems.add(
                    "id_number", _("与第 %(row)s 行是同一人（身份证号码相同），一人只能登记一次。") % {"row": first}
                )
        phone = check("phone", check_phone, value) if (value := get("phone")) else ""
        residence: str = ResidenceStatus.REGISTERED
        if value := get("residence_status"):
            residence = check("residence_status", parse_residence_status, value, default=residence)
        codes: dict[str, int | None] = {}
        for key, list_name in CODE_COLUMNS:
            code = (
                check(key, book.find, list_name, value, field_name=key, label=labels[key])
                if (value := get(key))
                else None
            )
            codes[key] = code.pk if code else None
        relation = check(
            "relation", book.find, CodeList.RELATION, get("relation"), field_name="relation", label=labels["relation"]
        )
        texts: dict[str, str] = {}
        for key, length in (*TEXT_COLUMNS, ("notes", 2000)):
            value = get(key)
            texts[key] = (
                check(key, parse_text, value, field_name=key, label=labels[key], max_length=length, default="")
                if value
                else ""
            )
        dates: dict[str, Any] = {}
        for key in ("floating_since", "categories_reviewed_on"):
            value = get(key)
            dates[key] = (
                check(key, parse_date, value, field_name=key, label=labels[key], today=today) if value else None
            )
        if residence != ResidenceStatus.FLOATING and (codes["inflow_reason"] or dates["floating_since"]):
            problems.add("inflow_reason", _("只有流动人口才登记流入原因和来本地日期。"))
        tags: list[Code] = []
        for key, list_name in TAG_COLUMNS:
            if value := get(key):
                tags += check(key, book.find_many, [list_name], value, field_name=key, label=labels[key], default=[])
        if tags and birth is not None:
            check("care_tags", check_tags_fit, tags, birth, today)
        housing_status: str = HousingStatus.OWNER
        if value := get("housing_status"):
            housing_status = check("housing_status", parse_housing_status, value, default=housing_status)
        place = self._building(problems, cell)
        entrance = cell.text("entrance").removesuffix("单元")
        room = check("room", check_room, get("room"))
        floor = None
        if place is not None:
            if (place.pk, entrance) not in self.entrances:
                problems.add("entrance", _("该楼栋没有“%(n)s”单元。") % {"n": entrance[:10]})
            if room:
                floor = check("floor", check_floor, get("floor"), place, room)
        if problems.errors or place is None or room is None or floor is None:
            return None
        values = (
            name, id_number, sex, birth, codes["ethnicity"], codes["education"], codes["marital_status"],
            codes["political_status"], codes["inflow_reason"], phone, residence, texts["registered_address"],
            texts["native_place"], texts["occupation"], texts["workplace"], texts["notes"], dates["floating_since"],
            dates["categories_reviewed_on"] or today, place.grid_id, relation.pk if relation else None,
        )  # fmt: skip
        return ResidentRow(
            problems.row, values, [t.pk for t in tags], (place.pk, entrance, room), floor, housing_status,
            place.grid.path,
        )  # fmt: skip

    def _building(self, problems: RowProblems, cell: Cells) -> Building | None:
        """The building a row names, by code or by estate and building name, in the importer's reach."""
        code = cell.text("building_code")
        if code:
            found = self.by_code.get(code)
            if found is None:
                problems.add("building_code", not_in_reach(_("楼栋编码为“%(code)s”的楼栋") % {"code": code[:24]}))
            return found
        name = cell.text("building")
        if not name:
            problems.add("building", _("请填写楼栋（或楼栋编码）。"))
            return None
        estate = cell.text("estate")
        candidates = self.by_name.get((estate, name), [])
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            problems.add("building", not_in_reach(_("楼栋“%(name)s”") % {"name": f"{estate}{name}"[:60]}))
        else:
            problems.add("building", _("有多个同名楼栋，请填写楼栋编码。"))
        return None

    def _load_households(self, building_ids: set[int]) -> None:
        new = sorted(building_ids - self.loaded_buildings)
        for start in range(0, len(new), 500):
            part = new[start : start + 500]
            rows = Household.objects.filter(building_id__in=part).exclude(status=HouseholdStatus.CLOSED)
            for pk, building, entrance, room in rows.values_list("id", "building_id", "entrance__number", "room"):
                self.households[(building, entrance, room)] = pk
            self.heads_on_file.update(
                Resident.objects.filter(
                    household__building_id__in=part, relation_id__in=self.head_ids, status=ResidentStatus.ACTIVE
                ).values_list("household_id", flat=True)
            )
        self.loaded_buildings.update(new)

    def _check_against_database(self, pending: list[ResidentRow], errors: list[RowError]) -> list[ResidentRow]:
        """People already registered, and one head per household (on file and in the file)."""
        label_id, label_relation = self.labels["id_number"], self.labels["relation"]
        registered = _registered([r.values[1] for r in pending if r.values[1]])
        self._load_households({r.household[0] for r in pending})
        good = []
        for item in pending:
            number = item.values[1]
            household_id = self.households.get(item.household)
            if number in registered:
                other = registered[number]
                if other is not None and other != household_id:
                    message = _("该居民已登记在另一户，一人同时只能属于一户；如已搬家，请在系统中办理迁移。")
                else:
                    message = _("该居民已登记（身份证号码相同），不能重复登记。")
                errors.append(RowError(item.row, label_id, message))
                continue
            if item.values[-1] in self.head_ids:
                if household_id is not None and household_id in self.heads_on_file:
                    errors.append(RowError(item.row, label_relation, _("该户已登记户主，一户只能有一名户主。")))
                    continue
                first = self.heads_in_file.setdefault(item.household, item.row)
                if first != item.row:
                    message = _("与第 %(row)s 行登记在同一户且都是户主，一户只能有一名户主。") % {"row": first}
                    errors.append(RowError(item.row, label_relation, message))
                    continue
            good.append(item)
        return good

    # ---------------------------------------------------------------- writing

    def write(self, batch: ImportBatch, good: list[ResidentRow]) -> None:
        """New households first (one per room without a file), then the residents and their tags."""
        missing: dict[HouseholdKey, ResidentRow] = {}
        for item in good:
            if item.household not in self.households:
                missing.setdefault(item.household, item)
        if missing:
            ids = core_bulk.new_ids(Household, len(missing))
            rows = []
            for pk, (key, item) in zip(ids, missing.items(), strict=True):
                place = self.by_pk[key[0]]
                entrance = Entrance(pk=self.entrances[(key[0], key[1])], number=key[1])
                rows.append(
                    (pk, place.pk, entrance.pk, item.floor, key[2], place.grid_id,
                     household_address(place, entrance, key[2]), item.housing_status)
                )  # fmt: skip
                self.households[key] = pk
            bulk.insert(
                Household,
                ("id", "building_id", "entrance_id", "floor", "room", "grid_id", "address", "housing_status"),
                rows,
                constants={"import_batch_id": batch.pk},
            )
            self.created["households"] += len(rows)
        ids = core_bulk.new_ids(Resident, len(good))
        bulk.insert(
            Resident,
            ("id", *DB_COLUMNS, "household_id"),
            ((pk, *item.values, self.households[item.household]) for pk, item in zip(ids, good, strict=True)),
            constants={"import_batch_id": batch.pk},
        )
        bulk.insert(
            ResidentTag,
            ("resident_id", "code_id"),
            ((pk, tag) for pk, item in zip(ids, good, strict=True) for tag in item.tag_ids),
        )
        self.created["residents"] += len(good)
        self.region_paths.update(item.grid_path for item in good)


def _registered(numbers: list[str]) -> dict[str, int | None]:
    """The household (or None) of each of these ID numbers already on file. PostgreSQL gets the numbers as one
    array: 5,000 placeholders cost more to send than the lookup."""
    if not numbers:
        return {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(Resident._meta.db_table)
            cursor.execute(f"SELECT id_number, household_id FROM {table} WHERE id_number = ANY(%s)", [numbers])
            return dict(cursor.fetchall())
    return dict(Resident.objects.filter(id_number__in=numbers).values_list("id_number", "household_id"))
