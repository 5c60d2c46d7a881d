"""Password log-in: Django's model backend, except that demo accounts (``User.demo``,
with the published demo password) log in only on a demo installation (``DPF_DEMO=1``),
and the user of each request is read with their region (the scope) in one query."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class AccountBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        if getattr(user, "demo", False) and not settings.DPF_DEMO:
            return False
        return super().user_can_authenticate(user)

    def get_user(self, user_id: Any) -> Any:
        """The logged-in user of a request (``AuthenticationMiddleware``), with the region
        every scoped selector reads (``dpf.accounts.scoping``): one query, not two."""
        model = get_user_model()
        user = model._default_manager.select_related("region").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


# Published with the demo (README, ``dpf demo accounts``, the demo's log-in page); it opens
# nothing outside a demo installation (``AccountBackend``).
DEMO_PASSWORD = "Demo-2026-dpf"  # noqa: S105 - a published demo password, by design
