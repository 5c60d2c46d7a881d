"""``dpf bench load --tool locust``: locust, in its own process, sends a scenario's requests
to a live server for 3 s after the log-ins; the result read from its CSV files counts what
the server answered, a refused log-in and each unexpected status by kind."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.signals import request_started
from django.db import connection

from dpf.bench import locustrun
from tests.benefits.conftest import person_with
from tests.factories import make_user

PASSWORD = "Correct-Horse-Battery-9"  # tests.factories.make_user's


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_locust_counts_what_the_server_answered(live_server: Any) -> None:
    worker = make_user("village_worker", "150402001001")
    person = person_with(level=1, household="dibao", village="150402001001")
    requests = [
        # answered 200: an error of its kind each time
        {"kind": "expects a redirect", "path": "/registry/?q=yy", "expect": [302]},
        {"kind": "search by name", "path": "/registry/?q=zz"},
        {"kind": "person page", "path": f"/registry/person/{person.pk}/"},
    ]
    scenario = {
        "password": PASSWORD,
        "sessions": [
            {"username": worker.username, "password": "not-the-password", "requests": requests},
            {"username": worker.username, "requests": requests},
        ],
    }
    seen: list[str] = []

    def saw(sender: Any, environ: dict[str, Any], **kwargs: Any) -> None:
        seen.append(environ["PATH_INFO"])

    request_started.connect(saw)
    try:
        if connection.vendor == "sqlite":
            # the refused session first, the other 5 s later: SQLite's in-memory test
            # database refuses a writer while another thread writes ('table is locked')
            result = locustrun.run_scenario(live_server.url, scenario, seconds=3, spawn_rate=0.2)
        else:
            result = locustrun.run_scenario(live_server.url, scenario, seconds=3)
    finally:
        request_started.disconnect(saw)

    answered = [path for path in seen if not path.startswith("/accounts/")]
    kinds = result["kinds"]

    def sent(kind: str) -> int:
        return int(kinds.get(kind, {"requests": 0})["requests"])

    assert result["requests"] == len(answered) > 0
    assert sent("person page") == answered.count(f"/registry/person/{person.pk}/")
    assert sent("search by name") + sent("expects a redirect") == answered.count("/registry/")
    assert kinds["login"]["requests"] == 2
    assert kinds["login"]["errors"] == result["login_failures"] == 1
    redirects = sent("expects a redirect")
    assert result["errors"] == kinds["expects a redirect"]["errors"] == redirects > 0
    # the refused log-in answers its form again (200)
    assert result["error_kinds"] == {"expects a redirect 200": redirects, "login 200": 1}
    assert result["tool_exceptions"] == 0
    assert kinds["expects a redirect"]["p50_ms"] > 0
