"""Employers (用人单位), their yearly quota declarations (按比例安排残疾人就业年审) with the
disabled employees declared, and the credit record of employers that refuse or under-declare.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dpf.core.fields import EncryptedTextField
from dpf.core.models import EffectiveDated, valid_interval_check


class EmployerKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    GOVERNMENT = "government", _("机关")
    PUBLIC_INSTITUTION = "public_institution", _("事业单位")
    SOCIAL_ORGANISATION = "social_organisation", _("社会团体")


class Employer(models.Model):
    """An employer under the quota (用人单位), identified by its unified social credit code.

    An ``employer`` account is bound to it by ``User.institution_code == credit_code``.
    """

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("单位名称"), max_length=100)
    kind = models.CharField(_("单位性质"), max_length=20, choices=EmployerKind.choices)
    county_code = models.CharField(_("所在旗县区"), max_length=6, db_index=True)
    staff_count = models.PositiveIntegerField(_("在职职工人数"), default=0)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = EncryptedTextField(_("联系电话"), blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        ordering = ["county_code", "name"]
        verbose_name = _("用人单位")

    def __str__(self) -> str:
        return f"{self.name}（{self.credit_code}）"

    @property
    def is_enterprise(self) -> bool:
        return self.kind == EmployerKind.ENTERPRISE


class DeclarationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("审核通过")
    RETURNED = "returned", _("退回修改")


class QuotaDeclaration(models.Model):
    """One employer's declaration for one levy year (the year of collection), over the
    previous year's staff, wages and disabled employees; the result as reviewed."""

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="declarations")
    county_code = models.CharField(_("所在旗县区"), max_length=6, db_index=True)
    levy_year = models.PositiveSmallIntegerField(_("征收年度"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=DeclarationStatus.choices,
        default=DeclarationStatus.SUBMITTED,
    )
    staff_count = models.DecimalField(_("上年在职职工人数"), max_digits=10, decimal_places=2)
    wage_bill = models.DecimalField(_("上年工资总额（元）"), max_digits=16, decimal_places=2)
    avg_wage = models.DecimalField(_("上年职工年平均工资（元）"), max_digits=12, decimal_places=2)
    local_avg_social_wage = models.DecimalField(
        _("当地社会平均工资（元）"), max_digits=12, decimal_places=2
    )
    required = models.DecimalField(_("应安排人数"), max_digits=12, decimal_places=5)
    counted = models.PositiveIntegerField(_("已安排人数（折算）"))
    shortfall = models.DecimalField(_("差额人数"), max_digits=12, decimal_places=5)
    wage_used = models.DecimalField(_("计征工资（元）"), max_digits=12, decimal_places=2)
    gross = models.DecimalField(_("应缴额（元）"), max_digits=14, decimal_places=2)
    relief = models.DecimalField(_("减免额（元）"), max_digits=14, decimal_places=2)
    levy_due = models.DecimalField(_("实缴保障金（元）"), max_digits=14, decimal_places=2)
    reward = models.DecimalField(_("超比例奖励（元）"), max_digits=14, decimal_places=2)
    submitted_on = models.DateField(_("申报日期"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_on = models.DateField(_("审核日期"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)

    class Meta:
        ordering = ["-levy_year", "county_code", "employer"]
        verbose_name = _("按比例就业年审")
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "levy_year"], name="quotadeclaration_one_per_year"
            ),
            models.CheckConstraint(
                condition=Q(staff_count__gte=0, wage_bill__gte=0, levy_due__gte=0),
                name="quotadeclaration_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employer_id} {self.levy_year}"


class DeclaredEmployee(models.Model):
    """A disabled employee in a declaration: the certificate checked against the registry,
    the months worked in the staff year (levy year − 1) and the conditions for counting."""

    declaration = models.ForeignKey(
        QuotaDeclaration, on_delete=models.CASCADE, related_name="employees"
    )
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    certificate = models.ForeignKey(
        "registry.Certificate", on_delete=models.PROTECT, related_name="+"
    )
    staff_year = models.PositiveSmallIntegerField(_("用工年度"))
    first_month = models.PositiveSmallIntegerField(_("起始月份"))
    last_month = models.PositiveSmallIntegerField(_("终止月份"))
    military_level = models.PositiveSmallIntegerField(_("残疾军人等级"), null=True, blank=True)
    contract_months = models.PositiveSmallIntegerField(_("劳动合同期限（月）"))
    paid_at_least_min_wage = models.BooleanField(_("工资不低于最低工资标准"))
    social_insurance = models.BooleanField(_("足额缴纳社会保险"))
    weight = models.PositiveSmallIntegerField(_("折算人数"))

    class Meta:
        verbose_name = _("残疾人职工")
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "person"], name="declaredemployee_once_per_declaration"
            ),
            models.CheckConstraint(
                condition=Q(
                    first_month__gte=1, last_month__lte=12, last_month__gte=models.F("first_month")
                ),
                name="declaredemployee_months",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "staff_year"], name="declaredemployee_person_year")
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id} {self.person_id}"


