"""Fixed enumerations of the base files. Everything a district may extend (relations, categories, care tags,
organisation types, ...) is a code list in `src/civicgrid/data/registry/codes.yaml`, not a choice here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CodeList(models.TextChoices):
    """The code lists loaded from the data file; `Code.list` says which one a code belongs to."""

    RELATION = "relation", _("与户主关系")
    PERSON_CATEGORY = "person_category", _("人员类别")
    CARE_TAG = "care_tag", _("关爱对象类别")
    KEY_PERSON_TYPE = "key_person_type", _("重点人员类别")
    ETHNICITY = "ethnicity", _("民族")
    EDUCATION = "education", _("学历")
    MARITAL_STATUS = "marital_status", _("婚姻状况")
    POLITICAL_STATUS = "political_status", _("政治面貌")
    INFLOW_REASON = "inflow_reason", _("流入原因")
    HOUSING_USE = "housing_use", _("房屋用途")
    BUILDING_STRUCTURE = "building_structure", _("建筑结构")
    FACILITY = "facility", _("楼栋设施")
    ORGANISATION_TYPE = "organisation_type", _("单位类型")
    INDUSTRY = "industry", _("所属行业")


# The lists a resident's many-valued tags come from (the rest are single-valued foreign keys).
RESIDENT_TAG_LISTS = (CodeList.PERSON_CATEGORY, CodeList.CARE_TAG)


class Sex(models.TextChoices):
    """GB/T 2261.1 codes."""

    MALE = "1", _("男")
    FEMALE = "2", _("女")


class ResidenceStatus(models.TextChoices):
    """户籍 / 流动: whether the resident's household registration (户口) is here."""

    REGISTERED = "registered", _("户籍人口")
    FLOATING = "floating", _("流动人口")
    # Registered here but living elsewhere (人户分离, 户在人不在): kept on the file, not counted as living in the grid.
    REGISTERED_AWAY = "registered_away", _("户籍在此人不在")
    FOREIGN = "foreign", _("境外人员")


class ResidentStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    MOVED_OUT = "moved_out", _("已迁出")
    DECEASED = "deceased", _("已死亡")


class HousingStatus(models.TextChoices):
    """How the household holds its home."""

    OWNER = "owner", _("自有")
    TENANT = "tenant", _("租住")
    OTHER = "other", _("其他")


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", _("在住")
    VACANT = "vacant", _("空置")
    CLOSED = "closed", _("已注销")


class OrganisationStatus(models.TextChoices):
    OPERATING = "operating", _("在营")
    SUSPENDED = "suspended", _("停业")
    CLOSED = "closed", _("注销")


class MoveReason(models.TextChoices):
    """Why a membership of a household began or ended."""

    REGISTERED = "registered", _("登记")
    MOVED_IN = "moved_in", _("迁入")
    MOVED_WITHIN = "moved_within", _("辖区内迁移")
    MOVED_OUT = "moved_out", _("迁出")
    DECEASED = "deceased", _("死亡")
    CORRECTED = "corrected", _("信息更正")
    IMPORTED = "imported", _("批量导入")


class ImportKind(models.TextChoices):
    RESIDENTS = "residents", _("人口")
    BUILDINGS = "buildings", _("楼栋")
    ORGANISATIONS = "organisations", _("单位")


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all", _("全部正确才导入")
    CLEAN_ROWS = "clean", _("只导入正确的行")


class ImportStatus(models.TextChoices):
    IMPORTED = "imported", _("已导入")
    PARTIAL = "partial", _("部分导入")
    REJECTED = "rejected", _("未导入")


class Clear(models.TextChoices):
    """The four clears (四清)."""

    FAMILY = "family", _("家庭情况清")
    CATEGORIES = "categories", _("人员类别清")
    FACILITIES = "facilities", _("设施情况清")
    RISKS = "risks", _("隐患矛盾清")
