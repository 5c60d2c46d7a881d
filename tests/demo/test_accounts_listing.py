"""``dpf demo accounts`` prints every demo account exactly once, demo_guardian included,
and where a demo SMS code is written (issue 17 part 11)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from dpf.accounts.models import User

pytestmark = pytest.mark.django_db


def test_every_demo_account_is_printed_once(settings: object) -> None:
    settings.DPF_DEMO = True  # type: ignore[attr-defined]
    out = io.StringIO()
    call_command("demo", "accounts", stdout=out)
    text = out.getvalue()
    names = {u.username for u in User.objects.filter(demo=True)} | {"demo_guardian"}
    for name in names:
        rows = re.findall(rf"^{re.escape(name)}\s", text, flags=re.MULTILINE)
        assert len(rows) == 1, (name, text)
    assert "outbox" in text


def test_the_login_page_says_where_a_demo_sms_code_is_written(
    client: object, settings: object
) -> None:
    settings.DPF_DEMO = True  # type: ignore[attr-defined]
    settings.DPF_MESSAGE_OUTBOX = "/srv/demo/outbox.txt"  # type: ignore[attr-defined]
    call_command("demo", "accounts", stdout=io.StringIO())
    html = client.get("/accounts/login/").content.decode()  # type: ignore[attr-defined]
    assert "短信验证码写入" in html
    assert "/srv/demo/outbox.txt" in html
