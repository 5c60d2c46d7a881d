"""``dpf backup`` and ``dpf restore``: an encrypted copy restored into a fresh database holds
every table row for row and the same audit chain; a tampered, cut or wrongly unlocked file
and a non-empty target are refused with nothing written."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dpf.core import audit
from dpf.core.backup import MAGIC
from dpf.registry import services
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple 2026"


@pytest.fixture
def passphrase(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DPF_BACKUP_PASSPHRASE", PASSPHRASE)
    return PASSPHRASE


@pytest.fixture
def registry() -> dict[str, Any]:
    """Data written through the services (each write audited)."""
    officer = make_user("county_officer", "150402")
    people = [
        make_person(actor=officer, name=name, phone=f"1390476{n:04d}")
        for n, name in enumerate(["张海明", "巴特尔", "李秀兰"])
    ]
    services.certificate_issue(
        actor=officer, person=people[0], category=4, level=3, issue_date=dt.date(2021, 1, 1)
    )
    return {"officer": officer, "people": people}


def _url(name: str) -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    auth = str(db["USER"]) + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{name}"


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """A new, empty database beside the test database: a SQLite file or a PostgreSQL
    database; yields what the restore's process gets as DATABASE_URL."""
    if connection.vendor == "sqlite":
        yield _url(str(tmp_path / "restored.sqlite3"))
        return
    name = f"dpf_restore_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _url(name)
    finally:
        with connection.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _dpf(*args: str, database_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DPF_BACKUP_PASSPHRASE": PASSPHRASE,
        "DPF_AUDIT_CHECKPOINTS": str(tmp_path / "restored-checkpoints.log"),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _source_tables() -> dict[str, list[tuple[Any, ...]]]:
    if connection.vendor == "postgresql":
        # Read both sides the same way (Django's cursor returns JSON as text).
        return _target_tables(_url(str(connection.settings_dict["NAME"])))
    with connection.cursor() as cur:
        names = connection.introspection.table_names(cur)
        return {name: _rows(cur, connection.ops.quote_name(name)) for name in names}


def _rows(cursor: Any, quoted: str) -> list[tuple[Any, ...]]:
    cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - catalogue names
    rows = [tuple(row) for row in cursor.fetchall()]
    return sorted(rows, key=repr)


def _target_tables(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    if connection.vendor == "sqlite":
        path = database_url.removeprefix("sqlite:///")
        # Django's converters are registered on the module: read with the same ones.
        target = sqlite3.connect(
            path, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES
        )
        try:
            cur = target.cursor()
            cur.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
            names = [row[0] for row in cur.fetchall()]
            return {name: _rows(cur, '"' + name + '"') for name in names}
        finally:
            target.close()
    import psycopg

    with psycopg.connect(database_url) as pg, pg.cursor() as pg_cur:
        pg_cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        names = [row[0] for row in pg_cur.fetchall()]
        return {name: _rows(pg_cur, '"' + name + '"') for name in names}


def test_a_backup_restored_into_a_fresh_database_holds_every_row_and_the_audit_chain(
    registry, passphrase, fresh_database, tmp_path
):
    backup_file = tmp_path / "dpf.backup"
    call_command("backup", "--output", str(backup_file))
    data = backup_file.read_bytes()
    assert data.startswith(MAGIC)
    # Encrypted: neither the database's own format nor any name stored in clear shows.
    assert b"SQLite format 3" not in data
    assert b"PGDMP" not in data
    for person in registry["people"]:
        assert person.name.encode() not in data
        assert person.name.encode("utf-16-le") not in data
    source = _source_tables()
    chain = audit.verify_chain()
    assert chain.ok
    assert chain.entries >= 5

    restored = _dpf(
        "restore", "--input", str(backup_file), database_url=fresh_database, tmp_path=tmp_path
    )
    assert restored.returncode == 0, restored.stderr
    assert f"audit chain OK {chain.entries} entries, head {chain.head_hash}" in restored.stdout

    target = _target_tables(fresh_database)
    assert set(target) == set(source)
    assert {t: len(rows) for t, rows in target.items()} == {t: len(r) for t, r in source.items()}
    for table, rows in source.items():
        assert target[table] == rows, table
    assert len(source["registry_person"]) == 3

    verified = _dpf("audit", "verify", database_url=fresh_database, tmp_path=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith(f"OK {chain.entries} entries, head {chain.head_hash}")

    # A second restore into the now filled database is refused and changes nothing.
    again = _dpf(
        "restore", "--input", str(backup_file), database_url=fresh_database, tmp_path=tmp_path
    )
    assert again.returncode != 0
    assert "目标数据库不是空的" in again.stderr
    assert "not empty" in again.stderr
    assert _target_tables(fresh_database) == target


def _damaged(data: bytes, how: str) -> bytes:
    if how == "byte_flipped":
        middle = len(data) // 2
        return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]
    if how == "cut_short":
        return data[:-20]
    if how == "extended":
        return data + data[-40:]
    if how == "header_edited":
        return data.replace(b'"engine": "', b'"engine":  "', 1)
    raise AssertionError(how)


DAMAGES = ["byte_flipped", "cut_short", "extended", "header_edited"]


def test_a_tampered_backup_is_refused_and_nothing_is_written(
    registry, passphrase, fresh_database, tmp_path
):
    backup_file = tmp_path / "dpf.backup"
    call_command("backup", "--output", str(backup_file))
    before = _source_tables()
    for how in DAMAGES:
        bad = tmp_path / f"{how}.backup"
        bad.write_bytes(_damaged(backup_file.read_bytes(), how))
        # The file is authenticated before the target is even looked at ...
        with pytest.raises(CommandError, match="备份文件已被改动") as refused:
            call_command("restore", "--input", str(bad))
        assert "nothing was restored" in str(refused.value), how
    assert _source_tables() == before
    # ... so an empty database stays empty.
    bad = tmp_path / "byte_flipped.backup"
    done = _dpf("restore", "--input", str(bad), database_url=fresh_database, tmp_path=tmp_path)
    assert done.returncode != 0
    assert "nothing was restored" in done.stderr
    assert _target_tables(fresh_database) == {}


def test_wrong_or_missing_passphrase_and_other_refusals(
    registry, passphrase, tmp_path, monkeypatch
):
    backup_file = tmp_path / "dpf.backup"
    call_command("backup", "--output", str(backup_file))
    before = _source_tables()
    monkeypatch.setenv("DPF_BACKUP_PASSPHRASE", "another passphrase of length")
    with pytest.raises(CommandError, match="passphrase is wrong"):
        call_command("restore", "--input", str(backup_file))
    monkeypatch.setenv("DPF_BACKUP_PASSPHRASE", PASSPHRASE)
    # The right passphrase, but this database is not empty: refused, untouched.
    with pytest.raises(CommandError, match=r"目标数据库不是空的.*not empty"):
        call_command("restore", "--input", str(backup_file))
    assert _source_tables() == before
    with pytest.raises(CommandError, match="not overwritten"):
        call_command("backup", "--output", str(backup_file))  # never over an existing file
    monkeypatch.setenv("DPF_BACKUP_PASSPHRASE", "short")
    with pytest.raises(CommandError, match="at least 16 characters"):
        call_command("backup", "--output", str(tmp_path / "other.backup"))
    monkeypatch.delenv("DPF_BACKUP_PASSPHRASE")
    with pytest.raises(CommandError, match="DPF_BACKUP_PASSPHRASE"):
        call_command("backup", "--output", str(tmp_path / "other.backup"))
    assert not (tmp_path / "other.backup").exists()
    not_a_backup = tmp_path / "roster.xlsx"
    not_a_backup.write_bytes(b"PK\x03\x04 something else")
    monkeypatch.setenv("DPF_BACKUP_PASSPHRASE", PASSPHRASE)
    with pytest.raises(CommandError, match="not a backup file"):
        call_command("restore", "--input", str(not_a_backup))
