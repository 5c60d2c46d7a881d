"""Field encryption and key rotation: readable before, during and after; old keys retired."""

from __future__ import annotations

import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from dpf.core import crypto, keyring
from dpf.core.models import AuditEntry
from dpf.registry import services
from dpf.registry.models import Person
from tests.factories import ensure_test_regions, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_file(settings, tmp_path, monkeypatch):
    """A secrets file holding the keys the test database was written with."""
    monkeypatch.delenv("DPF_FIELD_KEYS", raising=False)
    monkeypatch.delenv("DPF_SECRET_KEY", raising=False)
    (tmp_path / "secrets.json").write_text(
        json.dumps(
            {
                "secret_key": settings.SECRET_KEY,
                "field_keys": dict(settings.DPF_FIELD_KEYS),
                "field_key_current": settings.DPF_FIELD_KEY_CURRENT,
                "hash_key": settings.DPF_HASH_KEY,
            }
        )
    )
    settings.DATA_DIR = tmp_path
    return tmp_path / "secrets.json"


def _raw(table: str, column: str) -> dict[int, str]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, {column} FROM {table}")  # noqa: S608  (test-owned names)
        return {pk: value for pk, value in cur.fetchall() if value}


def _people(n: int) -> list[Person]:
    ensure_test_regions()
    people = []
    for i in range(n):
        household = services.household_create(
            actor=None, village_code="150402001001", address=f"红山区测试路{i + 1}号"
        )
        people.append(make_person(name=f"测试{i}", phone=f"1380000{i:04d}", household=household))
    return people


def _plain() -> dict[int, tuple[str, str, str]]:
    return {
        p.pk: (p.id_number, p.phone, p.household.address if p.household else "")
        for p in Person.objects.select_related("household")
    }


def test_encrypt_round_trip_and_key_id_prefix():
    token = crypto.encrypt("150402198005170011")
    assert token.startswith(settings.DPF_FIELD_KEY_CURRENT + ":")
    assert "150402198005170011" not in token
    assert crypto.decrypt(token) == "150402198005170011"
    assert crypto.encrypt("same") != crypto.encrypt("same")  # random nonce


def test_tampered_or_unknown_ciphertext_refused_without_echoing_it(key_file):
    token = crypto.encrypt("13800001234")
    kid, body = token.split(":", 1)
    flipped = kid + ":" + ("A" if body[0] != "A" else "B") + body[1:]
    for bad in (flipped, "k999:" + body, "garbage"):
        with pytest.raises(crypto.DecryptionError) as info:
            crypto.decrypt(bad)
        assert "13800001234" not in str(info.value)
        assert body not in str(info.value)


def test_rotation_keeps_every_value_readable_before_during_and_after(key_file):
    people = _people(5)
    before_plain = _plain()
    old_kid = settings.DPF_FIELD_KEY_CURRENT
    before_ids = _raw("registry_person", "id_number")
    before_addr = _raw("registry_household", "address")
    assert {crypto.key_id_of(t) for t in before_ids.values()} == {old_kid}

    seen_during: list[set[str]] = []

    def during(label: str, rows: int) -> None:
        if label == "registry.Person" and not seen_during:
            # Mid-rotation: old and new key ids mixed, every value still readable.
            seen_during.append(
                {crypto.key_id_of(t) for t in _raw("registry_person", "id_number").values()}
            )
            assert _plain() == before_plain

    ring, count = keyring.rotate(actor="test", batch_size=2, on_batch=during)
    new_kid = ring.current
    assert new_kid != old_kid
    assert set(ring.keys) == {old_kid, new_kid}
    assert seen_during == [{old_kid, new_kid}]
    assert count >= 5 + 5  # persons and households (plus certificates, signing keys …)

    after_ids = _raw("registry_person", "id_number")
    after_addr = _raw("registry_household", "address")
    assert {crypto.key_id_of(t) for t in after_ids.values()} == {new_kid}
    assert {crypto.key_id_of(t) for t in after_addr.values()} == {new_kid}
    assert all(after_ids[pk] != before_ids[pk] for pk in before_ids)
    assert all(after_addr[pk] != before_addr[pk] for pk in before_addr)
    assert _plain() == before_plain
    assert Person.objects.get(pk=people[0].pk).phone == "13800000000"

    stored = json.loads(key_file.read_text())
    assert stored["field_key_current"] == new_kid
    assert set(stored["field_keys"]) == {
        old_kid,
        new_kid,
    }
    assert AuditEntry.objects.filter(action="key_rotation", object_id=new_kid).exists()


def test_old_key_retired_only_when_no_value_uses_it(key_file):
    people = _people(3)
    old_kid = settings.DPF_FIELD_KEY_CURRENT
    keyring.rotate(actor="test", batch_size=10)
    # Another process that had not yet re-read the ring wrote one value under the old key.
    straggler = crypto.encrypt("13911112222", key_id=old_kid)
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE registry_person SET phone = %s WHERE id = %s", [straggler, people[1].pk]
        )

    ring, retired, kept = keyring.retire_unused()
    assert retired == []
    assert kept == {old_kid: 1}
    assert old_kid in ring.keys
    assert old_kid in json.loads(key_file.read_text())["field_keys"]
    assert Person.objects.get(pk=people[1].pk).phone == "13911112222"

    out = io.StringIO()
    call_command("keys", "reencrypt", stdout=out)
    assert "re-encrypted 1 rows" in out.getvalue()
    out = io.StringIO()
    call_command("keys", "retire", stdout=out)
    assert f"retired {old_kid}" in out.getvalue()
    assert old_kid not in settings.DPF_FIELD_KEYS
    assert old_kid not in json.loads(key_file.read_text())["field_keys"]
    assert [p.phone for p in Person.objects.order_by("pk")] == [
        "13800000000",
        "13911112222",
        "13800000002",
    ]


