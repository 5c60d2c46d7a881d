"""Persons, households, certificates and the effective-dated facts about them.

Every fact that changes over time is a row with ``valid_from``/``valid_to`` (see
``EffectiveDated``), so any number can be recomputed as of any date. Current residence is
copied onto ``Person`` (county/township/village code) because every scoped query filters
on it; ``Residence`` keeps the history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dpf.core.certnumber import Category, Level
from dpf.core.fields import EncryptedTextField
from dpf.core.models import EffectiveDated, valid_interval_check


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER = "other", _("其他")


class HouseholdStatusCode(models.TextChoices):
    """Household economic status (家庭经济状况)."""

    DIBAO = "dibao", _("低保")
    TEKUN = "tekun", _("特困")
    DIBAO_EDGE = "dibao_edge", _("低保边缘")
    LOW_INCOME = "low_income", _("低收入")
    MONITORED = "monitored", _("防返贫监测对象")
    LIFTED = "lifted", _("脱贫户")
    NONE = "none", _("一般")


class PersonStatusCode(models.TextChoices):
    """A person's own programme status, held by the person and not the household.

    特困供养 (extreme hardship support) is granted to a person: their relatives are not
    特困 with them, so it cannot be a household status without taking the allowances away
    from every other member (issue 15 part 3).
    """

    TEKUN = "tekun", _("特困供养人员")


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("有效")
    EXPIRED = "expired", _("已过期")
    CANCELLED = "cancelled", _("已注销")
    REPLACED = "replaced", _("已换发")


class InsuranceKind(models.TextChoices):
    PENSION = "pension", _("基本养老保险")
    MEDICAL = "medical", _("基本医疗保险")


class OutsidePaymentKind(models.TextChoices):
    """Payments from outside the DPF that rules must know about."""

    WORK_INJURY_CARE = "work_injury_care", _("工伤保险生活护理费")
    ORPHAN_SUPPORT = "orphan_support", _("孤儿基本生活保障")
    ELDERLY_CARE = "elderly_care_allowance", _("老年人护理补贴")
    VETERAN_CARE = "veteran_care", _("优抚对象护理费")


class Household(models.Model):
    """A registered household (户)."""

    county_code = models.CharField(_("旗县区"), max_length=6, db_index=True)
    township_code = models.CharField(_("苏木乡镇"), max_length=9, db_index=True)
    village_code = models.CharField(_("嘎查村社区"), max_length=12, db_index=True)
    address = EncryptedTextField(_("住址"), blank=True)
    head = models.ForeignKey(
        "Person",
        verbose_name=_("户主"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    synthetic = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("家庭")

    def __str__(self) -> str:
        return f"{_('家庭')} {self.pk}"


class Person(models.Model):
    """A disabled person, or a relative or guardian, known to the registry."""

    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    name_initials = models.CharField(_("拼音首字母"), max_length=20, db_index=True)
    name_pinyin = models.CharField(_("拼音"), max_length=120, db_index=True)
    id_number = EncryptedTextField(_("身份证号码"))
    id_number_hash = models.CharField(max_length=64, unique=True)
    id_number_masked = models.CharField(_("身份证号码"), max_length=18)
    id_upgraded_from_15 = models.BooleanField(_("由15位升级"), default=False)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"), db_index=True)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    phone = EncryptedTextField(_("联系电话"), blank=True)
    household = models.ForeignKey(
        Household,
        verbose_name=_("家庭"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    relation_to_head = models.CharField(
        _("与户主关系"), max_length=12, choices=Relation.choices, default=Relation.HEAD
    )
    county_code = models.CharField(_("旗县区"), max_length=6, db_index=True)
    township_code = models.CharField(_("苏木乡镇"), max_length=9, db_index=True)
    village_code = models.CharField(_("嘎查村社区"), max_length=12, db_index=True)
    death_date = models.DateField(_("死亡日期"), null=True, blank=True)
    synthetic = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("人员")
        indexes = [
            models.Index(fields=["county_code", "name"], name="person_county_name"),
            models.Index(fields=["county_code", "name_initials"], name="person_county_initials"),
        ]

    def __str__(self) -> str:
        return self.name


class FactsMark(models.Model):
    """When any fact about a person last changed (registry services, roster imports): the
    incremental scan re-evaluates, and the indicators kept current refresh, the persons
    marked since their last run. Written by ``services.mark_facts_changed`` (and, for the
    persons it creates, the demo's bulk writer).

    A narrow table beside the person rather than a column of it: on PostgreSQL an update
    of the wide, heavily indexed person row writes a new entry in each of its indexes,
    which made marking a roster's 20,000 persons take 1.5–2.3 s where this table's upsert
    takes 0.12–0.21 s (docs/benchmarks.md, "Roster commit throughput")."""

    person = models.OneToOneField(
        Person, primary_key=True, on_delete=models.CASCADE, related_name="facts_mark"
    )
    changed_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.person_id} {self.changed_at:%Y-%m-%d %H:%M:%S}"


class Residence(EffectiveDated):
    """Where a person lives (户籍/居住地), village level, over time."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="residences")
    county_code = models.CharField(max_length=6)
    township_code = models.CharField(max_length=9)
    village_code = models.CharField(max_length=12)

    class Meta:
        constraints = [valid_interval_check("residence_valid_interval")]
        indexes = [
            models.Index(
                fields=["person", "valid_from", "id"],
                include=["village_code", "valid_to"],
                name="residence_person_from_id",
            )
        ]

    def __str__(self) -> str:
        return self.village_code


class HouseholdStatus(EffectiveDated):
    """A household's economic status over time (低保, 特困 …)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="statuses")
    status = models.CharField(_("经济状况"), max_length=12, choices=HouseholdStatusCode.choices)

    class Meta:
        constraints = [valid_interval_check("householdstatus_valid_interval")]
        indexes = [
            # Serves "the row in force on D" (ORDER BY valid_from DESC, id DESC LIMIT 1) as
            # one backward index-only probe per household on PostgreSQL.
            models.Index(
                fields=["household", "valid_from", "id"],
                include=["status", "valid_to"],
                name="hhstatus_household_from_id",
            ),
            models.Index(fields=["status", "valid_from"], name="hhstatus_status_from"),
        ]

    def __str__(self) -> str:
        return self.status


class Certificate(EffectiveDated):
    """One disability certificate (残疾人证). A re-grading ends one row and starts another.

    ``valid_to`` is the last day it was (or will be) valid: the printed expiry date, or the
    day before it was replaced or cancelled. The number holds the ID number, category and
    level, so it is encrypted like the ID number.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="certificates")
    number = EncryptedTextField(_("残疾人证号"))
    number_hash = models.CharField(max_length=64, db_index=True)
    category = models.PositiveSmallIntegerField(_("残疾类别"), choices=Category.choices)
    level = models.PositiveSmallIntegerField(_("残疾等级"), choices=Level.choices)
    issue_date = models.DateField(_("发证日期"))
    expires_on = models.DateField(_("有效期至"))
    status = models.CharField(
        _("状态"), max_length=10, choices=CertificateStatus.choices, default=CertificateStatus.VALID
    )
    issuing_county = models.CharField(_("发证机关"), max_length=6)
    replaces = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaced_by"
    )
    end_reason = models.CharField(_("终止原因"), max_length=200, blank=True)

    class Meta:
        constraints = [
            valid_interval_check("certificate_valid_interval"),
            models.CheckConstraint(
                condition=models.Q(category__gte=1, category__lte=7), name="certificate_category"
            ),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=4), name="certificate_level"
            ),
        ]
        indexes = [
            models.Index(
                fields=["person", "valid_from", "id"],
                include=["level", "category", "status", "valid_to"],
                name="certificate_person_from_id",
            ),
            models.Index(fields=["valid_to"], name="certificate_valid_to"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.get_level_display()}"

    @property
    def severe(self) -> bool:
        return self.level in (1, 2)


class InsuranceEnrolment(EffectiveDated):
    """Enrolment in basic pension or medical insurance (参保)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="insurances")
    kind = models.CharField(_("险种"), max_length=10, choices=InsuranceKind.choices)
    government_paid = models.BooleanField(_("政府代缴"), default=False)

    class Meta:
        constraints = [valid_interval_check("insurance_valid_interval")]
        indexes = [
            models.Index(
                fields=["person", "kind", "valid_from"],
                include=["valid_to"],
                name="insurance_person_kind_from",
            )
        ]

    def __str__(self) -> str:
        return self.kind


class PersonStatus(EffectiveDated):
    """A person's own programme status over time (特困供养人员); see ``PersonStatusCode``."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="statuses")
    status = models.CharField(_("人员类别"), max_length=12, choices=PersonStatusCode.choices)

    class Meta:
        verbose_name = _("人员类别")
        constraints = [valid_interval_check("personstatus_valid_interval")]
        indexes = [
            models.Index(
                fields=["person", "valid_from", "id"],
                include=["status", "valid_to"],
                name="personstatus_person_from_id",
            )
        ]

    def __str__(self) -> str:
        return self.status


class OutsidePayment(EffectiveDated):
    """A payment from another department that affects eligibility (工伤护理费, 孤儿保障 …).

    ``monthly_amount`` is what the department pays, when it says: the catalogue's "pay the
    higher" (择高享受) compares it with the allowance it excludes.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="outside_payments")
    kind = models.CharField(_("类型"), max_length=30, choices=OutsidePaymentKind.choices)
    monthly_amount = models.DecimalField(
        _("月发放金额（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )

    class Meta:
        constraints = [
            valid_interval_check("outsidepayment_valid_interval"),
            models.CheckConstraint(
                condition=models.Q(monthly_amount__isnull=True) | models.Q(monthly_amount__gte=0),
                name="outsidepayment_amount_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["person", "kind"], name="outsidepay_person_kind")]

    def __str__(self) -> str:
        return self.kind


class SchoolEnrolment(EffectiveDated):
    """A child's school enrolment (在校), including home teaching (送教上门). An enrolment
    that ended because the child left school (离校) may say why (``leave_reason``); one
    that ended because another began (a change of school or grade) says nothing."""

    class Mode(models.TextChoices):
        REGULAR = "regular", _("普通学校随班就读")
        SPECIAL = "special", _("特殊教育学校")
        HOME = "home", _("送教上门")

    class LeaveReason(models.TextChoices):
        GRADUATED = "graduated", _("毕业")
        TRANSFERRED = "transferred", _("转学")
        DROPPED_OUT = "dropped_out", _("退学（辍学）")
        OTHER = "other", _("其他")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="schools")
    school = models.CharField(_("学校"), max_length=100)
    grade = models.CharField(_("年级"), max_length=20, blank=True)
    mode = models.CharField(
        _("就读方式"), max_length=10, choices=Mode.choices, default=Mode.REGULAR
    )
    leave_reason = models.CharField(
        _("离校原因"), max_length=12, choices=LeaveReason.choices, blank=True
    )

    class Meta:
        constraints = [
            valid_interval_check("school_valid_interval"),
            # A reason for leaving only on an enrolment that ended.
            models.CheckConstraint(
                condition=models.Q(leave_reason="") | models.Q(valid_to__isnull=False),
                name="school_leave_reason_ended",
            ),
        ]
        indexes = [models.Index(fields=["person", "valid_from"], name="school_person_from")]

    def __str__(self) -> str:
        return self.school


class EmploymentKind(models.TextChoices):
    """How a person works (就业形式), as the employment service records it (issue 19 part 5)."""

    CONCENTRATED = "concentrated", _("集中就业")
    PROPORTIONAL = "proportional", _("按比例就业")
    SELF_EMPLOYED = "self_employed", _("个体就业（自主创业）")
    FLEXIBLE = "flexible", _("灵活就业")
    PUBLIC_WELFARE = "public_welfare", _("公益性岗位就业")
    ASSISTED = "assisted", _("辅助性就业")
    AGRICULTURAL = "agricultural", _("农村种养加就业")


class Employment(EffectiveDated):
    """A person's employment over time (就业登记): the kind, and for work at an employer
    its name and unified social credit code (text, not a link: the employer registry lives
    above this app). The needs survey shows a person employed when a row is in force on the
    survey date; the zero-employment household list reads them as of a date. Two rows of
    the same kind never overlap (a second job of another kind may)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="employments")
    kind = models.CharField(_("就业形式"), max_length=16, choices=EmploymentKind.choices)
    employer_name = models.CharField(_("就业单位"), max_length=100, blank=True)
    employer_credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)

    class Meta:
        verbose_name = _("就业登记")
        constraints = [valid_interval_check("employment_valid_interval")]
        indexes = [
            models.Index(
                fields=["person", "valid_from", "id"],
                include=["kind", "valid_to"],
                name="employment_person_from_id",
            )
        ]

    def __str__(self) -> str:
        return self.kind


