"""What the evaluation's services share: finding a campaign the actor may change, locking it, and one-way hashes."""

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils.translation import gettext as _

from civicgrid.core.errors import NotFound, TransitionNotAllowed
from civicgrid.evaluation import selectors
from civicgrid.evaluation.choices import ADMINS, CampaignStatus
from civicgrid.evaluation.models import Campaign
from civicgrid.people.permissions import require_role


def campaign_for_admin(actor: Any, campaign_id: int, *, lock: bool = False) -> Campaign:
    """A campaign the actor may see, as a district administrator of its district; locked when asked."""
    rows = selectors.campaigns(actor=actor) if actor is not None else Campaign.objects.all()
    if lock:
        rows = Campaign.objects.filter(pk__in=rows.values("pk")).select_for_update()
    found = rows.select_related("district").filter(pk=campaign_id).first()
    if found is None:
        raise NotFound(_("没有找到该测评活动，或它不在您的管辖范围内。"))
    if actor is not None:
        require_role(actor, ADMINS, at=found.district)
    return found


def require_not_closed(campaign: Campaign) -> None:
    if campaign.status == CampaignStatus.CLOSED:
        raise TransitionNotAllowed(_("测评“%(name)s”已结束，不能再修改。") % {"name": campaign.name})


def bump(campaign: Campaign) -> None:
    """Mark the campaign's report as out of date (its snapshot is recomputed on the next read)."""
    Campaign.objects.filter(pk=campaign.pk).update(revision=F("revision") + 1)


def digest(kind: str, value: str) -> str:
    """A keyed one-way hash (phone, device): enough to tell two respondents apart, never to name one."""
    key = f"{settings.SECRET_KEY}:evaluation:{kind}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]
