"""Pages of the shared kernel: home, display preferences."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dpf.core.access import public
from dpf.core.middleware import PREF_COOKIE, parse_prefs
from dpf.core.roles import REGION_STAFF, Role

# Where each role starts after logging in (LOGIN_REDIRECT_URL is this page).
LANDING = {
    Role.CITIZEN: "portal:home",
    Role.VIEWER: "indicators:dashboard",
}


@public
def home(request: HttpRequest) -> HttpResponse:
    role = getattr(request.user, "role", None) if request.user.is_authenticated else None
    if role in REGION_STAFF:
        return redirect("registry:search")
    if role in LANDING:
        return redirect(LANDING[role])
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
