"""The application page's history names each step from the procedure definitions."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.workflow import services
from dpf.workflow.models import Transition
from dpf.workflow.procedures import procedures
from tests.workflow.conftest import at, submit_bundle

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 9, 15)


def _history(html: str) -> str:
    found = re.search(r'<section aria-labelledby="hist-h">(.*?)</section>', html, re.S)
    assert found
    return found.group(1)


def _advance(item: Any, actor: Any) -> None:
    item.refresh_from_db()
    services.item_decide(
        actor=actor,
        item_id=item.pk,
        expected_step=item.step_code,
        decision="advance",
        today=DAY,
        now=at(DAY, 11),
    )


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_history_shows_step_names_not_codes(client, township_officer, eligible_person) -> None:
    application = submit_bundle(township_officer, eligible_person, DAY)
    url = reverse("workflow:application", args=[application.pk])
    client.force_login(township_officer)
    client.get(url)  # warm the session and caches
    few = _queries(client, url)
    for item in application.items.all():
        _advance(item, township_officer)
    many = _queries(client, url)
    assert many == few, "one query for the history, whatever its length"

    transitions = list(Transition.objects.filter(item__application=application))
    procs = procedures()
    codes = {c for t in transitions for c in (t.from_step, t.to_step) if c}
    assert len(codes) >= 2
    html = _history(client.get(url).content.decode())
    for t in transitions:
        for code in (t.from_step, t.to_step):
            if code:
                step = procs.step(t.item.benefit.code, code)
                assert step is not None
                assert f"<td>{step.name_zh}" in html
    for code in codes:
        assert f"<td>{code}" not in html
    assert "苏木乡镇街道残联工作人员" in html  # the actor's role by its name
    assert "（township_officer）" not in html

    client.cookies["django_language"] = "en"
    english = _history(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    for t in transitions:
        step = procs.step(t.item.benefit.code, t.to_step)
        assert step is not None
        assert f"<td>{step.name_en}" in english


def test_a_step_no_longer_configured_keeps_its_code(
    client, township_officer, eligible_person
) -> None:
    application = submit_bundle(township_officer, eligible_person, DAY)
    Transition.objects.filter(item__application=application).update(to_step="retired_step")
    client.force_login(township_officer)
    html = _history(
        client.get(reverse("workflow:application", args=[application.pk])).content.decode()
    )
    assert "<td>retired_step" in html
