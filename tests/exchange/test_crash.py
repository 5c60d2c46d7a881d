"""Crash safety: a commit killed with SIGKILL inside its transaction changes nothing.

PostgreSQL only: the commit runs in a separate process (``dpf exchange commit``) against
the test database, pauses after its first bulk statement (the test hook
``DPF_TEST_COMMIT_PAUSE``), and is killed there. The in-memory SQLite test database
cannot be shared with another process.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from dpf.exchange import services
from dpf.exchange.models import BatchStatus, ImportBatch
from dpf.registry import services as registry
from dpf.registry.models import HouseholdStatus, Person
from tests.exchange.conftest import stage, xlsx_bytes
from tests.factories import make_person

D = dt.date


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _state() -> tuple[list, list]:
    return (
        list(HouseholdStatus.objects.order_by("pk").values()),
        list(Person.objects.order_by("pk").values_list("pk", "facts_mark__changed_at")),
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_commit_killed_mid_transaction_leaves_the_registry_unchanged(
    county_officer, tmp_path
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs a database another process can open (PostgreSQL)")
    switching = make_person(actor=county_officer, name="赵明")
    assert switching.household is not None
    registry.household_status_set(
        actor=county_officer,
        household=switching.household,
        status="dibao",
        valid_from=D(2020, 1, 1),
    )
    newcomers = [make_person(actor=county_officer, name=f"新人{i}") for i in range(20)]
    rows = [["身份证号码", "姓名", "类别", "起始日期"]]
    rows.append([switching.id_number, "赵明", "特困", "2024-03-01"])
    rows += [[p.id_number, p.name, "低保", "2023-01-05"] for p in newcomers]
    batch = stage(county_officer, "dibao", xlsx_bytes(rows))
    assert batch.counts["will_change"] == 21
    before = _state()

    marker = tmp_path / "in-transaction"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DPF_TEST_COMMIT_PAUSE": "120",
        "DPF_TEST_COMMIT_MARKER": str(marker),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "dpf.cli", "exchange", "commit", str(batch.pk)],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the commit never reached its first statement"
            time.sleep(0.1)
        # Inside the transaction: the open 低保 fact has been closed by the first UPDATE.
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL

    assert _state() == before
    assert HouseholdStatus.objects.get().valid_to is None
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.PREVIEWED

    # Nothing was half-written, so the same batch still commits in full.
    services.batch_commit(actor=county_officer, batch=batch)
    assert HouseholdStatus.objects.count() == 22
    assert HouseholdStatus.objects.get(status="dibao", household=switching.household).valid_to == D(
        2024, 2, 29
    )
