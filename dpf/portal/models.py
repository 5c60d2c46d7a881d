"""The portal's tables: QR signing keys, citizen accounts and their verification codes,
rate-limit counters, complaints and home-visit requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dpf.core.fields import EncryptedTextField


class SigningKey(models.Model):
    """An Ed25519 key pair. The private key is encrypted at rest; the public key is published.

    One key is current. A retired key no longer signs but keeps verifying the codes it
    signed until ``verify_until`` (the longest lifetime of a code), then it is dropped.
    """

    kid = models.PositiveSmallIntegerField(_("密钥编号"), unique=True)
    public_key = models.CharField(max_length=64)  # raw 32 bytes, hex
    private_key = EncryptedTextField()  # raw 32 bytes, hex, encrypted
    created_at = models.DateTimeField(auto_now_add=True)
    current = models.BooleanField(default=False)
    retired_at = models.DateTimeField(null=True, blank=True)
    verify_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kid"]
        constraints = [
            models.UniqueConstraint(
                fields=["current"], condition=models.Q(current=True), name="one_current_signing_key"
            )
        ]

    def __str__(self) -> str:
        return f"key {self.kid}"


class CitizenAccount(models.Model):
    """A citizen's portal account (残疾人及亲属): one user, one person of the registry.

    A guardian's account is their own person's: the dependants they act for come from the
    registry's current ``GuardianLink`` rows, never from this table.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="citizen_account"
    )
    person = models.OneToOneField(
        "registry.Person", on_delete=models.PROTECT, related_name="citizen_account"
    )
    phone = EncryptedTextField(_("手机号码"), blank=True)
    phone_masked = models.CharField(_("手机号码"), max_length=20, blank=True)
    verified_at = models.DateTimeField(_("手机验证时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("开通时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("群众账号")

    def __str__(self) -> str:
        return f"citizen account {self.pk}"


class VerificationCode(models.Model):
    """A six-digit code sent to a phone to prove a registration (stored as a keyed hash).

    It expires after ``CODE_MINUTES`` and allows ``CODE_ATTEMPTS`` tries; the person it
    was sent for is kept so that the code cannot be used for somebody else.
    """

    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    phone = EncryptedTextField()
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "created_at"], name="vcode_person")]

    def __str__(self) -> str:
        return f"code {self.pk}"


class RateEvent(models.Model):
    """One counted attempt (registration, code sent) under a keyed hash of its key (an ID
    number or a client address): limits hold across processes and restarts."""

    kind = models.CharField(max_length=30)
    key_hash = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["kind", "key_hash", "at"], name="rate_kind_key_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class RequestKind(models.TextChoices):
    COMPLAINT = "complaint", _("投诉")
    HOME_VISIT = "home_visit", _("申请上门服务")
    OTHER = "other", _("其他诉求")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    IN_PROGRESS = "in_progress", _("处理中")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")


class Escalation(models.TextChoices):
    """How far an overdue request has been escalated (the daily escalation job)."""

    NONE = "", _("未升级")
    COUNTY = "county", _("已升级至旗县区")
    CITY = "city", _("已升级至市")


class RequestChannel(models.TextChoices):
    """Where a request came in: the portal, the window, or the 12385 hotline."""

    PORTAL = "portal", _("网上（群众端）")
    WINDOW = "window", _("窗口")
    HOTLINE = "hotline", _("12385热线")


class RequestCategory(models.TextChoices):
    BENEFITS = "benefits", _("补贴和待遇")
    SERVICES = "services", _("康复和服务")
    EMPLOYMENT = "employment", _("就业")
    RIGHTS = "rights", _("权益保障")
    ACCESSIBILITY = "accessibility", _("无障碍")
    OTHER = "other", _("其他")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")
    UNREACHABLE = "unreachable", _("回访未联系上")


class ContactPreference(models.TextChoices):
    PHONE = "phone", _("电话联系")
    SMS = "sms", _("短信")
    VISIT = "visit", _("上门")
    PORTAL = "portal", _("只在网上答复")


