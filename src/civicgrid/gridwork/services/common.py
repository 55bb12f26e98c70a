"""What the grid-work services share: text checks, the transition check, finding the people of a grid."""

from django.utils.translation import gettext as _

from civicgrid.core.errors import TransitionNotAllowed, ValidationError
from civicgrid.gridwork.permissions import require_party
from civicgrid.people.choices import Role
from civicgrid.people.models import Post, User
from civicgrid.regions.models import Region


def clean_text(value: str | None, *, field: str, label: str, limit: int, required: bool) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        message = _("%(label)s含有无法保存的字符。") % {"label": label}
        raise ValidationError(message, errors={field: [message]})
    if required and not value:
        message = _("请填写%(label)s。") % {"label": label}
        raise ValidationError(message, errors={field: [message]})
    if len(value) > limit:
        message = _("%(label)s不能超过 %(limit)s 个字（现有 %(n)s 个）。") % {
            "label": label,
            "limit": limit,
            "n": len(value),
        }
        raise ValidationError(message, errors={field: [message]})
    return value


def check_transition(
    table: dict[str, dict[str, tuple[str, frozenset[str]]]],
    status: str,
    action: str,
    mine: set[str],
    *,
    status_label: str,
    action_label: str,
) -> str:
    """The next status for `action` from `status`, if the table has it and the actor is one of its parties."""
    step = table.get(status, {}).get(action)
    if step is None:
        raise TransitionNotAllowed(
            _("当前状态为“%(status)s”，不能“%(action)s”。") % {"status": status_label, "action": action_label}
        )
    target, parties = step
    require_party(mine, parties)
    return target


def people_of(grid: Region, *roles: str) -> list[User]:
    """Active holders of `roles` at the grid (grid roles) or its community (community roles)."""
    where = [grid.pk] + ([grid.parent_id] if grid.parent_id else [])
    return [
        post.user
        for post in Post.objects.filter(region_id__in=where, role__in=roles, is_active=True).select_related("user")
    ]


def approvers_of(grid: Region) -> list[User]:
    return people_of(grid, Role.GRID_LEADER, Role.COMMUNITY_HEAD)


def worker_of(grid: Region) -> User | None:
    post = Post.objects.filter(region=grid, role=Role.GRID_WORKER, is_active=True).select_related("user").first()
    return post.user if post else None
