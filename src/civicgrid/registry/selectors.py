"""Reads of the base files, restricted to what the actor may see (`registry.policy.visible`: their posts' regions
with a role that may read the base files, plus the grids they cover for a partner on leave).

Pages and the API build on these: lists with filters, the household file (一户一档), the building dossier (一栋一卷),
four-clears completeness per building, grid, community and street, ledgers, import records. Personal data leaves
here whole; the presenters (`registry.schemas`) mask it, and key-person facts are kept from roles that may not
know them (`may_see_key_persons`).
"""

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from civicgrid.core.errors import NotFound, PermissionDenied
from civicgrid.core.identity import normalise_id_number
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region
from civicgrid.registry import fourclears, ledgers, policy
from civicgrid.registry.choices import CodeList, HouseholdStatus, ResidenceStatus, ResidentStatus
from civicgrid.registry.models import (
    Building,
    Code,
    Entrance,
    Estate,
    Household,
    ImportBatch,
    Organisation,
    PastMembership,
    Resident,
    ResidentTag,
)

ID_LIKE = re.compile(r"^\d{17}[\dXx]$")
PHONE_LIKE = re.compile(r"^1\d{10}$")


def _get[M](queryset: QuerySet[Any], **lookup: Any) -> Any:
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def region_in_reach(*, actor: Any, code: str | None) -> Region | None:
    """A region the actor may read the base files of, by code; None for no code; NotFound when out of reach."""
    if not code:
        return None
    region = Region.objects.filter(code=str(code).strip()).first()
    if region is None or not (policy.may(actor, "read", region.path) or _covers_part(actor, region)):
        raise NotFound()
    return region


def _covers_part(actor: Any, region: Region) -> bool:
    """A region containing a grid the actor covers (a worker covering A2 may ask for A2's community, seeing A2)."""
    return any(path.startswith(region.path) for path in policy.covered_grid_paths(actor))


def _within(queryset: QuerySet[Any], lookup: str, region: Region | None) -> QuerySet[Any]:
    if region is None:
        return queryset
    narrowed = queryset.filter(**{f"{lookup}__startswith": region.path})
    grids = Region.objects.filter(level=Level.GRID, path__startswith=region.path).values("pk")
    return policy.in_grids(narrowed, lookup, grids)


def may_see_key_persons(actor: Any, path: str) -> bool:
    return policy.may(actor, "key_persons", path)


def may_unmask(actor: Any, path: str) -> bool:
    return policy.may(actor, "unmask", path)


# ---------------------------------------------------------------- code lists


def codes(*, list_name: str | None = None, active_only: bool = True) -> QuerySet[Code]:
    """Reference data, public to every user of the system."""
    rows = Code.objects.all()
    if list_name:
        rows = rows.filter(list=list_name)
    if active_only:
        rows = rows.filter(is_active=True)
    return rows


# ---------------------------------------------------------------- estates, buildings, households


def estates(*, actor: Any, within: str | None = None, q: str = "") -> QuerySet[Estate]:
    """Estates of the actor's communities, and estates with a building in the actor's grids."""
    region = region_in_reach(actor=actor, code=within)
    with_buildings = policy.visible(actor, Building.objects.all()).values("estate_id")
    rows = policy.visible(actor, Estate.objects.all()) | Estate.objects.filter(pk__in=with_buildings)
    rows = rows.select_related("community")
    if region is not None:
        rows = rows.filter(
            Q(community__path__startswith=region.path) | Q(buildings__grid__path__startswith=region.path)
        ).distinct()
    if q:
        rows = rows.filter(Q(name__contains=q.strip()) | Q(address__contains=q.strip()))
    return rows.order_by("code")


def estate(*, actor: Any, estate_id: int) -> Estate:
    return _get(estates(actor=actor), pk=estate_id)


def buildings(
    *, actor: Any, within: str | None = None, estate_id: int | None = None, q: str = ""
) -> QuerySet[Building]:
    region = region_in_reach(actor=actor, code=within)
    rows = _within(policy.visible(actor, Building.objects.all()), "grid__path", region)
    if estate_id is not None:
        rows = rows.filter(estate_id=estate_id)
    if q:
        text = q.strip()
        rows = rows.filter(
            Q(name__contains=text) | Q(address__contains=text) | Q(estate__name__contains=text) | Q(code=text)
        )
    return rows.select_related("estate", "grid__parent", "use", "structure").order_by("code")


