"""Real ``dpf worker`` processes (django-q2's cluster: a parent and its forked children)
against the test database, stopped or killed as a whole process group."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from dpf.jobs.models import Job

# A job taken by a worker that died is taken again this many seconds later (> the timeout).
FAST = {"DPF_JOB_TIMEOUT": "20", "DPF_JOB_RETRY": "21", "DPF_JOB_POLL": "0.2", "DPF_WORKERS": "1"}


class Worker:
    def __init__(
        self,
        outside: Any,
        *,
        pause: str | None = None,
        nth: int = 1,
        env: dict[str, str] | None = None,
    ) -> None:
        self.outside = outside
        self.marker = outside.folder / f"worker-{uuid.uuid4().hex[:8]}"
        self.log = Path(f"{self.marker}.log")
        pausing = ["--pause", str(pause), "--nth", str(nth), "--marker", str(self.marker)]
        command = [
            sys.executable,
            "-m",
            "tests.faults.child",
            *(pausing if pause else []),
            "dpf",
            "--",
            "worker",
        ]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                command,
                env=outside.env(**(FAST | (env or {}))),
                cwd=settings.BASE_DIR,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: the forked children go with it
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_paused(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not self.marker.exists():
            assert self.process.poll() is None, f"the worker ended: {self.output()}"
            assert time.monotonic() < deadline, f"the worker never paused: {self.output()}"
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the parent and every child at once (a power cut, the OOM killer)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, as systemd or Ctrl-C stops it; SIGKILL if it has not gone in 30 s."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        # Children left by a parent that went first.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def job_outside(outside: Any, job_id: int) -> tuple[str, int] | None:
    """(status, attempts) of a job as the worker left it (SQLite: in the shared file)."""
    if outside.postgresql:
        return Job.objects.filter(pk=job_id).values_list("status", "attempts").first()
    try:
        with sqlite3.connect(f"file:{outside.sqlite_file}?mode=ro", uri=True, timeout=20) as db:
            row = db.execute(
                "SELECT status, attempts FROM jobs_job WHERE id = ?", [job_id]
            ).fetchone()
    except sqlite3.OperationalError:
        return None  # locked for a moment by a writer
    return (row[0], row[1]) if row else None


def wait_for_job(
    outside: Any, job_id: int, status: str, worker: Worker, timeout: float = 180
) -> tuple[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        seen = job_outside(outside, job_id)
        if seen is not None and seen[0] == status:
            return seen
        assert worker.process.poll() is None, f"the worker ended: {worker.output()}"
        assert time.monotonic() < deadline, f"job {job_id} is {seen}: {worker.output()}"
        time.sleep(0.2)


def wait_for_result_saved(outside: Any, worker: Worker, timeout: float = 60) -> None:
    """Until django-q2's monitor has saved the task's result (it acknowledges right after)."""
    deadline = time.monotonic() + timeout
    sql = "SELECT count(*) FROM django_q_task WHERE func = 'dpf.jobs.runner.run_job'"
    while True:
        if outside.postgresql:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                saved = cursor.fetchone()[0]
        else:
            try:
                with sqlite3.connect(f"file:{outside.sqlite_file}?mode=ro", uri=True) as db:
                    saved = db.execute(sql).fetchone()[0]
            except sqlite3.OperationalError:
                saved = 0
        if saved:
            time.sleep(0.5)  # the acknowledgement follows the save
            return
        assert time.monotonic() < deadline, f"no result saved: {worker.output()}"
        time.sleep(0.2)
