"""PostgreSQL really restarted (``pg_ctl restart -m fast``) under the production server:
between requests, and while an approval waits inside its transaction. The request in
flight answers a clean 500 and writes nothing; every later request succeeds; the approval
sent again goes through once; the audit chain verifies.

A server of its own (``dpf.bench.pgserver``), since the test database's server cannot be
restarted under the test session. Long (a migration and a small demo registry): run by
``./run prove``. The fast equivalent, sessions ended with ``pg_terminate_backend``, is
``test_connection_loss.py``.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import psycopg

from dpf.bench import runner
from dpf.bench.load import Response, Session
from dpf.bench.pgserver import throwaway_server
from dpf.bench.suite import Server
from tests.faults.support import prove_only

pytestmark = prove_only

AUDIT_CHAIN_LOCK = 0x44504641  # dpf.core.audit._LOCK_KEY
APP_NAME = "dpf-restart-gunicorn"


def _one(url: str, sql: str, params: list[Any]) -> Any:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql, params).fetchone()
        return row[0] if row else None


def _blocked(url: str) -> None:
    deadline = time.monotonic() + 30
    while not _one(
        url,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
        "AND wait_event_type = 'Lock'",
        [APP_NAME],
    ):
        assert time.monotonic() < deadline, "the approval never reached the audit chain"
        time.sleep(0.05)


def test_postgresql_restarted_between_and_during_requests(tmp_path: Path) -> None:
    with throwaway_server(tuned=False) as pg:
        env = {"DATABASE_URL": pg.url, "DPF_DEMO": "1", "DPF_DATA_DIR": str(tmp_path / "data")}
        runner.run_child(["migrate", "--no-input", "-v0"], env)
        runner.run_child(["demo", "generate", "--persons", "300", "--seed", "1"], env)
        scenario = runner.run_child(["bench", "step", "staff", "--sessions", "4"], env).output
        officer = next(s for s in scenario["sessions"] if s["role"] == "township_officer")
        page = next(r for r in officer["requests"] if r["kind"] == "application page")
        approval = next(r for r in officer["requests"] if r["kind"] == "approval")
        item_id = int(approval["path"].split("/")[3])
        transitions = "SELECT count(*) FROM workflow_transition WHERE item_id = %s"
        log = tmp_path / "gunicorn.log"

        with Server({**env, "PGAPPNAME": APP_NAME}, workers=1, log=log) as server:
            browser = Session.to(server.base, timeout=60)
            browser.login(officer["username"], scenario["password"])
            assert browser.get(page["path"]).status == 200
            before = _one(pg.url, transitions, [item_id])

            pg.restart()  # between requests
            assert browser.get(page["path"]).status == 200

            holder = psycopg.connect(pg.url, autocommit=True)
            holder.execute("SELECT pg_advisory_lock(%s)", [AUDIT_CHAIN_LOCK])
            answer: list[Response] = []
            sending = threading.Thread(
                target=lambda: answer.append(browser.post(approval["path"], approval["form"]))
            )
            sending.start()
            try:
                _blocked(pg.url)
                pg.restart()  # during the approval: its session and the holder's end
                sending.join(timeout=60)
            finally:
                holder.close()
            assert answer
            assert answer[0].status == 500
            assert "Traceback" not in answer[0].body
            assert _one(pg.url, transitions, [item_id]) == before  # nothing kept

            retried = browser.post(approval["path"], approval["form"])
            assert retried.status == 302
            assert browser.get(page["path"]).status == 200
        assert _one(pg.url, transitions, [item_id]) == before + 1
        verify = runner.run_child(["audit", "verify"], env)
        assert verify.returncode == 0
