"""Jurisdiction: which rows an actor may read. Every selector passes its queryset through `restrict`.

A model says how its rows relate to regions and departments with a class attribute `jurisdiction_scope = Scope(...)`.
An actor's jurisdiction is the union of the region subtrees of their active posts and the departments they serve in
(`people.User.jurisdiction`). A region subtree is a prefix of the materialised `Region.path`.
"""

from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import Model, Q, QuerySet


@dataclass(frozen=True)
class Scope:
    """How a model's rows map to jurisdiction: lookups to a region path string and/or to a department id."""

    region_path: str | None = None
    department: str | None = None


@dataclass(frozen=True)
class Jurisdiction:
    everything: bool = False
    region_paths: tuple[str, ...] = ()
    department_ids: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.region_paths or self.department_ids)

    def covers_path(self, path: str) -> bool:
        return self.everything or any(path.startswith(prefix) for prefix in self.region_paths)


NOTHING = Jurisdiction()
EVERYTHING = Jurisdiction(everything=True)


def minimal_prefixes(paths: list[str]) -> tuple[str, ...]:
    """Drop every path that lies inside another one, so a filter has as few OR terms as it needs."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(prefix) for prefix in kept):
            kept.append(path)
    return tuple(kept)


class HasJurisdiction(Protocol):
    def jurisdiction(self) -> Jurisdiction: ...


def jurisdiction_of(actor: Any) -> Jurisdiction:
    if actor is None or not getattr(actor, "is_authenticated", False) or not getattr(actor, "is_active", False):
        return NOTHING
    return actor.jurisdiction()


def restrict[M: Model](actor: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    """The rows of `queryset` that lie in the actor's jurisdiction. A model without a Scope is never readable."""
    scope: Scope | None = getattr(queryset.model, "jurisdiction_scope", None)
    if not isinstance(scope, Scope):
        raise TypeError(f"{queryset.model.__name__} declares no jurisdiction Scope; it cannot be restricted")
    reach = jurisdiction_of(actor)
    if reach.everything:
        return queryset
    condition = Q(pk__in=[])
    if scope.region_path:
        for prefix in reach.region_paths:
            condition |= Q(**{f"{scope.region_path}__startswith": prefix})
    if scope.department and reach.department_ids:
        condition |= Q(**{f"{scope.department}__in": sorted(reach.department_ids)})
    return queryset.filter(condition)
