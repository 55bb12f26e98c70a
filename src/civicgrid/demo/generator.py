"""The demo district: real division codes and names, generated boundaries and staff, loaded through services."""

import csv
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import shapely
import yaml
from django.conf import settings
from django.db.models import Q
from faker import Faker

from civicgrid.people import services as people
from civicgrid.people.choices import AssistantKind, Role
from civicgrid.regions import divisions
from civicgrid.regions import services as regions
from civicgrid.regions.choices import DedicatedClass, GridKind, Level
from civicgrid.regions.models import Region
from civicgrid.regions.services import RegionRow

from . import geometry

DEFAULT_SEED = 20261124
DEFAULT_PASSWORD = "civicgrid-demo"
# Gulou's figures from the reports; other districts get a plausible size from their number of communities.
KNOWN_DISTRICTS = {"320106": {"area_km2": 54.0, "grids": 991, "dedicated": 36}}
SMALL_STREETS = 2
SMALL_GRIDS_PER_COMMUNITY = 3

DEDICATED_KINDS = [
    ("医院", DedicatedClass.KEY_COMANAGED),
    ("大学", DedicatedClass.KEY_COMANAGED),
    ("中学", DedicatedClass.KEY_COMANAGED),
    ("小学", DedicatedClass.PERIODIC_LINKAGE),
    ("农贸市场", DedicatedClass.KEY_COMANAGED),
    ("商务大厦", DedicatedClass.PERIODIC_LINKAGE),
    ("公园", DedicatedClass.ROUTINE),
    ("政务中心", DedicatedClass.ROUTINE),
    ("科技园", DedicatedClass.PERIODIC_LINKAGE),
    ("商场", DedicatedClass.PERIODIC_LINKAGE),
]
ASSISTANT_KINDS = list(AssistantKind)
# The printed table starts with who sees most.
ACCOUNT_ORDER = [
    Role.DISTRICT_ADMIN,
    Role.OPERATOR,
    Role.STREET_OFFICER,
    Role.COMMUNITY_HEAD,
    Role.GRID_LEADER,
    Role.GRID_WORKER,
    Role.GRID_ASSISTANT,
    Role.CENTRE_MANAGER,
    Role.WINDOW_CLERK,
    Role.BACK_OFFICE_HANDLER,
    Role.DEPARTMENT_HANDLER,
]


@dataclass
class Plan:
    """Everything the demo will load, computed before anything is written."""

    district_code: str
    region_rows: list[RegionRow]
    street_features: list[dict[str, Any]] = field(default_factory=list)
    community_features: list[dict[str, Any]] = field(default_factory=list)
    grid_features: list[dict[str, Any]] = field(default_factory=list)
    staff: list[people.StaffRow] = field(default_factory=list)


