"""Parser and type checker: every accepted construct, every refusal with its code and place."""

from __future__ import annotations

import pytest

from dpf.rules import RuleError, compile_rule
from dpf.rules.ast import Type
from dpf.rules.catalogue import ATTRIBUTES

ACCEPTED = [
    "true",
    "alive",
    "!alive",
    "!!alive",
    "alive && certificate.valid",
    "alive || certificate.valid",
    "(alive || in_school) && !in_destitute_care",
    "age >= 16",
    "age > 16 && age < 60 && age <= 59 && age != 30 && age == 31",
    "16 <= age",
    "certificate.level in [1, 2]",
    "certificate.category in [4, 5, 6] && certificate.severe",
    'household.status == "dibao"',
    'household.status in ["dibao", "tekun"]',
    "household.status != 'tekun'",
    'sex == "F"',
    'in_region("150402")',
    'in_region("150402001")',
    'in_region("150402001001")',
    'insured("pension") || insured("medical")',
    'receiving("work_injury_care")',
    'receiving("orphan_support") || receiving("elderly_care_allowance")',
    "long_term_care_need && survey.rehab_need && survey.device_need",
    "survey.home_renovation_need || survey.care_need || survey.employment_wish",
    'survey.device_kind == "wheelchair"',
    'survey.employment_status in ["unemployed", ""]',
    'survey.school_status == "enrolled"',
    "survey.income_per_capita >= 0 && survey.income_per_capita < 8000.50",
    "survey.income_per_capita / 12 < 600",
    "age + 1 > 17",
    "age - 1 > 17",
    "age-1>17",
    "age * 2 >= 32",
    "age / 2 >= 8",
    "-age < -15",
    "(certificate.severe ? 2 : 1) * 100 > 150",
    'birth_date < date("2019-01-01")',
    'as_of >= date("2025-01-01") && age >= 16',
    "alive == certificate.valid",
    "certificate.valid != false",
    "age in []",
    "1.5 < 2",
    "0x10 == 16",
    "r'dibao' == household.status",
    '"""dibao""" == household.status',
    "alive // a comment\n && certificate.valid",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted(text: str) -> None:
    rule = compile_rule(text)
    assert rule.text == text
    assert rule.kind == "bool"


def test_attributes_used_are_listed() -> None:
    rule = compile_rule('alive && certificate.level in [1, 2] && !receiving("orphan_support")')
    assert rule.attributes == frozenset({"alive", "certificate.level", "receiving"})
    assert rule.receiving_codes == frozenset({"orphan_support"})


@pytest.mark.parametrize(
    ("text", "kind_type"),
    [
        ("certificate.level * 100", Type.INT),
        ("certificate.severe ? 200.5 : 100", Type.NUMBER),
        ("survey.income_per_capita / 12", Type.NUMBER),
        ("age / 7", Type.INT),
    ],
)
def test_number_rules(text: str, kind_type: Type) -> None:
    rule = compile_rule(text, kind="number")
    assert rule.root.type is kind_type


REFUSED = [
    # text, code, line, column
    ("age >", "syntax", 1, 5),
    ("alive &&& x", "syntax", 1, 9),
    ("alive &&\n  (certificate.valid", "syntax", None, None),
    ("alive &&\n  no_such_attribute", "unknown_attribute", 2, 3),
    ("certificate.colour == 1", "unknown_attribute", 1, 1),
    ('no_such_function("x")', "unknown_function", 1, 1),
    ("in_region(150402)", "argument_type", 1, 11),
    ('in_region("15")', "region_code", 1, 11),
    ('in_region("150402", "150404")', "argument_count", 1, 1),
    ('insured("car")', "unknown_code", 1, 9),
    ('receiving("lottery")', "unknown_code", 1, 11),
    ("[1, 2].all(x, x > 0)", "macro", 1, 1),
    ("[1, 2].exists(x, x > 1)", "macro", 1, 1),
    ("[1, 2].map(x, x * 2) == [2, 4]", "macro", 1, 1),
    ("has(certificate.level)", "macro", 1, 1),
    ('"%s".format(["a"]) == "a"', "string_format", 1, 1),
    ('{"a": 1} == {"a": 1}', "map", 1, 1),
    ("[1, 2][0] == 1", "index", 1, 1),
    ("household.status.size() > 1", "method", 1, 1),
    ("household.status == 1", "type_mismatch", 1, 1),
    ('age == "16"', "type_mismatch", 1, 1),
    ('household.status < "z"', "type_mismatch", 1, 1),
    ("alive && age", "type_mismatch", 1, 10),
    ("!age", "type_mismatch", 1, 2),
    ('-household.status == ""', "type_mismatch", 1, 2),
    ('age + "1" > 1', "type_mismatch", 1, 7),
    ("age", "not_boolean", 1, 1),
    ("age / 0 > 1", "division", 1, 7),
    ("age / certificate.level > 1", "division", 1, 7),
    ("age % 2 == 0", "unsupported_operator", 1, 1),
    ('household.status == "dbao"', "unknown_value", 1, 21),
    ('sex in ["M", "X"]', "unknown_value", 1, 14),
    ("age in [1, 'a']", "list_mixed", 1, 12),
    ("age in [1, certificate.level]", "list_item", 1, 12),
    ("age in certificate.level", "in_needs_list", 1, 8),
    ("alive in [true]", "type_mismatch", 1, 1),
    ('age in ["a"]', "type_mismatch", 1, 9),
    ("alive ? 1 : 2", "not_boolean", 1, 1),
    ('alive ? "a" : "b"', "ternary_type", 1, 9),
    ("age ? 1 : 2", "type_mismatch", 1, 1),
    ('date("2025-02-30") < as_of', "date_invalid", 1, 6),
    ("date(1) < as_of", "date_argument", 1, 1),
    ("null == null", "unsupported_literal", 1, 1),
    ("1u == 1u", "unsupported_literal", 1, 1),
    ('b"x" == b"x"', "unsupported_literal", 1, 1),
    (".alive", "unsupported", 1, 1),
    ("(1 + 2).x == 1", "unsupported", 1, 1),
    ("Person{age: 1}", "message", 1, 1),
    ("   ", "rule_empty", 1, 1),
]


@pytest.mark.parametrize(("text", "code", "line", "column"), REFUSED)
def test_refused(text: str, code: str, line: int | None, column: int | None) -> None:
    with pytest.raises(RuleError) as exc:
        compile_rule(text)
    err = exc.value
    assert err.code == code
    assert err.message_zh
    assert err.message_en
    assert err.message_zh != err.message_en
    assert err.line is not None
    assert err.column is not None
    if line is not None:
        assert (err.line, err.column) == (line, column)
        assert f"line {line}, column {column}" in err.located_en
        assert f"第{line}行第{column}列" in err.located_zh


def test_unclosed_parenthesis_points_at_the_end() -> None:
    text = "alive &&\n  (certificate.valid"
    with pytest.raises(RuleError) as exc:
        compile_rule(text)
    assert exc.value.line == 2


def test_number_rule_must_be_a_number() -> None:
    with pytest.raises(RuleError) as exc:
        compile_rule("alive", kind="number")
    assert exc.value.code == "not_number"


def test_rule_kinds_are_not_mixed() -> None:
    with pytest.raises(RuleError) as exc:
        compile_rule("age * 2", kind="number").q(__import__("datetime").date(2025, 1, 1))
    assert exc.value.code == "rule_kind"
    with pytest.raises(RuleError):
        compile_rule("alive", kind="maybe")  # type: ignore[arg-type]


def test_overlong_rule_is_refused() -> None:
    with pytest.raises(RuleError) as exc:
        compile_rule(" || ".join(["alive"] * 3000))
    assert exc.value.code == "rule_too_long"


def test_every_catalogue_attribute_compiles() -> None:
    for name, attr in ATTRIBUTES.items():
        if attr.type is Type.BOOL:
            compile_rule(name)
        elif attr.type is Type.DATE:
            compile_rule(f'{name} >= date("2000-01-01")')
        elif attr.type is Type.STRING:
            value = next(iter(attr.values())) if attr.values else ""
            compile_rule(f'{name} == "{value}"')
        else:
            compile_rule(f"{name} >= 0")


def test_long_chains_are_balanced_and_deep_nesting_refused() -> None:
    import datetime as dt

    from dpf.rules.facts import Facts
    from dpf.rules.parser import MAX_DEPTH, depth

    long = " && ".join(["alive"] * 799 + ["!in_school"])
    rule = compile_rule(long)
    assert depth(rule.root) <= 12
    facts = Facts(
        as_of=dt.date(2025, 12, 31),
        birth_date=dt.date(1980, 1, 1),
        sex="M",
        alive=True,
        residence_region="150402001001",
        certificate=None,
        household_status="none",
        in_destitute_care=False,
        long_term_care_need=False,
    )
    result = rule.evaluate(facts)
    assert result.value
    assert len(result.clauses) == 800
    assert result.clauses[-1].text == "!in_school"
    for text in ("!" * (MAX_DEPTH + 1) + "alive", "(" * 400 + "alive" + ")" * 400):
        with pytest.raises(RuleError) as exc:
            compile_rule(text)
        assert exc.value.code == "rule_too_deep"
