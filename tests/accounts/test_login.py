"""Login hardening: audit of logins, lock-out, TOTP second factor, idle expiry, cookies, CSP."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from dpf.accounts import otp
from dpf.accounts.models import RoleSecurityPolicy
from dpf.core.models import AuditEntry
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-Battery-9"
LOGIN = "/accounts/login/"


def _login(client: Client, username: str, password: str = PASSWORD, ip: str = "10.0.0.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _code(device: TOTPDevice, drift: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift)
    return f"{value:06d}"


def _reset_throttle(device: TOTPDevice) -> None:
    """Forget django-otp's own back-off after a wrong code (seconds, doubling)."""
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()


def _staff_page_status(client: Client) -> int:
    return client.get(reverse("registry:search")).status_code


@pytest.fixture
def officer(regions):
    return make_user("county_officer", "150402")


@pytest.fixture
def admin(regions):
    return make_user("city_admin", "150400")


@pytest.fixture
def worker(regions):
    """A role that logs in with the password alone (it cannot see personal data in full)."""
    return make_user("village_worker", "150402001001")


def test_login_and_logout_are_audited_with_client_address(client, worker):
    response = _login(client, worker.username)
    assert response.status_code == 302
    assert _staff_page_status(client) == 200
    entry = AuditEntry.objects.get(action="login")
    assert entry.actor_id == worker.pk
    assert entry.client_address == "10.0.0.7"
    assert entry.role == "village_worker"
    assert entry.region_code == "150402001001"
    client.post(reverse("accounts:logout"))
    assert AuditEntry.objects.filter(action="logout", actor=worker).count() == 1
    assert _staff_page_status(client) == 302


def test_failed_login_is_audited_without_the_password(client, officer):
    response = _login(client, officer.username, "wrong-password-1")
    assert response.status_code == 200  # the form again, with the error
    entry = AuditEntry.objects.get(action="login_failure")
    assert entry.actor is None
    assert entry.actor_name == officer.username
    assert "wrong-password" not in str(entry.changes) + entry.reason
    assert _staff_page_status(client) == 302


def test_id_number_typed_as_user_name_is_redacted_in_the_audit(client, regions):
    _login(client, "150402198005170011", "whatever-1")
    entry = AuditEntry.objects.get(action="login_failure")
    assert "150402198005170011" not in entry.actor_name


def test_five_wrong_passwords_lock_the_account_for_this_address(client, officer):
    for _ in range(5):
        _login(client, officer.username, "wrong-password-1")
    assert AuditEntry.objects.filter(action="login_failure").count() == 5
    locked = _login(client, officer.username)  # even the right password now
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "账号已暂时锁定" in text
    assert "30" in text
    assert _staff_page_status(client) == 302
    attempt = AccessAttempt.objects.get(username=officer.username)
    assert attempt.failures_since_start >= 5
    assert attempt.ip_address == "10.0.0.7"
    assert AuditEntry.objects.filter(action="login_failure").count() == 6
    # Locked by user name *and* address: the same user from another address may still log in.
    other = Client()
    assert _login(other, officer.username, ip="10.0.0.8").status_code == 302


