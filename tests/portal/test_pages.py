"""The citizen's pages: certificate with a QR code that verifies, entitlements and other
help, applying online into the township queue, uploads, withdraw and appeal, guardians
acting for dependants, and 404 for every id outside the citizen's own persons."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dpf.benefits import services as benefit_services
from dpf.benefits.models import BenefitItem
from dpf.portal import ecert
from dpf.portal.models import CitizenRequest
from dpf.workflow import selectors as workflow_selectors
from dpf.workflow import services as workflow
from dpf.workflow.documents import MAX_BYTES
from dpf.workflow.models import Application, Document
from tests.factories import make_user
from tests.portal.conftest import certified, citizen_for, client_for, link_guardian
from tests.portal.qrmatrix import encodes

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PAYLOAD_RE = re.compile(r"DPF1\.[A-Za-z0-9_-]+")


def _apply(client: Client, *codes: str):
    return client.post(reverse("portal:apply"), {"benefits": list(codes)})


def test_unlinked_citizen_sees_how_to_get_an_account(regions) -> None:
    client = client_for(make_user("citizen", None))
    response = client.get(reverse("portal:certificate"))
    assert response.status_code == 200
    assert reverse("portal:register") in response.content.decode()


def test_staff_do_not_reach_citizen_pages(regions, village_worker) -> None:
    assert client_for(village_worker).get(reverse("portal:home")).status_code == 404


def test_certificate_page_shows_a_qr_code_that_verifies(person, citizen) -> None:
    response = client_for(citizen).get(reverse("portal:certificate"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html
    assert person.name in html
    payload = PAYLOAD_RE.search(html)
    assert payload is not None
    assert person.id_number not in html
    assert ecert.verify(payload.group(0)).status == "valid"
    verified = Client().post(reverse("portal:verify"), {"payload": payload.group(0)})
    assert "王*明" in verified.content.decode()
    out = io.StringIO()
    call_command("certificate", "verify", payload.group(0), "--json", stdout=out)
    assert json.loads(out.getvalue())["status"] == "valid"


def test_certificate_qr_holds_the_verify_url_that_verifies_online_and_offline(
    person, citizen
) -> None:
    html = client_for(citizen).get(reverse("portal:certificate")).content.decode()
    payload = PAYLOAD_RE.search(html)
    assert payload is not None
    svg = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    url = "http://testserver" + reverse("portal:verify") + "?p=" + payload.group(0)
    assert encodes(svg, url)  # a phone camera opens this address
    assert not encodes(svg, payload.group(0))  # not the bare payload any more
    # The address opens the verification ...
    page = Client().get(url.removeprefix("http://testserver")).content.decode()
    assert "王*明" in page
    assert "有效的残疾人证" in page
    # ... and the same address (or the payload in it) verifies offline.
    out = io.StringIO()
    call_command("certificate", "verify", url, "--json", stdout=out)
    assert json.loads(out.getvalue())["status"] == "valid"
    assert ecert.verify(url).status == "valid"
    # The QR code comes before the certificate's details on the page.
    assert html.index("<svg") < html.index('<dl class="facts">')


def test_home_offers_other_help_not_yet_received_or_applied_for(person, citizen) -> None:
    client = client_for(citizen)
    link = reverse("portal:apply") + "?benefit=free_transport"
    # Free public transport: every holder of a valid certificate (the catalogue's rule).
    assert link in client.get(reverse("portal:home")).content.decode()
    assert _apply(client, "free_transport").status_code == 302
    assert link not in client.get(reverse("portal:home")).content.decode()


def test_entitlements_page_lists_what_i_receive(person, citizen) -> None:
    benefit = BenefitItem.objects.get(code="free_transport")
    benefit_services.entitlement_create(
        actor=None,
        person=person,
        benefit=benefit,
        valid_from=dt.date(2025, 1, 1),
        monthly_amount="0.00",
    )
    html = client_for(citizen).get(reverse("portal:entitlements")).content.decode()
    assert benefit.name_zh in html
    assert reverse("portal:apply") + "?benefit=free_transport" not in html


def test_online_bundle_reaches_the_township_queue(person, citizen) -> None:
    client = client_for(citizen)
    response = _apply(client, "living_allowance", "nursing_allowance")
    assert response.status_code == 302
    application = Application.objects.get(person=person)
    assert response["Location"] == reverse("portal:application", args=[application.pk])
    assert application.channel == "online"
    assert application.applicant_kind == "self"
    assert application.created_by == citizen
    township = make_user("township_officer", "150402001")
    queued = {i.application_id for i in workflow_selectors.my_tasks(township)}
    assert queued == {application.pk}
    page = client_for(township).get(reverse("workflow:tasks")).content.decode()
    assert person.name in page
    other_township = make_user("township_officer", "150404002")
    assert not workflow_selectors.my_tasks(other_township).exists()
    html = client.get(reverse("portal:application", args=[application.pk])).content.decode()
    step = workflow_selectors.task_rows(list(workflow_selectors.my_tasks(township)))[0]
    assert step.step_name in html  # the step's name, not its code


def test_upload_from_the_phone_and_refusals(person, citizen) -> None:
    client = client_for(citizen)
    _apply(client, "living_allowance")
    application = Application.objects.get(person=person)
    url = reverse("portal:upload", args=[application.pk])
    page = client.get(reverse("portal:application", args=[application.pk])).content.decode()
    assert 'accept="image/*,application/pdf"' in page
    assert "capture" in page
    good = client.post(
        url, {"doc_type": "id_card", "file": SimpleUploadedFile("id.pdf", PDF, "application/pdf")}
    )
    assert good.status_code == 302
    not_a_pdf = client.post(
        url,
        {"doc_type": "id_card", "file": SimpleUploadedFile("x.pdf", b"hello", "application/pdf")},
    )
    assert not_a_pdf.status_code == 400
    assert 'class="field-error"' in not_a_pdf.content.decode()
    too_large = client.post(
        url,
        {
            "doc_type": "id_card",
            "file": SimpleUploadedFile("big.pdf", PDF + b"0" * MAX_BYTES, "application/pdf"),
        },
    )
    assert too_large.status_code == 400
    assert Document.objects.filter(application=application).count() == 1


def test_withdraw_within_ten_minutes(person, citizen) -> None:
    client = client_for(citizen)
    _apply(client, "living_allowance")
    application = Application.objects.get(person=person)
    page = client.get(reverse("portal:application", args=[application.pk])).content.decode()
    assert reverse("portal:withdraw", args=[application.pk]) in page
    Application.objects.filter(pk=application.pk).update(
        submitted_at=timezone.now() - dt.timedelta(minutes=11)
    )
    client.post(reverse("portal:withdraw", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == "submitted"
    Application.objects.filter(pk=application.pk).update(submitted_at=timezone.now())
    client.post(reverse("portal:withdraw", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == "withdrawn"


def test_rejection_reason_shown_and_appeal(person, citizen) -> None:
    client = client_for(citizen)
    _apply(client, "living_allowance")
    application = Application.objects.get(person=person)
    item = application.items.get()
    township = make_user("township_officer", "150402001")
    workflow.item_decide(
        actor=township,
        item_id=item.pk,
        expected_step=item.step_code,
        decision="reject",
        reason="家庭收入超过低保标准",
    )
    url = reverse("portal:application", args=[application.pk])
    html = client.get(url).content.decode()
    assert "家庭收入超过低保标准" in html
    appeal = reverse("portal:appeal", args=[application.pk, item.pk])
    assert appeal in html
    assert client.post(appeal, {"reason": ""}).status_code == 400
    assert client.post(appeal, {"reason": "收入已经减少"}).status_code == 302
    item.refresh_from_db()
    assert item.status == "in_progress"
    assert item.round == 2


def test_guardian_acts_for_a_current_dependant_only(regions) -> None:
    guardian = certified(name="王建国")
    child = certified(name="王小宝")
    stranger = certified(name="陈某人")
    ended = certified(name="王旧亲")
    link_guardian(guardian, child)
    link_guardian(ended, guardian, valid_to=dt.date(2021, 1, 1))  # irrelevant direction
    link_guardian(guardian, ended, valid_from=dt.date(2019, 1, 1), valid_to=dt.date(2020, 6, 1))
    client = client_for(citizen_for(guardian))
    home = client.get(reverse("portal:home")).content.decode()
    assert "王小宝" in home
    assert "王旧亲" not in home
    switch = reverse("portal:acting_for")
    client.post(switch, {"person": child.pk})
    cert_page = client.get(reverse("portal:certificate")).content.decode()
    assert "王小宝" in cert_page
    _apply(client, "living_allowance")
    application = Application.objects.get(person=child)
    assert application.applicant_kind == "guardian"
    assert application.applicant_name == "王建国"
    for outsider in (stranger, ended):
        client.post(switch, {"person": outsider.pk})
        page = client.get(reverse("portal:certificate")).content.decode()
        assert outsider.name not in page


def test_ids_of_other_persons_answer_404(person, citizen) -> None:
    other = certified(name="陈某人")
    other_client = client_for(citizen_for(other))
    _apply(other_client, "living_allowance")
    theirs = Application.objects.get(person=other)
    item = theirs.items.get()
    other_client.post(
        reverse("portal:requests"),
        {"kind": "complaint", "text": "路不平", "contact_preference": "phone"},
    )
    their_request = CitizenRequest.objects.get(person=other)
    client = client_for(citizen)
    for url in (
        reverse("portal:application", args=[theirs.pk]),
        reverse("portal:request", args=[their_request.pk]),
    ):
        assert client.get(url).status_code == 404
    pdf = SimpleUploadedFile("id.pdf", PDF, "application/pdf")
    for url, data in (
        (reverse("portal:upload", args=[theirs.pk]), {"doc_type": "id_card", "file": pdf}),
        (reverse("portal:withdraw", args=[theirs.pk]), {}),
        (reverse("portal:appeal", args=[theirs.pk, item.pk]), {"reason": "x"}),
    ):
        assert client.post(url, data).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "submitted"
    assert not Document.objects.exists()


def test_list_pages_query_counts(person, citizen, django_assert_max_num_queries) -> None:
    client = client_for(citizen)
    codes = list(BenefitItem.objects.filter(active=True).values_list("code", flat=True)[:6])
    for code in codes:
        _apply(client, code)
    for i in range(5):
        client.post(
            reverse("portal:requests"),
            {"kind": "home_visit", "text": f"请上门{i}", "contact_preference": "phone"},
        )
    for name in ("portal:applications", "portal:requests", "portal:entitlements", "portal:home"):
        with django_assert_max_num_queries(30):
            assert client.get(reverse(name)).status_code == 200
