"""Personal data never reaches logs, error pages, URLs or exception messages."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

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
    assert secret not in cleaned and "[REDACTED]" in cleaned


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
    assert ID_NUMBER not in formatted and PHONE not in formatted
    assert "RuntimeError" in formatted  # the traceback is still there, redacted


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.security.boom_urls", DEBUG=False)
def test_an_exception_with_personal_data_in_a_view(console):
    client = Client(raise_request_exception=False)
    response = client.post("/boom/", {"id_number": ID_NUMBER, "phone": PHONE})
    assert response.status_code == 500
    page = response.content.decode()
    assert ID_NUMBER not in page and PHONE not in page
    output = console.getvalue()
    assert "Internal Server Error: /boom/" in output  # the error was logged ...
    assert "ValueError" in output and "[REDACTED]" in output  # ... with its traceback
    assert ID_NUMBER not in output and PHONE not in output  # ... redacted


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
        assert raw not in text and raw[:14] not in text


@pytest.mark.django_db
def test_service_refusals_never_repeat_personal_values():
    ensure_test_regions()
    with pytest.raises(ValidationFailed) as info:
        services.person_register(
            actor=None, name="张三", id_number=ID_NUMBER, village_code="150402001001", phone="12x45"
        )
    assert "12x45" not in str(info.value) and ID_NUMBER not in str(info.value)


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
    assert search.status_code == 200 and ID_NUMBER not in search.get("Location", "")
    assert f"q={ID_NUMBER}" not in search.content.decode()
    # Typed into a URL by hand, it is refused (and not logged).
    refused = client.get(reverse("registry:search"), {"q": ID_NUMBER})
    assert refused.status_code == 200 and 'class="field-error"' in refused.content.decode()
    assert ID_NUMBER not in console.getvalue()
