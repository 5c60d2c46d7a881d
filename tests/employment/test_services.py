"""The quota review's services: a declaration from the employer to the reviewed levy, and
every refusal (nothing saved)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from dpf.accounts.permissions import PermissionRefused
from dpf.core.creditcode import InvalidCreditCode
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.employment import selectors, services
from dpf.employment.models import (
    CreditFlag,
    DeclarationStatus,
    DeclaredEmployee,
    Employer,
    QuotaDeclaration,
)
from dpf.registry import services as registry
from dpf.registry.models import CertificateStatus
from tests.employment.conftest import (
    LEVY_YEAR,
    TODAY,
    credit_code,
    employer_account,
    line,
    make_certificate,
    make_employer,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def submit(user: Any, employees: list[services.EmployeeLine], **kwargs: Any) -> QuotaDeclaration:
    values: dict[str, Any] = {
        "actor": user,
        "levy_year": LEVY_YEAR,
        "staff_count": "200",
        "wage_bill": "30000000.00",
        "employees": employees,
        "today": TODAY,
    }
    values.update(kwargs)
    return services.declaration_submit(**values)


def nothing_saved() -> tuple[int, int]:
    return QuotaDeclaration.objects.count(), DeclaredEmployee.objects.count()


def test_declaration_from_employer_to_reviewed_levy(firm_user, county_officer) -> None:
    # 200 staff, wage bill 30,000,000: average 150,000, capped at 2 x 98,000 (the 2026
    # configured local average) = 196,000 -> 150,000 used. A level-2 employee counts 2,
    # a level-4 one 1: counted 3 = required 3. No levy.
    severe = make_certificate(level=2)
    mild = make_certificate(level=4)
    declaration = submit(firm_user, [line(severe), line(mild)])
    assert declaration.status == DeclarationStatus.SUBMITTED
    assert (declaration.required, declaration.counted, declaration.levy_due) == (
        Decimal("3"),
        3,
        Decimal("0"),
    )
    assert sorted(declaration.employees.values_list("weight", flat=True)) == [1, 2]
    reviewed = services.declaration_review(
        actor=county_officer, declaration_id=declaration.pk, approve=True, note="", today=TODAY
    )
    assert reviewed.status == DeclarationStatus.APPROVED
    assert reviewed.reviewed_by == county_officer
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"submit", "approve"} <= actions


def test_shortfall_levy_with_relief(firm_user) -> None:
    # One level-4 employee of 200 staff: shortfall 2 x 150,000 = 300,000; rate 0.5%:
    # the 90% band (2026) -> 270,000 due.
    declaration = submit(firm_user, [line(make_certificate())])
    assert (declaration.gross, declaration.levy_due, declaration.relief) == (
        Decimal("300000.00"),
        Decimal("270000.00"),
        Decimal("30000.00"),
    )


def test_returned_declaration_is_resubmitted(firm_user, county_officer) -> None:
    declaration = submit(firm_user, [])
    with pytest.raises(ValidationFailed) as refused:
        services.declaration_review(
            actor=county_officer, declaration_id=declaration.pk, approve=False, note="", today=TODAY
        )
    assert refused.value.code == "note_required"
    services.declaration_review(
        actor=county_officer,
        declaration_id=declaration.pk,
        approve=False,
        note="残疾人职工未申报",
        today=TODAY,
    )
    with pytest.raises(ValidationFailed) as again:
        services.declaration_review(
            actor=county_officer, declaration_id=declaration.pk, approve=True, note="", today=TODAY
        )
    assert again.value.code == "not_submitted"
    resubmitted = submit(firm_user, [line(make_certificate())])
    assert resubmitted.pk == declaration.pk
    assert resubmitted.status == DeclarationStatus.SUBMITTED
    assert resubmitted.employees.count() == 1


def test_second_submission_refused(firm_user) -> None:
    submit(firm_user, [])
    with pytest.raises(ValidationFailed) as refused:
        submit(firm_user, [line(make_certificate())])
    assert refused.value.code == "already_declared"
    assert DeclaredEmployee.objects.count() == 0


# --- the registry check of each disabled employee ------------------------------------------


def test_unknown_certificate_refused(firm_user) -> None:
    certificate = make_certificate(category=4, level=4)
    number = certificate.number[:18] + "43"  # the same person, another category and level
    with pytest.raises(ValidationFailed) as refused:
        submit(firm_user, [line(certificate, certificate_number=number)])
    assert refused.value.code == "certificate_unknown"
    assert refused.value.field == "employees-0-certificate_number"
    assert number not in refused.value.message_zh + refused.value.message_en
    assert nothing_saved() == (0, 0)


def test_malformed_certificate_number_refused(firm_user) -> None:
    with pytest.raises(ValidationFailed) as refused:
        submit(firm_user, [line(make_certificate(), certificate_number="1504")])
    assert refused.value.code == "length"
    assert nothing_saved() == (0, 0)


def test_certificate_expired_in_the_months_declared_refused(firm_user) -> None:
    # Expired on 2025-06-30: months 1-6 of 2025 are fine, 1-12 are not.
    certificate = make_certificate(issued=dt.date(2015, 7, 1), expires=dt.date(2025, 6, 30))
    with pytest.raises(ValidationFailed) as refused:
        submit(firm_user, [line(certificate)])
    assert refused.value.code == "certificate_not_valid"
    assert nothing_saved() == (0, 0)
    declaration = submit(firm_user, [line(certificate, last_month=6)])
    assert declaration.employees.count() == 1


def test_certificate_cancelled_refused(firm_user) -> None:
    certificate = make_certificate()
    registry.certificate_end(
        actor=None,
        certificate=certificate,
        on=dt.date(2025, 3, 1),
        status=CertificateStatus.CANCELLED,
    )
    with pytest.raises(ValidationFailed) as refused:
        submit(firm_user, [line(certificate)])
    assert refused.value.code == "certificate_not_valid"


def test_certificate_issued_after_the_months_declared_refused(firm_user) -> None:
    certificate = make_certificate(issued=dt.date(2025, 9, 1))
    with pytest.raises(ValidationFailed) as refused:
        submit(firm_user, [line(certificate)])
    assert refused.value.code == "certificate_not_valid"
    # From September, the month it was issued, the certificate holds: the employee counts.
    assert submit(firm_user, [line(certificate, first_month=9)]).counted == 1


def test_person_counted_by_another_employer_for_the_same_months_refused(
    firm_user, county_officer
) -> None:
    """The attack: a second firm declares an employee the first already counts."""
    certificate = make_certificate()
    submit(firm_user, [line(certificate, first_month=1, last_month=8)])
    other = employer_account(make_employer(county_officer))
    with pytest.raises(ValidationFailed) as refused:
        submit(other, [line(certificate, first_month=8, last_month=12)])
    assert refused.value.code == "counted_elsewhere"
    assert refused.value.message_en.startswith("Disabled employee 1 is already counted")
    assert QuotaDeclaration.objects.count() == 1
    # The months after the first employer's are free: the person changed jobs.
    assert submit(other, [line(certificate, first_month=9, last_month=12)]).counted == 1


def test_person_counted_elsewhere_frees_up_when_that_declaration_is_returned(
    firm_user, county_officer
) -> None:
    certificate = make_certificate()
    first = submit(firm_user, [line(certificate)])
    services.declaration_review(
        actor=county_officer, declaration_id=first.pk, approve=False, note="不属实", today=TODAY
    )
    other = employer_account(make_employer(county_officer))
    assert submit(other, [line(certificate)]).counted == 1


def test_same_person_twice_refused(firm_user) -> None:
    certificate = make_certificate()
    with pytest.raises(ValidationFailed) as refused:
        submit(firm_user, [line(certificate), line(certificate)])
    assert refused.value.code == "duplicate_employee"
    assert refused.value.field == "employees-1-certificate_number"
    assert nothing_saved() == (0, 0)


# --- figures and dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"staff_count": "-5"}, "negative", "staff_count"),
        ({"staff_count": "9999999"}, "absurd", "staff_count"),
        ({"staff_count": "abc"}, "not_decimal", "staff_count"),
        ({"wage_bill": "-1"}, "negative", "wage_bill"),
        ({"wage_bill": "1.005"}, "too_many_decimals", "wage_bill"),
        ({"staff_count": "2", "wage_bill": "50000000"}, "absurd", "wage_bill"),
        ({"staff_count": "0", "wage_bill": "100"}, "wage_without_staff", "staff_count"),
        ({"today": dt.date(2026, 7, 1)}, "after_deadline", "levy_year"),
        ({"levy_year": 2025}, "levy_year", "levy_year"),
    ],
)
def test_bad_figures_refused(firm_user, kwargs: dict[str, Any], code: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        submit(firm_user, [], **kwargs)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.message_zh
    assert refused.value.message_en
    assert nothing_saved() == (0, 0)


def test_more_disabled_employees_than_staff_refused(firm_user) -> None:
    with pytest.raises(ValidationFailed) as refused:
        submit(
            firm_user,
            [line(make_certificate()), line(make_certificate())],
            staff_count="1",
            wage_bill="50000",
        )
    assert refused.value.code == "more_disabled_than_staff"


def test_months_out_of_order_refused(firm_user) -> None:
    with pytest.raises(ValidationFailed) as refused:
        submit(firm_user, [line(make_certificate(), first_month=9, last_month=3)])
    assert (refused.value.code, refused.value.field) == ("months_order", "employees-0-last_month")


def test_deadline_day_itself_accepted(firm_user) -> None:
    assert submit(firm_user, [], today=dt.date(2026, 6, 30)).status == DeclarationStatus.SUBMITTED


# --- employers -----------------------------------------------------------------------------


def test_credit_code_with_wrong_check_character_refused(county_officer) -> None:
    code = credit_code()
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(InvalidCreditCode) as refused:
        services.employer_register(
            actor=county_officer,
            credit_code=wrong,
            name="某公司",
            kind="enterprise",
            county_code="150402",
            staff_count=10,
        )
    assert refused.value.code == "checksum"
    assert Employer.objects.count() == 0


def test_employer_outside_the_officers_county_refused(county_officer) -> None:
    with pytest.raises(ValidationFailed) as refused:
        make_employer(county_officer, county="150404")
    assert refused.value.code == "county_out_of_scope"
    assert Employer.objects.count() == 0


def test_employer_registered_twice_refused(county_officer) -> None:
    employer = make_employer(county_officer)
    with pytest.raises(ValidationFailed) as refused:
        services.employer_register(
            actor=county_officer,
            credit_code=employer.credit_code.lower(),
            name="另一家",
            kind="enterprise",
            county_code="150402",
            staff_count=1,
        )
    assert refused.value.code == "employer_exists"


# --- who sees and reviews what -------------------------------------------------------------


def test_an_employer_sees_only_its_own_declarations(firm_user, county_officer) -> None:
    other_user = employer_account(make_employer(county_officer))
    mine = submit(firm_user, [])
    theirs = submit(other_user, [])
    assert list(selectors.declarations(firm_user)) == [mine]
    with pytest.raises(PermissionRefused):
        selectors.declaration_for(firm_user, theirs.pk)
    # An employer account bound to no registered firm sees nothing and declares nothing.
    stray = make_user("employer", None, institution_code="NOT-A-FIRM")
    assert list(selectors.declarations(stray)) == []
    with pytest.raises(PermissionRefused):
        submit(stray, [])


def test_an_employer_cannot_review_even_its_own(firm_user) -> None:
    declaration = submit(firm_user, [])
    with pytest.raises(PermissionRefused):
        services.declaration_review(
            actor=firm_user, declaration_id=declaration.pk, approve=True, note="", today=TODAY
        )
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SUBMITTED


def test_officer_of_another_county_cannot_see_or_review(firm_user) -> None:
    declaration = submit(firm_user, [])
    stranger = make_user("county_officer", "150404")
    assert list(selectors.review_queue(stranger)) == []
    with pytest.raises(PermissionRefused):
        services.declaration_review(
            actor=stranger, declaration_id=declaration.pk, approve=True, note="", today=TODAY
        )
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SUBMITTED


@pytest.mark.parametrize("role", ["township_officer", "village_worker", "viewer", "citizen"])
def test_other_roles_see_no_declarations(firm_user, role: str) -> None:
    submit(firm_user, [])
    region = {"township_officer": "150402001", "village_worker": "150402001001"}.get(role)
    user = make_user(role, region)
    assert list(selectors.declarations(user)) == []


def test_city_admin_sees_every_county(firm_user, city_admin) -> None:
    declaration = submit(firm_user, [])
    assert list(selectors.review_queue(city_admin)) == [declaration]


def test_levy_by_county_sums_approved_declarations(firm_user, county_officer) -> None:
    first = submit(firm_user, [line(make_certificate())])
    services.declaration_review(
        actor=county_officer, declaration_id=first.pk, approve=True, note="", today=TODAY
    )
    submit(employer_account(make_employer(county_officer)), [])  # not yet approved
    rows = selectors.levy_by_county(county_officer, LEVY_YEAR)
    assert len(rows) == 1
    assert rows[0]["declarations"] == 2
    assert rows[0]["approved"] == 1
    assert rows[0]["levy_due"] == Decimal("270000.00")


# --- credit record -------------------------------------------------------------------------


def test_credit_flag_with_date_and_reason(firm, county_officer) -> None:
    flag = services.credit_flag_add(
        actor=county_officer,
        employer_id=firm.pk,
        reason="under_declared",
        detail="少报残疾人职工工资",
        flagged_on=dt.date(2026, 8, 1),
    )
    assert list(selectors.credit_flags(county_officer)) == [flag]
    lift_day = dt.date(2027, 8, 1)
    for lifted_on, reason, code in (
        (dt.date(2026, 7, 1), "已补缴", "lift_date"),
        (lift_day, "  ", "required"),
        (lift_day + dt.timedelta(days=1), "已补缴", "date_in_future"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            services.credit_flag_lift(
                actor=county_officer,
                flag_id=flag.pk,
                lifted_on=lifted_on,
                reason=reason,
                today=lift_day,
            )
        assert refused.value.code == code
    flag.refresh_from_db()
    assert flag.lifted_on is None
    services.credit_flag_lift(
        actor=county_officer, flag_id=flag.pk, lifted_on=lift_day, reason="已补缴", today=lift_day
    )
    flag.refresh_from_db()
    assert (flag.lifted_on, flag.lift_reason, flag.lifted_by) == (
        lift_day,
        "已补缴",
        county_officer,
    )
    assert (flag.flagged_on, flag.detail) == (dt.date(2026, 8, 1), "少报残疾人职工工资")
    entry = AuditEntry.objects.filter(action="credit_lift").get()
    assert (entry.object_id, entry.reason) == (str(firm.pk), "已补缴")
    with pytest.raises(ValidationFailed) as again:
        services.credit_flag_lift(
            actor=county_officer, flag_id=flag.pk, lifted_on=lift_day, reason="再次", today=lift_day
        )
    assert again.value.code == "already_lifted"
    flag.refresh_from_db()
    assert flag.lift_reason == "已补缴"


def test_credit_flag_outside_the_county_refused(firm) -> None:
    stranger = make_user("county_officer", "150404")
    with pytest.raises(PermissionRefused):
        services.credit_flag_add(
            actor=stranger,
            employer_id=firm.pk,
            reason="refused",
            detail="拒不申报",
            flagged_on=dt.date(2026, 8, 1),
        )
    assert CreditFlag.objects.count() == 0
