"""Display preferences, security headers, and refused accesses turned into audited 404s."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse

from dpf.core.access import audit_denial, declaration_of
from dpf.core.errors import NotFound

PREF_COOKIE = "dpf_display"
VALID_PREFS = frozenset({"large", "contrast"})

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)


def parse_prefs(raw: str) -> frozenset[str]:
    return frozenset(p for p in raw.split(".") if p in VALID_PREFS)


class DisplayPreferencesMiddleware:
    """Reads the large-text / high-contrast cookie so templates can set body classes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.display_prefs = parse_prefs(request.COOKIES.get(PREF_COOKIE, ""))  # type: ignore[attr-defined]
        return self.get_response(request)


class SessionIdleMiddleware:
    """Idle expiry without a database write on every request.

    A session ends ``SESSION_COOKIE_AGE`` (30 minutes) after it was last saved. Django's
    ``SESSION_SAVE_EVERY_REQUEST`` would write the session row on every request, a write
    and a transaction for every page read; instead an authenticated session is touched
    (and so saved with a new expiry) at most once per ``DPF_SESSION_TOUCH_SECONDS``
    (60 s): a user is logged out between 29 and 30 idle minutes. Must come right after
    ``SessionMiddleware``, so the session is saved on the way out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.every = int(getattr(settings, "DPF_SESSION_TOUCH_SECONDS", 60))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty() or not session.session_key:
            return response
        now = int(time.time())
        if now - int(session.get("_touched", 0)) >= self.every:
            session["_touched"] = now
        return response


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=()")
        if request.user.is_authenticated if hasattr(request, "user") else False:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class DeniedAccessMiddleware:
    """A refused or out-of-scope record answers 404 and leaves an audit entry.

    Services and selectors raise ``NotFound`` (``PermissionRefused`` is one: the two are
    never told apart): the view need not catch them, they become a 404
    here. A 404 on a route that names an object in its URL (a guessed person id) is written
    to the audit log as ``permission_denied``, once per request, because "absent" and
    "outside your scope" are never told apart.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 404:
            # A 404 answered rather than raised: the API turns ``NotFound`` into a JSON 404
            # itself (``dpf.api.errors``), so a guessed batch id is audited here.
            self._audit(request, None, named_object=False)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        is_refusal = isinstance(exception, NotFound)  # PermissionRefused is one too
        if not (is_refusal or isinstance(exception, Http404)):
            return None
        self._audit(request, exception, named_object=is_refusal)
        if is_refusal:
            raise Http404
        return None

    @staticmethod
    def _audit(request: HttpRequest, exception: Exception | None, *, named_object: bool) -> None:
        """One ``permission_denied`` entry when a logged-in user (or an API token's user)
        is refused a record: a domain refusal, or a 404 on a route naming an object."""
        user = getattr(request, "user", None)
        match = request.resolver_match
        if user is None or not user.is_authenticated or match is None:
            return
        if not (named_object or match.kwargs):
            return
        declared = declaration_of(match.func) or {}
        audit_denial(
            request,
            object_type=str(
                getattr(exception, "object_type", "")
                or declared.get("object_type")
                or match.view_name
            ),
            object_id=getattr(exception, "object_id", "")
            or ",".join(str(v) for v in match.kwargs.values()),
            action=str(getattr(exception, "action", "") or declared.get("action", "")),
        )
