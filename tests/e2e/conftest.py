"""Fixtures of the browser tests: one Chromium per session, a fresh context per test.

The platform runs in the test process (pytest-django's ``live_server``: a threaded server on
a free loopback port, the same test database, SQLite or PostgreSQL as DATABASE_URL says).
A failing test leaves a screenshot and the HTML of every open page in its screenshot folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.e2e.axe import AxeReport, axe_source, readable, run_axe, split_by_impact
from tests.e2e.support import (
    CHROMIUM,
    DISPLAY_CLASSES,
    MOBILE,
    PROFILE_PREFIX,
    SCREENSHOTS,
    SKIP_ENV,
    chromium_command_line,
    display_class,
    new_context,
    scroll_width,
    skip_requested,
    slug,
    small_touch_targets,
)

# The live server listens on 127.0.0.1 (a free port); never let Playwright fetch a browser.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")
os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not skip_requested():
        return
    marker = pytest.mark.skip(reason=f"{SKIP_ENV}=1: browser tests skipped on request")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(marker)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        browsing = getattr(item, "funcargs", {}).get("e2e")
        if isinstance(browsing, Browsing):
            saved = browsing.save_failure()
            if saved:
                report.sections.append(("browser artifacts", "\n".join(str(p) for p in saved)))
    return report


@pytest.fixture(scope="session")
def chromium_profile() -> Iterator[Path]:
    """A fresh, empty profile folder for the session's Chromium, removed afterwards."""
    profile = Path(tempfile.mkdtemp(prefix=PROFILE_PREFIX))
    yield profile
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def chromium_browser(chromium_profile: Path) -> Iterator[Browser]:
    """Debian's Chromium, headless. Missing Chromium fails the tests unless skipped on purpose.

    Started with exactly ``chromium_command_line``: Playwright's default switches are
    ignored, so only issue 9's flags, the headless/DevTools plumbing and the fresh profile
    reach the browser (``test_harness`` reads the running process's command line).
    """
    if skip_requested():
        pytest.skip(f"{SKIP_ENV}=1")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's `chromium` package "
            f"(./run test does it as root), or set {SKIP_ENV}=1 to skip the browser tests "
            "on a developer machine",
            pytrace=False,
        )
    # Playwright's sync API runs an event loop in this thread; the tests' own ORM calls
    # (seeding, checks) are synchronous and safe, so Django's async guard is lifted here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=chromium_command_line(chromium_profile),
            ignore_default_args=True,
            headless=True,
        )
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def axe_js() -> str:
    try:
        return axe_source()
    except FileNotFoundError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def axe_report() -> Iterator[AxeReport]:
    from django.db import connection

    from tests.e2e.routes import unscannable

    report = AxeReport(database=connection.vendor)
    yield report
    if report.scans:
        for route in unscannable():
            report.skip("/" + route.route, "needs a parameter: teach routes.OBJECT_ROUTES")
    report.write()


