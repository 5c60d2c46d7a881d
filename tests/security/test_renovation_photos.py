"""Attacks on a home renovation's completion photos (issue 18 part 6): the photo of a home is
personal data, served only through the renovation's scoped and audited view.

- Fetching: an officer of another county, a township officer of another township,
  institution staff and an anonymous visitor get the same answer as for a photo that does
  not exist (404, or the login page); the refusal is audited. The address holds only the
  renovation's id and the photo's number within it: no stored name, nothing to guess
  across the scope.
- Uploading: files that are not JPEG or PNG by their content (a PDF, an SVG with a script,
  HTML calling itself a PNG, a Windows program, a PNG calling itself a JPEG, an empty file,
  one too large, too many) are refused on the page with a message and write nothing: no
  row, no file, no completion.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dpf.core.models import AuditEntry
from dpf.demo.service_more import completion_photo
from dpf.registry import services as registry
from dpf.services import services
from dpf.services.models import HomeRenovation, RenovationPhoto
from tests.factories import make_person, make_user
from tests.security.hostile.checks import Failures, page_refusal_problem
from tests.security.hostile.snapshot import Snapshot, changes_since

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 6, 30)
PHOTO = completion_photo((200, 120, 90))


def _renovation(officer: Any, village: str, *, complete: bool) -> HomeRenovation:
    person = make_person(name="王改造", village_code=village)
    registry.certificate_issue(
        actor=None, person=person, category=4, level=1, issue_date=dt.date(2020, 1, 1)
    )
    renovation = services.renovation_assess(
        actor=officer,
        person_id=person.pk,
        assessed_on=dt.date(2025, 5, 1),
        assessment="入户台阶高",
        today=TODAY,
    )
    services.renovation_plan_approve(
        actor=officer,
        renovation_id=renovation.pk,
        items=[("ramp", "", Decimal("1200"))],
        contractor="施工队",
        approved_on=dt.date(2025, 5, 3),
        today=TODAY,
    )
    if complete:
        services.renovation_complete(
            actor=officer,
            renovation_id=renovation.pk,
            completed_on=dt.date(2025, 6, 1),
            photos=[("坡道.png", PHOTO)],
            today=TODAY,
        )
    return renovation


def _client(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_a_photo_is_not_served_outside_the_renovations_scope(regions: None) -> None:
    officer = make_user("county_officer", "150402")
    ours = _renovation(officer, "150402001001", complete=True)
    theirs = _renovation(make_user("county_officer", "150404"), "150404002001", complete=True)
    url = reverse("services:renovation_photo", args=[ours.pk, 1])
    missing = reverse("services:renovation_photo", args=[ours.pk + theirs.pk + 100, 1])
    stored = RenovationPhoto.objects.get(renovation=ours).stored_name

    allowed = _client(make_user("township_officer", "150402001"))
    response = allowed.get(url)
    assert response.status_code == 200
    assert response.getvalue() == PHOTO

    outsiders = {
        "county officer of 松山区": make_user("county_officer", "150404"),
        "township officer of a 松山区 township": make_user("township_officer", "150404002"),
        "institution staff": make_user("institution_staff", None, institution_code="X-1"),
        "village worker (no renovation permission)": make_user("village_worker", "150402001001"),
    }
    for who, user in outsiders.items():
        client = _client(user)
        denied_before = AuditEntry.objects.filter(action="permission_denied").count()
        refused = client.get(url)
        assert refused.status_code == 404, who
        assert PHOTO not in refused.content, who
        # The same bytes as a renovation that does not exist: nothing tells them apart.
        assert refused.content == client.get(missing).content, who
        assert AuditEntry.objects.filter(action="permission_denied").count() > denied_before, who
        # Numbers are per renovation: the other county's photo number 1 is not reachable
        # through ours, nor ours through theirs.
        assert client.get(reverse("services:renovation", args=[ours.pk])).status_code == 404

    anonymous = _client(None).get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert PHOTO not in anonymous.content
    # No stored name ever reaches a page or an address.
    page = _client(officer).get(reverse("services:renovation", args=[ours.pk])).content.decode()
    assert stored not in page
    assert url in page
    # The other county's own officer reads theirs, and ours is still refused to them.
    their_officer = _client(make_user("county_officer", "150404"))
    assert (
        their_officer.get(reverse("services:renovation_photo", args=[theirs.pk, 1])).status_code
        == 200
    )
    assert their_officer.get(url).status_code == 404


def test_the_photo_files_are_encrypted_at_rest(regions: None) -> None:
    renovation = _renovation(make_user("county_officer", "150402"), "150402001001", complete=True)
    photo = RenovationPhoto.objects.get(renovation=renovation)
    path = Path(settings.MEDIA_ROOT) / services.PHOTO_FOLDER / photo.stored_name
    raw = path.read_bytes()
    assert PHOTO not in raw
    assert not raw.startswith(b"\x89PNG")
    assert path.stat().st_mode & 0o077 == 0  # readable by the platform's user only


@time_machine.travel(dt.datetime(2025, 6, 30, 10, 0, tzinfo=dt.UTC), tick=False)
def test_the_completion_page_refuses_files_that_are_not_photos(regions: None) -> None:
    officer = make_user("county_officer", "150402")
    renovation = _renovation(officer, "150402001001", complete=False)
    url = reverse("services:renovation", args=[renovation.pk])
    client = _client(officer)
    hostile: dict[str, list[tuple[str, bytes]]] = {
        "a PDF (a document, not a photo)": [("完工.pdf", b"%PDF-1.4\n%%EOF\n")],
        "an SVG with a script": [
            ("完工.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
        ],
        "HTML calling itself a PNG": [("完工.png", b"<html><script>alert(1)</script></html>")],
        "a Windows program": [("完工.png", b"MZ\x90\x00\x03" + bytes(200))],
        "a PNG calling itself a JPEG": [("完工.jpg", PHOTO)],
        "an empty file": [("完工.png", b"")],
        "a file over the limit": [("完工.png", PHOTO + bytes(services.PHOTO_MAX_BYTES))],
        "too many photos": [("完工.png", PHOTO)] * (services.MAX_PHOTOS + 1),
        "a good photo beside a bad one": [("好.png", PHOTO), ("坏.png", b"GIF89a" + bytes(40))],
        "no photo at all": [],
    }
    failures = Failures()
    folder = Path(settings.MEDIA_ROOT) / services.PHOTO_FOLDER
    for what, files in hostile.items():
        before = Snapshot.take()
        uploads = [SimpleUploadedFile(name, data, content_type="image/png") for name, data in files]
        response = client.post(
            url, {"action": "complete", "c-completed_on": "2025-06-01", "c-photos": uploads}
        )
        problem = page_refusal_problem(response)
        if problem:
            failures.add(what, "completion upload", problem)
        written = changes_since(before).problems()
        if written:
            failures.add(what, "completion upload", "; ".join(written))
    failures.check()
    assert not RenovationPhoto.objects.exists()
    assert not folder.exists() or not any(folder.iterdir()), "a refused photo was stored"
    renovation.refresh_from_db()
    assert renovation.completed_on is None
