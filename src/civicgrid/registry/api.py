"""The base files over JSON: estates, buildings (with the building dossier), households (with the household file),
residents, organisations, reveal of personal data, four-clears completeness, ledgers (rows, Excel export) and
imports (with the file of bad rows). Every list holds only what the caller may see; personal data is masked."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from civicgrid.core.errors import NotFound, ValidationError
from civicgrid.registry import selectors, services
from civicgrid.registry.choices import ImportKind, ImportMode
from civicgrid.registry.ledgers import context as ledger_context
from civicgrid.registry.ledgers import rows as ledger_rows
from civicgrid.registry.policy import allowed_paths
from civicgrid.registry.schemas import (
    BuildingDossierOut,
    BuildingIn,
    BuildingOut,
    BuildingPatch,
    CodeOut,
    CompletenessRow,
    EntranceIn,
    EntranceOut,
    ErrorOut,
    EstateIn,
    EstateOut,
    EstatePatch,
    ExportIn,
    FacilitiesCheckIn,
    HouseholdFileOut,
    HouseholdIn,
    HouseholdOut,
    HouseholdPatch,
    ImportBatchOut,
    KeyPersonIn,
    LeaveIn,
    LedgerOut,
    LedgerPage,
    MoveIn,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
    PastMembershipOut,
    ResidentDetail,
    ResidentIn,
    ResidentOut,
    ResidentPatch,
    RevealIn,
    RevealOut,
    RiskCheckIn,
    batch_out,
    building_out,
    dossier_out,
    entrance_out,
    estate_out,
    household_file_out,
    household_out,
    organisation_out,
    past_membership_out,
    resident_out,
)

router = Router(tags=["registry"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _bounded(limit: int, offset: int) -> tuple[int, int]:
    if not 1 <= limit <= 500 or not 0 <= offset <= 10_000_000:
        raise ValidationError(_("每页 1 到 500 条，偏移量不能为负。"))
    return limit, offset


def _page(rows: Any, limit: int, offset: int, present: Any) -> dict[str, Any]:
    """One page; one row more than asked tells whether there is a next one, without counting a million rows."""
    limit, offset = _bounded(limit, offset)
    items = list(rows[offset : offset + limit + 1])
    more = len(items) > limit
    return {"items": present(items[:limit]), "next_offset": offset + limit if more else None}


def _xlsx(content: bytes, file_name: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file_name)}"
    response["Cache-Control"] = "no-store"  # personal data: never kept by a proxy or the browser's cache
    return response


def _patch(payload: Schema) -> dict[str, Any]:
    return payload.model_dump(exclude_unset=True)


class EstatePage(Schema):
    items: list[EstateOut]
    next_offset: int | None


class BuildingPage(Schema):
    items: list[BuildingOut]
    next_offset: int | None


class HouseholdPage(Schema):
    items: list[HouseholdOut]
    next_offset: int | None


class ResidentPage(Schema):
    items: list[ResidentOut]
    next_offset: int | None


class OrganisationPage(Schema):
    items: list[OrganisationOut]
    next_offset: int | None


# ---------------------------------------------------------------- code lists


@router.get("/codes", response=list[CodeOut], summary="代码表")
def codes(request: HttpRequest, list: str | None = Query(None, max_length=24)) -> Any:
    return selectors.codes(list_name=list)


# ---------------------------------------------------------------- estates


@router.get("/estates", response=EstatePage, summary="小区列表")
def estates(
    request: HttpRequest, within: str | None = Query(None, max_length=15), q: str = Query("", max_length=50),
    limit: int = 50, offset: int = 0,
) -> Any:  # fmt: skip
    rows = selectors.estates(actor=request.user, within=within, q=q)
    return _page(rows, limit, offset, lambda items: [estate_out(e) for e in items])


@router.post("/estates", response={201: EstateOut, **ERRORS}, summary="登记小区")
def estate_create(request: HttpRequest, payload: EstateIn) -> Any:
    data = payload.model_dump()
    estate = services.estate_create(actor=request.user, community_code=data.pop("community_code"), **data)
    return Status(201, estate_out(estate))


@router.get("/estates/{estate_id}", response={200: EstateOut, 404: ErrorOut}, summary="小区")
def estate(request: HttpRequest, estate_id: int) -> Any:
    return estate_out(selectors.estate(actor=request.user, estate_id=estate_id))


@router.patch("/estates/{estate_id}", response={200: EstateOut, **ERRORS}, summary="更正小区信息")
def estate_update(request: HttpRequest, estate_id: int, payload: EstatePatch) -> Any:
    services.estate_update(actor=request.user, estate_id=estate_id, **_patch(payload))
    return estate_out(selectors.estate(actor=request.user, estate_id=estate_id))


# ---------------------------------------------------------------- buildings


@router.get("/buildings", response=BuildingPage, summary="楼栋列表")
def buildings(
    request: HttpRequest, within: str | None = Query(None, max_length=15), estate_id: int | None = None,
    q: str = Query("", max_length=50), limit: int = 50, offset: int = 0,
) -> Any:  # fmt: skip
    rows = selectors.buildings(actor=request.user, within=within, estate_id=estate_id, q=q)
    return _page(rows, limit, offset, lambda items: [building_out(b) for b in items])


@router.post("/buildings", response={201: BuildingOut, **ERRORS}, summary="登记楼栋（含单元）")
def building_create(request: HttpRequest, payload: BuildingIn) -> Any:
    building = services.building_create(actor=request.user, **payload.model_dump())
    return Status(201, building_out(selectors.building(actor=request.user, building_id=building.pk)))


@router.get("/buildings/{building_id}", response={200: BuildingDossierOut, 404: ErrorOut}, summary="一栋一卷")
def building_dossier(request: HttpRequest, building_id: int) -> Any:
    """The building dossier: entrances floor by floor with their households, residents by category, organisations,
    facilities and four-clears completeness."""
    return dossier_out(selectors.building_dossier(actor=request.user, building_id=building_id))


@router.patch("/buildings/{building_id}", response={200: BuildingOut, **ERRORS}, summary="更正楼栋信息")
def building_update(request: HttpRequest, building_id: int, payload: BuildingPatch) -> Any:
    services.building_update(actor=request.user, building_id=building_id, **_patch(payload))
    return building_out(selectors.building(actor=request.user, building_id=building_id))


@router.post("/buildings/{building_id}/facilities-check", response={200: BuildingOut, **ERRORS}, summary="设施核查")
def building_check(request: HttpRequest, building_id: int, payload: FacilitiesCheckIn) -> Any:
    services.building_check_facilities(actor=request.user, building_id=building_id, **payload.model_dump())
    return building_out(selectors.building(actor=request.user, building_id=building_id))


@router.patch("/entrances/{entrance_id}", response={200: EntranceOut, **ERRORS}, summary="单元长")
def entrance_update(request: HttpRequest, entrance_id: int, payload: EntranceIn) -> Any:
    return entrance_out(services.entrance_update(actor=request.user, entrance_id=entrance_id, **payload.model_dump()))


# ---------------------------------------------------------------- households


@router.get("/households", response=HouseholdPage, summary="户列表")
def households(
    request: HttpRequest, within: str | None = Query(None, max_length=15), building_id: int | None = None,
    q: str = Query("", max_length=50), limit: int = 50, offset: int = 0,
) -> Any:  # fmt: skip
    rows = selectors.households(actor=request.user, within=within, building_id=building_id, q=q)
    return _page(rows, limit, offset, lambda items: [household_out(h) for h in items])


@router.post("/households", response={201: HouseholdOut, **ERRORS}, summary="建立户档案")
def household_create(request: HttpRequest, payload: HouseholdIn) -> Any:
    home = services.household_create(actor=request.user, **payload.model_dump())
    return Status(201, household_out(selectors.household(actor=request.user, household_id=home.pk)))


@router.get("/households/{household_id}", response={200: HouseholdFileOut, 404: ErrorOut}, summary="一户一档")
def household_file(request: HttpRequest, household_id: int) -> Any:
    """The household file: the household, its members (masked), former members and the four clears check by check."""
    return household_file_out(selectors.household_file(actor=request.user, household_id=household_id), request.user)


@router.patch("/households/{household_id}", response={200: HouseholdOut, **ERRORS}, summary="更正户信息")
def household_update(request: HttpRequest, household_id: int, payload: HouseholdPatch) -> Any:
    services.household_update(actor=request.user, household_id=household_id, **_patch(payload))
    return household_out(selectors.household(actor=request.user, household_id=household_id))


@router.post("/households/{household_id}/risk-check", response={200: HouseholdOut, **ERRORS}, summary="隐患矛盾排查")
def household_check(request: HttpRequest, household_id: int, payload: RiskCheckIn) -> Any:
    services.household_check_risks(actor=request.user, household_id=household_id, **payload.model_dump())
    return household_out(selectors.household(actor=request.user, household_id=household_id))


# ---------------------------------------------------------------- residents


@router.get("/residents", response={200: ResidentPage, 403: ErrorOut}, summary="居民列表")
def residents(
    request: HttpRequest, within: str | None = Query(None, max_length=15), household_id: int | None = None,
    q: str = Query("", max_length=50), residence_status: str | None = Query(None, max_length=16),
    tag: str | None = Query(None, max_length=24), key_persons: bool | None = None, limit: int = 50, offset: int = 0,
) -> Any:  # fmt: skip
    """`q`: part of a name, or a whole ID number or phone. `key_persons`: only for roles that may know them."""
    actor = request.user
    rows = selectors.residents(
        actor=actor, within=within, household_id=household_id, q=q, residence_status=residence_status, tag=tag,
        key_persons=key_persons,
    )  # fmt: skip

    def present(items: list[Any]) -> list[dict[str, Any]]:
        tags = selectors.tags_of(items)
        return [resident_out(r, actor, tags[r.pk]) for r in items]

    return _page(rows, limit, offset, present)


@router.post("/residents", response={201: ResidentDetail, **ERRORS}, summary="登记居民")
def resident_register(request: HttpRequest, payload: ResidentIn) -> Any:
    person = services.resident_register(actor=request.user, **payload.model_dump())
    return Status(201, _resident(request, person.pk))


def _resident(request: HttpRequest, resident_id: int) -> dict[str, Any]:
    person = selectors.resident(actor=request.user, resident_id=resident_id)
    return resident_out(person, request.user, selectors.tags_of([person])[person.pk], detail=True)


@router.get("/residents/{resident_id}", response={200: ResidentDetail, 404: ErrorOut}, summary="居民档案")
def resident(request: HttpRequest, resident_id: int) -> Any:
    return _resident(request, resident_id)


@router.patch("/residents/{resident_id}", response={200: ResidentDetail, **ERRORS}, summary="更正居民信息")
def resident_update(request: HttpRequest, resident_id: int, payload: ResidentPatch) -> Any:
    services.resident_update(actor=request.user, resident_id=resident_id, **_patch(payload))
    return _resident(request, resident_id)


@router.post("/residents/{resident_id}/move", response={200: ResidentDetail, **ERRORS}, summary="迁移到另一户")
def resident_move(request: HttpRequest, resident_id: int, payload: MoveIn) -> Any:
    services.resident_move(actor=request.user, resident_id=resident_id, **payload.model_dump())
    return _resident(request, resident_id)


@router.post("/residents/{resident_id}/leave", response={200: ResidentDetail, **ERRORS}, summary="迁出或死亡")
def resident_leave(request: HttpRequest, resident_id: int, payload: LeaveIn) -> Any:
    services.resident_leave(actor=request.user, resident_id=resident_id, **payload.model_dump())
    return _resident(request, resident_id)


@router.post("/residents/{resident_id}/key-person", response={200: ResidentDetail, **ERRORS}, summary="重点人员标记")
def resident_key_person(request: HttpRequest, resident_id: int, payload: KeyPersonIn) -> Any:
    services.resident_set_key_person(actor=request.user, resident_id=resident_id, **payload.model_dump())
    return _resident(request, resident_id)


@router.get(
    "/residents/{resident_id}/history", response={200: list[PastMembershipOut], 404: ErrorOut}, summary="以往所在的户"
)
def resident_history(request: HttpRequest, resident_id: int) -> Any:
    return [past_membership_out(m) for m in selectors.past_memberships(actor=request.user, resident_id=resident_id)]


# ---------------------------------------------------------------- organisations


@router.get("/organisations", response=OrganisationPage, summary="实有单位列表")
def organisations(
    request: HttpRequest, within: str | None = Query(None, max_length=15), q: str = Query("", max_length=50),
    org_type: str | None = Query(None, max_length=24), key_units: bool | None = None, limit: int = 50, offset: int = 0,
) -> Any:  # fmt: skip
    rows = selectors.organisations(actor=request.user, within=within, q=q, org_type=org_type, key_units=key_units)
    return _page(rows, limit, offset, lambda items: [organisation_out(o) for o in items])


@router.post("/organisations", response={201: OrganisationOut, **ERRORS}, summary="登记单位")
def organisation_create(request: HttpRequest, payload: OrganisationIn) -> Any:
    item = services.organisation_create(actor=request.user, **payload.model_dump())
    return Status(201, organisation_out(selectors.organisation(actor=request.user, organisation_id=item.pk)))


@router.get("/organisations/{organisation_id}", response={200: OrganisationOut, 404: ErrorOut}, summary="单位")
def organisation(request: HttpRequest, organisation_id: int) -> Any:
    return organisation_out(selectors.organisation(actor=request.user, organisation_id=organisation_id))


@router.patch("/organisations/{organisation_id}", response={200: OrganisationOut, **ERRORS}, summary="更正单位信息")
def organisation_update(request: HttpRequest, organisation_id: int, payload: OrganisationPatch) -> Any:
    services.organisation_update(actor=request.user, organisation_id=organisation_id, **_patch(payload))
    return organisation_out(selectors.organisation(actor=request.user, organisation_id=organisation_id))


@router.post(
    "/organisations/{organisation_id}/risk-check", response={200: OrganisationOut, **ERRORS}, summary="单位隐患排查"
)
def organisation_check(request: HttpRequest, organisation_id: int, payload: RiskCheckIn) -> Any:
    services.organisation_check_risks(
        actor=request.user, organisation_id=organisation_id, checked_on=payload.checked_on, note=payload.notes
    )
    return organisation_out(selectors.organisation(actor=request.user, organisation_id=organisation_id))


# ---------------------------------------------------------------- personal data


@router.post("/reveal", response={200: RevealOut, **ERRORS}, summary="查看完整个人信息（留痕）")
def reveal(request: HttpRequest, payload: RevealIn) -> Any:
    """The full ID number or phone of one record, for roles that may, with a reason; written to the access log."""
    values = services.reveal(
        actor=request.user, kind=payload.kind, pk=payload.id, fields=payload.fields, reason=payload.reason
    )
    return {"values": values}


# ---------------------------------------------------------------- four clears


@router.get("/completeness", response={200: list[CompletenessRow], 404: ErrorOut, 422: ErrorOut}, summary="四清完整率")
def completeness(
    request: HttpRequest, by: str = Query("grid", pattern="^(building|grid|community|street)$"),
    within: str | None = Query(None, max_length=15),
) -> Any:  # fmt: skip
    """Four-clears completeness per building, grid, community or street of the caller's reach (or of `within`)."""
    return selectors.completeness(actor=request.user, by=by, within=within)


