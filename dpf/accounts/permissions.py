"""Who may do what: the permission table (role, action, object type, scope).

The table is the single source of truth for authorisation. Routes use it through
``permission_required`` (a route declaration like ``@allow``), services through
``require_permission``; ``dpf security table`` prints it as the markdown table of
``docs/security.md`` (a test fails when the document drifts from the code).

Deny by default: a (role, action, object type) not in the table is refused. The *scope*
column says which records a permission reaches; the records themselves are filtered by
``dpf.accounts.scoping`` (a record outside the scope answers 404, never 403).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from dpf.core.access import allow
from dpf.core.errors import DomainError, NotFound
from dpf.core.roles import Role

F = TypeVar("F", bound=Callable[..., Any])


class Action(models.TextChoices):
    VIEW = "view", _("查看")
    CREATE = "create", _("新增")
    CHANGE = "change", _("修改")
    APPROVE = "approve", _("审批")
    EXPORT = "export", _("导出")
    IMPORT = "import", _("导入")
    REVEAL = "reveal", _("显示完整信息")
    MANAGE = "manage", _("管理")


class ObjectType(models.TextChoices):
    PERSON = "person", _("人员档案")
    HOUSEHOLD = "household", _("家庭")
    CERTIFICATE = "certificate", _("残疾人证")
    SURVEY = "survey", _("需求调查")
    APPLICATION = "application", _("申请")
    ENTITLEMENT = "entitlement", _("待遇享受")
    PAYMENT_LIST = "payment_list", _("发放名册")
    ROSTER = "roster", _("部门交换名册")
    SERVICE_RECORD = "service_record", _("服务记录")
    SERVICE_PLAN = "service_plan", _("服务计划（指定机构）")
    HOME_RENOVATION = "home_renovation", _("家庭无障碍改造")
    EDUCATION_RECORD = "education_record", _("义务教育就学状况")
    CHILD_REFERRAL = "child_referral", _("残疾儿童筛查转介")
    QUOTA_DECLARATION = "quota_declaration", _("按比例就业年审")
    EMPLOYER = "employer", _("用人单位")
    TRAINING = "training", _("职业技能培训")
    EMPLOYMENT_RECORD = "employment_record", _("就业登记与安置")
    GRADUATE_FILE = "graduate_file", _("高校毕业生就业帮扶台账")
    VOLUNTEER_RECORD = "volunteer_record", _("志愿服务记录")
    INDICATORS = "indicators", _("统计指标（汇总）")
    INDICATOR_LIST = "indicator_list", _("指标名单（钻取到人）")
    MANUAL_VALUE = "manual_value", _("指标手工填报值")
    SNAPSHOT = "snapshot", _("指标快照（重新计算）")
    EVALUATION_REPORT = "evaluation_report", _("规划评估报告")
    WORK_ITEM = "work_item", _("主动发现与复核事项")
    BULK_DECISION = "bulk_decision", _("批量办理")
    RULE_VERSION = "rule_version", _("待遇规则与补贴标准")
    INSTITUTION = "institution", _("服务机构")
    DEVICE_CATALOGUE = "device_catalogue", _("辅助器具补贴目录")
    AUDIT_LOG = "audit_log", _("审计日志")
    SECURITY_POLICY = "security_policy", _("安全策略")
    STAFF_ACCOUNT = "staff_account", _("工作人员账号")
    GUARDIAN_CLAIM = "guardian_claim", _("监护关系登记申请")
    CITIZEN_REQUEST = "citizen_request", _("投诉与上门服务请求")
    CITIZEN_ACCOUNT = "citizen_account", _("群众账号")
    TRANSFER_REQUEST = "transfer_request", _("迁移申请")
    PAYEE_ACCOUNT = "payee_account", _("发放账户")
    SCHEDULE = "schedule", _("定时任务与后台作业")
    EMERGENCY_LIST = "emergency_list", _("应急优先名单")
    RISK_CASE = "risk_case", _("防返贫监测预警与帮扶")
    RISK_RULE = "risk_rule", _("防返贫风险规则与监测线")
    VOLUNTEER = "volunteer", _("志愿者、服务队与志愿活动")
    VOLUNTEER_REGISTRATION = "volunteer_registration", _("本人的志愿者注册")
    SOCIAL_ORGANISATION = "social_organisation", _("助残社会组织与购买服务项目")
    FACILITY = "facility", _("残疾人服务设施")
    CULTURE_ACTIVITY = "culture_activity", _("文化体育活动与参与人员")
    LEGAL_AID = "legal_aid", _("法律援助转介")


class Scope(models.TextChoices):
    """Which records a permission reaches."""

    REGION = "region", _("本地区（含下级）")
    INSTITUTION = "institution", _("本机构")
    SELF = "self", _("本人及被监护人")
    ASSIGNED = "assigned", _("本地区内分派给本人的")
    AGGREGATE = "aggregate", _("仅汇总数据")
    PLATFORM = "platform", _("全平台")


# Object types that hold personal data: only roles with a region, institution or self scope
# may ever be granted them, never an aggregate-only role.
PERSONAL_OBJECT_TYPES = frozenset(
    {
        ObjectType.PERSON,
        ObjectType.HOUSEHOLD,
        ObjectType.CERTIFICATE,
        ObjectType.SURVEY,
        ObjectType.APPLICATION,
        ObjectType.ENTITLEMENT,
        ObjectType.PAYMENT_LIST,
        ObjectType.INDICATOR_LIST,  # the persons behind a figure
        ObjectType.WORK_ITEM,
        ObjectType.BULK_DECISION,
        ObjectType.ROSTER,
        ObjectType.SERVICE_RECORD,
        ObjectType.SERVICE_PLAN,
        ObjectType.HOME_RENOVATION,
        ObjectType.EDUCATION_RECORD,
        ObjectType.CHILD_REFERRAL,  # a child's screening finding
        ObjectType.VOLUNTEER_RECORD,
        ObjectType.AUDIT_LOG,
        ObjectType.CITIZEN_REQUEST,
        ObjectType.CITIZEN_ACCOUNT,
        ObjectType.GUARDIAN_CLAIM,  # who cares for whom, with a proof document
        ObjectType.TRANSFER_REQUEST,
        ObjectType.PAYEE_ACCOUNT,
        ObjectType.QUOTA_DECLARATION,  # names disabled employees by certificate
        ObjectType.TRAINING,  # attendance names persons
        ObjectType.EMPLOYMENT_RECORD,  # who works where; zero-employment households
        ObjectType.GRADUATE_FILE,  # a graduate's school, wishes and the help given
        ObjectType.EMERGENCY_LIST,  # addresses and phone numbers of the most vulnerable
        ObjectType.RISK_CASE,  # households at risk, visits, measures
        ObjectType.VOLUNTEER,  # volunteers' ID numbers and phones; the persons served
        ObjectType.VOLUNTEER_REGISTRATION,  # a citizen's own registration as a volunteer
        ObjectType.CULTURE_ACTIVITY,  # who took part, by ID number
        ObjectType.LEGAL_AID,  # a person's legal dispute and its outcome
    }
)


@dataclass(frozen=True)
class Permission:
    role: Role
    action: Action
    object_type: ObjectType
    scope: Scope


def _grant(
    role: Role, scope: Scope, actions: Iterable[Action], object_types: Iterable[ObjectType]
) -> list[Permission]:
    types = list(object_types)
    return [Permission(role, a, t, scope) for a in actions for t in types]


def _grant_each(
    roles: Iterable[Role],
    scope: Scope,
    actions: Iterable[Action],
    object_types: Iterable[ObjectType],
) -> list[Permission]:
    acts, types = list(actions), list(object_types)
    return [p for role in roles for p in _grant(role, scope, acts, types)]


A, T, S = Action, ObjectType, Scope
_RECORD = (T.PERSON, T.HOUSEHOLD, T.CERTIFICATE, T.SURVEY)
_REVEALABLE = (T.PERSON, T.HOUSEHOLD)  # full ID number, phone, address on request
_REGION_STAFF = (Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.TOWNSHIP_OFFICER, Role.VILLAGE_WORKER)

PERMISSIONS: tuple[Permission, ...] = tuple(
    # City DPF administrators: everything in the city, the audit log, the security policy.
    _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CREATE, A.CHANGE, A.EXPORT), _RECORD)
    + _grant(Role.CITY_ADMIN, S.REGION, (A.REVEAL,), _REVEALABLE)
    + _grant(
        Role.CITY_ADMIN,
        S.REGION,
        (A.VIEW, A.CREATE, A.CHANGE, A.APPROVE, A.EXPORT),
        (T.APPLICATION, T.ENTITLEMENT),
    )
    # Payment lists: the city follows every county's; each county makes its own (below).
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW,), (T.PAYMENT_LIST,))
    + _grant(Role.CITY_ADMIN, S.REGION, (A.IMPORT, A.EXPORT), (T.ROSTER,))
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CHANGE), (T.INDICATORS,))
    + _grant(Role.CITY_ADMIN, S.PLATFORM, (A.VIEW,), (T.AUDIT_LOG,))
    + _grant(Role.CITY_ADMIN, S.PLATFORM, (A.VIEW, A.MANAGE), (T.SECURITY_POLICY,))
    # Schedules and background jobs (dpf.jobs): the city admin sees and runs them.
    + _grant(Role.CITY_ADMIN, S.PLATFORM, (A.VIEW, A.MANAGE), (T.SCHEDULE,))
    # County DPF: approves, pays, imports rosters for its county.
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE, A.EXPORT), _RECORD)
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.REVEAL,), _REVEALABLE)
    + _grant(
        Role.COUNTY_OFFICER,
        S.REGION,
        (A.VIEW, A.CREATE, A.CHANGE, A.APPROVE, A.EXPORT),
        (T.APPLICATION, T.ENTITLEMENT),
    )
    # The county generates a month's list (create), approves it (approve, never the officer
    # who generated it), deletes a draft and records the bank's results (change), and
    # exports the bank list and the signing PDF (export).
    + _grant(
        Role.COUNTY_OFFICER,
        S.REGION,
        (A.VIEW, A.CREATE, A.CHANGE, A.APPROVE, A.EXPORT),
        (T.PAYMENT_LIST,),
    )
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.IMPORT,), (T.ROSTER,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW,), (T.INDICATORS,))
    # Township / street DPF: first review; keeps records; sees its township.
    + _grant(
        Role.TOWNSHIP_OFFICER,
        S.REGION,
        (A.VIEW, A.CREATE, A.CHANGE),
        (T.PERSON, T.HOUSEHOLD, T.SURVEY),
    )
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.REVEAL,), _REVEALABLE)
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.VIEW,), (T.CERTIFICATE, T.ENTITLEMENT))
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.APPLICATION,))
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.VIEW,), (T.INDICATORS,))
    # Village / community worker: keeps the household records and the yearly survey.
    + _grant(Role.VILLAGE_WORKER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.PERSON, T.HOUSEHOLD))
    + _grant(Role.VILLAGE_WORKER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.SURVEY,))
    + _grant(Role.VILLAGE_WORKER, S.REGION, (A.VIEW,), (T.CERTIFICATE, T.ENTITLEMENT))
    + _grant(Role.VILLAGE_WORKER, S.REGION, (A.VIEW, A.CREATE), (T.APPLICATION,))
    + _grant(Role.VILLAGE_WORKER, S.REGION, (A.VIEW,), (T.INDICATORS,))
    # Service institutions: their own clients' service records (sessions, outcomes).
    + _grant(Role.INSTITUTION_STAFF, S.INSTITUTION, (A.VIEW, A.CREATE), (T.SERVICE_RECORD,))
    # The county (or city) turns a need into a service plan at an institution (the
    # institution's client from then on); region staff follow the services of their region.
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CREATE), (T.SERVICE_PLAN,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE), (T.SERVICE_PLAN,))
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW,), (T.SERVICE_RECORD,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW,), (T.SERVICE_RECORD,))
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.VIEW,), (T.SERVICE_RECORD,))
    # Home accessibility renovation (I11): the county assesses, approves the plan, records
    # completion and acceptance; the township follows its households.
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.HOME_RENOVATION,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.HOME_RENOVATION,))
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.VIEW,), (T.HOME_RENOVATION,))
    # Schooling of disabled children of 6-15 (I08): recorded where the child lives, from the
    # village up; the not-enrolled list is the county's follow-up queue.
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW,), (T.EDUCATION_RECORD,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.EDUCATION_RECORD,))
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.EDUCATION_RECORD,))
    + _grant(Role.VILLAGE_WORKER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.EDUCATION_RECORD,))
    # A child screened or referred for rehabilitation assistance (0-7): recorded where the
    # child lives, from the village up; the county follows it to the application.
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW,), (T.CHILD_REFERRAL,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.CHILD_REFERRAL,))
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.VIEW, A.CREATE), (T.CHILD_REFERRAL,))
    + _grant(Role.VILLAGE_WORKER, S.REGION, (A.VIEW, A.CREATE), (T.CHILD_REFERRAL,))
    # Partner departments: roster exchange only.
    + _grant(Role.DEPARTMENT_EXCHANGE, S.INSTITUTION, (A.IMPORT, A.EXPORT), (T.ROSTER,))
    # Employers: their own yearly quota declaration.
    + _grant(Role.EMPLOYER, S.SELF, (A.VIEW, A.CREATE, A.CHANGE), (T.QUOTA_DECLARATION,))
    # The county employment service office registers employers, reviews their declarations
    # and keeps their credit record; the city follows and exports every county's.
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.EMPLOYER,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.APPROVE), (T.QUOTA_DECLARATION,))
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CREATE, A.CHANGE, A.EXPORT), (T.EMPLOYER,))
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.APPROVE, A.EXPORT), (T.QUOTA_DECLARATION,))
    # Vocational training courses and their attendance (I02), kept by the county.
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.TRAINING,))
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.TRAINING,))
    # Employment records (the registry's employment facts), assisted-employment institutions
    # and placements, and the zero-employment households followed up, kept by the county.
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.EMPLOYMENT_RECORD,))
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.EMPLOYMENT_RECORD,))
    # Disabled college graduates' files (一人一档) and the support actions taken for each
    # (一人一策), kept by the county employment service office; the city follows them.
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.GRADUATE_FILE,))
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.GRADUATE_FILE,))
    # Volunteers: their own service log.
    + _grant(Role.VOLUNTEER, S.SELF, (A.VIEW, A.CREATE), (T.VOLUNTEER_RECORD,))
    # Complaints and home-visit requests: the township and county queues; officers also
    # record the requests made at the window or on the 12385 hotline (create).
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.CITIZEN_REQUEST,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.CITIZEN_REQUEST,))
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.CITIZEN_REQUEST,))
    # A village worker handles the requests a township (or county) officer assigned to them
    # by name, and no other of the village (a complaint may be about the village's own
    # staff): dpf.portal.selectors.staff_requests.
    + _grant(Role.VILLAGE_WORKER, S.ASSIGNED, (A.VIEW, A.CHANGE), (T.CITIZEN_REQUEST,))
    # A registration of an ID number held outside the worker's scope becomes a transfer
    # request (迁移申请) that the officers of the holding region accept or decline.
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.APPROVE), (T.TRANSFER_REQUEST,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.APPROVE), (T.TRANSFER_REQUEST,))
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.VIEW, A.APPROVE), (T.TRANSFER_REQUEST,))
    # Workers open a portal account for a person of their region (initial password).
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.CREATE,), (T.CITIZEN_ACCOUNT,))
    + _grant(Role.VILLAGE_WORKER, S.REGION, (A.CREATE,), (T.CITIZEN_ACCOUNT,))
    # A new or changed bank account is paid to only after an officer of the person's township
    # or county (not the one who recorded it) has verified it against the person.
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.APPROVE), (T.PAYEE_ACCOUNT,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.APPROVE), (T.PAYEE_ACCOUNT,))
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.VIEW, A.APPROVE), (T.PAYEE_ACCOUNT,))
    # Emergency priority lists (应急优先名单) of a township or village: region staff see them
    # masked and record who is bedridden or needs power; the export in full (to print or
    # hand to responders) needs a stated purpose and is audited.
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CHANGE, A.EXPORT), (T.EMERGENCY_LIST,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CHANGE, A.EXPORT), (T.EMERGENCY_LIST,))
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.VIEW, A.CHANGE, A.EXPORT), (T.EMERGENCY_LIST,))
    + _grant(Role.VILLAGE_WORKER, S.REGION, (A.VIEW, A.CHANGE, A.EXPORT), (T.EMERGENCY_LIST,))
    # Return-to-poverty risk monitoring (防返贫动态监测): the county (or city) runs the scan
    # (create), every level follows its region's alerts, visits, records measures and closes
    # them; the city sets the risk rules and the monitoring line (dated configuration).
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.RISK_CASE,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.RISK_CASE,))
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.VIEW, A.CHANGE), (T.RISK_CASE,))
    + _grant(Role.VILLAGE_WORKER, S.REGION, (A.VIEW, A.CHANGE), (T.RISK_CASE,))
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CHANGE), (T.RISK_RULE,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW,), (T.RISK_RULE,))
    # Volunteer teams, volunteers (registered with consent) and events: the city, a county
    # and a township keep their region's; a volunteer sees only its own events (above).
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.VOLUNTEER,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.VOLUNTEER,))
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.VOLUNTEER,))
    # Social organisations helping disabled people, their incubation and the services the
    # government buys from them (no personal data): the city and the counties.
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.SOCIAL_ORGANISATION,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.SOCIAL_ORGANISATION,))
    # Disability service facilities (no personal data) and culture and sport activities
    # with their participants: the city and the counties keep their region's.
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.FACILITY,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.FACILITY,))
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.CULTURE_ACTIVITY,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.CULTURE_ACTIVITY,))
    # Legal aid referrals (法律援助转介) to the county justice bureau: the county's
    # rights-protection officer refers and records the centre's answer; a township officer
    # refers a person of the township (as it records the window's and hotline's requests);
    # the city follows.
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW,), (T.LEGAL_AID,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.LEGAL_AID,))
    + _grant(Role.TOWNSHIP_OFFICER, S.REGION, (A.VIEW, A.CREATE), (T.LEGAL_AID,))
    # Disabled persons and guardians (the portal): their own records and their current
    # dependants' ("self" scope). Staff routes never open to them: ``permission_required``
    # leaves self-scope grants out unless a route asks for them (``scope="self"``).
    + _grant(
        Role.CITIZEN,
        S.SELF,
        (A.VIEW,),
        (T.PERSON, T.CERTIFICATE, T.APPLICATION, T.ENTITLEMENT, T.CITIZEN_REQUEST),
    )
    + _grant(Role.CITIZEN, S.SELF, (A.CREATE,), (T.APPLICATION, T.CITIZEN_REQUEST))
    # A citizen registers themself as a volunteer (consent on the portal), sees the state of
    # the registration and withdraws it; the staff of the volunteer's region decide it.
    + _grant(Role.CITIZEN, S.SELF, (A.VIEW, A.CREATE, A.CHANGE), (T.VOLUNTEER_REGISTRATION,))
    # The scan's work items (主动发现 proposals, reviews): the region staff's queues. Bulk
    # decisions on one's tasks: township and county (each step names the role deciding it).
    + _grant_each(_REGION_STAFF, S.REGION, (A.VIEW,), (T.WORK_ITEM,))
    + _grant_each(
        (Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER), S.REGION, (A.CHANGE,), (T.BULK_DECISION,)
    )
    # Benefit rules and amount standards: the city publishes a new rule version (after
    # previewing its effect per county) and sets the standards.
    + _grant(Role.CITY_ADMIN, S.REGION, (A.CHANGE,), (T.RULE_VERSION,))
    # The city keeps the list of service institutions (registers them, corrects them, and
    # designates rehabilitation institutions) and the assistive-device catalogue (a new
    # dated version, or the end of one in force). An institution's own staff change
    # nothing of it, its designation least of all.
    + _grant(Role.CITY_ADMIN, S.REGION, (A.CREATE, A.CHANGE), (T.INSTITUTION, T.DEVICE_CATALOGUE))
    # Indicators beyond the aggregates: the persons behind a figure (region staff, within
    # their scope), hand-entered values and snapshots (the city), the evaluation report
    # (the city writes its analysis; viewers read the published version: aggregate scope).
    + _grant_each(_REGION_STAFF, S.REGION, (A.VIEW,), (T.INDICATOR_LIST, T.EVALUATION_REPORT))
    + _grant(Role.CITY_ADMIN, S.REGION, (A.CHANGE,), (T.MANUAL_VALUE, T.EVALUATION_REPORT))
    + _grant(Role.CITY_ADMIN, S.REGION, (A.CREATE,), (T.SNAPSHOT,))
    + _grant(Role.VIEWER, S.AGGREGATE, (A.VIEW,), (T.EVALUATION_REPORT,))
    # Staff accounts (账号管理): the city admin, and a county officer for its county, list,
    # create, change, disable and enable the accounts of their region, reset passwords and
    # second factors; never a role above their own or a region outside theirs
    # (dpf.accounts.administration).
    + _grant(Role.CITY_ADMIN, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.STAFF_ACCOUNT,))
    + _grant(Role.COUNTY_OFFICER, S.REGION, (A.VIEW, A.CREATE, A.CHANGE), (T.STAFF_ACCOUNT,))
    # A citizen asks to act for a dependant (监护关系登记) with a proof; an officer of the
    # dependant's township or county reviews it (approval records the guardianship).
    + _grant(Role.CITIZEN, S.SELF, (A.VIEW, A.CREATE), (T.GUARDIAN_CLAIM,))
    + _grant_each(
        (Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER),
        S.REGION,
        (A.VIEW, A.APPROVE),
        (T.GUARDIAN_CLAIM,),
    )
    # Leaders and the public: aggregates only.
    + _grant(Role.VIEWER, S.AGGREGATE, (A.VIEW,), (T.INDICATORS,))
)

_INDEX: dict[tuple[str, str, str], Permission] = {
    (str(p.role), str(p.action), str(p.object_type)): p for p in PERMISSIONS
}


class PermissionRefused(NotFound):
    """The user may not do this, or the record is outside the scope (never distinguished).

    Views answer 404 (``dpf.core.middleware.DomainErrorMiddleware``), and the attempt is
    written to the audit log as ``permission_denied``.
    """

    def __init__(self, action: str, object_type: str, object_id: object = "") -> None:
        # a NotFound to every caller (never distinguished), with its own message
        DomainError.__init__(
            self,
            "not_found",
            "记录不存在或无权访问",
            "the record does not exist or you may not access it",
        )
        self.action = action
        self.object_type = object_type
        self.object_id = str(object_id)


def permission_for(role: str | None, action: str, object_type: str) -> Permission | None:
    if not role:
        return None
    return _INDEX.get((str(role), str(action), str(object_type)))


def has_permission(user: Any, action: str, object_type: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return permission_for(getattr(user, "role", None), action, object_type) is not None


def scope_of(user: Any, action: str, object_type: str) -> Scope | None:
    """The scope in which ``user`` holds (action, object type), ``None`` without it (a
    viewer's ``aggregate`` scope means the published figures only)."""
    if not has_permission(user, action, object_type):
        return None
    granted = permission_for(getattr(user, "role", None), action, object_type)
    return granted.scope if granted else None


def require_permission(user: Any, action: str, object_type: str, object_id: object = "") -> None:
    """Raise :class:`PermissionRefused` unless ``user``'s role holds the permission.

    Services call it first; the scope (which records) is applied by the selectors.
    """
    if not has_permission(user, action, object_type):
        raise PermissionRefused(action, object_type, object_id)


def roles_with(action: str, object_type: str) -> frozenset[Role]:
    """The roles that hold (action, object type)."""
    return frozenset(
        p.role for p in PERMISSIONS if p.action == action and p.object_type == object_type
    )


def permission_required(
    action: Action | str, object_type: ObjectType | str, *, scope: Scope | str | None = None
) -> Callable[[F], F]:
    """Route declaration from the table: ``@permission_required("reveal", "person")``.

    Equivalent to ``@allow(*roles_with(action, object_type), action=…, object_type=…)``,
    without the "self"-scope grants: a staff page (which scopes by region) never opens to a
    citizen. The portal's pages ask for ``scope="self"`` and get only those grants.
    """
    wanted = str(scope) if scope is not None else None
    roles = frozenset(
        p.role
        for p in PERMISSIONS
        if p.action == str(action)
        and p.object_type == str(object_type)
        and (p.scope == wanted if wanted else p.scope != Scope.SELF)
    )
    if not roles:
        raise ValueError(f"no role holds ({action}, {object_type})")
    return allow(*roles, action=str(action), object_type=str(object_type))


def markdown_table() -> str:
    """The permission table as markdown (``dpf security table``; ``docs/security.md``)."""
    with translation.override("zh-hans"):
        return _markdown_rows()


def _markdown_rows() -> str:
    lines = [
        "| role | 角色 | scope | action | object types |",
        "|---|---|---|---|---|",
    ]
    for role in Role:
        grants = [p for p in PERMISSIONS if p.role == role]
        if not grants:
            lines.append(f"| `{role.value}` | {role.label} | – | – | (nothing) |")
            continue
        by_action: dict[tuple[Scope, Action], list[ObjectType]] = {}
        for p in grants:
            by_action.setdefault((p.scope, p.action), []).append(p.object_type)
        for (scope, action), types in sorted(
            by_action.items(),
            key=lambda item: (list(Scope).index(item[0][0]), list(Action).index(item[0][1])),
        ):
            names = ", ".join(f"`{t.value}`" for t in sorted(types, key=list(ObjectType).index))
            lines.append(
                f"| `{role.value}` | {role.label} | {scope.value} | `{action.value}` | {names} |"
            )
    return "\n".join(lines) + "\n"