def test_lock_out_page_in_english(client, officer):
    for _ in range(5):
        _login(client, officer.username, "wrong-password-1")
    locked = client.post(
        LOGIN,
        {"username": officer.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.7",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Account temporarily locked" in text
    assert "After 5 failed logins" in text


def test_lock_out_expires_after_the_cool_off(client, officer, settings):
    for _ in range(5):
        _login(client, officer.username, "wrong-password-1")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
    assert _login(client, officer.username).status_code == 302


# --- second factor ---------------------------------------------------------------------


def test_city_admin_must_enrol_a_second_factor_before_the_session_is_logged_in(client, admin):
    response = _login(client, admin.username)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp_enrol")
    assert _staff_page_status(client) == 302  # password alone is not a login
    assert not AuditEntry.objects.filter(action="login").exists()
    page = client.get(reverse("accounts:otp_enrol"))
    text = page.content.decode()
    assert 'src="data:image/svg+xml' in text
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    assert otp.secret_text(device) in text
    wrong = client.post(
        reverse("accounts:otp_enrol"), {"code": "000000" if _code(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 200
    assert "动态口令不正确" in wrong.content.decode()
    _reset_throttle(device)
    done = client.post(reverse("accounts:otp_enrol"), {"code": _code(device)})
    assert done.status_code == 302
    assert _staff_page_status(client) == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="login", actor=admin).count() == 1


def test_second_factor_verify_step(client, admin):
    device = TOTPDevice.objects.create(user=admin, name="default", confirmed=True)
    response = _login(client, admin.username)
    assert response["Location"] == reverse("accounts:otp_verify")
    assert client.get(reverse("accounts:otp_enrol")).status_code == 302  # cannot replace it
    bad = client.post(reverse("accounts:otp_verify"), {"code": "12345"})
    assert bad.status_code == 200
    assert _staff_page_status(client) == 302
    failure = AuditEntry.objects.filter(action="login_failure").latest("id")
    assert failure.changes == {"stage": "otp"}
    _reset_throttle(device)
    ok = client.post(reverse("accounts:otp_verify"), {"code": _code(device)})
    assert ok.status_code == 302
    assert _staff_page_status(client) == 200


def test_too_many_wrong_codes_abandon_the_pending_login(client, admin):
    TOTPDevice.objects.create(user=admin, name="default", confirmed=True)
    _login(client, admin.username)
    for _ in range(otp.MAX_CODE_FAILURES):
        client.post(reverse("accounts:otp_verify"), {"code": "12345"})
    assert client.get(reverse("accounts:otp_verify")).status_code == 302
    assert client.session.get(otp.PENDING_KEY) is None


def test_demo_accounts_need_no_second_factor_in_the_demo(client, admin, settings):
    settings.DPF_DEMO = True
    admin.demo = True
    admin.save()
    assert _login(client, admin.username)["Location"] != reverse("accounts:otp_enrol")
    assert _staff_page_status(client) == 200


def test_city_admin_requires_the_second_factor_for_another_role(client, admin, worker):
    client.force_login(admin)
    page = client.get(reverse("accounts:security_policy"))
    assert page.status_code == 200
    assert _login(Client(), worker.username)["Location"] != reverse("accounts:otp_enrol")
    response = client.post(reverse("accounts:security_policy"), {"require_otp": ["village_worker"]})
    assert response.status_code == 302
    assert RoleSecurityPolicy.objects.get(role="village_worker").require_otp
    change = AuditEntry.objects.get(action="change", object_type="security_policy")
    assert change.object_id == "village_worker"
    assert change.changes == {"require_otp": [False, True]}
    other = Client()
    assert _login(other, worker.username)["Location"] == reverse("accounts:otp_enrol")
    # Unknown roles are refused, and nothing changes.
    client.post(reverse("accounts:security_policy"), {"require_otp": ["nobody"]})
    assert RoleSecurityPolicy.objects.get(role="village_worker").require_otp


def test_only_city_admins_reach_the_policy_page(client, officer):
    client.force_login(officer)
    assert client.get(reverse("accounts:security_policy")).status_code == 404
    assert client.post(reverse("accounts:security_policy"), {"require_otp": []}).status_code == 404
    assert not RoleSecurityPolicy.objects.exists()


# --- sessions, cookies, headers, CSRF -------------------------------------------------------


def _age_session_touch(session_key: str, seconds: int) -> None:
    """Make the session's last touch ``seconds`` older (as if that much time had passed)."""
    store = SessionStore(session_key=session_key)
    store["_touched"] = int(store.get("_touched", 0)) - seconds
    store.save()


def test_session_expires_after_thirty_minutes_idle(client, officer, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.DPF_SESSION_TOUCH_SECONDS == 60
    client.force_login(officer)
    assert _staff_page_status(client) == 200
    key = client.session.session_key
    session = Session.objects.get(session_key=key)
    remaining = session.expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)
    # Activity more than a minute after the last touch pushes the expiry forward ...
    _age_session_touch(key, 61)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(minutes=5))
    assert _staff_page_status(client) == 200
    assert Session.objects.get(pk=session.pk).expire_date > timezone.now() + timedelta(minutes=29)
    # ... and 30 idle minutes end the session.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("registry:search"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_requests_within_a_minute_do_not_write_the_session(client, officer):
    """Reading pages is not a write per request: the session row is saved at most once a
    minute (the expiry moves on the first request after that)."""
    client.force_login(officer)
    assert _staff_page_status(client) == 200
    key = client.session.session_key
    soon = timezone.now() + timedelta(minutes=5)
    Session.objects.filter(session_key=key).update(expire_date=soon)
    assert _staff_page_status(client) == 200
    assert Session.objects.get(session_key=key).expire_date == soon
    # an anonymous visitor's request creates no session row at all
    client.logout()
    before = Session.objects.count()
    client.get(reverse("accounts:login"))
    assert Session.objects.count() == before


def test_session_cookie_flags(client, officer):
    response = _login(client, officer.username)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert not cookie["max-age"]  # ends with the browser too


def test_https_deployment_sets_secure_cookies_and_hsts():
    root = Path(__file__).resolve().parents[2]
    code = (
        "import config.settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0)"
    )
    env = {**os.environ, "DPF_HTTPS": "1", "DPF_DEBUG": "0"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "True", "True"]


def test_content_security_policy_has_no_unsafe_inline(client, officer):
    client.force_login(officer)
    for url in (LOGIN, reverse("indicators:dashboard")):
        csp = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp


def test_post_without_csrf_token_is_refused(officer):
    strict = Client(enforce_csrf_checks=True)
    assert (
        strict.post(LOGIN, {"username": officer.username, "password": PASSWORD}).status_code == 403
    )
    assert not AuditEntry.objects.filter(action="login").exists()
    strict.force_login(officer)
    assert strict.post(reverse("accounts:logout")).status_code == 403


# --- passwords ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "weak",
    ["Ab1!", "password123", "12345678901", "county_officer-1x"],
)
def test_django_password_validators_refuse_weak_passwords(officer, weak):
    """Django's four validators (length, common, numeric, similar to the user name); the
    portal's password forms call them (tests/portal/test_registration.py)."""
    from django.conf import settings
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    names = {v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert names == {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }
    officer.username = "county_officer-1x"
    with pytest.raises(ValidationError):
        validate_password(weak, officer)
    validate_password(PASSWORD, officer)  # a strong one passes
