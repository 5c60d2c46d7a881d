"""Reads of the quota review, every one through ``dpf.accounts.scoping``: an employer sees
its own firm; the county and city staff the employers of their region."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from dpf.accounts.permissions import PermissionRefused
from dpf.accounts.scoping import regions_to_pick, scope_employer_records
from dpf.core.i18n import localised
from dpf.core.models import RegionLevel
from dpf.employment.models import (
    CreditFlag,
    DeclarationStatus,
    DeclaredEmployee,
    Employer,
    QuotaDeclaration,
)


def employers(user: Any) -> QuerySet[Employer]:
    return scope_employer_records(user, Employer.objects.all()).order_by("county_code", "name")


def employer_for(user: Any, employer_id: int) -> Employer:
    employer = employers(user).filter(pk=employer_id).first()
    if employer is None:
        raise PermissionRefused("view", "employer", employer_id)
    return employer


def declarations(user: Any) -> QuerySet[QuotaDeclaration]:
    """Declarations ``user`` may see, with their employer (one query)."""
    return scope_employer_records(
        user, QuotaDeclaration.objects.select_related("employer"), own="employer__"
    )


def review_queue(user: Any) -> QuerySet[QuotaDeclaration]:
    """Submitted declarations waiting for the office, oldest first."""
    return (
        declarations(user).filter(status=DeclarationStatus.SUBMITTED).order_by("submitted_on", "pk")
    )


def declaration_for(user: Any, declaration_id: int) -> QuotaDeclaration:
    declaration = declarations(user).filter(pk=declaration_id).first()
    if declaration is None:
        raise PermissionRefused("view", "quota_declaration", declaration_id)
    return declaration


def employees_of(declaration: QuotaDeclaration) -> list[DeclaredEmployee]:
    """The declared employees with person and certificate (two joins, one query)."""
    return list(declaration.employees.select_related("person", "certificate").order_by("pk"))


def levy_by_county(user: Any, levy_year: int) -> list[dict[str, Any]]:
    """Levy due, reward and declarations per county for one levy year (one grouped query)."""
    return list(
        declarations(user)
        .filter(levy_year=levy_year)
        .values("county_code")
        .annotate(
            declarations=Count("pk"),
            approved=Count("pk", filter=Q(status=DeclarationStatus.APPROVED)),
            levy_due=Sum("levy_due", filter=Q(status=DeclarationStatus.APPROVED)),
            reward=Sum("reward", filter=Q(status=DeclarationStatus.APPROVED)),
            counted=Sum("counted", filter=Q(status=DeclarationStatus.APPROVED)),
        )
        .order_by("county_code")
    )


def credit_flags(user: Any) -> QuerySet[CreditFlag]:
    return scope_employer_records(
        user, CreditFlag.objects.select_related("employer"), own="employer__"
    ).order_by("-flagged_on", "pk")


def credit_flag_for(user: Any, flag_id: int) -> CreditFlag:
    """One flag of ``user``'s region (404 for any other), with its employer."""
    flag = credit_flags(user).filter(pk=flag_id).first()
    if flag is None:
        raise PermissionRefused("view", "employer", flag_id)
    return flag


def county_choices(user: Any) -> list[tuple[str, str]]:
    """The counties under ``user``'s region, as (code, name) for a form's choice."""
    counties = regions_to_pick(user, [RegionLevel.COUNTY])
    return [(c.code, localised(c.name, c.name_en)) for c in counties]
