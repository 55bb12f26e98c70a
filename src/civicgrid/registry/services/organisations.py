"""Organisations (实有单位): adding and correcting them, and their safety checks."""

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import Conflict
from civicgrid.core.identity import check_phone, check_uscc
from civicgrid.regions.choices import GridKind
from civicgrid.regions.models import Region
from civicgrid.registry import policy
from civicgrid.registry.choices import CodeList, OrganisationStatus
from civicgrid.registry.models import Building, Organisation
from civicgrid.registry.services.common import changed_fields, grid_by_code, locked, masked_snapshot
from civicgrid.registry.validation import (
    CodeBook,
    invalid,
    parse_bool,
    parse_date,
    parse_int,
    parse_lon_lat,
    parse_text,
)

ORGANISATION_FIELDS = (
    "name", "uscc", "org_type", "industry", "legal_representative", "contact_name", "contact_phone", "address",
    "building", "grid", "lon", "lat", "employees", "status", "is_key_unit", "notes",
)  # fmt: skip


def organisation_values(data: dict[str, Any], book: CodeBook, *, partial: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if not partial or "name" in data:
        values["name"] = parse_text(
            data.get("name"), field_name="name", label=_("单位名称"), max_length=120, required=True
        )
    if not partial or "address" in data:
        values["address"] = parse_text(
            data.get("address"), field_name="address", label=_("地址"), max_length=200, required=True
        )
    if "uscc" in data:
        values["uscc"] = check_uscc(data["uscc"]) if str(data["uscc"] or "").strip() else ""
    if not partial or "org_type" in data:
        values["org_type"] = book.find(
            CodeList.ORGANISATION_TYPE, data.get("org_type"), field_name="org_type", label=_("单位类型")
        )
        if values["org_type"] is None:
            raise invalid("org_type", _("请选择单位类型。"))
    if "industry" in data:
        values["industry"] = book.find(CodeList.INDUSTRY, data["industry"], field_name="industry", label=_("所属行业"))
    for key, label, length in (("legal_representative", _("法定代表人"), 40), ("contact_name", _("联系人"), 40),
                               ("notes", _("备注"), 2000)):  # fmt: skip
        if key in data:
            values[key] = parse_text(data[key], field_name=key, label=label, max_length=length)
    if "contact_phone" in data:
        values["contact_phone"] = check_phone(data["contact_phone"], field="contact_phone")
    if "employees" in data:
        values["employees"] = parse_int(
            data["employees"], field_name="employees", label=_("从业人数"), low=0, high=10**6
        )
    if "status" in data:
        if data["status"] not in OrganisationStatus.values:
            raise invalid("status", _("经营状态应为在营、停业或注销。"))
        values["status"] = data["status"]
    if "is_key_unit" in data:
        values["is_key_unit"] = parse_bool(data["is_key_unit"], field_name="is_key_unit", label=_("重点单位"))
    if "lon" in data or "lat" in data:
        values["lon"], values["lat"] = parse_lon_lat(data.get("lon"), data.get("lat"))
    return values


def _place(actor: Any, grid_code: str | None, building_id: Any) -> tuple[Region, Building | None]:
    """The grid an organisation is filed in: a dedicated grid if named, else its building's (or the named) grid."""
    building = None
    if building_id not in (None, ""):
        building = policy.visible(actor, Building.objects.select_related("grid")).filter(pk=building_id).first()
        if building is None:
            raise invalid("building_id", _("没有找到该楼栋，或它不在您的管辖范围内。"))
    if grid_code:
        grid = grid_by_code(actor, grid_code)
        if building is not None and grid.grid_kind != GridKind.DEDICATED and grid.pk != building.grid_id:
            raise invalid("grid_code", _("单位所在网格应为其楼栋所在的网格，或它的专属网格。"))
        return grid, building
    if building is None:
        raise invalid("grid_code", _("请选择单位所在的网格或楼栋。"))
    policy.require(actor, "edit", building.grid.path)
    return building.grid, building


@transaction.atomic
def organisation_create(
    *, actor: Any, grid_code: str | None = None, building_id: int | None = None, **data: Any
) -> Organisation:
    values = organisation_values(data, CodeBook(), partial=False)
    grid, building = _place(actor, grid_code, building_id)
    if values.get("uscc") and Organisation.objects.filter(uscc=values["uscc"]).exists():
        raise invalid("uscc", _("该统一社会信用代码已登记。"))
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(grid=grid, building=building, **values)
    except IntegrityError as error:
        raise Conflict(_("该统一社会信用代码刚刚已被登记，请刷新后核对。")) from error
    after = masked_snapshot(organisation, ORGANISATION_FIELDS)
    audit.record(actor=actor, action="organisation.create", obj=organisation, after=after)
    return organisation


@transaction.atomic
def organisation_update(*, actor: Any, organisation_id: int, **data: Any) -> Organisation:
    organisation = locked(actor, Organisation.objects.select_related("grid"), organisation_id)
    values = organisation_values(data, CodeBook(), partial=True)
    if "grid_code" in data or "building_id" in data:
        grid, building = _place(
            actor, data.get("grid_code") or organisation.grid.code, data.get("building_id", organisation.building_id)
        )
        values["grid"], values["building"] = grid, building
    if values.get("uscc") and Organisation.objects.filter(uscc=values["uscc"]).exclude(pk=organisation.pk).exists():
        raise invalid("uscc", _("该统一社会信用代码已登记。"))
    changed = changed_fields(organisation, values)
    if not changed:
        return organisation
    before = masked_snapshot(organisation, changed)
    for name in changed:
        setattr(organisation, name, values[name])
    try:
        with transaction.atomic():
            organisation.save(update_fields=[*changed, "updated_at"])
    except IntegrityError as error:
        raise Conflict(_("该统一社会信用代码刚刚已被登记，请刷新后核对。")) from error
    after = masked_snapshot(organisation, changed)
    audit.record(actor=actor, action="organisation.update", obj=organisation, before=before, after=after)
    return organisation


@transaction.atomic
def organisation_check_risks(
    *, actor: Any, organisation_id: int, checked_on: date | str | None = None, note: str = ""
) -> Organisation:
    organisation = locked(actor, Organisation.objects.select_related("grid"), organisation_id)
    day = parse_date(checked_on, field_name="checked_on", label=_("排查日期")) or timezone.localdate()
    before = {"risks_checked_on": organisation.risks_checked_on}
    organisation.risks_checked_on = max(day, organisation.risks_checked_on or day)
    organisation.save(update_fields=["risks_checked_on", "updated_at"])
    after = {"risks_checked_on": organisation.risks_checked_on, "note": note[:500]}
    audit.record(actor=actor, action="organisation.check_risks", obj=organisation, before=before, after=after)
    return organisation
