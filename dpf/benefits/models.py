"""The benefit catalogue (惠残事项), rule and amount-standard versions, entitlements, and the
proactive scan with the worker's queue it fills.

Rules and standards are effective-dated data (inclusive ``valid_from``/``valid_to``); a
county widens a rule with a ``widen`` version that is OR-ed with the base rule for its
residents. Versions of one (benefit, region, mode) never overlap: the service refuses on
every database, an exclusion constraint guards PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dpf.core.i18n import localised
from dpf.core.models import EffectiveDated, valid_interval_check
from dpf.registry.models import Person


class BenefitItem(models.Model):
    """One item of the catalogue (惠残事项), e.g. 困难残疾人生活补贴."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150)
    legal_basis = models.CharField(_("政策依据"), max_length=300, blank=True)
    department = models.CharField(_("审批部门"), max_length=100, blank=True)
    description = models.TextField(_("说明"), blank=True)
    description_en = models.TextField(_("英文说明"), blank=True)
    one_thing_bundle = models.BooleanField(_("纳入“一件事”"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("惠残事项")

    def __str__(self) -> str:
        return self.name_zh

    @property
    def name(self) -> str:
        """The name in the language of the request (English when asked and present)."""
        return localised(self.name_zh, self.name_en)

    @property
    def localised_description(self) -> str:
        """The description in the language of the request (the Chinese one when the item
        has no English text, as a city's own item may not)."""
        return localised(self.description, self.description_en)


class RuleMode(models.TextChoices):
    BASE = "base", _("基本规则")
    WIDEN = "widen", _("地区放宽")


class RuleVersion(EffectiveDated):
    """A version of a benefit's eligibility rule (rule-language text) over a date range.

    ``region_code`` blank with mode ``base``: the rule for all of Chifeng (the national
    default). Mode ``widen`` with a county code: a widening OR-ed with the base rule for that
    county's residents. ``recorded_at`` is when it was published.
    """

    benefit = models.ForeignKey(BenefitItem, on_delete=models.CASCADE, related_name="rules")
    region_code = models.CharField(_("适用地区"), max_length=6, blank=True, default="")
    mode = models.CharField(_("方式"), max_length=5, choices=RuleMode.choices)
    text = models.TextField(_("规则"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["benefit", "mode", "region_code", "valid_from"]
        verbose_name = _("规则版本")
        constraints = [
            valid_interval_check("ruleversion_valid_interval"),
            models.CheckConstraint(
                condition=(Q(mode="base") & Q(region_code=""))
                | (Q(mode="widen") & ~Q(region_code="")),
                name="ruleversion_mode_region",
            ),
        ]
        indexes = [
            models.Index(fields=["benefit", "mode", "region_code", "valid_from"], name="rule_key")
        ]

    def __str__(self) -> str:
        return f"{self.benefit_id} {self.mode} {self.region_code or '*'} {self.valid_from}"


class AmountStandard(EffectiveDated):
    """A monthly amount for a benefit by region, certificate level and date.

    ``region_code`` blank = all of Chifeng; ``level`` null = any level. The most specific
    standard in force applies (county and level, county, level, city-wide). Inner Mongolia's
    and Chifeng's real amounts were not found: shipped values are ``illustrative`` and every
    screen that shows one says so (示例金额).
    """

    benefit = models.ForeignKey(BenefitItem, on_delete=models.CASCADE, related_name="standards")
    region_code = models.CharField(_("适用地区"), max_length=6, blank=True, default="")
    level = models.PositiveSmallIntegerField(_("残疾等级"), null=True, blank=True)
    monthly_amount = models.DecimalField(_("月标准（元）"), max_digits=10, decimal_places=2)
    illustrative = models.BooleanField(_("示例金额"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["benefit", "region_code", "level", "valid_from"]
        verbose_name = _("补贴标准")
        constraints = [
            valid_interval_check("amountstandard_valid_interval"),
            models.CheckConstraint(
                condition=Q(monthly_amount__gte=0), name="amountstandard_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(level__gte=1, level__lte=4),
                name="amountstandard_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.benefit_id} {self.region_code or '*'} {self.level or '*'} {self.valid_from}"


class EntitlementStatus(models.TextChoices):
    ACTIVE = "active", _("享受中")
    SUSPENDED = "suspended", _("暂停")
    TERMINATED = "terminated", _("终止")


class Entitlement(EffectiveDated):
    """One period over which a person receives a benefit: ``[valid_from, valid_to]`` are the
    days it is in force, whatever happens later.

    ``status`` says how the period stands after its last day and never reaches back into
    it: ``active`` (open, or a fixed end), ``suspended`` or ``terminated`` from
    ``valid_to + 1``. A suspension or termination closes the period (the day before it takes
    effect); a resumption opens a new one. So ``receiving("code")`` in a rule, the
    indicators and the payment lists read only the dates, and a figure computed for a past
    date stays the same after later events (issue 15 part 4). Periods of one person and
    benefit never overlap (the service; an exclusion constraint on PostgreSQL).

    ``monthly_amount`` is, by default, the standard in force on ``valid_from`` (shown on
    the pages; the payment lists pay the standard in force each month). With
    ``amount_fixed`` it is an amount decided for this period (a care placement's monthly
    subsidy, 托养补贴): the payment lists pay it as it is, whatever the standards say.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="entitlements")
    benefit = models.ForeignKey(BenefitItem, on_delete=models.PROTECT, related_name="entitlements")
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=EntitlementStatus.choices,
        default=EntitlementStatus.ACTIVE,
    )
    monthly_amount = models.DecimalField(
        _("月金额（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    amount_fixed = models.BooleanField(_("按核定金额发放"), default=False)
    status_reason = models.CharField(_("状态原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待遇享受")
        constraints = [
            valid_interval_check("entitlement_valid_interval"),
            models.CheckConstraint(
                condition=Q(monthly_amount__isnull=True) | Q(monthly_amount__gte=0),
                name="entitlement_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status=EntitlementStatus.ACTIVE) | Q(valid_to__isnull=False),
                name="entitlement_ended_has_last_day",
            ),
            models.CheckConstraint(
                condition=Q(amount_fixed=False) | Q(monthly_amount__isnull=False),
                name="entitlement_fixed_amount_given",
            ),
        ]
        indexes = [
            models.Index(fields=["benefit", "status", "person"], name="entitlement_benefit"),
            models.Index(fields=["person", "benefit"], name="entitlement_person"),
        ]

    def __str__(self) -> str:
        return f"{self.benefit_id} {self.status} {self.valid_from}"

    def status_on(self, day: dt.date) -> str | None:
        """The status on ``day``: active within the period, its end status after it (None
        before it starts, or after a fixed end)."""
        if day < self.valid_from:
            return None
        if self.valid_to is None or day <= self.valid_to:
            return EntitlementStatus.ACTIVE
        return None if self.status == EntitlementStatus.ACTIVE else self.status


class ScanStatus(models.TextChoices):
    RUNNING = "running", _("运行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ScanRun(models.Model):
    """One run of the proactive scan (主动发现): per-benefit counts and progress.

    ``counts`` maps a benefit code to ``{eligible, receiving, covered, proposed, to_review,
    withdrawn}``; a benefit present there is finished (each one commits on its own), so a run
    that died is continued by the next one with the same date and mode.
    """

    class Mode(models.TextChoices):
        FULL = "full", _("全量")
        INCREMENTAL = "incremental", _("增量")

    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    as_of = models.DateField(_("评估日期"))
    benefit_codes = models.JSONField(_("惠残事项"), default=list)
    mode = models.CharField(_("方式"), max_length=12, choices=Mode.choices, default=Mode.FULL)
    since = models.DateTimeField(_("增量起点"), null=True, blank=True)
    counts = models.JSONField(_("统计"), default=dict)
    status = models.CharField(
        _("状态"), max_length=10, choices=ScanStatus.choices, default=ScanStatus.RUNNING
    )
    progress = models.CharField(_("进度"), max_length=100, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    actor_name = models.CharField(_("执行人"), max_length=150, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("主动发现扫描")

    def __str__(self) -> str:
        return f"{self.as_of} {self.mode} {self.status}"


class WorkItemKind(models.TextChoices):
    PROPOSAL = "proposal", _("主动发现（应享未享）")
    REVIEW = "review", _("复核（享受中但已不符合）")


class WorkItemStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    DONE = "done", _("已处理")
    DISMISSED = "dismissed", _("不予处理")
    OBSOLETE = "obsolete", _("已失效")


class WorkItem(models.Model):
    """An item of the worker's queue written by the scan.

    A ``proposal``: eligible, not receiving (主动发现). A ``review``: receiving, no longer
    eligible (certificate expired, death …). The region codes are copied from the person so
    queues are scoped and grouped without a join. ``explanation`` is computed when a worker
    first opens the item, not by the scan (that would evaluate people one by one).
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="work_items")
    # Indexed by "workitem_benefit" (benefit first); the scan inserts hundreds of thousands
    # of rows, so no index that no query needs.
    benefit = models.ForeignKey(
        BenefitItem, on_delete=models.CASCADE, related_name="work_items", db_index=False
    )
    kind = models.CharField(_("类型"), max_length=10, choices=WorkItemKind.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=WorkItemStatus.choices, default=WorkItemStatus.OPEN
    )
    scan_run = models.ForeignKey(
        ScanRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    as_of = models.DateField(_("评估日期"))
    county_code = models.CharField(_("旗县区"), max_length=6)
    township_code = models.CharField(_("苏木乡镇"), max_length=9)
    village_code = models.CharField(_("嘎查村社区"), max_length=12)
    explanation = models.JSONField(_("依据"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    closed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    note = models.CharField(_("处理说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("待办事项")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "benefit", "kind"],
                condition=Q(status="open"),
                name="workitem_one_open",
            )
        ]
        indexes = [
            models.Index(fields=["status", "county_code", "township_code"], name="workitem_queue"),
            models.Index(fields=["benefit", "kind", "status"], name="workitem_benefit"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.benefit_id} {self.status}"


class ScanEligible(models.Model):
    """Scratch set of the persons eligible for the benefit being scanned: a TEMP table the
    scan fills with one evaluation of the rule and then joins against (never migrated, one
    per database connection, emptied for each benefit)."""

    person = models.OneToOneField(
        Person, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    class Meta:
        managed = False
        db_table = "benefits_scan_eligible"

    def __str__(self) -> str:
        return str(self.person_id)
