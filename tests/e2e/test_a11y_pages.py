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
from playwright.sync_api import Page

from tests.e2e.axe import AxeReport, readable, run_axe, split_by_impact
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_citizen, seed_registry, seed_snapshot
from tests.e2e.routes import OBJECT_ROUTES, Route, scannable
from tests.e2e.support import DISPLAY_MODES, set_display_cookie
from tests.factories import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _groups() -> dict[str, list[Route]]:
    """Routes by URL namespace: one test (one seeded registry) per app keeps the scan fast."""
    groups: dict[str, list[Route]] = {}
    for route in scannable():
        groups.setdefault(route.name.split(":")[0] if ":" in route.name else "root", []).append(
            route
        )
    return groups


GROUPS = _groups()


def _path(route: Route, data: Any) -> str:
    if route.name in OBJECT_ROUTES:
        return reverse(route.name, kwargs=OBJECT_ROUTES[route.name](data))
    if route.name:
        return reverse(route.name)
    return "/" + route.route


def _user_for(role: str | None, data: Any) -> Any:
    if role is None:
        return None
    if role == "citizen" and role not in data.users:
        return seed_citizen(data)  # the portal's pages need a citizen linked to a person
    if role not in data.users:
        data.users[role] = make_user(role, None)
    return data.users[role]


def _scan(route: Route, page: Page, e2e: Browsing, data: Any, report: AxeReport) -> list[str]:
    """Problems of one page in the three display modes (empty: none)."""
    who = route.role or "anonymous"
    path = _path(route, data)
    probe = page.request.get(path)
    if probe.status in (404, 405) or "html" not in probe.headers.get("content-type", ""):
        report.skip(path, f"GET as {who} answers {probe.status}, no HTML page")
        return []
    problems: list[str] = []
    for mode, cookie in DISPLAY_MODES.items():
        set_display_cookie(page.context, e2e.base_url, cookie)
        response = page.goto(path)
        assert response is not None
        if response.status >= 500:
            return [f"{path} as {who}: HTTP {response.status}"]
        failing, other = split_by_impact(run_axe(page, e2e.axe_js, visual_only=mode != "normal"))
        report.add(page=page.url.removeprefix(e2e.base_url), mode=mode, who=who, violations=other)
        if failing:
            problems.append(readable(failing, where=f"{path}, {mode} mode, as {who}"))
        errors = e2e.console_errors(page)
        if errors:
            problems.append(f"{path}, {mode} mode: console errors:\n  " + "\n  ".join(errors))
            e2e.errors[id(page)].clear()
    return problems


@pytest.mark.parametrize("app", list(GROUPS))
def test_pages_have_no_serious_accessibility_violations(
    app: str, e2e: Browsing, axe_report: AxeReport
) -> None:
    data = seed_registry()
    if app == "indicators":
        seed_snapshot()
    pages: dict[str | None, Page] = {}
    problems: list[str] = []
    for route in GROUPS[app]:
        if route.role not in pages:
            pages[route.role] = e2e.page(user=_user_for(route.role, data))
        problems += _scan(route, pages[route.role], e2e, data, axe_report)
    assert not problems, "\n\n".join(problems)
