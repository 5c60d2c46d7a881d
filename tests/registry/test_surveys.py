"""The needs survey's services (dpf/registry/surveys.py): rounds, drafts, submissions, no
contact; every refusal writes nothing; a submitted survey is the fact the rules read as of
its date (three ways: the correlated SQL, the Python evaluator, the materialised facts)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from dpf.benefits import selectors as benefit_selectors
from dpf.benefits.eligibility import eligibility_q
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.registry import services as registry
from dpf.registry.models import (
    FactsMark,
    NeedsSurvey,
    Person,
    SurveyDraft,
    SurveyNoContact,
    SurveyRound,
)
from dpf.registry.surveys import (
    SurveyAnswers,
    survey_no_contact,
    survey_round_open,
    survey_save_draft,
    survey_submit,
)
from dpf.rules.materialise import facts_in_force
from dpf.rules.rule import compile_rule
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

YEAR = 2025
TODAY = dt.date(2025, 12, 31)
NURSING = "alive && certificate.valid && certificate.level in [1, 2] && long_term_care_need"


def certified(
    village: str = "150402001001", *, level: int = 1, since: dt.date = dt.date(2020, 1, 1)
) -> Person:
    person = make_person(village_code=village)
    registry.certificate_issue(
        actor=None, person=person, category=4, level=level, issue_date=since, today=TODAY
    )
    assert person.household is not None
    registry.household_status_set(
        actor=None, household=person.household, status="none", valid_from=since
    )
    return person


def full(**changes: Any) -> SurveyAnswers:
    values: dict[str, Any] = {
        "survey_date": dt.date(YEAR, 5, 10),
        "method": "home_visit",
        "rehab_need": True,
        "device_need": "wheelchair",
        "home_renovation_need": False,
        "care_need": False,
        "long_term_care_need": True,
        "employment_status": "unable",
        "employment_wish": False,
        "school_status": "na",
        "income_per_capita": Decimal("6200.00"),
    }
    values.update(changes)
    return SurveyAnswers(**values)


@pytest.fixture
def survey_round(city_admin) -> SurveyRound:
    return survey_round_open(actor=city_admin, year=YEAR, reference_date=dt.date(YEAR, 1, 1))


def refused(code: str, field: str, call: Any, **kwargs: Any) -> None:
    before = (
        NeedsSurvey.objects.count(),
        SurveyDraft.objects.count(),
        SurveyNoContact.objects.count(),
    )
    with pytest.raises(ValidationFailed) as info:
        call(**kwargs)
    assert info.value.code == code, info.value
    assert info.value.field == field
    assert info.value.message_zh
    assert info.value.message_en
    after = (
        NeedsSurvey.objects.count(),
        SurveyDraft.objects.count(),
        SurveyNoContact.objects.count(),
    )
    assert after == before


def eligible_three_ways(user: Any, person: Person, on: dt.date) -> set[bool]:
    """The nursing rule for ``person`` on ``on`` by SQL, Python and the materialised facts."""
    rule = compile_rule(NURSING)
    in_sql = Person.objects.filter(rule.q(on), pk=person.pk).exists()
    with facts_in_force(on, [rule.root]) as facts:
        via_facts = facts.queryset().filter(facts.q(rule), id=person.pk).exists()
    results = {
        e.benefit.code: e.eligible
        for e in benefit_selectors.eligibility_for_person(user, person, on)
    }
    in_catalogue = Person.objects.filter(eligibility_q("nursing_allowance", on), pk=person.pk)
    return {in_sql, via_facts, results["nursing_allowance"], in_catalogue.exists()}


def test_submitted_survey_changes_nursing_eligibility_as_of_its_date(
    survey_round, village_worker, city_admin
) -> None:
    person = certified()
    assert eligible_three_ways(city_admin, person, dt.date(YEAR, 6, 1)) == {False}
    survey = survey_submit(
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        answers=full(),
        person_confirmed=True,
        today=TODAY,
    )
    assert survey.source == "form"
    assert survey.person_confirmed
    assert survey.surveyor == village_worker
    assert eligible_three_ways(city_admin, person, dt.date(YEAR, 5, 9)) == {False}
    assert eligible_three_ways(city_admin, person, dt.date(YEAR, 5, 10)) == {True}
    assert AuditEntry.objects.filter(object_type="survey", object_id=str(survey.pk)).exists()
    assert FactsMark.objects.filter(person=person).exists()


def test_the_survey_in_force_is_the_latest_on_or_before_the_date(
    city_admin, village_worker
) -> None:
    person = certified()
    for year, need, day in ((2024, True, dt.date(2024, 4, 1)), (2025, False, dt.date(2025, 3, 1))):
        survey_round_open(actor=city_admin, year=year, reference_date=dt.date(year, 1, 1))
        survey_submit(
            actor=village_worker,
            person_id=person.pk,
            year=year,
            answers=full(survey_date=day, long_term_care_need=need),
            person_confirmed=True,
            today=TODAY,
        )
    assert eligible_three_ways(city_admin, person, dt.date(2024, 3, 31)) == {False}
    assert eligible_three_ways(city_admin, person, dt.date(2025, 2, 28)) == {True}
    assert eligible_three_ways(city_admin, person, dt.date(2025, 3, 1)) == {False}


def test_a_draft_is_never_an_answer(survey_round, village_worker, city_admin) -> None:
    person = certified()
    survey_save_draft(
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        answers=full(method="", income_per_capita=None),
        today=TODAY,
    )
    assert eligible_three_ways(city_admin, person, dt.date(YEAR, 12, 1)) == {False}


def test_draft_saved_then_finished_later(survey_round, village_worker) -> None:
    person = certified()
    draft = survey_save_draft(
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        answers=SurveyAnswers(survey_date=dt.date(YEAR, 5, 10), rehab_need=True),
        today=TODAY,
    )
    assert draft.method == ""
    assert draft.long_term_care_need is None
    refused(
        "survey_incomplete",
        "method",
        survey_submit,
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        answers=None,
        person_confirmed=True,
        today=TODAY,
    )
    survey_save_draft(
        actor=village_worker, person_id=person.pk, year=YEAR, answers=full(), today=TODAY
    )
    survey = survey_submit(
        actor=village_worker, person_id=person.pk, year=YEAR, person_confirmed=True, today=TODAY
    )
    assert survey.long_term_care_need is True
    assert survey.device_need == "wheelchair"
    assert not SurveyDraft.objects.exists()


def test_incomplete_submission_names_what_is_missing(survey_round, village_worker) -> None:
    person = certified()
    with pytest.raises(ValidationFailed) as info:
        survey_submit(
            actor=village_worker,
            person_id=person.pk,
            year=YEAR,
            answers=full(employment_status="", income_per_capita=None),
            person_confirmed=True,
            today=TODAY,
        )
    assert "就业状况" in info.value.message_zh
    assert "家庭人均年收入" in info.value.message_zh
    assert "employment" in info.value.message_en
    assert not NeedsSurvey.objects.exists()


def test_no_device_needed_is_an_answer(survey_round, village_worker) -> None:
    person = certified()
    survey = survey_submit(
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        answers=full(device_need=""),
        person_confirmed=True,
        today=TODAY,
    )
    assert survey.device_need == ""


def test_second_survey_for_the_same_year_is_refused(survey_round, village_worker) -> None:
    person = certified()
    survey_submit(
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        answers=full(),
        person_confirmed=True,
        today=TODAY,
    )
    for call, extra in (
        (survey_submit, {"answers": full(long_term_care_need=False), "person_confirmed": True}),
        (survey_save_draft, {"answers": full()}),
        (survey_no_contact, {"reason": "refused", "contact_date": dt.date(YEAR, 6, 1)}),
    ):
        refused(
            "survey_exists",
            "year",
            call,
            actor=village_worker,
            person_id=person.pk,
            year=YEAR,
            today=TODAY,
            **extra,
        )
    assert NeedsSurvey.objects.get().long_term_care_need is True


def test_person_without_a_certificate_is_refused(survey_round, village_worker) -> None:
    person = make_person()
    for call, extra in (
        (survey_submit, {"answers": full(), "person_confirmed": True}),
        (survey_save_draft, {"answers": full()}),
        (survey_no_contact, {"reason": "moved", "contact_date": dt.date(YEAR, 6, 1)}),
    ):
        refused(
            "survey_no_certificate",
            "person",
            call,
            actor=village_worker,
            person_id=person.pk,
            year=YEAR,
            today=TODAY,
            **extra,
        )


def test_certificate_ended_before_the_survey_date_is_refused(survey_round, village_worker) -> None:
    person = certified()
    cert = person.certificates.get()
    registry.certificate_end(
        actor=None, certificate=cert, on=dt.date(YEAR, 3, 1), status="cancelled", reason="测试"
    )
    refused(
        "survey_no_certificate",
        "person",
        survey_submit,
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        answers=full(),
        person_confirmed=True,
        today=TODAY,
    )


def test_person_outside_the_workers_villages_is_refused(survey_round, village_worker) -> None:
    elsewhere = certified("150404002001")
    neighbour = certified("150402001002")  # same township, another village
    for person in (elsewhere, neighbour):
        for call, extra in (
            (survey_submit, {"answers": full(), "person_confirmed": True}),
            (survey_save_draft, {"answers": full()}),
            (survey_no_contact, {"reason": "moved", "contact_date": dt.date(YEAR, 6, 1)}),
        ):
            refused(
                "survey_person_out_of_scope",
                "person",
                call,
                actor=village_worker,
                person_id=person.pk,
                year=YEAR,
                today=TODAY,
                **extra,
            )
    # unknown person: the same words
    refused(
        "survey_person_out_of_scope",
        "person",
        survey_submit,
        actor=village_worker,
        person_id=999999,
        year=YEAR,
        answers=full(),
        person_confirmed=True,
        today=TODAY,
    )


@pytest.mark.parametrize(
    ("income", "code"),
    [
        (Decimal("-1"), "survey_income_negative"),
        (Decimal("-0.01"), "survey_income_negative"),
        (Decimal("1000000.01"), "survey_income_absurd"),
        (Decimal("99999999"), "survey_income_absurd"),
        (Decimal("12.345"), "survey_income_absurd"),
    ],
)
def test_income_negative_or_absurd_is_refused(survey_round, village_worker, income, code) -> None:
    person = certified()
    for call, extra in (
        (survey_submit, {"person_confirmed": True}),
        (survey_save_draft, {}),
    ):
        refused(
            code,
            "income_per_capita",
            call,
            actor=village_worker,
            person_id=person.pk,
            year=YEAR,
            answers=full(income_per_capita=income),
            today=TODAY,
            **extra,
        )


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (dt.date(YEAR - 1, 12, 31), "survey_date_year"),
        (dt.date(YEAR, 12, 31), "survey_date_future"),
    ],
)
def test_survey_date_outside_the_year_or_in_the_future(
    survey_round, village_worker, day, code
) -> None:
    person = certified()
    refused(
        code,
        "survey_date",
        survey_submit,
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        answers=full(survey_date=day),
        person_confirmed=True,
        today=dt.date(YEAR, 12, 30),
    )


def test_unknown_choice_is_refused(survey_round, village_worker) -> None:
    person = certified()
    refused(
        "survey_choice",
        "device_need",
        survey_submit,
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        answers=full(device_need="jetpack"),
        person_confirmed=True,
        today=TODAY,
    )
    refused(
        "survey_choice",
        "method",
        survey_save_draft,
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        answers=full(method="telepathy"),
        today=TODAY,
    )


def test_submission_needs_the_persons_confirmation(survey_round, village_worker) -> None:
    person = certified()
    refused(
        "survey_not_confirmed",
        "person_confirmed",
        survey_submit,
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        answers=full(),
        person_confirmed=False,
        today=TODAY,
    )


def test_no_round_no_survey(village_worker) -> None:
    person = certified()
    refused(
        "survey_no_round",
        "year",
        survey_submit,
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        answers=full(),
        person_confirmed=True,
        today=TODAY,
    )


def test_no_contact_recorded_then_replaced_by_a_later_survey(survey_round, village_worker) -> None:
    person = certified()
    record = survey_no_contact(
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        reason="not_found",
        contact_date=dt.date(YEAR, 4, 2),
        today=TODAY,
    )
    assert record.reason == "not_found"
    refused(
        "survey_no_contact_exists",
        "reason",
        survey_no_contact,
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        reason="refused",
        contact_date=dt.date(YEAR, 4, 3),
        today=TODAY,
    )
    refused(
        "survey_no_contact_reason",
        "reason",
        survey_no_contact,
        actor=village_worker,
        person_id=certified().pk,
        year=YEAR,
        reason="abducted",
        contact_date=dt.date(YEAR, 4, 3),
        today=TODAY,
    )
    survey_submit(
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        answers=full(),
        person_confirmed=True,
        today=TODAY,
    )
    assert not SurveyNoContact.objects.filter(person=person).exists()


def test_no_contact_date_checked(survey_round, village_worker) -> None:
    person = certified()
    refused(
        "survey_date_future",
        "contact_date",
        survey_no_contact,
        actor=village_worker,
        person_id=person.pk,
        year=YEAR,
        reason="moved",
        contact_date=dt.date(YEAR, 7, 1),
        today=dt.date(YEAR, 6, 30),
    )


def test_only_the_city_opens_a_round(city_admin, county_officer) -> None:
    with pytest.raises(ValidationFailed) as info:
        survey_round_open(actor=county_officer, year=YEAR, reference_date=dt.date(YEAR, 1, 1))
    assert info.value.code == "survey_round_city_only"
    worker = make_user("village_worker", "150402001001")
    with pytest.raises(ValidationFailed) as info:
        survey_round_open(actor=worker, year=YEAR, reference_date=dt.date(YEAR, 1, 1))
    assert info.value.code == "survey_round_city_only"
    survey_round_open(actor=city_admin, year=YEAR, reference_date=dt.date(YEAR, 1, 1))
    with pytest.raises(ValidationFailed) as info:
        survey_round_open(actor=city_admin, year=YEAR, reference_date=dt.date(YEAR, 2, 1))
    assert info.value.code == "survey_round_exists"
    with pytest.raises(ValidationFailed) as info:
        survey_round_open(actor=city_admin, year=YEAR + 1, reference_date=dt.date(YEAR, 2, 1))
    assert info.value.field == "reference_date"
    assert SurveyRound.objects.count() == 1
