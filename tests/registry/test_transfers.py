"""The existence oracle (issue 14, hole 3) and transfer requests (迁移申请).

A village worker registering an ID number held by another county used to read "该身份证号码
已登记": a yes/no oracle for any ID number in the city. Now the registration becomes a
transfer request to the holding region, audited as ``possible_probe``, and the worker reads
a neutral answer that names neither the person nor the region.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from dpf.core.models import AuditEntry, Region
from dpf.registry import services, transfer_selectors
from dpf.registry.models import Household, Person, Residence, TransferRequest
from tests.factories import make_person, make_user, new_id_number

pytestmark = pytest.mark.django_db

PERSON_NEW = reverse("registry:person_new")
TRANSFERS = reverse("registry:transfers")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
WORKER_VILLAGE = "150402001001"  # 测试社区一, 红山区
HOLDING_VILLAGE = "150404002001"  # 测试村一, 测试镇二, 松山区


@pytest.fixture(autouse=True)
def chinese_outside_requests() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


def _login(client: Client, user) -> Client:
    client.force_login(user)
    return client


def _registration(id_number: str, **overrides: str) -> dict[str, str]:
    data = {
        "name": "高桂芝",
        "id_number": id_number,
        "ethnicity": "汉族",
        "phone": "",
        "village": WORKER_VILLAGE,
        "household": "",
        "relation_to_head": "head",
    }
    data.update(overrides)
    return data


@pytest.fixture
def held(regions) -> Person:
    """A person registered in another county (松山区) than the worker's (红山区)."""
    return make_person(name="巴特尔", village_code=HOLDING_VILLAGE)


@pytest.fixture
def holding_officer(regions):
    return make_user("county_officer", "150404")


def _neutral(html: str) -> bool:
    return "该身份证号码需要核实，已转交上级残联处理" in html


def _forbidden_words(person: Person) -> list[str]:
    """What would tell the worker whose record it is, or where, or that it exists."""
    village = Region.objects.get(code=person.village_code)
    township = Region.objects.get(code=person.township_code)
    county = Region.objects.get(code=person.county_code)
    return [
        person.name,
        village.name,
        township.name,
        county.name,
        person.village_code,
        "已登记",
        "already registered",
        f"/registry/person/{person.pk}/",
    ]


def test_a_worker_registering_an_id_held_in_another_county_learns_nothing(
    client, village_worker, held
) -> None:
    """The attack: probe whether an ID number is registered anywhere in the city."""
    persons, households = Person.objects.count(), Household.objects.count()
    response = _login(client, village_worker).post(PERSON_NEW, _registration(held.id_number))
    html = response.content.decode()
    assert response.status_code == 400  # refused: the form again, with the neutral answer
    assert _neutral(html)
    for word in _forbidden_words(held):
        assert word not in html, word
    # Nothing of the registration is written ...
    assert (Person.objects.count(), Household.objects.count()) == (persons, households)
    # ... but the holding region has a work item, and the attempt is audited as a probe.
    transfer = TransferRequest.objects.get()
    assert transfer.person == held
    assert transfer.status == "pending"
    assert transfer.requested_village_code == WORKER_VILLAGE
    assert transfer.requested_by == village_worker
    assert transfer.name_given == "高桂芝"
    probe = AuditEntry.objects.get(action="possible_probe")
    assert probe.actor_id == village_worker.pk
    assert (probe.object_type, probe.object_id) == ("person", str(held.pk))
    assert probe.changes["transfer_request"] == transfer.pk
    assert probe.changes["id_number"] == held.id_number_masked
    assert held.id_number not in str(probe.changes)
    assert "高桂芝" not in str(probe.changes)


def test_the_neutral_answer_is_the_same_whoever_holds_the_number(
    client, village_worker, held
) -> None:
    """Two numbers held in two other regions give byte-identical refusals (apart from
    what the worker typed): nothing in the answer depends on the holder."""
    other = make_person(name="其其格", village_code="150404002002", sex="F")
    client = _login(client, village_worker)
    first = client.post(PERSON_NEW, _registration(held.id_number)).content.decode()
    second = client.post(PERSON_NEW, _registration(other.id_number)).content.decode()
    assert _neutral(first)
    assert _neutral(second)

    def comparable(html: str, number: str) -> str:
        return CSRF.sub("", html.replace(number, "ID"))

    assert comparable(first, held.id_number) == comparable(second, other.id_number)


def test_registering_again_adds_no_second_request_but_is_audited_again(
    client, village_worker, held
) -> None:
    client = _login(client, village_worker)
    for _ in range(3):
        assert _neutral(client.post(PERSON_NEW, _registration(held.id_number)).content.decode())
    assert TransferRequest.objects.count() == 1
    probes = AuditEntry.objects.filter(action="possible_probe").order_by("pk")
    assert [p.changes["repeated"] for p in probes] == [False, True, True]


def test_the_same_number_in_full_width_digits_is_the_same_probe(
    client, village_worker, held
) -> None:
    full_width = held.id_number.translate({ord(str(d)): 0xFF10 + d for d in range(10)})
    html = _login(client, village_worker).post(PERSON_NEW, _registration(full_width))
    assert _neutral(html.content.decode())
    assert TransferRequest.objects.get().person == held
    assert Person.objects.filter(name="高桂芝").count() == 0


def test_an_in_scope_duplicate_says_so_and_links_to_the_record(client, county_officer) -> None:
    mine = make_person(name="张海明", village_code="150402001002")
    html = _login(client, county_officer).post(PERSON_NEW, _registration(mine.id_number))
    text = html.content.decode()
    assert "该身份证号码已登记" in text
    assert f'href="/registry/person/{mine.pk}/"' in text
    assert not TransferRequest.objects.exists()
    assert not AuditEntry.objects.filter(action="possible_probe").exists()


