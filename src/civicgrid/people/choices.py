from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.regions.choices import Level


class Role(models.TextChoices):
    WINDOW_CLERK = "window_clerk", _("窗口人员")
    BACK_OFFICE_HANDLER = "back_office_handler", _("后台人员")
    GRID_WORKER = "grid_worker", _("网格员")
    GRID_LEADER = "grid_leader", _("网格长")
    GRID_ASSISTANT = "grid_assistant", _("网格协管员")
    COMMUNITY_HEAD = "community_head", _("社区负责人")
    STREET_OFFICER = "street_officer", _("街道干部")
    OPERATOR = "operator", _("指挥中心操作员")
    DEPARTMENT_HANDLER = "department_handler", _("职能部门人员")
    DISTRICT_ADMIN = "district_admin", _("区级管理员")
    CENTRE_MANAGER = "centre_manager", _("服务中心主任")
    FIELD_SURVEYOR = "field_surveyor", _("测评调查员")


class AssistantKind(models.TextChoices):
    POLICE_OFFICER = "police_officer", _("社区民警")
    PROPERTY_MANAGER = "property_manager", _("物业管理人员")
    COMMUNITY_DOCTOR = "community_doctor", _("社区医生")
    RETIRED_PARTY_MEMBER = "retired_party_member", _("退休党员")
    VOLUNTEER = "volunteer", _("志愿者")


# The region levels at which each role may be held. A department handler's post names a department instead;
# a back-office handler works for a street office or for a department.
ROLE_LEVELS: dict[Role, frozenset[Level]] = {
    Role.WINDOW_CLERK: frozenset({Level.STREET, Level.COMMUNITY}),
    Role.BACK_OFFICE_HANDLER: frozenset({Level.STREET, Level.DISTRICT}),
    Role.GRID_WORKER: frozenset({Level.GRID}),
    Role.GRID_LEADER: frozenset({Level.GRID}),
    Role.GRID_ASSISTANT: frozenset({Level.GRID}),
    Role.COMMUNITY_HEAD: frozenset({Level.COMMUNITY}),
    Role.STREET_OFFICER: frozenset({Level.STREET}),
    Role.OPERATOR: frozenset({Level.STREET, Level.DISTRICT, Level.CITY}),
    Role.DEPARTMENT_HANDLER: frozenset({Level.DISTRICT, Level.CITY, Level.STREET}),
    Role.DISTRICT_ADMIN: frozenset({Level.DISTRICT, Level.CITY}),
    Role.CENTRE_MANAGER: frozenset({Level.STREET}),
    # satisfaction-evaluation fieldwork: posted at the streets they survey (or at the district for all of them)
    Role.FIELD_SURVEYOR: frozenset({Level.STREET, Level.DISTRICT}),
}
DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_HANDLER, Role.BACK_OFFICE_HANDLER})
DEPARTMENT_REQUIRED = frozenset({Role.DEPARTMENT_HANDLER})
# A grid has exactly one of each of these; assistants may be many.
ONE_PER_GRID = frozenset({Role.GRID_WORKER, Role.GRID_LEADER})
# Who may see other people's full phone numbers and manage posts.
ADMIN_ROLES = frozenset({Role.DISTRICT_ADMIN})
