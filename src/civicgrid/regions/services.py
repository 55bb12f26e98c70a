"""Writes to the region tree: imports of division codes and boundaries, grid settings. All or nothing, audited."""

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import shapely
import shapely.validation
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import Conflict, ValidationError
from civicgrid.regions.choices import CODE_PATTERNS, PARENT_LEVEL, DedicatedClass, GridKind, Level, code_matches_parent
from civicgrid.regions.geo import grid_index
from civicgrid.regions.models import Region, path_for

# Shared edges of neighbouring regions are never drawn perfectly (digitising, rounding to 1e-7 degrees): a strip
# narrower than 20 cm along an edge, or a patch under a square metre, is not an overlap; and a grid may stick out of
# its community by less than half a metre.
OVERLAP_TOLERANCE_M = 0.2
OVERLAP_TOLERANCE_M2 = 1.0
CONTAINMENT_TOLERANCE_M = 0.5
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class RowError:
    row: str  # where in the file: "streets.csv:12" or "feature 7"
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.row} [{self.code or '-'}]: {self.message}"


class ImportRejected(ValidationError):
    """A file with at least one bad row: nothing of it was imported; `rows` names every bad row."""

    def __init__(self, rows: Sequence[RowError]) -> None:
        self.rows = list(rows)
        super().__init__(_("导入文件有 %(count)d 处错误，未导入任何数据。") % {"count": len(self.rows)})


@contextmanager
def _concurrent_import_is_a_conflict() -> Iterator[None]:
    # Validation reads outside the write transaction; another import may create the same codes in between.
    try:
        yield
    except IntegrityError as exc:
        raise Conflict(_("另一项导入同时写入了相同的区域代码，未导入任何数据，请重新导入。")) from exc


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    codes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------------
# Division codes (CSV)


@dataclass(frozen=True)
class RegionRow:
    row: str
    code: str
    name: str
    level: str
    parent_code: str | None


def committee_to_place(name: str) -> str:
    """Statistical files name a community by its committee (仙霞路社区居委会); people call it 仙霞路社区."""
    for suffix, replacement in (
        ("社区居民委员会", "社区"),
        ("居民委员会", "社区"),
        ("居委会", ""),
        ("村民委员会", "村"),
        ("村委会", "村"),
    ):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + replacement
    return name


def import_regions(*, actor: Any, rows: Sequence[RegionRow]) -> ImportResult:
    """Create or rename the regions of `rows` (parents before children). Any bad row rejects the whole file.

    From the command line (actor None) anything may be imported; a district administrator may import only below
    a region they administer."""
    from civicgrid.people.permissions import require_administrator_or_system

    for parent in Region.objects.filter(code__in={row.parent_code for row in rows if row.parent_code}):
        require_administrator_or_system(actor, at=parent)
    if actor is not None and any(not row.parent_code for row in rows):
        require_administrator_or_system(actor, at=None)
    errors: list[RowError] = []
    existing = {
        r.code: r
        for r in Region.objects.filter(
            code__in={row.code for row in rows} | {row.parent_code for row in rows if row.parent_code}
        )
    }
    known_levels: dict[str, str] = {code: region.level for code, region in existing.items()}
    seen: set[str] = set()
    for row in rows:
        level_errors = _check_region_row(row, seen, known_levels)
        errors.extend(level_errors)
        seen.add(row.code)
        if not level_errors:
            known_levels[row.code] = row.level
    if errors:
        raise ImportRejected(errors)
    with _concurrent_import_is_a_conflict():
        return _write_regions(actor=actor, rows=rows)


def _check_region_row(row: RegionRow, seen: set[str], known_levels: Mapping[str, str]) -> list[RowError]:
    def error(message: str) -> RowError:
        return RowError(row.row, row.code, message)

    if row.level not in Level.values or row.level == Level.GRID:
        return [error(_("层级“%(level)s”无效，应为市、区、街道或社区。") % {"level": row.level})]
    level = Level(row.level)
    problems: list[RowError] = []
    if not CODE_PATTERNS[level].match(row.code):
        problems.append(
            error(
                _("代码格式错误：%(level)s代码应为 %(digits)d 位数字。")
                % {
                    "level": level.label,
                    "digits": {Level.CITY: 6, Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12}[level],
                }
            )
        )
    if not row.name.strip():
        problems.append(error(_("名称不能为空。")))
    if row.code in seen:
        problems.append(error(_("代码在文件中重复。")))
    if row.code in known_levels and known_levels[row.code] != level and row.code not in seen:
        problems.append(error(_("代码已被其他层级的区域使用。")))
    expected_parent = PARENT_LEVEL[level]
    if expected_parent is None:
        if row.parent_code:
            problems.append(error(_("市级区域不能有上级。")))
    elif not row.parent_code:
        if level != Level.DISTRICT:
            problems.append(error(_("缺少上级区域代码。")))
    elif known_levels.get(row.parent_code) != expected_parent:
        problems.append(
            error(
                _("上级区域 %(parent)s 不存在（应为已导入或文件中在前的%(level)s）。")
                % {"parent": row.parent_code, "level": expected_parent.label}
            )
        )
    elif not problems and not code_matches_parent(level, row.code, row.parent_code):
        problems.append(
            error(_("代码 %(code)s 与上级代码 %(parent)s 不符。") % {"code": row.code, "parent": row.parent_code})
        )
    return problems