def test_rotate_command_with_retire_old(key_file):
    _people(2)
    old_kid = settings.DPF_FIELD_KEY_CURRENT
    out = io.StringIO()
    call_command("keys", "rotate", "--retire-old", "--batch-size", "1", stdout=out)
    text = out.getvalue()
    assert "new current key" in text
    assert f"retired {old_kid}" in text
    assert set(settings.DPF_FIELD_KEYS) == {settings.DPF_FIELD_KEY_CURRENT}
    status = io.StringIO()
    call_command("keys", "status", stdout=status)
    assert f"registry.Person.id_number: {settings.DPF_FIELD_KEY_CURRENT}=2" in status.getvalue()


def test_a_process_started_before_the_rotation_rereads_the_ring(key_file, settings):
    _people(1)
    old_ring = dict(settings.DPF_FIELD_KEYS)
    old_current = settings.DPF_FIELD_KEY_CURRENT
    keyring.rotate(actor="test")
    # Simulate a web server still holding the old ring in memory.
    settings.DPF_FIELD_KEYS = old_ring
    settings.DPF_FIELD_KEY_CURRENT = old_current
    assert Person.objects.get().phone == "13800000000"
    assert len(settings.DPF_FIELD_KEYS) == 2


def test_keys_from_environment_print_the_new_ring(settings, monkeypatch):
    _people(1)
    monkeypatch.setenv("DPF_SECRET_KEY", "x")
    monkeypatch.setenv("DPF_FIELD_KEYS", json.dumps(settings.DPF_FIELD_KEYS))
    before = _raw("registry_person", "id_number")
    out = io.StringIO()
    call_command("keys", "rotate", stdout=out)
    text = out.getvalue()
    line = next(ln for ln in text.splitlines() if ln.startswith("DPF_FIELD_KEYS="))
    printed = json.loads(line.split("=", 1)[1].strip("'"))
    assert set(settings.DPF_FIELD_KEYS) < set(printed)  # old keys kept, one added
    assert "DPF_FIELD_KEY_CURRENT=" in text
    assert _raw("registry_person", "id_number") == before  # nothing re-encrypted yet


# Files under MEDIA_ROOT (documents, roster files) ----------------------------------------

SCAN = b"%PDF-1.4 ID card 15040219800101123X bank 6228480012345678901"


def test_file_encryption_round_trip_and_refusals():
    blob = crypto.encrypt_bytes(SCAN, context="documents/a.pdf")
    assert b"15040219800101123X" not in blob
    assert b"%PDF" not in blob
    assert crypto.file_key_id(blob) == settings.DPF_FIELD_KEY_CURRENT
    assert crypto.decrypt_bytes(blob, context="documents/a.pdf") == SCAN
    assert crypto.encrypt_bytes(SCAN, context="documents/a.pdf") != blob  # fresh nonce
    flipped = blob[:-20] + bytes([blob[-20] ^ 1]) + blob[-19:]
    relabelled = blob.replace(settings.DPF_FIELD_KEY_CURRENT.encode(), b"k9", 1)
    for bad, context in [
        (blob, "documents/b.pdf"),  # copied over another file
        (flipped, "documents/a.pdf"),  # tampered
        (relabelled, "documents/a.pdf"),  # key id edited
        (SCAN, "documents/a.pdf"),  # not encrypted at all
        (blob[:30], "documents/a.pdf"),  # truncated
    ]:
        with pytest.raises(crypto.DecryptionError) as info:
            crypto.decrypt_bytes(bad, context=context)
        assert "15040219800101123X" not in str(info.value)


def test_rotation_reencrypts_files_and_keeps_their_old_key_until_then(key_file, settings):
    media = settings.MEDIA_ROOT
    old_kid = settings.DPF_FIELD_KEY_CURRENT
    paths = [media / "documents" / "a.pdf", media / "imports" / "7.csv"]
    for path in paths:
        crypto.write_media_file(path, SCAN)
    assert keyring.files_usage() == {old_kid: 2}

    ring, count = keyring.rotate(actor="test")
    assert count == 2
    assert ring.current != old_kid
    assert keyring.files_usage() == {ring.current: 2}
    assert all(crypto.read_media_file(p) == SCAN for p in paths)

    # A server still holding the old ring wrote a file under the old key: the key stays.
    crypto.write_media_file(media / "documents" / "late.png", SCAN, key_id=old_kid)
    _, retired, kept = keyring.retire_unused()
    assert retired == []
    assert kept == {old_kid: 1}
    status = io.StringIO()
    call_command("keys", "status", stdout=status)
    assert f"{keyring.MEDIA_FILES}: {old_kid}=1, {ring.current}=2" in status.getvalue()

    assert keyring.reencrypt() == 1
    _, retired, _ = keyring.retire_unused()
    assert retired == [old_kid]
    assert crypto.read_media_file(media / "documents" / "late.png") == SCAN
