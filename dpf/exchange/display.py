"""Words for staged changes and outcomes, shared by pages, API and spreadsheets; and what a
partner department may be told about its own rows."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from dpf.registry.models import HouseholdStatusCode, SchoolEnrolment

_LEAVE_REASONS = frozenset(SchoolEnrolment.LeaveReason.values)

# Row errors that come from comparing the row with the registry (``dpf.exchange.validation``):
# each tells that the ID number is registered, and something of the person's record. Staff
# see them on the preview page; the department that sent the roster never does
# (tests/exchange/test_api.py checks that every code the validation adds is listed here or
# depends on the roster alone).
REGISTRY_ERROR_CODES = frozenset(
    {
        "no_household",
        "conflict_household",
        "history_conflict",
        "death_conflict",
        "survey_exists",
        "survey_no_certificate",
        "settlement_conflict",
    }
)


def _period(data: dict[str, Any]) -> str:
    start, end = data.get("valid_from"), data.get("valid_to")
    if not start:
        return ""
    return _("%(start)s 至 %(end)s") % {"start": start, "end": end or _("今")}


def describe(data: dict[str, Any] | None) -> str:
    """``低保 2023-01-05 至 今`` for a stored before/after dict; ``—`` for nothing."""
    if not data:
        return "—"
    if "death_date" in data:
        return data["death_date"] or _("未登记死亡")
    if "survey_year" in data:
        need = _("需长期照护") if data.get("long_term_care_need") else _("无长期照护需求")
        return _("%(year)s年度需求调查 %(date)s（%(need)s）") % {
            "year": data["survey_year"],
            "date": data.get("survey_date", ""),
            "need": need,
        }
    if "settlement_no" in data:
        return _(
            "%(date)s 结算 %(number)s：总费用 %(total)s 元，医保报销 %(reimbursed)s 元，"
            "医疗救助 %(assistance)s 元，个人自付 %(own)s 元"
        ) % {
            "date": data.get("settled_on") or "",
            "number": data["settlement_no"],
            "total": data.get("total") or "",
            "reimbursed": data.get("reimbursed") or "",
            "assistance": data.get("assistance") or "",
            "own": data.get("out_of_pocket") or "",
        }
    parts: list[str] = []
    if data.get("status"):
        parts.append(str(HouseholdStatusCode(data["status"]).label))
    for key in ("school", "grade", "institution"):
        if data.get(key):
            parts.append(str(data[key]))
    parts.append(_period(data))
    reason = data.get("leave_reason")
    if reason:
        label = SchoolEnrolment.LeaveReason(reason).label if reason in _LEAVE_REASONS else reason
        parts.append(_("（离校原因：%(reason)s）") % {"reason": label})
    if data.get("previous_ends"):
        parts.append(_("（原记录于 %(date)s 终止）") % {"date": data["previous_ends"]})
    return " ".join(p for p in parts if p)


def problems(errors: list[dict[str, Any]], *, english: bool = False) -> str:
    key = "message_en" if english else "message"
    return "；".join(f"{e.get('column', '')}: {e.get(key, '')}" for e in errors)


def department_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The errors of a row that depend on the row alone (what its department may see)."""
    return [
        {key: e.get(key, "") for key in ("column", "code", "message", "message_en")}
        for e in errors
        if e.get("code") not in REGISTRY_ERROR_CODES
    ]


def row_summary(values: dict[str, Any]) -> str:
    """What a roster row says, in words (``低保 2023-01-05 至 今``), from the row alone."""
    return describe({k: v for k, v in values.items() if k != "name"})
