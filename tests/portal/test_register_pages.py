"""Registration through the pages with the file sender, and the worker's account page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from dpf.portal.models import CitizenAccount
from tests.factories import make_user
from tests.portal.conftest import certificate_number, certified, client_for

pytestmark = pytest.mark.django_db


def _log_in(username: str, password: str) -> Client:
    client = Client()
    next_url = reverse("portal:home")
    response = client.post(
        reverse("accounts:login") + f"?next={next_url}",
        {"username": username, "password": password},
    )
    assert response.status_code == 302 and response["Location"] == next_url
    return client


def test_register_with_the_code_from_the_file_sender(person, settings, tmp_path) -> None:
    outbox = tmp_path / "outbox.txt"
    settings.DPF_MESSAGE_SENDER = "dpf.portal.messaging.FileSender"
    settings.DPF_MESSAGE_OUTBOX = str(outbox)
    client = Client()
    assert client.get(reverse("portal:register_confirm")).status_code == 302
    form = {
        "id_number": person.id_number,
        "certificate_number": certificate_number(person),
        "phone": "13904761234",
    }
    wrong = client.post(reverse("portal:register"), {**form, "certificate_number": "x" * 20})
    assert wrong.status_code == 400
    assert "不匹配" in wrong.content.decode()
    response = client.post(reverse("portal:register"), form)
    assert response["Location"] == reverse("portal:register_confirm")
    line = outbox.read_text(encoding="utf-8")
    assert "13904761234" not in line and "139****1234" in line
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


def test_worker_opens_an_account_from_the_staff_page(person, village_worker) -> None:
    client = client_for(village_worker)
    url = reverse("portal:account_new", args=[person.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"username": "wang_desk", "phone": ""})
    html = response.content.decode()
    assert response.status_code == 200
    password = re.search(r'class="initial-password">([^<]+)<', html)
    assert password is not None
    assert _log_in("wang_desk", password.group(1)).get(reverse("portal:home")).status_code == 200
    outside = certified(name="巴特尔", village="150404002001")
    url = reverse("portal:account_new", args=[outside.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"username": "not_mine"}).status_code == 404
    county = make_user("county_officer", "150402")
    assert (
        client_for(county).get(reverse("portal:account_new", args=[person.pk])).status_code == 404
    )
    assert not CitizenAccount.objects.filter(person=outside).exists()
