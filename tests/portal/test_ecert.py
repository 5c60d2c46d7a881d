"""Electronic certificate QR payloads: signing, verification, tampering, revocation, rotation."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from dpf.portal import ecert
from dpf.portal.models import SigningKey
from dpf.registry import services
from tests.factories import make_person

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 29)
# Codes are signed at a fixed time of TODAY, never at the wall clock's (they expire).
SIGNED = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def certificate(village_worker):
    person = make_person(actor=village_worker, name="王海明")
    return services.certificate_issue(
        actor=village_worker, person=person, category=4, level=2, issue_date=dt.date(2020, 3, 1)
    )


def test_valid_code_verifies_with_minimum_data(certificate) -> None:
    payload = ecert.sign(certificate, now=SIGNED)
    assert payload.startswith("DPF1.")
    assert certificate.person.id_number not in payload
    result = ecert.verify(payload, today=TODAY)
    assert result.status == "valid"
    assert result.masked_name == "王*明"
    assert (result.category, result.level) == (4, 2)
    assert result.valid_to == certificate.valid_to
    assert result.issuing_county == "红山区"


def test_payload_is_compact(certificate) -> None:
    assert len(ecert.sign(certificate, now=SIGNED)) < 130


def _flip(payload: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(payload[5:] + "=" * (-len(payload[5:]) % 4)))
    raw[index] ^= 0x01
    return "DPF1." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


@pytest.mark.parametrize("index", [3, 9, 10, 14, 20, 40])
def test_any_altered_byte_is_refused(certificate, index: int) -> None:
    result = ecert.verify(_flip(ecert.sign(certificate, now=SIGNED), index), today=TODAY)
    assert result.status == "invalid"
    assert result.reason in ("signature", "unknown_key", "version")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [("", "malformed"), ("hello", "malformed"), ("DPF1.!!!", "malformed")],
)
def test_garbage_is_refused(payload: str, reason: str) -> None:
    assert ecert.verify(payload, today=TODAY).reason == reason


def test_truncated_payload_is_refused(certificate) -> None:
    assert (
        ecert.verify(ecert.sign(certificate, now=SIGNED)[:-10], today=TODAY).reason == "truncated"
    )


def test_unknown_key_is_refused(certificate) -> None:
    payload = ecert.sign(certificate, now=SIGNED)
    SigningKey.objects.all().delete()
    ecert.create_key()
    result = ecert.verify(payload, today=TODAY)
    assert result.status == "invalid"
    assert result.reason in ("unknown_key", "signature")


def test_rotated_key_keeps_verifying_until_its_codes_expire(certificate) -> None:
    old = ecert.sign(certificate, now=SIGNED)
    ecert.create_key()
    assert ecert.verify(old, today=TODAY).status == "valid"
    new = ecert.sign(certificate, now=SIGNED)
    assert new != old
    assert ecert.verify(new, today=TODAY).status == "valid"
    SigningKey.objects.filter(current=False).update(
        verify_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert ecert.verify(old, today=TODAY).reason == "unknown_key"
    assert ecert.verify(new, today=TODAY).status == "valid"


def test_regraded_certificate_old_code_stops_verifying(certificate, village_worker) -> None:
    old = ecert.sign(certificate, now=SIGNED)
    new_cert = services.certificate_regrade(
        actor=village_worker, certificate=certificate, category=4, level=1, on=dt.date(2024, 5, 1)
    )
    assert ecert.verify(old, today=TODAY).status == "revoked"
    assert ecert.verify(ecert.sign(new_cert, now=SIGNED), today=TODAY).status == "valid"


def test_cancelled_certificate_is_revoked(certificate, village_worker) -> None:
    payload = ecert.sign(certificate, now=SIGNED)
    services.certificate_end(
        actor=village_worker, certificate=certificate, on=dt.date(2025, 1, 1), status="cancelled"
    )
    assert ecert.verify(payload, today=TODAY).status == "revoked"


def test_expired_certificate_and_expired_code(certificate) -> None:
    payload = ecert.sign(certificate, now=SIGNED)
    assert ecert.verify(payload, today=certificate.valid_to + dt.timedelta(days=1)).reason == (
        "certificate_expired"
    )
    later = TODAY + dt.timedelta(days=ecert.code_lifetime_days() + 1)
    assert ecert.verify(payload, today=later).reason == "code_expired"


def test_command_line_verify(certificate, capsys) -> None:
    payload = ecert.sign(certificate, now=SIGNED)
    on = TODAY.isoformat()
    call_command("certificate", "verify", payload, "--json", "--on", on)
    assert json.loads(capsys.readouterr().out)["status"] == "valid"
    with pytest.raises(SystemExit) as info:
        call_command("certificate", "verify", payload[:-3], "--json", "--on", on)
    assert info.value.code == 1
    assert json.loads(capsys.readouterr().out)["status"] == "invalid"
