"""The real worker: a roster validation queued from the service runs in ``dpf worker``; a
worker killed (SIGKILL, the whole process group) mid-job leaves the job to the next worker,
which takes it again after the retry time and finishes it once, with the same rows."""

from __future__ import annotations

import pytest

from dpf.exchange import services
from dpf.exchange.models import BatchStatus, ImportBatch, ImportRow
from dpf.jobs.models import Job, JobStatus
from tests.exchange.test_background import _big_roster, rows_of, upload
from tests.jobs.workers import Worker, wait_for_job, wait_for_result_saved

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def queued(settings, tmp_path):
    from tests.faults.support import Outside

    outside = Outside(tmp_path)
    settings.MEDIA_ROOT = outside.data_dir / "uploads"
    settings.DPF_IMPORT_WORKER = "queue"
    settings.DPF_JOBS_RUN = "worker"
    return outside


def test_a_worker_killed_mid_job_leaves_it_to_the_next_which_finishes_it_once(
    queued, county_officer
) -> None:
    outside = queued
    batch = upload(county_officer, _big_roster(county_officer))
    reference = rows_of(services.batch_validate_now(batch))
    counts = ImportBatch.objects.get(pk=batch.pk).counts
    services.batch_revalidate(actor=county_officer, batch=batch)  # queues the job
    job = Job.objects.get(kind="exchange.validate")
    assert job.status == JobStatus.QUEUED

    outside.push()
    first = Worker(outside, pause="dpf.exchange.validation:_store_chunk", nth=1)
    try:
        first.wait_paused()  # the first chunk stored, the second not yet read
        first.kill()
    finally:
        first.stop()
    outside.settle()
    outside.pull()
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)
    assert ImportRow.objects.filter(batch=batch).count() == 2000  # half done

    outside.push()
    second = Worker(outside)
    try:
        assert wait_for_job(outside, job.pk, JobStatus.DONE, second) == (JobStatus.DONE, 2)
        wait_for_result_saved(outside, second)
    finally:
        second.stop()
    outside.settle()
    outside.pull()

    job.refresh_from_db()
    batch.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.attempts == 2
    assert batch.status == BatchStatus.PREVIEWED
    assert batch.counts == counts
    assert rows_of(batch) == reference  # the same rows, not two runs' worth
    from django_q.models import OrmQ, Success

    # Acknowledged: never delivered a third time (the scheduler's tick may be queued).
    assert "dpf.jobs.runner.run_job" not in [q.func() for q in OrmQ.objects.all()]
    assert Success.objects.filter(func="dpf.jobs.runner.run_job").count() == 1
