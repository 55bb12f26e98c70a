"""What every import command shares: the system actor and printing a rejection row by row."""

from typing import Any

from django.core.management.base import CommandError, OutputWrapper

from civicgrid.core.errors import DomainError


def command_actor(username: str | None) -> Any:
    """The user a command acts as (for the audit log); None records the change as made by the system."""
    if not username:
        return None
    from civicgrid.people.models import User

    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist as exc:
        raise CommandError(f"no active user {username!r}") from exc


def fail_with_report(stderr: OutputWrapper, error: DomainError) -> CommandError:
    for row in getattr(error, "rows", []):
        stderr.write(f"  {row}")
    return CommandError(error.message)
