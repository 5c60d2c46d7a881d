"""What the browser tests share: the Chromium launch, keyboard moves, what the user sees.

Everything here measures the page as rendered in Chromium (focus, accessible names,
``aria-live`` text, boxes in CSS pixels); nothing reads Django's templates directly.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE_REPORTS = ARTIFACTS / "axe"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# Debian's `chromium` package: /usr/bin/chromium is its shell wrapper, which adds the flags
# of /etc/chromium.d (--enable-gpu-rasterization, --disable-pings …); the tests start the
# package's binary itself so that Chromium gets exactly CHROMIUM_ARGS and nothing else.
CHROMIUM_PACKAGE_BINARY = "/usr/lib/chromium/chromium"
CHROMIUM = os.environ.get("DPF_CHROMIUM", CHROMIUM_PACKAGE_BINARY)
SKIP_ENV = "DPF_SKIP_BROWSER"

# Debian's Chromium, headless, nothing that phones home (issue 9's list, exactly).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Playwright's own switches (its list of ~50: --disable-features=…, --hide-scrollbars,
# --enable-automation …) are left out (``ignore_default_args=True``); what remains is what
# Playwright cannot drive a browser without: headless mode, its DevTools pipe, a profile
# folder (a fresh empty one per launch, removed on close) and no window of its own.
PLAYWRIGHT_PLUMBING = ["--headless", "--remote-debugging-pipe", "--no-startup-window"]
PROFILE_PREFIX = "dpf-chromium-profile-"


def chromium_command_line(profile: Path) -> list[str]:
    """Every switch Chromium is started with (after the executable), for a fresh ``profile``."""
    return [*CHROMIUM_ARGS, *PLAYWRIGHT_PLUMBING, f"--user-data-dir={profile}"]


# The display modes of the platform (cookie ``dpf_display``, set by the form at /display/).
DISPLAY_MODES = {"normal": "", "large": "large", "contrast": "contrast"}

# The class ``base.html`` puts on <body> in each mode ("" for normal: whatever the page has).
DISPLAY_CLASSES = {"normal": None, "large": "display-large", "contrast": "display-contrast"}

DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 360, "height": 740}
TOUCH_MIN = 44  # CSS px: DOMAIN.md, the ministry's rules for accessible sites

PASSWORD = "Correct-Horse-Battery-9"  # tests/factories.make_user's password


def skip_requested() -> bool:
    return os.environ.get(SKIP_ENV, "") == "1"


def slug(text: str) -> str:
    """A file-name-safe form of a test id or step name (keeps CJK characters)."""
    cleaned = re.sub(r"[^\w.-]+", "-", text, flags=re.UNICODE).strip("-")
    return cleaned[:120] or "x"


def new_context(
    browser: Browser,
    *,
    base_url: str,
    mobile: bool = False,
    javascript: bool = True,
    display: str = "",
    bypass_csp: bool = False,
) -> BrowserContext:
    """A fresh context: Chinese locale, desktop or 360×740 touch phone, optional mode cookie."""
    options: dict[str, Any] = {
        "base_url": base_url,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "java_script_enabled": javascript,
        "bypass_csp": bypass_csp,
        "service_workers": "block",
    }
    if mobile:
        options.update(viewport=MOBILE, device_scale_factor=2, is_mobile=True, has_touch=True)
    else:
        options.update(viewport=DESKTOP)
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(20_000)
    if display:
        set_display_cookie(context, base_url, display)
    return context


@contextmanager
def display_class(page: Page, css_class: str | None) -> Iterator[None]:
    """Show the page in another display mode for a moment: the server renders the modes as
    the same HTML with a class on <body>, so swapping the class (and swapping it back) shows
    what the user of that mode sees at this very step, without reloading the page."""
    if css_class is None:
        yield
        return
    previous: str = page.evaluate(
        """(cls) => { const before = document.body.className;
            document.body.className = before.split(/\\s+/)
              .filter((c) => c && !c.startsWith('display-')).concat([cls]).join(' ');
            return before; }""",
        css_class,
    )
    try:
        yield
    finally:
        page.evaluate("(cls) => { document.body.className = cls; }", previous)


def set_display_cookie(context: BrowserContext, base_url: str, value: str) -> None:
    context.add_cookies([{"name": "dpf_display", "value": value, "url": base_url}])


# --- what has focus ------------------------------------------------------------------

_FOCUSED_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const text = (s) => (s || '').replace(/\\s+/g, ' ').trim();
  let name = el.getAttribute('aria-label') || '';
  if (!name && el.getAttribute('aria-labelledby')) {
    name = el.getAttribute('aria-labelledby').split(/\\s+/)
      .map((id) => text(document.getElementById(id)?.textContent)).join(' ');
  }
  if (!name && el.labels && el.labels.length) name = text(el.labels[0].textContent);
  if (!name && ['A', 'BUTTON', 'SUMMARY'].includes(el.tagName)) name = text(el.textContent);
  if (!name && el.tagName === 'INPUT' && ['submit', 'button'].includes(el.type)) name = el.value;
  if (!name) name = el.getAttribute('title') || el.getAttribute('placeholder') || '';
  return {
    tag: el.tagName.toLowerCase(),
    type: el.getAttribute('type') || '',
    name: text(name),
    id: el.id || '',
    fieldName: el.getAttribute('name') || '',
    href: el.getAttribute('href') || '',
  };
}
"""


