"""How an actor stands to a centre, a ticket or an application: the parties the transition tables name."""

from collections.abc import Iterable
from typing import Any

from civicgrid.hall.choices import (
    APPLICATION_TRANSITIONS,
    BACK_OFFICE_ROLES,
    CLERK_ROLES,
    DELIVERER_ROLES,
    DEPARTMENT_REVIEW_ROLES,
    MANAGER_ROLES,
    STATISTICS_ROLES,
    Party,
    TicketParty,
)
from civicgrid.hall.models import Application, Centre, Counter, Ticket
from civicgrid.people.choices import Role
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region


def _active(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and actor.is_active)


def holds_at_path(actor: Any, roles: Iterable[str], path: str) -> bool:
    """Whether the actor holds one of `roles` at a region whose subtree contains the region with `path`."""
    if not _active(actor):
        return False
    if actor.is_superuser:
        return True
    wanted = set(roles)
    return any(
        post.role in wanted and post.region is not None and path.startswith(post.region.path)
        for post in actor.active_posts()
    )


def is_centre_clerk(actor: Any, centre: Centre) -> bool:
    """A window clerk posted at the centre's street (or above it)."""
    return holds_at_path(actor, CLERK_ROLES, centre.region_path)


def is_manager(actor: Any, centre: Centre) -> bool:
    return holds_at_path(actor, MANAGER_ROLES, centre.region_path)


def may_read_statistics(actor: Any, centre: Centre) -> bool:
    return holds_at_path(actor, STATISTICS_ROLES, centre.region_path)


def station_of(actor: Any, centre: Centre) -> Region | None:
    """The community station (a window clerk posted at a community of the centre's street) the actor works at."""
    if not _active(actor):
        return None
    for post in actor.active_posts():
        if (
            post.role == Role.WINDOW_CLERK
            and post.region is not None
            and post.region.level == Level.COMMUNITY
            and post.region.path.startswith(centre.region_path)
        ):
            return post.region
    return None


def serves_group(counter: Counter, group_id: int) -> bool:
    groups = [g.pk for g in counter.groups.all()]
    return not groups or group_id in groups


def ticket_parties(actor: Any, ticket: Ticket, *, as_system: bool = False) -> set[str]:
    if as_system:
        return {TicketParty.SYSTEM}
    if not _active(actor):
        return set()
    parties: set[str] = set()
    if ticket.counter_id is not None and ticket.counter is not None and ticket.counter.clerk_id == actor.pk:
        parties.add(TicketParty.COUNTER_CLERK)
    if is_centre_clerk(actor, ticket.centre):
        parties.add(TicketParty.CENTRE_CLERK)
    if is_manager(actor, ticket.centre):
        parties.add(TicketParty.MANAGER)
    return parties


def application_parties(actor: Any, application: Application, *, as_system: bool = False) -> set[str]:
    if as_system:
        return {Party.SYSTEM}
    if not _active(actor):
        return set()
    parties: set[str] = set()
    if holds_at_path(actor, CLERK_ROLES, application.region_path):
        parties.add(Party.CLERK)
    if holds_at_path(actor, BACK_OFFICE_ROLES, application.centre.region_path) or (
        application.department_id is not None
        and any(
            post.role in DEPARTMENT_REVIEW_ROLES and post.department_id == application.department_id
            for post in actor.active_posts()
        )
    ):
        parties.add(Party.BACK_OFFICE)
    delivery = getattr(application, "delivery", None) if _has_delivery(application) else None
    if delivery is not None and (
        delivery.assignee_id == actor.pk or holds_at_path(actor, DELIVERER_ROLES, delivery.region_path)
    ):
        parties.add(Party.DELIVERER)
    if is_manager(actor, application.centre):
        parties.add(Party.MANAGER)
    if actor.is_superuser:
        parties |= {Party.CLERK, Party.BACK_OFFICE, Party.MANAGER}
    return parties


def _has_delivery(application: Application) -> bool:
    try:
        return application.delivery is not None
    except Application.delivery.RelatedObjectDoesNotExist:
        return False


def application_actions(actor: Any, application: Application) -> list[str]:
    """The actions of the table the actor may take on the application now (what the page offers)."""
    table = APPLICATION_TRANSITIONS[application.status]
    mine = application_parties(actor, application)
    return [action for action, (_target, parties) in table.items() if mine & parties and Party.SYSTEM not in mine]
