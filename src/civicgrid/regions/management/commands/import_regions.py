from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from civicgrid.core.errors import DomainError
from civicgrid.core.management_utils import command_actor, fail_with_report
from civicgrid.regions import divisions, services


class Command(BaseCommand):
    help = "导入一个区的区划（市、区、街道、社区），来自 areas.csv / streets.csv / villages.csv。有任何错误则不导入。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("district_code", help="6-digit district code, e.g. 320106")
        parser.add_argument("--source", type=Path, default=None, help="folder of the three CSV files")
        parser.add_argument("--as-user", default=None, help="username recorded in the audit log")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["source"] or settings.DIVISIONS_DIR
        try:
            rows = divisions.district_rows(options["district_code"], source)
            result = services.import_regions(actor=command_actor(options["as_user"]), rows=rows)
        except DomainError as error:
            raise fail_with_report(self.stderr, error) from error
        self.stdout.write(f"regions: {result.created} created, {result.updated} updated, {result.unchanged} unchanged")
