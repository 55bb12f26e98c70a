"""Importing the population ledger of a whole district from CSV (issue 5, "Speed"): 1.1 million residents through
`registry.services.import_file`, the same path as a clerk's upload (every row checked, households created for new
rooms, all or nothing), and, as the limit, a bare COPY (PostgreSQL) or executemany (SQLite) of the very rows the
import wrote into a copy of the residents' table with the same indexes.

    # once: the demo district's regions and buildings (no residents), and the CSV of its residents
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cg_registry_bench .venv/bin/python bench/registry_import.py prepare
    # each measurement: empty the residents and households, import the file, then the bare copy
    DATABASE_URL=... .venv/bin/python bench/registry_import.py run

The CSV (var/bench/registry-residents.csv, ~190 MB) is drawn by the demo's generator (`registry.demo.Generator`,
the same seed), so its rows are the demo district's residents in the demo district's buildings.
"""

import argparse
import csv
import io
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from civicgrid.demo import generator  # noqa: E402
from civicgrid.demo.hooks import DemoContext  # noqa: E402
from civicgrid.regions.choices import GridKind, Level  # noqa: E402
from civicgrid.regions.models import Region  # noqa: E402
from civicgrid.registry import demo, services  # noqa: E402
from civicgrid.registry.choices import CodeList, HousingStatus, ResidenceStatus  # noqa: E402
from civicgrid.registry.models import (  # noqa: E402
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
from civicgrid.registry.services.loader import FilesChunk  # noqa: E402

VAR = Path(__file__).resolve().parent.parent / "var" / "bench"
CSV_PATH = VAR / "registry-residents.csv"
HEADER = [
    "姓名", "身份证号", "性别", "出生日期", "民族", "联系电话", "人口类型", "楼栋编码", "单元", "房号", "楼层",
    "与户主关系", "住房性质", "人员类别", "关爱标签", "学历", "婚姻状况", "政治面貌", "户籍地址", "籍贯", "职业",
    "流入原因", "来本地日期", "类别核实日期",
]  # fmt: skip


def prepare() -> None:
    call_command("migrate", verbosity=0)
    if not Region.objects.filter(code="320106").exists():
        generator.load("320106", scale="district", seed=generator.DEFAULT_SEED, password="x", say=print)
    if not Code.objects.exists():
        services.codes_load(actor=None)
    names = {c.pk: c.name for c in Code.objects.all()}
    lists = {c.pk: c.list for c in Code.objects.all()}
    district = Region.objects.get(code="320106")
    context = DemoContext(district=district, scale="district", seed=generator.DEFAULT_SEED, password="x")
    maker = demo.Generator(context)
    grids = Region.objects.filter(level=Level.GRID, path__startswith=district.path).select_related("parent")
    VAR.mkdir(parents=True, exist_ok=True)
    started, count = time.monotonic(), 0
    statuses = {s.value: str(s.label) for s in ResidenceStatus}
    housing = {s.value: str(s.label) for s in HousingStatus}
    places: list[FilesChunk] = []
    estate_names: dict[int, set[str]] = {}
    with CSV_PATH.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for grid in grids.order_by("code"):
            if grid.grid_kind == GridKind.DEDICATED:
                continue
            chunk = maker.grid_files(grid, estate_names)
            tags: dict[int, list[int]] = {}
            for r, code in chunk.tags:
                tags.setdefault(r, []).append(code)
            for index, row in enumerate(chunk.residents):
                (h, name, number, sex, birth, ethnicity, education, marital, political, occupation, _workplace, phone,
                 status, inflow, floating_since, registered, native, relation, _grid, _since, reviewed, _key,
                 _kind) = row  # fmt: skip
                home = chunk.households[h]
                building = chunk.buildings[home[0]]
                mine = tags.get(index, [])
                out.writerow([
                    name, number, "男" if sex == "1" else "女", birth, names.get(ethnicity, ""), phone,
                    statuses[status], building[1], chunk.entrances[home[1]][1], home[3], home[2], names[relation],
                    housing[home[6]], "、".join(names[c] for c in mine if lists[c] == CodeList.PERSON_CATEGORY),
                    "、".join(names[c] for c in mine if lists[c] == CodeList.CARE_TAG), names.get(education, ""),
                    names.get(marital, ""), names.get(political, ""), registered, native, occupation,
                    names.get(inflow, ""), floating_since or "", reviewed,
                ])  # fmt: skip
                count += 1
            # the buildings stay, the people go to the file
            places.append(FilesChunk(estates=chunk.estates, buildings=chunk.buildings, facilities=chunk.facilities,
                                     entrances=chunk.entrances))  # fmt: skip
    empty(everything=True)  # the buildings of this very draw (another draw's rooms would not match the file)
    services.bulk_load(actor=None, chunks=places, label="bench: buildings")
    print(f"{count:,} residents written to {CSV_PATH} ({CSV_PATH.stat().st_size / 1e6:.0f} MB) "
          f"and their buildings loaded in {time.monotonic() - started:.0f} s")  # fmt: skip


def empty(*, everything: bool = False) -> None:
    """No residents and households (and with `everything`, no buildings, estates or organisations either)."""
    places = (Organisation, Building.facilities.through, Entrance, Building, Estate) if everything else ()
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (ResidentTag, PastMembership, Resident, Household, *places):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"TRUNCATE {table} CASCADE" if connection.vendor == "postgresql" else f"DELETE FROM {table}")
        batches = ImportBatch.objects.all() if everything else ImportBatch.objects.exclude(file_name="bench: buildings")
        batches.delete()