def focused(page: Page) -> dict[str, str] | None:
    """The focused element: tag, type, accessible name (approximated as a screen reader
    would: aria-label, aria-labelledby, label, text), id, form field name, href."""
    result: dict[str, str] | None = page.evaluate(_FOCUSED_JS)
    return result


def describe(info: dict[str, str] | None) -> str:
    if info is None:
        return "(body)"
    kind = info["tag"] + (f"[{info['type']}]" if info["type"] else "")
    return f"{kind} “{info['name']}”" + (f" #{info['id']}" if info["id"] else "")


# Tab stops a journey may pass before its target: a staff page's header holds the whole menu
# of what the role may open (dpf/core/menu.py; 40 and more links for a county officer) before
# the page's own controls.
TAB_LIMIT = 150


def tab_to(
    page: Page, name: str | re.Pattern[str], *, limit: int = TAB_LIMIT, back: bool = False
) -> int:
    """Press Tab (or Shift+Tab) until the focused element's accessible name matches ``name``.

    Returns the number of presses; fails listing every element passed on the way, so a
    broken tab order reads like what a keyboard user went through.
    """
    pattern = name if isinstance(name, re.Pattern) else re.compile(re.escape(name))
    visited: list[str] = []
    key = "Shift+Tab" if back else "Tab"
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        info = focused(page)
        if info is not None and pattern.search(info["name"]):
            return presses
        visited.append(describe(info))
    raise AssertionError(
        f"{key} ×{limit} never reached “{pattern.pattern}”; focus went through:\n  "
        + "\n  ".join(visited)
    )


def tab_to_field(page: Page, field_name: str, *, limit: int = TAB_LIMIT) -> int:
    """Tab until the form control named ``field_name`` (its ``name`` attribute) has focus."""
    visited: list[str] = []
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        info = focused(page)
        if info is not None and info["fieldName"] == field_name:
            return presses
        visited.append(describe(info))
    raise AssertionError(
        f"Tab ×{limit} never reached the field “{field_name}”; focus went through:\n  "
        + "\n  ".join(visited)
    )


def open_menu(page: Page) -> None:
    """On a phone, open the folded menu (菜单) by keyboard as a user would: from the top,
    Tab to the toggle, Enter. Nothing to do on a wide screen, where it is always open."""
    toggle = page.locator("summary.menu-toggle")
    if not toggle.is_visible() or page.locator("details.site-menu[open]").count():
        return
    focus_from_top(page)
    tab_to(page, re.compile("^菜单"))
    page.keyboard.press("Enter")
    assert page.locator("details.site-menu[open]").count() == 1