class CreditFlag(models.Model):
    """A mark on an employer's credit record (失信记录): refused or under-declared, with the
    dates and the reason; exported for the social credit system. A flag set by mistake or
    resolved is lifted (``lifted_on``, ``lift_reason``, ``lifted_by``) and stays in the
    history; it is in force while ``lifted_on`` is empty."""

    class Reason(models.TextChoices):
        REFUSED = "refused", _("拒不申报")
        UNDER_DECLARED = "under_declared", _("瞒报少报")
        UNPAID = "unpaid", _("逾期未缴")

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="credit_flags")
    county_code = models.CharField(_("所在旗县区"), max_length=6, db_index=True)
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices)
    detail = models.CharField(_("说明"), max_length=300)
    flagged_on = models.DateField(_("列入日期"))
    lifted_on = models.DateField(_("移出日期"), null=True, blank=True)
    lift_reason = models.CharField(_("移出原因"), max_length=300, blank=True)
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-flagged_on", "pk"]
        verbose_name = _("信用记录")
        constraints = [
            models.CheckConstraint(
                condition=Q(lifted_on__isnull=True) | Q(lifted_on__gte=models.F("flagged_on")),
                name="creditflag_lifted_after_flagged",
            )
        ]

    def __str__(self) -> str:
        return f"{self.employer_id} {self.reason} {self.flagged_on}"

    @property
    def in_force(self) -> bool:
        return self.lifted_on is None


class TrainingKind(models.TextChoices):
    VOCATIONAL = "vocational", _("职业技能培训")
    ENTREPRENEURSHIP = "entrepreneurship", _("创业培训")
    RURAL_TECHNIQUE = "rural_technique", _("农村实用技术培训")
    OTHER = "other", _("其他培训")


class TrainingBaseKind(models.TextChoices):
    BASE = "base", _("残疾人职业培训基地")
    STUDIO = "studio", _("技能大师工作室")


class TrainingBase(EffectiveDated):
    """A designated vocational training base for disabled people (残疾人职业培训基地) or a
    skills-master studio (技能大师工作室) of a county: who runs it, the trades it teaches and
    how many it trains at once. Designated over ``[valid_from, valid_to]`` (认定日期 to the
    day the designation was revoked or lapses, both inclusive; open end = in force); the
    plan counts those in force per county. Holds no personal data."""

    kind = models.CharField(_("类别"), max_length=10, choices=TrainingBaseKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    county_code = models.CharField(_("所在旗县区"), max_length=6, db_index=True)
    operator = models.CharField(_("依托单位"), max_length=100)
    trades = models.CharField(_("培训项目（工种）"), max_length=200)
    capacity = models.PositiveIntegerField(_("培训能力（人）"))
    valid_from = models.DateField(_("认定日期"))
    valid_to = models.DateField(_("撤销或到期日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["county_code", "kind", "name", "pk"]
        verbose_name = _("培训基地与技能大师工作室")
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "name"], name="trainingbase_name_once_per_county"
            ),
            valid_interval_check("trainingbase_valid_interval"),
        ]

    def __str__(self) -> str:
        return self.name


