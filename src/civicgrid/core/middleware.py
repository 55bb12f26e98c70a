import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from civicgrid.core import context

# A proxy may pass its own id; anything else (or something that could smuggle text into logs) gets a new one.
_SAFE_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if _SAFE_ID.match(incoming) else context.new_request_id()
        token = context.set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            context.reset_request_id(token)
        response["X-Request-Id"] = request_id
        return response
