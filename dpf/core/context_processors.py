"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def display(request: HttpRequest) -> dict[str, object]:
    prefs: frozenset[str] = getattr(request, "display_prefs", frozenset())
    return {
        "display_large": "large" in prefs,
        "display_contrast": "contrast" in prefs,
        "demo_mode": settings.DPF_DEMO,
    }
