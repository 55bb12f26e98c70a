"""Role checks: may this actor act in this role at this place?"""

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from civicgrid.core.errors import PermissionDenied
from civicgrid.people.choices import Role
from civicgrid.regions.models import Region


def holds_role(actor: Any, roles: Iterable[str], *, at: Region | None = None, department_id: int | None = None) -> bool:
    """Whether the actor holds an active post in one of `roles` at a region containing `at` (or in the department)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if actor.is_superuser:
        return True
    wanted = set(roles)
    for post in actor.active_posts():
        if post.role not in wanted:
            continue
        if at is None and department_id is None:
            return True
        if department_id is not None and post.department_id == department_id:
            return True
        where = post.region if post.region_id else (post.department.region if post.department_id else None)
        if at is not None and where is not None and at.path.startswith(where.path):
            return True
    return False


def require_role(
    actor: Any, roles: Iterable[str], *, at: Region | None = None, department_id: int | None = None
) -> None:
    roles = list(roles)
    if not holds_role(actor, roles, at=at, department_id=department_id):
        names = "、".join(str(Role(role).label) for role in roles)
        raise PermissionDenied(_("此操作需要以下岗位之一：%(roles)s。") % {"roles": names})


def is_administrator(actor: Any) -> bool:
    return bool(getattr(actor, "is_superuser", False)) or holds_role(actor, {Role.DISTRICT_ADMIN})


def require_administrator_or_system(actor: Any, *, at: Region | None = None) -> None:
    """Imports run from the command line (actor None, recorded as the system) or by a district administrator."""
    if actor is None:
        return
    require_role(actor, {Role.DISTRICT_ADMIN}, at=at)
