"""Benefit pages: catalogue, queue (scoped, grouped, bounded queries), item, rule preview."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from dpf.benefits import services
from dpf.benefits.models import RuleVersion, WorkItem, WorkItemStatus
from dpf.core.models import AuditEntry
from tests.benefits.conftest import AS_OF, person_with
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-Battery-9"


def login(client, user):
    client.force_login(user)
    return client


def test_catalogue_lists_benefits_and_marks_illustrative_amounts(client):
    response = client.get(reverse("benefits:catalogue"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "困难残疾人生活补贴" in html
    assert "重度残疾人护理补贴" in html
    assert "示例金额" in html
    assert "illustrative" in html
    assert "living_allowance" in html


def test_catalogue_in_english(client):
    client.cookies["django_language"] = "en"
    response = client.get(reverse("benefits:catalogue"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Living allowance for disabled people in hardship" in response.content.decode()


def _scan_people():
    near = [person_with(village="150402001001", level=3) for _ in range(2)]
    far = [person_with(village="150404002001", level=3) for _ in range(2)]
    services.scan(as_of=AS_OF, benefit_codes=["living_allowance"])
    return near, far


def test_queue_is_scoped_and_grouped_by_township(client, regions):
    """One queue per purpose: the proposals are worked on /workflow/proposals/ (the former
    /benefits/queue/ redirects there, and the reviews to /workflow/reviews/)."""
    near, far = _scan_people()
    worker = make_user("village_worker", "150402001001")
    login(client, worker)
    old = client.get(reverse("benefits:queue"))
    assert old.status_code == 302
    assert old["Location"] == reverse("workflow:proposals")
    reviews = client.get(reverse("benefits:queue"), {"kind": "review"})
    assert reviews["Location"] == reverse("workflow:reviews")
    html = client.get(old["Location"]).content.decode()
    for p in near:
        assert p.id_number_masked in html
    for p in far:
        assert p.id_number_masked not in html
    assert "测试街道一" in html  # the township heading
    for p in near:
        assert p.id_number not in html  # the full ID number never appears


@pytest.mark.parametrize("role", ["viewer", "citizen", "employer"])
def test_queue_refused_to_other_roles(client, regions, role):
    user = make_user(role, None)
    login(client, user)
    assert client.get(reverse("benefits:queue")).status_code == 404
    assert client.get(reverse("workflow:proposals")).status_code == 404


@time_machine.travel(dt.datetime(2025, 7, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
def test_item_shows_the_explanation_and_closes(client, regions):
    # The page explains as of today: frozen the day after the scan, inside the certificate's
    # validity (it read the machine's clock, and failed once the certificate had expired).
    person = person_with(village="150402001001", level=3)
    services.scan(as_of=AS_OF, benefit_codes=["living_allowance"])
    item = WorkItem.objects.get(person=person)
    worker = make_user("village_worker", "150402001001")
    login(client, worker)
    url = reverse("benefits:item", args=[item.pk])
    html = client.get(url).content.decode()
    # The verdict tag, not a substring that "不符合条件" would also contain.
    assert 'class="tag tag-yes"' in html
    assert "不符合条件" not in html
    assert "household" in html
    assert AuditEntry.objects.filter(object_type="work_item", object_id=str(item.pk)).exists()
    response = client.post(url, {"status": "dismissed", "note": ""})
    assert response.status_code == 200  # refused: a dismissal needs a note
    item.refresh_from_db()
    assert item.status == WorkItemStatus.OPEN
    response = client.post(url, {"status": "done", "note": "已帮办申请"})
    assert response.status_code == 302
    assert response["Location"] == reverse("workflow:proposals")  # back to the one queue
    item.refresh_from_db()
    assert item.status == WorkItemStatus.DONE


def test_item_outside_scope_is_404(client, regions):
    person = person_with(village="150404002001", level=3)
    services.scan(as_of=AS_OF, benefit_codes=["living_allowance"])
    item = WorkItem.objects.get(person=person)
    worker = make_user("village_worker", "150402001001")
    assert login(client, worker).get(reverse("benefits:item", args=[item.pk])).status_code == 404


NEW_TEXT = (
    "alive && certificate.valid && certificate.level in [1, 2, 3] && long_term_care_need"
    ' && !in_destitute_care && !receiving("work_injury_care")'
)


def test_rule_preview_then_publish(client, city_admin):
    person_with(village="150402001001", level=3, long_term_care=True)
    login(client, city_admin)
    url = reverse("benefits:rule_preview")
    form = {
        "benefit": "nursing_allowance",
        "mode": "base",
        "region_code": "",
        "text": NEW_TEXT,
        "valid_from": "2026-01-01",
        "as_of": AS_OF.isoformat(),
        "note": "",
    }
    response = client.post(url, {**form, "action": "preview"})
    assert response.status_code == 200
    rows = {r.county_code: r for r in response.context["rows"]}
    assert rows["150402"].gaining == 1
    html = response.content.decode()
    assert "新规则每月金额" in html
    assert "每月金额变化" in html
    totals = response.context["totals"]
    assert totals["money_change"] == sum(r.money_change for r in rows.values())
    assert not RuleVersion.objects.filter(text=NEW_TEXT).exists()
    fingerprint = response.context["fingerprint"]
    # Publishing a text other than the one previewed shows a new preview instead.
    changed = {**form, "text": NEW_TEXT + " && age >= 0", "confirm": fingerprint}
    response = client.post(url, {**changed, "action": "publish"})
    assert response.status_code == 200
    assert not RuleVersion.objects.filter(text__startswith=NEW_TEXT).exists()
    response = client.post(url, {**form, "confirm": fingerprint, "action": "publish"})
    assert response.status_code == 302
    version = RuleVersion.objects.get(text=NEW_TEXT)
    assert version.valid_from == dt.date(2026, 1, 1)
    assert AuditEntry.objects.filter(object_type="rule_version", object_id=str(version.pk)).exists()


def test_rule_preview_shows_rule_error_next_to_the_field(client, city_admin):
    login(client, city_admin)
    response = client.post(
        reverse("benefits:rule_preview"),
        {
            "benefit": "nursing_allowance",
            "mode": "base",
            "text": "alive && no_such_thing",
            "valid_from": "2026-01-01",
            "as_of": AS_OF.isoformat(),
            "action": "preview",
        },
    )
    assert response.status_code == 400  # refused, with the error beside the field
    assert response.context["form"].errors["text"]
    assert response.context["rows"] is None


def test_rule_preview_refused_to_county_officers(client, county_officer):
    assert login(client, county_officer).get(reverse("benefits:rule_preview")).status_code == 404


def test_eligibility_include_renders(client, city_admin):
    from django.template.loader import render_to_string

    from dpf.benefits import selectors

    person = person_with(level=1, household="dibao", long_term_care=True)
    html = render_to_string(
        "benefits/_eligibility.html",
        {"eligibility": selectors.eligibility_for_person(city_admin, person, AS_OF)},
    )
    assert "重度残疾人护理补贴" in html
    assert "应享未享" in html


@time_machine.travel(dt.datetime(2026, 12, 4, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_rule_form_fills_date_fields_in_iso_form(client, city_admin):
    """<input type=date> shows only YYYY-MM-DD; the locale's 2026/12/04 was shown empty."""
    html = login(client, city_admin).get(reverse("benefits:rule_preview")).content.decode()
    for name in ("valid_from", "as_of"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        assert field is not None, name
        assert 'type="date"' in field.group(0)
        assert 'value="2026-12-04"' in field.group(0), field.group(0)
    assert "2026/12/04" not in html


def test_rule_form_lists_the_rule_names_with_meaning_and_examples(client, city_admin):
    from dpf.rules.catalogue import ATTRIBUTES, PREDICATES

    html = login(client, city_admin).get(reverse("benefits:rule_preview")).content.decode()
    assert "规则可用的属性和函数" in html
    for name in [*ATTRIBUTES, *PREDICATES]:
        assert f'<code lang="en">{name}</code>' in html, name
    assert "真：持有效残疾人证；假：未持有效残疾人证" in html
    assert "certificate.level in [1, 2]" in html
