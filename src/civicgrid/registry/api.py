"""The registry app over JSON."""

from ninja import Router

router = Router(tags=["registry"])
