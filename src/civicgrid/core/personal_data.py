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
