"""Documents: type by content, size limit, empty refused, random names outside the web
root, served only through the scoped and audited view."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import AuditEntry
from dpf.workflow import documents, selectors, services
from dpf.workflow.models import Document
from tests.workflow.conftest import submit_bundle

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def application(township_officer, eligible_person):
    return submit_bundle(township_officer, eligible_person, dt.date(2025, 9, 15))


def upload(actor, application, name: str, data: bytes, doc_type: str = "certificate"):
    return services.document_upload(
        actor=actor, application_id=application.pk, doc_type=doc_type, name=name, data=data
    )


def stored_files() -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "documents"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("证件.pdf", b"this is plain text pretending to be a PDF", "document_type"),
        ("photo.png", b"", "document_empty"),
        ("big.pdf", b"%PDF-" + b"0" * documents.MAX_BYTES, "document_too_large"),
        ("scan.jpg", PDF, "document_mismatch"),
        ("page.html", b"<html><script>alert(1)</script>", "document_type"),
    ],
)
def test_bad_documents_are_refused_and_nothing_is_kept(
    township_officer, application, name, data, code
):
    with pytest.raises(ValidationFailed) as info:
        upload(township_officer, application, name, data)
    assert info.value.code == code
    assert info.value.field == "file"
    assert not Document.objects.exists()
    assert stored_files() == []


def test_a_good_document_is_stored_under_a_random_name(township_officer, application):
    doc = upload(township_officer, application, "../../etc/身份证.png", PNG, "id_card")
    assert doc.content_type == "image/png"
    assert doc.original_name == "身份证.png"
    files = stored_files()
    assert [f.name for f in files] == [doc.stored_name]
    assert "身份证" not in doc.stored_name and doc.stored_name.endswith(".png")
    assert Path(settings.MEDIA_ROOT).resolve() != Path(settings.STATIC_ROOT).resolve()
    assert "id_card" not in {d.code for d in selectors.missing_documents(application)}


def test_a_document_failing_after_storage_is_removed(
    township_officer, application, other_county_officer
):
    with pytest.raises(NotFound):
        upload(other_county_officer, application, "a.pdf", PDF)
    assert stored_files() == []


def test_documents_are_served_only_in_scope_and_audited(
    client, township_officer, application, other_county_officer
):
    doc = upload(township_officer, application, "a.pdf", PDF)
    url = reverse("workflow:document", args=[doc.pk])
    client.force_login(other_county_officer)
    assert client.get(url).status_code == 404
    client.force_login(township_officer)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]
    assert AuditEntry.objects.filter(
        action="view", object_type="document", object_id=str(doc.pk)
    ).exists()