class CitizenRequest(models.Model):
    """A complaint, a request for a home visit or another request from the portal.

    The region codes are the person's when it was made: the township officers of that
    township and the county officers of that county see it in their queue.
    """

    kind = models.CharField(_("类型"), max_length=12, choices=RequestKind.choices)
    text = models.TextField(_("内容"), max_length=2000)
    contact_preference = models.CharField(
        _("联系方式"), max_length=10, choices=ContactPreference.choices
    )
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="citizen_requests"
    )
    county_code = models.CharField(_("旗县区"), max_length=6)
    township_code = models.CharField(_("苏木乡镇"), max_length=9)
    village_code = models.CharField(_("嘎查村社区"), max_length=12)
    status = models.CharField(
        _("状态"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    reply = models.TextField(_("答复"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("提交时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    channel = models.CharField(
        _("渠道"), max_length=10, choices=RequestChannel.choices, default=RequestChannel.PORTAL
    )
    category = models.CharField(
        _("事项分类"), max_length=15, choices=RequestCategory.choices, default=RequestCategory.OTHER
    )
    # The deadline in working days from the day it came in (dpf.portal.services.DEADLINES);
    # null only for requests made before deadlines were recorded.
    due_on = models.DateField(_("办理期限"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    satisfaction = models.CharField(
        _("回访满意度"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    # Set by the daily escalation (dpf.portal.casework.escalate_overdue): past its deadline
    # a request goes to the county's attention, long past it to the city's.
    escalation = models.CharField(
        _("升级"), max_length=6, choices=Escalation.choices, default="", blank=True
    )
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    # A repeated complaint by the same person on the same matter is linked to the first,
    # not counted twice (T0704 counts the first only).
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("重复事项"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repeats",
    )
    # Assignment down the region tree (dpf.portal.casework.request_assign): the region the
    # request was last assigned to (a county or township of its own chain), or the region of
    # the named staff member it was assigned to. Blank: nobody assigned, the queues of the
    # person's township and county as before. The deadline does not change with it.
    assigned_region = models.CharField(_("承办地区"), max_length=12, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("分派时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("投诉与上门服务请求")
        indexes = [
            models.Index(fields=["township_code", "status"], name="request_township"),
            models.Index(fields=["county_code", "status"], name="request_county"),
            models.Index(fields=["person", "created_at"], name="request_person"),
            models.Index(fields=["kind", "due_on"], name="request_kind_due"),
            models.Index(fields=["assigned_to", "status"], name="request_assignee"),
            models.Index(fields=["assigned_region", "status"], name="request_assigned_region"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True) | models.Q(status="closed"),
                name="request_closed_at_only_when_closed",
            ),
            # A named assignee always comes with the region they were assigned in.
            models.CheckConstraint(
                condition=models.Q(assigned_to__isnull=True) | ~models.Q(assigned_region=""),
                name="request_assignee_has_region",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class RequestEvent(models.Model):
    """The history of a request: submitted, taken up, answered, closed, assigned
    (append-only). An assignment keeps the status (``from_status == to_status``) and names
    the region, and the staff member if one was named, it went to."""

    request = models.ForeignKey(CitizenRequest, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(_("状态"), max_length=12, choices=RequestStatus.choices)
    note = models.TextField(_("说明"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=30)
    at = models.DateTimeField(_("时间"))
    assigned_region = models.CharField(_("分派至地区"), max_length=12, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("分派给"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.from_status}->{self.to_status}"

    @property
    def is_assignment(self) -> bool:
        return bool(self.assigned_region)


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")


class GuardianClaim(models.Model):
    """A citizen's request to act for a dependant (监护关系登记), with a proof document
    (户口簿, 监护证明, 法院判决 …), reviewed by an officer of the dependant's township or
    county. Approval records the registry's ``GuardianLink`` from the day of the decision;
    until then the citizen reaches nothing of the dependant.

    The region codes are the dependant's when the claim was made: the reviewers' scope.
    """

    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="guardian_claims"
    )
    guardian = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("监护人")
    )
    dependant = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("被监护人")
    )
    relation = models.CharField(_("与被监护人的关系"), max_length=12)
    proof_name = models.CharField(_("证明材料"), max_length=200)
    proof_stored = models.CharField(max_length=100)
    proof_content_type = models.CharField(max_length=50)
    proof_size = models.PositiveIntegerField()
    proof_sha256 = models.CharField(max_length=64)
    county_code = models.CharField(_("旗县区"), max_length=6)
    township_code = models.CharField(_("苏木乡镇"), max_length=9)
    village_code = models.CharField(_("嘎查村社区"), max_length=12)
    status = models.CharField(
        _("状态"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.PENDING
    )
    created_at = models.DateTimeField(_("提交时间"))
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_note = models.TextField(_("审核意见"), blank=True, max_length=500)
    link = models.ForeignKey(
        "registry.GuardianLink", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("监护关系登记申请")
        indexes = [
            models.Index(fields=["township_code", "status"], name="gclaim_township"),
            models.Index(fields=["county_code", "status"], name="gclaim_county"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(guardian=models.F("dependant")), name="gclaim_not_self"
            ),
            # One open claim per guardian and dependant.
            models.UniqueConstraint(
                fields=["guardian", "dependant"],
                condition=models.Q(status="pending"),
                name="gclaim_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"guardian claim {self.pk}"

    @property
    def dependant_id_tail(self) -> str:
        """The last four characters of the dependant's ID number (the claimant typed it):
        a pending or refused claim names nobody."""
        return str(self.dependant.id_number_masked)[-4:]

    @property
    def relation_label(self) -> str:
        from dpf.registry.models import Relation

        return str(Relation(self.relation).label) if self.relation in Relation.values else ""
