"""How an actor stands to a grid on a day: its grid worker (or the A/B partner covering it), leader, community head.

The transition tables in `choices.py` name these parties; the services ask `parties_at` and check the table.
"""

from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from civicgrid.core.errors import PermissionDenied
from civicgrid.gridwork.choices import Party
from civicgrid.people.choices import Role
from civicgrid.people.permissions import holds_role
from civicgrid.regions.models import Region

# Who may read grid work in their jurisdiction beyond their own records: the people who supervise grid workers.
SUPERVISOR_ROLES = frozenset(
    {Role.GRID_LEADER, Role.COMMUNITY_HEAD, Role.STREET_OFFICER, Role.OPERATOR, Role.DISTRICT_ADMIN}
)


def is_active_staff(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and getattr(actor, "is_active", False))


def own_grids(actor: Any) -> list[Region]:
    """The grids where the actor holds an active grid-worker post."""
    if not is_active_staff(actor):
        return []
    return [p.region for p in actor.active_posts() if p.role == Role.GRID_WORKER and p.region is not None]


def parties_at(actor: Any, grid: Region, *, on: date) -> set[str]:
    """The parties the actor is at `grid` on day `on` (the covering partner counts as its worker that day)."""
    from civicgrid.gridwork.selectors import covered_grid_ids

    if not is_active_staff(actor):
        return set()
    parties: set[str] = set()
    if holds_role(actor, {Role.GRID_WORKER}, at=grid) or grid.pk in covered_grid_ids(actor, on=on):
        parties.add(Party.WORKER)
    if holds_role(actor, {Role.GRID_LEADER}, at=grid):
        parties.add(Party.LEADER)
    if holds_role(actor, {Role.COMMUNITY_HEAD}, at=grid):
        parties.add(Party.HEAD)
    return parties


def party_names(parties: frozenset[str] | set[str]) -> str:
    return "、".join(str(Party(p).label) for p in sorted(parties))


def require_party(mine: set[str], allowed: frozenset[str] | set[str]) -> None:
    if not mine & set(allowed):
        raise PermissionDenied(_("此操作只能由%(who)s进行。") % {"who": party_names(allowed)})
