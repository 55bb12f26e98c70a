"""Showing a person's unmasked personal data: only for roles that may, with a reason, and always logged."""

from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.translation import gettext as _

from civicgrid.core.audit import region_path_of
from civicgrid.core.context import current_request_id
from civicgrid.core.errors import PermissionDenied, ValidationError
from civicgrid.core.models import PersonalDataAccess


@transaction.atomic
def reveal(*, actor: Any, obj: models.Model, fields: Sequence[str], reason: str, allowed: bool) -> dict[str, str]:
    """The unmasked values of `fields` of `obj`; `allowed` is the caller's role check for this kind of record."""
    if not allowed:
        raise PermissionDenied(_("您的岗位不能查看完整的个人信息。"))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError(_("请填写查看事由。"), errors={"reason": [_("请填写查看事由。")]})
    PersonalDataAccess.objects.create(
        actor=actor,
        actor_name=actor.get_username()[:150],
        subject_type=ContentType.objects.get_for_model(obj),
        subject_id=str(obj.pk),
        fields=list(fields),
        reason=reason[:200],
        region_path=region_path_of(obj),
        request_id=current_request_id(),
    )
    return {name: str(getattr(obj, name) or "") for name in fields}


def log_export(
    *,
    actor: Any,
    model: type[models.Model],
    what: str,
    count: int,
    subject: str = "export",
    fields: Sequence[str] = (),
    unmasked: bool = False,
    reason: str = "",
    region_path: str = "",
) -> PersonalDataAccess:
    """Log an export of many people's records (a ledger to Excel): what (`subject`, e.g. "ledger:population", stands
    where one record's id would), how many rows, which personal fields went out unmasked (none for a masked export)
    and why. The values themselves are never logged."""
    reason = (reason or "").strip()
    if unmasked and len(reason) < 2:
        raise ValidationError(_("导出完整个人信息须填写事由。"), errors={"reason": [_("请填写查看事由。")]})
    summary = _("导出%(what)s，共 %(count)s 行，%(how)s") % {
        "what": what,
        "count": count,
        "how": _("含完整个人信息") if unmasked else _("个人信息已脱敏"),
    }
    if reason:
        summary = f"{summary}；{_('事由')}：{reason}"
    return PersonalDataAccess.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=(actor.get_username() if getattr(actor, "is_authenticated", False) else "system")[:150],
        subject_type=ContentType.objects.get_for_model(model),
        subject_id=subject[:64],
        fields=list(fields) if unmasked else [],
        reason=summary[:200],
        region_path=region_path,
        request_id=current_request_id(),
    )
