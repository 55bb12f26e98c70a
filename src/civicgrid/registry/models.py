"""The base files (基础信息): estates, buildings with entrances and floors, households, residents, organisations.

Fields follow the national base-data conventions (GB/T 31000-2015: 实有人口, 实有房屋, 实有单位), named in English
per the glossary. Values from code lists (relation to the head, categories, care tags, ethnicity, ...) are rows of
`Code`, loaded from `src/civicgrid/data/registry/codes.yaml`.

Jurisdiction: everything hangs from a grid. A building lies in one grid; its households follow it (`Household.grid`
is copied from the building by the services); a resident is filed in the grid of their household (`Resident.grid`,
kept by the services when they move); an organisation is filed in its dedicated grid if it has one, otherwise in the
comprehensive grid it lies in. An estate belongs to its community (and is also seen by the workers of the grids its
buildings lie in: `selectors.estates`).

Personal data (ID numbers, phones) is stored whole and shown masked (`core.masking`); the key-person flag is shown
only to the roles the registry policy names (`registry.policy`).
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.core.jurisdiction import Scope
from civicgrid.regions.models import Region
from civicgrid.registry.choices import (
    CodeList,
    HouseholdStatus,
    HousingStatus,
    ImportKind,
    ImportMode,
    ImportStatus,
    MoveReason,
    OrganisationStatus,
    ResidenceStatus,
    ResidentStatus,
    Sex,
)

USER = settings.AUTH_USER_MODEL


class Code(models.Model):
    """One entry of a code list (GB/T 4761 relations, GB 3304 ethnicities, the district's care tags, ...)."""

    list = models.CharField(_("代码表"), max_length=24, choices=CodeList.choices)
    code = models.CharField(_("代码"), max_length=24)
    name = models.CharField(_("名称"), max_length=60)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    # List-specific flags, e.g. {"head": true} on the relation "户主".
    extra = models.JSONField(_("附加属性"), default=dict, blank=True)

    jurisdiction_scope = Scope()  # reference data: everyone may read it

    class Meta:
        verbose_name = _("代码")
        verbose_name_plural = _("代码")
        ordering = ["list", "sort", "code"]
        constraints = [models.UniqueConstraint(fields=["list", "code"], name="registry_code_unique_in_list")]

    def __str__(self) -> str:
        return self.name


def _code(list_name: CodeList, verbose: Any) -> "models.ForeignKey[Code | None, Code | None]":
    """A foreign key to one code list; the list is checked by the services (a DB constraint cannot reach it).
    Not indexed: codes are retired, never deleted, and no page finds records by a code alone (a million residents
    would carry an index per code list for nothing)."""
    return models.ForeignKey(
        Code,
        verbose_name=verbose,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"list": list_name},
        db_index=False,
    )


