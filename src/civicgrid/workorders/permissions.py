"""Who stands how to a work order: dispatcher of its level, handler, verifier, reporter, supervisor."""

import secrets
from collections.abc import Iterable
from typing import Any

from civicgrid.people.permissions import holds_role
from civicgrid.regions.models import Region
from civicgrid.workorders.choices import (
    HANDLER_ROLES,
    LEVEL_DISPATCHERS,
    SUPERVISOR_ROLES,
    TRANSITIONS,
    VERIFIER_ROLES,
    Party,
)
from civicgrid.workorders.models import WorkOrder


def dispatches_at(actor: Any, region: Region, level: str) -> bool:
    """Whether the actor holds a dispatching post of `level` whose region contains `region`."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if actor.is_superuser:
        return True
    roles = LEVEL_DISPATCHERS[level]
    return any(
        post.role in roles
        and post.region is not None
        and post.region.level == level
        and region.path.startswith(post.region.path)
        for post in actor.active_posts()
    )


def parties_of(actor: Any, order: WorkOrder, *, tracking_key: str | None = None, as_system: bool = False) -> set[str]:
    if as_system:
        return {Party.SYSTEM}
    if tracking_key is not None:
        # the resident who reported holds the key: they rate, reopen, and may confirm the fix themselves
        if secrets.compare_digest(tracking_key, order.tracking_key):
            return {Party.REPORTER, Party.VERIFIER}
        return set()
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return set()
    parties: set[str] = set()
    if dispatches_at(actor, order.region, order.level):
        parties.add(Party.DISPATCHER)
    if order.assignee_id == actor.pk or (
        order.department_id and holds_role(actor, HANDLER_ROLES, department_id=order.department_id)
    ):
        parties.add(Party.HANDLER)
    if order.reporter_id == actor.pk:
        parties.add(Party.REPORTER)
    if Party.DISPATCHER in parties or Party.REPORTER in parties or holds_role(actor, VERIFIER_ROLES, at=order.region):
        parties.add(Party.VERIFIER)
    if holds_role(actor, SUPERVISOR_ROLES, at=order.region):
        parties.add(Party.SUPERVISOR)
    return parties


def allowed_actions(actor: Any, order: WorkOrder, among: Iterable[str] | None = None) -> list[str]:
    """The actions of the transition table (or of `among`, in its order) the actor may take on the order now."""
    table = TRANSITIONS[order.status]
    mine = parties_of(actor, order)
    return [action for action in (among or table) if action in table and mine & table[action][1]]
