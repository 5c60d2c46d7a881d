"""The proactive scan from the page (issue 17 part 6): the city admin starts the scan as a
job and follows it on the proposals page; proposals one row a person with the benefits
listed, filtered by benefit, township and village; the action on each row."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from dpf.benefits import services as benefit_services
from dpf.benefits.models import WorkItem
from dpf.jobs import runner
from dpf.jobs.models import Job, JobStatus
from dpf.registry.models import Person
from tests.benefits.conftest import person_with
from tests.workflow.conftest import ALLOWANCES

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 6, 30)


def _people() -> dict[str, Person]:
    people = {
        "a": person_with(level=1, household="dibao", long_term_care=True),
        "b": person_with(level=1, household="dibao", long_term_care=True, village="150402001002"),
        "c": person_with(level=1, household="dibao", long_term_care=True, village="150404002001"),
    }
    benefit_services.scan(as_of=AS_OF, benefit_codes=ALLOWANCES)
    return people


def shown(html: str, person) -> bool:
    """The person's row is on the page: its action opens one of their proposals (names of
    test persons may repeat)."""
    items = WorkItem.objects.filter(person=person, kind="proposal").values_list("pk", flat=True)
    return any(reverse("workflow:proposal_start", args=[pk]) in html for pk in items)


def _cards(html: str) -> list[str]:
    return re.findall(r'<li class="proposal-person">(.*?)</form>\s*</li>', html, re.S)


def test_one_row_a_person_with_every_benefit_proposed(client, city_admin) -> None:
    people = _people()
    proposed = {
        p: WorkItem.objects.filter(person=p, kind="proposal").count() for p in people.values()
    }
    assert all(n >= 2 for n in proposed.values())  # several benefits each
    client.force_login(city_admin)

    html = client.get(reverse("workflow:proposals")).content.decode()

    cards = _cards(html)
    assert len(cards) == 3
    assert html.count("核实并代为申请") == 3
    for person in people.values():
        (card,) = [c for c in cards if shown(c, person)]
        assert card.count("<details>") == proposed[person]  # each benefit, its explanation
    assert "共 3 人" in html


def test_filtered_by_benefit_township_and_village(client, city_admin) -> None:
    people = _people()
    client.force_login(city_admin)
    url = reverse("workflow:proposals")

    township = client.get(url, {"township": "150402001"}).content.decode()
    village = client.get(url, {"township": "150402001", "village": "150402001002"}).content.decode()
    benefit_code = WorkItem.objects.filter(person=people["c"]).values_list(
        "benefit__code", flat=True
    )[0]
    by_benefit = client.get(url, {"benefit": benefit_code}).content.decode()

    assert {p for p in "abc" if shown(township, people[p])} == {"a", "b"}
    assert {p for p in "abc" if shown(village, people[p])} == {"b"}
    assert 'value="150402001002" selected' in village  # the village list of that township
    expected = set(
        WorkItem.objects.filter(benefit__code=benefit_code, kind="proposal").values_list(
            "person_id", flat=True
        )
    )
    assert {people[p].pk for p in "abc" if shown(by_benefit, people[p])} == expected


def test_a_township_outside_the_region_filters_nothing_in(client, regions) -> None:
    from tests.factories import make_user

    people = _people()
    officer = make_user("county_officer", "150404")
    client.force_login(officer)

    html = client.get(
        reverse("workflow:proposals"), {"township": "150402001", "village": "150402001001"}
    ).content.decode()

    assert not shown(html, people["a"])
    assert not shown(html, people["b"])
    assert shown(html, people["c"])  # the filter outside the region is dropped, not obeyed


def test_the_city_admin_starts_the_scan_and_follows_it_on_the_page(
    client, city_admin, settings
) -> None:
    settings.DPF_JOBS_RUN = "worker"  # queued for a busy worker: the page follows it
    client.force_login(city_admin)
    url = reverse("workflow:proposals")
    run = reverse("jobs:schedule_run", args=["benefits.scan"])

    response = client.post(run, {"next": url})

    assert response.status_code == 302
    assert response["Location"] == url
    html = client.get(url).content.decode()
    assert "排队中" in html
    assert f'action="{run}"' not in html
    job = Job.objects.get(kind="benefits.scan")
    runner.run_job(job.pk, today=AS_OF)  # what the worker does
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    html = client.get(url).content.decode()
    assert "已完成" in html
    assert job.result in html
    assert f'action="{run}"' in html


def test_the_scan_never_returns_to_another_site(client, city_admin) -> None:
    client.force_login(city_admin)
    run = reverse("jobs:schedule_run", args=["portal.rate_event_retention"])
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(run, {"next": target})
        assert response["Location"].startswith("/jobs/"), target


def test_other_staff_see_no_scan_button_and_no_job(client, village_worker) -> None:
    client.force_login(village_worker)
    html = client.get(reverse("workflow:proposals")).content.decode()
    assert reverse("jobs:schedule_run", args=["benefits.scan"]) not in html
    assert "job-status" not in html
