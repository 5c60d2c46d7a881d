"""Password log-in: Django's model backend, except that demo accounts (``User.demo``,
with the published demo password) log in only on a demo installation (``DPF_DEMO=1``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class AccountBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        if getattr(user, "demo", False) and not settings.DPF_DEMO:
            return False
        return super().user_can_authenticate(user)


# Published with the demo (README, ``dpf demo accounts``, the demo's log-in page); it opens
# nothing outside a demo installation (``AccountBackend``).
DEMO_PASSWORD = "Demo-2026-dpf"  # noqa: S105 - a published demo password, by design