# ---------------------------------------------------------------- ledgers


def _ledger_out(ledger: Any) -> dict[str, Any]:
    return {
        "key": ledger.key,
        "name": ledger.title,
        "of": ledger.of,
        "columns": list(ledger.columns),
        "headers": [str(c.label) for c in ledger.column_defs],
        "restricted": bool(ledger.restricted),
    }


@router.get("/ledgers", response=list[LedgerOut], summary="台账目录")
def ledgers(request: HttpRequest) -> Any:
    return [_ledger_out(item) for item in selectors.available_ledgers(actor=request.user)]


@router.get("/ledgers/{key}", response={200: LedgerPage, 404: ErrorOut}, summary="台账（脱敏）")
def ledger(
    request: HttpRequest, key: str, within: str | None = Query(None, max_length=15), q: str = Query("", max_length=50),
    limit: int = 50, offset: int = 0,
) -> Any:  # fmt: skip
    definition, rows = selectors.ledger_queryset(actor=request.user, key=key, within=within, q=q)
    limit, offset = _bounded(limit, offset)
    items = list(rows[offset : offset + limit + 1])
    ctx = ledger_context(unmasked=False, key_person_paths=allowed_paths(request.user, "key_persons"))
    return {
        "ledger": _ledger_out(definition),
        "total": rows.count(),
        "rows": list(ledger_rows(definition, items[:limit], ctx)),
        "next_offset": offset + limit if len(items) > limit else None,
    }


