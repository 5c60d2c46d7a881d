"""Staff sessions under load.

Fast (every run): the load generator's sessions log in (a township officer answering the
TOTP step; bench accounts on a demo installation), search, open person pages, approve and
read the dashboard against the live test server, and the approvals they report answered
are those the database recorded.

Long (``./run prove``): 50 sessions for 60 seconds against gunicorn on PostgreSQL with the
demo registry (``dpf bench load``), with no error allowed. The figures of a run are in
``docs/benchmarks.md``.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from dpf.bench import staff, staffload
from dpf.bench.load import Session, run_paths, run_scenario, totp
from tests.benefits.conftest import person_with
from tests.factories import make_user
from tests.faults.support import prove_only

PASSWORD = "Correct-Horse-Battery-9"  # tests.factories.make_user's


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_session_answers_the_second_factor(live_server: Any) -> None:
    officer = make_user("township_officer", "150402001")
    device = TOTPDevice.objects.create(user=officer, name="default", confirmed=True)
    browser = Session.to(live_server.url)

    browser.login(officer.username, PASSWORD, totp_key=device.key)

    assert browser.get("/workflow/").status == 200
    assert totp("3132333435363738393031323334353637383930", 59, digits=8) == "94287082"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_paths_mode_of_dpf_bench(live_server: Any) -> None:
    """``dpf bench``'s search measurements: one account, paths sent round-robin."""
    worker = make_user("village_worker", "150402001001")
    person = person_with(level=1, household="dibao")
    paths = ["/registry/?q=zh", f"/registry/person/{person.pk}/", "POST /registry/ q=abc"]

    result = run_paths(
        live_server.url,
        paths,
        username=worker.username,
        password=PASSWORD,
        concurrency=1,
        requests=6,
        max_seconds=30,
    )

    assert result["requests"] == 6
    assert result["errors"] == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database refuses writers of other threads while one "
    "writes (shared cache: 'table is locked'); a SQLite file in WAL mode waits instead",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_sessions_report_what_the_database_recorded(live_server: Any, settings: Any) -> None:
    settings.DPF_DEMO = True  # bench accounts are demo accounts, as in the benchmark
    for level in (1, 2, 3, 4, 1, 2, 3):
        person_with(level=level, household="dibao", village="150402001001")
    for level in (1, 2):
        person_with(level=level, household="dibao", village="150404002001")

    scenario = staff.step_staff(sessions=4, per_officer=3)
    result = run_scenario(live_server.url, scenario, seconds=3, min_rounds=1)
    check = staff.step_load_check()

    assert result["login_failures"] == 0, result["error_kinds"]
    assert result["errors"] == 0, result["error_kinds"]
    assert {"search by name", "person page", "approval"} <= set(result["kinds"])
    answered = result["kinds"]["approval"]["requests"]
    assert 0 < answered <= 2 * scenario["applications_waiting"]
    assert check["approvals_recorded"] == answered
    assert check["audit_chain_intact"]
    assert staffload.failures({**result, **check, "approvals_answered": answered}) == []


@pytest.mark.parametrize("sessions", [pytest.param(50, marks=prove_only)])
def test_fifty_staff_sessions_for_a_minute_without_an_error(sessions: int, tmp_path) -> None:
    result = staffload.measure_staff_load(
        persons=int(os.environ.get("DPF_PROVE_PERSONS", "20000")),
        sessions=sessions,
        seconds=60,
        workers=5,
        as_of=dt.date(2025, 12, 31),
        log=print,
        server_log=tmp_path / "gunicorn.log",
    )
    print(staffload.render_markdown(result, command="pytest", started=dt.datetime.now(dt.UTC)))
    assert staffload.failures(result) == []
    assert result["requests"] > sessions  # every session did work