@transaction.atomic
def _write_regions(*, actor: Any, rows: Sequence[RegionRow]) -> ImportResult:
    result = ImportResult()
    by_code = {
        r.code: r
        for r in Region.objects.select_for_update().filter(
            code__in=[row.code for row in rows] + [row.parent_code for row in rows if row.parent_code]
        )
    }
    entries = []
    for row in rows:
        name = row.name.strip()
        region = by_code.get(row.code)
        if region is None:
            parent = by_code.get(row.parent_code) if row.parent_code else None
            region = Region.objects.create(
                code=row.code, name=name, level=row.level, parent=parent, path=path_for(parent, row.code)
            )
            by_code[row.code] = region
            result.created += 1
            entries.append(
                audit.entry(
                    actor=actor,
                    action="region.create",
                    obj=region,
                    after={"code": region.code, "name": name, "level": row.level},
                )
            )
        elif region.name != name:
            before = region.name
            region.name = name
            region.save(update_fields=["name", "updated_at"])
            result.updated += 1
            entries.append(
                audit.entry(
                    actor=actor, action="region.rename", obj=region, before={"name": before}, after={"name": name}
                )
            )
        else:
            result.unchanged += 1
        result.codes.append(row.code)
    audit.record_many(entries)
    return result


# ---------------------------------------------------------------------------------------------------------------
# Boundaries and grids (GeoJSON)


def _metres_per_degree_lon(lat: float) -> float:
    return METRES_PER_DEGREE * math.cos(math.radians(lat))


def area_m2(geometry: shapely.Geometry) -> float:
    """Area in square metres by a local equirectangular projection: exact enough at the size of a district."""
    if geometry.is_empty:
        return 0.0
    lat = geometry.centroid.y
    return float(geometry.area) * METRES_PER_DEGREE * _metres_per_degree_lon(lat)


def _parse_geometry(raw: Any) -> tuple[shapely.Geometry | None, str | None]:
    if not isinstance(raw, Mapping) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        return None, _("边界必须是 GeoJSON 的 Polygon 或 MultiPolygon。")
    try:
        geometry = shapely.geometry.shape(raw)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError):
        return None, _("边界坐标无法解析。")
    if geometry.is_empty:
        return None, _("边界为空。")
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return None, _("边界坐标超出经纬度范围（应为 WGS-84 经度、纬度）。")
    if not geometry.is_valid:
        reason = shapely.validation.explain_validity(geometry)
        if "Self-intersection" in reason:
            return None, _("边界自相交：%(where)s。") % {"where": reason}
        return None, _("边界不是有效的多边形：%(why)s。") % {"why": reason}
    if area_m2(geometry) < 1.0:
        return None, _("边界面积为零。")
    return geometry, None


def _int_or_none(value: Any) -> tuple[int | None, bool]:
    if value is None or value == "":
        return None, True
    if isinstance(value, bool):
        return None, False
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None, False
    if number != value and str(number) != str(value).strip():
        return None, False
    return (number, True) if number >= 0 else (None, False)


@dataclass
class _Feature:
    row: str
    code: str
    properties: Mapping[str, Any]
    geometry: shapely.Geometry | None = None
    parent: Region | None = None
    fields: dict[str, Any] = field(default_factory=dict)


def _features_of(collection: Any) -> list[_Feature] | RowError:
    if not isinstance(collection, Mapping) or collection.get("type") != "FeatureCollection":
        return RowError(_("文件"), "", _("文件必须是 GeoJSON FeatureCollection。"))
    raw_features = collection.get("features")
    if not isinstance(raw_features, list) or not raw_features:
        return RowError(_("文件"), "", _("文件中没有任何要素。"))
    features = []
    for number, raw in enumerate(raw_features, start=1):
        properties = raw.get("properties") if isinstance(raw, Mapping) else None
        properties = properties if isinstance(properties, Mapping) else {}
        code = str(properties.get("code") or "").strip()
        feature = _Feature(row=_("第 %(n)d 个要素") % {"n": number}, code=code, properties=properties)
        feature.fields["raw_geometry"] = raw.get("geometry") if isinstance(raw, Mapping) else None
        features.append(feature)
    return features