@router.get("/ledgers/{key}/export", response={200: None, **ERRORS}, summary="导出台账 Excel（脱敏）")
def ledger_export(
    request: HttpRequest, key: str, within: str | None = Query(None, max_length=15), q: str = Query("", max_length=50)
) -> Any:
    """The ledger as Excel with ID numbers and phones masked (at most `MAX_EXPORT_ROWS` rows); logged."""
    exported = services.ledger_export(actor=request.user, key=key, within=within, q=q)
    return _xlsx(exported.content, exported.file_name)


@router.post("/ledgers/{key}/export", response={200: None, **ERRORS}, summary="导出台账 Excel（可含完整信息）")
def ledger_export_full(request: HttpRequest, key: str, payload: ExportIn) -> Any:
    """As the GET, and with `unmasked` the full ID numbers and phones, for roles that may, with a reason."""
    exported = services.ledger_export(
        actor=request.user, key=key, within=payload.within, q=payload.q, unmasked=payload.unmasked,
        reason=payload.reason,
    )  # fmt: skip
    return _xlsx(exported.content, exported.file_name)


# ---------------------------------------------------------------- imports


@router.post("/imports", response={200: ImportBatchOut, **ERRORS}, summary="导入台账（Excel 或 CSV）")
def import_upload(
    request: HttpRequest,
    file: UploadedFile = File(...),  # noqa: B008
    kind: ImportKind = Form(ImportKind.RESIDENTS),  # noqa: B008
    mode: ImportMode = Form(ImportMode.ALL_OR_NOTHING),  # noqa: B008
) -> Any:
    """Every row is checked. `all`: one bad row and nothing is imported; `clean`: the good rows are imported. Either
    way the answer lists every problem and links the bad rows as an Excel file to fix and import again."""
    batch = services.import_file(actor=request.user, kind=kind, data=file.read(), file_name=file.name or "", mode=mode)
    return batch_out(batch)


