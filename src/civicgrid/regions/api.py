"""Regions over JSON: the tree, a region with its roster, the grids of a subtree, and grid lookup by point."""

from typing import Any

import numpy as np
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from civicgrid.core.jurisdiction import jurisdiction_of
from civicgrid.core.masking import mask_phone
from civicgrid.regions import selectors
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region
from civicgrid.regions.schemas import (
    GridAtOut,
    GridCodesOut,
    PointsIn,
    RegionDetail,
    RegionNode,
    RegionOut,
    region_out,
)

router = Router(tags=["regions"])
NOT_FOUND = "区域不存在，或不在您的管辖范围内。"


def _region(request: HttpRequest, code: str) -> Region:
    try:
        return selectors.region_by_code(actor=request.user, code=code)
    except Region.DoesNotExist as exc:
        raise HttpError(404, _(NOT_FOUND)) from exc


@router.get("/", response=list[RegionOut], summary="区域列表")
@paginate
def list_regions(
    request: HttpRequest,
    parent: str | None = Query(None, description="children of this region code"),
    level: Level | None = None,
    q: str | None = Query(None, max_length=50, description="name contains, or code starts with"),
) -> Any:
    """The caller's top regions; or the children of `parent`; or a search by `q`; optionally of one `level`."""
    if q:
        rows = selectors.search(actor=request.user, query=q, limit=500)
        return [region_out(r) for r in rows if not level or r.level == level]
    if parent:
        rows = selectors.children(actor=request.user, region=_region(request, parent))
    else:
        rows = selectors.top_regions(actor=request.user)
    return [region_out(r) for r in (rows.filter(level=level) if level else rows)]


@router.get("/tree", response=list[RegionNode], summary="区域树")
def tree(request: HttpRequest, root: str | None = None, depth: int = Query(2, ge=0, le=4)) -> Any:
    """Nested regions from `root` (default: the caller's top regions), `depth` levels down."""
    roots = [_region(request, root)] if root else list(selectors.top_regions(actor=request.user))
    if not roots:
        return []
    visible = selectors.regions(actor=request.user)
    lowest = min(len(r.ancestor_codes()) for r in roots) + depth
    subtrees = Q(pk__in=[])
    for root_region in roots:
        subtrees |= Q(path__startswith=root_region.path)
    below = [r for r in visible.filter(subtrees).order_by("code") if len(r.ancestor_codes()) <= lowest]
    by_parent: dict[int | None, list[Region]] = {}
    for region in below:
        by_parent.setdefault(region.parent_id, []).append(region)

    def node(region: Region) -> dict[str, Any]:
        data = region_out(region)
        data["children"] = [node(child) for child in by_parent.get(region.pk, [])]
        return data

    return [node(r) for r in roots]


@router.get("/grid-at", response=GridAtOut, summary="按坐标查找网格")
def grid_at(
    request: HttpRequest,
    lon: float = Query(..., ge=-180, le=180, description="WGS-84 longitude"),
    lat: float = Query(..., ge=-90, le=90, description="WGS-84 latitude"),
) -> Any:
    hit = selectors.grid_at(lon, lat)
    if hit is None or not jurisdiction_of(request.user).covers_path(hit.path):
        raise HttpError(404, _("该位置不在您管辖范围内的任何网格中。"))
    region = selectors.region_by_code(actor=request.user, code=hit.code)
    return {"code": region.code, "name": region.name}


@router.post("/grid-at/batch", response=GridCodesOut, summary="批量按坐标查找网格")
def grid_at_batch(request: HttpRequest, payload: PointsIn) -> Any:
    """The grid code of each point, or null (outside every grid, or outside the caller's jurisdiction)."""
    if not payload.points:
        return {"codes": []}
    points = np.asarray(payload.points, dtype=float)
    if not (np.all(np.abs(points[:, 0]) <= 180) and np.all(np.abs(points[:, 1]) <= 90)):
        raise HttpError(422, _("坐标超出经纬度范围。"))
    reach = jurisdiction_of(request.user)
    hits = selectors.grids_at(points[:, 0], points[:, 1])
    return {"codes": [hit.code if hit and reach.covers_path(hit.path) else None for hit in hits]}


@router.get("/{code}", response=RegionDetail, summary="区域详情")
def region_detail(request: HttpRequest, code: str) -> Any:
    region = _region(request, code)
    data = region_out(region)
    data["ancestors"] = [region_out(r) for r in selectors.ancestors(actor=request.user, region=region)]
    data["boundary"] = region.boundary
    if region.level == Level.GRID:
        roster = selectors.grid_roster(actor=request.user, grid=region)
        data["roster"] = {
            "worker": _person(roster.worker),
            "leader": _person(roster.leader),
            "assistants": [_person(p) for p in roster.assistants],
            "partner": region_out(roster.partner) if roster.partner else None,
            "partner_worker": _person(roster.partner_worker),
        }
    return data


def _person(post: Any) -> dict[str, str] | None:
    if post is None:
        return None
    return {
        "username": post.user.username,
        "full_name": post.user.display_name,
        "phone": mask_phone(post.user.phone),
        "role": post.role,
        "assistant_kind": post.assistant_kind,
    }


@router.get("/{code}/grids.geojson", summary="网格边界 GeoJSON")
def grids_geojson(request: HttpRequest, code: str) -> dict[str, Any]:
    region = _region(request, code)
    grids = selectors.grids_within(actor=request.user, region=region).filter(boundary__isnull=False)
    return {
        "type": "FeatureCollection",
        "features": [g.geojson_feature(kind=g.grid_kind, dedicated_class=g.dedicated_class) for g in grids],
    }
