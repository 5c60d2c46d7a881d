"""An ID number whose address code is neither Chifeng's nor a known GB/T 2260 code: accepted
only once the worker has confirmed the warning for that very code, and the warning is
recorded in the audit entry (issue 15 part 7)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dpf.core.idnumber import ADDRESS_CODE_UNKNOWN, make_id_number, parse_id_number
from dpf.core.models import AuditEntry
from dpf.registry import services
from dpf.registry.models import Household, Person

pytestmark = pytest.mark.django_db

PERSON_NEW = reverse("registry:person_new")
UNKNOWN = make_id_number("159999", dt.date(1966, 2, 3), 124)  # 15 = 内蒙古, 9999 listed nowhere
TODAY = dt.date(2026, 12, 4)


def _written() -> tuple[int, int, int]:
    return (
        Person.objects.count(),
        Household.objects.count(),
        AuditEntry.objects.filter(object_type="person", action="create").count(),
    )


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "高桂芝",
        "id_number": UNKNOWN,
        "ethnicity": "蒙古族",
        "phone": "",
        "village": "150402001002",
        "household": "",
        "relation_to_head": "head",
    }
    data.update(overrides)
    return data


def test_the_parser_fills_the_warning_only_for_unknown_codes() -> None:
    assert parse_id_number(UNKNOWN, today=TODAY).warnings == (ADDRESS_CODE_UNKNOWN,)
    for known in ("150402", "150430", "110105", "152101"):  # Chifeng, Beijing, a retired code
        number = make_id_number(known, dt.date(1950, 1, 1), 11)
        assert parse_id_number(number, today=TODAY).warnings == ()


def test_unconfirmed_is_refused_with_the_warning_and_the_box(client, county_officer) -> None:
    before = _written()
    client.force_login(county_officer)
    response = client.post(PERSON_NEW, _form())
    html = response.content.decode()
    assert response.status_code == 400
    assert "不是赤峰市的区划代码，也不是已知的行政区划代码" in html
    assert "159999" in html
    assert 'name="confirm_address_code"' in html
    assert 'value="159999"' in html
    assert "checked" not in html.split('name="confirm_address_code"')[1].split(">")[0]
    assert _written() == before


def test_a_ticked_box_that_does_not_name_the_code_is_refused(client, county_officer) -> None:
    """Ticked without reading: a box forged "on", or carried over from another number."""
    before = _written()
    client.force_login(county_officer)
    for forged in ("on", "1", "159998"):
        response = client.post(PERSON_NEW, _form(confirm_address_code=forged))
        assert response.status_code == 400
        assert "核对无误后请勾选确认" in response.content.decode()
    assert _written() == before


def test_confirmed_is_accepted_and_the_warning_recorded(client, county_officer) -> None:
    client.force_login(county_officer)
    response = client.post(PERSON_NEW, _form(confirm_address_code="159999"))
    assert response.status_code == 302
    person = Person.objects.get(name="高桂芝")
    entry = AuditEntry.objects.get(object_type="person", object_id=str(person.pk), action="create")
    assert entry.changes["warnings"] == [ADDRESS_CODE_UNKNOWN]
    assert UNKNOWN not in str(entry.changes)  # masked only


def test_the_box_is_absent_for_a_known_code(client, county_officer) -> None:
    client.force_login(county_officer)
    known = make_id_number("150402", dt.date(1966, 2, 3), 124)
    response = client.post(PERSON_NEW, _form(id_number=known))
    assert response.status_code == 302
    assert "confirm_address_code" not in client.get(PERSON_NEW).content.decode()


def test_the_service_refuses_in_english_too(regions) -> None:
    with pytest.raises(services.AddressCodeUnconfirmed) as caught:
        services.person_register(
            actor=None, name="高桂芝", id_number=UNKNOWN, village_code="150402001002", today=TODAY
        )
    assert caught.value.field == "id_number"
    assert "neither a Chifeng code nor a known" in caught.value.message_en
    assert Person.objects.count() == 0
