"""Personal data never reaches logs, error pages, URLs or exception messages."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from dpf.core.errors import ValidationFailed
from dpf.core.idnumber import InvalidIdNumber, parse_id_number
from dpf.core.logging import RedactPersonalData, redact
from dpf.registry import services
from tests.factories import ensure_test_regions, make_user

ID_NUMBER = "150402198005170017"
PHONE = "13904761234"
CERTIFICATE = "15040219800517001742"
BANK_CARD = "6222021234567890123"


def _console_handler() -> logging.Handler:
    """The handler the platform logs through (settings.LOGGING's console)."""
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, RedactPersonalData) for f in handler.filters):
            return handler
    raise AssertionError("no handler with the redaction filter on the root logger")


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    handler = _console_handler()
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    yield buffer
    handler.setStream(old or sys.stderr)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"id {ID_NUMBER} end", ID_NUMBER),
        (f"id {ID_NUMBER[:-1]}x", ID_NUMBER[:-1] + "x"),
        ("old id 150402800517001 here", "150402800517001"),
        (f"cert {CERTIFICATE}", CERTIFICATE),
        (f"call {PHONE}!", PHONE),
        (f"card {BANK_CARD}", BANK_CARD),
        (f"json {{'id_number': '{ID_NUMBER}'}}", ID_NUMBER),
    ],
)
def test_redact_removes_personal_numbers(text, secret):
    cleaned = redact(text)
    assert secret not in cleaned
    assert "[REDACTED]" in cleaned


def test_redact_keeps_ordinary_numbers():
    assert (
        redact("page 12 of 3400, year 2025, code 150402")
        == "page 12 of 3400, year 2025, code 150402"
    )


def test_filter_redacts_message_arguments_and_tracebacks():
    record_filter = RedactPersonalData()
    try:
        raise RuntimeError(f"lookup failed for {ID_NUMBER}")
    except RuntimeError:
        record = logging.LogRecord(
            "dpf",
            logging.ERROR,
            __file__,
            1,
            "person %s phone %s",
            (ID_NUMBER, PHONE),
            sys.exc_info(),
        )
    assert record_filter.filter(record)
    formatted = logging.Formatter().format(record)
    assert ID_NUMBER not in formatted
    assert PHONE not in formatted
    assert "RuntimeError" in formatted  # the traceback is still there, redacted


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.security.boom_urls", DEBUG=False)
def test_an_exception_with_personal_data_in_a_view(console):
    client = Client(raise_request_exception=False)
    response = client.post("/boom/", {"id_number": ID_NUMBER, "phone": PHONE})
    assert response.status_code == 500
    page = response.content.decode()
    assert ID_NUMBER not in page
    assert PHONE not in page
    output = console.getvalue()
    assert "Internal Server Error: /boom/" in output  # the error was logged ...
    assert "ValueError" in output
    assert "[REDACTED]" in output
    assert ID_NUMBER not in output
    assert PHONE not in output


@pytest.mark.parametrize(
    "raw",
    [
        ID_NUMBER[:-1] + "0",
        ID_NUMBER[:10] + "0230" + ID_NUMBER[14:],
        ID_NUMBER + "1",
        "15040219800517A017",
    ],
)
def test_id_number_errors_never_repeat_the_number(raw):
    with pytest.raises(InvalidIdNumber) as info:
        parse_id_number(raw)
    error = info.value
    for text in (str(error), repr(error), error.message_zh, error.message_en, str(error.as_dict())):
        assert raw not in text
        assert raw[:14] not in text


@pytest.mark.django_db
def test_service_refusals_never_repeat_personal_values():
    ensure_test_regions()
    with pytest.raises(ValidationFailed) as info:
        services.person_register(
            actor=None, name="张三", id_number=ID_NUMBER, village_code="150402001001", phone="12x45"
        )
    assert "12x45" not in str(info.value)
    assert ID_NUMBER not in str(info.value)


@pytest.mark.django_db
def test_a_bad_id_number_in_the_registration_form_is_not_logged_or_put_in_a_url(console):
    officer = make_user("county_officer", "150402")
    client = Client()
    client.force_login(officer)
    bad = ID_NUMBER[:-1] + "0"
    response = client.post(
        reverse("registry:person_new"),
        {"name": "张三", "id_number": bad, "ethnicity": "汉族", "village": "150402001001"},
    )
    assert response.status_code in (200, 400)
    assert "Location" not in response
    assert bad not in console.getvalue()
    # The search box posts: an ID number typed there never becomes part of a URL.
    search = client.post(reverse("registry:search"), {"q": ID_NUMBER})
    assert search.status_code in (200, 400)
    assert ID_NUMBER not in search.get("Location", "")
    assert f"q={ID_NUMBER}" not in search.content.decode()
    # Typed into a URL by hand, it is refused (and not logged).
    refused = client.get(reverse("registry:search"), {"q": ID_NUMBER})
    assert refused.status_code == 400
    assert 'class="field-error"' in refused.content.decode()
    assert ID_NUMBER not in console.getvalue()