def building(*, actor: Any, building_id: int) -> Building:
    return _get(buildings(actor=actor), pk=building_id)


def households(
    *,
    actor: Any,
    within: str | None = None,
    building_id: int | None = None,
    status: str | None = HouseholdStatus.ACTIVE,
    q: str = "",
) -> QuerySet[Household]:
    region = region_in_reach(actor=actor, code=within)
    rows = _within(policy.visible(actor, Household.objects.all()), "grid__path", region)
    if building_id is not None:
        rows = rows.filter(building_id=building_id)
    if status:
        rows = rows.filter(status=status)
    if q:
        rows = rows.filter(address__contains=q.strip())
    return (
        rows.select_related("building__estate", "entrance", "grid__parent", "housing_use")
        .annotate(member_count=Count("residents", filter=Q(residents__status=ResidentStatus.ACTIVE)))
        .order_by("building__code", "entrance__number", "floor", "room")
    )


def household(*, actor: Any, household_id: int) -> Household:
    """One household the actor may see, in any status (no counts: the household file lists the members)."""
    rows = policy.visible(actor, Household.objects.all())
    return _get(rows.select_related("building__estate", "entrance", "grid__parent", "housing_use"), pk=household_id)


# ---------------------------------------------------------------- residents


def residents(
    *,
    actor: Any,
    within: str | None = None,
    household_id: int | None = None,
    q: str = "",
    status: str | None = ResidentStatus.ACTIVE,
    residence_status: str | None = None,
    tag: str | None = None,
    care_only: bool = False,
    key_persons: bool | None = None,
) -> QuerySet[Resident]:
    """Residents the actor may see. `q` finds by name, or by a whole ID number or phone (never a partial one, so the
    search cannot be used to guess a number digit by digit). `key_persons` is refused to roles that may not know."""
    region = region_in_reach(actor=actor, code=within)
    rows = _within(policy.visible(actor, Resident.objects.all()), "grid__path", region)
    if household_id is not None:
        rows = rows.filter(household_id=household_id)
    if status:
        rows = rows.filter(status=status)
    if residence_status:
        rows = rows.filter(residence_status=residence_status)
    if tag:
        rows = rows.filter(Exists(ResidentTag.objects.filter(resident=OuterRef("pk"), code__code=tag)))
    if care_only:
        rows = rows.filter(Exists(ResidentTag.objects.filter(resident=OuterRef("pk"), code__list=CodeList.CARE_TAG)))
    if key_persons is not None:
        paths = policy.allowed_paths(actor, "key_persons")
        if paths is not None and not paths:
            raise PermissionDenied()
        rows = rows.filter(policy.path_filter("grid__path", paths), is_key_person=key_persons)
    text = (q or "").strip()
    if text:
        if ID_LIKE.match(text):
            rows = rows.filter(id_number=normalise_id_number(text))
        elif PHONE_LIKE.match(text):
            rows = rows.filter(phone=text)
        else:
            rows = rows.filter(name__contains=text)
    return rows.select_related(
        "grid__parent", "household__building__estate", "household__entrance", "relation", "ethnicity"
    ).order_by("grid__code", "household_id", "id")


def resident(*, actor: Any, resident_id: int) -> Resident:
    return _get(residents(actor=actor, status=None), pk=resident_id)


def tags_of(residents_: list[Resident]) -> dict[int, list[Code]]:
    """Each resident's categories and care tags, in one query."""
    result: dict[int, list[Code]] = {r.pk: [] for r in residents_}
    links = (
        ResidentTag.objects.filter(resident_id__in=list(result))
        .select_related("code")
        .order_by("code__list", "code__sort")
    )
    for link in links:
        result[link.resident_id].append(link.code)
    return result


def past_memberships(*, actor: Any, resident_id: int) -> QuerySet[PastMembership]:
    """The households a resident lived in before the current one (the history of moves), newest first."""
    person = resident(actor=actor, resident_id=resident_id)
    return (
        PastMembership.objects.filter(resident=person)
        .select_related("household", "relation", "resident")
        .order_by("-ended_on", "-id")
    )


# ---------------------------------------------------------------- the household file and the building dossier


@dataclass
class HouseholdFile:
    """一户一档: the household, its members now, who lived there before, and its four clears."""

    household: Household
    members: list[Resident]
    tags: dict[int, list[Code]]
    former: list[PastMembership]
    clears: list[dict[str, Any]]
    sees_key_persons: bool
    may_unmask: bool
    may_edit: bool


