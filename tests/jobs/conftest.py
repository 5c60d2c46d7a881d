from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _jobs_run_immediately(settings) -> None:
    """Jobs run in the test's process through django-q2's synchronous mode (the same worker
    code a real worker runs); tests/jobs/test_worker.py starts real workers instead."""
    settings.DPF_JOBS_RUN = "immediate"
