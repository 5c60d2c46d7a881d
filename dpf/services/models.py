"""Service institutions and the services they give: precise rehabilitation (精准康复服务)
plans, their sessions and outcomes."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dpf.registry.models import DeviceKind, Household, Person


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
    # A child's plan is paid from the yearly rehabilitation assistance (dpf.services.child_rehab);
    # an adult's plan may leave it blank.
    cost = models.DecimalField(
        _("计划费用（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
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
                condition=models.Q(cost__isnull=True) | models.Q(cost__gte=0),
                name="rehabplan_cost_not_negative",
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


class DeviceCatalogueItem(models.Model):
    """A kind of assistive device in the subsidy catalogue (辅助器具补贴目录), dated: its
    standard amount and replacement period in force from ``valid_from`` to ``valid_to``
    (both inclusive, NULL: still in force)."""

    code = models.CharField(_("目录编码"), max_length=30)
    name = models.CharField(_("辅具名称"), max_length=100)
    kind = models.CharField(_("辅具类别"), max_length=15, choices=DeviceKind.choices)
    standard_amount = models.DecimalField(_("补贴标准（元）"), max_digits=10, decimal_places=2)
    replacement_years = models.PositiveSmallIntegerField(_("更换周期（年）"))
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("辅具补贴目录")
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="device_item_version"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="device_item_interval",
            ),
            models.CheckConstraint(
                condition=models.Q(standard_amount__gte=0), name="device_item_amount"
            ),
            models.CheckConstraint(
                condition=models.Q(replacement_years__gte=1), name="device_item_replacement"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DeviceFitting(models.Model):
    """An assistive device assessed for and fitted to an institution's client under a
    device plan (辅具适配). ``replace_after`` is the fitting date plus the catalogue's
    replacement period in force on that date: until then the person holds the device."""

    plan = models.ForeignKey(RehabPlan, on_delete=models.PROTECT, related_name="fittings")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="device_fittings")
    item = models.ForeignKey(DeviceCatalogueItem, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("辅具类别"), max_length=15, choices=DeviceKind.choices)
    assessed_on = models.DateField(_("评估日期"))
    fitted_on = models.DateField(_("适配日期"))
    replace_after = models.DateField(_("可更换日期"))
    supplier = models.CharField(_("供应商"), max_length=100)
    subsidy_amount = models.DecimalField(_("补贴金额（元）"), max_digits=10, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("辅具适配")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fitted_on__gte=models.F("assessed_on")),
                name="fitting_after_assessment",
            ),
            models.CheckConstraint(
                condition=models.Q(replace_after__gt=models.F("fitted_on")),
                name="fitting_replacement_later",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "kind", "fitted_on"], name="fitting_person_kind"),
            models.Index(fields=["fitted_on", "person"], name="fitting_date_person"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.fitted_on}"


class DeviceFollowUp(models.Model):
    """A follow-up visit after a fitting (回访), with the person's satisfaction on a scale of
    1 (very dissatisfied) to 5 (very satisfied); 4 and 5 count as satisfied (T0305)."""

    SATISFIED_FROM = 4

    fitting = models.ForeignKey(DeviceFitting, on_delete=models.PROTECT, related_name="follow_ups")
    date = models.DateField(_("回访日期"))
    satisfaction = models.PositiveSmallIntegerField(_("满意度（1-5）"))
    in_use = models.BooleanField(_("仍在使用"), default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("辅具适配回访")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="followup_satisfaction_scale",
            ),
        ]
        indexes = [models.Index(fields=["date", "fitting"], name="followup_date_fitting")]

    def __str__(self) -> str:
        return f"{self.date} {self.satisfaction}"


# --- home accessibility renovation (无障碍改造, I11) ----------------------------------------


class RenovationItemKind(models.TextChoices):
    RAMP = "ramp", _("坡道")
    HANDRAILS = "handrails", _("扶手")
    BATHROOM = "bathroom", _("卫生间改造")
    DOOR = "door", _("门的加宽改造")
    ALARM = "alarm", _("闪光门铃与报警装置")
    KITCHEN = "kitchen", _("厨房改造")
    OTHER = "other", _("其他")


class HomeRenovation(models.Model):
    """A household's home accessibility renovation (家庭无障碍改造): the home assessed for a
    disabled member, a plan of items with costs and a contractor approved by the county,
    the work completed, then accepted at a visit. A household counts once, in the year of
    acceptance (I11); a household never has two accepted renovations. Region codes are the
    household's at assessment (the scope of region staff)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="renovations")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    county_code = models.CharField(max_length=6)
    township_code = models.CharField(max_length=9)
    village_code = models.CharField(max_length=12)
    assessed_on = models.DateField(_("入户评估日期"))
    assessment = models.CharField(_("评估意见"), max_length=300)
    contractor = models.CharField(_("施工单位"), max_length=100, blank=True)
    approved_on = models.DateField(_("改造方案批准日期"), null=True, blank=True)
    completed_on = models.DateField(_("完工日期"), null=True, blank=True)
    # A remark on the completion. Before photos were uploaded (services/0007) it held the
    # photos' references as text; such a record keeps it and shows it as a legacy note.
    completion_note = models.CharField(_("完工说明"), max_length=300, blank=True)
    accepted_on = models.DateField(_("验收日期"), null=True, blank=True)
    acceptance_note = models.CharField(_("验收意见"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("家庭无障碍改造")
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(accepted_on__isnull=False),
                name="renovation_household_accepted_once",
            ),
            models.CheckConstraint(
                condition=models.Q(approved_on__isnull=True)
                | models.Q(approved_on__gte=models.F("assessed_on")),
                name="renovation_approved_after_assessment",
            ),
            models.CheckConstraint(
                condition=models.Q(completed_on__isnull=True)
                | models.Q(approved_on__isnull=False, completed_on__gte=models.F("approved_on")),
                name="renovation_completed_after_approval",
            ),
            models.CheckConstraint(
                condition=models.Q(accepted_on__isnull=True)
                | models.Q(completed_on__isnull=False, accepted_on__gte=models.F("completed_on")),
                name="renovation_accepted_after_completion",
            ),
        ]
        indexes = [
            models.Index(fields=["accepted_on", "township_code"], name="renovation_accepted"),
            models.Index(fields=["county_code", "township_code"], name="renovation_region"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.assessed_on}"

    @property
    def stage(self) -> str:
        if self.accepted_on:
            return str(_("已验收"))
        if self.completed_on:
            return str(_("已完工待验收"))
        if self.approved_on:
            return str(_("方案已批准，施工中"))
        return str(_("已评估，待定方案"))


class RenovationItem(models.Model):
    """One item of a renovation plan (改造项目) with its cost."""

    renovation = models.ForeignKey(HomeRenovation, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("改造项目"), max_length=10, choices=RenovationItemKind.choices)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    cost = models.DecimalField(_("费用（元）"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("改造项目")
        constraints = [
            models.CheckConstraint(condition=models.Q(cost__gte=0), name="renovation_item_cost")
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class RenovationPhoto(models.Model):
    """A photo of the completed work (完工照片), uploaded with the completion: JPEG or PNG by
    its content, stored encrypted with a random name under ``MEDIA_ROOT/renovation-photos``
    (``dpf.workflow.documents``, the one owner of uploaded files). It is served only through
    the renovation's scoped and audited view, by its number within the renovation (1, 2 …):
    neither the stored name nor a global id ever reaches a page or an address."""

    renovation = models.ForeignKey(HomeRenovation, on_delete=models.CASCADE, related_name="photos")
    number = models.PositiveSmallIntegerField(_("照片序号"))
    original_name = models.CharField(_("原文件名"), max_length=200)
    stored_name = models.CharField(max_length=80, unique=True)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("完工照片")
        ordering = ["renovation", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["renovation", "number"], name="renovation_photo_number_once"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="renovation_photo_number_from_one"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.renovation_id} #{self.number}"


# --- compulsory education (义务教育, I08) --------------------------------------------------
# A child in school is the registry's SchoolEnrolment in force (regular school, special
# school, home teaching 送教上门), the fact the school roster writes and rule ``in_school``
# reads; a child of 6-15 not in school is followed here until resolved.


class NotEnrolledKind(models.TextChoices):
    NOT_ENROLLED = "not_enrolled", _("未入学")
    LEFT = "left", _("辍学（离校）")


class NotEnrolledReason(models.TextChoices):
    SEVERE_DISABILITY = "severe_disability", _("残疾程度重，无法就读")
    ILLNESS = "illness", _("因病不能就读")
    FAMILY = "family", _("家庭原因（家长不送学等）")
    NO_PLACE = "no_place", _("无适合的学校或送教服务")
    OTHER = "other", _("其他原因")


class NotEnrolled(models.Model):
    """A child of compulsory-school age (6-15) not in school from ``since`` (never enrolled,
    or left school), with the reason: the county's follow-up queue until it is resolved
    (``resolved_on``: enrolled again, or another resolution stated). Region codes are the
    child's when recorded (the scope of region staff)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="not_enrolled")
    kind = models.CharField(_("情形"), max_length=15, choices=NotEnrolledKind.choices)
    reason = models.CharField(_("原因"), max_length=20, choices=NotEnrolledReason.choices)
    note = models.CharField(_("情况说明"), max_length=300, blank=True)
    since = models.DateField(_("起始日期"))
    resolved_on = models.DateField(_("解决日期"), null=True, blank=True)
    resolution = models.CharField(_("解决情况"), max_length=300, blank=True)
    county_code = models.CharField(max_length=6)
    township_code = models.CharField(max_length=9)
    village_code = models.CharField(max_length=12)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("未入学（辍学）跟进")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(resolved_on__isnull=True),
                name="not_enrolled_one_open",
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_on__isnull=True)
                | models.Q(resolved_on__gte=models.F("since")),
                name="not_enrolled_interval",
            ),
        ]
        indexes = [
            models.Index(fields=["county_code", "resolved_on"], name="not_enrolled_region"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.since}"


class NotEnrolledVisit(models.Model):
    """A follow-up visit to a child not in school (跟进走访)."""

    record = models.ForeignKey(NotEnrolled, on_delete=models.CASCADE, related_name="visits")
    date = models.DateField(_("走访日期"))
    note = models.CharField(_("走访情况"), max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("未入学跟进走访")

    def __str__(self) -> str:
        return f"{self.date}"


# --- care services (托养服务, plan section 三(一)3) ------------------------------------------


class CareKind(models.TextChoices):
    RESIDENTIAL = "residential", _("寄宿制托养")
    DAY = "day", _("日间照料")
    HOME = "home", _("居家托养")


class CarePlacement(models.Model):
    """A person placed in care (托养) by the county: residential, day care or home-based,
    with the institution that gives it, the months granted and the monthly subsidy; ended
    early with a reason, or when its months run out. The institution's staff see their
    own placements; region codes are the person's at placement. A subsidy is paid as the
    catalogue's care benefit (``entitlement``) through the monthly payment lists."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="care_placements")
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="care_placements"
    )
    kind = models.CharField(_("托养方式"), max_length=12, choices=CareKind.choices)
    start = models.DateField(_("托养开始日期"))
    months = models.PositiveSmallIntegerField(_("托养月数"))
    end = models.DateField(_("托养结束日期"))
    monthly_subsidy = models.DecimalField(_("每月补贴（元）"), max_digits=8, decimal_places=2)
    # The catalogue's care benefit (care_service) for the placement's months at its subsidy,
    # which the monthly payment lists pay; none when the subsidy is 0 (or for a placement
    # recorded before the subsidy was paid this way, services/0008).
    entitlement = models.OneToOneField(
        "benefits.Entitlement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_placement",
        verbose_name=_("托养补贴待遇"),
    )
    ended_on = models.DateField(_("提前结束日期"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=200, blank=True)
    county_code = models.CharField(max_length=6)
    township_code = models.CharField(max_length=9)
    village_code = models.CharField(max_length=12)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("托养安置")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="care_interval"
            ),
            models.CheckConstraint(condition=models.Q(months__gte=1), name="care_months"),
            models.CheckConstraint(condition=models.Q(monthly_subsidy__gte=0), name="care_subsidy"),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("start"), ended_on__lte=models.F("end")),
                name="care_ended_within",
            ),
        ]
        indexes = [
            models.Index(fields=["institution", "end"], name="care_institution"),
            models.Index(fields=["county_code", "township_code"], name="care_region"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start}"

    @property
    def last_day(self) -> dt.date:
        return self.ended_on or self.end


# The child rehabilitation assistance's screening, referral and hand-over records.
from dpf.services.child_models import (  # noqa: E402, F401
    ChildReferral,
    ChildTransition,
    ReferralKind,
    ReferralSource,
)
