"""Shared fixtures. The database is whatever DATABASE_URL names: SQLite or PostgreSQL."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.db import connection
from hypothesis import settings as hypothesis_settings

from tests.factories import ensure_test_regions, make_user
from tests.lanes import pytest_runtestloop  # noqa: F401 (a hook: two processes share a database's modules)

# Property tests check results, never time: Hypothesis's default deadline (200 ms an
# example) failed examples that were only slow because the machine was busy.
hypothesis_settings.register_profile("dpf", deadline=None)
hypothesis_settings.load_profile("dpf")

# Data migrations that ship reference data (regions, calendar, plan, catalogue, procedures).
SHIPPED_DATA = [
    ("dpf.core.migrations.0003_chifeng_regions", "load"),
    ("dpf.core.migrations.0005_ship_holiday_calendar", "load"),
    ("dpf.benefits.migrations.0003_ship_catalogue", "forwards"),
    ("dpf.workflow.migrations.0002_ship_procedures", "forwards"),
    ("dpf.indicators.migrations.0002_ship_14th_plan", "load"),
    # The shipped plan is what everyone sees: published, as migration 0007 marks it.
    ("dpf.indicators.migrations.0007_plan_published", "publish_existing"),
    ("dpf.social.migrations.0003_ship_risk_rules", "forwards"),
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """PBKDF2's deliberate slowness is not under test; MD5 keeps fixtures fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _installation_language() -> None:
    """Each test starts in the installation's language: LocaleMiddleware activates a
    request's language in the test client's thread and leaves it there, so an English
    request in one test would otherwise turn the next test's labels English."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _uploads_and_roster_validation(settings, tmp_path) -> None:
    """Uploaded files go to the test's own folder, never the installation's data/uploads
    (key rotation re-encrypts every file there); a folder a module chose is kept. Roster
    validation is not started in a background process: a test runs it with
    ``dpf.exchange.jobs.run_validation`` (what that process runs), or opts in with
    ``settings.DPF_IMPORT_WORKER = "queue"`` with a real worker (tests/jobs/workers.py)."""
    from config import settings as installation

    if Path(settings.MEDIA_ROOT) == Path(installation.MEDIA_ROOT):
        settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.DPF_IMPORT_WORKER = "manual"


@pytest.fixture(autouse=True)
def _jobs_run_in_the_test(settings) -> None:
    """Jobs a page starts (a roster commit, a payment list, the scan) run in the test's
    process through django-q2's synchronous mode, the same code a worker runs; a test of
    the queue itself sets ``DPF_JOBS_RUN = "worker"`` (tests/jobs)."""
    settings.DPF_JOBS_RUN = "immediate"


@pytest.fixture(autouse=True)
def _audit_checkpoints_per_test(settings, tmp_path) -> None:
    """`dpf audit verify` appends signed checkpoints to a file outside the database: each
    test's database is new, so each test gets its own file (never data/'s)."""
    settings.DPF_AUDIT_CHECKPOINTS = tmp_path / "audit-checkpoints.log"


@pytest.fixture(autouse=True)
def _shipped_reference_data(request: pytest.FixtureRequest) -> None:
    """A transactional test may follow one whose teardown flushed the tables, and with them
    the rows the data migrations ship: put them back, whatever the order of the tests."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from dpf.core.models import Region

    if Region.objects.exists():
        return
    with connection.schema_editor(atomic=False) as editor:
        for module_name, function in SHIPPED_DATA:
            getattr(importlib.import_module(module_name), function)(django_apps, editor)


@pytest.fixture
def regions(db: None) -> None:
    ensure_test_regions()


@pytest.fixture
def city_admin(regions: None):
    return make_user("city_admin", "150400")


@pytest.fixture
def county_officer(regions: None):
    return make_user("county_officer", "150402")


@pytest.fixture
def village_worker(regions: None):
    return make_user("village_worker", "150402001001")
