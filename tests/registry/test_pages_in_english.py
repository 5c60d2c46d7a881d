"""No internals on screen, in both languages (issue 17 part 10): the layout's labels are not
doubled in English, region names follow the language, the timeline names the staff member."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dpf.core.models import Region
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db


def _english(client, url: str) -> str:
    client.cookies["django_language"] = "en"
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_layout_says_each_label_once_in_english(client, county_officer, settings) -> None:
    settings.DPF_DEMO = True
    client.force_login(county_officer)
    url = reverse("registry:search")
    html = _english(client, url)
    assert "Language Language" not in html
    assert ">Language</label>" in html
    assert "Demo data</strong>: " in html
    assert "demo data" not in html
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(url).content.decode()
    assert '语言 <span lang="en">Language</span>' in chinese  # the bilingual label for Chinese


def test_region_names_and_timeline_sources_on_the_person_page(client, county_officer) -> None:
    Region.objects.filter(code="150402").update(name_en="Hongshan District")
    registrar = make_user("village_worker", "150402001001")
    person = make_person(actor=registrar, village_code="150402001001")
    client.force_login(county_officer)
    url = reverse("registry:person", args=[person.pk])
    html = _english(client, url)
    assert "Hongshan District" in html
    assert registrar.username in html  # who registered the residence, by name
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(url).content.decode()
    assert Region.objects.get(code="150402").name in chinese
    assert f"工作人员 {registrar.pk}" not in chinese
    assert registrar.username in chinese
