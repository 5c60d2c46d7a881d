"""Error pages: the platform layout, Chinese with English, no request data, no stack trace."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.views import defaults

from tests.factories import new_id_number

pytestmark = pytest.mark.django_db

ID_NUMBER = new_id_number("150402")


def _layout(page: str) -> None:
    assert 'class="skip-link" href="#main"' in page
    assert '<main id="main"' in page
    assert "<header" in page
    assert "<footer" in page
    assert f'href="{reverse("core:home")}"' in page
    assert 'rel="icon"' in page  # no /favicon.ico request from browsers
    assert "Traceback" not in page
    assert "File &quot;" not in page


@override_settings(DEBUG=False)
def test_an_unknown_url_answers_404_with_the_chinese_heading(client) -> None:
    response = client.get(f"/no-such-page/{ID_NUMBER}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<h1 id="error-h">页面不存在</h1>' in page
    assert "Page not found" in page
    _layout(page)
    assert ID_NUMBER not in page  # the requested path is not echoed


@override_settings(DEBUG=False)
def test_a_refused_record_answers_the_same_404_page(client, county_officer) -> None:
    client.force_login(county_officer)
    response = client.get(reverse("indicators:plan_upload"))
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page
    _layout(page)
    assert 'aria-label="主导航"' in page  # a logged-in user keeps the navigation


@override_settings(DEBUG=False, LANGUAGE_CODE="en")
def test_the_404_page_in_english(client) -> None:
    client.cookies["django_language"] = "en"
    page = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Page not found" in page
    assert "页面不存在" not in page


def test_the_403_page() -> None:
    request = RequestFactory().get("/somewhere/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = defaults.permission_denied(request, PermissionDenied("secret detail"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权访问" in page
    assert "Access denied" in page
    assert "secret detail" not in page
    _layout(page)


@override_settings(ROOT_URLCONF="tests.security.boom_urls", DEBUG=False)
def test_the_500_page_shows_no_exception_or_personal_data() -> None:
    client = Client(raise_request_exception=False)
    response = client.post("/boom/", {"id_number": ID_NUMBER, "phone": "13804710000"})
    assert response.status_code == 500
    page = response.content.decode()
    assert "服务器出错" in page
    assert "Server error" in page
    _layout(page)
    assert ID_NUMBER not in page
    assert "13804710000" not in page
    assert "ValueError" not in page
    assert "could not match" not in page
    assert "<form" not in page  # rendered without a request: no forms without CSRF tokens
