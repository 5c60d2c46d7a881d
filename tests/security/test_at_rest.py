"""No ID number, phone or address in clear in the SQLite file, a ``pg_dump`` or a COPY of
every table (after registering people, and after ``dpf demo generate``)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from dpf.registry import services
from dpf.registry.models import Person
from tests.factories import ensure_test_regions, make_person

# Committed data (the SQLite copy reads the committed database); the rows the migrations
# ship (regions, plans) are restored after each test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _register(n: int) -> list[Person]:
    ensure_test_regions()
    people = []
    for i in range(n):
        household = services.household_create(
            actor=None, village_code="150402001002", address=f"红山区昭乌达路{100 + i}号{i}单元"
        )
        people.append(
            make_person(
                name=f"明文检查{i}",
                village_code="150402001002",
                phone=f"1390471{i:04d}",
                household=household,
            )
        )
        services.certificate_issue(
            actor=None,
            person=people[-1],
            category=4,
            level=2,
            issue_date=people[-1].birth_date.replace(year=2020),
        )
    return people


def _secrets(people: list[Person]) -> list[str]:
    values = []
    for p in Person.objects.filter(pk__in=[p.pk for p in people]).select_related("household"):
        values += [p.id_number, p.phone, p.household.address if p.household else ""]
        values += [c.number for c in p.certificates.all()]
    assert all(values)
    assert len(values) == 4 * len(people)
    return values


def _pg_dump_binary() -> str:
    """``pg_dump`` of the server's major version (Debian's wrapper as a fallback)."""
    with connection.cursor() as cur:
        cur.execute("SHOW server_version_num")
        major = int(cur.fetchone()[0]) // 10000
    exact = Path(f"/usr/lib/postgresql/{major}/bin/pg_dump")
    found = str(exact) if exact.is_file() else shutil.which("pg_dump")
    assert found, "pg_dump not found: install the PostgreSQL client"
    return found


def _pg_dump() -> bytes:
    """A plain-text ``pg_dump`` of the test database (what an operator's backup holds)."""
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    command = [_pg_dump_binary(), "--no-owner", "--format=plain", "--dbname", str(db["NAME"])]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command += [flag, str(db[key])]
    done = subprocess.run(command, env=env, capture_output=True, check=True, timeout=300)
    assert b"CREATE TABLE" in done.stdout
    assert b"registry_person" in done.stdout
    return done.stdout


def _dumps(tmp_path: Path) -> dict[str, bytes]:
    """The database as an attacker with a copy would see it: the SQLite file; on PostgreSQL
    a ``pg_dump`` and a ``COPY … TO STDOUT`` of every table."""
    if connection.vendor == "sqlite":
        return {"sqlite file": _database_bytes(tmp_path)}
    return {"pg_dump": _pg_dump(), "COPY": _database_bytes(tmp_path)}


def _database_bytes(tmp_path: Path) -> bytes:
    """Every byte the database holds: the SQLite file, or COPY of every table on PostgreSQL."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(tmp_path / "copy.sqlite3")
        connection.connection.backup(target)
        target.close()
        data = (tmp_path / "copy.sqlite3").read_bytes()
        name = connection.settings_dict["NAME"]
        if isinstance(name, str) and Path(name).is_file():
            data += Path(name).read_bytes()  # the real file too, when the test DB is a file
        return data
    chunks = []
    with connection.cursor() as cur:
        tables = connection.introspection.table_names(cur)
        raw = cur.cursor
        for table in tables:
            with raw.copy(f'COPY "{table}" TO STDOUT') as copy:
                for block in copy:
                    chunks.append(bytes(block))
    return b"".join(chunks)


def test_no_personal_value_in_clear_at_rest(tmp_path):
    people = _register(4)
    for kind, dump in _dumps(tmp_path).items():
        # The dump really holds the records: names are stored in clear by design.
        assert "明文检查0".encode() in dump, kind
        for value in _secrets(people):
            for encoded in {value.encode("utf-8"), value.encode("utf-16-le")}:
                assert encoded not in dump, f"personal value stored in clear ({kind})"
        # Partial matches of an ID number: birth date + sequence, the last eight characters.
        for p in people:
            assert p.id_number[-8:].encode() not in dump, kind


def test_no_personal_value_in_clear_after_demo_generate(tmp_path):
    from django.core.management import call_command

    call_command("demo", "generate", "--persons", "40", "--seed", "7")
    people = list(Person.objects.select_related("household").prefetch_related("certificates"))
    assert len(people) >= 40
    values = {p.id_number for p in people}
    values |= {p.phone for p in people if p.phone}
    values |= {p.household.address for p in people if p.household and p.household.address}
    values |= {c.number for p in people for c in p.certificates.all()}
    assert len(values) > 2 * len(people)
    for kind, dump in _dumps(tmp_path).items():
        assert people[0].name.encode() in dump, kind
        in_clear = [v for v in values if v.encode("utf-8") in dump]
        assert in_clear == [], f"{len(in_clear)} personal values stored in clear ({kind})"
