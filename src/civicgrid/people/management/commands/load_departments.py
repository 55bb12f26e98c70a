from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.core.errors import DomainError
from civicgrid.core.management_utils import command_actor, fail_with_report
from civicgrid.people import services
from civicgrid.regions.models import Region


class Command(BaseCommand):
    help = "为一个区载入职能部门（默认来自 data/departments.yaml）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("district_code")
        parser.add_argument("--file", type=Path, default=None)
        parser.add_argument("--as-user", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"] or settings.DATA_DIR / "departments.yaml"
        district = Region.objects.filter(code=options["district_code"]).first()
        if district is None:
            raise CommandError(f"区 {options['district_code']} 不存在，请先导入区划。")
        try:
            entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except (OSError, yaml.YAMLError) as exc:
            raise CommandError(f"无法读取 {path}：{exc}") from exc
        if not isinstance(entries, list):
            raise CommandError(f"{path} 应是部门列表。")
        try:
            changed = services.load_departments(
                actor=command_actor(options["as_user"]), district=district, entries=entries
            )
        except DomainError as error:
            raise fail_with_report(self.stderr, error) from error
        self.stdout.write(f"departments: {changed} created or updated")
