"""Encrypted backups of the whole database and their restore (``dpf backup``, ``dpf restore``).

SQLite is copied with its online backup API, PostgreSQL with ``pg_dump`` in custom format
(the server's own major version) inside an exported snapshot, so the row counts and the
audit head written beside the data describe exactly what was dumped. The copy is
encrypted with AES-256-GCM under a key derived (scrypt) from a passphrase taken from an
environment variable, in 1 MiB records whose nonces and associated data bind their order
and the end of the file: an edited, reordered, cut or extended file is refused before
anything is written. A restore goes into an empty database only, in one step (SQLite's
backup API; ``pg_restore --single-transaction``), and then checks every table's row count
and the audit chain against the backup's manifest.

The field values inside stay encrypted under the data key ring: restoring needs the same
secrets (``data/secrets.json`` or ``DPF_*`` keys), kept apart from the backups.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import connection
from django.utils import timezone

from dpf.core import audit
from dpf.core.errors import ValidationFailed
from dpf.core.inputs import refuse
from dpf.core.logging import redact

MAGIC = b"DPF-BACKUP\x00"
FORMAT = 1
RECORD_BYTES = 1 << 20
PASSPHRASE_ENV = "DPF_BACKUP_PASSPHRASE"  # noqa: S105 - the variable's name
MIN_PASSPHRASE = 16
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}
_LENGTH = struct.Struct(">I")


def passphrase_from_env(variable: str = PASSPHRASE_ENV) -> str:
    """The passphrase from ``variable`` (never a command-line argument: ``ps`` shows those)."""
    value = os.environ.get(variable, "")
    if not value:
        raise refuse(
            "backup_passphrase_missing",
            f"请在环境变量 {variable} 中提供备份口令",
            f"set the backup passphrase in the environment variable {variable}",
            "passphrase",
        )
    if len(value) < MIN_PASSPHRASE:
        raise refuse(
            "backup_passphrase_short",
            f"备份口令至少{MIN_PASSPHRASE}个字符",
            f"the backup passphrase must be at least {MIN_PASSPHRASE} characters",
            "passphrase",
        )
    return value


def _derive(passphrase: str, salt: bytes, params: dict[str, int]) -> bytes:
    n, r, p = int(params["n"]), int(params["r"]), int(params["p"])
    return hashlib.scrypt(
        passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r, dklen=32
    )


# --- the encrypted container ---------------------------------------------------------------


def _associated(header_digest: bytes, index: int, final: bool) -> bytes:
    return header_digest + struct.pack(">Q?", index, final)


class _Writer:
    """Writes records (manifest first, then the data, then an empty final record)."""

    def __init__(self, out: BinaryIO, passphrase: str, engine: str) -> None:
        salt = secrets.token_bytes(16)
        self.prefix = secrets.token_bytes(4)
        header = json.dumps(
            {
                "format": FORMAT,
                "engine": engine,
                "cipher": "AES-256-GCM",
                "kdf": {"name": "scrypt", **_SCRYPT, "salt": base64.b64encode(salt).decode()},
                "nonce_prefix": base64.b64encode(self.prefix).decode(),
                "record_bytes": RECORD_BYTES,
            },
            sort_keys=True,
        ).encode()
        out.write(MAGIC + _LENGTH.pack(len(header)) + header)
        self.digest = hashlib.sha256(MAGIC + header).digest()
        self.aead = AESGCM(_derive(passphrase, salt, _SCRYPT))
        self.out = out
        self.index = 0

    def record(self, data: bytes, *, final: bool = False) -> None:
        nonce = self.prefix + struct.pack(">Q", self.index)
        sealed = self.aead.encrypt(nonce, data, _associated(self.digest, self.index, final))
        self.out.write(_LENGTH.pack(len(sealed)) + sealed)
        self.index += 1

    def stream(self, source: IO[bytes]) -> None:
        while chunk := source.read(RECORD_BYTES):
            self.record(chunk)

    def close(self) -> None:
        self.record(b"", final=True)


def _tampered() -> ValidationFailed:
    return refuse(
        "backup_tampered",
        "备份文件已被改动、不完整，或口令不正确：未恢复任何数据",
        "the backup file was altered or cut short, or the passphrase is wrong: "
        "nothing was restored",
        "input",
    )


def _read_exact(source: BinaryIO, size: int) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise _tampered()
    return data


def _open(source: BinaryIO, passphrase: str) -> tuple[dict[str, Any], Iterator[bytes]]:  # noqa: C901
    """The header and the decrypted records (each authenticated before it is yielded; the
    iterator raises ``backup_tampered`` at a bad record, a missing end or extra bytes)."""
    if source.read(len(MAGIC)) != MAGIC:
        raise refuse(
            "backup_not_a_backup",
            "这不是平台的备份文件",
            "this is not a backup file of the platform",
            "input",
        )
    (length,) = _LENGTH.unpack(_read_exact(source, _LENGTH.size))
    if length > 64 * 1024:
        raise _tampered()
    header_bytes = _read_exact(source, length)
    try:
        header = json.loads(header_bytes)
        kdf = header["kdf"]
        salt = base64.b64decode(kdf["salt"])
        prefix = base64.b64decode(header["nonce_prefix"])
        params = {"n": int(kdf["n"]), "r": int(kdf["r"]), "p": int(kdf["p"])}
    except (ValueError, KeyError, TypeError):
        raise _tampered() from None
    if header.get("format") != FORMAT or params["n"] > 2**20 or len(prefix) != 4:
        raise _tampered()
    aead = AESGCM(_derive(passphrase, salt, params))
    digest = hashlib.sha256(MAGIC + header_bytes).digest()
    limit = int(header.get("record_bytes", RECORD_BYTES)) + 16

    def records() -> Iterator[bytes]:
        index = 0
        while True:
            raw_length = source.read(_LENGTH.size)
            if len(raw_length) != _LENGTH.size:
                raise _tampered()  # ended before the final record
            (size,) = _LENGTH.unpack(raw_length)
            if size > limit:
                raise _tampered()
            sealed = _read_exact(source, size)
            nonce = prefix + struct.pack(">Q", index)
            for final in (False, True):
                try:
                    data = aead.decrypt(nonce, sealed, _associated(digest, index, final))
                except InvalidTag:
                    continue
                break
            else:
                raise _tampered()
            if final:
                if source.read(1):
                    raise _tampered()  # bytes after the end
                return
            yield data
            index += 1

    return header, records()


# --- taking the copy -------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupResult:
    path: Path
    engine: str
    tables: dict[str, int]
    audit_head: dict[str, Any]


def _count_tables(cursor: Any, tables: list[str], quote: Callable[[str], str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - catalogue names
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _manifest(engine: str, tables: dict[str, int], head: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "engine": engine,
            "created_at": timezone.now().isoformat(),
            "tables": tables,
            "audit": head,
        },
        sort_keys=True,
    ).encode()


def _new_output(path: Path) -> BinaryIO:
    if path.exists():
        raise refuse(
            "backup_output_exists",
            "输出文件已存在，不会覆盖",
            "the output file exists; it is not overwritten",
            "output",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def backup(*, output: Path, passphrase: str) -> BackupResult:
    """Write an encrypted copy of the whole database to ``output`` (a new file)."""
    engine = connection.vendor
    if engine not in ("sqlite", "postgresql"):
        raise refuse("backup_engine", "不支持的数据库", "unsupported database", None)
    out = _new_output(output)
    try:
        with out:
            writer = _Writer(out, passphrase, engine)
            if engine == "sqlite":
                tables, head = _backup_sqlite(writer)
            else:
                tables, head = _backup_postgresql(writer)
            writer.close()
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        output.unlink(missing_ok=True)  # never leave half a backup behind
        raise
    return BackupResult(output, engine, tables, head)


# The backups the nightly job writes (``dpf.core.jobs.backup_job``): one new file a run,
# named by the local time it started, written under a ``.part`` name and renamed when whole,
# so a run killed half-way leaves no file that looks like a backup (the next run deletes it).
NAME_FORMAT = "dpf-%Y%m%d-%H%M%S.backup"
PART_SUFFIX = ".part"


def backup_into(*, folder: Path, passphrase: str, now: dt.datetime) -> BackupResult:
    """Write a new backup into ``folder``, named for ``now`` (local time)."""
    final = folder / now.strftime(NAME_FORMAT)
    part = final.with_name(final.name + PART_SUFFIX)
    part.unlink(missing_ok=True)  # this very second's run, killed: start it again
    result = backup(output=part, passphrase=passphrase)
    if final.exists():
        part.unlink()
        raise refuse(
            "backup_output_exists",
            "输出文件已存在，不会覆盖",
            "the output file exists; it is not overwritten",
            "output",
        )
    part.rename(final)
    return BackupResult(final, result.engine, result.tables, result.audit_head)


def _backup_day(path: Path) -> dt.date | None:
    try:
        # The name holds the local date the run started; only the date is read.
        return dt.datetime.strptime(path.name, NAME_FORMAT).date()  # noqa: DTZ007
    except ValueError:
        return None


def prune_backups(*, folder: Path, today: dt.date, keep_days: int, keep_months: int) -> list[Path]:
    """Delete the backups the keeping rule no longer holds, and the ``.part`` files runs
    killed half-way left; returns what was deleted. Kept: every backup of the last
    ``keep_days`` days, and the newest backup of each of the last ``keep_months`` months
    (this month included). Files of other names are never touched."""
    dated = sorted(
        (day, path) for path in folder.glob("dpf-*.backup") if (day := _backup_day(path))
    )
    month_last: dict[tuple[int, int], Path] = {}
    for day, path in dated:
        month_last[(day.year, day.month)] = path  # sorted: the last one wins
    first_month = today.year * 12 + today.month - 1 - (keep_months - 1)
    kept_months = {
        path for (year, month), path in month_last.items() if year * 12 + month - 1 >= first_month
    }
    since = today - dt.timedelta(days=keep_days - 1)
    deleted = [path for day, path in dated if day < since and path not in kept_months] + sorted(
        folder.glob("dpf-*.backup" + PART_SUFFIX)
    )
    for path in deleted:
        path.unlink(missing_ok=True)
    return deleted


def _backup_sqlite(writer: _Writer) -> tuple[dict[str, int], dict[str, Any]]:
    connection.ensure_connection()
    with tempfile.TemporaryDirectory(prefix="dpf-backup.") as folder:
        copy_path = Path(folder, "copy.sqlite3")
        copy = sqlite3.connect(copy_path)
        try:
            connection.connection.backup(copy)  # one consistent snapshot
            cursor = copy.cursor()
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
            names = [row[0] for row in cursor.fetchall()]
            tables = _count_tables(cursor, names, lambda t: '"' + t.replace('"', '""') + '"')
            head = audit.head_of(cursor)
        finally:
            copy.close()
        writer.record(_manifest("sqlite", tables, head))
        with copy_path.open("rb") as source:
            writer.stream(source)
    return tables, head


def _pg_binary(cursor: Any, name: str) -> str:
    """``pg_dump``/``pg_restore`` of the server's major version (Debian keeps one per
    version; the wrapper on PATH is the fallback)."""
    cursor.execute("SHOW server_version_num")
    major = int(cursor.fetchone()[0]) // 10000
    exact = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    found = str(exact) if exact.is_file() else shutil.which(name)
    if not found:
        raise refuse(
            "backup_tool_missing",
            f"找不到 PostgreSQL {major} 的 {name}：请安装 PostgreSQL 客户端",
            f"{name} of PostgreSQL {major} not found: install the PostgreSQL client",
        )
    return found


def _pg_arguments() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = ["--dbname", str(db["NAME"])]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _backup_postgresql(writer: _Writer) -> tuple[dict[str, int], dict[str, Any]]:
    params = connection.get_connection_params()
    snapshot_connection = connection.get_new_connection(params)
    try:
        snapshot_connection.autocommit = False
        cursor = snapshot_connection.cursor()
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        names = [row[0] for row in cursor.fetchall()]
        tables = _count_tables(cursor, names, lambda t: '"' + t.replace('"', '""') + '"')
        head = audit.head_of(cursor)
        writer.record(_manifest("postgresql", tables, head))
        args, env = _pg_arguments()
        command = [_pg_binary(cursor, "pg_dump"), "--format=custom", f"--snapshot={snapshot}"]
        with tempfile.TemporaryFile() as errors:
            dump = subprocess.Popen(
                [*command, *args], stdout=subprocess.PIPE, stderr=errors, env=env
            )
            assert dump.stdout is not None
            writer.stream(dump.stdout)
            if dump.wait() != 0:
                errors.seek(0)
                raise _tool_failed("pg_dump", errors.read())
        snapshot_connection.rollback()
    finally:
        snapshot_connection.close()
    return tables, head


def _tool_failed(name: str, stderr: bytes) -> ValidationFailed:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    detail = redact(lines[-1]) if lines else ""
    return refuse(
        "backup_tool_failed",
        f"{name} 执行失败：{detail}",
        f"{name} failed: {detail}",
    )


# --- restoring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreResult:
    engine: str
    tables: dict[str, int]
    audit: audit.Verification
    created_at: str


def _existing_tables() -> list[str]:
    with connection.cursor() as cursor:
        return list(connection.introspection.table_names(cursor))


def restore(*, source: Path, passphrase: str) -> RestoreResult:
    """Restore ``source`` into the configured database, which must be empty; then check
    every table's row count and the audit chain against the backup's manifest."""
    if not source.is_file():
        raise refuse("backup_missing", "备份文件不存在", "the backup file does not exist", "input")
    with tempfile.TemporaryDirectory(prefix="dpf-restore.") as folder:
        plain = Path(folder, "copy")
        # The whole file is authenticated (every record, its order and its end) before the
        # database is looked at, let alone written.
        with source.open("rb") as raw:
            header, records = _open(raw, passphrase)
            try:
                manifest = json.loads(next(records))
            except (StopIteration, ValueError):
                raise _tampered() from None
            if not isinstance(manifest, dict):
                raise _tampered()
            with plain.open("wb") as out:
                for data in records:
                    out.write(data)
        engine = str(header.get("engine"))
        if engine != connection.vendor or manifest.get("engine") != engine:
            raise refuse(
                "backup_engine_mismatch",
                f"备份来自 {engine} 数据库，不能恢复到 {connection.vendor}",
                f"the backup is of a {engine} database; it cannot go into {connection.vendor}",
                "input",
            )
        if _existing_tables():
            raise refuse(
                "restore_target_not_empty",
                "目标数据库不是空的：只能恢复到新建的空数据库，现有数据不会被覆盖",
                "the target database is not empty: a backup is restored only into a new, "
                "empty database; nothing was overwritten",
                "database",
            )
        if engine == "sqlite":
            _restore_sqlite(plain)
        else:
            _restore_postgresql(plain)
    return _check(manifest)


def _restore_sqlite(plain: Path) -> None:
    copy = sqlite3.connect(plain)
    try:
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise _tampered()
        connection.ensure_connection()
        copy.backup(connection.connection)
    finally:
        copy.close()


def _restore_postgresql(plain: Path) -> None:
    args, env = _pg_arguments()
    with connection.cursor() as cursor:
        binary = _pg_binary(cursor, "pg_restore")
    connection.close()  # pg_restore works in its own session
    command = [
        binary,
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        *args,
        str(plain),
    ]
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    if done.returncode != 0:
        raise _tool_failed("pg_restore", done.stderr)


def _check(manifest: dict[str, Any]) -> RestoreResult:
    expected: dict[str, int] = manifest.get("tables", {})
    with connection.cursor() as cursor:
        found = _count_tables(cursor, list(expected), lambda t: connection.ops.quote_name(t))
    verification = audit.verify_chain()
    head = manifest.get("audit", {})
    chain_matches = (
        verification.ok
        and verification.entries == head.get("entries")
        and (
            not head.get("entries")
            or (verification.last_id, verification.head_hash)
            == (head["last_id"], head["head_hash"])
        )
    )
    if found != expected or not chain_matches:
        differing = sorted(t for t in expected if found.get(t) != expected[t])
        raise refuse(
            "restore_mismatch",
            f"恢复后的数据库与备份清单不一致（{', '.join(differing) or '审计日志'}）",
            f"the restored database differs from the backup's manifest "
            f"({', '.join(differing) or 'audit log'})",
        )
    return RestoreResult(connection.vendor, found, verification, str(manifest.get("created_at")))


__all__ = [
    "BackupResult",
    "RestoreResult",
    "backup",
    "passphrase_from_env",
    "restore",
]
