"""Documents: type by content, size limit, empty refused, random names outside the web
root, encrypted at rest, served only through the scoped and audited view."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from dpf.core import crypto, keyring
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
    assert "身份证" not in doc.stored_name
    assert doc.stored_name.endswith(".png")
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


# Encryption at rest ----------------------------------------------------------------------

ID_NUMBER = b"15040219800101123X"
MARKER = b"ID-CARD-SCAN-MARKER"
SCAN = b"\xff\xd8\xff\xe0" + b"JFIF\x00" + MARKER + b" " + ID_NUMBER + b"\x00" * 200 + b"\xff\xd9"


def test_documents_are_encrypted_at_rest_and_served_intact(client, township_officer, application):
    """An ID-card scan: no byte of it readable under MEDIA_ROOT; the allowed user gets it
    back byte for byte through the document view."""
    doc = upload(township_officer, application, "身份证.jpg", SCAN, "id_card")
    files = stored_files()
    assert [f.name for f in files] == [doc.stored_name]
    raw = files[0].read_bytes()
    assert MARKER not in raw
    assert ID_NUMBER not in raw
    assert ID_NUMBER[-8:] not in raw
    assert not raw.startswith(b"\xff\xd8\xff")  # not even the JPEG signature
    assert raw.startswith(crypto.FILE_MAGIC)
    assert crypto.file_key_id(raw) == settings.DPF_FIELD_KEY_CURRENT
    assert files[0].stat().st_mode & 0o077 == 0  # readable by the server's user only

    client.force_login(township_officer)
    response = client.get(reverse("workflow:document", args=[doc.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == SCAN


def test_a_document_file_put_in_place_of_another_is_refused(township_officer, application):
    """Each file's name is authenticated with its content: swapping files is detected."""
    first = upload(township_officer, application, "a.pdf", PDF)
    second = upload(township_officer, application, "b.jpg", SCAN, "id_card")
    documents.path_of(second.stored_name).write_bytes(
        documents.path_of(first.stored_name).read_bytes()
    )
    with pytest.raises(crypto.DecryptionError):
        documents.read(second.stored_name)
    assert documents.read(first.stored_name) == PDF


def test_a_document_stored_in_clear_before_encryption_is_served_then_encrypted(
    client, township_officer, application
):
    """Files written by an older release stay readable; ``dpf keys reencrypt`` encrypts them."""
    doc = upload(township_officer, application, "a.pdf", PDF)
    path = documents.path_of(doc.stored_name)
    path.write_bytes(PDF)  # as an older release stored it
    assert keyring.files_usage()[keyring.PLAINTEXT] == 1
    client.force_login(township_officer)
    url = reverse("workflow:document", args=[doc.pk])
    assert b"".join(client.get(url).streaming_content) == PDF

    assert keyring.reencrypt() >= 1
    assert path.read_bytes().startswith(crypto.FILE_MAGIC)
    assert b"%PDF" not in path.read_bytes()
    assert keyring.files_usage() == {settings.DPF_FIELD_KEY_CURRENT: 1}
    assert b"".join(client.get(url).streaming_content) == PDF


def test_a_missing_document_file_answers_404(client, township_officer, application):
    doc = upload(township_officer, application, "a.pdf", PDF)
    documents.remove(doc.stored_name)
    client.force_login(township_officer)
    assert client.get(reverse("workflow:document", args=[doc.pk])).status_code == 404
