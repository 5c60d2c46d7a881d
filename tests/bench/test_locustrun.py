"""``dpf bench load --tool locust``: locust, in its own process, sends a scenario's requests
to a live server; the result read from its CSV files counts what the server answered, a
refused log-in and each unexpected status by kind."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.signals import request_started

from dpf.bench import locustrun
from tests.benefits.conftest import person_with
from tests.factories import make_user

PASSWORD = "Correct-Horse-Battery-9"  # tests.factories.make_user's


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_locust_counts_what_the_server_answered(live_server: Any) -> None:
    worker = make_user("village_worker", "150402001001")
    person = person_with(level=1, household="dibao", village="150402001001")
    requests = [
        {"kind": "search by name", "path": "/registry/?q=zz"},
        {"kind": "person page", "path": f"/registry/person/{person.pk}/"},
        # answered 200: an error of its kind each time
        {"kind": "expects a redirect", "path": "/registry/?q=yy", "expect": [302]},
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
        # the refused session first, the other 2.5 s later: SQLite's in-memory test database
        # refuses a writer while another thread writes ('table is locked')
        result = locustrun.run_scenario(live_server.url, scenario, seconds=5, spawn_rate=0.4)
    finally:
        request_started.disconnect(saw)

    answered = [path for path in seen if not path.startswith("/accounts/")]
    assert result["requests"] == len(answered) >= 3
    assert result["kinds"]["login"] == {**result["kinds"]["login"], "requests": 2, "errors": 1}
    assert result["login_failures"] == 1
    kinds = result["kinds"]
    assert kinds["person page"]["requests"] == answered.count(f"/registry/person/{person.pk}/")
    assert kinds["search by name"]["errors"] == kinds["person page"]["errors"] == 0
    redirects = kinds["expects a redirect"]["requests"]
    assert result["errors"] == kinds["expects a redirect"]["errors"] == redirects > 0
    # the refused log-in answers its form again (200)
    assert result["error_kinds"] == {"expects a redirect 200": redirects, "login 200": 1}
    assert result["tool_exceptions"] == 0
    assert kinds["person page"]["p50_ms"] > 0
