"""The request a staff or citizen page receives once its permission decorator let it in."""

from __future__ import annotations

from django.http import HttpRequest

from dpf.accounts.models import User


class AuthedHttpRequest(HttpRequest):
    """``request.user`` is a signed-in ``User``: ``permission_required`` refuses everyone
    else before the view runs (django-stubs types a plain request's user as
    ``User | AnonymousUser``)."""

    user: User
