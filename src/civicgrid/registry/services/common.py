"""What the registry's services share: finding a record the actor may change, and audit snapshots with the
personal data masked (the audit log is a log: it never holds an ID number or phone in full)."""

from collections.abc import Iterable
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import NotFound, ValidationError
from civicgrid.core.masking import mask_id_number, mask_phone
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region
from civicgrid.registry import policy

PERSONAL_FIELDS = {"id_number": mask_id_number, "phone": mask_phone, "captain_phone": mask_phone,
                   "contact_phone": mask_phone, "property_phone": mask_phone}  # fmt: skip


def masked_snapshot(obj: Model, fields: Iterable[str]) -> dict[str, Any]:
    values = audit.snapshot(obj, fields)
    for name, mask in PERSONAL_FIELDS.items():
        if values.get(name):
            values[name] = mask(str(values[name]))
    return values


def changed_fields(obj: Model, values: dict[str, Any]) -> list[str]:
    return [name for name, value in values.items() if getattr(obj, name) != value]


def locked[M: Model](actor: Any, queryset: QuerySet[M], pk: Any, *, action: str = "edit") -> M:
    """The row, locked, if the actor may see it and do `action` where it is filed; else NotFound / PermissionDenied.

    An object outside the actor's reach answers NotFound, the same as one that does not exist."""
    try:
        obj = policy.visible(actor, queryset).select_for_update(of=("self",)).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        raise NotFound() from None
    policy.require(actor, action, obj.audit_region_path)  # type: ignore[attr-defined]
    return obj


def grid_by_code(actor: Any, code: str | None, *, action: str = "edit", field: str = "grid_code") -> Region:
    """A grid the actor may `action` in, by code. A grid out of reach answers as unknown."""
    text = (code or "").strip()
    if not text:
        raise ValidationError(_("请选择网格。"), errors={field: [_("请选择网格。")]})
    grid = Region.objects.filter(code=text, level=Level.GRID).first()
    if grid is None or not policy.may(actor, "read", grid.path):
        message = _("没有找到网格 %(code)s，或它不在您的管辖范围内。") % {"code": text[:20]}
        raise ValidationError(message, errors={field: [message]})
    policy.require(actor, action, grid.path)
    return grid
