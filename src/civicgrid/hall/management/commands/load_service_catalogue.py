from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civicgrid.core.management_utils import command_actor, fail_with_report
from civicgrid.hall import services


class Command(BaseCommand):
    help = (
        "Load the service catalogue (事项清单) from YAML or Excel (.xlsx): every row is checked first and nothing is "
        "loaded if any is wrong. Without a file, the default catalogue shipped with CivicGrid. "
        "--export FILE.xlsx writes the catalogue as it stands to an Excel file in the layout this command reads."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=str(services.default_catalogue_path()))
        parser.add_argument("--as-user", default=None, help="username recorded in the audit log")
        parser.add_argument("--export", default=None, metavar="FILE.xlsx", help="write the catalogue to Excel instead")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["export"]:
            Path(options["export"]).write_bytes(services.catalogue_workbook())
            self.stdout.write(f"wrote {options['export']}")
            return
        try:
            result = services.catalogue_load(actor=command_actor(options["as_user"]), path=Path(options["file"]))
        except services.CatalogueRejected as error:
            raise fail_with_report(self.stderr, error) from error
        self.stdout.write(
            f"loaded {result.groups} groups, {result.categories} categories, {result.items} items "
            f"({result.on_the_spot} on the spot, {result.forwarded} forwarded), {result.materials} materials"
            + (f"; retired {result.retired} items no longer in the file" if result.retired else "")
        )
