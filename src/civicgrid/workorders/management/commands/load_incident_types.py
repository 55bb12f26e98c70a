from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from civicgrid.core.management_utils import command_actor, fail_with_report
from civicgrid.workorders import services


class Command(BaseCommand):
    help = "Load the incident catalogue and responsibility list from YAML (all rows checked first, all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=str(Path(settings.DATA_DIR) / "incident_types.yaml"))
        parser.add_argument("--as-user", default=None, help="username recorded in the audit log")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = services.incident_types_load(actor=command_actor(options["as_user"]), path=Path(options["file"]))
        except services.CatalogueError as error:
            raise fail_with_report(self.stderr, error) from error
        self.stdout.write(f"loaded {counts['categories']} categories, {counts['types']} incident types")
