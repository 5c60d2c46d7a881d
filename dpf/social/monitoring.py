"""Return-to-poverty risk monitoring (防返贫动态监测, plan 三(一)1).

Risk rules are texts in the rule language (``dpf.rules``), stored with their dates
(``RiskRule``); a ``{name}`` in a text is the dated threshold of that name in force on the
scan's date (``RiskThreshold``: the monitoring line, set each year). The scan compiles each
rule in force and evaluates it set-based over the registry (one query per rule); each
household it finds becomes a case (``RiskCase``) for the village worker, unless one is
already in progress for that household and rule. The worker visits and confirms or
dismisses the risk; a confirmed household is monitored (household status ``monitored``
from the visit, with measures taken: benefit applications through the workflow, help to
work …) until the case is closed when the risk is gone, which restores the status the
household had. A case is never closed without a recorded visit.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, require_permission
from dpf.accounts.scoping import scope_queryset
from dpf.core import audit
from dpf.core.inputs import refuse
from dpf.core.models import EffectiveDated, check_interval, overlapping
from dpf.core.roles import Role
from dpf.core.text import check_text_characters
from dpf.registry import services as registry
from dpf.registry.models import Household, HouseholdStatus, HouseholdStatusCode, Person
from dpf.rules import compile_rule
from dpf.rules.rule import Rule
from dpf.social.models import (
    MeasureKind,
    RiskCase,
    RiskCaseStatus,
    RiskMeasure,
    RiskRule,
    RiskThreshold,
)
from dpf.workflow.models import Application

NOTE_MAX = 1000
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]{0,39})\}")
# A household under the minimum living guarantee or state care keeps that status while it is
# monitored: the allowances' rules read it (household.status == "dibao").
_KEPT_STATUSES = (HouseholdStatusCode.DIBAO, HouseholdStatusCode.TEKUN)


def _note(raw: str, *, field: str, required: bool) -> str:
    text = (raw or "").strip()
    check_text_characters(text, field=field, label_zh="说明", label_en="note", multiline=True)
    if required and not text:
        raise refuse("note_required", "请填写说明", "please write a note", field)
    if len(text) > NOTE_MAX:
        raise refuse(
            "note_long", f"说明不超过{NOTE_MAX}字", f"at most {NOTE_MAX} characters", field
        )
    return text


# --- thresholds and rules (dated configuration) -----------------------------------------------


def thresholds_on(on: dt.date) -> dict[str, Decimal]:
    """The thresholds in force on ``on``, by name."""
    rows = RiskThreshold.objects.filter(EffectiveDated.as_of_q(on)).order_by("name", "valid_from")
    return {row.name: row.value for row in rows}


def rule_text_on(text: str, on: dt.date, thresholds: dict[str, Decimal] | None = None) -> str:
    """``text`` with each ``{name}`` replaced by the threshold in force on ``on``; a name
    with no threshold on that date is refused. A number shorter than its placeholder is
    padded with spaces, so the line and column of a compiler's refusal point into the text
    as it was written."""
    values = thresholds_on(on) if thresholds is None else thresholds

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise refuse(
                "threshold_unknown",
                f"阈值“{name}”在 {on} 没有设定",
                f"no threshold '{name}' is set on {on}",
                "text",
            )
        return str(values[name]).ljust(len(match.group(0)))

    return _PLACEHOLDER.sub(value, text)


def _compiled(text: str, on: dt.date, thresholds: dict[str, Decimal] | None = None) -> Rule:
    return compile_rule(rule_text_on(text, on, thresholds), kind="bool")


def threshold_set(
    *, actor: User | None, name: str, value: str, valid_from: dt.date, label: str = ""
) -> RiskThreshold:
    """Set a threshold from ``valid_from`` (the open row before it ends the day before)."""
    require_permission(actor, "change", "risk_rule", name)
    if not _PLACEHOLDER.fullmatch("{" + (name or "") + "}"):
        raise refuse("threshold_name", "阈值名称须为小写字母、数字和下划线", "bad name", "name")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise refuse("threshold_value", "请填写不小于0的数值", "enter a number ≥ 0", "value")
    check_text_characters(label or "", field="label", label_zh="说明", label_en="label")
    with transaction.atomic():
        rows = RiskThreshold.objects.select_for_update().filter(name=name)
        current = rows.filter(valid_to__isnull=True, valid_from__lt=valid_from).first()
        if current is not None:
            current.valid_to = valid_from - dt.timedelta(days=1)
            current.save(update_fields=["valid_to"])
        if overlapping(rows, valid_from, None):
            raise refuse(
                "threshold_overlap",
                "该阈值在此日期后已有设定",
                "the threshold is already set from a later date",
                "valid_from",
            )
        row = RiskThreshold.objects.create(
            name=name,
            value=amount.quantize(Decimal("0.01")),
            label=(label or "").strip()[:100],
            valid_from=valid_from,
            source=f"user:{getattr(actor, 'pk', '')}",
        )
        audit.record(
            actor=actor,
            action="change",
            object_type="risk_threshold",
            object_id=name,
            changes={"value": str(row.value), "valid_from": valid_from.isoformat()},
        )
    return row


def rule_save(
    *,
    actor: User | None,
    code: str,
    name_zh: str,
    name_en: str = "",
    text: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
) -> RiskRule:
    """A risk rule from ``valid_from`` (the open version before it ends the day before).
    A text that does not compile with the thresholds in force on ``valid_from`` is refused
    with the rule engine's message (place and problem, both languages); nothing is written."""
    require_permission(actor, "change", "risk_rule", code)
    if not _PLACEHOLDER.fullmatch("{" + (code or "") + "}"):
        raise refuse("rule_code", "代码须为小写字母、数字和下划线", "bad code", "code")
    check_interval(valid_from, valid_to)
    for value, field in ((name_zh, "name_zh"), (name_en, "name_en")):
        check_text_characters(value or "", field=field, label_zh="名称", label_en="name")
    if not (name_zh or "").strip():
        raise refuse("name_required", "请填写名称", "please give a name", "name_zh")
    _compiled(text, valid_from)  # raises RuleError (a ValidationFailed) with the position
    with transaction.atomic():
        rows = RiskRule.objects.select_for_update().filter(code=code)
        current = rows.filter(valid_to__isnull=True, valid_from__lt=valid_from).first()
        if current is not None:
            current.valid_to = valid_from - dt.timedelta(days=1)
            current.save(update_fields=["valid_to"])
        if overlapping(rows, valid_from, valid_to):
            raise refuse(
                "rule_overlap",
                "该规则在此期间已有版本",
                "the rule already has a version for these dates",
                "valid_from",
            )
        rule = RiskRule.objects.create(
            code=code,
            name_zh=name_zh.strip()[:100],
            name_en=(name_en or "").strip()[:100],
            text=text,
            valid_from=valid_from,
            valid_to=valid_to,
            source=f"user:{getattr(actor, 'pk', '')}",
        )
        audit.record(
            actor=actor,
            action="change",
            object_type="risk_rule",
            object_id=code,
            changes={"valid_from": valid_from.isoformat(), "text": text[:500]},
        )
    return rule


