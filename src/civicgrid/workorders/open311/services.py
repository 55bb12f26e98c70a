"""Writes of the Open311 interface: client applications (their api_keys) and requests filed through them.

A request becomes a work order through `workorders.services.report` (source "app"), like any resident's report; what
Open311 adds (service attributes, the reporter's e-mail, device and account ids, a media URL) is stored on the same
work order in the same transaction.
"""

import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import Conflict, DomainError, NotFound, ValidationError
from civicgrid.core.models import AuditEntry
from civicgrid.people.permissions import require_administrator_or_system
from civicgrid.workorders import services as workorders
from civicgrid.workorders.choices import Action, Source
from civicgrid.workorders.models import IncidentType, Open311Client, WorkOrder
from civicgrid.workorders.open311 import attributes

KEY_PREFIX = "o311_"
CREATED = "open311.request_create"  # the audit action of a filed request


# ---------------------------------------------------------------- client applications


def client_problem(name: str, contact: str = "") -> DomainError | None:
    """Why a client application cannot be registered so (the admin form shows the same message), or None."""
    name = (name or "").strip()
    if not name:
        return ValidationError(_("请填写应用名称。"))
    if len(name) > 80:
        return ValidationError(_("应用名称不能超过 80 个字。"))
    if len((contact or "").strip()) > 120:
        return ValidationError(_("联系人不能超过 120 个字。"))
    if Open311Client.objects.filter(name=name, is_active=True).exists():
        return Conflict(_("已有名为“%(name)s”的有效接入应用。") % {"name": name})
    return None


@transaction.atomic
def client_create(*, actor: Any, name: str, contact: str = "") -> tuple[str, Open311Client]:
    """Register a client application. The api_key is returned once, here; only its SHA-256 digest is kept."""
    require_administrator_or_system(actor)
    problem = client_problem(name, contact)
    if problem is not None:
        raise problem
    # hex: no '-' or '_' that a shell, a URL or an argument parser could take for something else
    key = KEY_PREFIX + secrets.token_hex(24)
    client = Open311Client.objects.create(
        name=name.strip(),
        contact=(contact or "").strip(),
        key_prefix=key[len(KEY_PREFIX) : len(KEY_PREFIX) + 8],
        key_digest=Open311Client.digest_of(key),
    )
    audit.record(
        actor=actor,
        action="open311_client.create",
        obj=client,
        after={"name": client.name, "contact": client.contact, "key_prefix": client.key_prefix},
    )
    return key, client


@transaction.atomic
def client_revoke(*, actor: Any, client_id: int) -> Open311Client:
    """Revoke a client application's api_key: from now on its requests are refused with 403."""
    require_administrator_or_system(actor)
    client = Open311Client.objects.select_for_update().filter(pk=client_id).first()
    if client is None:
        raise NotFound(_("没有该接入应用。"))
    if not client.is_active:
        raise ValidationError(_("接入应用“%(name)s”已被吊销。") % {"name": client.name})
    client.is_active = False
    client.save(update_fields=["is_active"])
    audit.record(
        actor=actor,
        action="open311_client.revoke",
        obj=client,
        before={"is_active": True},
        after={"is_active": False, "key_prefix": client.key_prefix},
    )
    return client


def client_for_key(api_key: str) -> Open311Client | None:
    """The active client application holding this api_key, or None."""
    if not api_key or len(api_key) > 200:
        return None
    return Open311Client.objects.filter(key_digest=Open311Client.digest_of(api_key), is_active=True).first()


# ---------------------------------------------------------------- requests


@dataclass(frozen=True)
class NewRequest:
    """What a client application sent, already checked for shape at the edge (views.py)."""

    service_code: str
    lon: float
    lat: float
    description: str
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""
    media_url: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)


def idempotency_key_of(client: Open311Client, key: str) -> str:
    """How `workorders.services.report` stores a client's Idempotency-Key: per application, so keys never collide."""
    return f"c{client.pk}:{key}"


def request_create(
    *, client: Open311Client, request: NewRequest, idempotency_key: str | None = None
) -> tuple[WorkOrder, bool]:
    """File a service request as a work order. Returns (the order, whether it is new).

    A retry with the same Idempotency-Key returns the first order and changes nothing.
    """
    kind = IncidentType.objects.filter(code=request.service_code, is_active=True).first()
    if kind is None:
        raise NotFound(_("service_code %(code)s 不存在。") % {"code": request.service_code})
    answers = attributes.clean_answers(kind.attributes, request.attributes)
    stored_key = idempotency_key_of(client, idempotency_key) if idempotency_key else None
    with transaction.atomic():
        if stored_key:
            earlier = WorkOrder.objects.filter(idempotency_key=stored_key).first()
            if earlier is not None:
                return earlier, False
        order = workorders.report(
            actor=None,
            source=Source.APP,
            open311_client=client,
            incident_type_code=kind.code,
            description=request.description,
            lon=request.lon,
            lat=request.lat,
            address=request.address,
            reporter_name=request.reporter_name,
            reporter_phone=request.reporter_phone,
            idempotency_key=idempotency_key,
            # a phone that files too often is slowed down like a resident on the report page; an application
            # relaying from its own server (no device_id) is trusted: it is registered and can be revoked
            client_address=f"open311:{client.pk}:{request.device_id}" if request.device_id else "",
        )
        if stored_key and AuditEntry.objects.filter(action=CREATED, object_id=str(order.pk)).exists():
            # the same retry arrived twice at once: the other copy made the order (report() returned it after
            # its own insert hit the key's unique index) and has already completed it
            return order, False
        order.attributes = answers
        order.reporter_email = request.email
        order.device_id = request.device_id
        order.account_id = request.account_id
        order.media_url = request.media_url
        order.save(update_fields=["attributes", "reporter_email", "device_id", "account_id", "media_url"])
        # what the dispatcher must read with the description goes on the report step of the timeline (staff only)
        lines = attributes.answers_text(kind.attributes, answers)
        if request.media_url:
            lines.append(_("附件链接：%(url)s") % {"url": request.media_url})
        if lines:
            order.events.filter(action=Action.REPORT).update(note="\n".join(lines))
        audit.record(
            actor=None,
            action=CREATED,
            obj=order,
            after={
                "client": client.name,
                "service_code": kind.code,
                "attributes": sorted(answers),
                "media_url": bool(request.media_url),
            },
        )
    return order, True
