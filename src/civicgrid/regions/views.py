from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.core.views import domain_errors_as_messages
from civicgrid.people.permissions import holds_role
from civicgrid.regions import selectors, services
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region


def _region(request: HttpRequest, code: str) -> Region:
    try:
        return selectors.region_by_code(actor=request.user, code=code)
    except Region.DoesNotExist as exc:  # unknown and out-of-jurisdiction look the same
        raise Http404 from exc


@login_required
def browse(request: HttpRequest) -> HttpResponse:
    tops = list(selectors.top_regions(actor=request.user))
    if len(tops) == 1:
        return redirect("regions:detail", code=tops[0].code)
    return render(request, "regions/browse.html", {"tops": tops})


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    region = _region(request, code)
    context: dict[str, Any] = {
        "region": region,
        "crumbs": selectors.ancestors(actor=request.user, region=region),
        "children": selectors.children(actor=request.user, region=region),
        "map_config": {
            "geojsonUrl": reverse("regions:grids_geojson", args=[region.code]),
            "tileUrl": settings.MAP_TILE_URL,
            "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
            "lon": region.centre_lon,
            "lat": region.centre_lat,
        },
    }
    if region.level == Level.GRID:
        context["roster"] = selectors.grid_roster(actor=request.user, grid=region)
        if holds_role(request.user, services.PARTNER_MANAGERS, at=region):
            street_path = "/" + "".join(f"{code}/" for code in region.ancestor_codes()[:3])
            context["partner_choices"] = (
                selectors.regions(actor=request.user)
                .filter(level=Level.GRID, path__startswith=street_path)
                .exclude(pk=region.pk)
                .only("code", "name")
            )
    else:
        grids = selectors.grids_within(actor=request.user, region=region)
        context["grid_count"] = grids.count()
        context["dedicated_count"] = grids.filter(grid_kind="dedicated").count()
    return render(request, "regions/detail.html", context)


@login_required
@require_POST
@domain_errors_as_messages
def set_partner(request: HttpRequest, code: str) -> HttpResponse:
    grid = _region(request, code)
    partner_code = request.POST.get("partner", "").strip()
    partner = _region(request, partner_code) if partner_code else None
    services.grid_set_partner(actor=request.user, grid_id=grid.pk, partner_id=partner.pk if partner else None)
    messages.success(request, _("已更新AB岗结对网格。"))
    return redirect("regions:detail", code=grid.code)


@login_required
def card(request: HttpRequest, code: str) -> HttpResponse:
    """The grid card of the map: the same partial the grid page shows."""
    region = _region(request, code)
    if region.level != Level.GRID:
        raise Http404
    roster = selectors.grid_roster(actor=request.user, grid=region)
    return render(request, "regions/detail.html#grid-card", {"region": region, "roster": roster})


@login_required
def grids_geojson(request: HttpRequest, code: str) -> JsonResponse:
    region = _region(request, code)
    grids = (
        selectors.grids_within(actor=request.user, region=region)
        if region.level != Level.GRID
        else (selectors.regions(actor=request.user).filter(pk=region.pk))
    )
    # colour the grids by the level just below the region, so a district map shows its streets at a glance
    below = len(region.ancestor_codes())
    features = [
        grid.geojson_feature(
            kind=grid.grid_kind,
            card_url=reverse("regions:card", args=[grid.code]),
            colour_key=grid.ancestor_codes()[min(below, len(grid.ancestor_codes()) - 1)],
        )
        for grid in grids.only("code", "name", "level", "path", "grid_kind", "boundary").filter(boundary__isnull=False)
    ]
    # the outlines of the child streets or communities, drawn over the grids so their borders read at a glance
    if region.level not in (Level.COMMUNITY, Level.GRID):
        features += [
            child.geojson_feature(outline=True)
            for child in selectors.children(actor=request.user, region=region)
            .only("code", "name", "level", "boundary")
            .filter(boundary__isnull=False)
        ]
    return JsonResponse(
        {"type": "FeatureCollection", "features": features},
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False},
    )


@login_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:50]
    results = selectors.search(actor=request.user, query=query, limit=30)
    template = "regions/search.html#results" if request.headers.get("HX-Request") else "regions/search.html"
    return render(request, template, {"query": query, "results": results})
