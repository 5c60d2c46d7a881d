"""Rotating the field-encryption keys (``dpf keys``) without stopping readers.

The key ring maps key ids to AES-256 keys; every ciphertext starts with its key id. A
rotation (1) adds a new key and makes it current, (2) re-encrypts every
``EncryptedTextField`` column of every model in batches, each batch its own transaction,
(3) retires old keys only when no stored value uses them any more. Between (1) and (3)
old and new key ids are mixed and every value stays readable, because old keys stay in
the ring; a process started before the rotation re-reads the secrets file when it meets
an unknown key id (``crypto.reload_keys``). Files under ``MEDIA_ROOT`` (documents, roster
files) are re-encrypted the same way, one file at a time, and count as uses of their key.

With keys in the environment the ring cannot be rewritten from here: the command prints
the new value to deploy, and ``dpf keys reencrypt`` runs after every server has it.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models.functions import Cast, StrIndex, Substr

from dpf.core import audit, crypto
from dpf.core.errors import ValidationFailed
from dpf.core.fields import EncryptedTextField

BATCH_SIZE = 1000


@dataclass(frozen=True)
class EncryptedColumns:
    model: type[models.Model]
    fields: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label


def encrypted_columns() -> list[EncryptedColumns]:
    """Every concrete model with ``EncryptedTextField`` columns, in a stable order."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.abstract:
            continue
        names = tuple(
            f.name
            for f in meta.concrete_fields
            if isinstance(f, EncryptedTextField) and f.model is model
        )
        if names:
            found.append(EncryptedColumns(model, names))
    return sorted(found, key=lambda c: c.label)


def _key_id_expr(field: str) -> Substr:
    """SQL for the key id prefix of a stored token (the text before the first ':')."""
    raw = Cast(field, output_field=models.TextField())
    return Substr(raw, 1, StrIndex(raw, models.Value(":")) - 1, output_field=models.TextField())


def _filled(field: str) -> models.Q:
    return models.Q(**{f"{field}__isnull": False}) & ~models.Q(**{field: ""})


def usage() -> dict[str, Counter[str]]:
    """``{"app.Model.field": Counter({key id: values})}``: one GROUP BY per column."""
    result: dict[str, Counter[str]] = {}
    for cols in encrypted_columns():
        for field in cols.fields:
            rows = (
                cols.model._default_manager.filter(_filled(field))
                .annotate(_kid=_key_id_expr(field))
                .values_list("_kid")
                .annotate(n=models.Count("pk"))
                .order_by()
            )
            result[f"{cols.label}.{field}"] = Counter({str(k): int(n) for k, n in rows})
    result[MEDIA_FILES] = files_usage()
    return result


MEDIA_FILES = "files under MEDIA_ROOT"
PLAINTEXT = "plaintext"  # files stored before file encryption existed (not a key id)


def media_files() -> Iterator[Path]:
    """Every stored file under ``MEDIA_ROOT`` (temporary files being written excluded)."""
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith(".") and path.suffix != ".part":
            yield path


def _file_key_id(path: Path) -> str | None:
    with path.open("rb") as fh:
        head = fh.read(len(crypto.FILE_MAGIC) + 256)
    return crypto.file_key_id(head)


def files_usage() -> Counter[str]:
    """Key id → files under it; files still in clear are counted under ``PLAINTEXT``."""
    counts: Counter[str] = Counter()
    for path in media_files():
        try:
            counts[_file_key_id(path) or PLAINTEXT] += 1
        except FileNotFoundError:  # removed meanwhile (a batch committed or cancelled)
            continue
    return counts


def reencrypt_files(*, on_batch: Callable[[str, int], None] | None = None) -> int:
    """Rewrite every file not under the current key (or still in clear) under it.

    Each file is decrypted in memory and replaced atomically (``crypto.write_media_file``):
    a reader sees the old or the new file, both readable while the old key stays in the
    ring; an interrupted run resumes where it stopped.
    """
    current = settings.DPF_FIELD_KEY_CURRENT
    done = 0
    for path in media_files():
        try:
            if _file_key_id(path) == current:
                continue
            data = crypto.read_media_file(path)
            if not path.exists():  # deleted while we read it: do not bring it back
                continue
            crypto.write_media_file(path, data)
        except FileNotFoundError:
            continue
        done += 1
        if on_batch is not None and done % 100 == 0:
            on_batch(MEDIA_FILES, 100)
    if on_batch is not None and done % 100:
        on_batch(MEDIA_FILES, done % 100)
    return done


def key_ids_in_use() -> Counter[str]:
    total: Counter[str] = Counter()
    for counts in usage().values():
        total.update(counts)
    total.pop(PLAINTEXT, None)
    return total


def _stale(cols: EncryptedColumns, current: str) -> models.QuerySet[Any]:
    """Rows with at least one value not under ``current``."""
    condition = models.Q()
    annotations = {}
    for field in cols.fields:
        alias = f"_kid_{field}"
        annotations[alias] = _key_id_expr(field)
        condition |= _filled(field) & ~models.Q(**{alias: current})
    return cols.model._default_manager.annotate(**annotations).filter(condition)


