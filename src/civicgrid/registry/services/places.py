"""Estates, buildings with their entrances, households: adding and correcting them, and recording the checks the
four clears ask for (a building's facilities, a household's risks and disputes)."""

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import Conflict, ValidationError
from civicgrid.core.identity import check_phone
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region
from civicgrid.regions.selectors import grid_at
from civicgrid.registry import policy
from civicgrid.registry.choices import CodeList, HouseholdStatus
from civicgrid.registry.models import Building, Entrance, Estate, Household
from civicgrid.registry.services.common import changed_fields, grid_by_code, locked, masked_snapshot
from civicgrid.registry.validation import (
    FLOOR_LABEL,
    CodeBook,
    invalid,
    parse_date,
    parse_decimal,
    parse_housing_status,
    parse_int,
    parse_lon_lat,
    parse_text,
)

ESTATE_FIELDS = ("name", "address", "property_company", "property_phone", "built_year", "lon", "lat", "notes")
BUILDING_FIELDS = (
    "name", "address", "estate", "floors_above", "floors_below", "use", "structure", "built_year", "lon", "lat",
    "property_company", "captain_name", "captain_phone", "notes",
)  # fmt: skip
HOUSEHOLD_FIELDS = ("floor", "housing_status", "housing_use", "area_m2", "status", "notes")
ENTRANCE_NUMBER = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff-]{1,10}$")
ROOM = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff#-]{1,20}$")


def _community(actor: Any, code: str) -> Region:
    community = Region.objects.filter(code=(code or "").strip(), level=Level.COMMUNITY).first()
    if community is None or not policy.may(actor, "read", community.path):
        raise invalid("community_code", _("没有找到该社区，或它不在您的管辖范围内。"))
    policy.require(actor, "edit", community.path)
    return community


