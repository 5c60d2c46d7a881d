"""The staff menu and each role's landing page, read from the routes' own declarations.

A menu entry is shown to a user when the route's declaration admits them (``may_open``):
the declarations come from the permission table (``permission_required``), so the menu
never names a role. ``landing(user)`` is the first page of ``LANDING`` the user may open:
where ``/`` sends each role after logging in (its queue and main actions).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.urls import NoReverseMatch, resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dpf.core.access import declaration_of


@dataclass(frozen=True)
class MenuEntry:
    url_name: str
    label: Promise
    # Other pages under this entry (marked as the current one there); a name ending in ":"
    # stands for every page of that namespace.
    also: tuple[str, ...] = ()
    # Shown only to users who may open this route too (a public page, such as the catalogue,
    # belongs in the menu of those who work with it, not of every logged-in user).
    shown_with: str = ""

    def is_current(self, view_name: str) -> bool:
        if view_name == self.url_name:
            return True
        return any(
            view_name.startswith(a) if a.endswith(":") else view_name == a for a in self.also
        )


MENU: tuple[MenuEntry, ...] = (
    # The records and the daily queues of the region staff.
    MenuEntry("registry:search", _("人员查询"), also=("registry:person", "registry:household")),
    MenuEntry("registry:person_new", _("登记人员")),
    MenuEntry("registry:household_new", _("登记家庭")),
    MenuEntry("registry:transfers", _("迁移申请")),
    MenuEntry(
        "registry:survey",
        _("需求调查"),
        also=("registry:survey_person", "registry:survey_round_new"),
    ),
    MenuEntry(
        "workflow:tasks",
        _("我的待办"),
        also=("workflow:overdue", "workflow:application", "workflow:bulk"),
    ),
    MenuEntry("workflow:application_new", _("受理申请")),
    MenuEntry(
        "workflow:proposals", _("主动发现"), also=("workflow:proposal_confirm", "benefits:item")
    ),
    MenuEntry("workflow:reviews", _("待遇复核"), also=("workflow:review",)),
    MenuEntry("workflow:payee_accounts", _("发放账户核实"), also=("workflow:payee_account",)),
    MenuEntry("workflow:payment_lists", _("发放名册"), also=("workflow:payment_list",)),
    MenuEntry(
        "portal:staff_requests",
        _("居民诉求"),
        also=("portal:staff_request", "portal:staff_request_new"),
    ),
    MenuEntry("portal:staff_guardians", _("监护关系审核"), also=("portal:staff_guardian",)),
    MenuEntry("social:risk_cases", _("返贫风险监测"), also=("social:risk_case",)),
    MenuEntry("social:risk_rules", _("风险规则与监测线")),
    MenuEntry("social:emergency", _("应急优先名单")),
    MenuEntry("social:legal_aid", _("法律援助转介"), also=("social:legal_aid_referral",)),
    # Services, employment, partner departments, volunteers, citizens.
    MenuEntry("services:rehab_queue", _("康复服务"), also=("services:rehab_plan",)),
    MenuEntry(
        "services:renovation_queue",
        _("无障碍改造"),
        also=("services:renovation", "services:renovation_new"),
    ),
    MenuEntry("services:schooling_queue", _("未入学跟进"), also=("services:schooling_child",)),
    MenuEntry(
        "services:child_referrals",
        _("儿童筛查转介"),
        also=("services:child_referral", "services:child_referral_new"),
    ),
    MenuEntry("services:child_transitions", _("儿童康复转衔"), also=("services:child_transition",)),
    MenuEntry(
        "services:care_queue",
        _("托养安置"),
        also=("services:care_placement", "services:care_placement_new"),
    ),
    MenuEntry(
        "services:institutions",
        _("服务机构"),
        also=("services:institution", "services:institution_new", "services:institution_edit"),
    ),
    MenuEntry(
        "services:device_catalogue",
        _("辅具补贴目录"),
        also=("services:device_item_new", "services:device_item_end"),
    ),
    MenuEntry("exchange:department", _("名单报送")),
    MenuEntry("employment:declaration", _("按比例就业年审申报")),
    MenuEntry(
        "employment:review_queue",
        _("年审审核"),
        also=("employment:review", "employment:levy_report"),
    ),
    MenuEntry(
        "employment:employers", _("用人单位"), also=("employment:credit", "employment:credit_lift")
    ),
    MenuEntry(
        "employment:training",
        _("职业培训"),
        also=("employment:training_course", "employment:training_report"),
    ),
    MenuEntry(
        "employment:training_bases",
        _("培训基地"),
        also=(
            "employment:training_base",
            "employment:training_base_new",
            "employment:training_base_edit",
        ),
    ),
    MenuEntry(
        "employment:records",
        _("就业登记"),
        also=("employment:zero_employment", "employment:assisted"),
    ),
    MenuEntry(
        "employment:graduates",
        _("毕业生就业帮扶"),
        also=("employment:graduate", "employment:graduate_new", "employment:graduate_edit"),
    ),
    MenuEntry("social:my_events", _("我的志愿活动")),
    MenuEntry("social:volunteers", _("志愿者"), also=("social:volunteer",)),
    MenuEntry("social:events", _("志愿活动"), also=("social:event",)),
    MenuEntry("social:organisations", _("社会组织"), also=("social:organisation",)),
    MenuEntry("social:facilities", _("服务设施"), also=("social:facility",)),
    MenuEntry("social:activities", _("文体活动"), also=("social:activity",)),
    MenuEntry("portal:home", _("我的服务"), also=("portal:",)),
    # Figures, the catalogue and rules, data exchange, administration.
    MenuEntry("indicators:dashboard", _("指标监测"), also=("indicators:",)),
    MenuEntry("benefits:catalogue", _("惠残事项目录"), shown_with="workflow:tasks"),
    MenuEntry("benefits:rule_preview", _("规则修改")),
    MenuEntry("exchange:index", _("数据交换"), also=("exchange:",)),
    MenuEntry("audit:list", _("审计日志")),
    MenuEntry(
        "accounts:staff_accounts",
        _("账号管理"),
        also=("accounts:staff_account", "accounts:staff_account_new"),
    ),
    MenuEntry("accounts:security_policy", _("安全设置")),
    MenuEntry("jobs:schedules", _("定时任务"), also=("jobs:",)),
)

# Where ``/`` sends a logged-in user: the first of these pages they may open.
LANDING: tuple[str, ...] = (
    "portal:home",  # disabled persons and guardians
    "registry:search",  # region staff: the records they keep
    "services:rehab_queue",  # institution staff: their clients' service plans
    "exchange:department",  # partner departments: the rosters they send
    "employment:declaration",  # employers: this year's quota declaration
    "social:my_events",  # volunteers: the events they serve at
    "indicators:dashboard",  # leaders: aggregate figures
)


@lru_cache(maxsize=256)
def _declared(url_name: str) -> tuple[bool, frozenset[str]] | None:
    """(public, roles) of a route without URL parameters; None when there is no such route."""
    try:
        func = resolve(reverse(url_name)).func
    except NoReverseMatch:
        return None
    declaration = declaration_of(func) or {}
    roles = frozenset(str(r) for r in declaration.get("roles", ()))
    return bool(declaration.get("public")), roles


def may_open(user: Any, url_name: str) -> bool:
    """Does the route's declaration admit ``user`` (public, or the user's role listed)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    declared = _declared(url_name)
    if declared is None:
        return False
    public, roles = declared
    return public or str(getattr(user, "role", "") or "") in roles


def menu_for(user: Any) -> list[MenuEntry]:
    return [
        e
        for e in MENU
        if may_open(user, e.url_name) and (not e.shown_with or may_open(user, e.shown_with))
    ]


def landing(user: Any) -> str | None:
    """The URL name of ``user``'s landing page, or None (the public home page)."""
    return next((name for name in LANDING if may_open(user, name)), None)
