"""Employers, their accounts and disabled persons with certificates, made through the
services. The levy year of these tests is 2026 (staff year 2025), declared on TODAY."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from dpf.core.creditcode import check_character
from dpf.employment import services
from dpf.employment.models import Employer
from dpf.registry import services as registry
from dpf.registry.models import Certificate
from tests.factories import make_person, make_user

TODAY = dt.date(2026, 5, 10)
LEVY_YEAR = 2026
_codes = itertools.count(1)


def credit_code(county: str = "150402") -> str:
    """A valid unified social credit code (GB 32100) in ``county``."""
    first17 = f"91{county}MA{next(_codes):07d}"
    return first17 + check_character(first17)


def make_employer(
    actor: Any, *, county: str = "150402", kind: str = "enterprise", staff: int = 200
) -> Employer:
    return services.employer_register(
        actor=actor,
        credit_code=credit_code(county),
        name=f"测试单位{next(_codes)}",
        kind=kind,
        county_code=county,
        staff_count=staff,
        contact_name="王经理",
        contact_phone="13800001234",
    )


def employer_account(employer: Employer) -> Any:
    return make_user("employer", None, institution_code=employer.credit_code)


def make_certificate(
    *,
    category: int = 4,
    level: int = 4,
    issued: dt.date = dt.date(2020, 1, 1),
    expires: dt.date | None = None,
    village: str = "150402001001",
) -> Certificate:
    person = make_person(village_code=village)
    return registry.certificate_issue(
        actor=None,
        person=person,
        category=category,
        level=level,
        issue_date=issued,
        expires_on=expires,
        today=TODAY,
    )


def line(certificate: Certificate, **kwargs: Any) -> services.EmployeeLine:
    values: dict[str, Any] = {
        "certificate_number": certificate.number,
        "first_month": 1,
        "last_month": 12,
        "contract_months": 36,
        "paid_at_least_min_wage": True,
        "social_insurance": True,
    }
    values.update(kwargs)
    return services.EmployeeLine(**values)


@pytest.fixture
def firm(county_officer: Any) -> Employer:
    return make_employer(county_officer)


@pytest.fixture
def firm_user(firm: Employer) -> Any:
    return employer_account(firm)
