import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.core.errors import DomainError
from civicgrid.core.management_utils import command_actor, fail_with_report
from civicgrid.workorders import history


class Command(BaseCommand):
    help = (
        "导入历史工单（JSONL：每行一件工单及其完整处理过程，格式见 civicgrid/workorders/history.py）。"
        "先检查全部记录，任何一条有误则一件也不导入，并列出每一处错误。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .jsonl file, one work order a line")
        parser.add_argument("--as-user", default=None, help="a district administrator (default: the system)")
        parser.add_argument(
            "--batch",
            type=int,
            default=0,
            help="commit every N records (large migrations); all of them are checked before the first is written",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        path: Path = options["file"]
        try:
            with path.open(encoding="utf-8") as handle:
                records, problems = history.history_records_from_lines(handle)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: {error}") from error
        if problems:
            raise fail_with_report(self.stderr, history.HistoryRejected(problems))
        actor = command_actor(options["as_user"])
        size = options["batch"] if options["batch"] > 0 else len(records) or 1
        batches = [records[start : start + size] for start in range(0, len(records), size)]
        try:
            if len(batches) > 1:
                history.build(records)  # every record checked before the first batch is written
            imported = 0
            for batch in batches:
                result = history.history_import(actor=actor, records=batch)
                imported += result.count
                if len(batches) > 1:
                    self.stdout.write(f"  {imported:,} / {len(records):,}")
        except DomainError as error:
            raise fail_with_report(self.stderr, error) from error
        self.stdout.write(f"已导入 {imported:,} 件历史工单（{time.monotonic() - started:.1f} 秒）。")
