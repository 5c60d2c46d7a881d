"""Reads about accounts."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet

from dpf.accounts.administration import managed_accounts
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


def staff_accounts(
    actor: User, *, query: str = "", role: str = "", status: str = ""
) -> QuerySet[User]:
    """The accounts ``actor`` administers (``administration.managed_accounts``), filtered by
    a user name or name fragment, a role and active/disabled, in user name order."""
    accounts = managed_accounts(actor).select_related("region")
    query = (query or "").strip()
    if query:
        accounts = accounts.filter(Q(username__icontains=query) | Q(first_name__icontains=query))
    if role:
        accounts = accounts.filter(role=role)
    if status in ("active", "disabled"):
        accounts = accounts.filter(is_active=status == "active")
    return accounts.order_by("username")
