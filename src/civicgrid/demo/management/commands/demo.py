import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils.module_loading import autodiscover_modules

from civicgrid.core.errors import DomainError
from civicgrid.core.management_utils import fail_with_report
from civicgrid.demo import generator
from civicgrid.demo.hooks import DemoContext, ordered_steps
from civicgrid.regions.models import Region


class Command(BaseCommand):
    help = "载入演示区（默认南京市鼓楼区 320106）：真实区划、生成的网格边界、职能部门和各岗位演示账号。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--district", default="320106", help="district code from data/divisions/areas.csv")
        parser.add_argument("--scale", choices=["small", "district"], default="district")
        parser.add_argument("--seed", type=int, default=generator.DEFAULT_SEED)
        parser.add_argument("--password", default=generator.DEFAULT_PASSWORD, help="password of every demo account")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        code = options["district"]
        try:
            generator.load(
                code, scale=options["scale"], seed=options["seed"], password=options["password"], say=self.stdout.write
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except DomainError as error:
            raise fail_with_report(self.stderr, error) from error
        district = Region.objects.get(code=code)
        autodiscover_modules("demo")  # later modules register their demo steps in <app>/demo.py
        context = DemoContext(
            district=district, scale=options["scale"], seed=options["seed"], password=options["password"]
        )
        for name, step in ordered_steps():
            begun = time.monotonic()
            said = step(context)
            self.stdout.write(f"{name}: {said}（{time.monotonic() - begun:.1f} 秒）")
        if connection.vendor == "postgresql":
            # The steps wrote millions of rows in bulk. Until the tables have statistics PostgreSQL plans as if they
            # were empty (a district's files page took 40 s instead of 4), and autovacuum may be off or late.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            f"\n演示区 {district.name} 已就绪（{time.monotonic() - started:.1f} 秒）。演示账号（密码均为 "
            f"{options['password']}）："
        )
        accounts = generator.demo_accounts(district)
        width = max((len(u) for u, _r, _w in accounts), default=10)
        for username, role, where in accounts:
            self.stdout.write(f"  {username.ljust(width)}  {role}  {where}")
