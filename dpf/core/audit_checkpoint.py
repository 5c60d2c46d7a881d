"""Signed checkpoints of the audit chain's head, kept outside the database.

The hash chain shows entries edited or removed *inside* the log, but removing the newest
entries leaves a valid shorter chain. So each ``dpf audit verify`` that finds the chain
intact appends a checkpoint — (sequence, time, last entry id, its hash, number of entries,
previous checkpoint's MAC) under an HMAC-SHA256 — to an append-only file
(``settings.DPF_AUDIT_CHECKPOINTS``) and prints it for the operations log. The next
verification compares the table with the newest checkpoint: the entry it names must still
be there with the same hash (or have been removed by ``dpf audit prune``, which leaves an
anchor). The MAC key is derived from the look-up hash key (``DPF_HASH_KEY``, secrets file
or environment), never stored in the database, so whoever can only write the database can
neither forge a checkpoint nor make the log agree with an old one.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from dpf.core import audit

VERSION = 1
_KEY_LABEL = b"dpf audit checkpoint v1"


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    at: str  # ISO time, UTC
    last_id: int  # 0: the table was empty
    last_hash: str
    entries: int
    prev: str  # the previous checkpoint's MAC ("" for the first)
    key: str  # fingerprint of the MAC key (tells a rotated key from a forgery)
    mac: str = ""

    def signed_text(self) -> str:
        fields = asdict(self)
        fields.pop("mac")
        fields["v"] = VERSION
        return json.dumps(fields, sort_keys=True, separators=(",", ":"))

    def line(self) -> str:
        return json.dumps(
            {**json.loads(self.signed_text()), "mac": self.mac},
            sort_keys=True,
            separators=(",", ":"),
        )


@dataclass(frozen=True)
class Problem:
    """Why the log and its checkpoints disagree (``kind``: forged, truncated, changed)."""

    kind: str
    message: str


@dataclass(frozen=True)
class Outcome:
    verification: audit.Verification
    problem: Problem | None
    written: Checkpoint | None

    @property
    def ok(self) -> bool:
        return self.verification.ok and self.problem is None


def _key() -> bytes:
    hash_key = base64.b64decode(settings.DPF_HASH_KEY)
    return hmac.new(hash_key, _KEY_LABEL, hashlib.sha256).digest()


def _fingerprint(key: bytes) -> str:
    return hashlib.sha256(b"fingerprint:" + key).hexdigest()[:16]


def _mac(key: bytes, checkpoint: Checkpoint) -> str:
    return hmac.new(key, checkpoint.signed_text().encode(), hashlib.sha256).hexdigest()


def _path(path: Path | None) -> Path:
    return Path(path if path is not None else settings.DPF_AUDIT_CHECKPOINTS)


def _parse(number: int, text: str, key: bytes, prev: str) -> Checkpoint | Problem:
    where = f"line {number}"
    try:
        data = json.loads(text)
        if data.pop("v") != VERSION:
            raise ValueError("version")
        checkpoint = Checkpoint(**data)
    except (ValueError, TypeError, KeyError):
        return Problem("forged", f"FORGED checkpoint at {where}: not a checkpoint")
    if checkpoint.key != _fingerprint(key):
        return Problem(
            "forged",
            f"FORGED checkpoint at {where}: signed with another key (key {checkpoint.key})",
        )
    if not hmac.compare_digest(checkpoint.mac, _mac(key, checkpoint)):
        return Problem("forged", f"FORGED checkpoint at {where}: the signature does not match")
    if checkpoint.prev != prev:
        follows = f"it does not follow line {number - 1}"
        return Problem("forged", f"FORGED checkpoint at {where}: {follows}")
    return checkpoint


def read(path: Path | None = None) -> tuple[list[Checkpoint], Problem | None]:
    """Every checkpoint of the file, checked in order; stops at the first bad line."""
    file = _path(path)
    if not file.exists():
        return [], None
    key = _key()
    found: list[Checkpoint] = []
    prev = ""
    for number, text in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        parsed = _parse(number, text, key, prev)
        if isinstance(parsed, Problem):
            return found, parsed
        found.append(parsed)
        prev = parsed.mac
    return found, None


def compare(verification: audit.Verification, checkpoint: Checkpoint) -> Problem | None:
    """Does the table still hold the head the checkpoint recorded?"""
    if checkpoint.last_id == 0:
        return None
    when = checkpoint.at
    stored = audit.stored_hash(checkpoint.last_id)
    if stored is None:
        pruned = audit.pruned_through()
        if pruned is not None and checkpoint.last_id <= pruned[0]:
            if checkpoint.last_id == pruned[0] and pruned[1] != checkpoint.last_hash:
                return Problem(
                    "changed",
                    f"CHANGED: entry {checkpoint.last_id} was pruned with another hash "
                    f"than the checkpoint of {when} recorded",
                )
            return None  # removed by `dpf audit prune`, which anchors the chain
        return Problem(
            "truncated",
            f"TRUNCATED: entry {checkpoint.last_id} (the head at the checkpoint of {when}, "
            f"{checkpoint.entries} entries) is missing; the log now ends at entry "
            f"{verification.last_id} with {verification.entries} entries",
        )
    if stored != checkpoint.last_hash:
        return Problem(
            "changed",
            f"CHANGED: entry {checkpoint.last_id} differs from the checkpoint of {when}",
        )
    return None


def _append(file: Path, verification: audit.Verification, now: dt.datetime) -> Checkpoint:
    """Append the next checkpoint under an exclusive lock (one writer at a time)."""
    key = _key()
    file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(file, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "r+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        lines = [text for text in handle.read().splitlines() if text.strip()]
        last: dict[str, Any] = json.loads(lines[-1]) if lines else {}
        checkpoint = Checkpoint(
            seq=int(last.get("seq", 0)) + 1,
            at=now.astimezone(dt.UTC).isoformat(),
            last_id=verification.last_id,
            last_hash=verification.head_hash,
            entries=verification.entries,
            prev=str(last.get("mac", "")),
            key=_fingerprint(key),
        )
        checkpoint = Checkpoint(**{**asdict(checkpoint), "mac": _mac(key, checkpoint)})
        handle.write(checkpoint.line() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return checkpoint


def verify_and_checkpoint(*, path: Path | None = None, now: dt.datetime | None = None) -> Outcome:
    """Verify the chain and the newest checkpoint; when both hold, append a new one."""
    file = _path(path)
    verification = audit.verify_chain()
    if not verification.ok:
        return Outcome(verification, None, None)
    checkpoints, problem = read(file)
    if problem is None and checkpoints:
        problem = compare(verification, checkpoints[-1])
    if problem is not None:
        return Outcome(verification, problem, None)
    written = _append(file, verification, now or timezone.now())
    return Outcome(verification, None, written)
