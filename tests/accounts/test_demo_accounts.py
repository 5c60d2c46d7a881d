"""Demo accounts share a published password: they log in on a demo installation only, where
the log-in page lists them; a real installation lists no user names and refuses them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from dpf.accounts.backends import DEMO_PASSWORD
from dpf.core.models import AuditEntry
from tests.factories import make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture
def demo_officer(regions: None) -> Any:
    user = make_user("county_officer", "150402", demo=True)
    user.username = "demo_county_hongshan"
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


@pytest.fixture
def real_officer(regions: None) -> Any:
    user = make_user("county_officer", "150404")
    user.username = "wang_officer"
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def _log_in(client: Client, username: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": DEMO_PASSWORD})


def test_a_demo_account_is_refused_outside_a_demo_installation(
    settings: Any, demo_officer: Any, real_officer: Any
) -> None:
    settings.DPF_DEMO = False
    refused = _log_in(Client(), demo_officer.username)
    assert refused.status_code == 200
    assert "_auth_user_id" not in refused.client.session
    body = refused.content.decode()
    assert "登录未成功" in body
    assert demo_officer.username not in body.split("</form>")[1]
    assert AuditEntry.objects.filter(action="login_failure").count() == 1
    assert not AuditEntry.objects.filter(action="login").exists()
    # The same password on an ordinary account still works: only the demo flag is refused.
    assert _log_in(Client(), real_officer.username).status_code == 302


def test_a_demo_account_logs_in_on_a_demo_installation(settings: Any, demo_officer: Any) -> None:
    settings.DPF_DEMO = True
    assert _log_in(Client(), demo_officer.username).status_code == 302
    assert AuditEntry.objects.filter(action="login", actor=demo_officer).exists()


@pytest.mark.parametrize("demo_mode", [True, False])
def test_the_log_in_page_lists_demo_accounts_only_on_a_demo_installation(
    settings: Any, demo_officer: Any, real_officer: Any, demo_mode: bool
) -> None:
    settings.DPF_DEMO = demo_mode
    body = Client().get(LOGIN).content.decode()
    assert (demo_officer.username in body) is demo_mode
    assert (DEMO_PASSWORD in body) is demo_mode
    assert real_officer.username not in body
    if demo_mode:
        assert "旗县区残联工作人员" in body
        assert "红山区" in body
