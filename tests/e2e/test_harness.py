"""The measuring tools of the browser tests can fail: each is shown a page that breaks its rule.

These pages are written here (``page.set_content``), not served by the platform, so the
checks of the real pages below cannot pass merely because a tool sees nothing.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e import conftest
from tests.e2e.axe import run_axe, split_by_impact
from tests.e2e.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MOBILE,
    ROOT,
    SCREENSHOTS,
    chromium_command_line,
    focused,
    new_context,
    scroll_width,
    small_touch_targets,
    tab_to,
)

pytestmark = pytest.mark.browser

GOOD = """<!doctype html><html lang="zh-Hans"><head><title>测试</title></head><body>
<main><h1>登记</h1><label for="n">姓名</label><input id="n" name="name">
<button type="submit" style="min-width:48px;min-height:48px">保存</button></main></body></html>"""

LOW_CONTRAST = """<!doctype html><html lang="zh-Hans"><head><title>测试</title></head><body>
<main><h1>登记</h1><p style="color:#bbb;background:#fff">浅灰色文字看不清</p>
<input name="unlabelled"></main></body></html>"""

SMALL_AND_WIDE = """<!doctype html><html lang="zh-Hans"><head><title>测试</title>
<meta name="viewport" content="width=device-width"></head><body><main><h1>小</h1>
<button style="width:20px;height:20px;padding:0">x</button>
<a href="#a" style="display:inline-block;width:60px;height:60px">大链接</a>
<div style="width:600px">宽内容</div></main></body></html>"""


@pytest.fixture
def blank(chromium_browser: Browser) -> Iterator[Page]:
    context = new_context(chromium_browser, base_url="http://127.0.0.1")
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(chromium_browser: Browser) -> Iterator[Page]:
    context = new_context(chromium_browser, base_url="http://127.0.0.1", mobile=True)
    yield context.new_page()
    context.close()


def test_the_browser_is_the_systems_chromium(chromium_browser: Browser) -> None:
    """Playwright drives the Chromium at CHROMIUM, not a browser build of its own."""
    printed = subprocess.run(
        [CHROMIUM, "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert chromium_browser.version in printed


def _browser_processes(profile: Path) -> list[list[str]]:
    """Command lines of the browser processes (not renderers or helpers) using ``profile``."""
    found: list[list[str]] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        argv = [a.decode() for a in raw.split(b"\0") if a]
        if f"--user-data-dir={profile}" in argv and not any(a.startswith("--type=") for a in argv):
            found.append(argv)
    return found


def test_chromium_runs_with_exactly_the_listed_flags_and_a_fresh_profile(
    chromium_browser: Browser, chromium_profile: Path
) -> None:
    """The running browser's own command line (``/proc``): the package's binary, issue 9's
    six flags, Playwright's headless/pipe plumbing, a profile made for this session."""
    assert CHROMIUM_ARGS == [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
    ]
    processes = _browser_processes(chromium_profile)
    assert len(processes) == 1, processes
    executable, *switches = processes[0]
    assert os.path.realpath(executable) == os.path.realpath(CHROMIUM)
    assert switches == chromium_command_line(chromium_profile)
    assert chromium_profile.name.startswith(conftest.PROFILE_PREFIX)
    assert not chromium_profile.is_relative_to(Path.home())  # not ~/.config/chromium
    # Nothing may fetch a browser: the variable Playwright's installer obeys is set.
    assert os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] == "1"


def test_a_step_screenshot_lands_in_a_git_ignored_folder(
    chromium_browser: Browser, request: pytest.FixtureRequest
) -> None:
    browsing = conftest.Browsing(chromium_browser, "http://127.0.0.1", request.node.name)
    try:
        page = browsing.page()
        page.set_content(GOOD)
        shot = browsing.shot(page, "登记表")
    finally:
        browsing.close()
    assert shot == SCREENSHOTS / request.node.name / "01-登记表.png"
    assert shot.read_bytes().startswith(b"\x89PNG")
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(shot.relative_to(ROOT))], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0, f"{shot} is not ignored by git"