def _check_geometries(features: list[_Feature], errors: list[RowError], *, level: Level) -> None:
    """Parse each geometry; check it lies in its parent's boundary and overlaps no sibling of the same level."""
    tolerance_deg = CONTAINMENT_TOLERANCE_M / METRES_PER_DEGREE
    for feature in features:
        geometry, problem = _parse_geometry(feature.fields.pop("raw_geometry", None))
        if problem:
            errors.append(RowError(feature.row, feature.code, problem))
            continue
        feature.geometry = geometry
        parent = feature.parent
        if parent is not None and parent.boundary and geometry is not None:
            parent_shape = shapely.geometry.shape(parent.boundary).buffer(tolerance_deg)
            if not parent_shape.contains(geometry):
                errors.append(
                    RowError(
                        feature.row, feature.code, _("边界超出上级区域“%(parent)s”的范围。") % {"parent": parent.name}
                    )
                )

    placed = [f for f in features if f.geometry is not None]
    replaced = {f.code for f in placed}
    others = [
        (r.code, shapely.geometry.shape(r.boundary))
        for r in Region.objects.filter(level=level, boundary__isnull=False)
        .exclude(code__in=replaced)
        .only("code", "boundary")
    ]
    shapes = [f.geometry for f in placed] + [geometry for _code, geometry in others]
    codes = [f.code for f in placed] + [code for code, _geometry in others]
    if len(shapes) < 2:
        return
    tree = shapely.STRtree(shapes)
    left, right = tree.query(shapes, predicate="intersects")
    shrunk: dict[int, shapely.Geometry] = {}
    reported: set[tuple[int, int]] = set()
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i == j or i >= len(placed) or (j < len(placed) and j < i) or (i, j) in reported:
            continue
        if i not in shrunk:
            shrunk[i] = shapes[i].buffer(-OVERLAP_TOLERANCE_M / METRES_PER_DEGREE)
        overlap = shrunk[i].intersection(shapes[j])
        if area_m2(overlap) > OVERLAP_TOLERANCE_M2:
            reported.add((i, j))
            errors.append(
                RowError(
                    placed[i].row,
                    placed[i].code,
                    _("与 %(other)s 重叠约 %(area).0f 平方米。") % {"other": codes[j], "area": area_m2(overlap)},
                )
            )


def import_grids(*, actor: Any, collection: Any) -> ImportResult:
    """Create or update grids from a GeoJSON FeatureCollection; properties: code, name, kind, dedicated_class,
    households, population, partner. Every bad feature is reported and nothing is imported."""
    from civicgrid.people.permissions import require_administrator_or_system

    parsed = _features_of(collection)
    if isinstance(parsed, RowError):
        raise ImportRejected([parsed])
    features = parsed
    errors: list[RowError] = []
    codes_in_file = [f.code for f in features]
    community_codes = {code[:12] for code in codes_in_file if len(code) == 15}
    communities = {r.code: r for r in Region.objects.filter(level=Level.COMMUNITY, code__in=community_codes)}
    existing = {r.code: r for r in Region.objects.filter(code__in=codes_in_file)}
    seen: set[str] = set()
    for community in communities.values():
        require_administrator_or_system(actor, at=community)
    for feature in features:
        errors.extend(_check_grid_properties(feature, seen, communities, existing))
        seen.add(feature.code)
    partner_codes = {str(f.properties.get("partner") or "") for f in features} - {""}
    known_partners = set(codes_in_file) | set(
        Region.objects.filter(level=Level.GRID, code__in=partner_codes).values_list("code", flat=True)
    )
    for feature in features:
        partner = str(feature.properties.get("partner") or "").strip()
        if partner and (partner not in known_partners or partner == feature.code):
            errors.append(
                RowError(feature.row, feature.code, _("AB岗结对网格 %(partner)s 不存在。") % {"partner": partner})
            )
        feature.fields["partner"] = partner
    _check_geometries(features, errors, level=Level.GRID)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: _row_number(e.row)))
    with _concurrent_import_is_a_conflict():
        return _write_grids(actor=actor, features=features)


def _row_number(row: str) -> int:
    digits = "".join(ch for ch in row if ch.isdigit())
    return int(digits) if digits else 0


