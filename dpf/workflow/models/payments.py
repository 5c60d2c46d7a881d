"""Entitlement history (events) and the monthly payment lists with their lines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dpf.core.fields import EncryptedTextField
from dpf.registry.models import Person


class EntitlementEvent(models.Model):
    """One change of an entitlement's status, effective ``on`` (append-only history).

    ``source`` says what caused it: ``application:ID``, ``work_item:ID`` (the scan's review
    queue) or ``user:ID``. A resumption creates a new entitlement; its event points back to
    the suspended one in ``previous``.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("批准享受")
        SUSPENDED = "suspended", _("暂停")
        RESUMED = "resumed", _("恢复")
        TERMINATED = "terminated", _("终止")

    class Reason(models.TextChoices):
        APPROVED = "approved", _("审批通过")
        CERTIFICATE_EXPIRED = "certificate_expired", _("残疾人证过期")
        NO_LONGER_ELIGIBLE = "not_eligible", _("不再符合条件")
        DEATH = "death", _("死亡")
        MOVED_AWAY = "moved_away", _("迁出")
        RESUMED = "resumed", _("恢复条件")
        OTHER = "other", _("其他")

    entitlement = models.ForeignKey(
        "benefits.Entitlement", on_delete=models.PROTECT, related_name="events"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    benefit = models.ForeignKey("benefits.BenefitItem", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("变动"), max_length=10, choices=Kind.choices)
    from_status = models.CharField(_("原状态"), max_length=10, blank=True)
    to_status = models.CharField(_("新状态"), max_length=10)
    on = models.DateField(_("生效日期"))
    reason_code = models.CharField(_("原因"), max_length=20, choices=Reason.choices)
    reason = models.CharField(_("说明"), max_length=300, blank=True)
    source = models.CharField(_("来源"), max_length=60)
    previous = models.ForeignKey(
        "benefits.Entitlement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("记录时间"))

    class Meta:
        ordering = ["on", "at", "id"]
        verbose_name = _("待遇变动")
        indexes = [
            models.Index(fields=["person", "benefit", "on"], name="entevent_person"),
        ]

    def __str__(self) -> str:
        return f"{self.entitlement_id} {self.kind} {self.on}"


class PaymentList(models.Model):
    """A county's monthly payment list (发放名册) of one benefit.

    Generated once per (county, benefit, month); frozen once approved (the service refuses
    every change, and lines of an approved list are only marked paid or failed from the
    bank's result file).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        APPROVED = "approved", _("已审核")
        EXPORTED = "exported", _("已导出")
        CLOSED = "closed", _("已结清")

    county_code = models.CharField(_("旗县区"), max_length=6)
    benefit = models.ForeignKey(
        "benefits.BenefitItem", on_delete=models.PROTECT, related_name="payment_lists"
    )
    month = models.DateField(_("发放月份"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    line_count = models.PositiveIntegerField(_("人数"), default=0)
    total_amount = models.DecimalField(
        _("合计金额（元）"), max_digits=14, decimal_places=2, default=0
    )
    total_arrears = models.DecimalField(
        _("其中补发（元）"), max_digits=14, decimal_places=2, default=0
    )
    total_deductions = models.DecimalField(
        _("其中扣减（元）"), max_digits=14, decimal_places=2, default=0
    )
    generated_at = models.DateTimeField(_("生成时间"))
    # None: drafted by the monthly schedule (workflow.payment_lists_draft), not an officer.
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    exported_at = models.DateTimeField(_("导出时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结清时间"), null=True, blank=True)

    class Meta:
        ordering = ["-month", "county_code", "benefit_id"]
        verbose_name = _("发放名册")
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "benefit", "month"], name="paymentlist_once_per_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county_code} {self.benefit_id} {self.month:%Y-%m}"


class PaymentLine(models.Model):
    """One person's payment in a list: the month's amount, arrears and deductions.

    ``month`` is the list's month: a person is paid for a month at most once (unique on
    person, benefit and month, and on entitlement and month). Arrears (补发) are the months
    from the start of a late-approved entitlement to the list's month, deductions (扣减)
    recover months already paid that a later (back-dated) suspension or termination
    removed; both are listed month by month in ``PaymentMonth``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待发放")
        PAID = "paid", _("已发放")
        FAILED = "failed", _("发放失败")

    payment_list = models.ForeignKey(PaymentList, on_delete=models.CASCADE, related_name="lines")
    entitlement = models.ForeignKey(
        "benefits.Entitlement", on_delete=models.PROTECT, related_name="payment_lines"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="payment_lines")
    benefit = models.ForeignKey("benefits.BenefitItem", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("发放月份"))
    county_code = models.CharField(_("旗县区"), max_length=6)
    township_code = models.CharField(_("苏木乡镇"), max_length=9)
    village_code = models.CharField(_("嘎查村社区"), max_length=12)
    amount = models.DecimalField(_("当月金额"), max_digits=10, decimal_places=2)
    arrears_months = models.PositiveSmallIntegerField(_("补发月数"), default=0)
    arrears_amount = models.DecimalField(_("补发金额"), max_digits=10, decimal_places=2, default=0)
    deduction_months = models.PositiveSmallIntegerField(_("扣减月数"), default=0)
    deduction_amount = models.DecimalField(
        _("扣减金额"), max_digits=10, decimal_places=2, default=0
    )
    net_amount = models.DecimalField(_("实发金额"), max_digits=10, decimal_places=2)
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    account_holder = models.CharField(_("户名"), max_length=50, blank=True)
    bank_account = EncryptedTextField(_("银行账号"), blank=True)
    bank_account_masked = models.CharField(_("银行账号"), max_length=30, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    result_at = models.DateTimeField(_("结果时间"), null=True, blank=True)

    class Meta:
        ordering = ["payment_list_id", "township_code", "village_code", "id"]
        verbose_name = _("发放明细")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "benefit", "month"], name="paymentline_person_month_once"
            ),
            models.UniqueConstraint(
                fields=["entitlement", "month"], name="paymentline_entitlement_month_once"
            ),
            # what a month's (line, person, benefit) refers to on PostgreSQL (PaymentMonth)
            models.UniqueConstraint(
                fields=["id", "person", "benefit"], name="paymentline_id_person_benefit"
            ),
            # net = amount + arrears - deductions is kept by the service: SQLite stores
            # decimals as floating point, so an equality check there could misfire.
            models.CheckConstraint(condition=Q(net_amount__gte=0), name="paymentline_net_amount"),
        ]
        indexes = [
            models.Index(fields=["payment_list", "township_code"], name="paymentline_township"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_list_id} {self.person_id} {self.month:%Y-%m}"


class PaymentMonth(models.Model):
    """The ledger of paid person-months: every month a line pays (its own and arrears).

    Unique on (person, benefit, month): an arrears month can never be paid again by another
    line. A month later found to be overpaid (its entitlement was suspended or terminated
    back to before it) is recovered by a later line: ``recovered_by``.
    """

    class Kind(models.TextChoices):
        REGULAR = "regular", _("当月")
        ARREARS = "arrears", _("补发")

    # The month's person and benefit are its line's (copied for the "paid once" constraint
    # below). On PostgreSQL one foreign key checks all three: (line, person, benefit) must
    # be a line's (id, person, benefit) — workflow migration 0007 — so a month can never
    # name another person than its line; a month's row costs one check instead of three,
    # which was most of a month's payment lists at commit (docs/benchmarks.md). SQLite
    # checks the line; the payments service writes the line's person and benefit.
    line = models.ForeignKey(PaymentLine, on_delete=models.CASCADE, related_name="months")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    benefit = models.ForeignKey(
        "benefits.BenefitItem", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    month = models.DateField(_("月份"))
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    amount = models.DecimalField(_("金额"), max_digits=10, decimal_places=2)
    recovered_by = models.ForeignKey(
        PaymentLine,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recovered_months",
    )

    class Meta:
        ordering = ["month"]
        verbose_name = _("已发放月份")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "benefit", "month"], name="paymentmonth_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.benefit_id} {self.month:%Y-%m}"