class GuardianLink(EffectiveDated):
    """A guardian (监护人) acting for a dependant."""

    guardian = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="dependant_links")
    dependant = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="guardian_links")
    relation = models.CharField(_("关系"), max_length=12, choices=Relation.choices)

    class Meta:
        constraints = [
            valid_interval_check("guardian_valid_interval"),
            models.CheckConstraint(
                condition=~models.Q(guardian=models.F("dependant")), name="guardian_not_self"
            ),
        ]

    def __str__(self) -> str:
        return self.relation


class DeviceKind(models.TextChoices):
    NONE = "", _("无")
    WHEELCHAIR = "wheelchair", _("轮椅")
    HEARING_AID = "hearing_aid", _("助听器")
    PROSTHESIS = "prosthesis", _("假肢矫形器")
    VISUAL_AID = "visual_aid", _("助视器")
    WALKING_AID = "walking_aid", _("助行器")
    OTHER = "other", _("其他辅具")


class EmploymentStatus(models.TextChoices):
    EMPLOYED = "employed", _("就业")
    UNEMPLOYED = "unemployed", _("未就业")
    UNABLE = "unable", _("无劳动能力")
    RETIRED = "retired", _("离退休")
    STUDENT = "student", _("在校学生")
    NOT_APPLICABLE = "na", _("不适用")


