"""What the public sees of the catalogue, a request and its steps, as Open311 items (dicts the renderer writes).

Never the reporter (name, phone, e-mail, device, account), never staff names. Phone and identity numbers and e-mail
addresses typed into a description or a public note are masked. Types marked private in the catalogue (care needs,
disputes) show no description, no exact place and no notes: only their type, state, agency and the community.
"""

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core.masking import mask_id_number, mask_phone
from civicgrid.regions.choices import Level
from civicgrid.workorders.choices import ENDED_STATUSES, Action, LimitUnit, Status
from civicgrid.workorders.models import IncidentType, WorkOrder, WorkOrderEvent
from civicgrid.workorders.open311 import selectors, w3c

# Where a level's code sits in a work order's region path /city/district/street/community/grid/.
DEPTH: dict[str, int] = {Level.CITY: 0, Level.DISTRICT: 1, Level.STREET: 2, Level.COMMUNITY: 3, Level.GRID: 4}
# Personal data a reporter may have typed into a description or a handler into a note: masked in public answers.
ID_NUMBER = re.compile(r"(?<![0-9])[1-9]\d{16}[0-9Xx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9]\d{9}(?![0-9])")
LANDLINE = re.compile(r"(?<![0-9])0\d{2,3}-?\d{7,8}(?![0-9])")
EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
# Notes of these steps are meant for the reporter (the tracking page shows them too): what was done, or why not.
PUBLIC_NOTES = frozenset({Action.HANDLE, Action.VOID, Action.VERIFY_FAIL})


def public_text(text: str) -> str:
    """Text with identity numbers, phone numbers and e-mail addresses masked (138****5678)."""
    text = ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    text = MOBILE.sub(lambda m: mask_phone(m.group()[-11:]), text)
    text = LANDLINE.sub(lambda m: mask_phone(m.group()), text)
    return EMAIL.sub(lambda m: f"***@{m.group(1)}", text)


def open_or_closed(status: str) -> str:
    """CivicGrid's states as Open311's two: closed = closed, rated, voided or merged; every other is open."""
    return "closed" if status in ENDED_STATUSES else "open"


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _codes(path: str) -> list[str]:
    return [code for code in path.strip("/").split("/") if code]


class Context:
    """What rendering many requests needs from other tables, read once for all of them."""

    def __init__(self, orders: Sequence[WorkOrder]) -> None:
        self.names = selectors.region_names(order.region_path for order in orders)
        self.void_reasons = selectors.void_reasons(o.pk for o in orders if o.status == Status.VOIDED)
        self.departments = selectors.department_names(self.district_of(order) for order in orders)

    @staticmethod
    def district_of(order: WorkOrder) -> str:
        codes = _codes(order.region_path)
        return codes[1] if len(codes) > 1 else ""

    def place(self, order: WorkOrder) -> str:
        """Street and community, e.g. 宁海路街道仙霞路社区."""
        codes = _codes(order.region_path)
        return "".join(self.names.get(code, "") for code in codes[2:4])

    def agency(self, order: WorkOrder) -> str:
        """The department it went to; before that (or for the level's own staff) the region at its level."""
        if order.department is not None:
            return order.department.name
        codes = _codes(order.region_path)
        depth = DEPTH.get(order.level, 2)
        return self.names.get(codes[depth], "") if depth < len(codes) else ""

    def notice(self, kind: IncidentType | None, district_code: str) -> str:
        return service_notice(kind, self.departments, district_code)


LEVEL_STAFF: dict[str, Any] = {
    Level.GRID: gettext_lazy("网格员"),
    Level.COMMUNITY: gettext_lazy("社区"),
    Level.STREET: gettext_lazy("街道"),
    Level.DISTRICT: gettext_lazy("区级职能部门"),
    Level.CITY: gettext_lazy("市级职能部门"),
}


def service_notice(kind: IncidentType | None, departments: dict[str, str], district_code: str) -> str:
    """What the responsibility list says will happen: who handles it and how fast."""
    if kind is None:
        return _("已受理，街道指挥中心确定事件类型后派遣处置。")
    who = departments.get(f"{district_code}-{kind.department_key}") if kind.department_key else None
    who = who or str(LEVEL_STAFF.get(kind.handling_level, _("街道")))
    unit = _("个工作日") if kind.handle_unit == LimitUnit.DAYS else _("个工作小时")
    return _("按事件责任清单由%(who)s处置，派遣后 %(limit)s %(unit)s内办结。") % {
        "who": who,
        "limit": _number(kind.handle_limit),
        "unit": unit,
    }


