"""Roster import batches and rows, duplicate suspects, department tokens, and the
family-doctor contract fact (kept here until a ``dpf/services`` app exists).

An import row never holds an ID number in clear: only its look-up hash and masked form.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dpf.core.models import EffectiveDated, valid_interval_check
from dpf.exchange.rostertypes import ROSTER_TYPES
from dpf.registry.models import Person

ROSTER_CHOICES = [(code, t.name) for code, t in ROSTER_TYPES.items()]


class BatchStatus(models.TextChoices):
    VALIDATING = "validating", _("校验中")
    PREVIEWED = "previewed", _("待确认")
    COMMITTED = "committed", _("已导入")
    CANCELLED = "cancelled", _("已取消")
    FAILED = "failed", _("校验失败")


class Channel(models.TextChoices):
    WEB = "web", _("网页上传")
    API = "api", _("接口推送")
    COMMAND = "command", _("命令行")


class Outcome(models.TextChoices):
    WILL_CHANGE = "will_change", _("将变更")
    UP_TO_DATE = "up_to_date", _("已是最新")
    NOT_FOUND = "not_found", _("登记系统中无此人")
    NAME_DIFFERS = "name_differs", _("姓名与登记不一致")
    INVALID = "invalid", _("数据有误")


class ImportBatch(models.Model):
    """One roster file (or API push) from upload to commit or cancel."""

    roster_type = models.CharField(_("名单类型"), max_length=40, choices=ROSTER_CHOICES)
    file_name = models.CharField(_("文件名"), max_length=200)
    file_format = models.CharField(_("格式"), max_length=8)
    file_size = models.BigIntegerField(_("文件大小"), default=0)
    content_sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_batches"
    )
    # The uploader's region: the scope of matching and of who may see the batch.
    region_code = models.CharField(max_length=12, db_index=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    department = models.CharField(_("来源部门"), max_length=50, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=BatchStatus.choices, default=BatchStatus.VALIDATING
    )
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    ignored_columns = models.JSONField(default=list, blank=True)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    rows_read = models.PositiveIntegerField(default=0)
    # Rows in the file, counted before validation starts (NULL until then).
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    # The validation run that may write this batch's rows ("" while none has started):
    # a newer run or a cancel takes it over, and the older run stops (exchange/validation.py).
    validation_run = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("导入批次")
        constraints = [
            models.UniqueConstraint(
                fields=["roster_type", "content_sha256"],
                condition=Q(status="committed"),
                name="exchange_batch_committed_once",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="exchange_progress_pct"),
        ]
        indexes = [models.Index(fields=["region_code", "created_at"], name="batch_region_created")]

    def __str__(self) -> str:
        return f"{self.pk} {self.roster_type} {self.file_name}"

    @property
    def source(self) -> str:
        """The ``source`` written on every fact this batch creates or changes."""
        return f"roster:{self.pk}"


class ImportRow(models.Model):
    """One roster row with its outcome against the registry and the change it would make."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField(_("行号"))
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices)
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    id_hash = models.CharField(max_length=64, blank=True, db_index=True)
    id_masked = models.CharField(_("身份证号码"), max_length=18, blank=True)
    values = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # The change the row will make: an existing fact whose end moves to ``close_to`` (may be open),
    # and/or a new fact [``new_from``, ``new_to``] on ``target_id`` (the household for
    # statuses, else the person). A death row has ``new_from`` = the date of death.
    target_id = models.BigIntegerField(null=True, blank=True)
    close_fact_id = models.BigIntegerField(null=True, blank=True)
    close_to = models.DateField(null=True, blank=True)
    insert_fact = models.BooleanField(default=False)
    new_from = models.DateField(null=True, blank=True)
    new_to = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="importrow_batch_row")
        ]
        indexes = [
            models.Index(fields=["batch", "outcome", "row_number"], name="importrow_outcome"),
            models.Index(fields=["batch", "close_fact_id"], name="importrow_close_fact"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number} {self.outcome}"


class SuspectKind(models.TextChoices):
    SAME_PERSON = "same_person", _("同姓名、同出生日期、同村，但身份证号码不同")
    CHECK_CHARACTER = "check_character", _("名单中身份证号码校验位错误，更正后与登记人员一致")


class SuspectStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    MERGED = "merged", _("已合并")
    DISTINCT = "distinct", _("确认不是同一人")


class DuplicateSuspect(models.Model):
    """Two records that may be one person, listed for a worker to merge or mark distinct."""

    kind = models.CharField(_("类型"), max_length=20, choices=SuspectKind.choices)
    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    import_row = models.ForeignKey(
        ImportRow, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    county_code = models.CharField(max_length=6, db_index=True)
    township_code = models.CharField(max_length=9)
    village_code = models.CharField(max_length=12)
    status = models.CharField(
        _("状态"), max_length=10, choices=SuspectStatus.choices, default=SuspectStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("疑似重复")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "person_a", "person_b"],
                condition=Q(person_b__isnull=False),
                name="suspect_pair_once",
            ),
            models.UniqueConstraint(
                fields=["import_row"],
                condition=Q(import_row__isnull=False),
                name="suspect_row_once",
            ),
            models.CheckConstraint(
                condition=Q(person_b__isnull=True) | ~Q(person_b=models.F("person_a")),
                name="suspect_two_people",
            ),
        ]
        indexes = [models.Index(fields=["status", "county_code"], name="suspect_status_county")]

    def __str__(self) -> str:
        return f"{self.kind} {self.person_a_id}/{self.person_b_id}"


class ExchangeToken(models.Model):
    """A partner department's API token; only its SHA-256 is stored."""

    department = models.CharField(_("部门"), max_length=50)
    token_hash = models.CharField(max_length=64, unique=True)
    token_prefix = models.CharField(max_length=8)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exchange_tokens"
    )
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("数据交换令牌")

    def __str__(self) -> str:
        return f"{self.department} {self.token_prefix}…"


class FamilyDoctorContract(EffectiveDated):
    """A family-doctor contract (家庭医生签约) from the health commission's roster."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="family_doctor_contracts"
    )
    institution = models.CharField(_("签约机构"), max_length=100)

    class Meta:
        verbose_name = _("家庭医生签约")
        constraints = [valid_interval_check("familydoctor_valid_interval")]
        indexes = [models.Index(fields=["person", "valid_from"], name="familydoctor_person_from")]

    def __str__(self) -> str:
        return self.institution
