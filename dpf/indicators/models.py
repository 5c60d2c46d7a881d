"""Plans, indicators, targets, hand-entered values and computed snapshots.

A plan and its indicators are data (the 14th plan ships as a file; a 15th is added by a
city admin without a release). Dashboards read ``Snapshot`` rows only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dpf.core.i18n import localised


class Plan(models.Model):
    """A five-year plan for disability affairs (e.g. 赤峰市“十四五”残疾人事业发展规划)."""

    code = models.CharField(_("代码"), max_length=20, unique=True)
    name_zh = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200)
    start = models.DateField(_("起始日期"))
    end = models.DateField(_("截止日期"))
    mid_term = models.DateField(_("中期评估日期"), null=True, blank=True)
    source = models.CharField(_("依据"), max_length=300, blank=True)
    # A plan uploaded from the page is a draft (NULL) until the city admin publishes it: until
    # then every page opens on the newest published plan, and only those who may change
    # plans can open the draft by its code.
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发布人"),
    )

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="plan_period"
            )
        ]

    def __str__(self) -> str:
        return self.name_zh

    @property
    def name(self) -> str:
        """The name in the language of the request (English when asked and present)."""
        return localised(self.name_zh, self.name_en)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Comparison(models.TextChoices):
    GE = ">=", "≥"
    GT = ">", ">"
    EQ = "=", "="
    LE = "<=", "≤"


class IndicatorKind(models.TextChoices):
    EXPECTED = "expected", _("预期性")
    BINDING = "binding", _("约束性")


# The units the plans use (data), with their words in the other language.
UNIT_LABELS = {
    "个": _("个"),
    "人": _("人"),
    "人次": _("人次"),
    "家": _("家"),
    "户": _("户"),
    "支": _("支"),
}


class Indicator(models.Model):
    """An indicator of a plan: a ratio or a count defined over the registry, or hand-entered.

    ``numerator`` and ``denominator`` are specs (see ``dpf.indicators.specs``): a count of
    persons matching a rule, of persons eligible for / receiving a benefit, of records of a
    kind, or a hand-entered value. ``denominator`` empty means the value is the count itself.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("代码"), max_length=20)
    name_zh = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200)
    unit = models.CharField(_("单位"), max_length=20)
    kind = models.CharField(_("属性"), max_length=10, choices=IndicatorKind.choices)
    comparison = models.CharField(_("比较"), max_length=2, choices=Comparison.choices)
    target = models.DecimalField(_("目标值"), max_digits=14, decimal_places=2)
    numerator = models.JSONField(_("分子"))
    denominator = models.JSONField(_("分母"), default=dict, blank=True)
    scale = models.DecimalField(_("倍数"), max_digits=6, decimal_places=2, default=1)
    cumulative = models.BooleanField(
        _("期内累计"),
        default=False,
        help_text=_("计数从规划起始日累计 / counted since the plan start"),
    )
    main = models.BooleanField(_("主要指标"), default=False)
    section = models.CharField(_("规划章节"), max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    min_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["plan", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="indicator_code_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def name(self) -> str:
        """The name in the language of the request (English when asked and present)."""
        return localised(self.name_zh, self.name_en)

    @property
    def unit_label(self) -> str:
        """The unit as a page shows it, in the request's language (人次: person-times)."""
        label = UNIT_LABELS.get(self.unit)
        return str(label) if label is not None else self.unit

    @property
    def is_manual(self) -> bool:
        return bool(self.numerator.get("manual"))

    @property
    def numerator_lists_persons(self) -> bool:
        """Can the drill-down list the persons behind the numerator (a rule, a benefit, or
        records whose app says which persons they count)?"""
        from dpf.indicators.specs import person_q_available

        return person_q_available(self.numerator)


class RegionTarget(models.Model):
    """A county's own target for an indicator (``region_targets`` in the plan file). A count
    (an indicator without a denominator, such as 3,700 renovated homes) is the city's sum:
    a county without its own target shows its figure without a status (``NO_TARGET``);
    a rate without one is measured against the city's target."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="region_targets"
    )
    region_code = models.CharField(max_length=12)
    target = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "region_code"], name="region_target_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.region_code}"


class ManualValue(models.Model):
    """A hand-entered statistic (e.g. income growth from the statistics office).

    Corrections never overwrite: a new row supersedes the old one, which keeps
    ``superseded_at``; the value in force is the row with ``superseded_at`` NULL.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="manual_values")
    region_code = models.CharField(_("地区"), max_length=12)
    year = models.PositiveSmallIntegerField(_("年度"))
    value = models.DecimalField(_("数值"), max_digits=14, decimal_places=2)
    reference = models.DecimalField(
        _("参照值"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("如同期GDP增速 / e.g. GDP growth of the same year"),
    )
    source = models.CharField(_("数据来源"), max_length=200)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    entered_at = models.DateTimeField(auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["indicator", "region_code", "year", "-entered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "region_code", "year"],
                condition=models.Q(superseded_at__isnull=True),
                name="manual_value_one_current",
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.region_code} {self.year}"


class Status(models.TextChoices):
    ACHIEVED = "achieved", _("已达成")
    ON_TRACK = "on_track", _("进度正常")
    AT_RISK = "at_risk", _("存在风险")
    NOT_ACHIEVED = "not_achieved", _("未达成")
    NO_DATA = "no_data", _("暂无数据")
    NO_TARGET = "no_target", _("未设目标")


class SnapshotRun(models.Model):
    as_of = models.DateField()
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Data quality per region code: persons, surveyed this year, stale records, certificates
    # expiring within 90 days (computed with the snapshot, shown beside the numbers).
    quality = models.JSONField(default=dict)
    # Maintained (the newest run of its plan): each person's contribution is kept
    # (``Contribution``), and changes to persons are applied to the figures as they commit
    # (``dpf.indicators.refresh``). The persons changed after ``maintained_since`` are not
    # applied yet; NULL: not maintained. ``contribution_keys`` names the bits of a
    # contribution's mask ("n<indicator id>", "d<indicator id>"), in bit order.
    maintained_since = models.DateTimeField(null=True, blank=True)
    contribution_keys = models.JSONField(default=list, blank=True)
    # Not stored: on the run ``refresh.roll_forward`` returns, how many persons it evaluated
    # again (the benchmark reports it).
    evaluated: int | None = None

    def __str__(self) -> str:
        return f"{self.plan.code} {self.as_of}"


class Contribution(models.Model):
    """What one person adds to a maintained run's person-based counts: bit ``i`` of ``mask``
    set when the person is counted in ``run.contribution_keys[i]``, in ``township_code`` (the
    person's current township when the run was computed or last refreshed). Only persons
    counted somewhere have a row. Written set-based by the snapshot; replaced for the
    changed persons by the refresh, which applies the difference to the figures."""

    run = models.ForeignKey(SnapshotRun, on_delete=models.CASCADE, related_name="+")
    person_id = models.BigIntegerField()
    township_code = models.CharField(max_length=12)
    mask = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "person_id"], name="contribution_unique")
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.person_id}"


class Snapshot(models.Model):
    """One indicator's value for one region as of one date (precomputed for dashboards)."""

    run = models.ForeignKey(SnapshotRun, on_delete=models.CASCADE, related_name="snapshots")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="snapshots")
    as_of = models.DateField(db_index=True)
    region_code = models.CharField(max_length=12)
    region_level = models.CharField(max_length=10)
    numerator = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    denominator = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    value = models.DecimalField(max_digits=14, decimal_places=4, null=True)
    reference = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    # NULL: a count in a region without its own target (status ``no_target``).
    target = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    status = models.CharField(max_length=15, choices=Status.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "as_of", "region_code"], name="snapshot_unique"
            )
        ]
        indexes = [models.Index(fields=["as_of", "region_code"], name="snapshot_asof_region")]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.region_code} {self.as_of}"


class EvaluationReport(models.Model):
    """The officers' written analysis of an evaluation (中期/终期评估) as of a date."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reports")
    as_of = models.DateField(_("评估基准日"))
    title = models.CharField(_("标题"), max_length=200)
    analysis = models.TextField(_("分析"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "as_of"], name="report_one_per_date")
        ]

    def __str__(self) -> str:
        return self.title
