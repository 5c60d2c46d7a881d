"""Social assistance records: what the emergency priority lists need beyond the registry
(a person bedridden, a device that needs power)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dpf.core.models import EffectiveDated, valid_interval_check
from dpf.registry.models import Household, Person


class PoweredDevice(models.TextChoices):
    NONE = "", _("无")
    OXYGEN = "oxygen", _("制氧机")
    VENTILATOR = "ventilator", _("呼吸机")
    DIALYSIS = "dialysis", _("家庭透析设备")
    SUCTION = "suction", _("吸痰器")
    POWERED_WHEELCHAIR = "powered_wheelchair", _("电动轮椅")
    OTHER = "other", _("其他用电设备")


class EmergencyNeed(models.Model):
    """What responders must know about one person in a disaster or an epidemic (应急需求):
    bedridden, a device that needs power. Kept by the village worker; one row per person."""

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="emergency_need", verbose_name=_("人员")
    )
    bedridden = models.BooleanField(_("卧床"), default=False)
    powered_device = models.CharField(
        _("需用电的设备"), max_length=20, choices=PoweredDevice.choices, blank=True, default=""
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    recorded_on = models.DateField(_("登记日期"))

    def __str__(self) -> str:
        return f"{self.person_id}"


# --- return-to-poverty risk monitoring (防返贫动态监测) -----------------------------------------


class RiskThreshold(EffectiveDated):
    """A dated number the risk rules name in braces (``{monitoring_line}``): the monitoring
    line and other thresholds the province or city sets each year. Intervals of one name
    never overlap."""

    name = models.SlugField(_("名称"), max_length=40)
    value = models.DecimalField(_("数值"), max_digits=12, decimal_places=2)
    label = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        constraints = [valid_interval_check("risk_threshold_valid_interval")]
        indexes = [models.Index(fields=["name", "valid_from"], name="risk_threshold_name_from")]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class RiskRule(EffectiveDated):
    """A risk rule (风险规则) in the rule language, in force over its dates; a ``{name}`` in
    the text is the threshold of that name in force on the scan's date."""

    code = models.SlugField(_("代码"), max_length=40)
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    text = models.TextField(_("规则"))

    class Meta:
        constraints = [valid_interval_check("risk_rule_valid_interval")]
        indexes = [models.Index(fields=["code", "valid_from"], name="risk_rule_code_from")]

    def __str__(self) -> str:
        return self.code


class RiskCaseStatus(models.TextChoices):
    OPEN = "open", _("待核实")
    MONITORED = "monitored", _("监测帮扶中")
    CLOSED = "closed", _("已销号")


class RiskCase(models.Model):
    """One alert of a risk rule for a household: a worker visits (核实), the household is
    monitored with measures taken (帮扶), and the case is closed when the risk is gone
    (风险消除) or was a false alarm. The household's ``monitored`` status follows it."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="risk_cases", verbose_name=_("家庭")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="risk_cases", verbose_name=_("人员")
    )
    rule_code = models.SlugField(_("风险规则"), max_length=40)
    rule_name = models.CharField(_("风险"), max_length=100)
    county_code = models.CharField(max_length=6, db_index=True)
    township_code = models.CharField(max_length=9, db_index=True)
    village_code = models.CharField(max_length=12, db_index=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=RiskCaseStatus.choices, default=RiskCaseStatus.OPEN
    )
    detected_on = models.DateField(_("预警日期"))
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="risk_cases",
        verbose_name=_("责任人"),
    )
    visited_on = models.DateField(_("走访日期"), null=True, blank=True)
    visit_note = models.TextField(_("走访情况"), blank=True)
    risk_confirmed = models.BooleanField(_("风险属实"), null=True)
    monitored_from = models.DateField(_("纳入监测日期"), null=True, blank=True)
    previous_status = models.CharField(max_length=12, blank=True)
    closed_on = models.DateField(_("销号日期"), null=True, blank=True)
    closing_note = models.TextField(_("销号说明"), blank=True)

    class Meta:
        constraints = [
            # One case in progress per household and rule: a second scan links, not doubles.
            models.UniqueConstraint(
                fields=["household", "rule_code"],
                condition=~models.Q(status="closed"),
                name="risk_case_one_open_per_rule",
            )
        ]
        indexes = [models.Index(fields=["county_code", "status"], name="risk_case_county_status")]

    def __str__(self) -> str:
        return f"{self.rule_code} {self.household_id}"


class MeasureKind(models.TextChoices):
    BENEFIT = "benefit", _("申请惠残待遇")
    EMPLOYMENT = "employment", _("就业帮扶")
    MEDICAL = "medical", _("医疗救助")
    EDUCATION = "education", _("教育资助")
    OTHER = "other", _("其他帮扶")


class RiskMeasure(models.Model):
    """A measure taken for a monitored household (帮扶措施); a benefit application made
    through the workflow is named by its number."""

    case = models.ForeignKey(RiskCase, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(_("措施"), max_length=12, choices=MeasureKind.choices)
    taken_on = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    application = models.ForeignKey(
        "workflow.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("申请"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    def __str__(self) -> str:
        return self.kind
