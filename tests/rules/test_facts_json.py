"""The what-if document: a person described in JSON, evaluated without the database."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from dpf.rules import RuleError, compile_rule, facts_from_json

D = dt.date(2025, 12, 31)
NURSING = (
    "alive && certificate.valid && certificate.level in [1, 2] && long_term_care_need"
    ' && !in_destitute_care && !receiving("work_injury_care")'
)
PERSON: dict[str, Any] = {
    "birth_date": "1970-03-01",
    "alive": True,
    "certificate": {
        "category": 4,
        "level": 1,
        "valid_from": "2021-01-01",
        "valid_to": "2030-12-31",
        "status": "valid",
    },
    "household_status": "dibao",
    "in_destitute_care": False,
    "long_term_care_need": True,
    "receiving": [],
    "residence_region": "150402001001",
}


def _with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(PERSON)
    for key, value in changes.items():
        if value is KeyError:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_eligible_person() -> None:
    result = compile_rule(NURSING).evaluate(facts_from_json(PERSON, D))
    assert result.value is True
    assert len(result.clauses) == 6
    assert all(c.value for c in result.clauses)


@pytest.mark.parametrize(
    ("changes", "failing"),
    [
        ({"alive": False}, "alive"),
        ({"in_destitute_care": True}, "!in_destitute_care"),
        ({"receiving": ["work_injury_care"]}, '!receiving("work_injury_care")'),
        ({"long_term_care_need": False}, "long_term_care_need"),
        ({"certificate": None}, "certificate.valid"),
    ],
)
def test_each_exclusion_is_named(changes: dict[str, Any], failing: str) -> None:
    result = compile_rule(NURSING).evaluate(facts_from_json(_with(**changes), D))
    assert result.value is False
    assert failing in [c.text for c in result.clauses if not c.value]


@pytest.mark.parametrize(
    ("certificate", "valid"),
    [
        ({"valid_to": "2025-12-31"}, True),
        ({"valid_to": "2025-12-30"}, False),
        ({"valid_from": "2025-12-31"}, True),
        ({"valid_from": "2026-01-01", "valid_to": None}, False),
        ({"valid_to": None}, True),
        ({"status": "cancelled"}, False),
        ({"status": "expired"}, False),
    ],
)
def test_certificate_validity_on_the_date(certificate: dict[str, Any], valid: bool) -> None:
    cert = {**PERSON["certificate"], **certificate}
    facts = facts_from_json(_with(certificate=cert), D)
    assert compile_rule("certificate.valid").evaluate(facts).value is valid
    # level and category are those of a valid certificate, 0 otherwise
    level = compile_rule("certificate.level", kind="number").evaluate_number(facts)
    assert level == (1 if valid else 0)


def test_defaults_of_optional_fields() -> None:
    data = _with(alive=KeyError, in_destitute_care=KeyError, long_term_care_need=KeyError)
    data.pop("receiving")
    facts = facts_from_json(data, D)
    assert facts.alive
    assert not facts.long_term_care_need
    assert not facts.in_destitute_care
    assert facts.receiving == frozenset()
    assert facts.insured == frozenset()
    assert facts.household_earner_lost_days == -1
    lost = facts_from_json(_with(household_earner_lost_days=30), D)
    assert compile_rule("household.earner_lost_days == 30").evaluate(lost).value
    assert facts.household_medical_out_of_pocket_year == 0
    paid = facts_from_json(_with(household_medical_out_of_pocket_year="20000.50"), D)
    assert compile_rule("household.medical_out_of_pocket_year > 20000").evaluate(paid).value
    # 特困 is the person's own status: a household status "tekun" does not imply it
    tekun = facts_from_json(_with(household_status="tekun", in_destitute_care=KeyError), D)
    assert not tekun.in_destitute_care


def test_survey_answers() -> None:
    facts = facts_from_json(
        _with(
            survey={"device_need": "wheelchair", "income_per_capita": 1200.5, "rehab_need": True}
        ),
        D,
    )
    assert (
        compile_rule('survey.device_need && survey.device_kind == "wheelchair"')
        .evaluate(facts)
        .value
    )
    amount = compile_rule("survey.income_per_capita / 2", kind="number").evaluate_number(facts)
    assert amount == Decimal("600.25")
    as_bool = facts_from_json(_with(survey={"device_need": True}), D)
    assert compile_rule("survey.device_need").evaluate(as_bool).value


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        (_with(birth_date=KeyError), "facts_missing", "birth_date"),
        (_with(household_status=KeyError), "facts_missing", "household_status"),
        (_with(residence_region=KeyError), "facts_missing", "residence_region"),
        (_with(certificate=KeyError), "facts_missing", "certificate"),
        (_with(birth_date="1970-02-30"), "facts_invalid", "birth_date"),
        (_with(birth_date=19700301), "facts_invalid", "birth_date"),
        (_with(alive="yes"), "facts_invalid", "alive"),
        (_with(household_status="rich"), "facts_invalid", "household_status"),
        (_with(residence_region="1504"), "facts_invalid", "residence_region"),
        (_with(receiving="orphan_support"), "facts_invalid", "receiving"),
        (_with(receiving=["lottery"]), "facts_invalid", "receiving[0]"),
        (_with(insured=["car"]), "facts_invalid", "insured[0]"),
        (_with(sex="X"), "facts_invalid", "sex"),
        (_with(certificate="yes"), "facts_invalid", "certificate"),
        (_with(certificate={"level": 1}), "facts_missing", "certificate.category"),
        (
            _with(certificate={**PERSON["certificate"], "level": 5}),
            "facts_invalid",
            "certificate.level",
        ),
        (
            _with(certificate={**PERSON["certificate"], "level": True}),
            "facts_invalid",
            "certificate.level",
        ),
        (
            _with(certificate={**PERSON["certificate"], "status": "lost"}),
            "facts_invalid",
            "certificate.status",
        ),
        (
            _with(certificate={**PERSON["certificate"], "valid_to": "2020-01-01"}),
            "facts_invalid",
            "certificate.valid_to",
        ),
        (
            _with(certificate={**PERSON["certificate"], "colour": "red"}),
            "facts_unknown_field",
            "certificate.colour",
        ),
        (_with(nickname="x"), "facts_unknown_field", "nickname"),
        (_with(household_earner_lost_days=-2), "facts_invalid", "household_earner_lost_days"),
        (
            _with(household_medical_out_of_pocket_year=-1),
            "facts_invalid",
            "household_medical_out_of_pocket_year",
        ),
        (
            _with(household_medical_out_of_pocket_year="abc"),
            "facts_invalid",
            "household_medical_out_of_pocket_year",
        ),
        (_with(survey={"income_per_capita": -5}), "facts_invalid", "survey.income_per_capita"),
        (_with(survey={"income_per_capita": "abc"}), "facts_invalid", "survey.income_per_capita"),
        (_with(survey={"care_need": 1}), "facts_invalid", "survey.care_need"),
        (_with(survey={"device_need": "jetpack"}), "facts_invalid", "survey.device_need"),
        (_with(survey={"mood": "good"}), "facts_unknown_field", "survey.mood"),
        (_with(survey=[]), "facts_invalid", "survey"),
    ],
)
def test_refusals_name_the_field(data: dict[str, Any], code: str, field: str) -> None:
    with pytest.raises(RuleError) as exc:
        facts_from_json(data, D)
    err = exc.value
    assert (err.code, err.field) == (code, field)
    assert err.message_zh.startswith(field)
    assert err.message_en.startswith(field)
    assert err.message_zh != err.message_en


def test_not_an_object() -> None:
    with pytest.raises(RuleError) as exc:
        facts_from_json([], D)  # type: ignore[arg-type]
    assert exc.value.field == "facts"
