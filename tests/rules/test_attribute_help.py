"""The rule form's help: every name of the catalogue, its meaning and an example that the
rule engine accepts (issue 17 part 8)."""

from __future__ import annotations

import pytest

from dpf.rules import compile_rule
from dpf.rules.catalogue import ATTRIBUTES, PREDICATES, attribute_help

pytestmark = pytest.mark.django_db


def test_help_covers_every_attribute_and_predicate_once() -> None:
    names = [h.name for h in attribute_help()]
    assert sorted(names) == sorted([*ATTRIBUTES, *PREDICATES])


@pytest.mark.parametrize("entry", attribute_help(), ids=lambda h: h.name)
def test_each_example_is_a_rule_that_compiles_and_uses_its_name(entry) -> None:
    assert entry.name in entry.example
    compile_rule(entry.example, kind="bool")  # raises RuleError if the catalogue disagrees
    assert entry.meaning_zh
    assert entry.meaning_en


def test_closed_value_sets_are_listed_with_their_labels() -> None:
    level = next(h for h in attribute_help() if h.name == "certificate.level")
    assert "1 一级" in level.values_zh
    assert "1 1" in level.values_en
    household = next(h for h in attribute_help() if h.name == "household.status")
    assert '"dibao" 低保' in household.values_zh
