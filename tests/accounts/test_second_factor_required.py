"""Every role that can see personal data in full (reveal, unmasked and bank-list exports)
must log in with the second factor: a stolen password alone reveals nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from dpf.accounts import otp
from dpf.accounts.models import RoleSecurityPolicy
from dpf.accounts.permissions import PERMISSIONS, roles_with
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-Battery-9"
LOGIN = "/accounts/login/"
# Role -> a region it is bound to (the person below lives under every one of them).
FULL_VIEW_ROLES = {
    "city_admin": "150400",
    "county_officer": "150402",
    "township_officer": "150402001",
}


def _login(client: Client, username: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": PASSWORD})


def _code(device: TOTPDevice) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:06d}"


def _reveal(client: Client, person: Any) -> Any:
    return client.post(
        reverse("registry:reveal_person", args=[person.pk]), {"reason": "核对身份证件信息"}
    )


def _export_unmasked(client: Client) -> Any:
    return client.post(
        reverse("exchange:export"),
        {
            "region": "150402",
            "as_of": dt.date(2026, 6, 30).isoformat(),
            "purpose": "护理补贴年审核对",
            "unmask": "on",
        },
    )


def test_the_roles_that_must_use_it_are_those_that_see_personal_data_in_full():
    revealers = {str(p.role) for p in PERMISSIONS if p.action == "reveal"}
    bank_list = {str(r) for r in roles_with("export", "payment_list")}
    assert otp.mandatory_roles() == revealers | bank_list
    assert otp.mandatory_roles() == set(FULL_VIEW_ROLES)


@pytest.mark.parametrize("role", sorted(FULL_VIEW_ROLES))
def test_a_password_alone_reveals_nothing_and_exports_nothing(regions, role):
    """The attack: someone holding an officer's password. Even with an old policy row that
    switched the role off, the password opens no session."""
    RoleSecurityPolicy.objects.create(role=role, require_otp=False)
    user = make_user(role, FULL_VIEW_ROLES[role])
    person = make_person(phone="13904760002")
    client = Client()
    response = _login(client, user.username)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp_enrol")
    assert "_auth_user_id" not in client.session
    for attempt in (_reveal(client, person), _export_unmasked(client)):
        assert attempt.status_code == 302
        assert attempt["Location"].startswith(LOGIN)
        assert person.id_number not in attempt.content.decode()
    assert not AuditEntry.objects.filter(action__in=["login", "reveal", "export"]).exists()


def test_with_the_second_factor_the_officer_reveals_as_before(regions):
    officer = make_user("county_officer", "150402")
    person = make_person(phone="13904760002")
    client = Client()
    _login(client, officer.username)
    client.get(reverse("accounts:otp_enrol"))  # the device being enrolled
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    assert client.post(reverse("accounts:otp_enrol"), {"code": _code(device)}).status_code == 302
    revealed = _reveal(client, person)
    assert revealed.status_code == 200
    assert person.id_number in revealed.content.decode()


def test_the_policy_cannot_switch_it_off_for_those_roles(regions):
    admin = make_user("city_admin", "150400")
    for role in FULL_VIEW_ROLES:
        with pytest.raises(ValidationFailed) as info:
            otp.policy_set(actor=admin, role=role, require_otp=False)
        assert info.value.code == "otp_mandatory"
        assert info.value.field == "role"
        assert "动态口令" in info.value.message_zh
        assert "second factor" in info.value.message_en
    assert not RoleSecurityPolicy.objects.filter(require_otp=False).exists()
    # The page shows them fixed; a crafted POST leaving them out keeps them required.
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("accounts:security_policy")).content.decode()
    for role in FULL_VIEW_ROLES:
        assert f'id="otp-{role}"' in page
        box = page.split(f'id="otp-{role}"', 1)[1].split(">", 1)[0]
        assert "checked" in box
        assert "disabled" in box
    client.post(reverse("accounts:security_policy"), {"require_otp": ["village_worker"]})
    officer = make_user("county_officer", "150402")
    assert otp.required_for(officer)
    assert RoleSecurityPolicy.objects.get(role="village_worker").require_otp


def test_demo_accounts_log_in_without_it_on_a_demo_installation_only(regions, settings):
    settings.DPF_DEMO = True
    demo_officer = make_user("county_officer", "150402", demo=True)
    real_officer = make_user("county_officer", "150402")
    client = Client()
    assert _login(client, demo_officer.username)["Location"] != reverse("accounts:otp_enrol")
    assert client.session.get("_auth_user_id") == str(demo_officer.pk)
    # A real account on a demo installation still needs it.
    assert _login(Client(), real_officer.username)["Location"] == reverse("accounts:otp_enrol")
    # A demo account anywhere else does not log in at all (AccountBackend).
    settings.DPF_DEMO = False
    assert otp.required_for(demo_officer)