def bare_copy() -> float:
    """The residents just imported, copied as they are into a twin of their table (same columns and indexes)."""
    table = Resident._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_resident_copy")
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TABLE bench_resident_copy (LIKE {table} INCLUDING DEFAULTS INCLUDING INDEXES)")
            data = io.BytesIO()
            with cursor.cursor.copy(f"COPY {table} TO STDOUT") as copy:
                for block in copy:
                    data.write(block)
            started = time.perf_counter()
            with transaction.atomic(), cursor.cursor.copy("COPY bench_resident_copy FROM STDIN") as copy:
                copy.write(data.getvalue())
            return time.perf_counter() - started
        cursor.execute("SELECT type, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL", [table])
        for number, (kind, sql) in enumerate(sorted(cursor.fetchall(), key=lambda row: row[0] != "table")):
            twin = sql.replace(f'"{table}"', '"bench_resident_copy"')
            if kind == "index":
                twin = re.sub(r'INDEX "[^"]+"', f'INDEX "bench_copy_{number}"', twin, count=1)
            cursor.execute(twin)
        cursor.execute(f"SELECT * FROM {table}")
        rows = cursor.fetchall()
        marks = ", ".join(["%s"] * len(rows[0]))
        started = time.perf_counter()
        with transaction.atomic():
            cursor.execute("PRAGMA cache_size = -262144")
            for start in range(0, len(rows), 20_000):
                cursor.executemany(f"INSERT INTO bench_resident_copy VALUES ({marks})", rows[start : start + 20_000])
        return time.perf_counter() - started


def run() -> None:
    empty()
    data = CSV_PATH.read_bytes()
    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    batch = services.import_file(actor=None, kind="residents", data=data, file_name=CSV_PATH.name)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{connection.vendor}: import of {batch.total_rows:,} rows ({len(data) / 1e6:.0f} MB): {batch.status}, "
          f"{batch.imported_rows:,} imported, {batch.error_rows:,} bad rows, created {batch.created}; "
          f"{seconds:.1f} s wall, {cpu:.1f} s CPU of this process; {batch.total_rows / seconds:,.0f} rows/s; "
          f"load average before {load:.2f}, after {os.getloadavg()[0]:.2f}")  # fmt: skip
    for message, count in Counter(e["message"] for e in batch.errors).most_common(5):
        print(f"   {count:,} rows: {message}")
    copy = bare_copy()
    print(f"{connection.vendor}: bare copy of the same {Resident.objects.count():,} resident rows into a twin table: "
          f"{copy:.1f} s; import / bare copy = {seconds / copy:.1f}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["prepare", "run"])
    {"prepare": prepare, "run": run}[parser.parse_args().what]()