def type_into(page: Page, field_name: str, text: str) -> None:
    """Tab to a field, clear it with the keyboard and type ``text`` as a user would."""
    tab_to_field(page, field_name)
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def focus_from_top(page: Page) -> None:
    """Start keyboard navigation from the top of the document, as after a page load."""
    page.evaluate(
        "() => { if (document.activeElement && document.activeElement !== document.body)"
        " document.activeElement.blur(); window.scrollTo(0, 0); }"
    )


# --- what the user sees ----------------------------------------------------------------


def headings(page: Page) -> list[str]:
    texts: list[str] = page.locator("h1").all_inner_texts()
    return [t.strip() for t in texts]


def live_text(page: Page) -> list[str]:
    """The text of every ``aria-live`` region and ``role=status/alert`` element."""
    texts: list[str] = page.evaluate(
        """() => Array.from(document.querySelectorAll(
              '[aria-live], [role=status], [role=alert]'))
            .map((el) => (el.innerText || el.textContent || '').replace(/\\s+/g, ' ').trim())
            .filter((t) => t.length > 0)"""
    )
    return texts


def alerts(page: Page) -> list[str]:
    texts: list[str] = page.evaluate(
        """() => Array.from(document.querySelectorAll('[role=alert]'))
            .map((el) => (el.innerText || el.textContent || '').replace(/\\s+/g, ' ').trim())"""
    )
    return texts


# --- mobile measurements ---------------------------------------------------------------

_TARGETS_JS = """
(minimum) => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary,'
    + ' [role=button], [role=link], [tabindex]:not([tabindex="-1"])';
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    let rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1) continue;  // visually hidden (skip link at rest)
    if (rect.right <= 0 || rect.bottom + window.scrollY <= 0) continue;  // parked off-screen
    if (el.closest('[hidden], [aria-hidden=true]')) continue;
    // A checkbox or radio is hit through its label too: measure the two together.
    if (el.tagName === 'INPUT' && ['checkbox', 'radio'].includes(el.type) && el.labels
        && el.labels.length) {
      const l = el.labels[0].getBoundingClientRect();
      const left = Math.min(rect.left, l.left), top = Math.min(rect.top, l.top);
      const right = Math.max(rect.right, l.right), bottom = Math.max(rect.bottom, l.bottom);
      rect = {left, top, width: right - left, height: bottom - top};
    }
    if (rect.width + 0.5 < minimum || rect.height + 0.5 < minimum) {
      const label = (el.getAttribute('aria-label') || el.innerText || el.value
        || el.getAttribute('name') || '').replace(/\\s+/g, ' ').trim().slice(0, 40);
      out.push(`${el.tagName.toLowerCase()} “${label}” ${Math.round(rect.width)}×`
        + `${Math.round(rect.height)}`);
    }
  }
  return out;
}
"""


def small_touch_targets(page: Page, minimum: int = TOUCH_MIN) -> list[str]:
    """Visible links, buttons and inputs whose rendered box is under ``minimum`` CSS px."""
    offenders: list[str] = page.evaluate(_TARGETS_JS, minimum)
    return offenders


def scroll_width(page: Page) -> int:
    """The document's scroll width in CSS px; above the device width means sideways scrolling.

    (A mobile viewport widens its layout viewport to fit wide content, so compare with the
    device width, ``MOBILE["width"]``, not with ``window.innerWidth``.)
    """
    width: int = page.evaluate("() => document.documentElement.scrollWidth")
    return width


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def choose_option(page: Page, field_name: str, label: str | re.Pattern[str]) -> str:
    """Tab to a ``<select>`` and move to the option whose text matches ``label`` with the
    arrow keys (a closed select changes its value on ArrowDown/ArrowUp, as for a user)."""
    pattern = label if isinstance(label, re.Pattern) else re.compile(re.escape(label))
    tab_to_field(page, field_name)
    options: list[str] = page.evaluate(
        "() => Array.from(document.activeElement.options).map((o) => o.text)"
    )
    current: int = page.evaluate("() => document.activeElement.selectedIndex")
    wanted = next((i for i, text in enumerate(options) if pattern.search(text)), None)
    assert wanted is not None, f"no option “{pattern.pattern}” in {field_name}: {options}"
    key = "ArrowDown" if wanted > current else "ArrowUp"
    for _ in range(abs(wanted - current)):
        page.keyboard.press(key)
    chosen: str = page.evaluate(
        "() => document.activeElement.options[document.activeElement.selectedIndex].text"
    )
    assert pattern.search(chosen), f"{field_name}: chose “{chosen}”"
    return chosen


