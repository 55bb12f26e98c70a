from typing import Any

from django.conf import settings
from django.http import HttpRequest

from civicgrid.core import selectors
from civicgrid.people.permissions import is_administrator


def civicgrid(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION,
        "is_administrator": bool(user and user.is_authenticated and is_administrator(user)),
        "unread_notifications": selectors.unread_count(actor=user) if user and user.is_authenticated else 0,
    }