class Browsing:
    """One test's browser: its contexts and pages, numbered step screenshots, log-ins."""

    def __init__(
        self,
        browser: Browser,
        base_url: str,
        test_id: str,
        *,
        axe_js: str = "",
        axe_report: AxeReport | None = None,
    ) -> None:
        self.browser = browser
        self.base_url = base_url
        self.axe_js = axe_js
        self.axe_report = axe_report
        self.folder = SCREENSHOTS / slug(test_id)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.steps = 0
        self.contexts: list[BrowserContext] = []
        self.pages: list[Page] = []
        self.errors: dict[int, list[str]] = {}
        self.no_script_pages: set[int] = set()
        self.phone_pages: set[int] = set()

    def page(
        self,
        *,
        mobile: bool = False,
        javascript: bool = True,
        display: str = "",
        user: Any = None,
    ) -> Page:
        """A new page in a new context; ``user`` starts logged in (a session cookie)."""
        context = new_context(
            self.browser,
            base_url=self.base_url,
            mobile=mobile,
            javascript=javascript,
            display=display,
        )
        self.contexts.append(context)
        if user is not None:
            self.log_in_by_cookie(context, user)
        page = context.new_page()
        self.pages.append(page)
        if not javascript:
            self.no_script_pages.add(id(page))
        if mobile:
            self.phone_pages.add(id(page))
        errors = self.errors.setdefault(id(page), [])

        def on_console(message: Any) -> None:
            url = message.location.get("url", "")
            # A refused form answers 400 with the page itself: the test judges that page.
            if message.type == "error" and not (
                url == page.url and message.text.startswith("Failed to load resource")
            ):
                errors.append(f"{message.text} ({url})")

        page.on("console", on_console)
        page.on("pageerror", lambda e: errors.append(str(e)))
        return page

    def console_errors(self, page: Page) -> list[str]:
        """Script errors, CSP refusals and failed sub-resources logged by ``page`` so far.

        The browser's own request for ``/favicon.ico`` is left out (no page asks for it).
        """
        return [e for e in self.errors.get(id(page), []) if "/favicon.ico" not in e]

    def log_in_by_cookie(self, context: BrowserContext, user: Any) -> None:
        """Start a context logged in as ``user`` without the login form (for scans)."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user, backend="dpf.accounts.backends.AccountBackend")
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": cookie.value,
                    "url": self.base_url,
                    "httpOnly": True,
                    "sameSite": "Lax",
                }
            ]
        )

    def url(self, path: str) -> str:
        return self.base_url + path

    def shot(self, page: Page, step: str) -> Path:
        """Save what the user sees now as ``<nn>-<step>.png`` in the test's folder."""
        self.steps += 1
        path = self.folder / f"{self.steps:02d}-{slug(step)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True, scale="css", animations="disabled")
        return path

    def step(self, page: Page, name: str, *, who: str = "") -> Path:
        """A journey step: screenshot, then what the page is like in every display mode.

        axe-core runs on the page as the user sees it (every rule), then with the body class
        of the large-text and of the high-contrast mode (the server renders the same HTML in
        those modes but for that class: ``base.html``), running the rules that read rendered
        styles, colour contrast among them. Serious or critical violations fail the step
        (listed readably); the moderate and minor ones go to the session's report. On a
        phone (``page(mobile=True)``) each mode is also measured: no sideways scrolling,
        touch targets of at least 44 × 44 px. With JavaScript disabled axe-core cannot run
        (its timers never fire); the phone measurements still do.
        """
        path = self.shot(page, name)
        where = page.url.removeprefix(self.base_url)
        scan = bool(self.axe_js) and id(page) not in self.no_script_pages
        phone = id(page) in self.phone_pages
        problems: list[str] = []
        for mode, css_class in DISPLAY_CLASSES.items():
            with display_class(page, css_class):
                if scan:
                    found = run_axe(page, self.axe_js, visual_only=mode != "normal")
                    failing, other = split_by_impact(found)
                    if self.axe_report is not None:
                        self.axe_report.add(
                            page=where, mode=f"journey, {mode}", who=who, violations=other
                        )
                    if failing:
                        problems.append(readable(failing, where=f"{where}, {mode} mode"))
                if phone:
                    width = scroll_width(page)
                    if width > MOBILE["width"]:
                        problems.append(f"{where}, {mode} mode: scrolls sideways ({width} px)")
                    problems += [
                        f"{where}, {mode} mode: touch target {t}" for t in small_touch_targets(page)
                    ]
        assert not problems, f"step “{name}”:\n" + "\n".join(problems)
        errors = self.console_errors(page)
        assert not errors, f"step “{name}”: console errors:\n  " + "\n  ".join(errors)
        return path

    def save_failure(self) -> list[Path]:
        saved: list[Path] = []
        for index, page in enumerate(self.pages, start=1):
            if page.is_closed():
                continue
            stem = self.folder / f"failure-{index}"
            stem.parent.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=f"{stem}.png", full_page=True)
                saved.append(Path(f"{stem}.png"))
                Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
                saved.append(Path(f"{stem}.html"))
            except Exception as exc:  # noqa: BLE001 - a dead page must not hide the failure
                Path(f"{stem}.txt").write_text(f"page not saved: {exc}", encoding="utf-8")
        return saved

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@pytest.fixture
def e2e(
    chromium_browser: Browser,
    live_server: Any,
    axe_js: str,
    axe_report: AxeReport,
    request: pytest.FixtureRequest,
) -> Generator[Browsing]:
    """The browser for one test, pointed at the live server."""
    browsing = Browsing(
        chromium_browser,
        live_server.url,
        request.node.name,
        axe_js=axe_js,
        axe_report=axe_report,
    )
    yield browsing
    browsing.close()
