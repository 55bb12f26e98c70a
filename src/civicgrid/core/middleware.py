import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

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


# Interfaces whose errors a published standard shapes (Open311's error list): they refuse NUL themselves.
OWN_ERROR_FORMATS = ("/open311/",)


class RefuseNulMiddleware:
    """A NUL character in the address or in a JSON or form body is refused at the door: PostgreSQL can neither
    store nor compare one (it would surface as a 500 deep down), and no real client sends it. File uploads
    (multipart) are left alone: image bytes contain NULs."""

    BODY_MARKS = {"application/json": (b"\\u0000", b"\x00"), "application/x-www-form-urlencoded": (b"%00", b"\x00")}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(OWN_ERROR_FORMATS):
            return self.get_response(request)
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query or self._body_has_nul(request):
            message = _("请求中含有不允许的空字符（NUL）。")
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": message, "errors": {}}, status=400, json_dumps_params={"ensure_ascii": False}
                )
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    def _body_has_nul(self, request: HttpRequest) -> bool:
        marks = self.BODY_MARKS.get(request.content_type or "")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return False
        if not marks or not 0 < length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return False  # an oversized body is refused later, with its own message
        body = request.body
        return any(mark in body for mark in marks)