def _estate_values(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if not partial or "name" in data:
        values["name"] = parse_text(
            data.get("name"), field_name="name", label=_("小区名称"), max_length=100, required=True
        )
    for key, label, length in (("address", _("地址"), 200), ("property_company", _("物业服务企业"), 100),
                               ("notes", _("备注"), 2000)):  # fmt: skip
        if key in data:
            values[key] = parse_text(data[key], field_name=key, label=label, max_length=length)
    if "property_phone" in data:
        values["property_phone"] = check_phone(data["property_phone"], field="property_phone")
    if "built_year" in data:
        values["built_year"] = parse_int(
            data["built_year"], field_name="built_year", label=_("建成年份"), low=1800, high=timezone.localdate().year
        )
    if "lon" in data or "lat" in data:
        values["lon"], values["lat"] = parse_lon_lat(data.get("lon"), data.get("lat"))
    return values


@transaction.atomic
def estate_create(*, actor: Any, community_code: str, **data: Any) -> Estate:
    """A new estate in a community the actor may edit; its code is the community's code and a sequence."""
    community = _community(actor, community_code)
    values = _estate_values(data, partial=False)
    Region.objects.select_for_update().filter(pk=community.pk).first()  # numbering in one community, one at a time
    if Estate.objects.filter(community=community, name=values["name"]).exists():
        raise invalid("name", _("本社区已有同名小区。"))
    last = Estate.objects.filter(community=community).aggregate(m=Max("code"))["m"]
    sequence = int(last[-3:]) + 1 if last else 1
    estate = Estate.objects.create(code=f"{community.code}{sequence:03d}", community=community, **values)
    audit.record(actor=actor, action="estate.create", obj=estate, after=masked_snapshot(estate, ESTATE_FIELDS))
    return estate


@transaction.atomic
def estate_update(*, actor: Any, estate_id: int, **data: Any) -> Estate:
    estate = locked(actor, Estate.objects.select_related("community"), estate_id)
    values = _estate_values(data, partial=True)
    changed = changed_fields(estate, values)
    if not changed:
        return estate
    if "name" in changed and Estate.objects.filter(community=estate.community, name=values["name"]).exists():
        raise invalid("name", _("本社区已有同名小区。"))
    before = masked_snapshot(estate, changed)
    for name in changed:
        setattr(estate, name, values[name])
    estate.save(update_fields=[*changed, "updated_at"])
    audit.record(actor=actor, action="estate.update", obj=estate, before=before, after=masked_snapshot(estate, changed))
    return estate


def _building_values(actor: Any, data: dict[str, Any], book: CodeBook, *, partial: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if not partial or "name" in data:
        values["name"] = parse_text(
            data.get("name"), field_name="name", label=_("楼栋号"), max_length=40, required=True
        )
    if not partial or "address" in data:
        values["address"] = parse_text(
            data.get("address"), field_name="address", label=_("地址"), max_length=200, required=True
        )
    if "estate_id" in data:
        estate_id = data["estate_id"]
        if estate_id in (None, ""):
            values["estate"] = None
        else:
            estate = policy.visible(actor, Estate.objects.select_related("community")).filter(pk=estate_id).first()
            if estate is None:
                raise invalid("estate_id", _("没有找到该小区，或它不在您的管辖范围内。"))
            values["estate"] = estate
    for key, label, low, high in (("floors_above", _("地上层数"), 1, 200), ("floors_below", _("地下层数"), 0, 20)):
        if key in data or not partial:
            default = 1 if key == "floors_above" else 0
            number = parse_int(data.get(key), field_name=key, label=label, low=low, high=high)
            values[key] = default if number is None else number
    if "built_year" in data:
        values["built_year"] = parse_int(
            data["built_year"], field_name="built_year", label=_("建成年份"), low=1800, high=timezone.localdate().year
        )
    if "use" in data:
        values["use"] = book.find(CodeList.HOUSING_USE, data["use"], field_name="use", label=_("房屋用途"))
    if "structure" in data:
        values["structure"] = book.find(
            CodeList.BUILDING_STRUCTURE, data["structure"], field_name="structure", label=_("建筑结构")
        )
    for key, label, length in (("property_company", _("物业服务企业"), 100), ("captain_name", _("楼栋长"), 40),
                               ("notes", _("备注"), 2000)):  # fmt: skip
        if key in data:
            values[key] = parse_text(data[key], field_name=key, label=label, max_length=length)
    if "captain_phone" in data:
        values["captain_phone"] = check_phone(data["captain_phone"], field="captain_phone")
    if "lon" in data or "lat" in data:
        values["lon"], values["lat"] = parse_lon_lat(data.get("lon"), data.get("lat"))
    return values


def _check_building_place(grid: Region, values: dict[str, Any]) -> None:
    estate = values.get("estate")
    if estate is not None and not grid.path.startswith(estate.community.path):
        raise invalid("grid_code", _("楼栋所在网格不属于该小区所在的社区。"))
    if values.get("lon") is not None and grid.boundary:
        found = grid_at(values["lon"], values["lat"])
        if found is None or found.id != grid.pk:
            raise invalid("lon", _("楼栋坐标不在所选网格内，请核对坐标或网格。"))


def _entrance_numbers(value: Any) -> list[str]:
    """Entrances as a count (3 -> 1, 2, 3) or a list of their numbers; a building has at least one."""
    if value is None or value == "":
        return ["1"]
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        count = parse_int(value, field_name="entrances", label=_("单元数"), low=1, high=50) or 1
        return [str(n) for n in range(1, count + 1)]
    numbers = [str(v).strip() for v in value if str(v).strip()]
    if not numbers or len(numbers) > 50 or len(set(numbers)) != len(numbers):
        raise invalid("entrances", _("单元号应为 1 到 50 个互不相同的编号。"))
    for number in numbers:
        if not ENTRANCE_NUMBER.match(number):
            raise invalid("entrances", _("单元号只能由数字、字母或汉字组成，不超过 10 个字。"))
    return numbers


@transaction.atomic
def building_create(
    *, actor: Any, grid_code: str | None = None, entrances: Any = None, facilities: Any = None, **data: Any
) -> Building:
    """A new building in a grid the actor may edit (or the grid its coordinates fall in), with its entrances."""
    book = CodeBook()
    values = _building_values(actor, data, book, partial=False)
    if not grid_code and values.get("lon") is not None:
        found = grid_at(values["lon"], values["lat"])
        grid_code = found.code if found else None
    grid = grid_by_code(actor, grid_code)
    _check_building_place(grid, values)
    numbers = _entrance_numbers(entrances)
    chosen = book.find_many([CodeList.FACILITY], facilities, field_name="facilities", label=_("设施"))
    Region.objects.select_for_update().filter(pk=grid.pk).first()  # numbering in one grid, one at a time
    if values.get("estate") and Building.objects.filter(estate=values["estate"], name=values["name"]).exists():
        raise invalid("name", _("同一小区内楼栋号不能重复。"))
    last = Building.objects.filter(grid=grid).aggregate(m=Max("code"))["m"]
    sequence = int(last[-4:]) + 1 if last else 1
    building = Building.objects.create(code=f"{grid.code}{sequence:04d}", grid=grid, **values)
    Entrance.objects.bulk_create([Entrance(building=building, number=n) for n in numbers])
    building.facilities.set(chosen)
    after = {**masked_snapshot(building, BUILDING_FIELDS), "entrances": numbers, "facilities": [c.code for c in chosen]}
    audit.record(actor=actor, action="building.create", obj=building, after=after)
    return building


@transaction.atomic
def building_update(*, actor: Any, building_id: int, entrances: Any = None, **data: Any) -> Building:
    """Correct a building's fields; `entrances` (a list of numbers) adds entrances, never removes one in use."""
    building = locked(actor, Building.objects.select_related("grid", "estate__community"), building_id)
    values = _building_values(actor, data, CodeBook(), partial=True)
    _check_building_place(building.grid, {"estate": building.estate, **values})
    changed = changed_fields(building, values)
    if "name" in changed or "estate" in changed:
        estate = values.get("estate", building.estate)
        name = values.get("name", building.name)
        if estate and Building.objects.filter(estate=estate, name=name).exclude(pk=building.pk).exists():
            raise invalid("name", _("同一小区内楼栋号不能重复。"))
    before = masked_snapshot(building, changed)
    for name in changed:
        setattr(building, name, values[name])
    added: list[str] = []
    if entrances is not None:
        existing = set(building.entrances.values_list("number", flat=True))
        added = [n for n in _entrance_numbers(entrances) if n not in existing]
        Entrance.objects.bulk_create([Entrance(building=building, number=n) for n in added])
    if not changed and not added:
        return building
    if changed:
        building.save(update_fields=[*changed, "updated_at"])
        # The households' addresses are built from the building's, so they follow a correction.
        if {"name", "address", "estate"} & set(changed):
            for household in building.households.select_related("entrance"):
                household.address = household_address(building, household.entrance, household.room)
                household.save(update_fields=["address", "updated_at"])
    after = {**masked_snapshot(building, changed), **({"entrances_added": added} if added else {})}
    audit.record(actor=actor, action="building.update", obj=building, before=before, after=after)
    return building


@transaction.atomic
def building_check_facilities(
    *, actor: Any, building_id: int, facilities: Any, checked_on: date | str | None = None, note: str = ""
) -> Building:
    """Record a facilities check (设施情况): what the building has, and when it was checked."""
    building = locked(actor, Building.objects.select_related("grid"), building_id)
    chosen = CodeBook().find_many([CodeList.FACILITY], facilities, field_name="facilities", label=_("设施"))
    day = parse_date(checked_on, field_name="checked_on", label=_("核查日期")) or timezone.localdate()
    before = {
        "facilities": sorted(building.facilities.values_list("code", flat=True)),
        "facilities_checked_on": building.facilities_checked_on,
    }
    building.facilities.set(chosen)
    building.facilities_checked_on = day
    building.save(update_fields=["facilities_checked_on", "updated_at"])
    after = {"facilities": sorted(c.code for c in chosen), "facilities_checked_on": day, "note": note[:500]}
    audit.record(actor=actor, action="building.check_facilities", obj=building, before=before, after=after)
    return building


@transaction.atomic
def entrance_update(*, actor: Any, entrance_id: int, captain_name: str = "", captain_phone: str = "") -> Entrance:
    entrance = locked(actor, Entrance.objects.select_related("building__grid"), entrance_id)
    values = {
        "captain_name": parse_text(captain_name, field_name="captain_name", label=_("单元长"), max_length=40),
        "captain_phone": check_phone(captain_phone, field="captain_phone"),
    }
    changed = changed_fields(entrance, values)
    if changed:
        before = masked_snapshot(entrance, changed)
        for name in changed:
            setattr(entrance, name, values[name])
        entrance.save(update_fields=changed)
        audit.record(
            actor=actor, action="entrance.update", obj=entrance, before=before, after=masked_snapshot(entrance, changed)
        )
    return entrance


def household_address(building: Building, entrance: Entrance, room: str) -> str:
    """…路 8 号 + 阳光小区3幢2单元1201室: what a letter would carry."""
    estate = building.estate.name if building.estate_id and building.estate else ""
    return format_address(building.address, estate, building.name, entrance.number, room)


def format_address(address: str, estate: str, building: str, entrance: str, room: str) -> str:
    return f"{address}{estate}{building}{entrance}单元{room}室"[:250]


def floor_of_room(room: str, building: Building) -> int | None:
    """The floor a room number implies (1201 -> 12, 302 -> 3, B102 -> -1), if it implies one within the building."""
    basement = room[:1].upper() == "B" and room[1:].isdigit()
    digits = room[1:] if basement else room
    if not digits.isdigit() or len(digits) < 3:
        return None
    floor = int(digits[:-2])
    if basement:
        return -floor if 1 <= floor <= building.floors_below else None
    return floor if 1 <= floor <= building.floors_above else None


def check_floor(floor: Any, building: Building, room: str) -> int:
    number = parse_int(floor, field_name="floor", label=FLOOR_LABEL, low=-20, high=200)
    if number is None:
        number = floor_of_room(room, building)
        if number is None:
            raise invalid("floor", _("请填写楼层（房号看不出楼层）。"))
    if number == 0 or number > building.floors_above or -number > building.floors_below:
        message = _("楼层 %(floor)s 不在该楼栋的楼层范围内（地上 %(up)s 层，地下 %(down)s 层）。") % {
            "floor": number,
            "up": building.floors_above,
            "down": building.floors_below,
        }
        raise invalid("floor", message)
    return number


def check_room(room: Any) -> str:
    text = str(room or "").strip().removesuffix("室")
    if not text:
        raise invalid("room", _("请填写房号。"))
    if not ROOM.match(text):
        raise invalid("room", _("房号只能由数字、字母或汉字组成，不超过 20 个字。"))
    return text


def _household_values(data: dict[str, Any], book: CodeBook) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "housing_status" in data:
        values["housing_status"] = parse_housing_status(data["housing_status"])
    if "housing_use" in data:
        values["housing_use"] = book.find(
            CodeList.HOUSING_USE, data["housing_use"], field_name="housing_use", label=_("房屋用途")
        )
    if "area_m2" in data:
        values["area_m2"] = parse_decimal(
            data["area_m2"], field_name="area_m2", label=_("建筑面积"), high=Decimal(10000)
        )
    if "notes" in data:
        values["notes"] = parse_text(data["notes"], field_name="notes", label=_("备注"), max_length=2000)
    if "status" in data:
        if data["status"] not in HouseholdStatus.values:
            raise invalid("status", _("户的状态应为在住、空置或已注销。"))
        values["status"] = data["status"]
    return values


@transaction.atomic
def household_create(
    *, actor: Any, building_id: int, entrance: str, room: str, floor: Any = None, **data: Any
) -> Household:
    """A new household file for a room of a building the actor may edit."""
    building = locked(actor, Building.objects.select_related("grid", "estate"), building_id)
    entrance_row = building.entrances.filter(number=str(entrance or "").strip()).first()
    if entrance_row is None:
        raise invalid("entrance", _("该楼栋没有这个单元。"))
    room_text = check_room(room)
    values = {
        "housing_status": "owner",
        **_household_values(data, CodeBook()),
        "floor": check_floor(floor, building, room_text),
    }
    if values.get("status") == HouseholdStatus.CLOSED:
        raise invalid("status", _("新建的户不能是已注销状态。"))
    if Household.objects.filter(entrance=entrance_row, room=room_text).exists():
        raise invalid("room", _("该单元已有相同房号的户。"))
    try:
        with transaction.atomic():
            household = Household.objects.create(
                building=building,
                entrance=entrance_row,
                room=room_text,
                grid=building.grid,
                address=household_address(building, entrance_row, room_text),
                **values,
            )
    except IntegrityError as error:  # someone filed the same room at the same moment
        raise Conflict(_("该单元已有相同房号的户。")) from error
    after = masked_snapshot(household, ("address", *HOUSEHOLD_FIELDS))
    audit.record(actor=actor, action="household.create", obj=household, after=after)
    return household


@transaction.atomic
def household_update(*, actor: Any, household_id: int, **data: Any) -> Household:
    household = locked(actor, Household.objects.select_related("grid", "building"), household_id)
    values = _household_values(data, CodeBook())
    if "floor" in data:
        values["floor"] = check_floor(data["floor"], household.building, household.room)
    if values.get("status") == HouseholdStatus.CLOSED and household.residents.filter(status="active").exists():
        raise invalid("status", _("户内还有在册成员，请先办理迁出后再注销。"))
    changed = changed_fields(household, values)
    if not changed:
        return household
    before = masked_snapshot(household, changed)
    for name in changed:
        setattr(household, name, values[name])
    household.save(update_fields=[*changed, "updated_at"])
    audit.record(
        actor=actor, action="household.update", obj=household, before=before, after=masked_snapshot(household, changed)
    )
    return household


@transaction.atomic
def household_check_risks(
    *, actor: Any, household_id: int, checked_on: date | str | None = None, notes: str = ""
) -> Household:
    """Record a risk and dispute check of a household (隐患矛盾排查), e.g. from a home visit."""
    household = locked(actor, Household.objects.select_related("grid"), household_id)
    day = parse_date(checked_on, field_name="checked_on", label=_("排查日期")) or timezone.localdate()
    text = parse_text(notes, field_name="notes", label=_("隐患矛盾情况"), max_length=2000)
    before = {"risks_checked_on": household.risks_checked_on}
    if household.risks_checked_on is None or day >= household.risks_checked_on:
        household.risks_checked_on = day
    household.risk_notes = text
    household.save(update_fields=["risks_checked_on", "risk_notes", "updated_at"])
    audit.record(
        actor=actor,
        action="household.check_risks",
        obj=household,
        before=before,
        after={"risks_checked_on": household.risks_checked_on, "checked_on": day},
    )
    return household


__all__ = [
    "ValidationError",
    "building_check_facilities",
    "building_create",
    "building_update",
    "check_floor",
    "check_room",
    "entrance_update",
    "estate_create",
    "estate_update",
    "floor_of_room",
    "household_address",
    "household_check_risks",
    "household_create",
    "household_update",
]
