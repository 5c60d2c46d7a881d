"""A URL map for the error tests: views that fail with personal data in hand."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from dpf.core.access import public


@public
def boom(request: HttpRequest) -> HttpResponse:
    id_number = request.POST.get("id_number", "")
    phone = request.POST.get("phone", "")
    raise ValueError(f"could not match person {id_number} with phone {phone}")


urlpatterns = [
    path("boom/", boom, name="boom"),
    path("", include("config.urls")),
]
