"""The monthly audit retention job (core.audit_retention): entries older than
DPF_AUDIT_KEEP_DAYS go, never younger than six months, the chain still verifies, and a
run again after a crash deletes nothing more (issue 22 part 2)."""

from __future__ import annotations

import pytest

from dpf.core import audit
from dpf.core.models import AuditAnchor, AuditEntry
from dpf.jobs import runner
from dpf.jobs.models import Job, JobStatus, Schedule
from dpf.jobs.services import job_start
from tests.core.test_audit import _backdate, _entries

pytestmark = pytest.mark.django_db


def test_entries_past_the_keep_period_are_pruned_once_and_the_chain_holds(settings) -> None:
    settings.DPF_AUDIT_KEEP_DAYS = 365
    schedule = Schedule.objects.get(kind="core.audit_retention")
    assert schedule.cadence == "monthly"
    old, kept = _entries(3), _entries(2)
    _backdate(400, [e.id for e in old])
    _backdate(300, [e.id for e in kept])  # past six months, inside the keep period

    job, _ = job_start(actor=None, kind="core.audit_retention", key="t", schedule=schedule)

    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.result.startswith("3 audit entries")
    assert "kept 365 days" in job.result
    assert not AuditEntry.objects.filter(id__in=[e.id for e in old]).exists()
    assert AuditEntry.objects.filter(id__in=[e.id for e in kept]).count() == 2
    assert audit.verify() is None
    assert AuditAnchor.objects.count() == 1
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, finished_at=None)
    runner.run_job(job.pk)
    job.refresh_from_db()
    assert job.result.startswith("0 audit entries")
    assert AuditEntry.objects.filter(id__in=[e.id for e in kept]).count() == 2
    assert audit.verify() is None


def test_a_keep_period_under_six_months_still_keeps_six_months(settings) -> None:
    settings.DPF_AUDIT_KEEP_DAYS = 30
    recent = _entries(2)
    _backdate(100, [e.id for e in recent])

    job, _ = job_start(actor=None, kind="core.audit_retention", key="t")

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert "kept 183 days" in job.result
    assert AuditEntry.objects.filter(id__in=[e.id for e in recent]).count() == 2
