"""Template helpers of dpf/core/templatetags: level labels (the /verify/ page)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from dpf.core.certnumber import Level
from dpf.core.templatetags.dpf_labels import level_label
from dpf.portal import ecert
from dpf.registry import services
from tests.factories import make_person


def test_level_label_is_the_registry_label() -> None:
    with translation.override("zh-hans"):
        assert [level_label(n) for n in (1, 2, 3, 4)] == [str(v.label) for v in Level]
        assert level_label(2) == "二级"
        assert level_label(0) == level_label("x") == level_label(None) == "—"


@pytest.mark.django_db
def test_verify_page_writes_the_level_as_certificates_do(village_worker) -> None:
    person = make_person(actor=village_worker, name="王海明")
    certificate = services.certificate_issue(
        actor=village_worker, person=person, category=4, level=3, issue_date=dt.date(2025, 3, 1)
    )
    response = Client().post(reverse("portal:verify"), {"payload": ecert.sign(certificate)})
    html = response.content.decode()
    assert "<dd>三级</dd>" in html
    assert "3 级" not in html
