"""Registration through the pages with the file sender, the takeover attacks on it (a
stranger's phone, guessed certificate numbers in both spellings of the ID number), and the
worker's account page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse

from dpf.portal.models import CitizenAccount, RateEvent, VerificationCode
from tests.factories import make_user
from tests.portal.conftest import PHONE_ON_FILE, certificate_number, certified, client_for

pytestmark = pytest.mark.django_db

STRANGER_PHONE = "18600009999"  # 186****9999: the number a stranger would like the code on


@pytest.fixture
def outbox(settings, tmp_path):
    path = tmp_path / "outbox.txt"
    settings.DPF_MESSAGE_SENDER = "dpf.portal.messaging.FileSender"
    settings.DPF_MESSAGE_OUTBOX = str(path)
    return path


def _sent_to(outbox) -> list[str]:
    """The (masked) phone of every message in the outbox."""
    if not outbox.exists():
        return []
    return [line.split("\t")[1] for line in outbox.read_text(encoding="utf-8").splitlines()]


def _wait(hours: int) -> None:
    """The attacker waits: every attempt counted so far is ``hours`` older."""
    RateEvent.objects.update(at=F("at") - dt.timedelta(hours=hours))


def _log_in(username: str, password: str) -> Client:
    client = Client()
    next_url = reverse("portal:home")
    response = client.post(
        reverse("accounts:login") + f"?next={next_url}",
        {"username": username, "password": password},
    )
    assert response.status_code == 302
    assert response["Location"] == next_url
    return client


def test_register_with_the_code_from_the_file_sender(person, outbox) -> None:
    client = Client()
    assert client.get(reverse("portal:register_confirm")).status_code == 302
    page = client.get(reverse("portal:register")).content.decode()
    assert 'name="phone"' not in page  # no number to type: the code goes to the one on file
    form = {"id_number": person.id_number, "certificate_number": certificate_number(person)}
    wrong = client.post(reverse("portal:register"), {**form, "certificate_number": "x" * 20})
    assert wrong.status_code == 400
    assert "不匹配" in wrong.content.decode()
    response = client.post(reverse("portal:register"), form, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:register_confirm")
    assert "139****1234" in response.content.decode()  # where the code went, masked
    line = outbox.read_text(encoding="utf-8")
    assert PHONE_ON_FILE not in line
    assert "139****1234" in line
    code = re.search(r"\b(\d{6})\b", line.split("\t", 2)[2])
    assert code is not None
    done = client.post(
        reverse("portal:register_confirm"),
        {
            "code": code.group(1),
            "username": "haiming_w",
            "password": "Steppe-Horse-Lantern-42",
            "password2": "Steppe-Horse-Lantern-42",
        },
    )
    assert done.status_code == 302
    assert CitizenAccount.objects.get(person=person).user.username == "haiming_w"
    login = _log_in("haiming_w", "Steppe-Horse-Lantern-42")
    assert person.name in login.get(reverse("portal:home")).content.decode()


def test_a_stranger_who_knows_both_numbers_cannot_get_the_code_on_their_phone(
    person, outbox
) -> None:
    """The takeover of issue 14: the stranger posts the person's ID and certificate numbers
    with their own phone. The code goes to the phone on file, or nowhere."""
    client = Client()
    response = client.post(
        reverse("portal:register"),
        {
            "id_number": person.id_number,
            "certificate_number": certificate_number(person),
            "phone": STRANGER_PHONE,
        },
    )
    assert response.status_code in (302, 400)
    assert "186****9999" not in _sent_to(outbox)
    assert set(_sent_to(outbox)) <= {"139****1234"}
    assert all(r.phone == PHONE_ON_FILE for r in VerificationCode.objects.all())
    assert not CitizenAccount.objects.exists()


def test_guessing_the_certificate_number_in_both_spellings_of_the_id_is_stopped(
    person, outbox
) -> None:
    """The stranger tries the 28 possible certificate numbers, alternating the 15- and
    18-digit spellings of the ID number, from a new address and two hours apart each time
    (under every hourly limit). Online registration pauses after the fifth refusal: the
    right number is refused too, no code is ever sent, and the owner is warned."""
    eighteen = person.id_number
    fifteen = eighteen[:6] + eighteen[8:17]
    right = certificate_number(person)
    statuses = []
    for i, ending in enumerate(f"{c}{lv}" for c in range(1, 8) for lv in range(1, 5)):
        response = Client().post(
            reverse("portal:register"),
            {
                "id_number": (eighteen, fifteen)[i % 2],
                "certificate_number": right[:18] + ending,
                "phone": STRANGER_PHONE,
            },
            REMOTE_ADDR=f"10.20.{i}.1",
        )
        statuses.append(response.status_code)
        if i == 5:
            assert "网上注册已暂停" in response.content.decode()
        _wait(hours=2)
    assert statuses == [400] * 28
    assert not VerificationCode.objects.exists()
    assert not CitizenAccount.objects.exists()
    assert _sent_to(outbox) == ["139****1234"]  # the owner's warning, nothing else
    assert "尝试注册" in outbox.read_text(encoding="utf-8")


def test_worker_opens_an_account_from_the_staff_page(person, village_worker) -> None:
    client = client_for(village_worker)
    url = reverse("portal:account_new", args=[person.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"username": "wang_desk", "phone": ""})
    html = response.content.decode()
    assert response.status_code == 200
    password = re.search(r'class="initial-password">([^<]+)<', html)
    assert password is not None
    # The initial password opens only the password change until the citizen sets their own.
    citizen = _log_in("wang_desk", password.group(1))
    home = citizen.get(reverse("portal:home"))
    assert home.status_code == 302
    assert home.headers["Location"].startswith(reverse("accounts:password_change"))
    changed = citizen.post(
        reverse("accounts:password_change"),
        {
            "old_password": password.group(1),
            "new_password": "Steppe-Horse-Lantern-42",
            "new_password_again": "Steppe-Horse-Lantern-42",
        },
    )
    assert changed.status_code == 302
    assert citizen.get(reverse("portal:home")).status_code == 200
    outside = certified(name="巴特尔", village="150404002001")
    url = reverse("portal:account_new", args=[outside.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"username": "not_mine"}).status_code == 404
    county = make_user("county_officer", "150402")
    assert (
        client_for(county).get(reverse("portal:account_new", args=[person.pk])).status_code == 404
    )
    assert not CitizenAccount.objects.filter(person=outside).exists()
