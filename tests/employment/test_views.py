"""Employment pages: the employer declares on the page (the calculation shown without
JavaScript), the county office reviews; refusals next to the field, nothing written;
lists in constant queries; another firm's or county's records answer 404."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.core.models import AuditEntry
from dpf.employment import services
from dpf.employment.models import CreditFlag, DeclarationStatus, QuotaDeclaration
from tests.employment.conftest import (
    LEVY_YEAR,
    TODAY,
    employer_account,
    line,
    make_certificate,
    make_employer,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db
ON_TODAY = time_machine.travel(dt.datetime(2026, 5, 10, 10, 0, tzinfo=dt.UTC), tick=False)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(action: str, rows: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "action": action,
        "staff_count": "200",
        "wage_bill": "30000000.00",
        "employees-TOTAL_FORMS": str(len(rows)),
        "employees-INITIAL_FORMS": "0",
        "employees-MIN_NUM_FORMS": "0",
        "employees-MAX_NUM_FORMS": "50",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            if value is True:
                data[f"employees-{i}-{key}"] = "on"
            elif value is not False and value is not None:
                data[f"employees-{i}-{key}"] = str(value)
    data.update(fields)
    return data


def row(certificate: Any, **kwargs: Any) -> dict[str, Any]:
    values = {
        "certificate_number": certificate.number,
        "first_month": 1,
        "last_month": 12,
        "contract_months": 36,
        "paid_at_least_min_wage": True,
        "social_insurance": True,
    }
    values.update(kwargs)
    return values


@ON_TODAY
def test_employer_calculates_then_submits_and_the_office_approves(
    firm_user, county_officer
) -> None:
    certificate = make_certificate()
    client = _client(firm_user)
    url = reverse("employment:declaration")
    page = client.get(url)
    assert page.status_code == 200
    assert "employees-2-certificate_number" in page.content.decode()  # three empty rows
    # "计算" re-renders with the result and writes nothing.
    shown = client.post(url, form_data("calculate", [row(certificate), {}]))
    assert shown.status_code == 200
    html = shown.content.decode()
    assert "270000.00" in html
    assert "计算结果" in html
    assert QuotaDeclaration.objects.count() == 0
    # "增加一行" keeps the rows typed and adds one.
    more = client.post(url, form_data("add_row", [row(certificate)]))
    assert more.status_code == 200
    assert "employees-1-certificate_number" in more.content.decode()
    assert certificate.number in more.content.decode()  # the employer's own input kept
    submitted = client.post(url, form_data("submit", [{}, row(certificate)]))
    assert submitted.status_code == 302
    declaration = QuotaDeclaration.objects.get()
    assert (declaration.levy_year, declaration.counted) == (LEVY_YEAR, 1)

    office = _client(county_officer)
    queue = office.get(reverse("employment:review_queue")).content.decode()
    assert firm_user.institution_code not in queue  # the queue names the firm, not accounts
    review_url = reverse("employment:review", args=[declaration.pk])
    detail = office.get(review_url)
    assert detail.status_code == 200
    assert certificate.person.id_number_masked in detail.content.decode()
    assert certificate.person.id_number not in detail.content.decode()
    approved = office.post(review_url, {"action": "approve", "note": ""})
    assert approved.status_code == 302
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.APPROVED
    report = office.get(reverse("employment:levy_report"), {"year": LEVY_YEAR}).content.decode()
    assert "270000.00" in report


@ON_TODAY
def test_refusal_shown_next_to_the_row_and_nothing_written(firm_user, county_officer) -> None:
    certificate = make_certificate()
    other = employer_account(make_employer(county_officer))
    services.declaration_submit(
        actor=other,
        levy_year=LEVY_YEAR,
        staff_count="100",
        wage_bill="6000000",
        employees=[line(certificate)],
        today=TODAY,
    )
    client = _client(firm_user)
    # The row typed second on the page (after a blank one) is the one refused.
    response = client.post(
        reverse("employment:declaration"), form_data("submit", [{}, row(certificate)])
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "已由其他用人单位申报" in html
    assert 'id="id_employees-1-certificate_number_error"' in html
    assert QuotaDeclaration.objects.count() == 1


@ON_TODAY
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"staff_count": "-3"}, "不能为负数"),
        ({"wage_bill": "abc"}, "应为数字"),
        ({"staff_count": "2", "wage_bill": "99999999"}, "超过"),
    ],
)
def test_bad_figures_refused_on_the_page(firm_user, fields: dict[str, str], message: str) -> None:
    response = _client(firm_user).post(
        reverse("employment:declaration"), form_data("submit", [], **fields)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert QuotaDeclaration.objects.count() == 0


@time_machine.travel(dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_declaration_after_the_deadline_refused(firm_user) -> None:
    response = _client(firm_user).post(reverse("employment:declaration"), form_data("submit", []))
    assert response.status_code == 400
    assert "已于2026-06-30截止" in response.content.decode()
    assert QuotaDeclaration.objects.count() == 0


@ON_TODAY
def test_another_firms_declaration_and_another_countys_answer_404(
    firm_user, county_officer
) -> None:
    declaration = services.declaration_submit(
        actor=firm_user,
        levy_year=LEVY_YEAR,
        staff_count="10",
        wage_bill="600000",
        employees=[],
        today=TODAY,
    )
    url = reverse("employment:review", args=[declaration.pk])
    other_firm = employer_account(make_employer(county_officer))
    assert _client(other_firm).get(url).status_code == 404
    assert _client(firm_user).get(url).status_code == 404  # review pages are the office's
    stranger = make_user("county_officer", "150404")
    assert _client(stranger).get(url).status_code == 404
    response = _client(stranger).post(url, {"action": "approve", "note": ""})
    assert response.status_code == 404
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SUBMITTED
    # The other firm's own page does not list the first firm's declaration.
    page = _client(other_firm).get(reverse("employment:declaration")).content.decode()
    assert declaration.employer.name not in page


@ON_TODAY
def test_review_queue_and_employer_list_in_constant_queries(county_officer) -> None:
    office = _client(county_officer)

    def declare_one() -> None:
        employer = make_employer(county_officer)
        services.declaration_submit(
            actor=employer_account(employer),
            levy_year=LEVY_YEAR,
            staff_count="50",
            wage_bill="3000000",
            employees=[line(make_certificate())],
            today=TODAY,
        )

    declare_one()
    services.credit_flag_add(
        actor=county_officer,
        employer_id=QuotaDeclaration.objects.get().employer_id,
        reason="unpaid",
        detail="逾期未缴",
        flagged_on=TODAY,
    )
    pages = [reverse("employment:review_queue"), reverse("employment:employers")]
    pages += [reverse("employment:credit"), reverse("employment:levy_report")]
    few = {}
    for url in pages:
        office.get(url)
        with CaptureQueriesContext(connection) as counted:
            assert office.get(url).status_code == 200
        few[url] = len(counted)
    for _n in range(4):
        declare_one()
    for employer_id in QuotaDeclaration.objects.values_list("employer_id", flat=True)[1:]:
        services.credit_flag_add(
            actor=county_officer,
            employer_id=employer_id,
            reason="unpaid",
            detail="逾期未缴",
            flagged_on=TODAY,
        )
    for url in pages:
        with CaptureQueriesContext(connection) as counted:
            assert office.get(url).status_code == 200
        assert len(counted) == few[url], url


@ON_TODAY
def test_credit_export_neutralises_formulas(county_officer, city_admin) -> None:
    employer = make_employer(county_officer)
    services.credit_flag_add(
        actor=county_officer,
        employer_id=employer.pk,
        reason="refused",
        detail='=HYPERLINK("http://x")',
        flagged_on=TODAY,
    )
    response = _client(city_admin).get(reverse("employment:credit_export"))
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert employer.credit_code in text
    assert "'=HYPERLINK" in text
    # A county officer may flag but not export for the social credit system.
    assert _client(county_officer).get(reverse("employment:credit_export")).status_code == 404


@ON_TODAY
def test_officer_flags_an_employer_on_the_page(county_officer) -> None:
    employer = make_employer(county_officer)
    response = _client(county_officer).post(
        reverse("employment:credit_flag", args=[employer.pk]),
        {"reason": "refused", "detail": "拒不申报", "flagged_on": "2026-05-10"},
    )
    assert response.status_code == 302
    assert CreditFlag.objects.get().reason == "refused"


def test_employer_account_without_a_firm_sees_a_notice(regions) -> None:
    user = make_user("employer", None, institution_code="NOT-REGISTERED")
    response = _client(user).get(reverse("employment:declaration"))
    assert response.status_code == 200
    assert "尚未关联" in response.content.decode()


# --- lifting a credit flag (issue 19 part 4) ----------------------------------------------


def _flag(county_officer: Any, *, county: str = "150402") -> CreditFlag:
    officer = county_officer if county == "150402" else make_user("county_officer", county)
    return services.credit_flag_add(
        actor=officer,
        employer_id=make_employer(officer, county=county).pk,
        reason="under_declared",
        detail="少报残疾人职工人数",
        flagged_on=dt.date(2026, 3, 2),
    )


@ON_TODAY
def test_officer_lifts_a_flag_which_stays_in_the_history(county_officer, city_admin) -> None:
    flag = _flag(county_officer)
    office = _client(county_officer)
    listing = office.get(reverse("employment:credit")).content.decode()
    url = reverse("employment:credit_lift", args=[flag.pk])
    assert f'href="{url}"' in listing
    page = office.get(url)
    assert page.status_code == 200
    assert 'value="2026-05-10"' in page.content.decode()  # today offered as the date
    response = office.post(url, {"lifted_on": "2026-05-08", "reason": "误列，已核实按时申报"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.lifted_on, flag.lift_reason) == (dt.date(2026, 5, 8), "误列，已核实按时申报")
    assert flag.lifted_by == county_officer
    # The flag stays listed with both dates and the reason, and no longer offers the action.
    listing = office.get(reverse("employment:credit")).content.decode()
    assert "2026-03-02" in listing
    assert "2026-05-08" in listing
    assert "误列，已核实按时申报" in listing
    assert "已移出" in listing
    assert f'href="{url}"' not in listing
    # The export for the social credit system says which flags are in force.
    in_force = _flag(county_officer)
    rows = list(
        csv.reader(
            io.StringIO(
                _client(city_admin)
                .get(reverse("employment:credit_export"))
                .content.decode("utf-8-sig")
            )
        )
    )
    header, body = rows[0], {row[0]: row for row in rows[1:]}
    assert header[5:] == ["状态", "移出日期", "移出原因"]
    assert body[flag.employer.credit_code][5:] == ["已移出", "2026-05-08", "误列，已核实按时申报"]
    assert body[in_force.employer.credit_code][5:] == ["有效", "", ""]


@ON_TODAY
@pytest.mark.parametrize(
    ("data", "zh", "en"),
    [
        ({"lifted_on": "2026-05-10", "reason": "  "}, "请填写移出原因", "please give the reason"),
        (
            {"lifted_on": "2026-03-01", "reason": "已补缴"},
            "移出日期不能早于列入日期",
            "cannot be before the date flagged",
        ),
        ({"lifted_on": "2026-05-11", "reason": "已补缴"}, "移出日期不能晚于今天", "after today"),
    ],
)
def test_lift_refused_with_a_message_and_nothing_written(
    county_officer, data: dict[str, str], zh: str, en: str
) -> None:
    flag = _flag(county_officer)
    office = _client(county_officer)
    url = reverse("employment:credit_lift", args=[flag.pk])
    response = office.post(url, data)
    assert response.status_code == 400
    assert zh in response.content.decode()
    english = office.post(url, data, headers={"accept-language": "en"})
    assert english.status_code == 400
    assert en in english.content.decode()
    flag.refresh_from_db()
    assert (flag.lifted_on, flag.lift_reason, flag.lifted_by) == (None, "", None)
    assert not AuditEntry.objects.filter(action="credit_lift").exists()


@ON_TODAY
def test_lifting_an_already_lifted_flag_refused(county_officer) -> None:
    flag = _flag(county_officer)
    services.credit_flag_lift(
        actor=county_officer, flag_id=flag.pk, lifted_on=TODAY, reason="已补缴", today=TODAY
    )
    office = _client(county_officer)
    url = reverse("employment:credit_lift", args=[flag.pk])
    assert '<form method="post" novalidate>' not in office.get(url).content.decode()
    response = office.post(url, {"lifted_on": "2026-05-10", "reason": "再次移出"})
    assert response.status_code == 400
    assert "该信用记录已于2026-05-10移出" in response.content.decode()
    flag.refresh_from_db()
    assert flag.lift_reason == "已补缴"
    assert AuditEntry.objects.filter(action="credit_lift").count() == 1


@ON_TODAY
def test_another_countys_flag_answers_404_and_stays(county_officer) -> None:
    flag = _flag(county_officer, county="150404")
    office = _client(county_officer)
    url = reverse("employment:credit_lift", args=[flag.pk])
    assert office.get(url).status_code == 404
    response = office.post(url, {"lifted_on": "2026-05-10", "reason": "已补缴"})
    assert response.status_code == 404
    flag.refresh_from_db()
    assert flag.lifted_on is None
    assert flag.employer.name not in office.get(reverse("employment:credit")).content.decode()


@ON_TODAY
@pytest.mark.parametrize("role", ["township_officer", "viewer", "employer"])
def test_roles_without_change_employer_cannot_lift(county_officer, role: str) -> None:
    flag = _flag(county_officer)
    region = {"township_officer": "150402001", "viewer": "150400"}.get(role)
    user = make_user(role, region)
    response = _client(user).post(
        reverse("employment:credit_lift", args=[flag.pk]),
        {"lifted_on": "2026-05-10", "reason": "已补缴"},
    )
    assert response.status_code in (403, 404)
    flag.refresh_from_db()
    assert flag.lifted_on is None