def household_file(*, actor: Any, household_id: int) -> HouseholdFile:
    home = household(actor=actor, household_id=household_id)
    members = list(
        Resident.objects.filter(household=home, status=ResidentStatus.ACTIVE)
        .select_related("relation", "ethnicity", "grid", "key_person_type")
        .order_by("relation__sort", "birth_date")
    )
    former = list(
        PastMembership.objects.filter(household=home)
        .select_related("resident", "relation", "household")
        .order_by("-ended_on", "-id")[:50]
    )
    home.member_count = len(members)  # type: ignore[attr-defined]
    path = home.grid.path
    return HouseholdFile(
        household=home,
        members=members,
        tags=tags_of(members),
        former=former,
        clears=fourclears.household_clears(household=home),
        sees_key_persons=may_see_key_persons(actor, path),
        may_unmask=may_unmask(actor, path),
        may_edit=policy.may(actor, "edit", path),
    )


@dataclass
class Floor:
    number: int
    households: list[Household]


@dataclass
class EntranceView:
    entrance: Entrance
    floors: list[Floor]


@dataclass
class BuildingDossier:
    """一栋一卷: the building, its entrances floor by floor with each household, who lives there by category,
    the organisations in it, its facilities and its four-clears completeness."""

    building: Building
    entrances: list[EntranceView]
    households: int
    residents: int
    by_residence_status: dict[str, int]
    by_care_tag: list[tuple[str, int]]
    key_persons: int | None  # None: the actor may not know
    organisations: list[Organisation]
    facilities: list[Code]
    completeness: dict[str, Any] = field(default_factory=dict)
    may_edit: bool = False


def building_dossier(*, actor: Any, building_id: int) -> BuildingDossier:
    place = building(actor=actor, building_id=building_id)
    homes = list(
        Household.objects.filter(building=place)
        .exclude(status=HouseholdStatus.CLOSED)
        .annotate(member_count=Count("residents", filter=Q(residents__status=ResidentStatus.ACTIVE)))
        .order_by("entrance__number", "-floor", "room")
    )
    entrances = []
    for entrance in place.entrances.all().order_by("number"):
        by_floor: dict[int, list[Household]] = {}
        for home in homes:
            if home.entrance_id == entrance.pk:
                by_floor.setdefault(home.floor, []).append(home)
        floors = [Floor(number, by_floor[number]) for number in sorted(by_floor, reverse=True)]
        entrances.append(EntranceView(entrance, floors))
    people = Resident.objects.filter(household__building=place, status=ResidentStatus.ACTIVE)
    by_status = dict(people.order_by().values_list("residence_status").annotate(n=Count("id")))
    care = (
        ResidentTag.objects.filter(resident__in=people, code__list=CodeList.CARE_TAG)
        .order_by()
        .values_list("code__name", "code__sort")
        .annotate(n=Count("id"))
    )
    path = place.grid.path
    rows = fourclears.completeness(actor=actor, by="building", building_ids=[place.pk])
    return BuildingDossier(
        building=place,
        entrances=entrances,
        households=sum(1 for h in homes if h.status == HouseholdStatus.ACTIVE),
        residents=people.count(),
        by_residence_status=by_status,
        by_care_tag=[(name, n) for name, _sort, n in sorted(care, key=lambda r: r[1])],
        key_persons=people.filter(is_key_person=True).count() if may_see_key_persons(actor, path) else None,
        organisations=list(place.organisations.select_related("org_type").order_by("name")),
        facilities=list(place.facilities.order_by("sort")),
        completeness=rows[0] if rows else {},
        may_edit=policy.may(actor, "edit", path),
    )


# ---------------------------------------------------------------- personal data

# What may be revealed of each kind of record: the fields masked everywhere else.
REVEALABLE: dict[str, tuple[type[Any], str, tuple[str, ...]]] = {
    "resident": (Resident, "grid", ("id_number", "phone")),
    "organisation": (Organisation, "grid", ("contact_phone",)),
    "building": (Building, "grid", ("captain_phone",)),
    "entrance": (Entrance, "building__grid", ("captain_phone",)),
}


def revealable(*, actor: Any, kind: str, pk: int) -> tuple[Any, tuple[str, ...]]:
    """A record whose personal fields the actor may reveal, and those fields: NotFound when the actor does not see
    it, PermissionDenied (naming the posts that may) when their role may not unmask there."""
    if kind not in REVEALABLE:
        raise NotFound()
    model, grid, fields = REVEALABLE[kind]
    obj = policy.visible(actor, model.objects.select_related(grid)).filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    policy.require(actor, "unmask", obj.audit_region_path)
    return obj, fields