def _check_grid_properties(
    feature: _Feature, seen: set[str], communities: Mapping[str, Region], existing: Mapping[str, Region]
) -> list[RowError]:
    props = feature.properties
    problems: list[str] = []
    code = feature.code
    if not CODE_PATTERNS[Level.GRID].match(code):
        problems.append(_("网格代码应为 15 位数字：12 位社区代码加 3 位序号（001-999）。"))
    elif code[:12] not in communities:
        problems.append(_("所属社区 %(community)s 不存在。") % {"community": code[:12]})
    else:
        feature.parent = communities[code[:12]]
    if code in seen:
        problems.append(_("代码在文件中重复。"))
    if code in existing and existing[code].level != Level.GRID:
        problems.append(_("代码已被其他层级的区域使用。"))
    name = str(props.get("name") or "").strip()
    if not name:
        problems.append(_("名称不能为空。"))
    elif len(name) > 100:
        problems.append(_("名称过长（最多 100 个字）。"))
    kind = str(props.get("kind") or GridKind.COMPREHENSIVE)
    dedicated_class = str(props.get("dedicated_class") or "")
    if kind not in GridKind.values:
        problems.append(_("网格类型“%(kind)s”无效，应为 comprehensive 或 dedicated。") % {"kind": kind})
    elif kind == GridKind.DEDICATED and dedicated_class not in DedicatedClass.values:
        problems.append(_("专属网格须注明类别：routine、key_comanaged 或 periodic_linkage。"))
    elif kind == GridKind.COMPREHENSIVE and dedicated_class:
        problems.append(_("综合网格不能有专属网格类别。"))
    households, ok_households = _int_or_none(props.get("households"))
    population, ok_population = _int_or_none(props.get("population"))
    if not ok_households:
        problems.append(_("户数必须是非负整数。"))
    if not ok_population:
        problems.append(_("人口必须是非负整数。"))
    feature.fields.update(
        name=name,
        grid_kind=kind,
        dedicated_class=dedicated_class if kind == GridKind.DEDICATED else "",
        target_households=households,
        target_population=population,
    )
    return [RowError(feature.row, code, message) for message in problems]


def _geometry_fields(geometry: shapely.Geometry) -> dict[str, Any]:
    point = geometry.representative_point()
    return {
        "boundary": _boundary_json(geometry),
        "centre_lon": round(point.x, 7),
        "centre_lat": round(point.y, 7),
        "area_km2": round(area_m2(geometry) / 1_000_000, 4),
    }


def _boundary_json(geometry: shapely.Geometry) -> dict[str, Any]:
    # GeoJSON through a JSON round trip: tuples become lists, so what is stored equals what is read back.
    return json.loads(shapely.to_geojson(shapely.set_precision(geometry, 1e-7)))


GRID_FIELDS = ("name", "grid_kind", "dedicated_class", "target_households", "target_population")


@transaction.atomic
def _write_grids(*, actor: Any, features: Sequence[_Feature]) -> ImportResult:
    result = ImportResult()
    existing = {r.code: r for r in Region.objects.select_for_update().filter(code__in=[f.code for f in features])}
    entries = []
    new_regions = []
    for feature in features:
        assert feature.geometry is not None and feature.parent is not None
        values = {name: feature.fields[name] for name in GRID_FIELDS} | _geometry_fields(feature.geometry)
        grid = existing.get(feature.code)
        if grid is None:
            grid = Region(
                code=feature.code,
                level=Level.GRID,
                parent=feature.parent,
                path=path_for(feature.parent, feature.code),
                **values,
            )
            new_regions.append(grid)
            result.created += 1
        else:
            before = audit.snapshot(grid, GRID_FIELDS)
            changed = {k: v for k, v in values.items() if getattr(grid, k) != v}
            if not changed:
                result.unchanged += 1
                continue
            for name, value in changed.items():
                setattr(grid, name, value)
            grid.save()
            result.updated += 1
            after = audit.snapshot(grid, GRID_FIELDS) | {"boundary_changed": "boundary" in changed}
            entries.append(audit.entry(actor=actor, action="grid.update", obj=grid, before=before, after=after))
        result.codes.append(feature.code)
    created = Region.objects.bulk_create(new_regions, batch_size=500)
    entries.extend(
        audit.entry(
            actor=actor, action="grid.create", obj=grid, after=audit.snapshot(grid, GRID_FIELDS) | {"code": grid.code}
        )
        for grid in created
    )
    by_code = {
        r.code: r
        for r in Region.objects.filter(
            code__in=[f.code for f in features] + [f.fields["partner"] for f in features if f.fields.get("partner")]
        )
    }
    for feature in features:
        if feature.fields.get("partner"):
            entries.extend(_pair(actor, by_code[feature.code], by_code[feature.fields["partner"]]))
    audit.record_many(entries)
    transaction.on_commit(grid_index.invalidate)
    return result


