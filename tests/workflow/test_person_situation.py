"""The person page shows the person's whole situation (issue 17 part 2): what they receive
(amount, since when; never "None 元"), applications in progress, recent payments, what the
rules say they may be eligible for and do not receive (with the explanation), and a
受理申请 that starts an application for this person without retyping the ID number.
Its queries do not grow with the number of entitlements and payments."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.benefits import services as benefit_services
from dpf.benefits.models import Entitlement
from dpf.workflow import services
from dpf.workflow.models import Application, PaymentLine
from tests.benefits.conftest import person_with
from tests.factories import make_user
from tests.workflow.conftest import TZ, benefit, submit_bundle, verified_account

pytestmark = pytest.mark.django_db

# The page reads today's date: frozen inside the certificates' validity.
TODAY = dt.datetime(2025, 11, 5, 10, tzinfo=TZ)
NOT_MONTHLY = ("free_transport", "utility_discount")


def _enrol(person, codes, start: dt.date) -> list[Entitlement]:
    return [
        benefit_services.entitlement_create(
            actor=None, person=person, benefit=benefit(code), valid_from=start
        )
        for code in codes
    ]


def _lists(officer, months, codes) -> None:
    for month in months:
        for code in codes:
            services.payment_list_generate(
                actor=officer, county_code="150402", benefit=benefit(code), month=month
            )


def _page(client, person) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("registry:person", args=[person.pk]))
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


@time_machine.travel(TODAY, tick=False)
def test_the_page_shows_receiving_payments_and_what_is_unclaimed(client, county_officer):
    person = person_with(level=1, household="dibao", long_term_care=True)
    living, *_ = _enrol(person, ("living_allowance", *NOT_MONTHLY), dt.date(2025, 3, 1))
    verified_account(person, day=dt.date(2025, 9, 1))
    _lists(county_officer, [dt.date(2025, 10, 1)], ["living_allowance"])
    client.force_login(county_officer)
    html, _n = _page(client, person)

    assert living.monthly_amount is not None
    assert f"{living.monthly_amount}" in html
    assert "2025-03-01" in html
    assert "不按月发放" in html
    assert "None" not in html
    line = PaymentLine.objects.get(person=person)
    assert "2025-10" in html
    assert str(line.net_amount) in html
    # eligible for the nursing allowance, not receiving it: listed with its explanation
    section = html.split("按规则可能符合但未享受", 1)[1]
    assert benefit("nursing_allowance").name_zh in section
    assert benefit("living_allowance").name_zh not in section
    assert "clause-pass" in section
    start = reverse("workflow:application_new") + f"?person={person.pk}"
    assert f'href="{start}"' in html
    assert f"{start}&amp;benefit=nursing_allowance" in html


@time_machine.travel(TODAY, tick=False)
def test_an_application_in_progress_is_listed_not_proposed(client, township_officer):
    person = person_with(level=1, household="dibao", long_term_care=True)
    application = submit_bundle(township_officer, person, dt.date(2025, 11, 3))
    client.force_login(township_officer)
    html, _n = _page(client, person)
    section = html.split("办理中的申请", 1)[1].split("近期发放", 1)[0]
    assert reverse("workflow:application", args=[application.pk]) in section
    assert benefit("nursing_allowance").name_zh in section
    unclaimed = html.split("按规则可能符合但未享受", 1)[1]
    assert benefit("nursing_allowance").name_zh not in unclaimed
    # a township officer may not read payment lists: the page says so, no table
    assert "发放记录由旗县区残联在发放名册中查看" in html


@time_machine.travel(TODAY, tick=False)
def test_queries_do_not_grow_with_entitlements_and_payments(client, county_officer, approver):
    few = person_with(level=1, household="dibao", long_term_care=True)
    many = person_with(level=1, household="dibao", long_term_care=True)
    _enrol(few, ["living_allowance"], dt.date(2025, 10, 1))
    _enrol(many, ["living_allowance", "nursing_allowance", *NOT_MONTHLY], dt.date(2025, 6, 1))
    for person in (few, many):
        verified_account(person, day=dt.date(2025, 6, 1))
    months = [dt.date(2025, m, 1) for m in (7, 8, 9, 10)]
    _lists(county_officer, months, ["living_allowance", "nursing_allowance"])
    assert PaymentLine.objects.filter(person=few).count() == 1
    assert PaymentLine.objects.filter(person=many).count() == 8
    services.application_submit(
        actor=county_officer,
        person=many,
        benefit_codes=["device_subsidy", "home_renovation"],
        applicant_kind="worker",
        channel="window",
        now=dt.datetime(2025, 11, 3, 10, tzinfo=TZ),
        today=dt.date(2025, 11, 3),
    )
    client.force_login(county_officer)
    _page(client, few)  # warm the caches (procedures, rule compilation)
    _html, n_few = _page(client, few)
    html, n_many = _page(client, many)
    assert html.count("workflow/payments/") >= 8
    assert n_many <= n_few + 1, (n_few, n_many)  # + the procedures, read once when any


@time_machine.travel(TODAY, tick=False)
def test_the_application_form_opened_from_the_page_needs_no_id_number(client, township_officer):
    person = person_with(level=1, household="dibao", long_term_care=True)
    client.force_login(township_officer)
    url = reverse("workflow:application_new")
    page = client.get(url, {"person": person.pk, "benefit": "nursing_allowance"})
    html = page.content.decode()
    assert page.status_code == 200
    assert person.id_number_masked in html
    assert person.name in html
    assert 'name="id_number"' not in html
    assert 'value="nursing_allowance" checked' in html or (
        'value="nursing_allowance"' in html and "checked" in html
    )
    response = client.post(
        url,
        {
            "person": person.pk,
            "benefits": ["nursing_allowance"],
            "applicant_kind": "worker",
            "channel": "window",
        },
    )
    application = Application.objects.get(person=person)
    assert response["Location"] == reverse("workflow:application", args=[application.pk])


def test_a_person_outside_the_scope_is_not_found_on_the_form(client, regions):
    person = person_with(village="150404002001")
    worker = make_user("village_worker", "150402001001")
    client.force_login(worker)
    url = reverse("workflow:application_new")
    assert client.get(url, {"person": person.pk}).status_code == 404
    refused = client.post(
        url,
        {
            "person": person.pk,
            "benefits": ["living_allowance"],
            "applicant_kind": "worker",
            "channel": "window",
        },
    )
    assert refused.status_code == 404
    assert not Application.objects.exists()
