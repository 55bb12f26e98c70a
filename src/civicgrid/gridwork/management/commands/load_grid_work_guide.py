from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civicgrid.core.management_utils import command_actor, fail_with_report
from civicgrid.gridwork import services


class Command(BaseCommand):
    help = (
        "Load the grid work guide (网格工作指南: categories, sub-categories, tasks with service content and standard) "
        "from YAML: every entry is checked first and nothing is loaded if any is wrong. Without a file, the guide "
        "shipped with CivicGrid. Tasks no longer in the file are retired, not deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=str(services.default_guide_path()))
        parser.add_argument("--as-user", default=None, help="username recorded in the audit log")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = services.guide_load(actor=command_actor(options["as_user"]), path=Path(options["file"]))
        except services.GuideRejected as error:
            raise fail_with_report(self.stderr, error) from error
        self.stdout.write(
            f"loaded {result.categories} categories, {result.subcategories} sub-categories, {result.tasks} tasks"
            + (f"; retired {result.retired} tasks no longer in the file" if result.retired else "")
        )
