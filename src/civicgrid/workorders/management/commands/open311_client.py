"""`civicgrid open311_client add|list|revoke`: the client applications of the Open311 interface."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from civicgrid.core.errors import DomainError
from civicgrid.core.management_utils import command_actor
from civicgrid.workorders.models import Open311Client
from civicgrid.workorders.open311 import services


class Command(BaseCommand):
    help = "Register, list or revoke Open311 client applications (the api_key is printed once, when it is made)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-user", default=None, help="username recorded in the audit log")
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="register an application and print its api_key")
        add.add_argument("name", help="the application's name, e.g. 鼓楼随手拍")
        add.add_argument("--contact", default="", help="who to call about it")
        actions.add_parser("list", help="every application, active or revoked")
        revoke = actions.add_parser("revoke", help="revoke an application's api_key")
        revoke.add_argument("client", help="the application's id or key prefix (see list)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(options["as_user"])
        try:
            if options["action"] == "add":
                key, client = services.client_create(actor=actor, name=options["name"], contact=options["contact"])
                self.stdout.write(f"registered {client.name} (id {client.pk})")
                self.stdout.write(f"api_key: {key}")
                self.stdout.write("the key is shown only now: only its digest is kept")
            elif options["action"] == "list":
                for client in Open311Client.objects.order_by("pk"):
                    state = "active" if client.is_active else "revoked"
                    created = timezone.localtime(client.created_at).strftime("%Y-%m-%d")
                    self.stdout.write(
                        f"{client.pk}\t{client.key_prefix}…\t{state}\t{created}\t{client.name}\t{client.contact}"
                    )
            else:
                client = self._find(options["client"])
                services.client_revoke(actor=actor, client_id=client.pk)
                self.stdout.write(f"revoked {client.name} (id {client.pk}, key {client.key_prefix}…)")
        except DomainError as error:
            raise CommandError(error.message) from error

    @staticmethod
    def _find(value: str) -> Open311Client:
        rows = Open311Client.objects.filter(pk=int(value)) if value.isdigit() else Open311Client.objects.none()
        found = list(rows) or list(Open311Client.objects.filter(key_prefix=value.rstrip("…")))
        if len(found) != 1:
            raise CommandError(f"no single application with id or key prefix {value!r}: see `open311_client list`")
        return found[0]
