"""The hash-chained audit log: verify, tamper detection, prune with anchors, append-only."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from dpf.core import audit
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditAnchor, AuditEntry

pytestmark = pytest.mark.django_db


def _entries(n: int, actor=None) -> list[AuditEntry]:
    return [
        audit.record(actor=actor, action="view", object_type="person", object_id=i)
        for i in range(n)
    ]


def _backdate(days: int, ids: list[int]) -> None:
    """Move entries into the past and re-seal the chain (what a real old log looks like)."""
    when = connection.ops.adapt_datetimefield_value(timezone.now() - dt.timedelta(days=days))
    marks = ",".join("%s" for _ in ids)
    sql = f"UPDATE core_auditentry SET created_at = %s WHERE id IN ({marks})"  # noqa: S608
    _raw_update(sql, [when, *ids])
    prev = audit.GENESIS
    for entry in AuditEntry.objects.order_by("id"):
        entry.prev_hash = prev
        entry.entry_hash = audit.compute_hash(prev, entry)
        _raw_set_hashes(entry)
        prev = entry.entry_hash


def _raw_set_hashes(entry: AuditEntry) -> None:
    _raw_update(
        "UPDATE core_auditentry SET prev_hash = %s, entry_hash = %s WHERE id = %s",
        [entry.prev_hash, entry.entry_hash, entry.id],
    )


def _raw_update(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # What a superuser could do: switch triggers off for this session.
            cur.execute("SET session_replication_role = replica")
        cur.execute(sql, params)
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = origin")


def test_chain_links_each_entry_to_the_previous_one():
    entries = _entries(3)
    assert entries[0].prev_hash == audit.GENESIS
    assert entries[1].prev_hash == entries[0].entry_hash
    assert entries[2].prev_hash == entries[1].entry_hash
    result = audit.verify_chain()
    assert result.ok
    assert result.entries == 3
    assert result.head_hash == entries[2].entry_hash


def test_verify_command_prints_ok():
    _entries(2)
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert out.getvalue().startswith("OK 2 entries")


@pytest.mark.parametrize("column", ["action", "object_id", "reason", "actor_name"])
def test_an_edited_entry_is_reported_by_id(column):
    entries = _entries(4)
    _raw_update(
        f"UPDATE core_auditentry SET {column} = %s WHERE id = %s",  # noqa: S608
        ["tampered", entries[2].id],
    )
    assert audit.verify() == entries[2].id
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify", stdout=out)
    assert exit_info.value.code == 1
    assert f"BROKEN at entry {entries[2].id}" in out.getvalue()


def test_an_edited_entry_with_recomputed_hash_breaks_the_next_link():
    entries = _entries(3)
    victim = AuditEntry.objects.get(pk=entries[1].pk)
    victim.action = "change"
    victim.entry_hash = audit.compute_hash(victim.prev_hash, victim)
    _raw_update(
        "UPDATE core_auditentry SET action = %s, entry_hash = %s WHERE id = %s",
        [victim.action, victim.entry_hash, victim.id],
    )
    assert audit.verify() == entries[2].id


def test_a_deleted_entry_is_reported():
    entries = _entries(4)
    _raw_update("DELETE FROM core_auditentry WHERE id = %s", [entries[1].id])
    assert audit.verify() == entries[2].id


def test_deleting_the_oldest_entries_without_prune_is_reported():
    entries = _entries(3)
    _raw_update("DELETE FROM core_auditentry WHERE id = %s", [entries[0].id])
    assert audit.verify() == entries[1].id


def test_prune_refuses_dates_younger_than_six_months():
    _entries(1)
    today = timezone.localdate()
    with pytest.raises(ValidationFailed) as info:
        audit.prune(actor="test", before=today - dt.timedelta(days=182))
    assert info.value.code == "audit_retention"
    assert info.value.field == "before"
    assert "183" in info.value.message_zh
    assert "183" in info.value.message_en
    with pytest.raises(CommandError):
        call_command("audit", "prune", "--before", (today - dt.timedelta(days=30)).isoformat())
    assert AuditEntry.objects.count() == 1
    assert not AuditAnchor.objects.exists()


def test_prune_deletes_old_entries_and_verify_still_passes():
    old = _entries(3)
    young = _entries(2)
    _backdate(400, [e.id for e in old])
    assert audit.verify() is None
    before = timezone.localdate() - dt.timedelta(days=200)
    out = io.StringIO()
    call_command("audit", "prune", "--before", before.isoformat(), stdout=out)
    assert "pruned 3 entries" in out.getvalue()
    remaining = list(AuditEntry.objects.order_by("id"))
    assert [e.id for e in remaining[:2]] == [e.id for e in young]
    assert remaining[-1].action == "prune"
    assert remaining[-1].changes["entries"] == 3
    anchor = AuditAnchor.objects.get()
    last_old = old[-1]
    assert anchor.last_pruned_id == last_old.id
    # The anchor holds the re-sealed hash of the last pruned entry: the first kept links to it.
    assert remaining[0].prev_hash == anchor.last_pruned_hash
    assert audit.verify() is None
    # ... and deleting the first kept entry is still caught.
    _raw_update("DELETE FROM core_auditentry WHERE id = %s", [remaining[0].id])
    assert audit.verify() == remaining[1].id


def test_prune_of_everything_chains_the_next_entry_to_the_anchor():
    old = _entries(2)
    _backdate(400, [e.id for e in old])
    assert audit.prune(actor="test", before=timezone.localdate() - dt.timedelta(days=190)) == 2
    entry = audit.record(actor=None, action="view")
    anchor = AuditAnchor.objects.get()
    first = AuditEntry.objects.order_by("id").first()
    assert first is not None
    assert first.prev_hash == anchor.last_pruned_hash
    assert entry.prev_hash == first.entry_hash
    assert audit.verify() is None


def test_changed_fields_masks_personal_values():
    from dpf.core.crypto import mask_phone

    changes = audit.changed_fields(
        {"phone": "13812345678", "ethnicity": "汉族", "level": 2},
        {"phone": "13912345678", "ethnicity": "蒙古族", "level": 2},
        masks={"phone": mask_phone},
    )
    assert changes == {"phone": ["138****5678", "139****5678"], "ethnicity": ["汉族", "蒙古族"]}


def test_no_code_path_edits_audit_entries():
    """Only dpf/core/audit.py touches AuditEntry rows, and it never updates them."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "dpf"
    offenders = []
    for path in root.rglob("*.py"):
        if "migrations" in path.parts or (path.name == "audit.py" and path.parent.name == "core"):
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ("AuditEntry.objects", "AuditAnchor.objects", "auditentry"):
            if needle in text and "class AuditEntry" not in text:
                offenders.append(f"{path.relative_to(root)}: {needle}")
    # Reading the log for the audit page goes through dpf/core/audit_selectors.py only.
    offenders = [o for o in offenders if not o.startswith("core/audit_selectors.py")]
    assert offenders == []
    source = (root / "core" / "audit.py").read_text(encoding="utf-8")
    assert ".update(" not in source
    assert ".save(" in source
    assert "force_insert=True" in source
    from django.apps import apps

    assert not apps.is_installed("django.contrib.admin")  # no admin screen edits entries


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigger is PostgreSQL")
def test_postgres_trigger_refuses_update_and_delete():
    entry = _entries(1)[0]
    for sql in (
        "UPDATE core_auditentry SET action = 'x' WHERE id = %s",
        "DELETE FROM core_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql, [entry.id])
    anchor = AuditAnchor.objects.create(
        created_at=timezone.now(),
        pruned_before=dt.date(2020, 1, 1),
        last_pruned_id=0,
        last_pruned_hash=audit.GENESIS,
        entries_pruned=0,
    )
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("DELETE FROM core_auditanchor WHERE id = %s", [anchor.id])
    assert AuditEntry.objects.get(pk=entry.pk).action == "view"


def test_every_action_the_platform_records_is_listed_and_labelled():
    """The audit page filters by ``ACTIONS``: an action written somewhere but missing there
    could not be selected (found from every ``record(…, action="…")`` call in dpf/)."""
    import ast
    from pathlib import Path

    from dpf.accounts.audit_views import ACTION_LABELS

    root = Path(__file__).resolve().parents[2] / "dpf"
    written = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name != "record":
                continue
            for kw in node.keywords:
                if kw.arg == "action":
                    written |= {
                        c.value
                        for c in ast.walk(kw.value)
                        if isinstance(c, ast.Constant) and isinstance(c.value, str)
                    }
    assert {"view", "reveal", "login_failure", "permission_denied"} <= written
    assert written - set(audit.ACTIONS) == set()
    assert set(audit.ACTIONS) == set(ACTION_LABELS)


# --- the chain's head, anchored outside the table (signed checkpoints) --------------------


def _verify_command() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except SystemExit as exit_info:
        return int(exit_info.code or 0), out.getvalue()
    return 0, out.getvalue()


def _checkpoint_lines(settings) -> list[str]:
    return settings.DPF_AUDIT_CHECKPOINTS.read_text(encoding="utf-8").splitlines()


def test_verify_writes_and_prints_a_signed_checkpoint_of_the_head(settings):
    entries = _entries(3)
    status, output = _verify_command()
    assert status == 0
    assert output.startswith("OK 3 entries")
    lines = _checkpoint_lines(settings)
    assert len(lines) == 1
    assert f"checkpoint {lines[0]}" in output
    first = json.loads(lines[0])
    assert first["last_id"] == entries[-1].id
    assert first["last_hash"] == entries[-1].entry_hash
    assert first["entries"] == 3
    assert first["seq"] == 1
    assert first["prev"] == ""
    assert len(first["mac"]) == 64
    # Nothing personal: ids and hashes only. The next one links to this one.
    _entries(1)
    assert _verify_command()[0] == 0
    second = json.loads(_checkpoint_lines(settings)[1])
    assert second["seq"] == 2
    assert second["prev"] == first["mac"]
    assert second["entries"] == 4


@pytest.mark.parametrize("appended_after", [0, 2])
def test_deleting_the_newest_entries_is_reported_as_truncation(settings, appended_after):
    """The attack the chain alone misses: the newest entries deleted leave a valid shorter
    chain (and new entries may follow them)."""
    entries = _entries(5)
    assert _verify_command()[0] == 0
    marks = [entries[3].id, entries[4].id]
    _raw_update("DELETE FROM core_auditentry WHERE id IN (%s, %s)", marks)
    _entries(appended_after)
    assert audit.verify_chain().ok  # the chain itself still links up
    status, output = _verify_command()
    assert status == 1
    assert output.startswith(f"TRUNCATED: entry {entries[4].id}")
    assert "5 entries" in output
    assert f"{3 + appended_after} entries" in output
    assert len(_checkpoint_lines(settings)) == 1  # no checkpoint over a truncated log


def test_a_rebuilt_chain_is_reported_as_changed(settings):
    """Someone who knows the algorithm edits the newest entry and re-seals its hash."""
    entries = _entries(3)
    assert _verify_command()[0] == 0
    victim = AuditEntry.objects.get(pk=entries[-1].pk)
    victim.action = "change"
    victim.entry_hash = audit.compute_hash(victim.prev_hash, victim)
    _raw_update(
        "UPDATE core_auditentry SET action = %s, entry_hash = %s WHERE id = %s",
        [victim.action, victim.entry_hash, victim.id],
    )
    assert audit.verify_chain().ok
    status, output = _verify_command()
    assert status == 1
    assert output.startswith(f"CHANGED: entry {victim.id}")


def _rewrite(settings, lines: list[str]) -> None:
    settings.DPF_AUDIT_CHECKPOINTS.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("forgery", ["edited", "unsigned", "line_removed", "other_key"])
def test_a_forged_checkpoint_is_reported(settings, forgery):
    entries = _entries(2)
    for _ in range(3):
        assert _verify_command()[0] == 0
    lines = _checkpoint_lines(settings)
    if forgery == "edited":  # point the head back to hide the newest entries
        data = json.loads(lines[-1])
        data["last_id"], data["last_hash"] = entries[0].id, entries[0].entry_hash
        lines[-1] = json.dumps(data)
        where = "line 3"
    elif forgery == "unsigned":
        lines.append(lines[-1].replace('"mac":"', '"mac":"0', 1)[:-2] + '"}')
        where = "line 4"
    elif forgery == "line_removed":
        del lines[1]
        where = "line 2"
    else:
        settings.DPF_HASH_KEY = base64.b64encode(b"k" * 32).decode()
        where = "line 1"
    _rewrite(settings, lines)
    status, output = _verify_command()
    assert status == 1
    assert output.startswith(f"FORGED checkpoint at {where}")


def test_pruning_entries_a_checkpoint_named_is_not_truncation(settings):
    old = _entries(3)
    _backdate(400, [e.id for e in old])  # re-sealed: checkpoint after it
    assert _verify_command()[0] == 0
    audit.prune(actor="test", before=timezone.localdate() - dt.timedelta(days=190))
    status, output = _verify_command()
    assert status == 0, output
    assert output.startswith("OK 1 entries"), output


def test_a_page_read_is_recorded_with_who_what_and_from_where(rf) -> None:
    """``record_view``: the one call a page showing personal data makes."""
    from tests.factories import make_user

    user = make_user(role="county_officer", region_code="150402")
    request = rf.get("/registry/person/7/", REMOTE_ADDR="192.0.2.10")
    request.user = user
    entry = audit.record_view(request, "person", 7, changes={"part": "timeline"})
    assert (entry.actor, entry.action, entry.object_type, entry.object_id) == (
        user,
        "view",
        "person",
        "7",
    )
    assert entry.role == "county_officer"
    assert entry.region_code == "150402"
    assert entry.client_address == "192.0.2.10"
    assert entry.changes == {"part": "timeline"}
    assert audit.verify_chain().ok
