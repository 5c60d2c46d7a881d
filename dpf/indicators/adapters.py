"""What the indicators need from the benefits app, in one place (imports point down)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q


def benefit_exists(code: str) -> bool:
    from dpf.benefits.models import BenefitItem

    return BenefitItem.objects.filter(code=code).exists()


def eligible_q(code: str, as_of: dt.date) -> Q:
    """Persons eligible for ``code`` on ``as_of``: the base rule OR the county widenings."""
    from dpf.benefits.eligibility import eligibility_q as benefit_eligibility_q

    return benefit_eligibility_q(code, as_of)
