"""Account pages (issue 17 part 3): the administrator's list, form and actions, and the
password change every user makes after a one-time password."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dpf.accounts.models import User
from dpf.core.models import AuditEntry
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-Battery-9"


def _login(client, user) -> None:
    client.force_login(user)


def test_the_list_shows_the_region_s_accounts_only(client) -> None:
    county = make_user("county_officer", "150402")
    mine = make_user("township_officer", "150402001")
    theirs = make_user("township_officer", "150404002")
    _login(client, county)
    page = client.get(reverse("accounts:staff_accounts")).content.decode()
    assert mine.username in page
    assert theirs.username not in page


def test_roles_without_the_permission_get_404(client) -> None:
    _login(client, make_user("township_officer", "150402001"))
    assert client.get(reverse("accounts:staff_accounts")).status_code == 404
    assert client.get(reverse("accounts:staff_account_new")).status_code == 404


def test_create_shows_the_one_time_password_once(client) -> None:
    admin = make_user("city_admin", "150400")
    _login(client, admin)
    response = client.post(
        reverse("accounts:staff_account_new"),
        {
            "username": "tw-new",
            "name": "王丽",
            "role": "township_officer",
            "region": "150402001",
            "institution_code": "",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response.headers.get("Cache-Control", "")
    shown = re.search(r'class="initial-password">([^<]+)<', response.content.decode())
    assert shown is not None
    account = User.objects.get(username="tw-new")
    assert account.check_password(shown.group(1))
    assert account.must_change_password
    # The account's page never shows it again.
    detail = client.get(reverse("accounts:staff_account", args=[account.pk])).content.decode()
    assert shown.group(1) not in detail


def test_a_refused_grant_is_shown_in_the_form_and_writes_nothing(client) -> None:
    county = make_user("county_officer", "150402")
    _login(client, county)
    response = client.post(
        reverse("accounts:staff_account_new"),
        {"username": "sneaky", "name": "", "role": "township_officer", "region": "150404002"},
    )
    # 150404002 is not even among the choices: the form refuses before the service does.
    assert response.status_code == 400
    assert not User.objects.filter(username="sneaky").exists()


def test_refusals_are_bilingual(client) -> None:
    county = make_user("county_officer", "150402")
    _login(client, county)
    data = {"username": "bad-level", "name": "", "role": "township_officer", "region": "150402"}
    zh = client.post(reverse("accounts:staff_account_new"), data).content.decode()
    assert "的所属地区应为" in zh
    client.cookies["django_language"] = "en"
    en = client.post(
        reverse("accounts:staff_account_new"), data, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "belongs to a region of level township" in en
    assert not User.objects.filter(username="bad-level").exists()


def test_password_reset_of_another_county_s_account_is_404(client) -> None:
    county = make_user("county_officer", "150402")
    target = make_user("township_officer", "150404002")
    _login(client, county)
    response = client.post(reverse("accounts:staff_account_password", args=[target.pk]))
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.check_password(PASSWORD)
    assert not target.must_change_password
    assert AuditEntry.objects.filter(action="permission_denied").exists()


def test_disable_reset_and_otp_from_the_account_page(client) -> None:
    county = make_user("county_officer", "150402")
    target = make_user("township_officer", "150402001")
    _login(client, county)
    url = reverse("accounts:staff_account", args=[target.pk])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        reverse("accounts:staff_account_active", args=[target.pk]),
        {"active": "0", "reason": "调离"},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    response = client.post(reverse("accounts:staff_account_password", args=[target.pk]))
    assert response.status_code == 200
    assert b"initial-password" in response.content
    response = client.post(reverse("accounts:staff_account_otp", args=[target.pk]))
    assert response.status_code == 302


def test_change_form_saves_and_audits(client) -> None:
    county = make_user("county_officer", "150402")
    target = make_user("village_worker", "150402001001")
    _login(client, county)
    response = client.post(
        reverse("accounts:staff_account", args=[target.pk]),
        {
            "name": "李强",
            "role": "township_officer",
            "region": "150402001",
            "institution_code": "",
            "reason": "岗位调整",
        },
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.role == "township_officer"
    assert AuditEntry.objects.get(object_type="user", action="change").reason == "岗位调整"


# --- the password change required after a one-time password ---------------------------------


def test_a_user_who_must_change_the_password_reaches_nothing_else(client) -> None:
    user = make_user("township_officer", "150402001", must_change_password=True)
    client.force_login(user)
    home = client.get(reverse("core:home"))
    assert home.status_code == 302
    assert home.headers["Location"].startswith(reverse("accounts:password_change"))
    search = client.get(reverse("registry:search"))
    assert search.headers["Location"].startswith(reverse("accounts:password_change"))
    assert client.get(reverse("accounts:password_change")).status_code == 200
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password": "Fresh-Pass-2026!",
            "new_password_again": "Fresh-Pass-2026!",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert user.check_password("Fresh-Pass-2026!")
    # Still logged in (the session follows the new password), and free to work.
    assert client.get(reverse("registry:search")).status_code == 200


def test_password_change_refusals(client) -> None:
    user = make_user("township_officer", "150402001", must_change_password=True)
    client.force_login(user)
    url = reverse("accounts:password_change")
    mismatch = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password": "Fresh-Pass-2026!",
            "new_password_again": "Other-Pass-2026!",
        },
    )
    assert mismatch.status_code == 400
    wrong = client.post(
        url,
        {
            "old_password": "wrong",
            "new_password": "Fresh-Pass-2026!",
            "new_password_again": "Fresh-Pass-2026!",
        },
    )
    assert wrong.status_code == 400
    assert "当前密码不正确" in wrong.content.decode()
    user.refresh_from_db()
    assert user.must_change_password
    assert user.check_password(PASSWORD)


def test_the_password_page_asks_anonymous_users_to_log_in(client) -> None:
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:login"))
