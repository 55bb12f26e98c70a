"""JSON shapes of the base files, and the presenters that fill them: ID numbers and phones masked, the key-person flag
only for roles that may know (null otherwise, indistinguishable from "not allowed to say")."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from civicgrid.core.identity import age
from civicgrid.core.masking import mask_id_number, mask_phone
from civicgrid.registry import policy
from civicgrid.registry.choices import (
    HouseholdStatus,
    HousingStatus,
    ImportKind,
    ImportMode,
    MoveReason,
    OrganisationStatus,
    ResidenceStatus,
    ResidentStatus,
    Sex,
)
from civicgrid.registry.models import (
    Building,
    Code,
    Entrance,
    Estate,
    Household,
    Organisation,
    PastMembership,
    Resident,
)

# ---------------------------------------------------------------- small pieces


class CodeOut(Schema):
    list: str
    code: str
    name: str
    description: str = ""


class RegionRef(Schema):
    code: str
    name: str


class ErrorOut(Schema):
    detail: str
    errors: Any = None


def code_out(code: Code | None) -> dict[str, Any] | None:
    return {"list": code.list, "code": code.code, "name": code.name, "description": code.description} if code else None


def region_ref(region: Any) -> dict[str, str] | None:
    return {"code": region.code, "name": region.name} if region is not None else None


# ---------------------------------------------------------------- estates and buildings


class EstateIn(Schema):
    community_code: str = Field(..., max_length=15)
    name: str = Field(..., max_length=100)
    address: str = Field("", max_length=200)
    property_company: str = Field("", max_length=100)
    property_phone: str = Field("", max_length=20)
    built_year: int | None = Field(None, ge=1800, le=2200)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    notes: str = Field("", max_length=2000)


class EstatePatch(Schema):
    name: str | None = Field(None, max_length=100)
    address: str | None = Field(None, max_length=200)
    property_company: str | None = Field(None, max_length=100)
    property_phone: str | None = Field(None, max_length=20)
    built_year: int | None = Field(None, ge=1800, le=2200)
    notes: str | None = Field(None, max_length=2000)


class EstateOut(Schema):
    id: int
    code: str
    name: str
    community: RegionRef
    address: str
    property_company: str
    property_phone: str
    built_year: int | None
    buildings: int


def estate_out(estate: Estate) -> dict[str, Any]:
    return {
        "id": estate.pk,
        "code": estate.code,
        "name": estate.name,
        "community": region_ref(estate.community),
        "address": estate.address,
        "property_company": estate.property_company,
        "property_phone": estate.property_phone,  # a company's line, not personal data
        "built_year": estate.built_year,
        "buildings": getattr(estate, "building_count", None) or estate.buildings.count(),
    }


class BuildingIn(Schema):
    grid_code: str | None = Field(None, max_length=15, description="the grid; may be left out when lon/lat are given")
    estate_id: int | None = None
    name: str = Field(..., max_length=40, description="楼栋号, e.g. 3幢")
    address: str = Field(..., max_length=200)
    floors_above: int = Field(1, ge=1, le=200)
    floors_below: int = Field(0, ge=0, le=20)
    entrances: int | list[str] = Field(1, description="a number of entrances (1..n) or their numbers")
    use: str | None = Field(None, max_length=24, description="code list housing_use")
    structure: str | None = Field(None, max_length=24, description="code list building_structure")
    built_year: int | None = Field(None, ge=1800, le=2200)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    property_company: str = Field("", max_length=100)
    captain_name: str = Field("", max_length=40)
    captain_phone: str = Field("", max_length=20)
    facilities: list[str] = Field(default_factory=list, max_length=30, description="code list facility")
    notes: str = Field("", max_length=2000)


class BuildingPatch(Schema):
    estate_id: int | None = None
    name: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=200)
    floors_above: int | None = Field(None, ge=1, le=200)
    floors_below: int | None = Field(None, ge=0, le=20)
    entrances: list[str] | None = Field(None, max_length=50, description="entrances to add")
    use: str | None = Field(None, max_length=24)
    structure: str | None = Field(None, max_length=24)
    built_year: int | None = Field(None, ge=1800, le=2200)
    property_company: str | None = Field(None, max_length=100)
    captain_name: str | None = Field(None, max_length=40)
    captain_phone: str | None = Field(None, max_length=20)
    notes: str | None = Field(None, max_length=2000)


class FacilitiesCheckIn(Schema):
    facilities: list[str] = Field(
        ..., max_length=30, description="every facility the building has (code list facility)"
    )
    checked_on: date | None = None
    note: str = Field("", max_length=500)


class RiskCheckIn(Schema):
    checked_on: date | None = None
    notes: str = Field("", max_length=2000)


class EntranceIn(Schema):
    captain_name: str = Field("", max_length=40)
    captain_phone: str = Field("", max_length=20)


class EntranceOut(Schema):
    id: int
    number: str
    captain_name: str
    captain_phone: str = Field(description="masked")


class BuildingOut(Schema):
    id: int
    code: str
    name: str
    estate: str
    estate_id: int | None
    address: str
    grid: RegionRef
    community: RegionRef | None
    floors_above: int
    floors_below: int
    use: CodeOut | None
    structure: CodeOut | None
    built_year: int | None
    lon: float | None
    lat: float | None
    property_company: str
    captain_name: str
    captain_phone: str = Field(description="masked")
    facilities_checked_on: date | None


def building_out(building: Building) -> dict[str, Any]:
    return {
        "id": building.pk,
        "code": building.code,
        "name": building.name,
        "estate": building.estate.name if building.estate_id and building.estate else "",
        "estate_id": building.estate_id,
        "address": building.address,
        "grid": region_ref(building.grid),
        "community": region_ref(building.grid.parent),
        "floors_above": building.floors_above,
        "floors_below": building.floors_below,
        "use": code_out(building.use),
        "structure": code_out(building.structure),
        "built_year": building.built_year,
        "lon": building.lon,
        "lat": building.lat,
        "property_company": building.property_company,
        "captain_name": building.captain_name,
        "captain_phone": mask_phone(building.captain_phone),
        "facilities_checked_on": building.facilities_checked_on,
    }


def entrance_out(entrance: Entrance) -> dict[str, Any]:
    return {
        "id": entrance.pk,
        "number": entrance.number,
        "captain_name": entrance.captain_name,
        "captain_phone": mask_phone(entrance.captain_phone),
    }


class HouseholdBrief(Schema):
    id: int
    room: str
    floor: int
    housing_status: HousingStatus
    status: HouseholdStatus
    members: int


class FloorOut(Schema):
    floor: int
    households: list[HouseholdBrief]


class EntranceFloorsOut(Schema):
    entrance: EntranceOut
    floors: list[FloorOut]


class CompletenessRow(Schema):
    id: int
    code: str = ""
    name: str = ""
    households: int
    family: int
    categories: int
    facilities: int
    risks: int
    complete: int
    rates: dict[str, float] = Field(default_factory=dict, description="each count divided by households")


class OrganisationBrief(Schema):
    id: int
    name: str
    org_type: str


class BuildingDossierOut(Schema):
    building: BuildingOut
    entrances: list[EntranceFloorsOut]
    households: int
    residents: int
    by_residence_status: dict[str, int]
    by_care_tag: list[tuple[str, int]]
    key_persons: int | None = Field(description="null when the caller may not know key persons")
    organisations: list[OrganisationBrief]
    facilities: list[CodeOut]
    completeness: dict[str, int]
    may_edit: bool


def dossier_out(dossier: Any) -> dict[str, Any]:
    return {
        "building": building_out(dossier.building),
        "entrances": [
            {
                "entrance": entrance_out(view.entrance),
                "floors": [
                    {
                        "floor": floor.number,
                        "households": [
                            {
                                "id": h.pk,
                                "room": h.room,
                                "floor": h.floor,
                                "housing_status": h.housing_status,
                                "status": h.status,
                                "members": h.member_count,
                            }
                            for h in floor.households
                        ],
                    }
                    for floor in view.floors
                ],
            }
            for view in dossier.entrances
        ],
        "households": dossier.households,
        "residents": dossier.residents,
        "by_residence_status": dossier.by_residence_status,
        "by_care_tag": dossier.by_care_tag,
        "key_persons": dossier.key_persons,
        "organisations": [
            {"id": o.pk, "name": o.name, "org_type": o.org_type.name if o.org_type else ""}
            for o in dossier.organisations
        ],
        "facilities": [code_out(c) for c in dossier.facilities],
        "completeness": {k: v for k, v in dossier.completeness.items() if k != "id"},
        "may_edit": dossier.may_edit,
    }


# ---------------------------------------------------------------- households


class HouseholdIn(Schema):
    building_id: int
    entrance: str = Field(..., max_length=10)
    room: str = Field(..., max_length=20)
    floor: int | None = Field(None, ge=-20, le=200, description="left out: read from the room number (1201 -> 12)")
    housing_status: HousingStatus = HousingStatus.OWNER
    housing_use: str | None = Field(None, max_length=24)
    area_m2: Decimal | None = Field(None, gt=0, le=10000, decimal_places=2)
    notes: str = Field("", max_length=2000)


class HouseholdPatch(Schema):
    floor: int | None = Field(None, ge=-20, le=200)
    housing_status: HousingStatus | None = None
    housing_use: str | None = Field(None, max_length=24)
    area_m2: Decimal | None = Field(None, gt=0, le=10000, decimal_places=2)
    status: HouseholdStatus | None = None
    notes: str | None = Field(None, max_length=2000)


class HouseholdOut(Schema):
    id: int
    address: str
    building_id: int
    building: str
    estate: str
    entrance: str
    floor: int
    room: str
    grid: RegionRef
    community: RegionRef | None
    housing_status: HousingStatus
    housing_status_label: str
    housing_use: CodeOut | None
    area_m2: Decimal | None
    status: HouseholdStatus
    members: int
    risks_checked_on: date | None


def household_out(home: Household) -> dict[str, Any]:
    members = getattr(home, "member_count", None)
    if members is None:
        members = home.residents.filter(status=ResidentStatus.ACTIVE).count()
    return {
        "id": home.pk,
        "address": home.address,
        "building_id": home.building_id,
        "building": home.building.name,
        "estate": home.building.estate.name if home.building.estate_id and home.building.estate else "",
        "entrance": home.entrance.number,
        "floor": home.floor,
        "room": home.room,
        "grid": region_ref(home.grid),
        "community": region_ref(home.grid.parent),
        "housing_status": home.housing_status,
        "housing_status_label": str(HousingStatus(home.housing_status).label),
        "housing_use": code_out(home.housing_use),
        "area_m2": home.area_m2,
        "status": home.status,
        "members": members,
        "risks_checked_on": home.risks_checked_on,
    }


class ClearCheckOut(Schema):
    label: str
    ok: bool


class ClearOut(Schema):
    key: str
    label: str
    description: str
    ok: bool
    applies: bool
    checks: list[ClearCheckOut]


class PastMembershipOut(Schema):
    household_id: int
    address: str
    resident_id: int
    resident_name: str
    relation: CodeOut | None
    started_on: date | None
    ended_on: date
    end_reason: MoveReason
    end_reason_label: str


def past_membership_out(item: PastMembership) -> dict[str, Any]:
    return {
        "household_id": item.household_id,
        "address": item.household.address,
        "resident_id": item.resident_id,
        "resident_name": item.resident.name,
        "relation": code_out(item.relation),
        "started_on": item.started_on,
        "ended_on": item.ended_on,
        "end_reason": item.end_reason,
        "end_reason_label": item.get_end_reason_display(),
    }


# ---------------------------------------------------------------- residents


class ResidentIn(Schema):
    household_id: int | None = Field(None, description="the household; without one, give grid_code")
    grid_code: str | None = Field(None, max_length=15)
    relation: str | None = Field(None, max_length=24, description="code list relation (GB/T 4761), e.g. 02 户主")
    name: str = Field(..., max_length=40)
    id_number: str = Field("", max_length=30, description="18 characters (GB 11643); empty for a person without one")
    sex: Sex | None = Field(None, description="required without an ID number; else it must agree with it")
    birth_date: date | None = Field(None, description="required without an ID number; else it must agree with it")
    phone: str = Field("", max_length=20)
    residence_status: ResidenceStatus = ResidenceStatus.REGISTERED
    ethnicity: str | None = Field(None, max_length=24)
    education: str | None = Field(None, max_length=24)
    marital_status: str | None = Field(None, max_length=24)
    political_status: str | None = Field(None, max_length=24)
    inflow_reason: str | None = Field(None, max_length=24)
    floating_since: date | None = None
    former_name: str = Field("", max_length=40)
    native_place: str = Field("", max_length=60)
    registered_address: str = Field("", max_length=200)
    occupation: str = Field("", max_length=60)
    workplace: str = Field("", max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=30, description="person categories and care tags")
    notes: str = Field("", max_length=2000)


class ResidentPatch(Schema):
    name: str | None = Field(None, max_length=40)
    id_number: str | None = Field(None, max_length=30)
    sex: Sex | None = None
    birth_date: date | None = None
    phone: str | None = Field(None, max_length=20)
    residence_status: ResidenceStatus | None = None
    relation: str | None = Field(None, max_length=24)
    ethnicity: str | None = Field(None, max_length=24)
    education: str | None = Field(None, max_length=24)
    marital_status: str | None = Field(None, max_length=24)
    political_status: str | None = Field(None, max_length=24)
    inflow_reason: str | None = Field(None, max_length=24)
    floating_since: date | None = None
    former_name: str | None = Field(None, max_length=40)
    native_place: str | None = Field(None, max_length=60)
    registered_address: str | None = Field(None, max_length=200)
    occupation: str | None = Field(None, max_length=60)
    workplace: str | None = Field(None, max_length=100)
    tags: list[str] | None = Field(None, max_length=30)
    notes: str | None = Field(None, max_length=2000)
    reviewed: bool = Field(
        False, description="the categories and care tags were confirmed today (the categories clear)"
    )


class MoveIn(Schema):
    household_id: int
    relation: str | None = Field(None, max_length=24)
    on: date | None = None
    reason: MoveReason = MoveReason.MOVED_WITHIN


class LeaveIn(Schema):
    reason: MoveReason = Field(..., description="moved_out or deceased")
    on: date | None = None
    note: str = Field("", max_length=200)


class KeyPersonIn(Schema):
    is_key_person: bool
    key_person_type: str | None = Field(None, max_length=24)
    note: str = Field("", max_length=200)


class ResidentOut(Schema):
    id: int
    name: str
    sex: Sex
    sex_label: str
    birth_date: date
    age: int
    id_number: str = Field(description="masked: the first 6 and last 4 characters")
    phone: str = Field(description="masked")
    residence_status: ResidenceStatus
    residence_status_label: str
    status: ResidentStatus
    household_id: int | None
    address: str
    relation: CodeOut | None
    grid: RegionRef
    ethnicity: CodeOut | None
    tags: list[CodeOut]
    categories_reviewed_on: date | None
    is_key_person: bool | None = Field(description="null when the caller may not know key persons")
    key_person_type: CodeOut | None


class ResidentDetail(ResidentOut):
    former_name: str
    native_place: str
    registered_address: str
    education: CodeOut | None
    marital_status: CodeOut | None
    political_status: CodeOut | None
    occupation: str
    workplace: str
    inflow_reason: CodeOut | None
    floating_since: date | None
    notes: str
    may_unmask: bool
    may_edit: bool


def resident_out(person: Resident, actor: Any, tags: list[Code], *, detail: bool = False) -> dict[str, Any]:
    path = person.grid.path
    knows = policy.may(actor, "key_persons", path)
    data: dict[str, Any] = {
        "id": person.pk,
        "name": person.name,
        "sex": person.sex,
        "sex_label": str(Sex(person.sex).label),
        "birth_date": person.birth_date,
        "age": age(person.birth_date, date.today()),
        "id_number": mask_id_number(person.id_number),
        "phone": mask_phone(person.phone),
        "residence_status": person.residence_status,
        "residence_status_label": str(ResidenceStatus(person.residence_status).label),
        "status": person.status,
        "household_id": person.household_id,
        "address": person.household.address if person.household_id and person.household else "",
        "relation": code_out(person.relation),
        "grid": region_ref(person.grid),
        "ethnicity": code_out(person.ethnicity),
        "tags": [code_out(t) for t in tags],
        "categories_reviewed_on": person.categories_reviewed_on,
        "is_key_person": person.is_key_person if knows else None,
        "key_person_type": code_out(person.key_person_type) if knows else None,
    }
    if detail:
        data.update(
            former_name=person.former_name,
            native_place=person.native_place,
            registered_address=person.registered_address,
            education=code_out(person.education),
            marital_status=code_out(person.marital_status),
            political_status=code_out(person.political_status),
            occupation=person.occupation,
            workplace=person.workplace,
            inflow_reason=code_out(person.inflow_reason),
            floating_since=person.floating_since,
            notes=person.notes,
            may_unmask=policy.may(actor, "unmask", path),
            may_edit=policy.may(actor, "edit", path),
        )
    return data


class HouseholdFileOut(Schema):
    household: HouseholdOut
    members: list[ResidentOut]
    former: list[PastMembershipOut]
    clears: list[ClearOut]
    may_unmask: bool
    may_edit: bool


def household_file_out(file: Any, actor: Any) -> dict[str, Any]:
    return {
        "household": household_out(file.household),
        "members": [resident_out(m, actor, file.tags.get(m.pk, [])) for m in file.members],
        "former": [past_membership_out(m) for m in file.former],
        "clears": file.clears,
        "may_unmask": file.may_unmask,
        "may_edit": file.may_edit,
    }


# ---------------------------------------------------------------- organisations


class OrganisationIn(Schema):
    name: str = Field(..., max_length=120)
    uscc: str = Field("", max_length=30, description="统一社会信用代码 (GB 32100), checked with cn.uscc")
    org_type: str = Field(..., max_length=24)
    industry: str | None = Field(None, max_length=24)
    legal_representative: str = Field("", max_length=40)
    contact_name: str = Field("", max_length=40)
    contact_phone: str = Field("", max_length=20)
    address: str = Field(..., max_length=200)
    grid_code: str | None = Field(None, max_length=15, description="its dedicated grid, or the grid it lies in")
    building_id: int | None = None
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    employees: int | None = Field(None, ge=0, le=1_000_000)
    is_key_unit: bool = False
    notes: str = Field("", max_length=2000)


class OrganisationPatch(Schema):
    name: str | None = Field(None, max_length=120)
    uscc: str | None = Field(None, max_length=30)
    org_type: str | None = Field(None, max_length=24)
    industry: str | None = Field(None, max_length=24)
    legal_representative: str | None = Field(None, max_length=40)
    contact_name: str | None = Field(None, max_length=40)
    contact_phone: str | None = Field(None, max_length=20)
    address: str | None = Field(None, max_length=200)
    employees: int | None = Field(None, ge=0, le=1_000_000)
    status: OrganisationStatus | None = None
    is_key_unit: bool | None = None
    notes: str | None = Field(None, max_length=2000)


class OrganisationOut(Schema):
    id: int
    name: str
    uscc: str
    org_type: CodeOut | None
    industry: CodeOut | None
    legal_representative: str
    contact_name: str
    contact_phone: str = Field(description="masked")
    address: str
    building_id: int | None
    grid: RegionRef
    in_dedicated_grid: bool
    employees: int | None
    status: OrganisationStatus
    is_key_unit: bool
    risks_checked_on: date | None


def organisation_out(item: Organisation) -> dict[str, Any]:
    return {
        "id": item.pk,
        "name": item.name,
        "uscc": item.uscc,  # a public registration number, not personal data
        "org_type": code_out(item.org_type),
        "industry": code_out(item.industry),
        "legal_representative": item.legal_representative,
        "contact_name": item.contact_name,
        "contact_phone": mask_phone(item.contact_phone),
        "address": item.address,
        "building_id": item.building_id,
        "grid": region_ref(item.grid),
        "in_dedicated_grid": item.in_dedicated_grid,
        "employees": item.employees,
        "status": item.status,
        "is_key_unit": item.is_key_unit,
        "risks_checked_on": item.risks_checked_on,
    }


# ---------------------------------------------------------------- reveal, ledgers, imports


class RevealIn(Schema):
    kind: str = Field(..., pattern="^(resident|organisation|building|entrance)$")
    id: int
    fields: list[str] = Field(default_factory=list, max_length=4, description="empty: every personal field")
    reason: str = Field(..., min_length=2, max_length=200)


class RevealOut(Schema):
    values: dict[str, str]


class LedgerOut(Schema):
    key: str
    name: str
    of: str
    columns: list[str]
    headers: list[str]
    restricted: bool


class LedgerPage(Schema):
    ledger: LedgerOut
    total: int
    rows: list[list[Any]]
    next_offset: int | None


class ExportIn(Schema):
    within: str | None = Field(None, max_length=15, description="a region code: only its part of the ledger")
    q: str = Field("", max_length=50)
    unmasked: bool = Field(False, description="full ID numbers and phones (roles that may, with a reason)")
    reason: str = Field("", max_length=200)


class ImportErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportBatchOut(Schema):
    id: int
    kind: ImportKind
    mode: ImportMode
    status: str
    status_label: str
    file_name: str
    actor_name: str
    created_at: datetime
    total_rows: int
    imported_rows: int
    error_rows: int
    created: dict[str, int]
    errors: list[ImportErrorOut]
    error_file_url: str | None


def batch_out(batch: Any, *, with_errors: bool = True) -> dict[str, Any]:
    from django.urls import reverse

    has_file = batch.has_error_file if "error_file" not in batch.get_deferred_fields() else batch.error_rows > 0
    return {
        "id": batch.pk,
        "kind": batch.kind,
        "mode": batch.mode,
        "status": batch.status,
        "status_label": batch.get_status_display(),
        "file_name": batch.file_name,
        "actor_name": batch.actor_name,
        "created_at": batch.created_at,
        "total_rows": batch.total_rows,
        "imported_rows": batch.imported_rows,
        "error_rows": batch.error_rows,
        "created": batch.created or {},
        "errors": batch.errors if with_errors else [],
        "error_file_url": reverse("api:registry_import_errors", kwargs={"batch_id": batch.pk}) if has_file else None,
    }