def status_notes(order: WorkOrder, context: Context) -> str:
    """CivicGrid's own state in words, with the void reason or the surviving order where there is one."""
    label = str(Status(order.status).label)
    if order.status == Status.MERGED and order.merged_into is not None:
        return _("%(label)s：与工单 %(n)s 重复，已合并办理，请查看 %(n)s 的进度。") % {
            "label": label,
            "n": order.merged_into.number,
        }
    if order.status == Status.VOIDED:
        reason = context.void_reasons.get(order.pk, "")
        private = order.incident_type is not None and order.incident_type.is_private
        if reason and not private:
            return _("%(label)s：%(reason)s") % {"label": label, "reason": public_text(reason)}
        return label
    if order.status in (Status.DISPATCHED, Status.SIGNED) and context.agency(order):
        return _("%(label)s：承办单位 %(agency)s。") % {"label": label, "agency": context.agency(order)}
    if order.status in (Status.CLOSED, Status.RATED) and order.solved_on_spot:
        return _("%(label)s：网格员现场解决。") % {"label": label}
    return label


def request_item(order: WorkOrder, context: Context) -> dict[str, Any]:
    """One request as the public sees it. Private types (care, disputes) keep their place to street and community."""
    kind = order.incident_type
    private = kind is not None and kind.is_private
    ended = order.status in (Status.CLOSED, Status.RATED)
    updated = order.closed_at if ended and order.closed_at else order.updated_at
    return {
        "service_request_id": order.number,
        "status": open_or_closed(order.status),
        "status_notes": status_notes(order, context),
        "service_name": kind.name if kind else None,
        "service_code": kind.code if kind else "",
        "description": None if private else public_text(order.description),
        "agency_responsible": context.agency(order) or None,
        "service_notice": context.notice(kind, context.district_of(order)),
        "requested_datetime": w3c.format(order.reported_at),
        "updated_datetime": w3c.format(updated),
        "expected_datetime": w3c.format(order.handle_due_at) if order.handle_due_at else None,
        "address": (context.place(order) if private else order.address or context.place(order)) or None,
        "lat": None if private else order.lat,
        "long": None if private else order.lon,
        "media_url": None if private else order.media_url or None,
    }


def update_item(event: WorkOrderEvent, order: WorkOrder) -> dict[str, Any]:
    """One public step of a request's timeline (FixMyStreet's request_update); no staff names, ever."""
    private = order.incident_type is not None and order.incident_type.is_private
    data = event.data or {}
    label = str(Action(event.action).label)
    detail = ""
    if event.action in (Action.DISPATCH, Action.REDISPATCH) and data.get("department"):
        detail = str(data["department"])
    elif event.action == Action.ESCALATE and data.get("to_level") in Level.values:
        detail = str(Level(data["to_level"]).label)
    elif event.action == Action.MERGE and data.get("into"):
        detail = _("并入工单 %(n)s") % {"n": data["into"]}
    elif event.action == Action.RATE and data.get("rating"):
        detail = _("%(n)s 星") % {"n": data["rating"]}
    elif event.action in PUBLIC_NOTES and event.note and not private:
        detail = public_text(event.note)
    media = order.media_url if event.action == Action.REPORT and not private else ""
    return {
        "update_id": str(event.pk),
        "service_request_id": order.number,
        "status": open_or_closed(event.to_status),
        "updated_datetime": w3c.format(event.created_at),
        "description": _("%(step)s：%(detail)s") % {"step": label, "detail": detail} if detail else label,
        "media_url": media or None,
    }


def service_item(kind: IncidentType) -> dict[str, Any]:
    return {
        "service_code": kind.code,
        "service_name": kind.name,
        "description": kind.description or _("%(group)s：%(name)s") % {"group": kind.category.name, "name": kind.name},
        "metadata": bool(kind.attributes),
        "type": "realtime",
        "keywords": ", ".join(kind.keywords) or None,
        "group": kind.category.name,
    }


def attribute_item(definition: dict[str, Any], order: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "variable": True,
        "code": definition["code"],
        "datatype": definition["datatype"],
        "required": definition["required"],
        "datatype_description": definition.get("datatype_description") or None,
        "order": order,
        "description": definition["description"],
    }
    if definition.get("values"):
        item["values"] = [{"key": value["key"], "name": value["name"]} for value in definition["values"]]
    return item
