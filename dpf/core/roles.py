"""The roles of the security model (DESIGN.md) and which of them are staff."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("市残联管理员")
    COUNTY_OFFICER = "county_officer", _("旗县区残联工作人员")
    TOWNSHIP_OFFICER = "township_officer", _("苏木乡镇街道残联工作人员")
    VILLAGE_WORKER = "village_worker", _("嘎查村社区专职委员")
    INSTITUTION_STAFF = "institution_staff", _("服务机构工作人员")
    DEPARTMENT_EXCHANGE = "department_exchange", _("部门数据交换")
    EMPLOYER = "employer", _("用人单位")
    VOLUNTEER = "volunteer", _("志愿者")
    CITIZEN = "citizen", _("残疾人及亲属")
    VIEWER = "viewer", _("统计查看（仅汇总）")


# Staff roles bound to a region that work on persons' records.
REGION_STAFF = frozenset(
    {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.TOWNSHIP_OFFICER, Role.VILLAGE_WORKER}
)
ALL_ROLES = frozenset(Role)