# ---------------------------------------------------------------- organisations


def organisations(
    *,
    actor: Any,
    within: str | None = None,
    q: str = "",
    org_type: str | None = None,
    status: str | None = None,
    key_units: bool | None = None,
) -> QuerySet[Organisation]:
    region = region_in_reach(actor=actor, code=within)
    rows = _within(policy.visible(actor, Organisation.objects.all()), "grid__path", region)
    if q:
        text = q.strip()
        rows = rows.filter(Q(name__contains=text) | Q(uscc=text.upper()) | Q(address__contains=text))
    if org_type:
        rows = rows.filter(org_type__code=org_type)
    if status:
        rows = rows.filter(status=status)
    if key_units is not None:
        rows = rows.filter(is_key_unit=key_units)
    return rows.select_related("grid__parent", "org_type", "industry", "building__estate").order_by(
        "grid__code", "name"
    )


def organisation(*, actor: Any, organisation_id: int) -> Organisation:
    return _get(organisations(actor=actor), pk=organisation_id)


# ---------------------------------------------------------------- four clears


def completeness(*, actor: Any, by: str = "grid", within: str | None = None) -> list[dict[str, Any]]:
    """Four-clears completeness rows (see `fourclears.completeness`) with each row's name and code, and rates."""
    region = region_in_reach(actor=actor, code=within)
    rows = fourclears.completeness(actor=actor, by=by, within=region)
    if by == "building":
        names = {
            b.pk: (b.code, str(b))
            for b in Building.objects.filter(pk__in=[r["id"] for r in rows]).select_related("estate")
        }
    else:
        names = {r.pk: (r.code, r.name) for r in Region.objects.filter(pk__in=[r["id"] for r in rows])}
    keys = [rule.key for rule in fourclears.rules()]
    for row in rows:
        row["code"], row["name"] = names.get(row["id"], ("", ""))
        row["rates"] = {key: fourclears.rate(row[key], row["households"]) for key in (*keys, "complete")}
    return rows


def grids(*, actor: Any, within: str | None = None) -> QuerySet[Region]:
    """The grids whose files the actor may read (for pickers and the completeness table)."""
    region = region_in_reach(actor=actor, code=within)
    rows = policy.visible(actor, Region.objects.filter(level=Level.GRID))
    return _within(rows, "path", region).select_related("parent").order_by("code")


# ---------------------------------------------------------------- a region's files (the pages' overview)

# What a region's completeness table lists: its children one level down (a grid: its buildings).
CHILDREN_BY: dict[str, str] = {
    Level.DISTRICT: "street",
    Level.STREET: "community",
    Level.COMMUNITY: "grid",
    Level.GRID: "building",
}


def home_regions(*, actor: Any) -> list[Region]:
    """The regions whose files the actor reads, highest first: their posts' regions and the grids they cover."""
    paths = policy.reach_paths(actor)
    if paths is None:
        return list(Region.objects.filter(level=Level.DISTRICT).order_by("code"))
    found = {r.path: r for r in Region.objects.filter(path__in=list(paths))}
    return sorted((found[p] for p in paths if p in found), key=lambda r: (r.path.count("/"), r.code))


def region_options(*, actor: Any) -> list[Region]:
    """Regions to narrow a list to: the actor's own, and below each the levels a choice list can hold (a district's
    streets and communities, a street's communities and grids, a community's grids)."""
    depth: dict[str, tuple[str, ...]] = {
        Level.DISTRICT: (Level.STREET, Level.COMMUNITY),
        Level.STREET: (Level.COMMUNITY, Level.GRID),
        Level.COMMUNITY: (Level.GRID,),
    }
    result: list[Region] = []
    for top in home_regions(actor=actor):
        result.append(top)
        below = Region.objects.filter(path__startswith=top.path, level__in=depth.get(top.level, ()))
        result += list(below.order_by("path"))
    return result


@dataclass
class RegionFiles:
    """The files of a region at a glance: how many of what, and how complete they are one level down."""

    region: Region
    crumbs: list[Region]
    households: int
    residents: int
    by_residence_status: list[tuple[str, str, int]]  # (value, label, count)
    by_care_tag: list[tuple[str, str, int]]  # (code, name, count)
    organisations: int
    key_persons: int | None  # None: the actor may not know
    children_by: str
    completeness: list[dict[str, Any]]
    total: dict[str, Any]


