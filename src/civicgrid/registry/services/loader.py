"""Loading whole files at once from the command line: a district's estates, buildings, households, residents and
organisations, grid by grid, for the demo (and a first migration from an old system). The rows come already checked
(generated valid, or checked by the caller): a million residents through the import's checks would take minutes.

Rows refer to each other by their position in their chunk (`FilesChunk`: a resident names its household as an
index into the chunk's households); ids are reserved per chunk and put in their place. Everything loaded carries one
`ImportBatch` ("system", with the counts) and one audit row records the load.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from civicgrid.core import audit
from civicgrid.core import bulk as core_bulk
from civicgrid.core.errors import PermissionDenied
from civicgrid.registry import bulk
from civicgrid.registry.choices import ImportKind, ImportMode, ImportStatus
from civicgrid.registry.models import (
    Building,
    Entrance,
    Estate,
    Household,
    ImportBatch,
    Organisation,
    Resident,
    ResidentTag,
)

# Column orders of the chunk's rows. "estate", "building", "entrance" and "household" are indexes into the chunk's
# lists (-1: none); "*_id" columns are database ids (grids, codes).
ESTATE = ("code", "name", "community_id", "address", "property_company", "built_year")
BUILDING = (
    "estate", "code", "name", "grid_id", "address", "floors_above", "floors_below", "use_id", "structure_id",
    "built_year", "lon", "lat", "property_company", "captain_name", "captain_phone", "facilities_checked_on",
)  # fmt: skip
ENTRANCE = ("building", "number")
HOUSEHOLD = (
    "building", "entrance", "floor", "room", "grid_id", "address", "housing_status", "housing_use_id", "area_m2",
    "status", "risks_checked_on",
)  # fmt: skip
RESIDENT = (
    "household", "name", "id_number", "sex", "birth_date", "ethnicity_id", "education_id", "marital_status_id",
    "political_status_id", "occupation", "workplace", "phone", "residence_status", "inflow_reason_id",
    "floating_since", "registered_address", "native_place", "relation_id", "grid_id", "household_since",
    "categories_reviewed_on", "is_key_person", "key_person_type_id",
)  # fmt: skip
ORGANISATION = (
    "building", "name", "uscc", "org_type_id", "industry_id", "legal_representative", "contact_name",
    "contact_phone", "address", "grid_id", "lon", "lat", "employees", "is_key_unit", "risks_checked_on",
)  # fmt: skip


@dataclass
class FilesChunk:
    """The files of one grid (or any part of a district), rows in the column orders above."""

    estates: list[tuple[Any, ...]] = field(default_factory=list)
    buildings: list[tuple[Any, ...]] = field(default_factory=list)
    facilities: list[tuple[int, int]] = field(default_factory=list)  # (building index, facility code id)
    entrances: list[tuple[Any, ...]] = field(default_factory=list)
    households: list[tuple[Any, ...]] = field(default_factory=list)
    residents: list[tuple[Any, ...]] = field(default_factory=list)
    tags: list[tuple[int, int]] = field(default_factory=list)  # (resident index, tag code id)
    organisations: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class Loaded:
    estates: int = 0
    buildings: int = 0
    households: int = 0
    residents: int = 0
    tags: int = 0
    organisations: int = 0


def _write(model: type[Any], columns: tuple[str, ...], rows: list[tuple[Any, ...]], refs: dict[str, list[int]],
           extra: dict[str, Any]) -> list[int]:  # fmt: skip
    """Insert rows with fresh ids, their index references (`refs`: column -> ids of the referred rows) resolved."""
    ids = core_bulk.new_ids(model, len(rows))
    positions = {name: columns.index(name) for name in refs}
    names = tuple(f"{name}_id" if name in refs else name for name in columns)

    def resolved() -> Iterable[tuple[Any, ...]]:
        if not positions:
            for pk, row in zip(ids, rows, strict=True):
                yield (pk, *row)
            return
        for pk, row in zip(ids, rows, strict=True):
            values = list(row)
            for name, index in positions.items():
                local = values[index]
                values[index] = refs[name][local] if local is not None and local >= 0 else None
            yield (pk, *values)

    bulk.insert(model, ("id", *names), resolved(), constants=extra)
    return ids


def bulk_load(*, actor: Any, chunks: Iterable[FilesChunk], label: str, fresh: bool = False) -> Loaded:
    """Load the chunks in one transaction (the system only: `actor` None). `fresh` (empty tables, nobody reading)
    builds the indexes once at the end instead of row by row."""
    if actor is not None:
        raise PermissionDenied()
    loaded = Loaded()
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            kind=ImportKind.RESIDENTS, mode=ImportMode.ALL_OR_NOTHING, status=ImportStatus.IMPORTED,
            file_name=label[:200], actor_name="system",
        )  # fmt: skip
        tables = (Household, Resident, ResidentTag, Entrance) if fresh else ()
        with bulk.indexes_deferred(*tables):
            for chunk in chunks:
                _load_chunk(chunk, batch, loaded)
        core_bulk.analyze(Estate, Building, Entrance, Household, Resident, ResidentTag, Organisation)
        batch.total_rows = batch.imported_rows = loaded.residents
        batch.created = dict(loaded.__dict__)
        batch.save(update_fields=["total_rows", "imported_rows", "created"])
        audit.record(actor=None, action="registry.bulk_load", obj=batch, after={"label": label, **loaded.__dict__})
    return loaded


def _load_chunk(chunk: FilesChunk, batch: ImportBatch, loaded: Loaded) -> None:
    with_batch = {"import_batch_id": batch.pk}
    estates = _write(Estate, ESTATE, chunk.estates, {}, {})
    buildings = _write(Building, BUILDING, chunk.buildings, {"estate": estates}, with_batch)
    bulk.insert(
        Building.facilities.through, ("building_id", "code_id"), ((buildings[b], c) for b, c in chunk.facilities)
    )
    entrances = _write(Entrance, ENTRANCE, chunk.entrances, {"building": buildings}, {})
    households = _write(
        Household, HOUSEHOLD, chunk.households, {"building": buildings, "entrance": entrances}, with_batch
    )
    residents = _write(Resident, RESIDENT, chunk.residents, {"household": households}, with_batch)
    bulk.insert(ResidentTag, ("resident_id", "code_id"), ((residents[r], c) for r, c in chunk.tags))
    _write(Organisation, ORGANISATION, chunk.organisations, {"building": buildings}, with_batch)
    loaded.estates += len(estates)
    loaded.buildings += len(buildings)
    loaded.households += len(households)
    loaded.residents += len(residents)
    loaded.tags += len(chunk.tags)
    loaded.organisations += len(chunk.organisations)
