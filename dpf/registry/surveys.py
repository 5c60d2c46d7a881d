"""Every write of the yearly needs survey (需求调查): rounds, drafts, submissions, no contact.

Keyword-only, transactional, audited. A worker writes only for persons of their own
villages (``scope_queryset``); a person unknown and a person outside the scope get the same
words. The person row is locked first, so a draft, a submission and a "no contact" for the
same person and year never interleave.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.accounts.scoping import scope_queryset
from dpf.core import audit
from dpf.core.errors import ValidationFailed
from dpf.core.inputs import refuse
from dpf.core.models import EffectiveDated, RegionLevel
from dpf.registry.models import (
    Certificate,
    DeviceKind,
    EmploymentStatus,
    NeedsSurvey,
    NoContactReason,
    Person,
    SchoolStatus,
    SurveyDraft,
    SurveyMethod,
    SurveyNoContact,
    SurveyRound,
)
from dpf.registry.services import mark_facts_changed

# A household income per person above this (yuan a year) is a typing error, not an answer
# (Chifeng's per-capita disposable income is about 35,000 yuan).
MAX_INCOME_PER_CAPITA = Decimal("1000000")

# field -> (Chinese, English) label, in the form's order
LABELS: dict[str, tuple[str, str]] = {
    "survey_date": ("调查日期", "date of the survey"),
    "method": ("调查方式", "method"),
    "rehab_need": ("康复需求", "rehabilitation need"),
    "device_need": ("辅具需求", "assistive device need"),
    "home_renovation_need": ("无障碍改造需求", "home renovation need"),
    "care_need": ("托养需求", "care service need"),
    "long_term_care_need": ("长期照护需求", "long-term care need"),
    "employment_status": ("就业状况", "employment"),
    "employment_wish": ("就业意愿", "wish to work"),
    "school_status": ("就学状况", "schooling"),
    "income_per_capita": ("家庭人均年收入", "household income per person"),
}


@dataclass(frozen=True)
class SurveyAnswers:
    """The answers of one survey; ``None`` (or ``""`` for the choices) is "not answered".

    ``device_need`` is ``""`` for "no device needed", ``None`` when not answered.
    """

    survey_date: dt.date | None = None
    method: str = ""
    rehab_need: bool | None = None
    device_need: str | None = None
    home_renovation_need: bool | None = None
    care_need: bool | None = None
    long_term_care_need: bool | None = None
    employment_status: str = ""
    employment_wish: bool | None = None
    school_status: str = ""
    income_per_capita: Decimal | None = None

    def missing(self) -> list[str]:
        return [
            f.name
            for f in fields(self)
            if getattr(self, f.name) in (None, "")
            and not (f.name == "device_need" and self.device_need == "")
        ]

    @classmethod
    def of(cls, record: Any) -> SurveyAnswers:
        """The answers held by a draft or a submitted survey."""
        return cls(**{f.name: getattr(record, f.name) for f in fields(cls)})


def _today(today: dt.date | None) -> dt.date:
    return today if today is not None else timezone.localdate()


def _round(year: int) -> SurveyRound:
    found = SurveyRound.objects.filter(year=year).first()
    if found is None:
        raise refuse(
            "survey_no_round",
            f"{year}年度的需求调查尚未开始（市残联开启调查轮次后才能填报）",
            f"the needs survey of {year} has not been opened (the city opens each year's round)",
            "year",
        )
    return found


def _person(actor: User | None, person_id: int) -> Person:
    """The person, locked, if the actor may survey them (same words otherwise)."""
    person = (
        scope_queryset(actor, Person.objects.select_for_update().defer("id_number"))
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise refuse(
            "survey_person_out_of_scope",
            "该人员不存在或不在您负责的嘎查村社区",
            "the person does not exist or is not in your villages",
            "person",
        )
    return person


def _certified_in_year(person: Person, year: int) -> bool:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return Certificate.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=first), person=person, valid_from__lte=last
    ).exists()


def _refuse_uncertified(year: int) -> ValidationFailed:
    return refuse(
        "survey_no_certificate",
        f"该人员{year}年度没有有效的残疾人证，不在需求调查范围内",
        f"the person holds no valid disability certificate in {year}: not in the survey",
        "person",
    )


def _check_answers(answers: SurveyAnswers, *, person: Person, year: int, today: dt.date) -> None:  # noqa: C901
    """Every answer given is possible; unanswered ones are left to ``_check_complete``."""
    d = answers.survey_date
    if d is not None:
        if d.year != year:
            raise refuse(
                "survey_date_year",
                f"调查日期应在{year}年内",
                f"the date of the survey must be in {year}",
                "survey_date",
            )
        if d > today:
            raise refuse(
                "survey_date_future",
                "调查日期晚于今天",
                "the date of the survey is in the future",
                "survey_date",
            )
        if d < person.birth_date:
            raise refuse(
                "survey_date_before_birth",
                "调查日期早于出生日期",
                "the date of the survey is before the birth date",
                "survey_date",
            )
    for name, choices in (
        ("method", SurveyMethod.values),
        ("employment_status", EmploymentStatus.values),
        ("school_status", SchoolStatus.values),
    ):
        value = getattr(answers, name)
        if value and value not in choices:
            zh, en = LABELS[name]
            raise refuse("survey_choice", f"{zh}的选项无效", f"unknown {en}", name)
    if answers.device_need is not None and answers.device_need not in DeviceKind.values:
        raise refuse("survey_choice", "辅具需求的选项无效", "unknown device kind", "device_need")
    income = answers.income_per_capita
    if income is not None:
        if income < 0:
            raise refuse(
                "survey_income_negative",
                "家庭人均年收入不能为负数",
                "the household income per person cannot be negative",
                "income_per_capita",
            )
        if income > MAX_INCOME_PER_CAPITA or income.as_tuple().exponent < -2:  # type: ignore[operator]
            raise refuse(
                "survey_income_absurd",
                f"家庭人均年收入不合理（应为0至{MAX_INCOME_PER_CAPITA:,.0f}元，最多两位小数）",
                f"the household income per person is not plausible (0 to "
                f"{MAX_INCOME_PER_CAPITA:,.0f} yuan, at most 2 decimals)",
                "income_per_capita",
            )


def _check_complete(answers: SurveyAnswers) -> None:
    missing = answers.missing()
    if missing:
        zh = "、".join(LABELS[m][0] for m in missing)
        en = ", ".join(LABELS[m][1] for m in missing)
        raise refuse(
            "survey_incomplete",
            f"调查表尚未填完，不能提交（未填：{zh}）；可先保存草稿",
            f"the survey is incomplete and cannot be submitted (missing: {en}); save a draft",
            missing[0],
        )


def _refuse_if_submitted(person: Person, year: int) -> None:
    if NeedsSurvey.objects.filter(person=person, year=year).exists():
        raise refuse(
            "survey_exists",
            f"该人员{year}年度的需求调查已经提交，不能重复调查",
            f"the person's needs survey of {year} is already submitted",
            "year",
        )


def _draft_values(answers: SurveyAnswers) -> dict[str, Any]:
    return {f.name: getattr(answers, f.name) for f in fields(answers)}


@transaction.atomic
def survey_round_open(*, actor: User | None, year: int, reference_date: dt.date) -> SurveyRound:
    """Open the city's survey round of ``year``: persons certified on ``reference_date``
    are to be surveyed. Only the city administration opens a round."""
    require_permission(actor, "change", "survey")
    region = getattr(actor, "region", None)
    if region is None or region.level not in (RegionLevel.CITY, RegionLevel.PROVINCE):
        raise refuse(
            "survey_round_city_only",
            "调查轮次由市残联开启",
            "the city administration opens survey rounds",
            "year",
        )
    if reference_date.year != year:
        raise refuse(
            "survey_round_date",
            f"名单基准日应在{year}年内",
            f"the reference date must be in {year}",
            "reference_date",
        )
    if SurveyRound.objects.filter(year=year).exists():
        raise refuse(
            "survey_round_exists",
            f"{year}年度的调查轮次已经开启",
            f"the survey round of {year} is already open",
            "year",
        )
    try:
        with transaction.atomic():
            created = SurveyRound.objects.create(
                year=year, reference_date=reference_date, opened_by=actor
            )
    except IntegrityError:
        raise refuse(
            "survey_round_exists",
            f"{year}年度的调查轮次已经开启",
            f"the survey round of {year} is already open",
            "year",
        ) from None
    audit.record(
        actor=actor,
        action="create",
        object_type="survey_round",
        object_id=created.pk,
        changes={"year": year, "reference_date": reference_date.isoformat()},
    )
    return created


@transaction.atomic
def survey_save_draft(
    *,
    actor: User | None,
    person_id: int,
    year: int,
    answers: SurveyAnswers,
    today: dt.date | None = None,
) -> SurveyDraft:
    """Keep what the worker has filled in so far; any answer may still be missing."""
    require_permission(actor, "create", "survey")
    person = _person(actor, person_id)
    _round(year)
    if not _certified_in_year(person, year):
        raise _refuse_uncertified(year)
    _refuse_if_submitted(person, year)
    _check_answers(answers, person=person, year=year, today=_today(today))
    draft, created = SurveyDraft.objects.update_or_create(
        person=person, year=year, defaults={**_draft_values(answers), "saved_by": actor}
    )
    audit.record(
        actor=actor,
        action="create" if created else "change",
        object_type="survey_draft",
        object_id=draft.pk,
        changes={"person": person.pk, "year": year, "missing": answers.missing()},
    )
    return draft


def _surveyor_name(actor: User | None) -> str:
    name = getattr(actor, "get_full_name", lambda: "")() or getattr(actor, "username", "")
    return str(name)[:50]


@transaction.atomic
def survey_submit(
    *,
    actor: User | None,
    person_id: int,
    year: int,
    answers: SurveyAnswers | None = None,
    person_confirmed: bool,
    today: dt.date | None = None,
) -> NeedsSurvey:
    """Record the year's survey of a person: every answer given, confirmed by the person.

    ``answers=None`` submits the saved draft as it is. The draft and any earlier "no
    contact" of the year go; the answers are in force from ``survey_date`` on.
    """
    require_permission(actor, "create", "survey")
    person = _person(actor, person_id)
    _round(year)
    _refuse_if_submitted(person, year)
    draft = SurveyDraft.objects.filter(person=person, year=year).first()
    if answers is None:
        answers = SurveyAnswers.of(draft) if draft is not None else SurveyAnswers()
    _check_answers(answers, person=person, year=year, today=_today(today))
    _check_complete(answers)
    assert answers.survey_date is not None
    if not Certificate.objects.filter(
        EffectiveDated.as_of_q(answers.survey_date), person=person
    ).exists():
        raise refuse(
            "survey_no_certificate",
            "该人员在调查日期没有有效的残疾人证，不在需求调查范围内",
            "the person holds no valid disability certificate on the date of the survey",
            "person",
        )
    if not person_confirmed:
        raise refuse(
            "survey_not_confirmed",
            "请被调查人（或监护人）确认调查内容后再提交；无法联系的请登记未调查原因",
            "the person (or guardian) must confirm the answers; if they cannot be reached, "
            "record why",
            "person_confirmed",
        )
    values = _draft_values(answers)
    try:
        with transaction.atomic():
            survey = NeedsSurvey.objects.create(
                person=person,
                year=year,
                surveyor=actor,
                surveyor_name=_surveyor_name(actor),
                person_confirmed=True,
                source="form",
                **values,
            )
    except IntegrityError:  # a concurrent submission of the same person and year
        raise refuse(
            "survey_exists",
            f"该人员{year}年度的需求调查已经提交，不能重复调查",
            f"the person's needs survey of {year} is already submitted",
            "year",
        ) from None
    SurveyDraft.objects.filter(person=person, year=year).delete()
    SurveyNoContact.objects.filter(person=person, year=year).delete()
    mark_facts_changed([person.pk])
    audit.record(
        actor=actor,
        action="create",
        object_type="survey",
        object_id=survey.pk,
        changes={"person": person.pk, "year": year, "survey_date": str(answers.survey_date)},
    )
    return survey


@transaction.atomic
def survey_no_contact(
    *,
    actor: User | None,
    person_id: int,
    year: int,
    reason: str,
    contact_date: dt.date,
    today: dt.date | None = None,
) -> SurveyNoContact:
    """Record why the person could not be surveyed this year (moved, died, refused, not
    found). A survey submitted later in the year replaces it."""
    require_permission(actor, "create", "survey")
    person = _person(actor, person_id)
    _round(year)
    if not _certified_in_year(person, year):
        raise _refuse_uncertified(year)
    _refuse_if_submitted(person, year)
    if reason not in NoContactReason.values:
        raise refuse(
            "survey_no_contact_reason",
            "请选择未调查原因（已迁出、已死亡、拒绝调查、查无此人）",
            "choose why there was no contact (moved, died, refused, not found)",
            "reason",
        )
    try:
        _check_answers(
            SurveyAnswers(survey_date=contact_date), person=person, year=year, today=_today(today)
        )
    except ValidationFailed as refusal:  # the same checks, on the date of the visit
        refusal.field = "contact_date"
        raise
    if SurveyNoContact.objects.filter(person=person, year=year).exists():
        raise refuse(
            "survey_no_contact_exists",
            f"该人员{year}年度的未调查原因已经登记",
            f"why the person was not surveyed in {year} is already recorded",
            "reason",
        )
    record = SurveyNoContact.objects.create(
        person=person, year=year, reason=reason, contact_date=contact_date, recorded_by=actor
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="survey_no_contact",
        object_id=record.pk,
        changes={"person": person.pk, "year": year, "reason": reason},
    )
    return record
