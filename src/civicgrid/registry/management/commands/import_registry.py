from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.core.management_utils import command_actor, fail_with_report
from civicgrid.registry import services
from civicgrid.registry.choices import ImportKind, ImportMode


class Command(BaseCommand):
    help = (
        "Import a ledger (residents, buildings or organisations) from an Excel (.xlsx) or CSV file, as the import page "
        "does: every row is checked; --mode all imports nothing unless every row is right, --mode clean imports the "
        "right rows. The rows with errors are written next to the file as <file>.errors.xlsx."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--kind", choices=ImportKind.values, default=ImportKind.RESIDENTS)
        parser.add_argument("--mode", choices=ImportMode.values, default=ImportMode.ALL_OR_NOTHING)
        parser.add_argument("--as-user", default=None, help="username the import is made as (and recorded as)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            batch = services.import_file(
                actor=command_actor(options["as_user"]), kind=options["kind"], data=path.read_bytes(),
                file_name=path.name, mode=options["mode"],
            )  # fmt: skip
        except services.ImportRejected as error:
            raise fail_with_report(self.stderr, error) from error
        for problem in batch.errors[:20]:
            self.stderr.write(f"  row {problem['row']}, {problem['column']}: {problem['message']}")
        if batch.error_file:
            errors = path.with_name(path.name + ".errors.xlsx")
            errors.write_bytes(bytes(batch.error_file))
            self.stderr.write(f"rows with errors: {errors}")
        self.stdout.write(
            f"{batch.get_status_display()}: {batch.imported_rows} of {batch.total_rows} rows imported, "
            f"{batch.error_rows} with errors; created {batch.created}"
        )
        if batch.error_rows and options["mode"] == ImportMode.ALL_OR_NOTHING:
            raise CommandError("nothing imported: fix the rows with errors, or use --mode clean")
