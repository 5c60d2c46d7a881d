"""Pages of the shared kernel: home, display preferences."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dpf.core.access import public
from dpf.core.menu import landing
from dpf.core.middleware import PREF_COOKIE, parse_prefs


@public
def home(request: HttpRequest) -> HttpResponse:
    """The public home page; a logged-in user is sent to their work (``menu.landing``: the
    first page of the landing list their role may open, read from the routes' declarations,
    so LOGIN_REDIRECT_URL can stay this page)."""
    target = landing(request.user) if request.user.is_authenticated else None
    if target is not None:
        return redirect(target)
    return render(request, "core/home.html")


@public
@require_POST
def display_preferences(request: HttpRequest) -> HttpResponse:
    """Toggle large text / high contrast; kept in a cookie for a year."""
    prefs = set(parse_prefs(request.COOKIES.get(PREF_COOKIE, "")))
    toggle = request.POST.get("toggle", "")
    if toggle in ("large", "contrast"):
        prefs ^= {toggle}
    if request.POST.get("reset"):
        prefs.clear()
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        PREF_COOKIE, ".".join(sorted(prefs)), max_age=365 * 24 * 3600, samesite="Lax"
    )
    return response