def test_a_failing_test_leaves_its_screenshot_and_html(
    chromium_browser: Browser, request: pytest.FixtureRequest
) -> None:
    """The report hook, given a failed call of a test that used ``e2e``, saves a PNG and
    the HTML of every open page and names them in the report."""
    browsing = conftest.Browsing(chromium_browser, "http://127.0.0.1", request.node.name)
    try:
        page = browsing.page()
        page.set_content(GOOD.replace("登记", "失败时的页面"))
        item = SimpleNamespace(funcargs={"e2e": browsing})
        report = SimpleNamespace(when="call", failed=True, sections=[])
        hook = conftest.pytest_runtest_makereport(item, None)  # type: ignore[arg-type]
        next(hook)
        with pytest.raises(StopIteration) as done:
            hook.send(report)
    finally:
        browsing.close()
    assert done.value.value is report
    folder = SCREENSHOTS / request.node.name
    png, html = folder / "failure-1.png", folder / "failure-1.html"
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "失败时的页面" in html.read_text(encoding="utf-8")
    assert report.sections == [("browser artifacts", f"{png}\n{html}")]

    # A passing call saves nothing.
    passed = SimpleNamespace(when="call", failed=False, sections=[])
    hook = conftest.pytest_runtest_makereport(item, None)  # type: ignore[arg-type]
    next(hook)
    with pytest.raises(StopIteration):
        hook.send(passed)
    assert passed.sections == []


def test_axe_finds_serious_violations_and_passes_a_clean_page(blank: Page, axe_js: str) -> None:
    blank.set_content(LOW_CONTRAST)
    failing, _ = split_by_impact(run_axe(blank, axe_js))
    ids = {v["id"] for v in failing}
    assert {"color-contrast", "label"} <= ids

    # The second and third display modes run only the rules that read rendered styles.
    visual = {v["id"] for v in run_axe(blank, axe_js, visual_only=True)}
    assert visual == {"color-contrast"}

    blank.set_content(GOOD)
    failing, _ = split_by_impact(run_axe(blank, axe_js))
    assert failing == []

    # A skipped heading level is moderate: reported, not failing.
    blank.set_content(GOOD.replace("<h1>登记</h1>", "<h1>登记</h1><h4>小节</h4>"))
    failing, other = split_by_impact(run_axe(blank, axe_js))
    assert failing == []
    assert "heading-order" in {v["id"] for v in other}


def test_touch_targets_and_overflow_are_measured(phone: Page) -> None:
    phone.set_content(SMALL_AND_WIDE)
    offenders = small_touch_targets(phone)
    assert len(offenders) == 1, offenders
    assert offenders[0].startswith("button “x” 20×20"), offenders
    assert scroll_width(phone) > MOBILE["width"]


def test_tab_to_reports_the_path_the_keyboard_took(blank: Page) -> None:
    blank.set_content(GOOD)
    assert tab_to(blank, "保存") == 2
    info = focused(blank)
    assert info is not None
    assert info["tag"] == "button"
    blank.set_content(GOOD)
    with pytest.raises(AssertionError, match=r"(?s)never reached.*“姓名”.*“保存”"):
        tab_to(blank, "不存在的按钮", limit=3)


# Fine in the normal mode; in the high-contrast mode a paragraph turns pale grey, and in the
# large-text mode the button shrinks and the page grows wider than a phone.
MODE_DEPENDENT = """<!doctype html><html lang="zh-Hans"><head><title>测试</title>
<meta name="viewport" content="width=device-width"><style>
button { min-width: 48px; min-height: 48px; }
.display-contrast p { color: #c8c8c8; background: #fff; }
.display-large button { min-width: 0; min-height: 0; width: 20px; height: 20px; padding: 0; }
.display-large .wide { width: 600px; }
</style></head><body><main><h1>登记</h1><p>说明文字</p><div class="wide">内容</div>
<button type="button">好</button></main></body></html>"""


def test_a_step_checks_every_display_mode(
    chromium_browser: Browser, axe_js: str, request: pytest.FixtureRequest
) -> None:
    browsing = conftest.Browsing(
        chromium_browser, "http://127.0.0.1", request.node.name, axe_js=axe_js
    )
    try:
        desktop = browsing.page()
        desktop.set_content(MODE_DEPENDENT)
        with pytest.raises(AssertionError) as refused:
            browsing.step(desktop, "desktop")
        message = str(refused.value)
        assert "color-contrast" in message, message
        assert "contrast mode" in message, message
        assert "normal mode" not in message, message
        assert "large mode" not in message, message
        # The page is left as it was (no display class), as the user sees it.
        assert desktop.evaluate("() => document.body.className") == ""

        phone = browsing.page(mobile=True, javascript=False)
        phone.set_content(MODE_DEPENDENT)
        with pytest.raises(AssertionError) as refused:
            browsing.step(phone, "phone")
        message = str(refused.value)
        assert "large mode: scrolls sideways" in message, message
        assert "large mode: touch target button “好” 20×20" in message, message
        assert "color-contrast" not in message  # no axe-core without JavaScript
    finally:
        browsing.close()