def reencrypt(
    *,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[str, int], None] | None = None,
    actor: Any = None,
) -> int:
    """Re-encrypt every value and file not under the current key; returns the rows and
    files rewritten.

    Each batch is one transaction that locks its rows (``select_for_update``), decrypts
    them and writes them back (one ``executemany``), so a concurrent edit
    is neither lost nor blocked for long, and an interrupted run resumes where it stopped.
    With ``actor`` the work is audited as a rotation, so a rotation killed half-way and
    finished by ``dpf keys reencrypt`` is on record as one that ran through is.
    """
    current = settings.DPF_FIELD_KEY_CURRENT
    total = 0
    for cols in encrypted_columns():
        last_pk: Any = None
        while True:
            with transaction.atomic():
                batch_qs = _stale(cols, current).order_by("pk")
                if last_pk is not None:
                    batch_qs = batch_qs.filter(pk__gt=last_pk)
                pks = list(batch_qs.values_list("pk", flat=True)[:batch_size])
                if not pks:
                    break
                rows = list(
                    cols.model._default_manager.select_for_update()
                    .filter(pk__in=pks)
                    .values_list("pk", *cols.fields)
                )
                _write_back(cols, rows)
                last_pk = pks[-1]
                total += len(rows)
            if on_batch is not None:
                on_batch(cols.label, len(rows))
    total += reencrypt_files(on_batch=on_batch)
    if actor is not None and total:
        _audit_rotation(actor, current, total)
    return total


def _audit_rotation(actor: Any, key_id: str, rewritten: int) -> None:
    audit.record(
        actor=actor,
        actor_name=str(actor or ""),
        action="key_rotation",
        object_type="field_keys",
        object_id=key_id,
        changes={"reencrypted_rows": rewritten},
    )


def _write_back(cols: EncryptedColumns, rows: list[tuple[Any, ...]]) -> None:
    """One ``executemany`` per batch: every listed value re-encrypted under the current key.

    (``bulk_update`` builds a ``CASE`` with one branch per row, quadratic on SQLite.)
    """
    meta = cols.model._meta
    by_name = {f.name: f for f in meta.concrete_fields}
    fields = [by_name[name] for name in cols.fields]  # the order of the values_list
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608  (model names)
    params = [
        [crypto.encrypt(str(value)) if value not in (None, "") else value for value in row[1:]]
        + [row[0]]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _next_key_id(ring: dict[str, str]) -> str:
    numbers = [int(k[1:]) for k in ring if k.startswith("k") and k[1:].isdigit()]
    return f"k{max(numbers, default=0) + 1}"


@dataclass(frozen=True)
class Ring:
    keys: dict[str, str]
    current: str

    def env_lines(self) -> list[str]:
        """What to deploy when the keys live in the environment."""
        return [
            f"DPF_FIELD_KEYS='{json.dumps(self.keys, sort_keys=True)}'",
            f"DPF_FIELD_KEY_CURRENT={self.current}",
        ]


def _activate(ring: Ring) -> None:
    settings.DPF_FIELD_KEYS = dict(ring.keys)
    settings.DPF_FIELD_KEY_CURRENT = ring.current


def _save(ring: Ring) -> None:
    from dpf.core.secrets import load_secrets, save_secrets

    stored = load_secrets(settings.DATA_DIR)
    stored["field_keys"] = dict(ring.keys)
    stored["field_key_current"] = ring.current
    save_secrets(settings.DATA_DIR, stored)


def add_key() -> Ring:
    """A new key, made current. Saved to the secrets file (and this process) unless the
    keys come from the environment, where the caller prints ``Ring.env_lines``."""
    keys = dict(settings.DPF_FIELD_KEYS)
    kid = _next_key_id(keys)
    keys[kid] = _new_key()
    ring = Ring(keys, kid)
    if not crypto.keys_from_environment():
        _save(ring)
        _activate(ring)
    return ring


def retire_unused() -> tuple[Ring, list[str], dict[str, int]]:
    """Drop every non-current key no stored value uses; keep (and report) the others."""
    in_use = key_ids_in_use()
    current = settings.DPF_FIELD_KEY_CURRENT
    keys = dict(settings.DPF_FIELD_KEYS)
    retired = sorted(k for k in keys if k != current and in_use.get(k, 0) == 0)
    kept = {k: in_use[k] for k in keys if k != current and in_use.get(k, 0) > 0}
    for kid in retired:
        del keys[kid]
    ring = Ring(keys, current)
    if retired and not crypto.keys_from_environment():
        _save(ring)
        _activate(ring)
    return ring, retired, kept


def unknown_key_ids() -> list[str]:
    """Key ids found in the data but missing from the ring (values nobody can read)."""
    ring = settings.DPF_FIELD_KEYS
    return sorted(k for k in key_ids_in_use() if k not in ring)


def rotate(
    *, actor: Any, batch_size: int = BATCH_SIZE, on_batch: Callable[[str, int], None] | None = None
) -> tuple[Ring, int]:
    """Add a key, make it current and re-encrypt everything under it (file-based keys)."""
    if crypto.keys_from_environment():
        raise ValidationFailed(
            "keys_in_environment",
            "密钥来自环境变量：请部署新的密钥环后运行 dpf keys reencrypt",
            "the keys come from the environment: deploy the new ring, then run dpf keys reencrypt",
        )
    ring = add_key()
    count = reencrypt(batch_size=batch_size, on_batch=on_batch)
    _audit_rotation(actor, ring.current, count)
    return ring, count


def columns_summary() -> Iterator[tuple[str, Counter[str]]]:
    yield from sorted(usage().items())
