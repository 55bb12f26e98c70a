"""Showing one record's personal data in full (ID number, phone): only for the roles the policy allows, inside
their jurisdiction, with a reason, and always written to core's access log (`core.personal_data.reveal`)."""

from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from civicgrid.core import personal_data
from civicgrid.core.errors import NotFound, ValidationError
from civicgrid.registry import policy
from civicgrid.registry.models import Building, Entrance, Organisation, Resident

# What may be revealed of each kind of record: the fields masked everywhere else.
REVEALABLE: dict[str, tuple[QuerySet[Any], tuple[str, ...]]] = {
    "resident": (Resident.objects.select_related("grid"), ("id_number", "phone")),
    "organisation": (Organisation.objects.select_related("grid"), ("contact_phone",)),
    "building": (Building.objects.select_related("grid"), ("captain_phone",)),
    "entrance": (Entrance.objects.select_related("building__grid"), ("captain_phone",)),
}


def reveal(*, actor: Any, kind: str, pk: int, fields: list[str] | None = None, reason: str) -> dict[str, str]:
    """The full values of a record's personal fields; one access-log row per call."""
    if kind not in REVEALABLE:
        raise NotFound()
    queryset, allowed_fields = REVEALABLE[kind]
    wanted = list(dict.fromkeys(fields or allowed_fields))
    unknown = [name for name in wanted if name not in allowed_fields]
    if unknown:
        message = _("只能查看以下字段：%(fields)s。") % {"fields": "、".join(allowed_fields)}
        raise ValidationError(message, errors={"fields": [message]})
    obj: Model | None = policy.visible(actor, queryset).filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    path = obj.audit_region_path  # type: ignore[attr-defined]
    return personal_data.reveal(
        actor=actor, obj=obj, fields=wanted, reason=reason, allowed=policy.may(actor, "unmask", path)
    )
