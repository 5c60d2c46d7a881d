"""Benefit descriptions in English (issue 17 part 10): every shipped item has one after the
migrations, the pages show it in English mode, a city's own item without one shows its
Chinese text."""

from __future__ import annotations

import html
import importlib

import pytest
from django.urls import reverse
from django.utils import translation

from dpf.benefits.catalogue import shipped_catalogue
from dpf.benefits.models import BenefitItem
from tests.portal.conftest import certified, citizen_for, client_for

pytestmark = pytest.mark.django_db

# the migration that shipped the English texts (its module name starts with a digit)
SHIPPING = importlib.import_module("dpf.benefits.migrations.0009_ship_descriptions_en")


def page(client, name: str) -> str:
    return html.unescape(client.get(reverse(name)).content.decode())


def has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_every_shipped_item_has_an_english_description_after_the_migrations() -> None:
    shipped = shipped_catalogue()
    rows = BenefitItem.objects.filter(code__in=list(shipped))
    assert rows.count() == len(shipped) == 13
    for item in rows:
        assert item.description_en.strip(), item.code
        assert not has_han(item.description_en), item.code  # English, not a copy
        assert item.description_en != item.description, item.code
    frozen = {raw["code"] for raw in SHIPPING.descriptions()}
    assert frozen == set(shipped)


def test_the_migration_leaves_changed_and_written_texts_alone() -> None:
    items = BenefitItem.objects.all()
    items.update(description_en="")
    BenefitItem.objects.filter(code="care_service").update(description="本市调整后的说明")
    BenefitItem.objects.filter(code="free_transport").update(description_en="Our own words.")
    assert SHIPPING.fill(items) == 11
    assert BenefitItem.objects.get(code="care_service").description_en == ""
    assert BenefitItem.objects.get(code="free_transport").description_en == "Our own words."
    assert SHIPPING.fill(items) == 0


def test_localised_description_falls_back_to_the_chinese() -> None:
    own = BenefitItem(code="city_own", name_zh="本市自设补贴", name_en="", description="本市说明")
    shipped = BenefitItem.objects.get(code="free_transport")
    with translation.override("en"):
        assert own.localised_description == "本市说明"
        assert shipped.localised_description == shipped.description_en
    with translation.override("zh-hans"):
        assert shipped.localised_description == shipped.description


def test_catalogue_in_english_shows_the_english_descriptions(client) -> None:
    BenefitItem.objects.create(
        code="city_own",
        name_zh="本市自设补贴",
        name_en="City's own allowance",
        description="本市自设事项的说明",
        order=99,
    )
    chinese = page(client, "benefits:catalogue")
    client.cookies["django_language"] = "en"
    english = page(client, "benefits:catalogue")
    for item in BenefitItem.objects.exclude(code="city_own"):
        assert item.description in chinese, item.code
        assert item.description_en not in chinese, item.code
        assert item.description_en in english, item.code
        assert item.description not in english, item.code
    assert "本市自设事项的说明" in english  # no English text: the Chinese, not an empty line


def test_portal_help_in_english_shows_the_english_description(regions) -> None:
    client = client_for(citizen_for(certified()))
    transport = BenefitItem.objects.get(code="free_transport")
    assert transport.description in page(client, "portal:home")
    client.cookies["django_language"] = "en"
    english = page(client, "portal:home")
    assert transport.description_en in english
    assert transport.description not in english
    offered = english[english.index('class="help-list"') :]
    for item in BenefitItem.objects.all():
        assert item.description[:20] not in offered, item.code