# --- access logs: every handler redacts, runserver's and gunicorn's included ---------------

ROOT = Path(__file__).resolve().parents[2]
FULL_WIDTH_ID = ID_NUMBER.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
# Request lines an attacker (or a careless link) can put an ID number in.
HOSTILE_PATHS = [
    f"/registry/?q={ID_NUMBER}&page=2",
    f"/no-such-page/{ID_NUMBER}/",
    f"/registry/?q={quote(FULL_WIDTH_ID)}",  # full-width digits, percent-encoded UTF-8
    "/registry/?q=" + "".join(f"%{ord(c):02X}" for c in ID_NUMBER),  # every digit escaped
    f"/registry/?phone={PHONE}",
]


def test_redact_sees_through_percent_encoding():
    for path in HOSTILE_PATHS:
        line = f'"GET {path} HTTP/1.1" 302 0'
        cleaned = redact(line)
        assert "[REDACTED]" in cleaned
        assert "GET" in cleaned
        assert ID_NUMBER not in cleaned
        assert PHONE not in cleaned
    assert redact("/registry/?q=%E5%BC%A0&page=2") == "/registry/?q=%E5%BC%A0&page=2"


def test_every_log_handler_of_the_process_prints_redacted_lines():
    """Django's defaults configure handlers of their own (runserver's access log, the debug
    console) and libraries add theirs (lark's): an ID number logged through any logger
    that has a handler comes out redacted from every handler."""
    import lark  # noqa: F401 - adds a StreamHandler of its own, without the filter

    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    streams: list[tuple[logging.StreamHandler[io.StringIO], object]] = []
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and not type(
                handler
            ).__module__.startswith("_pytest"):  # pytest's own capture
                streams.append((handler, handler.setStream(io.StringIO())))
    assert {"lark", "django.server", "root"} <= {
        logger.name for logger in loggers if logger.handlers
    }
    try:
        for logger in loggers:
            if logger.handlers:
                logger.critical("person %s phone %s", ID_NUMBER, PHONE)
                logger.critical(f'"GET /registry/?q={ID_NUMBER} HTTP/1.1" 200 12')
        output = "".join(h.stream.getvalue() for h, _ in streams)
    finally:
        for handler, old in streams:
            handler.setStream(old)  # type: ignore[arg-type]
    assert output.count("[REDACTED]") >= 3 * len(streams)
    assert ID_NUMBER not in output
    assert PHONE not in output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve_and_log(command: list[str], port: int, data_dir: Path) -> str:
    """Start a real server, send the hostile request lines, stop it; its whole output."""
    env = {
        **os.environ,
        "DPF_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'db.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DPF_LOG_LEVEL", None)
    log = data_dir / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(log.read_text()) from None
                    time.sleep(0.2)
            for path in HOSTILE_PATHS:
                with contextlib.suppress(urllib.error.HTTPError):  # a 404 is logged too
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30)
            # An access line is written after its response: wait for the last one.
            while _request_lines(log.read_text(errors="replace")) < len(HOSTILE_PATHS):
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return log.read_text(encoding="utf-8", errors="replace")


def _request_lines(output: str) -> int:
    return output.count('"GET /registry/?') + output.count('"GET /no-such-page/')


def _assert_no_personal_number(output: str) -> None:
    for secret in (ID_NUMBER, ID_NUMBER[-8:], FULL_WIDTH_ID, PHONE, quote(FULL_WIDTH_ID)):
        assert secret not in output
    assert "%31%35%30%34" not in output  # the escaped form
    assert output.count("[REDACTED]") >= len(HOSTILE_PATHS)


def test_the_development_servers_access_log_redacts_id_numbers_in_urls(tmp_path):
    port = _free_port()
    output = _serve_and_log(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        port,
        tmp_path,
    )
    assert '"GET /registry/?q=[REDACTED]' in output  # the access log is there ...
    assert "Not Found: /no-such-page/[REDACTED]/" in output
    _assert_no_personal_number(output)  # ... and redacted


def test_gunicorns_access_log_redacts_id_numbers_in_urls(tmp_path):
    port = _free_port()
    output = _serve_and_log(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            "-",
            # Under faketime (./run clock) the arbiter compares the faked clock with the
            # real mtime of the worker's heartbeat file and kills it as timed out.
            *(("--timeout", "0") if "FAKETIME" in os.environ else ()),
        ],
        port,
        tmp_path,
    )
    assert '"GET /registry/?q=[REDACTED]' in output
    _assert_no_personal_number(output)
