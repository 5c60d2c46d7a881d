"""The database drops the production server's connections (PostgreSQL restarted, a failover,
an administrator ending sessions): the request in flight fails cleanly and writes nothing,
the next one succeeds, and the approval can simply be sent again.

gunicorn (one worker, so each request lands on the same process and its persistent
connection, ``CONN_MAX_AGE``) serves the test database. The server ends the worker's
session with ``pg_terminate_backend``: what a fast restart (``pg_ctl restart -m fast``) does
to every session, without stopping the test's own server. ``tests/faults/test_restart.py``
restarts a real server (``./run prove``).
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from dpf.bench.load import Response, Session
from dpf.bench.suite import Server
from dpf.core import audit
from dpf.workflow import services
from dpf.workflow.models import ApplicationItem, Transition
from tests.benefits.conftest import person_with
from tests.factories import make_user
from tests.faults.support import Outside

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a PostgreSQL server ends the sessions"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DAY = dt.date(2025, 9, 1)
AUDIT_CHAIN_LOCK = 0x44504641  # dpf.core.audit._LOCK_KEY: every audited write takes it


def _terminate(outside: Outside, *, waiting_on_lock: bool = False) -> int:
    """End the server's database sessions; returns how many were ended."""
    condition = "AND wait_event_type = 'Lock'" if waiting_on_lock else ""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "  # noqa: S608
            f"WHERE application_name = %s {condition}",
            [outside.app_name],
        )
        return int(cur.fetchone()[0])


def _wait_until_blocked(outside: Outside) -> None:
    import time

    deadline = time.monotonic() + 30
    while True:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                "AND wait_event_type = 'Lock'",
                [outside.app_name],
            )
            if cur.fetchone()[0]:
                return
        assert time.monotonic() < deadline, "the request never reached the audit chain"
        time.sleep(0.05)


def _browser(server: Server, user: Any) -> Session:
    """A browser holding ``user``'s session (made by the test client in the database)."""
    client = Client()
    client.force_login(user)
    browser = Session.to(server.base, timeout=60)
    browser.cookies["sessionid"] = client.cookies["sessionid"].value
    return browser


def test_sessions_ended_between_and_during_requests(outside: Outside, tmp_path: Path) -> None:
    worker = make_user("village_worker", "150402001001")
    officer = make_user("township_officer", "150402001")
    person = person_with(level=1, household="dibao")
    application = services.application_submit(
        actor=worker,
        person=person,
        benefit_codes=["living_allowance"],
        applicant_kind="worker",
        channel="window",
        now=dt.datetime(2025, 9, 1, 10, tzinfo=dt.UTC),
        today=DAY,
    )
    item = ApplicationItem.objects.get(application=application)
    step = item.step_code
    page = f"/workflow/applications/{application.pk}/"
    decide = f"/workflow/items/{item.pk}/decide/"
    form = {f"i{item.pk}-expected_step": step, f"i{item.pk}-decision": "advance"}
    log = tmp_path / "gunicorn.log"

    with Server(outside.env(), workers=1, log=log) as server:
        browser = _browser(server, officer)
        assert browser.get(page).status == 200  # the worker now holds a connection

        # Between requests: the idle connection is ended under the worker.
        assert _terminate(outside) == 1
        assert browser.get(page).status == 200

        # During a request: the approval has written its transition and waits for the
        # audit chain (held here) when its session is ended.
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", [AUDIT_CHAIN_LOCK])
        answer: list[Response] = []
        sending = threading.Thread(target=lambda: answer.append(browser.post(decide, form)))
        try:
            sending.start()
            _wait_until_blocked(outside)
            assert _terminate(outside, waiting_on_lock=True) == 1
            sending.join(timeout=60)
        finally:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", [AUDIT_CHAIN_LOCK])
        failed = answer[0]
        assert failed.status == 500
        assert person.name not in failed.body
        assert person.id_number not in failed.body
        item.refresh_from_db()
        assert item.step_code == step  # nothing of the approval was kept
        assert not Transition.objects.filter(item=item, from_step=step).exists()
        assert audit.verify() is None

        # The officer sends it again: it goes through, once.
        retried = browser.post(decide, form)
        assert retried.status == 302
        assert browser.get(page).status == 200

    item.refresh_from_db()
    assert item.step_code != step
    assert Transition.objects.filter(item=item, from_step=step).count() == 1
    assert audit.verify() is None
    server_log = log.read_text(encoding="utf-8", errors="replace")
    assert person.id_number not in server_log
    assert person.name not in server_log
