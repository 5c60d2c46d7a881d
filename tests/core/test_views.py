"""The shared layout, the home page, the login page and the display preferences."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from dpf.core.middleware import PREF_COOKIE
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chinese_outside_requests() -> Iterator[None]:
    """Labels built outside a request are in the default language, whatever ran before."""
    with translation.override("zh-hans"):
        yield


def _html(response) -> str:
    return response.content.decode()


def test_home_is_public_with_landmarks_and_one_h1(client: Client) -> None:
    response = client.get(reverse("core:home"))
    html = _html(response)
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in html
    assert 'href="#main"' in html
    assert '<main id="main"' in html
    for landmark in ("<header", "<main", "<footer"):
        assert landmark in html
    assert html.count("<h1") == 1
    assert "赤峰市残疾人服务平台" in html
    assert reverse("accounts:login") in html
    # Logged out: no navigation, no logout form.
    assert reverse("accounts:logout") not in html


def test_no_inline_styles_or_scripts(client: Client) -> None:
    """The CSP forbids inline scripts and styles: the layout has none."""
    html = _html(client.get(reverse("core:home")))
    assert " style=" not in html
    assert "<style" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None


def test_english_sets_html_lang(client: Client) -> None:
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": reverse("core:home")}, follow=True
    )
    html = _html(response)
    assert '<html lang="en">' in html
    assert "Skip to main content" in html


def test_display_preferences_toggle_and_show_on_body(client: Client) -> None:
    html = _html(client.get(reverse("core:home")))
    assert 'name="toggle" value="large" aria-pressed="false"' in html
    response = client.post(
        reverse("core:display"), {"toggle": "large", "next": reverse("core:home")}
    )
    assert response.status_code == 302
    assert response.cookies[PREF_COOKIE].value == "large"
    client.post(reverse("core:display"), {"toggle": "contrast", "next": "/"})
    html = _html(client.get(reverse("core:home")))
    assert re.search(r'<body class="[^"]*display-large[^"]*display-contrast', html)
    assert 'value="large" aria-pressed="true"' in html
    client.post(reverse("core:display"), {"toggle": "large", "next": "/"})
    html = _html(client.get(reverse("core:home")))
    assert "display-large" not in html
    assert "display-contrast" in html


@override_settings(DPF_DEMO=True)
def test_demo_banner_when_demo_mode(client: Client) -> None:
    assert "演示数据" in _html(client.get(reverse("core:home")))


def test_no_demo_banner_otherwise(client: Client) -> None:
    assert "demo-banner" not in _html(client.get(reverse("core:home")))


def test_login_page_labels_and_error_alert(client: Client) -> None:
    html = _html(client.get(reverse("accounts:login")))
    assert 'for="id_username"' in html
    assert 'for="id_password"' in html
    assert 'role="alert"' not in html
    user = make_user("county_officer", "150402")
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": "wrong"}
    )
    html = _html(response)
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert 'value="' + user.username + '"' in html


def test_login_then_logout_with_post(client: Client) -> None:
    user = make_user("village_worker", "150402001001")
    response = client.post(
        reverse("accounts:login"),
        {"username": user.username, "password": "Correct-Horse-Battery-9"},
        follow=True,
    )
    html = _html(response)
    assert response.redirect_chain[-1][0] == reverse("registry:search")
    assert f'action="{reverse("accounts:logout")}"' in html
    assert 'aria-label="主导航"' in html
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_static_css_is_found() -> None:
    from django.contrib.staticfiles import finders

    assert finders.find("css/site.css")
    assert finders.find("js/site.js")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "region", "landing"),
    [
        ("village_worker", "150402001001", "registry:search"),
        ("county_officer", "150402", "accounts:otp_enrol"),  # the second factor first
        ("citizen", None, "portal:home"),
        ("viewer", "150400", "indicators:dashboard"),
    ],
)
def test_logging_in_lands_on_the_roles_start_page(
    client: Client, role: str, region: str | None, landing: str
) -> None:
    """After the password (no ``next``), each role starts where its work is: a citizen in
    the portal, never on a staff page that would answer 404."""
    user = make_user(role, region)
    response = client.post(
        reverse("accounts:login"),
        {"username": user.username, "password": "Correct-Horse-Battery-9"},
        follow=True,
    )
    assert [url for url, _ in response.redirect_chain][-1] == reverse(landing)
