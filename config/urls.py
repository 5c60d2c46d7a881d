"""Top-level URL map: one include per domain app."""

from django.urls import include, path
from django.views.i18n import set_language

from dpf.core.access import public

urlpatterns = [
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("", include("dpf.core.urls")),
    path("accounts/", include("dpf.accounts.urls")),
    path("audit/", include("dpf.accounts.audit_urls")),
    path("registry/", include("dpf.registry.urls")),
    path("indicators/", include("dpf.indicators.urls")),
    path("benefits/", include("dpf.benefits.urls")),
    path("workflow/", include("dpf.workflow.urls")),
    path("employment/", include("dpf.employment.urls")),
    path("services/", include("dpf.services.urls")),
    path("social/", include("dpf.social.urls")),
    path("exchange/", include("dpf.exchange.urls")),
    path("", include("dpf.jobs.urls")),
    path("api/", include("dpf.api.urls")),
    path("", include("dpf.portal.urls")),
]
