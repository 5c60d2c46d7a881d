"""Background validation of staged rosters: one detached ``dpf exchange validate <batch>``
process per upload, until a job library arrives (issue 22).

``run_validation`` is what that process runs; it can be run again on the same batch at
any time (after a crash, or by hand) and gives the same result. ``DPF_IMPORT_WORKER``
says how a validation starts: ``process`` (default) spawns the command, ``manual`` leaves
the batch waiting for it (an operator, a timer, or a test runs it).
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dpf.core.errors import NotFound
from dpf.exchange.models import ImportBatch
from dpf.exchange.validation import Progress, batch_validate

log = logging.getLogger(__name__)
WORKERS = ("process", "manual")


def run_validation(
    batch_id: int, *, on_progress: Progress | None = None, today: dt.date | None = None
) -> ImportBatch:
    """Validate one staged batch in this process (the background process's entry point)."""
    batch = ImportBatch.objects.select_related("uploaded_by").filter(pk=batch_id).first()
    if batch is None:
        raise NotFound("import_batch")
    return batch_validate(batch, on_progress=on_progress, today=today)


def launch_validation(batch_id: int) -> None:
    """Start validating ``batch_id`` outside the request, detached from it."""
    worker = getattr(settings, "DPF_IMPORT_WORKER", "process")
    if worker not in WORKERS:
        raise ImproperlyConfigured(f"DPF_IMPORT_WORKER must be one of {', '.join(WORKERS)}")
    if worker == "manual":
        return
    try:
        subprocess.Popen(
            [sys.executable, "-m", "dpf.cli", "exchange", "validate", str(int(batch_id))],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            cwd=str(settings.BASE_DIR),
        )
    except OSError:
        # The batch stays waiting; its page offers "validate again" once it is stalled.
        log.exception("could not start the validation of import batch %s", batch_id)
