"""Log in and out."""

from __future__ import annotations

from django.contrib.auth import views as auth_views

from dpf.core.access import public

login = public(auth_views.LoginView.as_view(template_name="accounts/login.html"))
logout = public(auth_views.LogoutView.as_view())
