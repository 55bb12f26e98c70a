"""The gridwork app over JSON."""

from ninja import Router

router = Router(tags=["gridwork"])
