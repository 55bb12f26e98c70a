from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.core import services
from civicgrid.core.errors import DomainError
from civicgrid.core.management_utils import command_actor


class Command(BaseCommand):
    help = "Seed the working-day calendar from chinese-calendar (default: every year it knows)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("years", nargs="*", type=int)
        parser.add_argument("--as-user", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        years = options["years"] or services.known_years()
        try:
            days = services.calendar_load_years(actor=command_actor(options["as_user"]), years=years)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"calendar: {days} days added for {years[0]}–{years[-1]}")