def _centre(district_code: str) -> tuple[float, float]:
    with (settings.DIVISIONS_DIR / "areas.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["code"] == district_code:
                return float(row["longitude"]), float(row["latitude"])
    raise ValueError(f"district {district_code} is not in areas.csv")


def _feature(code: str, shape: shapely.Geometry, **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": json.loads(shapely.to_geojson(shape)),
        "properties": {"code": code, **properties},
    }


def plan(district_code: str, *, scale: str, seed: int) -> Plan:
    """The demo district as data: regions, boundaries, grids and staff. Same inputs, same plan."""
    rows = divisions.district_rows(district_code, settings.DIVISIONS_DIR)
    streets = [r for r in rows if r.level == Level.STREET]
    if scale == "small":
        streets = streets[:SMALL_STREETS]
    street_codes = {s.code for s in streets}
    communities = [r for r in rows if r.level == Level.COMMUNITY and r.parent_code in street_codes]
    rows = [r for r in rows if r.level in (Level.CITY, Level.DISTRICT)] + streets + communities
    result = Plan(district_code=district_code, region_rows=rows)

    known = KNOWN_DISTRICTS.get(district_code, {})
    all_communities = sum(1 for r in rows if r.level == Level.COMMUNITY)
    area = float(known.get("area_km2", max(20.0, 0.45 * all_communities)))
    if scale == "small":
        area = area * len(communities) / max(1, all_communities) if known else max(3.0, 0.45 * len(communities))
        total_grids = SMALL_GRIDS_PER_COMMUNITY * len(communities)
        dedicated_total = 1
    else:
        total_grids = int(known.get("grids", 8 * len(communities)))
        dedicated_total = int(known.get("dedicated", max(3, len(communities) // 4)))

    rng = random.Random(seed)
    lon, lat = _centre(district_code)
    district_shape = geometry.outline(lon, lat, area, rng)
    street_shapes = geometry.partition(district_shape, len(streets), rng)
    community_shapes: dict[str, shapely.Geometry] = {}
    for street, shape in zip(streets, street_shapes, strict=True):
        result.street_features.append(_feature(street.code, shape))
        members = [c for c in communities if c.parent_code == street.code]
        for community, cell in zip(members, geometry.partition(shape, len(members), rng), strict=True):
            community_shapes[community.code] = cell
            result.community_features.append(_feature(community.code, cell))

    counts = geometry.allocate(total_grids, [geometry.area_km2_of(community_shapes[c.code]) for c in communities])
    with_dedicated = set(rng.sample([c.code for c in communities], min(dedicated_total, len(communities))))
    grid_names: dict[str, str] = {}
    for community, count in zip(communities, counts, strict=True):
        extra = 1 if community.code in with_dedicated else 0
        cells = geometry.partition(community_shapes[community.code], count + extra, rng)
        dedicated_at = rng.randrange(len(cells)) if extra else -1
        place = community.name.removesuffix("社区").removesuffix("村")
        number = 0
        for sequence, cell in enumerate(cells, start=1):
            code = f"{community.code}{sequence:03d}"
            if sequence - 1 == dedicated_at:
                kind, dedicated_class = DEDICATED_KINDS[rng.randrange(len(DEDICATED_KINDS))]
                name = f"{place}{kind}专属网格"
                properties: dict[str, Any] = {"kind": GridKind.DEDICATED, "dedicated_class": dedicated_class}
            else:
                number += 1
                name = f"{community.name}第{number}网格"
                households = rng.randint(300, 500)
                properties = {"households": households, "population": round(households * rng.uniform(2.6, 2.9))}
            grid_names[code] = name
            result.grid_features.append(_feature(code, cell, name=name, **properties))
    _pair_neighbours(result.grid_features)
    _plan_staff(result, streets, communities, grid_names, seed)
    return result


def _pair_neighbours(features: list[dict[str, Any]]) -> None:
    """A/B posts: pair each comprehensive grid with an unpaired neighbour of the same community that shares an edge."""
    by_community: dict[str, list[dict[str, Any]]] = {}
    for feature in features:
        if feature["properties"].get("kind") != GridKind.DEDICATED:
            by_community.setdefault(feature["properties"]["code"][:12], []).append(feature)
    for members in by_community.values():
        shapes = [shapely.geometry.shape(f["geometry"]) for f in members]
        paired: set[int] = set()
        for i, one in enumerate(members):
            if i in paired:
                continue
            for j in range(i + 1, len(members)):
                if j not in paired and shapes[i].intersection(shapes[j]).length > 0:
                    one["properties"]["partner"] = members[j]["properties"]["code"]
                    paired.update({i, j})
                    break


def _plan_staff(
    result: Plan, streets: list[RegionRow], communities: list[RegionRow], grid_names: dict[str, str], seed: int
) -> None:
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = random.Random(seed + 1)
    rows = result.staff

    def add(username: str, role: Role, region_code: str = "", department_code: str = "", **extra: str) -> None:
        existing = next((r for r in rows if r.username == username), None)
        name = existing.full_name if existing else fake.name()
        phone = existing.phone if existing else fake.phone_number()
        rows.append(
            people.StaffRow(
                f"{username}#{len(rows) + 1}", username, name, role, region_code, department_code, phone=phone, **extra
            )
        )

    district = result.district_code
    add("admin", Role.DISTRICT_ADMIN, district)
    add("admin2", Role.DISTRICT_ADMIN, district)
    add("district.operator", Role.OPERATOR, district)
    departments = yaml.safe_load((settings.DATA_DIR / "departments.yaml").read_text(encoding="utf-8"))
    for department in departments:
        add(f"dept.{department['key']}", Role.DEPARTMENT_HANDLER, "", f"{district}-{department['key']}")
    for street in streets:
        s = street.code[-3:]
        add(f"s{s}.officer", Role.STREET_OFFICER, street.code)
        add(f"s{s}.officer2", Role.STREET_OFFICER, street.code)
        add(f"s{s}.operator", Role.OPERATOR, street.code)
        for n in (1, 2, 3):
            add(f"s{s}.clerk{n}", Role.WINDOW_CLERK, street.code)
        for n in (1, 2):
            add(f"s{s}.backoffice{n}", Role.BACK_OFFICE_HANDLER, street.code)
    grids_of: dict[str, list[str]] = {}
    for code in grid_names:
        grids_of.setdefault(code[:12], []).append(code)
    for community in communities:
        c = community.code[-6:]
        add(f"c{c}.head", Role.COMMUNITY_HEAD, community.code)
        for grid in grids_of.get(community.code, []):
            add(f"c{c}.leader", Role.GRID_LEADER, grid)
    for grid in grid_names:
        g = grid[-9:]
        add(f"g{g}.worker", Role.GRID_WORKER, grid)
        for n, kind in enumerate(rng.sample(ASSISTANT_KINDS, rng.randint(1, 3)), start=1):
            add(f"g{g}.assistant{n}", Role.GRID_ASSISTANT, grid, assistant_kind=kind)
    for street in streets:  # last, so adding them changed no one else's generated name
        add(f"s{street.code[-3:]}.manager", Role.CENTRE_MANAGER, street.code)


def load(district_code: str, *, scale: str, seed: int, password: str, say: Any = print) -> bool:
    """Load the demo district through the services, reporting each step with `say`. False if already loaded."""
    started = time.monotonic()
    if Region.objects.filter(level=Level.GRID, path__contains=f"/{district_code}/").exists():
        say(f"{district_code} 已载入，跳过（如需重建，请删除数据库后重新运行）。")
        return False
    demo = plan(district_code, scale=scale, seed=seed)
    say(f"规划：{len(demo.grid_features)} 个网格，{len({r.username for r in demo.staff})} 名工作人员")
    result = regions.import_regions(actor=None, rows=demo.region_rows)
    say(f"区划：新建 {result.created} 个，已有 {result.unchanged + result.updated} 个")
    for features in (demo.street_features, demo.community_features):
        regions.import_boundaries(actor=None, collection={"type": "FeatureCollection", "features": features})
    say(f"边界：{len(demo.street_features)} 个街道，{len(demo.community_features)} 个社区")
    regions.import_grids(actor=None, collection={"type": "FeatureCollection", "features": demo.grid_features})
    dedicated = sum(1 for f in demo.grid_features if f["properties"].get("kind") == GridKind.DEDICATED)
    say(f"网格：综合网格 {len(demo.grid_features) - dedicated} 个，专属网格 {dedicated} 个")
    district = Region.objects.get(code=district_code)
    departments = yaml.safe_load((settings.DATA_DIR / "departments.yaml").read_text(encoding="utf-8"))
    people.load_departments(actor=None, district=district, entries=departments)
    say(f"职能部门：{len(departments)} 个")
    created = people.staff_import(actor=None, rows=demo.staff, password=password)
    say(f"工作人员：{created} 人，{len(demo.staff)} 个岗位")
    say(f"基础数据用时 {time.monotonic() - started:.1f} 秒")
    return True


def demo_accounts(district: Region) -> list[tuple[str, str, str]]:
    """One account per role in the district, for the printed table: username, role, where."""
    from civicgrid.people.models import Post

    accounts = []
    for role in ACCOUNT_ORDER:
        post = (
            Post.objects.filter(role=role, is_active=True)
            .exclude(role=Role.OPERATOR, region=district)  # the street's operator is the one to try first
            .filter(Q(region__path__startswith=district.path) | Q(department__region=district))
            .select_related("user", "region", "department")
            .order_by("user__username")
            .first()
        )
        if post is not None:
            where = post.department.name if post.department else post.region.name if post.region else ""
            accounts.append((post.user.username, str(role.label), where))
    return accounts
