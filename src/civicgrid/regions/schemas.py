from typing import Any

from ninja import Field, Schema


class RegionOut(Schema):
    code: str
    name: str
    level: str
    level_label: str
    parent_code: str | None
    grid_kind: str
    dedicated_class: str
    target_households: int | None
    target_population: int | None
    centre: list[float] | None = Field(None, description="[longitude, latitude], WGS-84")
    area_km2: float | None


def region_out(region: Any) -> dict[str, Any]:
    """A region as the API shows it (plain data, so nested and paginated outputs share one shape)."""
    codes = region.ancestor_codes()
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "level_label": str(region.get_level_display()),
        "parent_code": codes[-2] if len(codes) > 1 else None,
        "grid_kind": region.grid_kind,
        "dedicated_class": region.dedicated_class,
        "target_households": region.target_households,
        "target_population": region.target_population,
        "centre": [region.centre_lon, region.centre_lat] if region.centre_lon is not None else None,
        "area_km2": region.area_km2,
    }


class RegionNode(RegionOut):
    children: list["RegionNode"] = []


class PersonRef(Schema):
    username: str
    full_name: str
    phone: str = Field(description="masked")
    role: str
    assistant_kind: str


class RosterOut(Schema):
    worker: PersonRef | None
    leader: PersonRef | None
    assistants: list[PersonRef]
    partner: RegionOut | None
    partner_worker: PersonRef | None


class RegionDetail(RegionOut):
    ancestors: list[RegionOut]
    boundary: dict[str, Any] | None
    roster: RosterOut | None = None


class GridAtOut(Schema):
    code: str
    name: str


class PointsIn(Schema):
    points: list[tuple[float, float]] = Field(..., max_length=10_000, description="[[lon, lat], ...]")


class GridCodesOut(Schema):
    codes: list[str | None]
