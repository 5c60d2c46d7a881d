"""Pay the higher one (择高享受): a benefit not paid together with another department's
payment, as the catalogue says (``exclusive`` of a benefit in ``data/catalogue.json``).

When a person eligible by the rule also receives an exclusive partner payment, the benefit
is kept only when its monthly standard for the person is higher than the partner's
recorded monthly amount; an unrecorded amount (or no standard) cannot be compared, and the
benefit is not proposed until it is. The same choice is made for one person (``choose``,
the explanation on the person page and in the proposals) and for everybody at once
(``losing_choice``, the scan's set-based SQL).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from dpf.benefits.catalogue import Exclusive, shipped_catalogue
from dpf.benefits.models import AmountStandard, BenefitItem
from dpf.benefits.standards import most_specific_first
from dpf.core.models import EffectiveDated
from dpf.registry.models import Certificate, OutsidePayment, Person
from dpf.rules.catalogue import receiving_label


def partners(benefit_code: str) -> tuple[Exclusive, ...]:
    item = shipped_catalogue().get(benefit_code)
    return item.exclusive if item is not None else ()


def _yuan(amount: Decimal | None) -> str:
    return "—" if amount is None else f"{amount:.2f}"


@dataclass(frozen=True)
class Choice:
    """The outcome of "pay the higher" for one person."""

    partner: str  # the outside payment's code
    keep: bool  # True: the benefit is the higher and is paid
    ours: Decimal | None
    theirs: Decimal | None

    @property
    def text(self) -> str:
        return f'择高享受("{self.partner}")'

    @property
    def label_zh(self) -> str:
        name = receiving_label(self.partner)[0]
        if self.keep:
            return (
                f"符合：择高享受，本补贴每月{_yuan(self.ours)}元高于{name}每月"
                f"{_yuan(self.theirs)}元（两者不同时享受，{name}应停发）"
            )
        if self.theirs is None:
            return f"不符合：择高享受，已领取{name}，但其金额未登记，登记后才能比较"
        if self.ours is None:
            return f"不符合：择高享受，已领取{name}，本补贴没有适用的标准，无法比较"
        return (
            f"不符合：择高享受，已领取{name}每月{_yuan(self.theirs)}元，"
            f"不低于本补贴每月{_yuan(self.ours)}元"
        )

    @property
    def label_en(self) -> str:
        name = receiving_label(self.partner)[1]
        if self.keep:
            return (
                f"met: pay the higher — this allowance, {_yuan(self.ours)} yuan a month, is "
                f"higher than the {name}, {_yuan(self.theirs)} yuan a month (not paid "
                f"together: the {name} should stop)"
            )
        if self.theirs is None:
            return (
                f"not met: pay the higher — receives the {name}, whose amount is not "
                "recorded; record it to compare"
            )
        if self.ours is None:
            return (
                f"not met: pay the higher — receives the {name}; this allowance has no "
                "standard to compare"
            )
        return (
            f"not met: pay the higher — receives the {name}, {_yuan(self.theirs)} yuan a "
            f"month, not less than this allowance's {_yuan(self.ours)} yuan a month"
        )


def choose(benefit: BenefitItem, facts: Any, county_code: str) -> Choice | None:
    """The choice for one person whose ``facts`` make them eligible by the rule; None when
    they receive no exclusive partner. One query (the standard), only in that case."""
    held = [e.receiving for e in partners(benefit.code) if e.receiving in facts.receiving]
    if not held:
        return None
    from dpf.benefits.services.versions import amount_for

    amounts: dict[str, Decimal | None] = getattr(facts, "outside_amounts", {}) or {}
    # the highest partner decides; an unrecorded amount cannot be beaten
    partner = max(held, key=lambda c: (amounts.get(c) is None, amounts.get(c) or Decimal(0)))
    theirs = amounts.get(partner)
    level = facts.certificate.level if facts.certificate is not None else None
    standard = amount_for(benefit, county_code=county_code, level=level, as_of=facts.as_of)
    ours = standard.monthly_amount if standard is not None else None
    keep = ours is not None and theirs is not None and ours > theirs
    return Choice(partner=partner, keep=keep, ours=ours, theirs=theirs)


def monthly_standard(benefit: BenefitItem, as_of: dt.date) -> Case:
    """The benefit's standard for the outer person as one CASE, most specific first (as
    ``amount_for``: county and level, county, level, city); reads ``_level``."""
    standards = most_specific_first(
        AmountStandard.objects.filter(EffectiveDated.as_of_q(as_of), benefit=benefit)
    )
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=10, decimal_places=2)
    whens = []
    default = Value(None, output_field=money)
    for s in standards:
        condition = Q()
        if s.region_code:
            condition &= Q(county_code=s.region_code)
        if s.level is not None:
            condition &= Q(_level=s.level)
        if not condition:  # city-wide, any level: what every other person gets
            default = Value(s.monthly_amount, output_field=money)
            break
        whens.append(When(condition, then=Value(s.monthly_amount, output_field=money)))
    return Case(*whens, default=default, output_field=money)


def losing_choice(benefit: BenefitItem, as_of: dt.date, persons: QuerySet[Person]) -> QuerySet:
    """Of ``persons``, those who receive an exclusive partner payment on ``as_of`` that
    this benefit does not beat (set-based: one statement whatever the number)."""
    codes = [e.receiving for e in partners(benefit.code)]
    if not codes:
        return persons.none()
    level = (
        Certificate.objects.filter(EffectiveDated.as_of_q(as_of), person=OuterRef("pk"))
        .order_by("-valid_from", "-pk")
        .values("level")[:1]
    )
    paid = OutsidePayment.objects.filter(
        EffectiveDated.as_of_q(as_of), person=OuterRef("pk"), kind__in=codes
    )
    # The highest recorded partner amount, compared in the outer query: an OuterRef to
    # ``_ours`` inside the partner subquery inlined the level subquery there, where Django
    # relabelled its alias onto the certificate itself (``V0.person_id = V0.id``).
    theirs = (
        paid.filter(monthly_amount__isnull=False)
        .order_by("-monthly_amount")
        .values("monthly_amount")[:1]
    )
    return (
        persons.filter(Exists(paid))
        .annotate(_level=Subquery(level))
        .annotate(_ours=monthly_standard(benefit, as_of))
        .annotate(_theirs=Subquery(theirs))
        .filter(
            Q(_ours__isnull=True)
            | Exists(paid.filter(monthly_amount__isnull=True))
            | Q(_theirs__gte=F("_ours"))
        )
    )
