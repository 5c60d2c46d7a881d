"""Applications (one form for one or several benefits), their documents, the configurable
steps of each benefit's procedure and every transition between them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dpf.core.fields import EncryptedTextField
from dpf.core.models import EffectiveDated, valid_interval_check
from dpf.core.workdays import calendar_known
from dpf.registry.models import Person

ANY_BENEFIT = "*"


class ApplicantKind(models.TextChoices):
    SELF = "self", _("本人申请")
    GUARDIAN = "guardian", _("监护人代为申请")
    WORKER = "worker", _("工作人员帮办代办")
    PROPOSAL = "proposal", _("主动发现（免申即享）")


class Channel(models.TextChoices):
    WINDOW = "window", _("窗口受理")
    ONLINE = "online", _("网上申请")
    PHONE = "phone", _("电话申请")
    HOME_VISIT = "home_visit", _("上门办理")
    PROACTIVE = "proactive", _("主动发现")


class ApplicationStatus(models.TextChoices):
    PROPOSED = "proposed", _("待确认（主动发现）")
    SUBMITTED = "submitted", _("办理中")
    DECIDED = "decided", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤回")


class ProcedureStep(models.Model):
    """One step of a benefit's procedure (data, not code: a city admin may change them).

    ``benefit_code`` ``*`` is the default procedure of every benefit without its own.
    ``kind`` ``normal`` steps run in ``order``; the ``proposed`` step opens a proactive
    proposal and the ``appeal`` step is entered only by an appeal. ``deadline_days`` counts
    working days from the day the step starts (blank: no deadline). The last normal step's
    approval creates the entitlement.
    """

    class Kind(models.TextChoices):
        NORMAL = "normal", _("办理环节")
        PROPOSED = "proposed", _("主动发现确认")
        APPEAL = "appeal", _("申诉复核")

    benefit_code = models.CharField(_("惠残事项"), max_length=40)
    order = models.PositiveSmallIntegerField(_("顺序"))
    code = models.SlugField(_("环节代码"), max_length=40)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.NORMAL)
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150)
    role = models.CharField(_("办理角色"), max_length=30)
    acting_for = models.CharField(
        _("代为办理的部门"),
        max_length=100,
        blank=True,
        help_text=_("由本角色代表其他部门办理时填写（如代民政部门审批）"),
    )
    deadline_days = models.PositiveSmallIntegerField(_("时限（工作日）"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["benefit_code", "order"]
        verbose_name = _("办理环节")
        constraints = [
            models.UniqueConstraint(fields=["benefit_code", "code"], name="step_code_unique"),
            models.UniqueConstraint(fields=["benefit_code", "order"], name="step_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.benefit_code}:{self.code}"


class Application(models.Model):
    """One application (申请), possibly for several benefits at once (the "one thing" bundle).

    The region codes are copied from the person when the application is made, so queues are
    scoped without a join. ``application_date`` is the day the person applied (for a
    proactive proposal: the day they consented); entitlements start on the first day of its
    month.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="applications")
    applicant_kind = models.CharField(_("申请方式"), max_length=10, choices=ApplicantKind.choices)
    applicant_name = models.CharField(_("申请人（代办人）姓名"), max_length=50, blank=True)
    applicant_relation = models.CharField(_("与本人关系"), max_length=20, blank=True)
    channel = models.CharField(_("受理渠道"), max_length=12, choices=Channel.choices)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
    )
    county_code = models.CharField(_("旗县区"), max_length=6)
    township_code = models.CharField(_("苏木乡镇"), max_length=9)
    village_code = models.CharField(_("嘎查村社区"), max_length=12)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    application_date = models.DateField(_("申请日期"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdraw_reason = models.CharField(_("撤回原因"), max_length=300, blank=True)
    # Proactive proposals (免申即享): the scan's queue item and what the worker confirmed.
    work_item = models.ForeignKey(
        "benefits.WorkItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="applications",
    )
    identity_confirmed_at = models.DateTimeField(_("身份核实时间"), null=True, blank=True)
    consent_at = models.DateTimeField(_("本人同意时间"), null=True, blank=True)
    consent_method = models.CharField(_("同意方式"), max_length=20, blank=True)
    consent_note = models.CharField(_("同意情况说明"), max_length=300, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("申请")
        indexes = [
            models.Index(fields=["county_code", "township_code"], name="application_region"),
            models.Index(fields=["person", "created_at"], name="application_person"),
        ]

    def __str__(self) -> str:
        return f"{_('申请')} {self.pk}"


class ItemStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("办理中")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("不予批准")
    WITHDRAWN = "withdrawn", _("已撤回")


class ApplicationItem(models.Model):
    """One benefit of an application, moving through that benefit's steps on its own.

    ``round`` counts passes through the procedure: an appeal starts round 2, so the same
    step can be decided once per round (the unique constraint on ``Transition``).
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="items")
    benefit = models.ForeignKey(
        "benefits.BenefitItem", on_delete=models.PROTECT, related_name="application_items"
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=ItemStatus.choices, default=ItemStatus.IN_PROGRESS
    )
    step_code = models.CharField(_("当前环节"), max_length=40, blank=True)
    step_role = models.CharField(_("办理角色"), max_length=30, blank=True)
    step_started_on = models.DateField(_("环节开始日期"), null=True, blank=True)
    step_due_on = models.DateField(_("环节办理期限"), null=True, blank=True)
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    rejected_step = models.CharField(_("不予批准的环节"), max_length=40, blank=True)
    decision_reason = models.CharField(_("决定理由"), max_length=500, blank=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    entitlement = models.OneToOneField(
        "benefits.Entitlement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="application_item",
    )
    # Copied from the application so queues filter one table.
    county_code = models.CharField(max_length=6)
    township_code = models.CharField(max_length=9)
    village_code = models.CharField(max_length=12)

    class Meta:
        ordering = ["application_id", "benefit_id"]
        verbose_name = _("申请事项")
        constraints = [
            models.UniqueConstraint(fields=["application", "benefit"], name="item_one_benefit"),
        ]
        indexes = [
            models.Index(
                fields=["status", "step_role", "county_code", "township_code"], name="item_queue"
            ),
            models.Index(fields=["status", "step_due_on"], name="item_due"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.benefit_id} {self.status}"

    @property
    def due_without_holidays(self) -> bool:
        """The deadline runs through a year whose holiday calendar is not loaded (shipped to
        2026; ``dpf calendar load``): it was counted Monday to Friday, and the pages say so
        rather than show it as exact. One query per year, cached."""
        if self.step_due_on is None:
            return False
        first = (self.step_started_on or self.step_due_on).year
        return not all(calendar_known(y) for y in range(first, self.step_due_on.year + 1))


class Transition(models.Model):
    """Who moved an item out of a step, when and why (append-only history).

    One transition per (item, step, round): two officers deciding the same step at once
    produce one row; the second insert fails and is reported as "already handled".
    ``from_step`` is blank for the submission that puts the item in its first step.
    """

    class Action(models.TextChoices):
        SUBMIT = "submit", _("提交")
        CONFIRM = "confirm", _("确认主动发现")
        ADVANCE = "advance", _("通过，转下一环节")
        APPROVE = "approve", _("批准")
        REJECT = "reject", _("不予批准")
        WITHDRAW = "withdraw", _("撤回")
        APPEAL = "appeal", _("申诉")
        UPHOLD = "uphold", _("维持原决定")
        OVERTURN = "overturn", _("撤销原决定，继续办理")

    item = models.ForeignKey(ApplicationItem, on_delete=models.CASCADE, related_name="transitions")
    round = models.PositiveSmallIntegerField(_("轮次"))
    from_step = models.CharField(_("原环节"), max_length=40, blank=True)
    to_step = models.CharField(_("新环节"), max_length=40, blank=True)
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(_("角色"), max_length=30)
    at = models.DateTimeField(_("时间"))
    on_date = models.DateField(_("日期"))
    reason = models.CharField(_("理由"), max_length=500, blank=True)
    overdue_days = models.PositiveSmallIntegerField(_("超期工作日"), default=0)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("办理记录")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "from_step", "round"], name="transition_once_per_step"
            ),
            models.CheckConstraint(
                condition=~Q(action__in=["reject", "uphold"]) | ~Q(reason=""),
                name="transition_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.from_step}->{self.to_step} {self.action}"


class Document(models.Model):
    """An uploaded document (PDF, JPEG or PNG, type checked by content) of an application.

    The file lives under ``MEDIA_ROOT/documents`` with a random name and is served only by a
    scoped, audited view. ``original_name`` is kept for display only.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    doc_type = models.CharField(_("材料类型"), max_length=30)
    original_name = models.CharField(_("原文件名"), max_length=200)
    stored_name = models.CharField(max_length=80, unique=True)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("申请材料")

    def __str__(self) -> str:
        return f"{self.doc_type} {self.pk}"


class PayeeAccount(EffectiveDated):
    """The bank account an allowance is paid to (发放账户).

    Every new or changed account is recorded ``pending``, whoever records it (the person
    online, a worker at the window or on a home visit), and is paid to only once an officer
    other than the one who recorded it has verified it against the person; until then the
    current verified account keeps being paid. For a verified account ``valid_from`` and
    ``valid_to`` are the period paid to it: verified periods never overlap (an exclusion
    constraint on PostgreSQL) and one is open at a time. A pending request's ``valid_from``
    is the day it was made; a rejected or superseded one is closed on the day it ended.
    The number is encrypted at rest and shown masked; payment lines copy it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待核实")
        VERIFIED = "verified", _("已核实")
        REJECTED = "rejected", _("核实未通过")
        SUPERSEDED = "superseded", _("已被新的变更取代")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="payee_accounts")
    bank_name = models.CharField(_("开户银行"), max_length=100)
    account_holder = models.CharField(_("户名"), max_length=50)
    account_number = EncryptedTextField(_("银行账号"))
    account_masked = models.CharField(_("银行账号"), max_length=30)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("核实状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    decision_note = models.CharField(_("核实说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("发放账户")
        constraints = [
            valid_interval_check("payee_valid_interval"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "verified", "rejected", "superseded"]),
                name="payee_status_known",
            ),
            # A request waiting for an officer is open and undecided ...
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(valid_to__isnull=True, decided_at__isnull=True),
                name="payee_pending_undecided",
            ),
            # ... a verified or rejected one says when it was decided, a rejection why.
            models.CheckConstraint(
                condition=~Q(status__in=["verified", "rejected"]) | Q(decided_at__isnull=False),
                name="payee_decided_when",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(decision_note=""),
                name="payee_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["rejected", "superseded"]) | Q(valid_to__isnull=False),
                name="payee_ended_is_closed",
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(valid_to__isnull=True, status="verified"),
                name="payee_one_current",
            ),
            models.UniqueConstraint(
                fields=["person"], condition=Q(status="pending"), name="payee_one_pending"
            ),
        ]
        indexes = [models.Index(fields=["status", "person"], name="payee_status")]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.account_masked}"