class TrainingCourse(models.Model):
    """A vocational training course (残疾人职业技能培训) of a county: kind, provider, the
    training base or studio it is held at (``base``, of the course's county, designated on
    its first day), dates and the subsidy per trainee. ``training_base`` is the name typed
    before bases were records, kept as typed for the courses no base was found for."""

    name = models.CharField(_("培训名称"), max_length=100)
    kind = models.CharField(_("培训类型"), max_length=20, choices=TrainingKind.choices)
    provider = models.CharField(_("培训机构"), max_length=100)
    base = models.ForeignKey(
        TrainingBase,
        verbose_name=_("培训基地"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="courses",
    )
    training_base = models.CharField(_("培训基地（原登记名称）"), max_length=100, blank=True)
    county_code = models.CharField(_("所在旗县区"), max_length=6, db_index=True)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    subsidy_per_person = models.DecimalField(
        _("人均补贴（元）"), max_digits=10, decimal_places=2, default=0
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-start", "pk"]
        verbose_name = _("职业技能培训")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")), name="trainingcourse_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(subsidy_per_person__gte=0), name="trainingcourse_subsidy_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TrainingAttendance(models.Model):
    """One person's attendance of a course; ``completed_on`` set when they finish it. I02
    counts completed attendances (person-times) by the person's current township."""

    course = models.ForeignKey(TrainingCourse, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    completed_on = models.DateField(_("结业日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("培训学员")
        constraints = [
            models.UniqueConstraint(
                fields=["course", "person"], name="trainingattendance_once_per_course"
            )
        ]
        indexes = [models.Index(fields=["completed_on"], name="trainingattendance_completed")]

    def __str__(self) -> str:
        return f"{self.course_id} {self.person_id}"


class AssistedInstitution(models.Model):
    """An assisted-employment institution (辅助性就业机构: 阳光家园, 庇护工场, 社区工疗站 …)
    of a county; open over ``[opened_on, closed_on]`` (both inclusive, open end = still
    open). The plan asks for at least two open in every county."""

    name = models.CharField(_("机构名称"), max_length=100)
    operator = models.CharField(_("举办单位"), max_length=100, blank=True)
    county_code = models.CharField(_("所在旗县区"), max_length=6, db_index=True)
    capacity = models.PositiveIntegerField(_("安置能力（人）"), default=0)
    opened_on = models.DateField(_("设立日期"))
    closed_on = models.DateField(_("停办日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["county_code", "name", "pk"]
        verbose_name = _("辅助性就业机构")
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="assistedinstitution_closed_after_opened",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PlacementKind(models.TextChoices):
    ASSISTED = "assisted", _("辅助性就业")
    PUBLIC_WELFARE = "public_welfare", _("公益性岗位")


class Placement(models.Model):
    """A person placed in assisted employment at an institution, or on a public-welfare post
    (公益性岗位); the period is the registry's employment fact it created (``employment``),
    so the survey and the zero-employment list see the person as working. ``county_code`` is
    the county that placed them (the institution's, or the officer's for a post)."""

    kind = models.CharField(_("安置类型"), max_length=16, choices=PlacementKind.choices)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    employment = models.OneToOneField(
        "registry.Employment", on_delete=models.PROTECT, related_name="placement"
    )
    institution = models.ForeignKey(
        AssistedInstitution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="placements",
    )
    post = models.CharField(_("岗位"), max_length=100, blank=True)
    county_code = models.CharField(_("所在旗县区"), max_length=6, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["county_code", "pk"]
        verbose_name = _("安置就业")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="public_welfare") | Q(institution__isnull=False),
                name="placement_assisted_has_institution",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.person_id}"


class EducationLevel(models.TextChoices):
    JUNIOR_COLLEGE = "junior_college", _("专科（大专）")
    BACHELOR = "bachelor", _("本科")
    POSTGRADUATE = "postgraduate", _("研究生")


# The earliest graduation year a file may carry: earlier graduates are no longer followed as
# graduates (the plan's 台账 is of recent college graduates).
EARLIEST_GRADUATION_YEAR = 1990


class GraduateFile(models.Model):
    """A disabled college graduate's file (高校残疾人毕业生“一人一档”): school, major,
    education level, graduation year and what the graduate wishes to do, with the support
    actions taken for them (“一人一策”). Whether they work is not stored: it is read from
    the registry's employment facts as of a date. One file per person; scoped by the
    person's region codes."""

    person = models.OneToOneField("registry.Person", on_delete=models.PROTECT, related_name="+")
    school = models.CharField(_("毕业院校"), max_length=100)
    major = models.CharField(_("所学专业"), max_length=100)
    education = models.CharField(_("学历层次"), max_length=16, choices=EducationLevel.choices)
    graduation_year = models.PositiveSmallIntegerField(_("毕业年份"))
    wish = models.CharField(_("就业意向"), max_length=200, blank=True)
    created_on = models.DateField(_("建档日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-graduation_year", "pk"]
        verbose_name = _("高校毕业生就业帮扶台账")
        constraints = [
            models.CheckConstraint(
                condition=Q(graduation_year__gte=EARLIEST_GRADUATION_YEAR),
                name="graduatefile_year_not_before_1990",
            )
        ]
        indexes = [models.Index(fields=["graduation_year"], name="graduatefile_year")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.graduation_year}"


class SupportActionKind(models.TextChoices):
    POLICY = "policy", _("政策宣传")
    JOB_RECOMMENDATION = "job_recommendation", _("岗位推荐")
    CAREER_GUIDANCE = "career_guidance", _("职业指导")
    TRAINING_REFERRAL = "training_referral", _("技能培训")
    START_UP = "start_up", _("创业扶持")
    OTHER = "other", _("其他")


class SupportAction(models.Model):
    """One support action for a graduate (帮扶措施): the day, the kind, what was done and,
    for a job recommended, the employer."""

    file = models.ForeignKey(GraduateFile, on_delete=models.PROTECT, related_name="actions")
    taken_on = models.DateField(_("帮扶日期"))
    kind = models.CharField(_("帮扶方式"), max_length=20, choices=SupportActionKind.choices)
    note = models.CharField(_("帮扶内容"), max_length=300)
    employer = models.ForeignKey(
        Employer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-taken_on", "-pk"]
        verbose_name = _("毕业生帮扶措施")
        indexes = [models.Index(fields=["file", "-taken_on"], name="supportaction_file_day")]

    def __str__(self) -> str:
        return f"{self.file_id} {self.kind} {self.taken_on}"