def region(*, actor: Any, code: str) -> Region:
    """A region whose files the actor reads (NotFound otherwise, as for one that does not exist)."""
    found = region_in_reach(actor=actor, code=code)
    if found is None:
        raise NotFound()
    return found


def crumbs(*, actor: Any, region: Region) -> list[Region]:
    """The regions above `region` whose files the actor reads, top first."""
    codes = region.ancestor_codes()[:-1]
    found = {r.code: r for r in Region.objects.filter(code__in=codes) if policy.may(actor, "read", r.path)}
    return [found[c] for c in codes if c in found]


def region_files(*, actor: Any, code: str) -> RegionFiles:
    place = region(actor=actor, code=code)
    people = residents(actor=actor, within=code).order_by()
    statuses = dict(people.values_list("residence_status").annotate(n=Count("id")))
    care = (
        ResidentTag.objects.filter(resident__in=people.values("pk"), code__list=CodeList.CARE_TAG)
        .order_by()
        .values_list("code__code", "code__name", "code__sort")
        .annotate(n=Count("id"))
    )
    by = CHILDREN_BY.get(place.level, "grid")
    rows = completeness(actor=actor, by=by, within=code)
    keys = [rule.key for rule in fourclears.rules()]
    total: dict[str, Any] = {key: sum(row[key] for row in rows) for key in (*keys, "complete", "households")}
    total["rates"] = {key: fourclears.rate(total[key], total["households"]) for key in (*keys, "complete")}
    knows = may_see_key_persons(actor, place.path)
    return RegionFiles(
        region=place,
        crumbs=crumbs(actor=actor, region=place),
        households=households(actor=actor, within=code).count(),
        residents=sum(statuses.values()),
        by_residence_status=[
            (s.value, str(s.label), statuses[s.value]) for s in ResidenceStatus if s.value in statuses
        ],
        by_care_tag=[(c, name, n) for c, name, _sort, n in sorted(care, key=lambda r: r[2])],
        organisations=organisations(actor=actor, within=code).count(),
        key_persons=people.filter(is_key_person=True).count() if knows else None,
        children_by=by,
        completeness=rows,
        total=total,
    )


# ---------------------------------------------------------------- ledgers and imports


def available_ledgers(*, actor: Any) -> list[ledgers.Ledger]:
    """The ledgers the actor may open: all of them, less the restricted ones their roles do not allow."""
    result = []
    for ledger in ledgers.definitions().values():
        if ledger.restricted and not policy.may_anywhere(actor, ledger.restricted):
            continue
        result.append(ledger)
    return result


def ledger(*, actor: Any, key: str) -> ledgers.Ledger:
    found = next((item for item in available_ledgers(actor=actor) if item.key == key), None)
    if found is None:
        raise NotFound()
    return found


def ledger_queryset(
    *, actor: Any, key: str, within: str | None = None, q: str = ""
) -> tuple[ledgers.Ledger, QuerySet[Any]]:
    """A ledger and its rows in the actor's reach (restricted ledgers: only where the actor's role allows them)."""
    definition = ledger(actor=actor, key=key)
    region = region_in_reach(actor=actor, code=within)
    rows = _within(policy.visible(actor, definition.model.objects.all()), "grid__path", region)
    if definition.restricted:
        rows = rows.filter(policy.path_filter("grid__path", policy.allowed_paths(actor, definition.restricted)))
    rows = ledgers.apply_filters(definition, rows, timezone.localdate())
    text = (q or "").strip()
    if text:
        if definition.of == "residents":
            rows = (
                rows.filter(id_number=normalise_id_number(text))
                if ID_LIKE.match(text)
                else rows.filter(name__contains=text)
            )
        elif definition.of in ("households", "buildings", "organisations"):
            field_name = "name" if definition.of == "organisations" else "address"
            rows = rows.filter(**{f"{field_name}__contains": text})
    return definition, ledgers.shape(definition, rows)


def import_batches(*, actor: Any) -> QuerySet[ImportBatch]:
    return policy.visible(actor, ImportBatch.objects.all()).defer("error_file").order_by("-created_at", "-id")


def import_batch(*, actor: Any, batch_id: int) -> ImportBatch:
    return _get(policy.visible(actor, ImportBatch.objects.all()), pk=batch_id)
