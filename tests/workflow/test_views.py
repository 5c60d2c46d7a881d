"""Staff pages: queues with bounded queries, the application page and its forms, bulk
approval through a summary, payment list pages, scope (404 outside the region)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.benefits import services as benefit_services
from dpf.benefits.models import Entitlement
from dpf.jobs.models import Job
from dpf.workflow import services
from dpf.workflow.models import Application, ApplicationItem, PaymentList
from tests.benefits.conftest import person_with
from tests.workflow.conftest import ALLOWANCES, benefit, submit_bundle, upload_required

pytestmark = pytest.mark.django_db


def applications(actor, n: int) -> list[Application]:
    return [
        submit_bundle(actor, person_with(level=1, household="dibao"), dt.date(2025, 9, 15))
        for _ in range(n)
    ]


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["workflow:tasks", "workflow:overdue", "workflow:bulk"])
def test_queue_pages_use_a_constant_number_of_queries(
    client, township_officer, name, django_assert_max_num_queries
):
    client.force_login(township_officer)
    url = reverse(name)
    applications(township_officer, 1)
    client.get(url)  # warm the session and the calendar cache
    few = count_queries(client, url)
    applications(township_officer, 4)
    many = count_queries(client, url)
    assert many == few
    with django_assert_max_num_queries(12):
        response = client.get(url)
    if name != "workflow:overdue":
        assert response.content.decode().count("/workflow/applications/") >= 10


def test_proposals_page_evaluates_one_page_of_people(
    client, village_worker, django_assert_max_num_queries
):
    for _ in range(3):
        person_with(level=1, household="dibao", long_term_care=True)
    benefit_services.scan(as_of=dt.date(2025, 6, 30), benefit_codes=ALLOWANCES)
    client.force_login(village_worker)
    url = reverse("workflow:proposals")
    client.get(url)
    # The rules in force once for the page, each person's facts once (3 people, 6 items);
    # the filters' choices (benefits, townships) and the page of persons add three.
    with django_assert_max_num_queries(39):
        response = client.get(url)
    html = response.content.decode()
    assert html.count("核实并代为申请") == 3  # one row a person, the benefits listed
    assert html.count("<details>") == 6  # the explanation beside each proposal
    assert "测试街道一" in html  # the township's name on each row
    assert html.count("clause-pass") >= 6


def test_application_page_shows_documents_explanation_history_and_actions(
    client, township_officer, eligible_person
):
    application = submit_bundle(township_officer, eligible_person, dt.date(2025, 9, 15))
    client.force_login(township_officer)
    response = client.get(reverse("workflow:application", args=[application.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "一次性告知" in html
    assert "办理记录" in html
    assert "规则依据" in html
    assert html.count("提交办理意见") == 2
    assert eligible_person.id_number not in html


def test_rejection_without_reason_is_shown_next_to_the_field(
    client, township_officer, eligible_person
):
    application = submit_bundle(township_officer, eligible_person, dt.date(2025, 9, 15))
    item = application.items.order_by("pk")[0]
    client.force_login(township_officer)
    response = client.post(
        reverse("workflow:decide", args=[item.pk]),
        {f"i{item.pk}-expected_step": "window", f"i{item.pk}-decision": "reject"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "请填写理由" in html
    item.refresh_from_db()
    assert item.step_code == "window"


def test_application_form_submits_a_bundle(client, township_officer, eligible_person):
    client.force_login(township_officer)
    url = reverse("workflow:application_new")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "id_number": eligible_person.id_number,
            "benefits": ALLOWANCES,
            "applicant_kind": "self",
            "channel": "window",
        },
    )
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workflow:application", args=[application.pk])
    assert application.items.count() == 2
    bad = client.post(url, {"id_number": "123", "benefits": [], "applicant_kind": "self"})
    assert bad.status_code == 400
    assert 'role="alert"' in bad.content.decode()


def test_bulk_approval_goes_through_a_summary(client, county_officer, township_officer):
    apps = applications(township_officer, 2)
    items = ApplicationItem.objects.filter(application__in=apps)
    for item in items:
        for _ in range(2):
            item.refresh_from_db()
            services.item_decide(
                actor=township_officer,
                item_id=item.pk,
                expected_step=item.step_code,
                decision="advance",
            )
    client.force_login(county_officer)
    picks = [f"{i.pk}:county_review" for i in items]
    summary = client.post(reverse("workflow:bulk"), {"stage": "summary", "item": picks})
    assert summary.status_code == 200
    assert "确认办理" in summary.content.decode()
    assert set(ApplicationItem.objects.values_list("step_code", flat=True)) == {"county_review"}
    done = client.post(reverse("workflow:bulk"), {"stage": "confirm", "item": picks})
    assert done.status_code == 200
    assert set(ApplicationItem.objects.values_list("step_code", flat=True)) == {"civil_affairs"}
    # A second confirmation of the same (now stale) choices decides nothing.
    again = client.post(reverse("workflow:bulk"), {"stage": "confirm", "item": picks})
    assert "未办理" in again.content.decode()
    final = [f"{i.pk}:civil_affairs" for i in items]
    # documents are missing: a bulk approval records no waiver, so each item is refused
    refused = client.post(reverse("workflow:bulk"), {"stage": "confirm", "item": final})
    assert "缺少必需材料" in refused.content.decode()
    assert Entitlement.objects.count() == 0
    for application in apps:
        upload_required(township_officer, application)
    client.post(reverse("workflow:bulk"), {"stage": "confirm", "item": final})
    assert Entitlement.objects.count() == 4


def test_pages_outside_the_region_are_404(client, township_officer, eligible_person, regions):
    from tests.factories import make_user

    application = submit_bundle(township_officer, eligible_person, dt.date(2025, 9, 15))
    stranger = make_user("township_officer", "150404002")
    client.force_login(stranger)
    assert client.get(reverse("workflow:application", args=[application.pk])).status_code == 404
    assert client.get(reverse("workflow:notice", args=[application.pk])).status_code == 404
    viewer = make_user("viewer", None)
    client.force_login(viewer)
    assert client.get(reverse("workflow:tasks")).status_code == 404


def test_payment_pages(client, county_officer, approver, township_officer, regions):
    person = person_with(level=2, household="dibao")
    benefit_services.entitlement_create(
        actor=None,
        person=person,
        benefit=benefit("living_allowance"),
        valid_from=dt.date(2025, 1, 1),
    )
    client.force_login(county_officer)
    response = client.post(
        reverse("workflow:payment_lists"),
        {"county_code": "150402", "benefit": "living_allowance", "month": "2025-10"},
    )
    plist = PaymentList.objects.get()
    assert response.status_code == 302
    again = client.post(
        reverse("workflow:payment_lists"),
        {"county_code": "150402", "benefit": "living_allowance", "month": "2025-10"},
    )
    assert again.status_code == 400
    assert "已生成" in again.content.decode()
    page = client.get(reverse("workflow:payment_list", args=[plist.pk]))
    assert page.status_code == 200
    assert "按苏木乡镇" in page.content.decode()
    # The signing PDF is made by a job (run at once in tests); the page offers the file.
    url = reverse("workflow:payment_pdf", args=[plist.pk])
    started = client.post(url)
    assert started.status_code == 302
    assert started["Location"].endswith(f"/{plist.pk}/#files")
    job = Job.objects.get(kind="workflow.signing_pdf")
    file_url = reverse("workflow:payment_file", args=[plist.pk, job.pk])
    assert (
        file_url in client.get(reverse("workflow:payment_list", args=[plist.pk])).content.decode()
    )
    assert client.get(file_url).content.startswith(b"%PDF-")
    assert client.get(url).status_code == 405  # starting a job is never a GET
    for volume in ("2", "x", "99999999"):
        refused = client.post(url, {"township": "150402001", "volume": volume})
        assert refused.status_code == 302
        assert refused["Location"].endswith(f"/{plist.pk}/")
    assert Job.objects.filter(kind="workflow.signing_pdf").count() == 1
    approve = reverse("workflow:payment_approve", args=[plist.pk])
    # four eyes: the officer who generated the list is refused, on the page, in words
    own = client.post(approve, {"confirm": "on"})
    assert own.status_code == 400
    assert "另一名工作人员" in own.content.decode()
    client.force_login(approver)
    # locking asks for confirmation: without the tick nothing is approved
    unconfirmed = client.post(approve)
    assert unconfirmed.status_code == 400
    assert "请勾选确认" in unconfirmed.content.decode()
    assert PaymentList.objects.get().status == "draft"
    assert client.post(approve, {"confirm": "on"}).status_code == 302
    assert PaymentList.objects.get().status == "approved"
    xlsx = client.post(reverse("workflow:payment_xlsx", args=[plist.pk]), {"purpose": "银行代发"})
    assert xlsx.status_code == 302
    job = Job.objects.get(kind="workflow.bank_workbook")
    assert (
        client.get(reverse("workflow:payment_file", args=[plist.pk, job.pk])).content[:2] == b"PK"
    )
    upload = io.BytesIO(b"line_id,amount,status\n999999,1,paid\n")
    upload.name = "r.csv"
    bad = client.post(reverse("workflow:payment_results", args=[plist.pk]), {"file": upload})
    assert bad.status_code == 400
    assert "第2行" in bad.content.decode()
    client.force_login(township_officer)
    assert client.get(reverse("workflow:payment_list", args=[plist.pk])).status_code == 404


def test_the_notice_tells_the_applicant_why_an_item_was_rejected(
    client, township_officer, eligible_person
):
    application = submit_bundle(township_officer, eligible_person, dt.date(2025, 9, 15))
    item = application.items.order_by("pk")[0]
    services.item_decide(
        actor=township_officer,
        item_id=item.pk,
        expected_step="window",
        decision="reject",
        reason="缺少低保证明材料",
    )
    client.force_login(township_officer)
    html = client.get(reverse("workflow:notice", args=[application.pk])).content.decode()
    assert "缺少低保证明材料" in html
    assert "申诉" in html


def test_a_deadline_in_a_year_without_the_holiday_calendar_says_so(
    client, township_officer, regions
):
    """The calendar ships to 2026: a deadline counted into 2027 is Monday to Friday only, and
    the application page and the task list say so instead of showing it as exact (the clock
    of the machine never decides: the submission day is passed in)."""
    known = submit_bundle(
        township_officer, person_with(level=1, household="dibao"), dt.date(2025, 9, 15)
    )
    beyond = submit_bundle(
        township_officer, person_with(level=1, household="dibao"), dt.date(2026, 12, 29)
    )
    note = "该年节假日安排未载入，按周一至周五计算"
    client.force_login(township_officer)
    page = client.get(reverse("workflow:application", args=[known.pk])).content.decode()
    assert note not in page
    item = ApplicationItem.objects.filter(application=beyond).first()
    assert item is not None
    assert item.step_due_on is not None
    assert item.step_due_on.year == 2027
    page = client.get(reverse("workflow:application", args=[beyond.pk])).content.decode()
    assert note in page
    assert note in client.get(reverse("workflow:tasks")).content.decode()
    english = client.get(
        reverse("workflow:application", args=[beyond.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "public holidays are not loaded" in english
