"""Telling people: staff in their in-app inbox, residents by SMS. Backends are pluggable by settings.

`NOTIFICATION_SMS_BACKEND` names a class with `send(phone, text) -> None` (raising on failure). The default keeps the
message in the database and logs a masked number, so a demo or a test can see what would have been sent.
"""

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from civicgrid.core.masking import mask_phone
from civicgrid.core.models import Notification

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    url: str = ""


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class ConsoleSmsBackend:
    """Sends nothing: the message stays in the database and the log shows it went to a masked number."""

    def send(self, phone: str, text: str) -> None:
        log.info("sms to %s: %s", mask_phone(phone), text[:60])


def sms_backend() -> SmsBackend:
    return import_string(settings.NOTIFICATION_SMS_BACKEND)()


def to_staff(users: Any, message: Message) -> list[Notification]:
    """Inbox messages; written in the caller's transaction so they exist exactly when the change does."""
    rows = [
        Notification(recipient=user, channel="inbox", subject=message.subject[:120], body=message.body, url=message.url)
        for user in {user.pk: user for user in users if user is not None}.values()
    ]
    return Notification.objects.bulk_create(rows)


def to_phone(phone: str, message: Message) -> Notification | None:
    """An SMS, recorded now and sent after the commit (a failed send is recorded, never raised)."""
    if not phone:
        return None
    row = Notification.objects.create(
        phone=phone, channel="sms", subject=message.subject[:120], body=message.body, url=message.url
    )
    transaction.on_commit(lambda: send_sms(row.pk))
    return row


def send_sms(notification_id: int) -> None:
    row = Notification.objects.filter(pk=notification_id, sent_at__isnull=True).first()
    if row is None:
        return
    text = f"【CivicGrid】{row.subject}：{row.body}"
    try:
        sms_backend().send(row.phone, text)
    except Exception as error:  # a gateway failure must not undo the change the message is about
        log.warning("sms %s failed: %s", row.pk, type(error).__name__)
        Notification.objects.filter(pk=row.pk).update(error=str(error)[:200])
        return
    Notification.objects.filter(pk=row.pk).update(sent_at=timezone.now())
