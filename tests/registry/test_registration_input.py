"""Hostile input on the registration form (issue 14, holes 2 and 7): the same person twice
through other digits, and names that make staff read something else."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from dpf.core.models import AuditEntry
from dpf.registry.models import Certificate, Household, Person
from tests.factories import make_person, new_id_number

pytestmark = pytest.mark.django_db

PERSON_NEW = reverse("registry:person_new")
FULL_WIDTH = {ord(str(d)): 0xFF10 + d for d in range(10)} | {ord("X"): "Ｘ"}
ARABIC_INDIC = {ord(str(d)): 0x0660 + d for d in range(10)}
DEVANAGARI = {ord(str(d)): 0x0966 + d for d in range(10)}


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "高桂芝",
        "id_number": new_id_number("150402", dt.date(1966, 2, 3), "F"),
        "ethnicity": "汉族",
        "phone": "",
        "village": "150402001002",
        "household": "",
        "relation_to_head": "head",
        "certificate_number": "",
        "certificate_category": "",
        "certificate_level": "",
        "certificate_issue_date": "",
    }
    data.update(overrides)
    return data


def _written() -> tuple[int, int, int, int]:
    return (
        Person.objects.count(),
        Household.objects.count(),
        Certificate.objects.count(),
        AuditEntry.objects.filter(action="create").count(),
    )


def _post(client, user, data: dict[str, str]) -> str:
    client.force_login(user)
    response = client.post(PERSON_NEW, data)
    assert response.status_code == 400, "refused input re-renders the form with 400"
    return response.content.decode()


def _error_at(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="id_{field}_error">(.*?)</p>', html, re.S)
    assert found is not None, f"no error at {field}"
    return found.group(1)


@pytest.mark.parametrize("script", [FULL_WIDTH, ARABIC_INDIC, DEVANAGARI], ids=["fw", "ar", "dv"])
def test_the_same_person_cannot_be_registered_again_in_other_digits(
    client, county_officer, script
) -> None:
    """The attack: the real record exists; the same ID number typed in other digits used to
    pass validation, hash differently and register a second person beside it."""
    real = make_person(name="张海明", village_code="150402001001")
    before = _written()
    html = _post(client, county_officer, _form(id_number=real.id_number.translate(script)))
    assert _written() == before
    assert Person.objects.filter(birth_date=real.birth_date).count() == 1
    error = _error_at(html, "id_number")
    if script is FULL_WIDTH:  # the same number: the existing record is named as a duplicate
        assert "该身份证号码已登记" in error
        assert f'href="/registry/person/{real.pk}/"' in html
    else:  # another script: refused for its characters
        assert "只能包含数字0至9" in error


def test_a_new_number_in_full_width_digits_is_stored_in_ascii(client, county_officer) -> None:
    number = new_id_number("150402", dt.date(1971, 8, 9), "M")
    client.force_login(county_officer)
    response = client.post(PERSON_NEW, _form(id_number=number.translate(FULL_WIDTH)))
    assert response.status_code == 302
    person = Person.objects.get(name="高桂芝")
    assert person.id_number == number
    assert person.id_number_masked.isascii()
    twice = _post(client, county_officer, _form(id_number=number))
    assert "该身份证号码已登记" in _error_at(twice, "id_number")


def test_a_certificate_number_with_other_digits_is_refused(client, county_officer) -> None:
    data = _form(certificate_issue_date="2024-01-01")
    number = data["id_number"] + "41"
    data["certificate_number"] = number[:18] + number[18:].translate(ARABIC_INDIC)
    before = _written()
    html = _post(client, county_officer, data)
    assert "残疾类别应为1至7" in _error_at(html, "certificate_number")
    assert _written() == before


def test_a_phone_in_other_digits_is_refused_and_full_width_is_read(client, county_officer) -> None:
    before = _written()
    html = _post(client, county_officer, _form(phone="13912345678".translate(ARABIC_INDIC)))
    assert "电话号码格式不正确" in _error_at(html, "phone")
    assert _written() == before
    client.post(PERSON_NEW, _form(phone="13912345678".translate(FULL_WIDTH)))
    assert Person.objects.get(name="高桂芝").phone == "13912345678"


@pytest.mark.parametrize(
    "name",
    [
        "张\u202e明海",
        "\u2066张明海\u2069",
        "张\u200b明海",
        "张\x00明海",
        "张\x9b明海",
        "张\u3164明海",
    ],
    ids=["rlo", "isolate", "zwsp", "nul", "c1", "filler"],
)
def test_a_name_with_invisible_or_control_characters_is_refused(
    client, county_officer, name: str
) -> None:
    before = _written()
    html = _post(client, county_officer, _form(name=name))
    error = _error_at(html, "name")
    if "\x00" in name:  # Django's own field check comes first ("Null characters ...")
        assert "空字符" in error
    else:
        assert "不可见字符或控制字符" in error
        assert "U+" in error
    assert _written() == before
    assert not Person.objects.filter(name__contains="明海").exists()


def test_a_name_refusal_reads_in_english(client, county_officer) -> None:
    client.force_login(county_officer)
    client.post("/i18n/setlang/", {"language": "en", "next": PERSON_NEW})
    html = client.post(PERSON_NEW, _form(name="张\u202e明海")).content.decode()
    assert "character 2 of the name (U+202E)" in html


def test_surrounding_space_is_trimmed_and_inner_space_collapsed(client, county_officer) -> None:
    client.force_login(county_officer)
    assert client.post(PERSON_NEW, _form(name="　高　桂芝 ")).status_code == 302
    assert Person.objects.filter(name="高 桂芝").exists()


def test_the_search_box_finds_a_full_width_number_and_refuses_other_scripts(
    client, county_officer
) -> None:
    # A number ending in X: the full-width Ｘ must be read as X too.
    person = make_person(name="王小明", village_code="150402001001", id_number="11010519491231002X")
    client.force_login(county_officer)
    search = reverse("registry:search")
    found = client.post(search, {"q": person.id_number.translate(FULL_WIDTH)}).content.decode()
    assert 'href="/registry/person/' in found
    assert "王小明" in found
    assert person.id_number_masked in found  # the masked number searched for, in ASCII
    refused = client.post(search, {"q": person.id_number.translate(ARABIC_INDIC)})
    html = refused.content.decode()
    assert "王小明" not in html
    assert "只能包含数字0至9" in html


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ethnicity", "蒙古\u202e族"),
        ("ethnicity", "汉族\r\nSet-Cookie: x=1"),
        ("ethnicity", "汉\u2028族"),
        ("ethnicity", "汉\x1b[2J族"),
    ],
    ids=["rlo", "crlf", "line-separator", "escape"],
)
def test_one_line_text_refuses_control_and_direction_characters(
    client, county_officer, field: str, value: str
) -> None:
    before = _written()
    html = _post(client, county_officer, _form(**{field: value}))
    error = _error_at(html, field)
    assert "控制字符或文字方向控制符" in error
    assert "U+" in error
    assert _written() == before


def test_a_household_address_refuses_control_and_direction_characters(
    client, county_officer
) -> None:
    before = Household.objects.count()
    client.force_login(county_officer)
    response = client.post(
        reverse("registry:household_new"),
        {"village": "150402001001", "address": "幸福路\u202e号12", "status": "", "status_from": ""},
    )
    assert response.status_code == 400
    assert "控制字符或文字方向控制符" in _error_at(response.content.decode(), "address")
    assert Household.objects.count() == before
    ok = client.post(
        reverse("registry:household_new"),
        {"village": "150402001001", "address": "幸福路12号", "status": "", "status_from": ""},
    )
    assert ok.status_code == 302


def test_every_refused_registry_form_answers_400(client, county_officer) -> None:
    """A refusal re-renders the form with its errors and status 400, never 200 (as the
    workflow's forms do): a client or a test can tell a refusal from a page."""
    person = make_person(name="张海明", village_code="150402001001")
    client.force_login(county_officer)
    posts = [
        (reverse("registry:person_new"), _form(id_number="150402196602031231")),
        (reverse("registry:certificate_new", args=[person.pk]), {"number": "1"}),
        (reverse("registry:household_new"), {"village": ""}),
        (reverse("registry:search"), {"q": "15040219660203123"}),
        (reverse("registry:transfers"), {"transfer": "x"}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 400, url
        assert 'role="alert"' in response.content.decode() or "field-error" in (
            response.content.decode()
        ), url
    assert client.get(reverse("registry:person_new")).status_code == 200