def submit_log_in(
    page: Page, username: str, password: str = PASSWORD, *, here: bool = False
) -> None:
    """Type user name and password into the log-in form by keyboard and send it
    (``here``: on the log-in page the browser shows now, e.g. after logging out).

    The user-name field has focus on arrival (autofocus); when the browser has not
    applied it yet, the keyboard user tabs to it from the top of the page.
    """
    if not here:
        page.goto("/accounts/login/")
    info = focused(page)
    if info is None or info["fieldName"] != "username":
        focus_from_top(page)
        tab_to_field(page, "username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def log_in(page: Page, username: str, password: str = PASSWORD, *, here: bool = False) -> None:
    """Log in through the form by keyboard and check the platform let the user in (with
    the second factor when the role needs it: ``pass_second_factor``)."""
    submit_log_in(page, username, password, here=here)
    pass_second_factor(page, username)
    assert "/accounts/login/" not in page.url, f"log-in refused for {username}: {alerts(page)}"
    assert "/accounts/otp/" not in page.url, f"log-in refused for {username}: {alerts(page)}"


def pass_second_factor(page: Page, username: str) -> None:
    """The step after the password for roles that see personal data in full: a user without
    a device reads the secret off the set-up page (as into an authenticator app) and types
    its first code; a user with one types the current code of its device."""
    import base64
    import time

    from django_otp.oath import TOTP

    step = headings(page)
    if step == ["启用动态口令"]:
        secret = page.locator("code.secret").inner_text().replace(" ", "")
        key, last_t = base64.b32decode(secret + "=" * (-len(secret) % 8)), None
    elif step == ["输入动态口令"]:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        key, last_t = device.bin_key, device.last_t
    else:
        return
    totp = TOTP(key)
    totp.time = time.time()
    if last_t is not None and totp.t() <= last_t:  # a code is accepted once: the next one
        time.sleep((last_t + 1) * totp.step - totp.time + 0.5)
        totp.time = time.time()
    info = focused(page)
    if info is None or info["fieldName"] != "code":
        tab_to_field(page, "code")
    page.keyboard.type(f"{totp.token():06d}")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _type_segments(page: Page, field_name: str, wanted: str, orders: list[list[str]]) -> None:
    """Type into a date-like input's segments; the first order that yields ``wanted`` wins."""
    tab_to_field(page, field_name)
    value = ""
    for order in orders:
        for _ in range(3):  # clear every segment, then go back to the first
            page.keyboard.press("Backspace")
            page.keyboard.press("ArrowLeft")
        page.keyboard.press("Home")
        for part in order:
            if part == "ArrowRight":
                page.keyboard.press(part)
            else:
                page.keyboard.type(part)
        value = page.evaluate("() => document.activeElement.value")
        if value == wanted:
            return
    raise AssertionError(f"could not type {wanted} into {field_name} (got “{value}”)")


def type_date(page: Page, field_name: str, date: dt.date) -> None:
    """Tab to an ``<input type=date>`` and type the date into its segments.

    The segment order follows the browser's interface language (month/day/year in this
    headless build, year/month/day in a Chinese one); both are tried, and the field's value
    must end up as the date.
    """
    y, m, d = f"{date.year:04d}", f"{date.month:02d}", f"{date.day:02d}"
    _type_segments(page, field_name, date.isoformat(), [[m, d, y], [y, "ArrowRight", m, d]])


def type_month(page: Page, field_name: str, year: int, month: int) -> None:
    """Tab to an ``<input type=month>`` and type the month and the year."""
    y, m = f"{year:04d}", f"{month:02d}"
    _type_segments(page, field_name, f"{y}-{m}", [[m, "ArrowRight", y], [y, "ArrowRight", m]])
