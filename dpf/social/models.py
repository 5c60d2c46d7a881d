"""Social assistance records: what the emergency priority lists need beyond the registry
(a person bedridden, a device that needs power)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dpf.core.fields import EncryptedTextField
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


# --- volunteers (助残志愿服务) --------------------------------------------------------------


class VolunteerTeam(models.Model):
    """A volunteer team (助残志愿服务队, T0506), based in a township."""

    name = models.CharField(_("队伍名称"), max_length=100)
    county_code = models.CharField(max_length=6, db_index=True)
    township_code = models.CharField(max_length=9, db_index=True)
    leader_name = models.CharField(_("负责人"), max_length=50, blank=True)
    founded_on = models.DateField(_("成立日期"))
    dissolved_on = models.DateField(_("解散日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return self.name


class VolunteerStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已注册")
    REFUSED = "refused", _("未通过")
    WITHDRAWN = "withdrawn", _("已退出")


# A registration that is live: one per ID number (a refused or withdrawn one stays as history).
LIVE_VOLUNTEER_STATUSES = (VolunteerStatus.PENDING, VolunteerStatus.APPROVED)


class Volunteer(models.Model):
    """A registered volunteer (注册助残志愿者, T0507), registered with their consent; the ID
    number is kept encrypted (with a look-up hash) and never shown to volunteers.

    Staff register a volunteer at once (``approved``); a citizen's own registration on the
    portal is ``pending`` until the staff of its region approve or refuse it, and the
    volunteer may withdraw (``withdrawn``). ``registered_on`` is the day the registration
    took effect (none while pending or when refused), which T0507 counts from."""

    name = models.CharField(_("姓名"), max_length=50)
    id_number = EncryptedTextField(_("身份证号码"))
    id_number_hash = models.CharField(max_length=64, db_index=True)
    id_number_masked = models.CharField(_("身份证号码"), max_length=18)
    phone = EncryptedTextField(_("联系电话"), blank=True)
    county_code = models.CharField(max_length=6, db_index=True)
    township_code = models.CharField(max_length=9, db_index=True)
    village_code = models.CharField(max_length=12, db_index=True)
    team = models.ForeignKey(
        VolunteerTeam,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteers",
        verbose_name=_("志愿服务队"),
    )
    consent_on = models.DateField(_("同意登记日期"))
    registered_on = models.DateField(_("注册日期"), null=True, blank=True)
    withdrawn_on = models.DateField(_("退出日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=VolunteerStatus.choices,
        default=VolunteerStatus.APPROVED,
    )
    skills = models.CharField(_("特长技能"), max_length=200, blank=True)
    availability = models.CharField(_("可服务时间"), max_length=200, blank=True)
    self_registered = models.BooleanField(_("本人在网上注册"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_on = models.DateField(_("审核日期"), null=True, blank=True)
    refusal_reason = models.CharField(_("未通过原因"), max_length=200, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteer",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            # Registering twice is refused; a refused or withdrawn registration is history.
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=models.Q(status__in=["pending", "approved"]),
                name="volunteer_one_live_registration",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="pending") | models.Q(registered_on__isnull=True),
                name="volunteer_pending_not_registered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class VolunteerEvent(models.Model):
    """A volunteer service event (志愿服务活动): where to meet, when, how many volunteers."""

    title = models.CharField(_("活动名称"), max_length=100)
    team = models.ForeignKey(
        VolunteerTeam,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("志愿服务队"),
    )
    county_code = models.CharField(max_length=6, db_index=True)
    township_code = models.CharField(max_length=9, db_index=True)
    meeting_place = models.CharField(_("集合地点"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("招募人数"))
    served = models.ManyToManyField(
        Person, blank=True, related_name="volunteer_events", verbose_name=_("服务对象")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="event_ends_after"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="event_capacity"),
        ]

    def __str__(self) -> str:
        return self.title


class EventSignup(models.Model):
    """A volunteer signed up for an event; attendance and hours recorded afterwards."""

    event = models.ForeignKey(VolunteerEvent, on_delete=models.CASCADE, related_name="signups")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="signups")
    signed_up_at = models.DateTimeField(_("报名时间"))
    attended = models.BooleanField(_("已参加"), null=True)
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=5, decimal_places=1, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "volunteer"], name="signup_once"),
            models.CheckConstraint(
                condition=models.Q(hours__gte=0) & models.Q(hours__lte=24),
                name="signup_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.volunteer_id}"


# --- social organisations (助残社会组织) -----------------------------------------------------


class OrganisationKind(models.TextChoices):
    SERVICE = "service", _("民办非企业单位（社会服务机构）")
    ASSOCIATION = "association", _("社会团体")
    FOUNDATION = "foundation", _("基金会")
    COMMUNITY = "community", _("社区社会组织")


class SocialOrganisation(models.Model):
    """A social organisation helping disabled people (助残社会组织), registered with the civil
    affairs bureau; incubated (培育孵化) by the federation from one date to another (T0508)."""

    name = models.CharField(_("名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    kind = models.CharField(_("类型"), max_length=12, choices=OrganisationKind.choices)
    county_code = models.CharField(max_length=6, db_index=True)
    township_code = models.CharField(max_length=9, db_index=True)
    registered_on = models.DateField(_("登记日期"))
    incubation_from = models.DateField(_("入驻孵化日期"), null=True, blank=True)
    incubated_on = models.DateField(_("孵化完成日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(incubated_on__isnull=True)
                | models.Q(incubation_from__lte=models.F("incubated_on")),
                name="organisation_incubated_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ServiceProject(models.Model):
    """A service the government buys from an organisation (政府购买助残服务项目)."""

    organisation = models.ForeignKey(
        SocialOrganisation, on_delete=models.PROTECT, related_name="projects"
    )
    title = models.CharField(_("项目名称"), max_length=100)
    purchaser = models.CharField(_("购买主体"), max_length=100)
    county_code = models.CharField(max_length=6, db_index=True)
    township_code = models.CharField(max_length=9, db_index=True)
    budget = models.DecimalField(_("预算（元）"), max_digits=12, decimal_places=2)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    evaluated_on = models.DateField(_("评估日期"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("评估得分"), null=True, blank=True)
    evaluation = models.TextField(_("评估意见"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="project_dates"
            ),
            models.CheckConstraint(condition=models.Q(budget__gte=0), name="project_budget"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__lte=100),
                name="project_score",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProjectDelivery(models.Model):
    """A delivery record of a purchased service (服务记录): what was done, for how many."""

    project = models.ForeignKey(ServiceProject, on_delete=models.CASCADE, related_name="deliveries")
    delivered_on = models.DateField(_("服务日期"))
    description = models.CharField(_("服务内容"), max_length=300)
    persons_served = models.PositiveIntegerField(_("服务人次"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.project_id}:{self.delivered_on}"


# --- disability service facilities (残疾人服务设施, plan 三(六)5) ------------------------------


class FacilityKind(models.TextChoices):
    REHABILITATION = "rehabilitation", _("康复设施")
    CARE = "care", _("托养照护设施")
    EMPLOYMENT = "employment", _("就业服务设施")
    CULTURE_SPORT = "culture_sport", _("文化体育设施")
    OTHER = "other", _("其他服务设施")


class FacilityState(models.TextChoices):
    PLANNED = "planned", _("规划中")
    BUILDING = "building", _("在建")
    OPEN = "open", _("已投入使用")
    CLOSED = "closed", _("已停用")


class Facility(models.Model):
    """A disability service facility (残疾人服务设施): a building of the federation or of a
    partner, where it stands, its floor area, the year it opened and its state with the date
    each state began. Holds no personal data."""

    name = models.CharField(_("设施名称"), max_length=100)
    kind = models.CharField(_("设施类型"), max_length=16, choices=FacilityKind.choices)
    county_code = models.CharField(max_length=6, db_index=True)
    township_code = models.CharField(max_length=9, db_index=True)
    floor_area = models.DecimalField(_("建筑面积（平方米）"), max_digits=9, decimal_places=1)
    opening_year = models.PositiveSmallIntegerField(_("投入使用年份"), null=True, blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=FacilityState.choices, default=FacilityState.PLANNED
    )
    planned_on = models.DateField(_("立项日期"), null=True, blank=True)
    building_from = models.DateField(_("开工日期"), null=True, blank=True)
    opened_on = models.DateField(_("投入使用日期"), null=True, blank=True)
    closed_on = models.DateField(_("停用日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(floor_area__gt=0), name="facility_area"),
            models.CheckConstraint(
                condition=~models.Q(state__in=["open", "closed"])
                | models.Q(opening_year__isnull=False),
                name="facility_open_has_year",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="closed") | models.Q(closed_on__isnull=False),
                name="facility_closed_has_date",
            ),
        ]
        indexes = [models.Index(fields=["county_code", "kind"], name="facility_county_kind")]

    def __str__(self) -> str:
        return self.name


# --- culture and sport activities (文化体育活动, plan 三(五)) ----------------------------------


class ActivityKind(models.TextChoices):
    CULTURE = "culture", _("文化活动")
    ART = "art", _("文艺展演")
    READING = "reading", _("阅读与讲座")
    SPORT = "sport", _("群众性体育健身")
    COMPETITION = "competition", _("体育赛事")
    OTHER = "other", _("其他")


class CultureActivity(models.Model):
    """A culture or sport activity (文化体育活动) organised by a county (or the city, naming
    the county where it is held); its participants are persons of the registry."""

    title = models.CharField(_("活动名称"), max_length=100)
    kind = models.CharField(_("活动类型"), max_length=12, choices=ActivityKind.choices)
    held_on = models.DateField(_("活动日期"))
    place = models.CharField(_("活动地点"), max_length=200)
    county_code = models.CharField(max_length=6, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return self.title


class ActivityParticipation(models.Model):
    """A person who took part in an activity: one participation (人次); the person's region
    at the time is kept so that the counts by county do not move when the person does."""

    activity = models.ForeignKey(
        CultureActivity, on_delete=models.CASCADE, related_name="participations"
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="culture_participations"
    )
    county_code = models.CharField(max_length=6, db_index=True)
    township_code = models.CharField(max_length=9, db_index=True)
    village_code = models.CharField(max_length=12)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "person"], name="participation_once")
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}:{self.person_id}"


# --- legal aid referrals (法律援助转介, plan 三(七)) --------------------------------------------


class LegalMatter(models.TextChoices):
    EMPLOYMENT = "employment", _("劳动争议")
    INJURY = "injury", _("侵权损害赔偿")
    FAMILY = "family", _("婚姻家庭")
    MAINTENANCE = "maintenance", _("赡养、抚养、扶养")
    PROPERTY = "property", _("财产权益")
    ADMINISTRATIVE = "administrative", _("行政争议")
    OTHER = "other", _("其他")


class LegalAidChannel(models.TextChoices):
    """How the request for legal aid came to the federation."""

    WINDOW = "window", _("窗口")
    HOTLINE = "hotline", _("12385热线")
    PORTAL = "portal", _("网上（群众端）")


class LegalAidStatus(models.TextChoices):
    """Derived from the outcome dates (``LegalAidReferral.status``), never stored."""

    REFERRED = "referred", _("已转介，待反馈")
    ACCEPTED = "accepted", _("已受理")
    DECLINED = "declined", _("不予受理")
    CONCLUDED = "concluded", _("已办结")


class LegalAidReferral(models.Model):
    """A disabled person referred by the federation's rights-protection officer (维权) to the
    county justice bureau's legal aid centre (法律援助转介), and what the centre did:
    accepted (受理), declined with a reason (不予受理) or concluded with a result (办结).
    The region codes are the person's when referred: that county's and township's officers
    keep it. A request from the portal or the 12385 hotline is named by its number
    (``citizen_request_id``: the portal sits above this app, so no foreign key)."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="legal_aid_referrals", verbose_name=_("人员")
    )
    county_code = models.CharField(max_length=6, db_index=True)
    township_code = models.CharField(max_length=9, db_index=True)
    village_code = models.CharField(max_length=12)
    matter = models.CharField(_("事项类别"), max_length=16, choices=LegalMatter.choices)
    description = models.CharField(_("事项简述"), max_length=300)
    channel = models.CharField(_("来源渠道"), max_length=10, choices=LegalAidChannel.choices)
    citizen_request_id = models.PositiveIntegerField(_("诉求编号"), null=True, blank=True)
    referred_on = models.DateField(_("转介日期"))
    referred_to = models.CharField(_("转介至"), max_length=100)
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    declined_on = models.DateField(_("不予受理日期"), null=True, blank=True)
    decline_reason = models.CharField(_("不予受理原因"), max_length=500, blank=True)
    concluded_on = models.DateField(_("办结日期"), null=True, blank=True)
    result = models.CharField(_("办理结果"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(accepted_on__isnull=True)
                    | models.Q(accepted_on__gte=models.F("referred_on"))
                )
                & (
                    models.Q(declined_on__isnull=True)
                    | models.Q(declined_on__gte=models.F("referred_on"))
                )
                & (
                    models.Q(concluded_on__isnull=True)
                    | models.Q(concluded_on__gte=models.F("referred_on"))
                ),
                name="legal_aid_outcome_after_referral",
            ),
            models.CheckConstraint(
                condition=models.Q(concluded_on__isnull=True)
                | models.Q(accepted_on__isnull=True)
                | models.Q(concluded_on__gte=models.F("accepted_on")),
                name="legal_aid_concluded_after_accepted",
            ),
            # Declined is final: never accepted nor concluded as well.
            models.CheckConstraint(
                condition=models.Q(declined_on__isnull=True)
                | (models.Q(accepted_on__isnull=True) & models.Q(concluded_on__isnull=True)),
                name="legal_aid_declined_is_final",
            ),
            models.CheckConstraint(
                condition=models.Q(declined_on__isnull=True) | ~models.Q(decline_reason=""),
                name="legal_aid_declined_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(concluded_on__isnull=True) | ~models.Q(result=""),
                name="legal_aid_concluded_has_result",
            ),
        ]
        indexes = [
            models.Index(fields=["county_code", "referred_on"], name="legal_aid_county_referred")
        ]

    def __str__(self) -> str:
        return f"{self.matter} {self.pk}"

    @property
    def status(self) -> LegalAidStatus:
        if self.concluded_on is not None:
            return LegalAidStatus.CONCLUDED
        if self.declined_on is not None:
            return LegalAidStatus.DECLINED
        if self.accepted_on is not None:
            return LegalAidStatus.ACCEPTED
        return LegalAidStatus.REFERRED