def rule_versions(actor: User | None) -> QuerySet[RiskRule]:
    """Every version of every risk rule (no personal data), by code then date."""
    require_permission(actor, "view", "risk_rule")
    return RiskRule.objects.order_by("code", "valid_from", "pk")


def threshold_versions(actor: User | None) -> QuerySet[RiskThreshold]:
    """Every dated value of every threshold, by name then date."""
    require_permission(actor, "view", "risk_rule")
    return RiskThreshold.objects.order_by("name", "valid_from", "pk")


def rules_in_force(on: dt.date) -> list[tuple[RiskRule, Rule]]:
    """The risk rules in force on ``on``, compiled with that date's thresholds."""
    thresholds = thresholds_on(on)
    rows = RiskRule.objects.filter(EffectiveDated.as_of_q(on)).order_by("code")
    return [(row, _compiled(row.text, on, thresholds)) for row in rows]


# --- the scan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    on: dt.date
    rules: int
    found: int  # households the rules found
    opened: int  # new cases
    in_progress: int  # households that already had a case in progress for the rule


def _village_workers(villages: set[str]) -> dict[str, int]:
    """One active village worker per village (the first account), to own its new cases."""
    rows = (
        User.objects.filter(role=Role.VILLAGE_WORKER, is_active=True, region_id__in=villages)
        .order_by("region_id", "pk")
        .values_list("region_id", "pk")
    )
    out: dict[str, int] = {}
    for village, pk in rows:
        out.setdefault(str(village), pk)
    return out


