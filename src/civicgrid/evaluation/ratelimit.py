"""Limits on the public questionnaire endpoints, per client (a keyed hash of its address) or per phone, and window.

Counts live in Django's cache, as the service centre's limits do (`hall/ratelimit.py`): a deployment with several
processes configures a shared cache for them to be exact. `EVALUATION_RATE_LIMITS` in settings overrides the numbers.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from civicgrid.core.errors import RateLimited
from civicgrid.evaluation.services.common import digest

# kind -> (requests, seconds)
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "submit": (20, 60),  # answers sent from one address (a family, a surveyor's hotspot) per minute
    "open": (60, 60),  # questionnaire pages opened and invitation codes tried per minute
    "code": (5, 600),  # SMS codes asked for from one address in ten minutes
    "code_phone": (3, 3600),  # SMS codes sent to one phone in an hour
}


def check(kind: str, key: str) -> None:
    """Count one request of `kind` for `key` (an address or a phone); RateLimited once over the window's limit."""
    if not key:
        return
    limit, seconds = {**DEFAULT_LIMITS, **getattr(settings, "EVALUATION_RATE_LIMITS", {})}[kind]
    window = int(time.time() // seconds)
    name = f"evaluation-rate:{kind}:{digest('rate', key)}:{window}"
    if cache.add(name, 1, timeout=seconds * 2):
        count = 1
    else:
        try:
            count = cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.add(name, 1, timeout=seconds * 2)
            count = 1
    if count > limit:
        raise RateLimited(_("操作过于频繁，请 %(minutes)s 分钟后再试。") % {"minutes": max(1, seconds // 60)})
