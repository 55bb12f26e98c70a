"""Domain errors raised by services.

One handler per interface (pages, API) turns them into a message a clerk can act on.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of every error a service raises on purpose; `message` is shown to the user as it is."""

    status = 400
    default_message = _("操作无法完成。")

    def __init__(self, message: object = None, *, errors: dict[str, list[str]] | None = None) -> None:
        self.message = str(message if message is not None else self.default_message)
        self.errors = errors or {}
        super().__init__(self.message)


class ValidationError(DomainError):
    """Input that passed the edge's shape checks but breaks a rule of the domain."""

    status = 422
    default_message = _("提交的内容有误，请检查后重试。")


class OutOfJurisdiction(DomainError):
    """The object exists but lies outside the actor's regions."""

    status = 403
    default_message = _("该对象不在您的管辖范围内。")


class PermissionDenied(DomainError):
    """The actor holds no post whose role allows the action."""

    status = 403
    default_message = _("您的岗位没有执行此操作的权限。")


class TransitionNotAllowed(DomainError):
    """The object's current state does not admit the action (or someone else changed it first)."""

    status = 409
    default_message = _("当前状态下不能执行此操作。")


class Conflict(DomainError):
    """Someone else changed the same record first; reload and try again."""

    status = 409
    default_message = _("该记录已被他人修改，请刷新后重试。")


class NotFound(DomainError):
    """No such object, or one the actor may not know exists."""

    status = 404
    default_message = _("没有找到该记录，或它不在您的管辖范围内。")


class RateLimited(DomainError):
    """Too many requests from one client in a short time."""

    status = 429
    default_message = _("提交过于频繁，请稍后再试。")
