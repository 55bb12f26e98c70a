"""Importing ledgers from Excel or CSV: residents (the population ledger), buildings, organisations.

Every row is checked and every problem reported (row number, column, what is wrong; never the ID number or phone
itself). Two modes:
- all or nothing (`ImportMode.ALL_OR_NOTHING`): one bad row and nothing is written;
- clean rows only (`ImportMode.CLEAN_ROWS`): the good rows are written, the bad ones come back as an Excel file with
  the clerk's own values and a column saying what to fix, ready to be imported again.
Either way the import is one transaction, and one `ImportBatch` records it (with every problem and the error file).
Records written by an import carry the batch; one audit row records the import with its counts (not one per
resident: a street's ledger is a hundred thousand rows).

The file is read and checked in chunks, and the good rows of each chunk written at once (`registry.bulk`), so a
ledger of a million rows needs the memory of a chunk, not of the file. In all-or-nothing mode the writes happen
inside a savepoint that is rolled back when any row was bad.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.core import audit, personal_data
from civicgrid.core import bulk as core_bulk
from civicgrid.core.errors import NotFound, ValidationError
from civicgrid.regions.models import Region
from civicgrid.registry import policy
from civicgrid.registry.choices import ImportKind, ImportMode, ImportStatus
from civicgrid.registry.models import Building, Household, ImportBatch, Organisation, Resident, ResidentTag
from civicgrid.registry.services.import_places import BuildingImporter, OrganisationImporter
from civicgrid.registry.services.import_residents import ResidentImporter
from civicgrid.registry.services.importing import Column, Importer, RowError, blank
from civicgrid.registry.spreadsheets import NotASpreadsheet, cell_text, read_table, workbook_bytes

MAX_STORED_ERRORS = 2000  # in the batch record; the error file has them all
CHUNK = 5000
ANALYZE_AFTER = 10_000  # rows imported: then the planner's statistics are refreshed
IMPORTERS: dict[str, type[Importer]] = {
    ImportKind.RESIDENTS: ResidentImporter,
    ImportKind.BUILDINGS: BuildingImporter,
    ImportKind.ORGANISATIONS: OrganisationImporter,
}


class ImportRejected(ValidationError):
    """The file could not be imported at all (not a spreadsheet, missing columns, no rows); nothing was written."""

    def __init__(self, message: str) -> None:
        self.rows = [message]
        super().__init__(message, errors={"file": [message]})


class _Discard(Exception):
    """Rolls back the writes of an all-or-nothing import that met a bad row."""


def columns_of(kind: str) -> tuple[Column, ...]:
    return IMPORTERS[kind].columns


def _positions(columns: tuple[Column, ...], headers: list[str], kind: str) -> dict[str, int]:
    """Column positions by key; ImportRejected naming every required column the file lacks."""
    positions: dict[str, int] = {}
    for column in columns:
        names = column.names
        for index, header in enumerate(headers):
            if header in names and column.key not in positions:
                positions[column.key] = index
    missing = [str(c.label) for c in columns if c.required and c.key not in positions]
    if kind == ImportKind.RESIDENTS and "building" not in positions and "building_code" not in positions:
        missing.append(_("楼栋（或楼栋编码）"))
    if missing:
        message = _("文件缺少以下列：%(columns)s。请使用台账导出的表头，或下载导入模板。") % {
            "columns": "、".join(missing)
        }
        raise ImportRejected(message)
    return positions


def _chunks(rows: Iterable[tuple[int, list[Any]]]) -> Iterator[list[tuple[int, list[Any]]]]:
    iterator = (item for item in rows if not blank(item[1]))
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def common_path(paths: Iterable[str]) -> str:
    """The deepest region path all `paths` lie under ("/320100/320106/" for two streets of one district)."""
    parts = [p.strip("/").split("/") for p in paths if p]
    if not parts:
        return ""
    common: list[str] = []
    for column in zip(*parts, strict=False):
        if len(set(column)) != 1:
            break
        common.append(column[0])
    return "/" + "".join(f"{c}/" for c in common) if common else ""


def _actor_path(actor: Any) -> str:
    paths = policy.allowed_paths(actor, "import") if actor is not None else None
    if not paths:
        root = Region.objects.filter(parent__isnull=True).order_by("code").first()
        return root.path if root else ""
    return common_path(paths)


def import_file(
    *, actor: Any, kind: str, data: bytes, file_name: str = "", mode: str = ImportMode.ALL_OR_NOTHING
) -> ImportBatch:
    """Import a ledger file (actor None: the system, from the command line). Returns the batch: imported, partial
    or rejected, with every problem and the file of bad rows. Raises ImportRejected when the file cannot be read,
    lacks required columns or holds no rows: then nothing is recorded at all."""
    if kind not in IMPORTERS:
        raise ValidationError(_("不支持导入该类内容。"))
    if mode not in ImportMode.values:
        raise ValidationError(_("导入方式应为“全部正确才导入”或“只导入正确的行”。"))
    if actor is not None:
        policy.require(actor, "import")
    columns = columns_of(kind)
    try:
        table = read_table(data, set().union(*(c.names for c in columns)))
    except NotASpreadsheet as error:
        raise ImportRejected(error.message) from error
    positions = _positions(columns, table.headers, kind)
    with transaction.atomic():
        importer = IMPORTERS[kind](actor)
        user = actor if getattr(actor, "is_authenticated", False) else None
        batch = ImportBatch.objects.create(
            kind=kind,
            mode=mode,
            status=ImportStatus.REJECTED,
            file_name=(file_name or "")[:200],
            actor=user,
            actor_name=(user.get_username() if user else "system")[:150],
            region_path=_actor_path(actor),
        )
        errors: list[RowError] = []
        bad: dict[int, list[Any]] = {}  # bad rows as read, for the error file
        total = imported = 0
        try:
            with core_bulk.custom_plans(), transaction.atomic():
                for chunk in _chunks(table.rows):
                    total += len(chunk)
                    good, problems = importer.check(chunk, positions)
                    if problems:
                        errors += problems
                        rows = dict(chunk)
                        bad.update((e.row, rows[e.row]) for e in problems)
                    if good and (mode == ImportMode.CLEAN_ROWS or not errors):
                        importer.write(batch, good)
                        imported += len(good)
                if errors and mode == ImportMode.ALL_OR_NOTHING:
                    raise _Discard
        except _Discard:
            imported = 0
        if total == 0:
            raise ImportRejected(_("文件中没有数据行。"))
        errors.sort(key=lambda e: e.row)
        batch.total_rows = total
        batch.error_rows = len(bad)
        batch.imported_rows = imported
        batch.errors = [e.__dict__ for e in errors[:MAX_STORED_ERRORS]]
        batch.error_file = error_workbook(kind, table.headers, errors, bad) if errors else None
        if imported:
            if imported >= ANALYZE_AFTER:
                core_bulk.analyze(Household, Resident, ResidentTag, Building, Organisation)
            batch.status = ImportStatus.PARTIAL if errors else ImportStatus.IMPORTED
            batch.created = importer.created
            batch.region_path = common_path(importer.region_paths) or batch.region_path
        batch.save()
        audit.record(
            actor=actor,
            action=f"registry.import_{kind}",
            obj=batch,
            after={
                "file": batch.file_name,
                "mode": mode,
                "status": batch.status,
                "rows": total,
                "imported": imported,
                "error_rows": batch.error_rows,
                "created": batch.created,
            },
        )
    return batch


def import_error_file(*, actor: Any, batch_id: int) -> tuple[bytes, int]:
    """The file of an import's bad rows (the clerk's own values: whole ID numbers and phones) for whoever may
    import where the batch belongs; every download is written to the personal-data access log."""
    from civicgrid.registry import selectors

    batch = selectors.import_batch(actor=actor, batch_id=batch_id)
    if not batch.error_file:
        raise NotFound()
    policy.require(actor, "import", batch.region_path)
    personal_data.log_export(
        actor=actor,
        model=ImportBatch,
        what=_("导入错误行（%(file)s）") % {"file": batch.file_name},
        subject=f"import:{batch.pk}",
        count=batch.error_rows,
        fields=["id_number", "phone"],
        unmasked=True,
        reason=_("下载导入错误行以改正后重新导入"),
        region_path=batch.region_path,
    )
    return bytes(batch.error_file), batch.pk


def error_workbook(kind: str, headers: list[str], errors: list[RowError], bad: dict[int, list[Any]]) -> bytes:
    """The bad rows as the clerk wrote them, with what is wrong in a last column: fix and import again."""
    problems: dict[int, list[str]] = defaultdict(list)
    for error in errors:
        problems[error.row].append(f"{error.column}：{error.message}" if error.column else error.message)

    def rows() -> Iterable[list[Any]]:
        for number in sorted(bad):
            cells = [cell_text(v) for v in bad[number]][: len(headers)]
            cells += [""] * (len(headers) - len(cells))
            yield [*cells, _("第 %(n)s 行") % {"n": number}, "；".join(problems[number])]

    meta = [_("以下 %(n)s 行未导入。请按“错误说明”改正后，删除最后两列，再导入本文件。") % {"n": len(bad)}]
    return workbook_bytes(
        title=_("%(what)s导入错误行") % {"what": ImportKind(kind).label},
        meta=meta,
        headers=[*headers, _("原行号"), _("错误说明")],
        rows=rows(),
        widths=[14] * len(headers) + [10, 60],
        sheet_name=_("错误行"),
    )


def template_workbook(kind: str) -> bytes:
    """An empty import file with the right header (required columns marked *)."""
    columns = columns_of(kind)
    headers = [f"{c.label}*" if c.required else str(c.label) for c in columns]
    meta = [_("带 * 的列必须有；表头之上的说明行可以保留。身份证号码请设为文本格式，以免 Excel 改成科学计数法。")]
    return workbook_bytes(
        title=_("%(what)s导入模板") % {"what": ImportKind(kind).label},
        meta=meta,
        headers=headers,
        rows=[],
        widths=[14] * len(headers),
    )


__all__ = ["ImportRejected", "common_path", "error_workbook", "import_error_file", "import_file", "template_workbook"]
