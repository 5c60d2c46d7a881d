"""Choices whose names live in the database or the shipped procedures follow the request's
language, like the rest of the page."""

from __future__ import annotations

import pytest
from django.utils import translation

from dpf.benefits.models import BenefitItem
from dpf.workflow.forms import ApplicationForm, UploadForm
from dpf.workflow.procedures import document_types

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_document_types_and_benefits_are_named_in_the_language_of_the_page(
    language: str, regions: None
) -> None:
    types = document_types()
    items = {b.code: b for b in BenefitItem.objects.filter(active=True)}
    assert items, "the shipped catalogue is loaded with the regions"
    with translation.override(language):
        docs = dict(UploadForm().fields["doc_type"].choices)  # type: ignore[attr-defined]
        benefits = dict(ApplicationForm().fields["benefits"].choices)  # type: ignore[attr-defined]
    english = language == "en"
    assert docs == {c: (t.name_en if english else t.name_zh) for c, t in types.items()}
    assert benefits == {c: (b.name_en if english else b.name_zh) for c, b in items.items()}