def risk_scan(*, actor: User | None, on: dt.date) -> ScanResult:
    """Evaluate every risk rule in force on ``on`` over the persons of ``actor``'s region
    (one query per rule) and open a case for each household found that has none in
    progress for that rule; audited once with the counts.

    ``actor`` None is the monthly schedule (job kind ``social.risk_scan``): the whole city.
    Run again on the same date (or after a crash: one transaction) it opens nothing more."""
    persons = Person.objects.filter(household__isnull=False)
    if actor is not None:
        require_permission(actor, "create", "risk_case")
        persons = scope_queryset(actor, persons)
    compiled = rules_in_force(on)
    found = opened = in_progress = 0
    with transaction.atomic():
        for row, rule in compiled:
            hits: dict[int, dict[str, Any]] = {}
            for hit in (
                rule.filter(persons, on)
                .order_by("household_id", "pk")
                .values("pk", "household_id", "county_code", "township_code", "village_code")
            ):
                hits.setdefault(hit["household_id"], dict(hit))
            found += len(hits)
            busy = set(
                RiskCase.objects.filter(rule_code=row.code, household_id__in=list(hits))
                .exclude(status=RiskCaseStatus.CLOSED)
                .values_list("household_id", flat=True)
            )
            in_progress += len(busy)
            new = [hit for household, hit in hits.items() if household not in busy]
            workers = _village_workers({hit["village_code"] for hit in new})
            RiskCase.objects.bulk_create(
                [
                    RiskCase(
                        household_id=hit["household_id"],
                        person_id=hit["pk"],
                        rule_code=row.code,
                        rule_name=row.name_zh,
                        county_code=hit["county_code"],
                        township_code=hit["township_code"],
                        village_code=hit["village_code"],
                        detected_on=on,
                        worker_id=workers.get(hit["village_code"]),
                    )
                    for hit in new
                ],
                batch_size=1000,
            )
            opened += len(new)
        audit.record(
            actor=actor,
            actor_name="" if actor is not None else "scheduler",
            action="create",
            object_type="risk_scan",
            object_id=on.isoformat(),
            changes={"rules": len(compiled), "found": found, "opened": opened},
        )
    return ScanResult(on, len(compiled), found, opened, in_progress)


# --- cases ------------------------------------------------------------------------------------


def cases(actor: User | None, *, status: str = "") -> QuerySet[RiskCase]:
    """The cases of ``actor``'s region, newest first."""
    require_permission(actor, "view", "risk_case")
    rows = scope_queryset(actor, RiskCase.objects.select_related("person", "worker"))
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-detected_on", "-pk")


def case_for(actor: User | None, case_id: int, *, lock: bool = False) -> RiskCase:
    """One case of ``actor``'s region, else "not found"."""
    rows = scope_queryset(actor, RiskCase.objects.select_related("person", "household", "worker"))
    if lock:
        rows = rows.select_for_update(of=("self",))
    case = rows.filter(pk=case_id).first()
    if case is None:
        raise PermissionRefused("view", "risk_case", case_id)
    return case


def _status_on(household: Household, on: dt.date) -> str:
    row = (
        HouseholdStatus.objects.filter(EffectiveDated.as_of_q(on), household=household)
        .order_by("-valid_from", "-pk")
        .first()
    )
    return row.status if row else ""


@transaction.atomic
def case_visit(
    *, actor: User | None, case_id: int, visited_on: dt.date, note: str, confirmed: bool
) -> RiskCase:
    """The worker's home visit: the risk confirmed (the household monitored from the visit)
    or not (the case closed as a false alarm)."""
    require_permission(actor, "change", "risk_case", case_id)
    case = case_for(actor, case_id, lock=True)
    if case.status != RiskCaseStatus.OPEN:
        raise refuse("case_not_open", "该预警已核实", "this alert was already visited", None)
    if visited_on < case.detected_on:
        raise refuse(
            "visit_before_alert",
            "走访日期不能早于预警日期",
            "the visit cannot be before the alert",
            "visited_on",
        )
    case.visit_note = _note(note, field="note", required=True)
    case.visited_on = visited_on
    case.risk_confirmed = confirmed
    if case.worker_id is None:
        case.worker = actor
    if confirmed:
        case.status = RiskCaseStatus.MONITORED
        case.monitored_from = visited_on
        previous = _status_on(case.household, visited_on)
        if previous not in _KEPT_STATUSES and previous != HouseholdStatusCode.MONITORED:
            case.previous_status = previous or HouseholdStatusCode.NONE
            registry.household_status_set(
                actor=actor,
                household=case.household,
                status=HouseholdStatusCode.MONITORED,
                valid_from=visited_on,
                source=f"risk_case:{case.pk}",
            )
    else:
        case.status = RiskCaseStatus.CLOSED
        case.closed_on = visited_on
        case.closing_note = case.visit_note
    case.save()
    audit.record(
        actor=actor,
        action="change",
        object_type="risk_case",
        object_id=case.pk,
        changes={"visited_on": visited_on.isoformat(), "confirmed": confirmed},
    )
    return case


