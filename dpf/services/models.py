"""Service institutions and the services they give: precise rehabilitation (精准康复服务)
plans, their sessions and outcomes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dpf.registry.models import Person


class InstitutionKind(models.TextChoices):
    REHABILITATION = "rehabilitation", _("康复机构")
    CARE_RESIDENTIAL = "care_residential", _("托养机构（寄宿）")
    CARE_DAY = "care_day", _("托养机构（日间照料）")
    SUNSHINE_HOME = "sunshine_home", _("阳光家园")
    DEVICE_CENTRE = "device_centre", _("辅助器具服务中心")
    SPECIAL_SCHOOL = "special_school", _("特殊教育学校")


class Institution(models.Model):
    """A service institution (机构); ``code`` is what its staff accounts carry
    (``User.institution_code``). A rehabilitation institution designated by the city
    (市级定点康复机构) has designation dates, both inclusive."""

    code = models.CharField(_("机构代码"), max_length=40, unique=True)
    name = models.CharField(_("机构名称"), max_length=100)
    kind = models.CharField(_("机构类型"), max_length=20, choices=InstitutionKind.choices)
    licence_number = models.CharField(_("执业许可证号"), max_length=50, blank=True)
    county_code = models.CharField(_("所在旗县区"), max_length=6, db_index=True)
    township_code = models.CharField(_("所在苏木乡镇（街道）"), max_length=9)
    capacity = models.PositiveIntegerField(_("服务能力（人）"), default=0)
    services_offered = models.CharField(_("服务项目"), max_length=200, blank=True)
    designated_from = models.DateField(_("定点起始日期"), null=True, blank=True)
    designated_to = models.DateField(_("定点终止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("服务机构")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(designated_from__isnull=False)
                | models.Q(designated_to__isnull=True),
                name="institution_designation_has_start",
            ),
            models.CheckConstraint(
                condition=models.Q(designated_to__isnull=True)
                | models.Q(designated_to__gte=models.F("designated_from")),
                name="institution_designation_interval",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RehabKind(models.TextChoices):
    MEDICAL = "medical", _("医疗康复")
    TRAINING = "training", _("功能训练")
    DEVICE = "device", _("辅助器具适配")
    SUPPORT = "support", _("支持性服务")


class RehabOutcome(models.TextChoices):
    IMPROVED = "improved", _("显效")
    STABLE = "stable", _("有效")
    UNCHANGED = "unchanged", _("无效")


class RehabPlan(models.Model):
    """One person's rehabilitation service plan (一人一案) at one institution, from a need
    found by the survey; closed with an outcome assessment. The person's residence codes
    are copied at creation so that region staff's scope is a plain filter."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="rehab_plans")
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="rehab_plans"
    )
    kind = models.CharField(_("服务类型"), max_length=10, choices=RehabKind.choices)
    start = models.DateField(_("计划开始日期"))
    end = models.DateField(_("计划结束日期"))
    planned_sessions = models.PositiveSmallIntegerField(_("计划服务次数"))
    family_doctor = models.CharField(_("签约家庭医生机构"), max_length=100, blank=True)
    county_code = models.CharField(max_length=6)
    township_code = models.CharField(max_length=9)
    village_code = models.CharField(max_length=12)
    outcome = models.CharField(
        _("康复效果评估"), max_length=10, choices=RehabOutcome.choices, blank=True
    )
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("康复服务计划")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="rehabplan_interval"
            ),
            models.CheckConstraint(
                condition=models.Q(planned_sessions__gte=1), name="rehabplan_sessions_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True, outcome="")
                | (models.Q(closed_on__isnull=False) & ~models.Q(outcome="")),
                name="rehabplan_closed_with_outcome",
            ),
        ]
        indexes = [
            models.Index(fields=["institution", "closed_on"], name="rehabplan_institution"),
            models.Index(fields=["county_code", "township_code"], name="rehabplan_region"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start}"


class RehabSession(models.Model):
    """One service session given under a plan (康复服务记录)."""

    plan = models.ForeignKey(RehabPlan, on_delete=models.PROTECT, related_name="sessions")
    date = models.DateField(_("服务日期"))
    content = models.CharField(_("服务内容"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("康复服务记录")
        indexes = [models.Index(fields=["date", "plan"], name="rehabsession_date_plan")]

    def __str__(self) -> str:
        return f"{self.date}"
