"""The nightly backup as a schedule of the job system (issue 22 part 2; docs/deploy.md §5):
a new whole file a night under DPF_BACKUP_DIR, the keeping rule applied, a failure shown
rather than silent, and a run killed half-way leaving nothing that looks like a backup."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dpf.core.backup import MAGIC, prune_backups
from dpf.jobs.models import Job, JobStatus, Schedule
from dpf.jobs.services import job_start

# The backup reads what is committed (SQLite's backup API on its own connection, pg_dump in
# its own session): these tests commit, as tests/core/test_backup.py does.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LOCAL = ZoneInfo("Asia/Shanghai")
NIGHT = dt.datetime(2026, 3, 2, 0, 45, 7, tzinfo=LOCAL)


def _touch(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(b"x")
    return path


def test_the_backup_is_a_nightly_schedule() -> None:
    schedule = Schedule.objects.get(kind="core.backup")
    assert schedule.cadence == "daily"
    assert schedule.time_of_day == dt.time(0, 45)
    assert schedule.enabled


def test_a_run_writes_one_whole_encrypted_file_and_deletes_what_a_killed_run_left(
    settings, monkeypatch, tmp_path, time_machine
) -> None:
    time_machine.move_to(NIGHT, tick=False)
    monkeypatch.setenv("DPF_BACKUP_PASSPHRASE", "correct horse battery staple 2026")
    settings.DPF_BACKUP_DIR = tmp_path
    killed = _touch(tmp_path, "dpf-20260301-004501.backup.part")  # last night's, killed

    job, _ = job_start(actor=None, kind="core.backup", key="t")

    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    written = tmp_path / "dpf-20260302-004507.backup"
    assert written.read_bytes().startswith(MAGIC)
    assert job.result.startswith("dpf-20260302-004507.backup: ")
    assert not killed.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [written.name]

    # Run again after a crash (the job left "running"): a second whole file, not a half one.
    time_machine.move_to(NIGHT + dt.timedelta(seconds=30), tick=False)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, finished_at=None)
    from dpf.jobs import runner

    runner.run_job(job.pk, today=NIGHT.date())
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [written.name, "dpf-20260302-004537.backup"]


def test_without_a_passphrase_the_run_fails_where_the_city_admin_sees_it(
    settings, monkeypatch, tmp_path
) -> None:
    monkeypatch.delenv("DPF_BACKUP_PASSPHRASE", raising=False)
    settings.DPF_BACKUP_DIR = tmp_path
    schedule = Schedule.objects.get(kind="core.backup")

    job, _ = job_start(actor=None, kind="core.backup", key="t", schedule=schedule)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "DPF_BACKUP_PASSPHRASE" in job.error
    assert list(tmp_path.iterdir()) == []
    from dpf.jobs.selectors import failed_schedules

    assert schedule in failed_schedules()


def test_the_keeping_rule_keeps_thirty_days_and_each_of_twelve_months_last_file(
    tmp_path,
) -> None:
    names = [
        "dpf-20241231-004500.backup",  # two years ago
        "dpf-20251128-004500.backup",  # month-ends older than twelve months
        "dpf-20251231-004500.backup",
        "dpf-20260115-004500.backup",  # January: the 31st is its last
        "dpf-20260131-004500.backup",
        "dpf-20260930-004500.backup",
        "dpf-20261001-004500.backup",  # October: not its last, outside 30 days
        "dpf-20261031-004500.backup",
        "dpf-20261106-004500.backup",  # 31 days before 12-06: outside
        "dpf-20261107-004500.backup",  # 30 days including today: inside
        "dpf-20261120-004500.backup",
        "dpf-20261206-004500.backup",
        "dpf-20261206-004500.backup.part",  # a killed run
        "notes.txt",  # not a backup: never touched
    ]
    for name in names:
        _touch(tmp_path, name)

    deleted = prune_backups(
        folder=tmp_path, today=dt.date(2026, 12, 6), keep_days=30, keep_months=12
    )

    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == [
        "dpf-20260131-004500.backup",
        "dpf-20260930-004500.backup",
        "dpf-20261031-004500.backup",
        "dpf-20261107-004500.backup",
        "dpf-20261120-004500.backup",
        "dpf-20261206-004500.backup",
        "notes.txt",
    ]
    assert sorted(p.name for p in deleted) == sorted(set(names) - set(kept))
