"""Indicator pages, drill-down and exports read only regions inside the user's scope.

The attack: a village worker of 松山区 (150404) types ``?region=`` of 红山区 (150402) or one
of its townships to read another county's per-township figures. It must answer 404, like
any record outside the scope, and leave a ``permission_denied`` audit entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dpf.accounts import scoping
from dpf.core.models import AuditEntry
from tests.factories import make_user, new_id_number, report_download
from tests.indicators.conftest import AS_OF

pytestmark = pytest.mark.django_db

DAY = AS_OF.isoformat()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pages(region: str) -> dict[str, Callable[[Client], Any]]:
    """Every indicator page that takes a region, asked for ``region`` (the report's files
    through the job the report page starts)."""
    query = f"?as_of={DAY}&region={region}"
    urls = {
        "dashboard": reverse("indicators:dashboard") + query,
        "indicator": reverse("indicators:indicator", args=["I08"]) + query,
        "drill-down": reverse("indicators:drilldown", args=["I08"]) + query + "&part=numerator",
        "gap list": reverse("indicators:drilldown", args=["I08"]) + query + "&part=gap",
        "report": reverse("indicators:report") + query,
    }

    def get(url: str) -> Callable[[Client], Any]:
        return lambda client: client.get(url)

    def download(fmt: str, publish: str) -> Callable[[Client], Any]:
        return lambda client: report_download(
            client, as_of=DAY, region=region, format=fmt, publish=publish
        )

    pages = {name: get(url) for name, url in urls.items()}
    pages["report xlsx"] = download("xlsx", "")
    pages["report pdf"] = download("pdf", "1")
    return pages


def _denials(user, region: str) -> int:
    return AuditEntry.objects.filter(
        actor=user, action="permission_denied", object_type="indicators", object_id=region
    ).count()


@pytest.mark.parametrize("region", ["150402", "150402001", "150400", "150404"])
def test_a_village_worker_asking_for_figures_outside_their_township_gets_404_audited(
    figures, region
) -> None:
    worker = make_user("village_worker", "150404002001")  # 松山区, 测试镇二
    client = _client(worker)
    for name, open_page in _pages(region).items():
        before = _denials(worker, region)
        response = open_page(client)
        assert response.status_code == 404, name
        text = response.content.decode(errors="replace")
        assert "测试街道" not in text, name
        assert "红山区" not in text, name
        assert _denials(worker, region) == before + 1, name


def test_the_village_worker_reads_their_own_township(figures) -> None:
    worker = make_user("village_worker", "150404002001")
    client = _client(worker)
    for name, open_page in _pages("150404002").items():
        if name == "report pdf":
            continue  # the PDF renderer is exercised in test_views
        assert open_page(client).status_code == 200, name
    # Without ``?region=`` every page opens on the township of the worker's village.
    page = client.get(reverse("indicators:dashboard")).content.decode()
    assert "测试镇二" in page


def test_a_county_officer_reads_their_county_and_its_townships_only(
    figures, county_officer
) -> None:
    client = _client(county_officer)  # 红山区 150402
    for region in ("150402", "150402001", "150402003"):
        assert _pages(region)["indicator"](client).status_code == 200, region
    for region in ("150400", "150404", "150404002", "150403"):
        assert _pages(region)["indicator"](client).status_code == 404, region
        assert _denials(county_officer, region) == 1
    assert "红山区" in client.get(reverse("indicators:dashboard")).content.decode()


def test_a_township_officer_reads_their_township_only(figures) -> None:
    officer = make_user("township_officer", "150402001")
    client = _client(officer)
    assert _pages("150402001")["dashboard"](client).status_code == 200
    for region in ("150402", "150402002", "150400"):
        assert _pages(region)["dashboard"](client).status_code == 404, region


def test_a_viewer_reads_aggregates_of_every_region_but_no_list(figures) -> None:
    client = _client(make_user("viewer", "150400"))
    for region in ("150400", "150402", "150402001", "150404002"):
        assert _pages(region)["indicator"](client).status_code == 200, region
    assert _pages("150402001")["drill-down"](client).status_code == 404


def test_a_region_that_is_no_region_answers_the_same_404_and_keeps_no_typed_number(
    figures, village_worker
) -> None:
    """An unknown code, a village (no figures of its own) and an ID number typed into
    ``?region=`` look alike; the audit log never keeps what was typed unless it is a
    region code."""
    client = _client(village_worker)
    id_number = new_id_number()
    for region in ("150499", "150402001001", id_number, "<script>"):
        response = _pages(region)["dashboard"](client)
        assert response.status_code == 404, region
    entries = AuditEntry.objects.filter(actor=village_worker, action="permission_denied")
    assert entries.count() == 4
    kept = set(entries.values_list("object_id", flat=True))
    assert kept == {"150499", "150402001001", "(invalid)"}
    assert not AuditEntry.objects.filter(object_id__contains=id_number[-8:]).exists()


@pytest.mark.parametrize(
    ("role", "region", "root"),
    [
        ("city_admin", "150400", "150400"),
        ("county_officer", "150402", "150402"),
        ("township_officer", "150402001", "150402001"),
        ("village_worker", "150402001002", "150402001"),
        ("viewer", "150400", ""),
        ("viewer", None, ""),
        ("institution_staff", None, None),
        ("department_exchange", "150402", None),
        ("citizen", None, None),
        ("employer", None, None),
        ("volunteer", None, None),
    ],
)
def test_indicator_scope_of_each_role(regions, role, region, root) -> None:
    user = make_user(role, region)
    assert scoping.indicator_root(user) == root
    assert scoping.indicator_region_in_scope(user, "150402001") == (root is not None)
    assert scoping.indicator_region_in_scope(user, "150404") == (root in ("", "150400"))


def test_no_indicator_scope_for_inactive_or_anonymous_users(regions) -> None:
    from django.contrib.auth.models import AnonymousUser

    officer = make_user("county_officer", "150402")
    officer.is_active = False
    assert scoping.indicator_root(officer) is None
    assert scoping.indicator_root(AnonymousUser()) is None
    assert not scoping.indicator_region_in_scope(AnonymousUser(), "150400")


def test_entitlement_to_a_regions_persons_is_the_personal_data_scope(regions) -> None:
    worker = make_user("village_worker", "150402001001")
    officer = make_user("township_officer", "150402001")
    viewer = make_user("viewer", "150400")
    assert not scoping.region_persons_in_scope(worker, "150402001")  # other villages too
    assert scoping.region_persons_in_scope(officer, "150402001")
    assert not scoping.region_persons_in_scope(officer, "150402")
    assert not scoping.region_persons_in_scope(viewer, "150402001")
