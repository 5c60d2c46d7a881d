"""The hostile corpus's files run through every entry point that takes a file: the roster
upload page and ``dpf exchange import``, the plan upload page and ``dpf kpi load-plan``,
``dpf regions load``, ``dpf calendar load`` and ``dpf rules eval --facts``.

Small files are committed (``hostile/files``); zip bombs, a million rows and JSON nested
100,000 deep are generated into the test's temporary folder (``hostile/generate.py``).
Each file must be refused with a clear message and write nothing: a roster upload may
stage a batch that records its refusal (status ``failed``, or every row invalid) and the
upload's audit entry, but no row of the registry, and no row that a commit would apply.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.factories import make_person, make_user
from tests.security.hostile import corpus, generate
from tests.security.hostile.checks import Failures, has_chinese, has_english
from tests.security.hostile.corpus import File
from tests.security.hostile.make_files import IDS
from tests.security.hostile.snapshot import Snapshot, changes_since

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 30)


def staging_counters() -> dict[Any, str]:
    from dpf.exchange.models import ImportBatch, ImportRow

    return {
        ImportBatch: "the upload is staged as a batch that records its refusal",
        ImportRow: "refused rows are kept with their errors for the officer to read",
    }


STAGING_AUDIT = ("import_upload",)  # the upload itself is audited, refused or not


@pytest.fixture
def officer(regions):
    """A county officer whose county holds the persons the files name (so that a file whose
    rows were taken for valid would change their records)."""
    user = make_user("county_officer", "150402")
    for number in IDS:
        make_person(actor=user, name="张海明", id_number=number)
    return user


def _client(user: Any, lang: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(user)
    return client


def _upload(client: Client, name: str, content: bytes, roster: str = "dibao") -> Any:
    return client.post(
        reverse("exchange:upload"),
        {"roster_type": roster, "file": SimpleUploadedFile(name, content)},
    )


def _batch_refusal_problem(client: Client, response: Any, expect: str) -> str:  # noqa: C901
    """The upload page refused the file (4xx, message in Chinese), or the batch it staged
    ended ``failed`` with ``expect`` as its code, or with every row invalid; in both cases
    no row is left that a commit would apply."""
    from dpf.exchange import jobs
    from dpf.exchange.models import BatchStatus, ImportBatch, Outcome
    from tests.security.hostile.checks import page_refusal_problem

    if response.status_code != 302:
        return page_refusal_problem(response)
    batch = ImportBatch.objects.order_by("-pk").first()
    assert batch is not None
    if batch.status == BatchStatus.VALIDATING:
        try:
            batch = jobs.run_validation(batch.pk, today=TODAY)
        except Exception as exc:  # noqa: BLE001 - an unhandled error is a finding
            return f"validation raised {type(exc).__name__}: {str(exc)[:80]}"
    page = client.get(reverse("exchange:batch", kwargs={"batch_id": batch.pk}))
    if page.status_code != 200:
        return f"batch page HTTP {page.status_code}"
    expected = set(expect.split("|"))
    if batch.status == BatchStatus.FAILED:
        codes = {e.get("code") for e in batch.errors}
        if not codes & expected and expect != "rows_invalid":
            return f"failed with {sorted(codes)}, expected {expect}"
        message = batch.errors[0]
        if not (has_chinese(message["message"]) and has_english(message["message_en"])):
            return f"message not in both languages: {message}"
        if message["message"] not in page.content.decode():
            return "the batch page does not show the refusal"
        return ""
    if batch.status != BatchStatus.PREVIEWED:
        return f"batch left {batch.status}"
    rows = list(batch.rows.values_list("outcome", "errors"))
    if not rows:
        return "previewed with no rows"
    applied = [o for o, _ in rows if o == Outcome.WILL_CHANGE]
    if applied:
        return f"{len(applied)} row(s) would be committed"
    if expect not in ("rows_invalid",) and not any(
        e.get("code") in expected for _, errors in rows for e in errors
    ):
        return f"no row refused with {expect}"
    if any(o != Outcome.INVALID for o, _ in rows):
        return "a row is not refused"
    return ""


def _run_upload(
    failures: Failures, client: Client, where: str, name: str, content: bytes, expect: str
) -> float:
    before = Snapshot.take()
    started = time.perf_counter()
    try:
        response = _upload(client, name, content)
        problem = _batch_refusal_problem(client, response, expect)
    except Exception as exc:  # noqa: BLE001 - the test client re-raises a 500
        problem = f"raised {type(exc).__name__}: {str(exc)[:100]}"
    elapsed = time.perf_counter() - started
    if problem:
        failures.add(name, where, problem)
    written = changes_since(before, counters=staging_counters(), audit=STAGING_AUDIT).problems()
    if written:
        failures.add(name, where, "; ".join(written))
    return elapsed


# --- rosters: the upload page -------------------------------------------------------------


def test_the_upload_page_refuses_every_hostile_roster_file(officer, tmp_path):
    failures = Failures()
    client = _client(officer)
    for file in corpus.ROSTER_FILES:
        _run_upload(failures, client, "roster upload", file.name, file.read(), file.expect)
    late = generate.late_nul_csv(tmp_path)
    _run_upload(failures, client, "roster upload", late.name, late.read_bytes(), "rows_invalid")
    failures.check()


def test_the_english_upload_page_refuses_in_english(officer):
    from dpf.exchange.models import ImportBatch
    from tests.security.hostile.checks import page_refusal_problem

    client = _client(officer, "en")
    png = next(f for f in corpus.ROSTER_FILES if f.name == "png_renamed.xlsx")
    response = _upload(client, png.name, png.read())
    assert not page_refusal_problem(response, lang="en")
    assert not ImportBatch.objects.exists()


def test_a_zip_bomb_is_refused_from_its_directory_without_unpacking(officer, tmp_path):
    """1 GB of sheet from a 1 MB file: refused at upload, in well under a second of work
    (nothing is inflated), with nothing staged."""
    failures = Failures()
    bomb = generate.zip_bomb_xlsx(tmp_path)
    elapsed = _run_upload(
        failures,
        _client(officer),
        "roster upload",
        "zip_bomb.xlsx",
        bomb.read_bytes(),
        "xlsx_unpacked_too_large",
    )
    failures.check()
    assert elapsed < 5, f"the bomb took {elapsed:.1f} s to refuse"


def test_a_zip_that_lies_about_its_sizes_is_refused_while_reading(officer, tmp_path):
    """The directory says 4 KB; the sheet inflates to 256 MB. Reading stops at the declared
    size (the checksum then fails): refused as a damaged file, memory bounded."""
    failures = Failures()
    liar = generate.lying_zip_xlsx(tmp_path)
    elapsed = _run_upload(
        failures,
        _client(officer),
        "roster upload",
        "lying_zip.xlsx",
        liar.read_bytes(),
        "not_spreadsheet",
    )
    failures.check()
    assert elapsed < 10


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_million_rows_are_refused_before_any_is_staged(officer, tmp_path, settings, kind):
    """A million one-digit rows (3 MB of CSV, or 150 KB of workbook) against a row limit
    lowered to 50,000 for speed: counted and refused, not one row stored."""
    from dpf.exchange.models import ImportRow

    settings.DPF_IMPORT_MAX_ROWS = 50_000
    path = (
        generate.million_rows_csv(tmp_path)
        if kind == "csv"
        else generate.million_rows_xlsx(tmp_path)
    )
    failures = Failures()
    elapsed = _run_upload(
        failures, _client(officer), "roster upload", path.name, path.read_bytes(), "too_many_rows"
    )
    failures.check()
    assert not ImportRow.objects.exists()
    assert elapsed < 30, f"{elapsed:.1f} s"


# --- rosters: the command line -----------------------------------------------------------


def _command(*args: str) -> tuple[int, str]:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode or 1, out.getvalue() + str(exc)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def _command_problem(status: int, said: str) -> str:
    if status == 0:
        return f"exit status 0: {said[-120:]!r}"
    if not (has_chinese(said) and has_english(said)):
        return f"not in both languages: {said[-120:]!r}"
    return ""


def _run_command(
    failures: Failures,
    where: str,
    file: File | Path,
    argv: list[str],
    *,
    counters: dict[Any, str] | None = None,
    audit: tuple[str, ...] = (),
) -> None:
    name = file.name
    before = Snapshot.take()
    try:
        problem = _command_problem(*_command(*argv))
    except Exception as exc:  # noqa: BLE001 - an unhandled error is a finding
        problem = f"raised {type(exc).__name__}: {str(exc)[:100]}"
    if problem:
        failures.add(name, where, problem)
    written = changes_since(before, counters=counters, audit=audit).problems()
    if written:
        failures.add(name, where, "; ".join(written))


def test_dpf_exchange_import_refuses_every_hostile_roster_file(officer):
    """``dpf exchange import`` validates in-process and prints the refusal in both
    languages; the batch it stages holds no row a commit would apply."""
    from dpf.exchange.models import BatchStatus, ImportBatch, Outcome

    failures = Failures()
    for file in corpus.ROSTER_FILES:
        before = Snapshot.take()
        last = ImportBatch.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        try:
            _status, said = _command(
                "exchange", "import", "dibao", str(file.path), "--user", officer.username
            )
        except Exception as exc:  # noqa: BLE001
            failures.add(file, "dpf exchange import", f"raised {type(exc).__name__}: {exc}")
            continue
        batch = ImportBatch.objects.filter(pk__gt=last).first()
        if batch is not None:
            applied = batch.rows.filter(outcome=Outcome.WILL_CHANGE).count()
            if batch.status == BatchStatus.COMMITTED or applied:
                failures.add(file, "dpf exchange import", f"{applied} row(s) would be applied")
        if not (has_chinese(said) and has_english(said)):
            failures.add(file, "dpf exchange import", f"no bilingual message: {said[-160:]!r}")
        written = changes_since(before, counters=staging_counters(), audit=STAGING_AUDIT).problems()
        if written:
            failures.add(file, "dpf exchange import", "; ".join(written))
    failures.check()


# --- indicator plans: the upload page and `dpf kpi load-plan` -----------------------------


@pytest.fixture
def city_admin(regions):
    return make_user("city_admin", "150400")


def _plan_files() -> list[tuple[str, bytes, str]]:
    found = [(f.name, f.read(), f.expect) for f in corpus.PLAN_FILES]
    found.append(("plan_deep.json", generate.deep_json(100_000, kind="array"), "file_json"))
    found.append(("plan_deep_object.json", generate.deep_json(40_000), "file_json"))
    found.append(("plan_huge.json", b'{"code": "' + b"P" * 300_000 + b'"}', "file_too_large"))
    found.append(
        ("plan_png.json", (corpus.FILES_DIR / "png_renamed.xlsx").read_bytes(), "file_encoding")
    )
    found.append(("plan_empty.json", b"", "file_empty"))
    return found


def test_each_plan_file_is_refused_for_its_own_trap(regions):
    """The checks the page and the command share name the trap each file holds; the same
    plan without it is accepted (the control case)."""
    from dpf.core.errors import ValidationFailed
    from dpf.indicators.plandefs import check_plan, parse_plan_file

    def codes(content: bytes) -> set[str]:
        try:
            return {p.error.code for p in check_plan(parse_plan_file(content)).problems}
        except ValidationFailed as exc:
            return {exc.code}

    assert codes(corpus.PLAN_VALID.read()) == set()
    wrong = {
        name: sorted(found)
        for name, content, expect in _plan_files()
        if expect not in (found := codes(content))
    }
    assert not wrong, wrong


def test_the_plan_upload_page_refuses_every_hostile_plan_file(city_admin):
    from tests.security.hostile.checks import page_refusal_problem

    client = _client(city_admin)
    url = reverse("indicators:plan_upload")
    control = client.post(url, {"file": SimpleUploadedFile("p.json", corpus.PLAN_VALID.read())})
    assert control.status_code == 200
    assert client.session.get("indicators_plan_upload")
    failures = Failures()
    for name, content, _expect in _plan_files():
        client.session.pop("indicators_plan_upload", None)
        before = Snapshot.take()
        try:
            response = client.post(url, {"file": SimpleUploadedFile(name, content)})
            problem = page_refusal_problem(response)
            if not problem and client.session.get("indicators_plan_upload"):
                problem = "staged for confirmation"
        except Exception as exc:  # noqa: BLE001
            problem = f"raised {type(exc).__name__}: {str(exc)[:100]}"
        if problem:
            failures.add(name, "plan upload", problem)
        written = changes_since(before).problems()
        if written:
            failures.add(name, "plan upload", "; ".join(written))
    failures.check()


def test_dpf_kpi_load_plan_refuses_every_hostile_plan_file(regions, tmp_path):
    failures = Failures()
    for name, content, _expect in _plan_files():
        path = tmp_path / name
        path.write_bytes(content)
        _run_command(failures, "dpf kpi load-plan", path, ["kpi", "load-plan", str(path)])
    failures.check()


# --- regions, calendar, facts ------------------------------------------------------------


def test_dpf_regions_load_refuses_every_hostile_region_file(regions, tmp_path):
    failures = Failures()
    files: list[File | Path] = [f.path for f in corpus.REGION_FILES]
    for name in (
        "png_renamed.xlsx",
        "nul_bom.csv",
        "mixed_encoding.csv",
        "wide_20000_columns.xlsx",
    ):
        files.append(corpus.FILES_DIR / name)
    for path in files:
        assert isinstance(path, Path)
        _run_command(failures, "dpf regions load", path, ["regions", "load", str(path)])
    failures.check()


def test_dpf_calendar_load_refuses_hostile_calendar_files(regions, tmp_path):
    rows = {
        "calendar_nul.csv": "date,kind,name\n2027-01-01,holiday,元\x00旦\n",
        "calendar_bidi.csv": "date,kind,name\n2027-01-01,holiday,元\u202e旦\n",
        "calendar_arabic_date.csv": "date,kind,name\n٢٠٢٧-٠١-٠١,holiday,元旦\n",
        "calendar_kind.csv": (
            "date,kind,name\n2027-01-01,holiday'; DROP TABLE core_calendarday;--,元旦\n"
        ),
    }
    failures = Failures()
    for name, text in rows.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        _run_command(failures, "dpf calendar load", path, ["calendar", "load", str(path)])
    for extra in ("regions_gbk.csv", "png_renamed.xlsx"):
        path = corpus.FILES_DIR / extra
        _run_command(failures, "dpf calendar load", path, ["calendar", "load", str(path)])
    failures.check()


VALID_FACTS = {
    "birth_date": "1970-03-01",
    "alive": True,
    "certificate": {"category": 4, "level": 1, "valid_from": "2020-01-01", "status": "valid"},
    "residence_region": "150402001001",
}


def test_dpf_rules_eval_refuses_every_hostile_facts_file(tmp_path):
    """``dpf rules eval`` runs without a database: every refusal exits 2 in both languages."""
    files = [f.path for f in corpus.FACTS_FILES]
    deep = tmp_path / "facts_deep.json"
    deep.write_bytes(generate.deep_json(100_000))
    deep_array = tmp_path / "facts_deep_array.json"
    deep_array.write_bytes(b'{"certificate": ' + generate.deep_json(100_000, kind="array") + b"}")
    odd = {
        "facts_nan.json": '{"certificate": {"valid": true, "level": NaN}}',
        "facts_types.json": '{"certificate": {"valid": "yes", "level": [1]}}',
        "facts_surrogate.json": '{"certificate": {"valid": true}, "name": "\\ud800"}',
        "facts_bidi_key.json": '{"certificate\u202e": {"valid": true}}',
        "facts_huge_int.json": '{"certificate": {"valid": true, "level": ' + "9" * 5000 + "}}",
    }
    for name, text in odd.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        files.append(path)
    valid = tmp_path / "facts_valid.json"
    valid.write_text(json.dumps(VALID_FACTS), encoding="utf-8")
    failures = Failures()
    for path in [*files, deep, deep_array]:
        try:
            status, said = _command(
                "rules",
                "eval",
                "--benefit",
                "nursing_allowance",
                "--as-of",
                "2025-06-30",
                "--facts",
                str(path),
                "--json",
            )
            problem = _command_problem(status, said)
        except Exception as exc:  # noqa: BLE001
            problem = f"raised {type(exc).__name__}: {str(exc)[:100]}"
        if problem:
            failures.add(path.name, "dpf rules eval", problem)
    for argv in (
        ["--benefit", "../../etc/passwd", "--as-of", "2025-06-30"],
        ["--benefit", "nursing_allowance\u202e", "--as-of", "2025-06-30"],
        ["--benefit", "nursing_allowance", "--as-of", "٢٠٢٥-٠٦-٣٠"],
        ["--benefit", "nursing_allowance", "--as-of", "2025-06-30'; --"],
        ["--benefit", "nursing_allowance", "--as-of", "2025-06-30", "--region", "1504\x00"],
    ):
        try:
            status, said = _command("rules", "eval", *argv, "--facts", str(valid))
            problem = _command_problem(status, said)
        except Exception as exc:  # noqa: BLE001
            problem = f"raised {type(exc).__name__}: {str(exc)[:100]}"
        if problem:
            failures.add(" ".join(argv), "dpf rules eval", problem)
    failures.check()


def test_dpf_restore_refuses_files_that_are_not_backups(regions, tmp_path, monkeypatch):
    """``dpf restore`` takes a file too: pictures, workbooks, zip bombs and empty files are
    refused in both languages before anything is written."""
    monkeypatch.setenv("DPF_BACKUP_PASSPHRASE", "correct horse battery staple 42")
    names = ("png_renamed.xlsx", "empty.xlsx", "truncated.xlsx", "nul_bom.csv")
    files = [corpus.FILES_DIR / n for n in names]
    files.append(generate.zip_bomb_xlsx(tmp_path, 64 * generate.MB))
    failures = Failures()
    for path in files:
        _run_command(failures, "dpf restore", path, ["restore", "--input", str(path)])
    failures.check()


# --- documents (ID-card and bank-card scans) ---------------------------------------------


def test_document_uploads_refuse_files_that_are_not_what_they_claim(regions, settings):
    """The portal's upload (a citizen's phone): judged by content, never by name. A name's
    control and direction characters are dropped (Django's multipart parser keeps only
    printable characters; ``documents.safe_display_name`` drops C0 controls again)."""
    from dpf.portal.models import CitizenAccount
    from dpf.workflow import documents
    from dpf.workflow.models import Document
    from dpf.workflow.procedures import document_types
    from tests.benefits.conftest import person_with
    from tests.security.hostile.checks import page_refusal_problem
    from tests.workflow.conftest import submit_bundle

    person = person_with(level=1, household="dibao", long_term_care=True)
    application = submit_bundle(make_user("township_officer", "150402001"), person, TODAY)
    citizen = make_user("citizen", None)
    CitizenAccount.objects.create(user=citizen, person=person)
    client = _client(citizen)
    url = reverse("portal:upload", args=[application.pk])
    doc_type = next(iter(document_types()))
    png = (corpus.FILES_DIR / "png_renamed.xlsx").read_bytes()
    hostile = {
        "证件.jpg": png,  # a PNG calling itself a JPEG
        "证件.png": b"<html><script>alert(document.cookie)</script></html>",
        "证件.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "证件.pdf": b"MZ\x90\x00\x03" + bytes(200),  # a Windows program
        "空.pdf": b"",
        "证件\u202egnp.exe": png,  # shows as 证件exe.png
        "大.pdf": b"%PDF-1.4\n" + bytes(documents.MAX_BYTES),
        "zip_bomb.pdf": generate.zip_bomb_xlsx(
            Path(settings.MEDIA_ROOT).parent, generate.MB * 64
        ).read_bytes(),
    }
    failures = Failures()
    for name, content in hostile.items():
        before = Snapshot.take()
        response = client.post(
            url, {"doc_type": doc_type, "file": SimpleUploadedFile(name, content)}
        )
        problem = page_refusal_problem(response)
        if problem:
            failures.add(name, "portal upload", problem)
        # The refusal is shown on the application's page, whose every opening is audited.
        written = changes_since(before, audit=("view",)).problems()
        if written:
            failures.add(name, "portal upload", "; ".join(written))
    failures.check()
    assert not Document.objects.exists()
    assert not any(documents.documents_dir().iterdir()), "a refused file was stored"
    # A genuine picture whose name hides an override: kept, the name as it reads.
    accepted = client.post(
        url, {"doc_type": doc_type, "file": SimpleUploadedFile("证件\u202egpj.png", png)}
    )
    assert accepted.status_code == 302
    assert Document.objects.get().original_name == "证件gpj.png"
