"""A URL map with one route that declares nobody: the route walker must report it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def forgotten(request: HttpRequest, person_id: int) -> HttpResponse:
    """A new page whose author forgot ``@allow``/``@public``."""
    return HttpResponse("personal data")


urlpatterns = [
    path("forgotten/<int:person_id>/", forgotten, name="forgotten"),
    path("", include("config.urls")),
]
