"""Reads about accounts."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from dpf.accounts.models import User


@dataclass(frozen=True)
class DemoAccountRow:
    username: str
    role: str
    region: str


def demo_accounts() -> list[DemoAccountRow]:
    """The demo accounts for the log-in page of a demo installation (``DPF_DEMO=1``); none
    anywhere else, so a real installation never lists user names."""
    if not settings.DPF_DEMO:
        return []
    users = (
        User.objects.filter(demo=True, is_active=True).select_related("region").order_by("username")
    )
    return [
        DemoAccountRow(u.username, u.get_role_display(), u.region.name if u.region else "")
        for u in users
    ]
