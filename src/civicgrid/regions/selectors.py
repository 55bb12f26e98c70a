"""Reads of the region tree, always restricted to the actor's jurisdiction (except `grid_at`, a pure lookup)."""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, Q, QuerySet
from numpy.typing import NDArray

from civicgrid.core.jurisdiction import jurisdiction_of, restrict
from civicgrid.regions.choices import LEVEL_ORDER, Level
from civicgrid.regions.geo import GridRef, grid_index
from civicgrid.regions.models import Region


def regions(*, actor: Any) -> QuerySet[Region]:
    """Every region the actor may see: the subtrees of their posts."""
    return restrict(actor, Region.objects.all())


def region_by_code(*, actor: Any, code: str) -> Region:
    """One region of the actor's jurisdiction; Region.DoesNotExist when unknown or outside it."""
    return regions(actor=actor).select_related("parent", "partner").get(code=code)


def top_regions(*, actor: Any) -> QuerySet[Region]:
    """The highest regions the actor sees whole: where their region browser starts."""
    reach = jurisdiction_of(actor)
    if reach.everything:
        visible = Region.objects.all()
        top_level = next((lvl for lvl in LEVEL_ORDER if visible.filter(level=lvl).exists()), Level.CITY)
        return visible.filter(level=top_level)
    roots = [prefix.rstrip("/").rsplit("/", 1)[-1] for prefix in reach.region_paths]
    return Region.objects.filter(code__in=roots)


def ancestors(*, actor: Any, region: Region) -> list[Region]:
    """The chain above `region` that the actor may see, top first (for breadcrumbs)."""
    codes = region.ancestor_codes()[:-1]
    found = {r.code: r for r in regions(actor=actor).filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


def children(*, actor: Any, region: Region) -> QuerySet[Region]:
    return regions(actor=actor).filter(parent=region).annotate(child_count=Count("children")).order_by("code")


def search(*, actor: Any, query: str, limit: int = 20) -> QuerySet[Region]:
    """Regions whose name contains the query or whose code starts with it."""
    query = query.strip()
    if not query:
        return Region.objects.none()
    condition = Q(name__icontains=query)
    if query.isdigit():
        condition |= Q(code__startswith=query)
    return regions(actor=actor).filter(condition).select_related("parent").order_by("level", "code")[:limit]


def grids_within(*, actor: Any, region: Region) -> QuerySet[Region]:
    """The grids of a region's subtree that the actor may see, with boundaries, for the map."""
    return regions(actor=actor).filter(level=Level.GRID, path__startswith=region.path).order_by("code")


@dataclass
class GridRoster:
    """Who looks after a grid: its worker, its A/B partner grid (whose worker covers), leader and assistants."""

    grid: Region
    worker: Any = None
    leader: Any = None
    assistants: list[Any] = field(default_factory=list)
    partner: Region | None = None
    partner_worker: Any = None


def grid_roster(*, actor: Any, grid: Region) -> GridRoster:
    from civicgrid.people.choices import Role
    from civicgrid.people.models import Post

    grid = region_by_code(actor=actor, code=grid.code)  # re-checks jurisdiction
    roster = GridRoster(grid=grid, partner=grid.partner)
    grid_ids = [grid.pk] + ([grid.partner_id] if grid.partner_id else [])
    posts = (
        Post.objects.filter(region_id__in=grid_ids, is_active=True)
        .select_related("user")
        .order_by("role", "assistant_kind", "user__username")
    )
    for post in posts:
        if post.region_id != grid.pk:
            if post.role == Role.GRID_WORKER:
                roster.partner_worker = post
        elif post.role == Role.GRID_WORKER:
            roster.worker = post
        elif post.role == Role.GRID_LEADER:
            roster.leader = post
        elif post.role == Role.GRID_ASSISTANT:
            roster.assistants.append(post)
    return roster


def grid_at(lon: float, lat: float) -> GridRef | None:
    """The grid containing the point (WGS-84 longitude, latitude), or None. No query once the index is built."""
    return grid_index.get().find(lon, lat)


def grids_at(lons: NDArray[np.float64], lats: NDArray[np.float64]) -> list[GridRef | None]:
    """`grid_at` for many points at once (vectorised)."""
    index = grid_index.get()
    return [index.keys[p] if p >= 0 else None for p in index.find_many(lons, lats)]
