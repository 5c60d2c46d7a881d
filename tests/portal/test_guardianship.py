"""A guardian registers a dependant with a proof, reviewed by staff (issue 17 part 3)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused
from dpf.accounts.scoping import self_person_ids
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import AuditEntry
from dpf.portal import guardianship
from dpf.portal.models import ClaimStatus, GuardianClaim
from dpf.registry.models import GuardianLink
from tests.factories import make_user
from tests.portal.conftest import certificate_number, certified

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def dependant(regions):
    return certified(name="王小明", birth=dt.date(2012, 3, 4))


def _submit(citizen, dependant, **extra):
    values = {
        "dependant_id_number": dependant.id_number,
        "dependant_certificate_number": certificate_number(dependant),
        "relation": "parent",
        "proof_name": "户口簿.png",
        "proof_data": PNG,
        "now": NOW,
    }
    values.update(extra)
    return guardianship.claim_submit(actor=citizen, **values)


def test_claim_then_approval_lets_the_guardian_act_for_the_dependant(
    citizen, dependant, person
) -> None:
    claim = _submit(citizen, dependant)
    assert claim.status == ClaimStatus.PENDING
    assert claim.village_code == dependant.village_code
    # Nothing is linked before the review (a fresh user object: the scope is cached on it
    # for a request).
    with time_machine.travel(NOW, tick=False):
        assert dependant.pk not in self_person_ids(User.objects.get(pk=citizen.pk))
    officer = make_user("township_officer", dependant.township_code)
    assert list(guardianship.claims_to_review(officer)) == [claim]
    guardianship.claim_decide(actor=officer, claim_id=claim.pk, approve=True, now=NOW)
    link = GuardianLink.objects.get(guardian=person, dependant=dependant)
    assert link.valid_from == dt.date(2026, 11, 30)
    with time_machine.travel(NOW, tick=False):
        assert dependant.pk in self_person_ids(User.objects.get(pk=citizen.pk))
    assert AuditEntry.objects.filter(object_type="guardian_claim", action="approve").exists()


def test_a_wrong_certificate_number_is_the_generic_refusal(citizen, dependant) -> None:
    number = certificate_number(dependant)
    wrong = number[:19] + ("1" if number[19] != "1" else "2")
    with pytest.raises(ValidationFailed) as caught:
        _submit(citizen, dependant, dependant_certificate_number=wrong)
    assert caught.value.code == "dependant_no_match"
    assert caught.value.message_zh
    assert caught.value.message_en
    assert not GuardianClaim.objects.exists()


def test_a_proof_that_is_no_document_is_refused(citizen, dependant) -> None:
    with pytest.raises(ValidationFailed):
        _submit(citizen, dependant, proof_name="proof.png", proof_data=b"MZ\x90\x00 not an image")
    assert not GuardianClaim.objects.exists()


def test_one_pending_claim_per_dependant(citizen, dependant) -> None:
    _submit(citizen, dependant)
    with pytest.raises(ValidationFailed) as caught:
        _submit(citizen, dependant)
    assert caught.value.code == "claim_pending"
    assert GuardianClaim.objects.count() == 1


def test_an_officer_of_another_county_cannot_see_or_decide(citizen, dependant) -> None:
    claim = _submit(citizen, dependant)
    other = make_user("county_officer", "150404")
    assert not guardianship.claims_to_review(other).exists()
    with pytest.raises(NotFound):
        guardianship.claim_get(other, claim.pk)
    with pytest.raises(NotFound):
        guardianship.claim_decide(actor=other, claim_id=claim.pk, approve=True, now=NOW)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING
    assert not GuardianLink.objects.filter(dependant=dependant).exists()


def test_a_village_worker_or_citizen_cannot_decide(citizen, dependant) -> None:
    claim = _submit(citizen, dependant)
    for actor in (make_user("village_worker", dependant.village_code), citizen):
        with pytest.raises(PermissionRefused):
            guardianship.claim_decide(actor=actor, claim_id=claim.pk, approve=True, now=NOW)
    assert not GuardianLink.objects.filter(dependant=dependant).exists()


def test_a_rejection_needs_a_reason_and_links_nothing(citizen, dependant) -> None:
    claim = _submit(citizen, dependant)
    county = make_user("county_officer", dependant.county_code)
    with pytest.raises(ValidationFailed) as caught:
        guardianship.claim_decide(actor=county, claim_id=claim.pk, approve=False, now=NOW)
    assert caught.value.code == "reason_required"
    guardianship.claim_decide(
        actor=county, claim_id=claim.pk, approve=False, note="户口簿页面不清晰", now=NOW
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED
    assert claim.decision_note == "户口簿页面不清晰"
    assert not GuardianLink.objects.filter(dependant=dependant).exists()
    with pytest.raises(ValidationFailed):
        guardianship.claim_decide(actor=county, claim_id=claim.pk, approve=True, now=NOW)


def test_the_proof_is_read_by_the_reviewer_and_audited(citizen, dependant) -> None:
    claim = _submit(citizen, dependant)
    officer = make_user("township_officer", dependant.township_code)
    _claim, data = guardianship.proof_read(officer, claim.pk)
    assert data == PNG
    assert AuditEntry.objects.filter(object_type="guardian_claim_proof").exists()


# --- the pages ------------------------------------------------------------------------------


def test_the_citizen_submits_on_the_page_and_the_officer_approves(
    client, citizen, dependant, person
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(citizen)
    assert client.get(reverse("portal:dependants")).status_code == 200
    response = client.post(
        reverse("portal:dependants"),
        {
            "dependant_id_number": dependant.id_number,
            "dependant_certificate_number": certificate_number(dependant),
            "relation": "parent",
            "proof": SimpleUploadedFile("户口簿.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    claim = GuardianClaim.objects.get()
    # Pending: the page names nobody (only the tail of the number the citizen typed).
    mine = client.get(reverse("portal:dependants")).content.decode()
    assert dependant.name not in mine
    assert dependant.id_number[-4:] in mine
    officer = make_user("township_officer", dependant.township_code)
    client.force_login(officer)
    queue = client.get(reverse("portal:staff_guardians")).content.decode()
    assert dependant.name in queue
    proof = client.get(reverse("portal:staff_guardian_proof", args=[claim.pk]))
    assert proof.status_code == 200
    assert b"".join(proof.streaming_content) == PNG
    decided = client.post(
        reverse("portal:staff_guardian", args=[claim.pk]), {"decision": "approve", "note": ""}
    )
    assert decided.status_code == 302
    assert GuardianLink.objects.filter(guardian=person, dependant=dependant).exists()


def test_another_county_s_officer_gets_404_on_the_pages(client, citizen, dependant) -> None:
    from django.urls import reverse

    claim = _submit(citizen, dependant)
    client.force_login(make_user("county_officer", "150404"))
    for name in ("portal:staff_guardian", "portal:staff_guardian_proof"):
        assert client.get(reverse(name, args=[claim.pk])).status_code == 404
    response = client.post(
        reverse("portal:staff_guardian", args=[claim.pk]), {"decision": "approve"}
    )
    assert response.status_code == 404
    assert not GuardianLink.objects.filter(dependant=dependant).exists()
