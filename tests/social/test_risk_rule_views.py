"""The risk rules and thresholds page: the rules in force with their text and source, every
version and dated threshold; the city admin publishes a new version from a date or sets a
threshold; a rule that does not compile is refused with the engine's place and message in
both languages and nothing written; other roles read or get 404; constant queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.core.models import AuditEntry
from dpf.social import monitoring
from dpf.social.models import RiskRule, RiskThreshold
from tests.factories import ensure_test_regions, make_user

pytestmark = pytest.mark.django_db
TODAY = time_machine.travel(dt.datetime(2026, 5, 10, 10, 0, tzinfo=dt.UTC), tick=False)
URL = "/social/risk/rules/"
LINE_RULE = (
    "alive && certificate.valid && survey.income_per_capita >= 0\n"
    "  && survey.income_per_capita < {monitoring_line}"
)


def _client(user: Any, language: str = "") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language) if language else Client()
    if language:
        client.cookies["django_language"] = language
    client.force_login(user)
    return client


@pytest.fixture
def admin() -> Any:
    ensure_test_regions()
    RiskRule.objects.all().delete()
    RiskThreshold.objects.all().delete()
    admin = make_user("city_admin", "150400")
    monitoring.threshold_set(
        actor=admin,
        name="monitoring_line",
        value="6000",
        valid_from=dt.date(2025, 1, 1),
        label="防返贫监测线",
    )
    monitoring.rule_save(
        actor=admin,
        code="income_below_line",
        name_zh="家庭人均收入低于监测线",
        name_en="income below the line",
        text=LINE_RULE,
        valid_from=dt.date(2025, 1, 1),
    )
    return admin


def test_the_url_is_the_named_route() -> None:
    assert reverse("social:risk_rules") == URL


@TODAY
def test_the_page_lists_rules_in_force_versions_and_thresholds(admin: Any) -> None:
    page = unescape(_client(admin).get(URL).content.decode())
    assert "家庭人均收入低于监测线" in page
    assert "survey.income_per_capita &lt; {monitoring_line}" in page or (
        "survey.income_per_capita < {monitoring_line}" in page
    )
    assert f"user:{admin.pk}" in page  # the source of the version
    assert "6000.00" in page
    assert "2025-01-01" in page
    assert 'name="r-text"' in page  # the city admin may publish
    officer_page = _client(make_user("county_officer", "150402")).get(URL)
    assert officer_page.status_code == 200
    assert 'name="r-text"' not in officer_page.content.decode()


@TODAY
def test_a_new_version_from_a_date_ends_the_one_in_force(admin: Any) -> None:
    client = _client(admin)
    done = client.post(
        URL,
        {
            "action": "rule",
            "r-code": "income_below_line",
            "r-name_zh": "家庭人均收入低于监测线",
            "r-name_en": "income below the line",
            "r-text": LINE_RULE + " && certificate.severe",
            "r-valid_from": "2026-07-01",
        },
    )
    assert done.status_code == 302
    versions = list(
        RiskRule.objects.order_by("valid_from").values_list("valid_from", "valid_to", "source")
    )
    assert versions == [
        (dt.date(2025, 1, 1), dt.date(2026, 6, 30), f"user:{admin.pk}"),
        (dt.date(2026, 7, 1), None, f"user:{admin.pk}"),
    ]
    assert AuditEntry.objects.filter(object_type="risk_rule", actor=admin).count() == 2
    threshold = client.post(
        URL,
        {
            "action": "threshold",
            "t-name": "monitoring_line",
            "t-value": "7200",
            "t-valid_from": "2027-01-01",
            "t-label": "2027年监测线",
        },
    )
    assert threshold.status_code == 302
    assert monitoring.thresholds_on(dt.date(2027, 1, 1)) == {"monitoring_line": Decimal("7200")}
    assert monitoring.thresholds_on(dt.date(2026, 12, 31)) == {"monitoring_line": Decimal("6000")}


@TODAY
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", "第2行第54列"),
        ("en", "line 2, column 54"),
    ],
)
def test_a_rule_that_does_not_compile_is_refused_with_its_place(
    admin: Any, language: str, expected: str
) -> None:
    client = _client(admin, language)
    before = (RiskRule.objects.count(), AuditEntry.objects.count())
    refused = client.post(
        URL,
        {
            "action": "rule",
            "r-code": "income_below_line",
            "r-name_zh": "坏规则",
            # the error stands after the placeholder: its column is the one in the text
            "r-text": (
                "alive\n  && survey.income_per_capita < {monitoring_line} && certificate.levle == 1"
            ),
            "r-valid_from": "2026-07-01",
        },
    )
    page = unescape(refused.content.decode())
    assert refused.status_code == 400
    assert "error-summary" in page
    assert expected in page
    assert "levle" in page
    assert (RiskRule.objects.count(), AuditEntry.objects.count()) == before
    assert RiskRule.objects.get().valid_to is None  # the version in force was not ended


@TODAY
@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "请填写不小于0的数值"), ("en", "enter a number ≥ 0")],
)
def test_a_bad_threshold_is_refused_in_both_languages(
    admin: Any, language: str, expected: str
) -> None:
    refused = _client(admin, language).post(
        URL,
        {
            "action": "threshold",
            "t-name": "monitoring_line",
            "t-value": "-5",
            "t-valid_from": "2027-01-01",
        },
    )
    assert refused.status_code == 400
    assert expected in unescape(refused.content.decode())
    assert RiskThreshold.objects.count() == 1


@TODAY
def test_only_the_city_admin_changes_and_other_roles_get_404(admin: Any) -> None:
    posted = _client(make_user("county_officer", "150402")).post(
        URL,
        {
            "action": "threshold",
            "t-name": "monitoring_line",
            "t-value": "1",
            "t-valid_from": "2027-01-01",
        },
    )
    assert posted.status_code == 404
    assert RiskThreshold.objects.count() == 1
    for role, region in (
        ("township_officer", "150402001"),
        ("village_worker", "150402001001"),
        ("volunteer", None),
        ("citizen", None),
        ("viewer", None),
    ):
        assert _client(make_user(role, region)).get(URL).status_code in (403, 404), role


@TODAY
def test_the_page_reads_in_constant_queries(admin: Any) -> None:
    client = _client(admin)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(5):
        monitoring.threshold_set(
            actor=admin, name=f"line_{n}", value=str(n), valid_from=dt.date(2025, 1, 1)
        )
        monitoring.rule_save(
            actor=admin,
            code=f"rule_{n}",
            name_zh=f"规则{n}",
            text=f"alive && age > {{line_{n}}}",
            valid_from=dt.date(2025, 1, 1),
        )
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many.captured_queries) == len(few.captured_queries)
