"""Running the platform's jobs in other processes against the test database, and killing them.

``Outside`` gives a child process the test database and the test's key ring:

- on PostgreSQL the child connects to the test database itself (a transactional test
  commits what it builds, so the child sees it);
- on SQLite the test database lives in this process's memory, so before each child it is
  copied into a file with SQLite's online backup (``push``), the child works on the file
  (WAL journal, as in production), and the file is copied back once the child is gone
  (``pull``): a file left by a
  killed process is opened as any crash leaves it, so SQLite's own recovery is under test.

The key ring is written to a fresh data folder (``secrets.json``), never the checkout's
``data/``: a key rotation in a child must not touch the developer's keys.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

# The long runs (the whole fault matrix, a real PostgreSQL restart, the load) run only when
# asked: ``./run prove`` sets DPF_PROVE=1.
prove_only = [
    pytest.mark.prove,
    pytest.mark.skipif(
        os.environ.get("DPF_PROVE") != "1", reason="long run: DPF_PROVE=1 (./run prove)"
    ),
]

KEY_ENVIRONMENT = ("DPF_SECRET_KEY", "DPF_FIELD_KEYS", "DPF_FIELD_KEY_CURRENT", "DPF_HASH_KEY")


def database_url() -> str:
    """The PostgreSQL test database as a ``DATABASE_URL``."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Outside:
    """The test database and key ring, as seen by processes the test starts."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data_dir = folder / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.sqlite_file = folder / "shared.sqlite3"
        self.app_name = f"dpf-fault-{uuid.uuid4().hex[:12]}"
        self.write_ring()

    @property
    def postgresql(self) -> bool:
        return connection.vendor == "postgresql"

    def write_ring(self) -> None:
        """The test process's current keys, as the child's secrets file."""
        secrets = {
            "secret_key": settings.SECRET_KEY,
            "field_keys": dict(settings.DPF_FIELD_KEYS),
            "field_key_current": settings.DPF_FIELD_KEY_CURRENT,
            "hash_key": settings.DPF_HASH_KEY,
        }
        path = self.data_dir / "secrets.json"
        path.write_text(json.dumps(secrets), encoding="utf-8")
        path.chmod(0o600)

    def read_ring(self) -> tuple[dict[str, str], str]:
        """The keys as a child left them (after a rotation)."""
        stored = json.loads((self.data_dir / "secrets.json").read_text(encoding="utf-8"))
        return dict(stored["field_keys"]), str(stored["field_key_current"])

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in KEY_ENVIRONMENT}
        url = database_url() if self.postgresql else f"sqlite:///{self.sqlite_file}"
        env.update(
            DATABASE_URL=url,
            DPF_DATA_DIR=str(self.data_dir),
            PGAPPNAME=self.app_name,  # libpq names the child's sessions: see ``settle``
            **extra,
        )
        return env

    def push(self) -> None:
        """SQLite: copy the in-memory test database to the file the children open."""
        if self.postgresql:
            return
        connection.ensure_connection()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.sqlite_file}{suffix}").unlink(missing_ok=True)
        target = sqlite3.connect(self.sqlite_file)
        try:
            connection.connection.backup(target)
        finally:
            target.close()

    def pull(self) -> None:
        """SQLite: replace the in-memory test database with the file as the children left it."""
        if self.postgresql:
            return
        source = sqlite3.connect(self.sqlite_file)
        try:
            source.backup(connection.connection)
        finally:
            source.close()

    def settle(self, timeout: float = 30) -> None:
        """PostgreSQL: wait until the server has ended every session of the killed child
        (its open transaction rolled back), so what the test reads next is the aftermath."""
        if not self.postgresql:
            return
        deadline = time.monotonic() + timeout
        while True:
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                    [self.app_name],
                )
                left = cur.fetchone()[0]
            if not left:
                return
            assert time.monotonic() < deadline, "the killed child's session never ended"
            time.sleep(0.05)

    def _command(self, kind: str, args: Sequence[str], pause: Sequence[str]) -> list[str]:
        return [sys.executable, "-m", "tests.faults.child", *pause, kind, "--", *args]

    def run(self, kind: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a job to its end in a child process (``kind`` is ``dpf`` or ``job``)."""
        return self.run_command(self._command(kind, args, []))

    def run_command(self, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        """Run ``command`` to its end as a child with the test database, which must succeed."""
        self.push()
        done = subprocess.run(
            command,
            env=self.env(),
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        self.pull()
        return done

    def kill_at(self, kind: str, *args: str, pause: str, nth: int = 1, when: str = "after") -> str:
        """Start the job, wait until it reaches the ``nth`` call of ``pause`` (``module:function``),
        SIGKILL it there; returns what it printed on stdout before it died."""
        marker = self.folder / f"paused-{uuid.uuid4().hex[:8]}"
        command = self._command(
            kind,
            args,
            ["--pause", pause, "--nth", str(nth), "--when", when, "--marker", str(marker)],
        )
        out_file = self.folder / f"{marker.name}.out"
        self.push()
        with out_file.open("w+") as out:
            process = subprocess.Popen(
                command,
                env=self.env(),
                cwd=settings.BASE_DIR,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
            try:
                deadline = time.monotonic() + 180
                while not marker.exists():
                    if process.poll() is not None:
                        out.seek(0)
                        raise AssertionError(f"the job ended before {pause}: {out.read()[-3000:]}")
                    assert time.monotonic() < deadline, f"the job never reached {pause}"
                    time.sleep(0.05)
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=30)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            assert process.returncode == -signal.SIGKILL
            out.seek(0)
            printed = out.read()
        self.settle()
        self.pull()
        return printed
