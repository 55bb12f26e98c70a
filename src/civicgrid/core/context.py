"""The request id of the work in progress, so audit rows and log lines of one request can be found together."""

import uuid
from contextvars import ContextVar

_request_id: ContextVar[str] = ContextVar("civicgrid_request_id", default="")


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def set_request_id(value: str) -> object:
    return _request_id.set(value)


def reset_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


def current_request_id() -> str:
    return _request_id.get()