class ImportBatch(models.Model):
    """One spreadsheet import: what was read, what was written, every bad row, and the file of bad rows to fix."""

    kind = models.CharField(_("导入内容"), max_length=16, choices=ImportKind.choices)
    mode = models.CharField(_("导入方式"), max_length=8, choices=ImportMode.choices)
    status = models.CharField(_("结果"), max_length=10, choices=ImportStatus.choices)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    actor = models.ForeignKey(
        USER, verbose_name=_("导入人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("导入人名称"), max_length=150, blank=True)
    region_path = models.CharField(_("所属区域路径"), max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True, db_index=True)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    imported_rows = models.PositiveIntegerField(_("导入行数"), default=0)
    error_rows = models.PositiveIntegerField(_("错误行数"), default=0)
    created = models.JSONField(_("新建数量"), default=dict, blank=True)
    # [{"row": 7, "column": "身份证号", "message": "..."}]; never the ID number or phone itself.
    errors = models.JSONField(_("错误明细"), default=list, blank=True)
    error_file = models.BinaryField(_("错误行文件"), null=True, blank=True, editable=False)

    jurisdiction_scope = Scope(region_path="region_path")

    class Meta:
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def audit_region_path(self) -> str:
        return self.region_path

    @property
    def has_error_file(self) -> bool:
        return bool(self.error_file)


class Estate(models.Model):
    """小区: a residential estate in a community; its buildings may lie in several grids."""

    code = models.CharField(_("小区编码"), max_length=20, unique=True)
    name = models.CharField(_("小区名称"), max_length=100)
    community = models.ForeignKey(Region, verbose_name=_("所属社区"), on_delete=models.PROTECT, related_name="estates")
    address = models.CharField(_("地址"), max_length=200, blank=True)
    property_company = models.CharField(_("物业服务企业"), max_length=100, blank=True)
    property_phone = models.CharField(_("物业电话"), max_length=30, blank=True)
    built_year = models.PositiveSmallIntegerField(_("建成年份"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    jurisdiction_scope = Scope(region_path="community__path")

    class Meta:
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="registry_estate_name_in_community")]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_path(self) -> str:
        return self.community.path


class Building(models.Model):
    """楼栋: one building, its entrances and floors; the building dossier (一栋一卷) is built around it."""

    code = models.CharField(_("楼栋编码"), max_length=24, unique=True)
    estate = models.ForeignKey(
        Estate,
        verbose_name=_("所属小区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="buildings",
        help_text=_("散居楼栋可不属于小区"),
    )
    name = models.CharField(_("楼栋号"), max_length=40, help_text=_("例如“3幢”“12栋”"))
    grid = models.ForeignKey(Region, verbose_name=_("所在网格"), on_delete=models.PROTECT, related_name="buildings")
    address = models.CharField(_("地址"), max_length=200)
    floors_above = models.PositiveSmallIntegerField(_("地上层数"), default=1)
    floors_below = models.PositiveSmallIntegerField(_("地下层数"), default=0)
    use = _code(CodeList.HOUSING_USE, _("房屋用途"))
    structure = _code(CodeList.BUILDING_STRUCTURE, _("建筑结构"))
    built_year = models.PositiveSmallIntegerField(_("建成年份"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    property_company = models.CharField(_("物业服务企业"), max_length=100, blank=True)
    captain_name = models.CharField(_("楼栋长"), max_length=40, blank=True)
    captain_phone = models.CharField(_("楼栋长电话"), max_length=20, blank=True)
    facilities = models.ManyToManyField(Code, verbose_name=_("设施"), blank=True, related_name="+")
    facilities_checked_on = models.DateField(_("设施核查日期"), null=True, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    import_batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("导入批次"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # batches are kept, not deleted
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    jurisdiction_scope = Scope(region_path="grid__path")

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "name"],
                condition=Q(estate__isnull=False),
                name="registry_building_name_in_estate",
                violation_error_message=_("同一小区内楼栋号不能重复。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.estate.name}{self.name}" if self.estate_id and self.estate else self.address

    @property
    def audit_region_path(self) -> str:
        return self.grid.path


class Entrance(models.Model):
    """单元: an entrance (stairwell) of a building; every building has at least one."""

    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), on_delete=models.CASCADE, related_name="entrances", db_index=False
    )  # indexed by the constraint (building, number)
    number = models.CharField(_("单元号"), max_length=10)
    captain_name = models.CharField(_("单元长"), max_length=40, blank=True)
    captain_phone = models.CharField(_("单元长电话"), max_length=20, blank=True)

    jurisdiction_scope = Scope(region_path="building__grid__path")

    class Meta:
        verbose_name = _("单元")
        verbose_name_plural = _("单元")
        ordering = ["building", "number"]
        constraints = [models.UniqueConstraint(fields=["building", "number"], name="registry_entrance_in_building")]

    def __str__(self) -> str:
        return f"{self.number}单元"

    @property
    def audit_region_path(self) -> str:
        return self.building.grid.path


class Household(models.Model):
    """户: one dwelling and the people living in it; the household file (一户一档)."""

    building = models.ForeignKey(Building, verbose_name=_("楼栋"), on_delete=models.PROTECT, related_name="households")
    # Both indexed by the constraints below: (entrance, room) and (grid, status).
    entrance = models.ForeignKey(
        Entrance, verbose_name=_("单元"), on_delete=models.PROTECT, related_name="households", db_index=False
    )
    floor = models.SmallIntegerField(_("楼层"), help_text=_("地下层为负数"))
    room = models.CharField(_("房号"), max_length=20)
    grid = models.ForeignKey(
        Region, verbose_name=_("所在网格"), on_delete=models.PROTECT, related_name="households", db_index=False
    )
    address = models.CharField(_("地址"), max_length=250)
    housing_status = models.CharField(
        _("住房性质"), max_length=8, choices=HousingStatus.choices, default=HousingStatus.OWNER
    )
    housing_use = _code(CodeList.HOUSING_USE, _("房屋用途"))
    area_m2 = models.DecimalField(_("建筑面积(平方米)"), max_digits=8, decimal_places=2, null=True, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=HouseholdStatus.choices, default=HouseholdStatus.ACTIVE)
    risks_checked_on = models.DateField(
        _("隐患矛盾排查日期"), null=True, blank=True, help_text=_("最近一次入户排查安全隐患和矛盾纠纷的日期")
    )
    risk_notes = models.TextField(_("隐患矛盾情况"), blank=True)
    notes = models.TextField(_("备注"), blank=True)
    import_batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("导入批次"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # batches are kept, not deleted
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    jurisdiction_scope = Scope(region_path="grid__path")

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["building", "entrance", "floor", "room"]
        constraints = [
            models.UniqueConstraint(
                fields=["entrance", "room"],
                name="registry_household_room_in_entrance",
                violation_error_message=_("该单元已有相同房号的户。"),
            )
        ]
        indexes = [models.Index(fields=["grid", "status"], name="registry_household_grid")]

    def __str__(self) -> str:
        return self.address

    @property
    def audit_region_path(self) -> str:
        return self.grid.path


class Resident(models.Model):
    """居民 (实有人口): a person living in, or registered in, the district."""

    name = models.CharField(_("姓名"), max_length=40)
    former_name = models.CharField(_("曾用名"), max_length=40, blank=True)
    id_number = models.CharField(_("公民身份号码"), max_length=18, blank=True)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    ethnicity = _code(CodeList.ETHNICITY, _("民族"))
    native_place = models.CharField(_("籍贯"), max_length=60, blank=True)
    registered_address = models.CharField(_("户籍地址"), max_length=200, blank=True)
    education = _code(CodeList.EDUCATION, _("学历"))
    marital_status = _code(CodeList.MARITAL_STATUS, _("婚姻状况"))
    political_status = _code(CodeList.POLITICAL_STATUS, _("政治面貌"))
    occupation = models.CharField(_("职业"), max_length=60, blank=True)
    workplace = models.CharField(_("服务处所"), max_length=100, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    residence_status = models.CharField(
        _("人口类型"), max_length=16, choices=ResidenceStatus.choices, default=ResidenceStatus.REGISTERED
    )
    inflow_reason = _code(CodeList.INFLOW_REASON, _("流入原因"))
    floating_since = models.DateField(_("来本地日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ResidentStatus.choices, default=ResidentStatus.ACTIVE)
    household = models.ForeignKey(
        Household,
        verbose_name=_("所在户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="residents",
        help_text=_("当前所在的户（一人同一时间只属于一户）；迁移经由服务办理，以往所在的户见历史记录"),
    )
    household_since = models.DateField(_("入户日期"), null=True, blank=True)
    relation = _code(CodeList.RELATION, _("与户主关系"))
    grid = models.ForeignKey(
        Region, verbose_name=_("所在网格"), on_delete=models.PROTECT, related_name="residents", db_index=False
    )
    tags = models.ManyToManyField(
        Code, verbose_name=_("人员类别和关爱标签"), blank=True, through="ResidentTag", related_name="+"
    )
    categories_reviewed_on = models.DateField(_("类别核实日期"), null=True, blank=True)
    is_key_person = models.BooleanField(_("重点人员"), default=False)
    key_person_type = _code(CodeList.KEY_PERSON_TYPE, _("重点人员类别"))
    notes = models.TextField(_("备注"), blank=True)
    import_batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("导入批次"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # batches are kept, not deleted
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    jurisdiction_scope = Scope(region_path="grid__path")

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["grid", "household", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=~Q(id_number=""),
                name="registry_resident_id_number_unique",
                violation_error_message=_("该身份证号码已登记。"),
            ),
            models.CheckConstraint(
                name="registry_resident_key_type_only_on_key_persons",
                condition=Q(is_key_person=True) | Q(key_person_type__isnull=True),
            ),
        ]
        indexes = [models.Index(fields=["grid", "status"], name="registry_resident_grid")]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_path(self) -> str:
        return self.grid.path


class ResidentTag(models.Model):
    """A resident's person category or care tag (a resident may carry several)."""

    # Indexed by the constraint (resident, code) and the index (code, resident) below.
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="tag_links", db_index=False)
    code = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="resident_links", db_index=False)

    jurisdiction_scope = Scope(region_path="resident__grid__path")

    class Meta:
        verbose_name = _("居民标签")
        verbose_name_plural = _("居民标签")
        constraints = [models.UniqueConstraint(fields=["resident", "code"], name="registry_resident_tag_once")]
        indexes = [models.Index(fields=["code", "resident"], name="registry_tag_code")]

    def __str__(self) -> str:
        return f"{self.resident_id}:{self.code_id}"


class PastMembership(models.Model):
    """A resident's finished stay in a household (moved within the district, out, or died): the history that the
    household file lists as former members. The current household is `Resident.household`, so a resident is in at
    most one household at a time by construction."""

    household = models.ForeignKey(
        Household, verbose_name=_("户"), on_delete=models.CASCADE, related_name="past_memberships"
    )
    resident = models.ForeignKey(
        Resident, verbose_name=_("居民"), on_delete=models.CASCADE, related_name="past_memberships"
    )
    relation = _code(CodeList.RELATION, _("与户主关系"))
    started_on = models.DateField(_("入户日期"), null=True, blank=True)
    ended_on = models.DateField(_("离开日期"))
    end_reason = models.CharField(_("离开原因"), max_length=16, choices=MoveReason.choices)

    jurisdiction_scope = Scope(region_path="household__grid__path")

    class Meta:
        verbose_name = _("以往户成员记录")
        verbose_name_plural = _("以往户成员记录")
        ordering = ["-ended_on", "-id"]

    def __str__(self) -> str:
        return f"{self.resident_id}@{self.household_id} {self.started_on or ''}–{self.ended_on}"

    @property
    def audit_region_path(self) -> str:
        return self.household.grid.path


class Organisation(models.Model):
    """实有单位: an enterprise, institution, social organisation or shop located in the district."""

    name = models.CharField(_("单位名称"), max_length=120, db_index=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    org_type = _code(CodeList.ORGANISATION_TYPE, _("单位类型"))
    industry = _code(CodeList.INDUSTRY, _("所属行业"))
    legal_representative = models.CharField(_("法定代表人"), max_length=40, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200)
    building = models.ForeignKey(
        Building,
        verbose_name=_("所在楼栋"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisations",
    )
    grid = models.ForeignKey(
        Region,
        verbose_name=_("所在网格"),
        on_delete=models.PROTECT,
        related_name="organisations",
        help_text=_("有专属网格的填专属网格，否则填所在的综合网格"),
    )
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    employees = models.PositiveIntegerField(_("从业人数"), null=True, blank=True)
    status = models.CharField(
        _("经营状态"), max_length=10, choices=OrganisationStatus.choices, default=OrganisationStatus.OPERATING
    )
    is_key_unit = models.BooleanField(_("重点单位"), default=False, help_text=_("消防安全等重点管理单位"))
    risks_checked_on = models.DateField(_("隐患排查日期"), null=True, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    import_batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("导入批次"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # batches are kept, not deleted
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    jurisdiction_scope = Scope(region_path="grid__path")

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["grid", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["uscc"],
                condition=~Q(uscc=""),
                name="registry_organisation_uscc_unique",
                violation_error_message=_("该统一社会信用代码已登记。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_path(self) -> str:
        return self.grid.path

    @property
    def in_dedicated_grid(self) -> bool:
        return self.grid.grid_kind == "dedicated"