class SchoolStatus(models.TextChoices):
    ENROLLED = "enrolled", _("在校")
    NOT_ENROLLED = "not_enrolled", _("未入学")
    HOME_TEACHING = "home_teaching", _("送教上门")
    NOT_APPLICABLE = "na", _("不适用")


class SurveyMethod(models.TextChoices):
    HOME_VISIT = "home_visit", _("入户")
    FACE_TO_FACE = "face_to_face", _("面对面")
    PHONE = "phone", _("电话")


class NeedsSurvey(models.Model):
    """The yearly needs survey (基本服务状况和需求信息动态更新, 精准服务表)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="surveys")
    year = models.PositiveSmallIntegerField(_("年度"))
    survey_date = models.DateField(_("调查日期"))
    method = models.CharField(
        _("调查方式"), max_length=15, choices=SurveyMethod.choices, default=SurveyMethod.HOME_VISIT
    )
    surveyor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    surveyor_name = models.CharField(_("调查员"), max_length=50, blank=True)
    rehab_need = models.BooleanField(_("康复需求"), default=False)
    device_need = models.CharField(
        _("辅具需求"), max_length=15, choices=DeviceKind.choices, blank=True, default=""
    )
    home_renovation_need = models.BooleanField(_("无障碍改造需求"), default=False)
    care_need = models.BooleanField(_("托养需求"), default=False)
    long_term_care_need = models.BooleanField(_("长期照护需求"), default=False)
    employment_status = models.CharField(
        _("就业状况"),
        max_length=12,
        choices=EmploymentStatus.choices,
        default=EmploymentStatus.NOT_APPLICABLE,
    )
    employment_wish = models.BooleanField(_("就业意愿"), default=False)
    school_status = models.CharField(
        _("就学状况"),
        max_length=15,
        choices=SchoolStatus.choices,
        default=SchoolStatus.NOT_APPLICABLE,
    )
    income_per_capita = models.DecimalField(
        _("家庭人均年收入（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    # The person (or guardian) confirmed the answers (the form asks; a roster says so).
    person_confirmed = models.BooleanField(_("本人已确认"), default=False)
    # "form" (the worker's form), "roster:<batch id>" (the national system's export).
    source = models.CharField(_("来源"), max_length=40, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="survey_one_per_year"),
            models.CheckConstraint(
                condition=models.Q(income_per_capita__isnull=True)
                | models.Q(income_per_capita__gte=0),
                name="survey_income_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["year", "person"], name="survey_year_person"),
            models.Index(fields=["person", "survey_date", "id"], name="survey_person_date_id"),
        ]

    def __str__(self) -> str:
        return f"{self.year}"


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("待处理")
    ACCEPTED = "accepted", _("已接收")
    DECLINED = "declined", _("已拒绝")


class TransferRequest(models.Model):
    """A transfer request (迁移申请): a registration whose ID number is already held by a
    region outside the registering worker's scope, passed to the holding region's officers
    instead of telling the worker whose record it is.

    Accepting it moves the person to the village the worker registered them into;
    declining leaves the record as it is. Visible only to the region holding the person
    (and the city), through ``dpf.accounts.scoping`` on the person's region codes.
    """

    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="transfer_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    requested_village_code = models.CharField(_("迁入嘎查村社区"), max_length=12)
    name_given = models.CharField(_("登记时填写的姓名"), max_length=50)
    status = models.CharField(
        _("状态"), max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_note = models.CharField(_("处理说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("迁移申请")
        constraints = [
            # A worker registering the same person again adds no second work item.
            models.UniqueConstraint(
                fields=["person", "requested_village_code"],
                condition=models.Q(status="pending"),
                name="transfer_one_pending_per_village",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "accepted", "declined"]),
                name="transfer_status_known",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="transfer_status_created")]

    def __str__(self) -> str:
        return f"{_('迁移申请')} {self.pk}"


# The staff pages' record of changes (reason, effective date), the survey's work records
# (rounds, drafts, no contact) and the medical settlements live beside it.
from dpf.registry.change_models import ChangeKind, RecordChange  # noqa: E402, F401
from dpf.registry.medical_models import MedicalSettlement  # noqa: E402, F401
from dpf.registry.survey_models import (  # noqa: E402, F401
    NoContactReason,
    SurveyDraft,
    SurveyNoContact,
    SurveyRound,
)
