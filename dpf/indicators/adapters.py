"""What the indicators need from the benefits app, in one place (imports point down)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Q

if TYPE_CHECKING:
    from dpf.rules import Rule
    from dpf.rules.materialise import FactsTable


def benefit_exists(code: str) -> bool:
    from dpf.benefits.models import BenefitItem

    return BenefitItem.objects.filter(code=code).exists()


def eligible_q(code: str, as_of: dt.date) -> Q:
    """Persons eligible for ``code`` on ``as_of``: the base rule OR the county widenings."""
    from dpf.benefits.eligibility import eligibility_q as benefit_eligibility_q

    return benefit_eligibility_q(code, as_of)


class EligibleOn:
    """The versions of one benefit in force on a date, read once (two queries), for the
    rules they use and for their condition over the materialised facts of that date."""

    def __init__(self, code: str, as_of: dt.date) -> None:
        from dpf.benefits.eligibility import rules_in_force
        from dpf.benefits.models import BenefitItem

        benefit = BenefitItem.objects.filter(code=code).first()
        self.rules = None if benefit is None else rules_in_force(benefit, as_of)

    def compiled(self) -> list[Rule]:
        from dpf.benefits.eligibility import rules_of

        return [] if self.rules is None else rules_of(self.rules)

    def q(self, facts: FactsTable) -> Q:
        from dpf.benefits.eligibility import NOTHING, eligibility_condition

        return NOTHING if self.rules is None else eligibility_condition(self.rules, facts)
