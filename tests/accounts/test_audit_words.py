"""The audit log in words (issue 17 part 10): roles, regions, object types and changes by
their labels; no role code, region code, Python dict or ``None`` on the page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dpf.accounts.templatetags.audit_words import change_words
from dpf.core import audit
from dpf.core.models import Region
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_change_words_writes_values_out() -> None:
    words = dict(change_words({"valid_to": [None, "2026-01-01"], "filter": {"username": "wang"}}))
    assert words == {"截止日期": "— → 2026-01-01", "筛选条件": "用户名：wang"}
    assert change_words(None) == []


def test_the_audit_page_shows_labels_not_codes(client, city_admin) -> None:
    officer = make_user("county_officer", "150402")
    audit.record(
        actor=officer,
        action="change",
        object_type="entitlement",
        object_id=7,
        changes={"valid_to": [None, "2026-01-31"], "status": ["active", "terminated"]},
    )
    client.force_login(city_admin)
    html = client.get(reverse("audit:list"), {"username": officer.username}).content.decode()
    rows = re.findall(r"<tr>\s*<td>.*?</tr>", html, re.S)
    row = next(r for r in rows if officer.username in r)
    name = Region.objects.get(code="150402").name
    assert f"<td>旗县区残联工作人员 · {name}</td>" in row  # not the role's or region's code
    assert "150402" not in row
    assert "待遇享受 #7" in row
    assert "entitlement" not in row
    assert "截止日期: — → 2026-01-31" in row
    assert "None" not in row
    assert "{'" not in row
    assert "<code>" not in row
