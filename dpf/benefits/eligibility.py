"""Which rule versions are in force for a benefit on a date, and the one condition they make.

For a person in county C on date D the effective condition is::

    base rule in force on D  OR  (county == C AND C's widening in force on D)

``eligibility_q`` builds it as ONE ``Q`` over ``Person`` (the set-based compiler of the
rule language does the rest); ``explain`` evaluates the same versions for one person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from dpf.benefits.models import BenefitItem, RuleMode, RuleVersion
from dpf.core.models import EffectiveDated

if TYPE_CHECKING:
    from dpf.rules import Rule
    from dpf.rules.materialise import FactsTable

NOTHING = Q(pk__in=[])


@lru_cache(maxsize=256)
def compiled(text: str) -> Rule:
    """Compile a rule text once (compiling is pure; texts are immutable versions)."""
    from dpf.rules import compile_rule

    return compile_rule(text, kind="bool")


@dataclass(frozen=True)
class RulesInForce:
    """The versions of one benefit in force on one date."""

    benefit: BenefitItem
    as_of: dt.date
    base: RuleVersion | None
    widenings: dict[str, RuleVersion] = field(default_factory=dict)


def rules_in_force(benefit: BenefitItem, as_of: dt.date) -> RulesInForce:
    """One query: the base version and each county's widening in force on ``as_of``."""
    versions = list(RuleVersion.objects.filter(EffectiveDated.as_of_q(as_of), benefit=benefit))
    base = next((v for v in versions if v.mode == RuleMode.BASE), None)
    widenings = {v.region_code: v for v in versions if v.mode == RuleMode.WIDEN}
    return RulesInForce(benefit=benefit, as_of=as_of, base=base, widenings=widenings)


def condition(
    base_text: str | None,
    widen_texts: dict[str, str],
    as_of: dt.date,
    prefix: str = "",
    facts: FactsTable | None = None,
) -> Q:
    """``base OR (county == C AND widen_C)`` for every widening county C, as one ``Q``
    over ``Person``, or over the materialised ``facts`` of the date when given."""

    def rule_q(text: str) -> Q:
        return facts.q(compiled(text)) if facts is not None else compiled(text).q(as_of)

    q = rule_q(base_text) if base_text else NOTHING
    for county, text in sorted(widen_texts.items()):
        q = q | (Q(**{f"{prefix}county_code": county}) & rule_q(text))
    return q


def eligibility_condition(rules: RulesInForce, facts: FactsTable | None = None) -> Q:
    return condition(
        rules.base.text if rules.base else None,
        {c: v.text for c, v in rules.widenings.items()},
        rules.as_of,
        facts=facts,
    )


def rules_of(rules: RulesInForce) -> list[Rule]:
    """The compiled rules of the versions in force (base and widenings)."""
    texts = [rules.base.text] if rules.base else []
    texts += [v.text for _, v in sorted(rules.widenings.items())]
    return [compiled(t) for t in texts]


def eligibility_q(code: str, as_of: dt.date) -> Q:
    """Persons eligible for benefit ``code`` on ``as_of`` (nothing for an unknown code)."""
    benefit = BenefitItem.objects.filter(code=code).first()
    if benefit is None:
        return NOTHING
    return eligibility_condition(rules_in_force(benefit, as_of))


@dataclass(frozen=True)
class Clause:
    text: str
    value: Any
    label: str
    label_en: str


@dataclass(frozen=True)
class Eligibility:
    """One person's result for one benefit: the base rule's clauses, and the county
    widening's when the person's county has one in force."""

    benefit: BenefitItem
    eligible: bool
    base: list[Clause]
    widening: list[Clause] | None
    widening_region: str
    has_rule: bool
    receiving: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "benefit": self.benefit.code,
            "eligible": self.eligible,
            "clauses": [_clause_json(c) for c in self.base],
            "widening_region": self.widening_region,
            "widening_clauses": (
                None if self.widening is None else [_clause_json(c) for c in self.widening]
            ),
            "has_rule": self.has_rule,
        }


def _clause_json(c: Clause) -> dict[str, Any]:
    value = (
        c.value
        if isinstance(c.value, bool | int | float | str) or c.value is None
        else str(c.value)
    )
    return {"text": c.text, "value": value, "label": c.label, "label_en": c.label_en}


def clauses_of(explanation: Any) -> list[Clause]:
    return [
        Clause(
            text=str(getattr(c, "text", "")),
            value=getattr(c, "value", None),
            label=str(getattr(c, "label_zh", "")),
            label_en=str(getattr(c, "label_en", "")),
        )
        for c in getattr(explanation, "clauses", [])
    ]


def explain(rules: RulesInForce, facts: Any, county_code: str) -> Eligibility:
    """Evaluate the versions in force for one person's ``facts`` (living in ``county_code``).

    An eligible person who also receives a payment the catalogue makes exclusive with the
    benefit gets one more clause, the choice of the higher (``dpf.benefits.exclusive``).
    """
    eligible = False
    base: list[Clause] = []
    if rules.base is not None:
        result = compiled(rules.base.text).evaluate(facts)
        eligible = bool(result.value)
        base = clauses_of(result)
    widening = None
    widen_version = rules.widenings.get(county_code)
    if widen_version is not None:
        result = compiled(widen_version.text).evaluate(facts)
        eligible = eligible or bool(result.value)
        widening = clauses_of(result)
    if eligible:
        from dpf.benefits.exclusive import choose

        choice = choose(rules.benefit, facts, county_code)
        if choice is not None:  # pay the higher one (择高享受), as the catalogue says
            base.append(Clause(choice.text, choice.keep, choice.label_zh, choice.label_en))
            eligible = choice.keep
    return Eligibility(
        benefit=rules.benefit,
        eligible=eligible,
        base=base,
        widening=widening,
        widening_region=county_code if widen_version is not None else "",
        has_rule=rules.base is not None or widen_version is not None,
    )