@router.get("/imports", response=list[ImportBatchOut], summary="导入记录")
def imports(request: HttpRequest, limit: int = 50) -> Any:
    limit, _offset = _bounded(limit, 0)
    return [batch_out(b, with_errors=False) for b in selectors.import_batches(actor=request.user)[:limit]]


@router.get("/imports/template/{kind}", response={200: None, 404: ErrorOut}, summary="导入模板")
def import_template(request: HttpRequest, kind: str) -> Any:
    if kind not in ImportKind.values:
        raise NotFound()
    return _xlsx(services.template_workbook(kind), f"{ImportKind(kind).label}导入模板.xlsx")


@router.get("/imports/{batch_id}", response={200: ImportBatchOut, 404: ErrorOut}, summary="导入结果")
def import_result(request: HttpRequest, batch_id: int) -> Any:
    return batch_out(selectors.import_batch(actor=request.user, batch_id=batch_id))


@router.get(
    "/imports/{batch_id}/errors.xlsx", response={200: None, 404: ErrorOut}, url_name="registry_import_errors",
    summary="下载错误行",
)  # fmt: skip
def import_errors(request: HttpRequest, batch_id: int) -> Any:
    """The bad rows as the clerk wrote them (whole ID numbers): for roles that may import there; logged."""
    content, number = services.import_error_file(actor=request.user, batch_id=batch_id)
    return _xlsx(content, f"import-errors-{number}.xlsx")