def _pair(actor: Any, grid: Region, partner: Region) -> list[Any]:
    """Make two grids each other's A/B partner, releasing whatever partners they had."""
    entries = []
    for one, other in ((grid, partner), (partner, grid)):
        if one.partner_id == other.pk:
            continue
        if one.partner_id:
            Region.objects.filter(pk=one.partner_id, partner=one).update(partner=None)
        before = {"partner": one.partner_id}
        one.partner = other
        one.save(update_fields=["partner", "updated_at"])
        entries.append(
            audit.entry(actor=actor, action="grid.pair", obj=one, before=before, after={"partner": other.pk})
        )
    return entries


PARTNER_MANAGERS = frozenset({"district_admin", "street_officer", "community_head"})


@transaction.atomic
def grid_set_partner(*, actor: Any, grid_id: int, partner_id: int | None) -> Region:
    """Set (or clear, with None) a grid's A/B partner: a grid of the same street whose worker covers for it."""
    from civicgrid.people.permissions import require_role

    grids = {r.pk: r for r in Region.objects.select_for_update().filter(pk__in=[grid_id, partner_id or 0])}
    grid = grids.get(grid_id)
    if grid is None or grid.level != Level.GRID:
        raise ValidationError(_("网格不存在。"))
    require_role(actor, PARTNER_MANAGERS, at=grid)
    if partner_id is None:
        if grid.partner_id:
            old = Region.objects.select_for_update().get(pk=grid.partner_id)
            entries = []
            for one in (grid, old):
                before = {"partner": one.partner_id}
                one.partner = None
                one.save(update_fields=["partner", "updated_at"])
                entries.append(
                    audit.entry(actor=actor, action="grid.unpair", obj=one, before=before, after={"partner": None})
                )
            audit.record_many(entries)
        return grid
    partner = grids.get(partner_id)
    if partner is None or partner.level != Level.GRID or partner.pk == grid.pk:
        raise ValidationError(_("结对网格必须是另一个网格。"))
    if grid.ancestor_codes()[:3] != partner.ancestor_codes()[:3]:
        raise ValidationError(_("AB岗结对网格必须在同一街道内。"))
    require_role(actor, PARTNER_MANAGERS, at=partner)
    audit.record_many(_pair(actor, grid, partner))
    return grid


def import_boundaries(*, actor: Any, collection: Any) -> ImportResult:
    """Set the boundaries of existing districts, streets and communities (properties: code). All or nothing."""
    from civicgrid.people.permissions import require_administrator_or_system

    parsed = _features_of(collection)
    if isinstance(parsed, RowError):
        raise ImportRejected([parsed])
    features = parsed
    errors: list[RowError] = []
    regions = {r.code: r for r in Region.objects.filter(code__in=[f.code for f in features]).select_related("parent")}
    levels: set[str] = set()
    seen: set[str] = set()
    for feature in features:
        region = regions.get(feature.code)
        if region is None:
            errors.append(RowError(feature.row, feature.code, _("区域代码不存在，请先导入区划。")))
        elif region.level == Level.GRID:
            errors.append(RowError(feature.row, feature.code, _("网格边界请用网格导入。")))
        elif feature.code in seen:
            errors.append(RowError(feature.row, feature.code, _("代码在文件中重复。")))
        else:
            require_administrator_or_system(actor, at=region)
            feature.parent = region.parent
            levels.add(region.level)
        seen.add(feature.code)
    if len(levels) > 1:
        errors.append(RowError(_("文件"), "", _("一个文件只能包含同一层级的区域边界。")))
    if not errors:
        _check_geometries(features, errors, level=Level(next(iter(levels))))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: _row_number(e.row)))
    return _write_boundaries(actor=actor, features=features)


@transaction.atomic
def _write_boundaries(*, actor: Any, features: Iterable[_Feature]) -> ImportResult:
    result = ImportResult()
    entries = []
    for feature in features:
        assert feature.geometry is not None
        region = Region.objects.select_for_update().get(code=feature.code)
        values = _geometry_fields(feature.geometry)
        had_boundary = region.boundary is not None
        for name, value in values.items():
            setattr(region, name, value)
        region.save()
        result.updated += 1
        result.codes.append(region.code)
        entries.append(
            audit.entry(
                actor=actor,
                action="region.set_boundary",
                obj=region,
                before={"boundary": _("有") if had_boundary else _("无")},
                after={"boundary": _("已更新"), "area_km2": region.area_km2},
            )
        )
    audit.record_many(entries)
    return result
