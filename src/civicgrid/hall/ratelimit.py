"""Limits on the public endpoints (kiosk tickets, check-in, online booking, the rating pad), per client and minute.

A client is a salted hash of its address (never the address itself). Counts live in Django's cache: one process
counts alone with the default local-memory cache, so a deployment with several processes configures a shared cache
(database or Redis) for the limits to be exact. Staff calling with a token or a session are not limited: a kiosk
that serves a busy hall signs in with a kiosk account's token.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from civicgrid.core.errors import RateLimited

# requests per client and minute, per kind; a deployment may override any of them with HALL_RATE_LIMITS in settings
DEFAULT_LIMITS = {
    "ticket": 20,  # a family taking tickets for several items, a kiosk without an account in a quiet hall
    "check_in": 10,  # wrong codes included: guessing an appointment code is hopeless at this pace
    "booking": 5,
    "rating": 20,
    "tracking": 20,
}


def fingerprint(address: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:hall:{address}".encode()).hexdigest()[:32]


def limit_of(kind: str) -> int:
    limits = {**DEFAULT_LIMITS, **getattr(settings, "HALL_RATE_LIMITS", {})}
    return int(limits[kind])


def check(kind: str, address: str) -> None:
    """Count one request of `kind` from the client; RateLimited when it is over the limit of this minute."""
    if not address:
        return
    minute = int(time.time() // 60)
    key = f"hall-rate:{kind}:{fingerprint(address)}:{minute}"
    if cache.add(key, 1, timeout=120):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=120)
            count = 1
    if count > limit_of(kind):
        raise RateLimited(_("操作过于频繁，请一分钟后再试，或请大厅工作人员帮助。"))
