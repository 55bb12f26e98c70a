"""Who may use the command centre: the people who watch and steer a street's or a district's work orders."""

from typing import Any

from django.utils.translation import gettext as _

from civicgrid.core.errors import PermissionDenied
from civicgrid.people.choices import Role
from civicgrid.people.permissions import holds_role

# Grid workers see their grid in the work-order lists; department handlers see their tasks. The figures and the
# command map are for those who answer for a whole community, street or district.
COMMAND_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.OPERATOR, Role.STREET_OFFICER, Role.COMMUNITY_HEAD})


def can_command(actor: Any) -> bool:
    return holds_role(actor, COMMAND_ROLES)


def require_command(actor: Any) -> None:
    if not can_command(actor):
        raise PermissionDenied(_("指挥中心的指标和地图只对区级管理员、指挥中心操作员、街道干部和社区负责人开放。"))
