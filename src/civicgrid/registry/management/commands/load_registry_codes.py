from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civicgrid.core.management_utils import command_actor, fail_with_report
from civicgrid.registry import services


class Command(BaseCommand):
    help = (
        "Load the code lists of the base files (relations, categories, care tags, ethnicities, ...) from YAML: every "
        "entry is checked first and nothing is loaded if any is wrong. Without a file, the lists shipped with "
        "CivicGrid. Codes no longer in the file are retired, not deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=str(services.default_codes_path()))
        parser.add_argument("--as-user", default=None, help="username recorded in the audit log")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = services.codes_load(actor=command_actor(options["as_user"]), path=Path(options["file"]))
        except services.CodesRejected as error:
            raise fail_with_report(self.stderr, error) from error
        self.stdout.write(
            f"loaded {result.codes} codes in {result.lists} lists: {result.created} new, {result.updated} changed"
            + (f", {result.retired} retired" if result.retired else "")
        )