@transaction.atomic
def measure_add(
    *,
    actor: User | None,
    case_id: int,
    kind: str,
    taken_on: dt.date,
    note: str = "",
    application_id: int | None = None,
) -> RiskMeasure:
    """A measure taken for a monitored household; a benefit application must be one of a
    member of the household, made through the workflow."""
    require_permission(actor, "change", "risk_case", case_id)
    case = case_for(actor, case_id, lock=True)
    if case.status != RiskCaseStatus.MONITORED:
        raise refuse(
            "case_not_monitored",
            "只有核实后纳入监测的家庭才能登记帮扶措施",
            "measures are recorded for a household under monitoring only",
            None,
        )
    if kind not in MeasureKind.values:
        raise refuse("kind", "请选择措施", "choose the measure", "kind")
    application = None
    if application_id is not None:
        application = (
            scope_queryset(actor, Application.objects.all())
            .filter(pk=application_id, person__household_id=case.household_id)
            .first()
        )
        if application is None:
            raise refuse(
                "application_unknown",
                "该申请不存在或不是本户成员的申请",
                "no such application of a member of this household",
                "application_id",
            )
    elif kind == MeasureKind.BENEFIT:
        raise refuse(
            "application_required",
            "申请惠残待遇须填写申请编号（先在“受理申请”中提交）",
            "give the number of the benefit application (submit it first)",
            "application_id",
        )
    measure = RiskMeasure.objects.create(
        case=case,
        kind=kind,
        taken_on=taken_on,
        note=_note(note, field="note", required=False)[:300],
        application=application,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="change",
        object_type="risk_case",
        object_id=case.pk,
        changes={"measure": kind, "application": application_id},
    )
    return measure


@transaction.atomic
def case_close(*, actor: User | None, case_id: int, closed_on: dt.date, note: str) -> RiskCase:
    """Close a monitored case when the risk is gone (风险消除): refused without a recorded
    visit; the household's status returns to what it was, from the closing day, unless
    another case still keeps it monitored."""
    require_permission(actor, "change", "risk_case", case_id)
    case = case_for(actor, case_id, lock=True)
    if case.visited_on is None:
        raise refuse(
            "visit_required",
            "未登记入户走访的预警不能销号",
            "an alert cannot be closed without a recorded home visit",
            "closed_on",
        )
    if case.status == RiskCaseStatus.CLOSED:
        raise refuse("case_closed", "该预警已销号", "this case is already closed", None)
    if closed_on <= (case.monitored_from or case.visited_on):
        raise refuse(
            "close_before_visit",
            "销号日期须晚于纳入监测日期",
            "the case closes after the household was taken into monitoring",
            "closed_on",
        )
    case.closing_note = _note(note, field="note", required=True)
    case.status = RiskCaseStatus.CLOSED
    case.closed_on = closed_on
    case.save()
    others = (
        RiskCase.objects.filter(household_id=case.household_id, status=RiskCaseStatus.MONITORED)
        .exclude(pk=case.pk)
        .exists()
    )
    if (
        case.previous_status
        and not others
        and _status_on(case.household, closed_on) == HouseholdStatusCode.MONITORED
    ):
        registry.household_status_set(
            actor=actor,
            household=case.household,
            status=case.previous_status,
            valid_from=closed_on,
            source=f"risk_case:{case.pk}",
        )
    audit.record(
        actor=actor,
        action="change",
        object_type="risk_case",
        object_id=case.pk,
        changes={"closed_on": closed_on.isoformat()},
    )
    return case


def measures_of(case: RiskCase) -> list[RiskMeasure]:
    """The measures of a case already read through ``case_for`` (so in scope)."""
    return list(case.measures.select_related("application").order_by("taken_on", "pk"))


def open_counts(actor: User | None) -> dict[str, int]:
    """Cases in progress of ``actor``'s region by status (the list page's summary)."""
    rows = cases(actor).exclude(status=RiskCaseStatus.CLOSED)
    return {
        "open": rows.filter(status=RiskCaseStatus.OPEN).count(),
        "monitored": rows.filter(status=RiskCaseStatus.MONITORED).count(),
    }
