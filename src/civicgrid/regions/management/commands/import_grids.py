import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.core.errors import DomainError
from civicgrid.core.management_utils import command_actor, fail_with_report
from civicgrid.regions import services


class Command(BaseCommand):
    help = (
        "从 GeoJSON 导入网格（或用 --boundaries 导入街道、社区边界）。"
        "要素属性：code, name, kind, dedicated_class, households, population, partner。有任何错误则不导入。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--boundaries", action="store_true", help="set boundaries of existing streets/communities")
        parser.add_argument("--as-user", default=None, help="username recorded in the audit log")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            collection = json.loads(options["file"].read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"无法读取 GeoJSON：{exc}") from exc
        service = services.import_boundaries if options["boundaries"] else services.import_grids
        try:
            result = service(actor=command_actor(options["as_user"]), collection=collection)
        except DomainError as error:
            raise fail_with_report(self.stderr, error) from error
        self.stdout.write(f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged")
