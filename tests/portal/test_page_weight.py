"""Transfer size of the main portal pages: HTML + the CSS and JS they load, gzip-compressed
as a server would send them. A budget keeps them light for cheap phones on slow networks;
``-s`` prints the table recorded in docs/benchmarks.md."""

from __future__ import annotations

import gzip
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from tests.portal.conftest import client_for

pytestmark = pytest.mark.django_db

BUDGET_BYTES = 30 * 1024  # per page, everything it loads, compressed
ASSET_RE = re.compile(r'(?:href|src)="/static/([^"]+\.(?:css|js))"')


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def _weigh(client: Client, path: str) -> tuple[int, int, int]:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content
    assets = 0
    for name in ASSET_RE.findall(html.decode()):
        found = finders.find(name)
        assert found, name
        with open(found, "rb") as fh:
            assets += _gz(fh.read())
    return len(html), _gz(html), assets


def test_portal_pages_stay_light(person, citizen, capsys) -> None:
    client = client_for(citizen)
    client.post(reverse("portal:apply"), {"benefits": ["living_allowance", "nursing_allowance"]})
    application = person.applications.get()
    pages = {
        "home": reverse("portal:home"),
        "certificate (with QR)": reverse("portal:certificate"),
        "entitlements": reverse("portal:entitlements"),
        "apply": reverse("portal:apply"),
        "application": reverse("portal:application", args=[application.pk]),
        "requests": reverse("portal:requests"),
    }
    rows = [(name, *_weigh(client, path)) for name, path in pages.items()]
    rows.append(("register (anonymous)", *_weigh(Client(), reverse("portal:register"))))
    with capsys.disabled():
        print("\n| page | HTML | HTML gzip | CSS+JS gzip | total gzip |")
        print("|---|---:|---:|---:|---:|")
        for name, raw, packed, assets in rows:
            print(f"| {name} | {raw:,} | {packed:,} | {assets:,} | {packed + assets:,} |")
    heavy = [(n, p + a) for n, _r, p, a in rows if p + a > BUDGET_BYTES]
    assert heavy == []
