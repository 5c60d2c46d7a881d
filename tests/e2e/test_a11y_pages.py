"""axe-core on every page the URL resolver lists, in the three display modes.

Each route is opened with GET by one role allowed to use it (anonymous for public pages),
with the display cookie set to normal, large text and high contrast. Serious and critical
violations fail; moderate and minor ones go to ``test-artifacts/axe/report-<db>.md``. A
page that logs a script error or a Content-Security-Policy refusal fails too: under this
CSP an inline script or ``style`` attribute silently does nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.e2e.axe import AxeReport, readable, run_axe, split_by_impact
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry, seed_snapshot
from tests.e2e.routes import OBJECT_ROUTES, Route, scannable
from tests.e2e.support import DISPLAY_MODES, set_display_cookie
from tests.factories import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUTES = scannable()


def _path(route: Route, data: Any) -> str:
    if route.name in OBJECT_ROUTES:
        return reverse(route.name, kwargs=OBJECT_ROUTES[route.name](data))
    if route.name:
        return reverse(route.name)
    return "/" + route.route


def _user_for(role: str | None, data: Any) -> Any:
    if role is None:
        return None
    if role in data.users:
        return data.users[role]
    return make_user(role, None)


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_page_has_no_serious_accessibility_violations(
    route: Route, e2e: Browsing, axe_js: str, axe_report: AxeReport
) -> None:
    data = seed_registry()
    if route.name.startswith("indicators:"):
        seed_snapshot()
    who = route.role or "anonymous"
    page = e2e.page(user=_user_for(route.role, data))
    path = _path(route, data)
    problems: list[str] = []
    probe = page.request.get(path)
    if probe.status in (404, 405) or "html" not in probe.headers.get("content-type", ""):
        pytest.skip(f"{path} answers GET as {who} with {probe.status}, no HTML page")
    for mode, cookie in DISPLAY_MODES.items():
        set_display_cookie(page.context, e2e.base_url, cookie)
        response = page.goto(path)
        assert response is not None
        assert response.status < 500, f"{path} as {who}: HTTP {response.status}"
        violations = run_axe(page, axe_js, visual_only=mode != "normal")
        failing, other = split_by_impact(violations)
        axe_report.add(
            page=page.url.removeprefix(e2e.base_url), mode=mode, who=who, violations=other
        )
        if failing:
            problems.append(readable(failing, where=f"{path}, {mode} mode, as {who}"))
        errors = e2e.console_errors(page)
        if errors:
            problems.append(f"{path}, {mode} mode: console errors:\n  " + "\n  ".join(errors))
            e2e.errors[id(page)].clear()
    assert not problems, "\n\n".join(problems)
