from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from civicgrid.hall.tasks import ensure_sweep_scheduled as ensure_hall_sweep_scheduled
from civicgrid.workorders.tasks import ensure_sweep_scheduled


class Command(BaseCommand):
    help = "Run the background worker (django-tasks-db) after booking the periodic deadline sweep."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args: Any, **options: Any) -> None:
        if ensure_sweep_scheduled():
            self.stdout.write("deadline sweep booked")
        if ensure_hall_sweep_scheduled():
            self.stdout.write("service-centre sweep booked")
        extra = {"max_tasks": options["max_tasks"]} if options["max_tasks"] else {}
        call_command("db_worker", interval=options["interval"], no_startup_delay=True, **extra)
