"""An item is not approved while required documents are missing, unless the approver
records a waiver with its reason (issue 17 part 5): the attack is approving without them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from dpf.benefits.models import Entitlement
from dpf.core.errors import DomainError
from dpf.core.models import AuditEntry
from dpf.workflow import services
from dpf.workflow.models import ApplicationItem, Transition
from dpf.workflow.procedures import procedures
from tests.workflow.conftest import at, submit_bundle, upload_required

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 10, 9)


def to_final_step(item: ApplicationItem, officers: dict[str, Any]) -> ApplicationItem:
    """Pass the item on until the step whose decision approves it."""
    procedure = procedures().for_benefit(item.benefit.code)
    while procedure.after(item.step_code) is not None:
        services.item_decide(
            actor=officers[item.step_role],
            item_id=item.pk,
            expected_step=item.step_code,
            decision="advance",
            today=DAY,
            now=at(DAY),
        )
        item.refresh_from_db()
    return item


def approve(item: ApplicationItem, officers: dict[str, Any], waiver: str = "") -> Any:
    return services.item_decide(
        actor=officers[item.step_role],
        item_id=item.pk,
        expected_step=item.step_code,
        decision="advance",
        waiver_reason=waiver,
        today=DAY,
        now=at(DAY, 15),
    )


def test_approval_without_the_documents_is_refused_unless_waived(officers, eligible_person):
    application = submit_bundle(officers["township_officer"], eligible_person, dt.date(2025, 9, 15))
    item = to_final_step(
        application.items.select_related("benefit").get(benefit__code="living_allowance"),
        officers,
    )
    step = item.step_code
    transitions = Transition.objects.count()
    audits = AuditEntry.objects.count()
    for waiver in ("", "   \n "):
        with pytest.raises(DomainError) as info:
            approve(item, officers, waiver)
        assert info.value.code == "materials_missing"
        assert info.value.field == "waiver_reason"
        assert "身份证" in info.value.message_zh
        assert "免交理由" in info.value.message_zh
        assert "waived" in info.value.message_en
    # nothing written: no entitlement, the item where it was, no transition, no audit
    item.refresh_from_db()
    assert (item.status, item.step_code, item.entitlement_id) == ("in_progress", step, None)
    assert not Entitlement.objects.exists()
    assert Transition.objects.count() == transitions
    assert AuditEntry.objects.count() == audits

    approve(item, officers, "原件已在窗口当面核验，复印件次日补交")
    item.refresh_from_db()
    assert item.status == "approved"
    assert item.entitlement_id is not None
    last = Transition.objects.filter(item=item).order_by("-at", "-pk").first()
    assert last is not None
    assert last.action == "approve"
    assert "免交材料" in last.reason
    assert "原件已在窗口当面核验" in last.reason
    entry = AuditEntry.objects.filter(object_type="application").order_by("-pk").first()
    assert entry is not None
    assert "id_card" in entry.changes["waived"]
    assert "原件已在窗口当面核验" in entry.reason


def test_with_every_document_no_waiver_is_needed(officers, eligible_person):
    worker = officers["township_officer"]
    application = submit_bundle(worker, eligible_person, dt.date(2025, 9, 15))
    upload_required(worker, application)
    item = to_final_step(
        application.items.select_related("benefit").get(benefit__code="living_allowance"),
        officers,
    )
    approve(item, officers)
    item.refresh_from_db()
    assert item.status == "approved"
    entry = AuditEntry.objects.filter(object_type="application").order_by("-pk").first()
    assert entry is not None
    assert "waived" not in entry.changes


def test_the_page_asks_for_the_waiver_in_words(client, officers, eligible_person):
    application = submit_bundle(officers["township_officer"], eligible_person, dt.date(2025, 9, 15))
    item = to_final_step(
        application.items.select_related("benefit").get(benefit__code="living_allowance"),
        officers,
    )
    client.force_login(officers[item.step_role])
    url = reverse("workflow:decide", args=[item.pk])
    form = {f"i{item.pk}-expected_step": item.step_code, f"i{item.pk}-decision": "advance"}
    page = client.get(reverse("workflow:application", args=[application.pk])).content.decode()
    assert "免交材料的理由" in page
    refused = client.post(url, form)
    assert refused.status_code == 400
    assert "缺少必需材料" in refused.content.decode()
    assert not Entitlement.objects.exists()
    done = client.post(url, {**form, f"i{item.pk}-waiver_reason": "原件已当面核验"})
    assert done.status_code == 302
    assert Entitlement.objects.filter(person=eligible_person).count() == 1


def test_an_entitlement_without_a_monthly_amount_says_so_in_words(
    client, officers, eligible_person
):
    """Never "None 元": a benefit paid otherwise than monthly says so on the staff pages."""
    application = submit_bundle(officers["township_officer"], eligible_person, dt.date(2025, 9, 15))
    item = to_final_step(
        application.items.select_related("benefit").get(benefit__code="living_allowance"),
        officers,
    )
    approve(item, officers, "原件已当面核验")
    item.refresh_from_db()
    assert item.entitlement_id is not None
    Entitlement.objects.filter(pk=item.entitlement_id).update(monthly_amount=None)
    client.force_login(officers["county_officer"])
    for url in (
        reverse("workflow:application", args=[application.pk]),
        reverse("workflow:entitlement", args=[item.entitlement_id]),
    ):
        html = client.get(url).content.decode()
        assert "None" not in html
        assert "该事项不按月发放金额" in html