def test_the_service_refuses_alike_and_keeps_the_request_when_called_directly(
    village_worker, held
) -> None:
    with pytest.raises(services.TransferRequested) as info:
        services.person_register(
            actor=village_worker,
            name="高桂芝",
            id_number=held.id_number,
            village_code=WORKER_VILLAGE,
        )
    assert info.value.code == "needs_checking"
    assert info.value.field == "id_number"
    assert held.name not in info.value.bilingual
    assert TransferRequest.objects.filter(person=held).exists()


# --- the holding region's work item ------------------------------------------------------


def _probe(worker, person: Person) -> TransferRequest:
    with pytest.raises(services.TransferRequested):
        services.person_register(
            actor=worker, name=person.name, id_number=person.id_number, village_code=WORKER_VILLAGE
        )
    return TransferRequest.objects.get(person=person, status="pending")


def test_the_holding_officer_sees_the_request_and_accepting_moves_the_person(
    client, village_worker, holding_officer, held
) -> None:
    transfer = _probe(village_worker, held)
    client = _login(client, holding_officer)
    html = client.get(TRANSFERS).content.decode()
    assert "迁移申请" in html
    assert held.name in html
    assert held.id_number_masked in html
    assert "测试社区一" in html
    assert village_worker.username in html
    response = client.post(
        TRANSFERS, {"transfer": transfer.pk, "decision": "accept", "on": "2026-12-01", "note": ""}
    )
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.village_code == WORKER_VILLAGE
    assert held.county_code == "150402"
    residence = Residence.objects.get(person=held, valid_to__isnull=True)
    assert (residence.village_code, residence.valid_from) == (WORKER_VILLAGE, dt.date(2026, 12, 1))
    transfer.refresh_from_db()
    assert transfer.status == "accepted"
    assert transfer.decided_by == holding_officer
    assert AuditEntry.objects.filter(
        action="change", object_type="transfer_request", object_id=str(transfer.pk)
    ).exists()
    # The worker now holds the record (in scope): a second registration says so.
    person_page = reverse("registry:person", args=[held.pk])
    assert _login(Client(), village_worker).get(person_page).status_code == 200
    assert "没有待处理的迁移申请" in client.get(TRANSFERS).content.decode()


def test_declining_needs_a_reason_and_changes_nothing(
    client, village_worker, holding_officer, held
) -> None:
    transfer = _probe(village_worker, held)
    client = _login(client, holding_officer)
    refused = client.post(TRANSFERS, {"transfer": transfer.pk, "decision": "decline", "note": ""})
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "请填写拒绝理由" in html
    assert 'role="alert"' in html
    transfer.refresh_from_db()
    assert transfer.status == "pending"
    declined = client.post(
        TRANSFERS,
        {"transfer": transfer.pk, "decision": "decline", "note": "本人未迁出，疑似试探"},
    )
    assert declined.status_code == 302
    transfer.refresh_from_db()
    held.refresh_from_db()
    assert transfer.status == "declined"
    assert transfer.decision_note == "本人未迁出，疑似试探"
    assert held.village_code == HOLDING_VILLAGE
    again = client.post(
        TRANSFERS, {"transfer": transfer.pk, "decision": "accept", "on": "2026-12-01"}
    )
    assert "该迁移申请已处理" in again.content.decode()
    held.refresh_from_db()
    assert held.village_code == HOLDING_VILLAGE


def test_the_requesting_side_never_sees_or_decides_the_request(
    client, village_worker, county_officer, held
) -> None:
    """The worker's own county officer holds no part of the record: the request is not in
    their list, and deciding it by id is 404 with nothing changed."""
    transfer = _probe(village_worker, held)
    client = _login(client, county_officer)
    html = client.get(TRANSFERS).content.decode()
    assert held.name not in html
    assert held.id_number_masked not in html
    response = client.post(
        TRANSFERS, {"transfer": transfer.pk, "decision": "accept", "on": "2026-12-01"}
    )
    assert response.status_code == 404
    transfer.refresh_from_db()
    held.refresh_from_db()
    assert transfer.status == "pending"
    assert held.village_code == HOLDING_VILLAGE
    # Village workers have no transfer pages at all.
    assert _login(Client(), village_worker).get(TRANSFERS).status_code == 404


def test_the_city_admin_sees_every_county_s_requests(
    client, village_worker, city_admin, held
) -> None:
    _probe(village_worker, held)
    rows = transfer_selectors.pending_transfer_requests(city_admin)
    assert [r.person_id for r in rows] == [held.pk]
    assert rows[0].name_matches


def test_the_list_page_query_count_does_not_grow_with_requests(
    client, village_worker, holding_officer
) -> None:
    client = _login(client, holding_officer)
    _probe(village_worker, make_person(name="一号", village_code=HOLDING_VILLAGE))
    client.get(TRANSFERS)  # the session's first request loads more than the page
    with CaptureQueriesContext(connection) as small:
        assert client.get(TRANSFERS).status_code == 200
    for n in range(5):
        person = make_person(name=f"人员{n}", village_code="150404002002")
        _probe(village_worker, person)
    with CaptureQueriesContext(connection) as large:
        html = client.get(TRANSFERS).content.decode()
    assert html.count('name="transfer"') == 6
    assert len(large) == len(small)


def test_registration_of_a_new_number_still_works(client, village_worker) -> None:
    number = new_id_number("150402", dt.date(1966, 2, 3), "F")
    response = _login(client, village_worker).post(PERSON_NEW, _registration(number))
    assert response.status_code == 302
    assert Person.objects.filter(name="高桂芝", village_code=WORKER_VILLAGE).exists()
    assert not TransferRequest.objects.exists()
