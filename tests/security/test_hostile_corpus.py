"""The hostile corpus's strings run through every entry point where they can enter: staff
registry forms, the portal, the exchange API's JSON fields, query parameters and path ids,
the commands, rule texts and the public QR check (issue 14, "Prove it" 2).

Each entry point is one test that loops over the items meant for it (``corpus.py``) and
reports every item it failed to refuse: each must be answered with a clear message (a 4xx
page whose error block is in Chinese, in English on the English page; or the API's error
JSON with its code; or a command's exit status with both languages), and write NOTHING:
``snapshot.py`` compares every table's rows before and after each item (the audit log may
only gain refusal entries). Free text (complaints, notes, reasons) is the exception the
docs name: injection text there is stored as typed and escaped on the page.

The files (spreadsheets, zip bombs, plan and region files) are in ``test_hostile_files.py``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dpf.core.idnumber import make_id_number
from dpf.registry.models import Certificate, Person
from tests.factories import make_person, make_user
from tests.security.hostile import corpus
from tests.security.hostile.checks import Failures, page_refusal_problem
from tests.security.hostile.corpus import Item
from tests.security.hostile.snapshot import Snapshot, Watch, changes_since

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 30)
_births = itertools.count()


def fresh_id(county: str = "150402") -> str:
    """A valid, never used ID number (birth dates walk back a day at a time)."""
    n = next(_births)
    return make_id_number(county, dt.date(1985, 6, 1) - dt.timedelta(days=n), 1 + 2 * (n % 400))


def spelled(number: str, zero: str) -> str:
    """``number`` with its digits written in the script whose zero is ``zero``."""
    return "".join(chr(ord(zero) + int(c)) if c.isdigit() else c for c in number)


def number_items(valid: str) -> list[Item]:
    """A valid number spelled to defeat a check that trusts ``str.isdigit()``: every
    digit, or one digit, in another script; a control or direction mark inside."""
    scripts = {"arabic_indic": "\u0660", "devanagari": "\u0966", "math_bold": "\U0001d7ce"}
    items = [
        Item(f"number:{name}", corpus.DIGITS, spelled(valid, zero), "whole number")
        for name, zero in scripts.items()
    ]
    items += [
        Item("number:one_arabic_digit", corpus.DIGITS, valid[:5] + "\u0665" + valid[6:], ""),
        Item(
            "number:superscripts",
            corpus.DIGITS,
            valid.translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")),
            "",
        ),
        Item("number:rlo_inside", corpus.BIDI, valid[:6] + "\u202e" + valid[6:], ""),
        Item("number:zwsp_inside", corpus.INVISIBLE, valid[:6] + "\u200b" + valid[6:], ""),
        Item("number:nul_inside", corpus.CONTROL, valid[:6] + "\x00" + valid[6:], ""),
        Item("number:sql_tail", corpus.INJECTION, valid + "' OR '1'='1", ""),
    ]
    return items


def all_strings() -> list[Item]:
    return list(corpus.STRINGS)


def run_items(
    failures: Failures,
    where: str,
    items: Iterable[Item],
    send: Callable[..., Any],
    *,
    counters: dict[Any, str] | None = None,
    audit: tuple[str, ...] = (),
    reset: Callable[[], None] | None = None,
    problem: Callable[..., str] | None = None,
) -> None:
    """Send each item, check the answer is a refusal and that nothing was written."""
    problem = problem or (lambda response, item: page_refusal_problem(response, raw=item.text))
    watch = Watch()
    for item in items:
        if reset is not None:
            reset()
            watch.rebase()
        try:
            response = send(item)
        except Exception as exc:  # noqa: BLE001 - the test client re-raises what became a 500
            failures.add(item, where, f"raised {type(exc).__name__}: {str(exc)[:100]}")
        else:
            found = problem(response, item)
            if found:
                failures.add(item, where, found)
        written = watch.changes(counters=counters, audit=audit).problems()
        if written:
            failures.add(item, where, "; ".join(written))


def client_for(user: Any, lang: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(user)
    return client


# --- the snapshot itself ---------------------------------------------------------------------


def test_the_snapshot_sees_inserts_updates_deletes_and_audit_entries(regions):
    """The check every case below relies on: it must fail on each kind of write."""
    from dpf.core import audit
    from dpf.core.models import Region

    person = make_person(name="快照测试")
    watch = Watch()
    assert watch.changes().problems() == []
    Person.objects.filter(pk=person.pk).update(ethnicity="蒙古族")  # an UPDATE, same count
    assert watch.changes().problems() == ["table registry_person changed"]
    Region.objects.filter(code="150402001002").delete()
    assert watch.changes().problems() == ["table core_region changed"]
    audit.record(actor=None, action="permission_denied", object_type="person", object_id=1)
    assert watch.changes().problems() == []  # a refusal may be audited
    audit.record(actor=None, action="create", object_type="person", object_id=1)
    assert watch.changes().problems() == ["audit entry 'create' written"]
    from dpf.accounts.models import User

    User.objects.create(username="snapshot-viewer", role="viewer", region_id="150400")
    changes = watch.changes(counters={"accounts_user": "a test's own account"})
    assert changes.problems() == []
    assert "accounts_user" in changes.counted


# --- staff registry forms ----------------------------------------------------------------


@pytest.fixture
def officer(regions):
    return make_user("county_officer", "150402")


def _person_form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "张海明",
        "id_number": fresh_id(),
        "ethnicity": "汉族",
        "phone": "13904760001",
        "village": "150402001001",
        "relation_to_head": "head",
    }
    data.update(overrides)
    return data


def test_the_registration_form_takes_the_baseline(officer):
    """The control case: without a hostile value the same post registers the person, so
    every refusal below is the hostile value's doing."""
    client = client_for(officer)
    response = client.post(reverse("registry:person_new"), _person_form())
    assert response.status_code == 302
    assert Person.objects.count() == 1


FIELD_ITEMS: dict[str, Callable[[], list[Item]]] = {
    "name": lambda: corpus.refused_by("name"),
    "id_number": lambda: corpus.refused_by("number") + number_items(fresh_id()),
    # Full-width digits are what a Chinese input method types: read as ASCII, not refused.
    "phone": lambda: (
        corpus.except_ids(corpus.refused_by("number"), "non_ascii_digits:fullwidth")
        + number_items("13904760001")
    ),
    "ethnicity": lambda: corpus.refused_by("single_line"),
}


@pytest.mark.parametrize("field", sorted(FIELD_ITEMS))
def test_person_registration_refuses_every_hostile_value(officer, field):
    failures = Failures()
    for lang in ("zh-hans", "en"):
        client = client_for(officer, lang)
        items = FIELD_ITEMS[field]()
        if lang == "en":  # the English page: one item of each category
            items = list({i.category: i for i in items}.values())
        run_items(
            failures,
            f"person_new.{field}[{lang}]",
            items,
            lambda item, client=client: client.post(
                reverse("registry:person_new"), _person_form(**{field: item.text})
            ),
            problem=lambda r, item, lang=lang: page_refusal_problem(
                r, lang=lang[:2], raw=item.text
            ),
        )
    failures.check()


def test_certificate_numbers_are_refused_on_both_forms(officer):
    """The certificate number on the registration form and on the certificate form."""
    person = make_person(actor=officer, name="持证人")
    failures = Failures()
    client = client_for(officer)
    items = corpus.refused_by("number") + number_items(person.id_number + "42")
    run_items(
        failures,
        "person_new.certificate_number",
        items,
        lambda item: client.post(
            reverse("registry:person_new"),
            _person_form(certificate_number=item.text, certificate_issue_date="2024-03-01"),
        ),
    )
    run_items(
        failures,
        "certificate_new.number",
        items,
        lambda item: client.post(
            reverse("registry:certificate_new", kwargs={"person_id": person.pk}),
            {"number": item.text, "issue_date": "2024-03-01"},
        ),
    )
    failures.check()


def test_household_registration_refuses_hostile_addresses(officer):
    failures = Failures()
    client = client_for(officer)
    run_items(
        failures,
        "household_new.address",
        corpus.refused_by("single_line"),
        lambda item: client.post(
            reverse("registry:household_new"), {"village": "150402001001", "address": item.text}
        ),
    )
    failures.check()


# --- portal: registration and free text --------------------------------------------------


@pytest.fixture
def certified(regions):
    from dpf.registry import services as registry_services

    person = make_person(name="王海明", phone="13904761234")
    registry_services.certificate_issue(
        actor=None, person=person, category=4, level=2, issue_date=dt.date(2024, 3, 1)
    )
    return person


@pytest.fixture
def _memory_sender(settings):
    from dpf.portal.messaging import MemorySender

    settings.DPF_MESSAGE_SENDER = "dpf.portal.messaging.MemorySender"
    MemorySender.sent.clear()


def _reset_rate_limits() -> None:
    """Each item starts with a clean slate, so it is the value that is refused and not the
    limit on guesses (which is tested in tests/portal)."""
    from dpf.portal.models import RateEvent

    RateEvent.objects.all().delete()


@pytest.mark.usefixtures("_memory_sender")
def test_portal_registration_refuses_every_hostile_number(certified):
    from dpf.portal.models import RateEvent

    number = Certificate.objects.get(person=certified).number
    failures = Failures()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    counters = {RateEvent: "a refused guess counts against the ID number and the address"}
    for field, valid in (("id_number", certified.id_number), ("certificate_number", number)):
        other = {"id_number": certified.id_number, "certificate_number": number}
        run_items(
            failures,
            f"portal register.{field}",
            corpus.refused_by("number") + number_items(valid),
            lambda item, field=field, other=other: client.post(
                reverse("portal:register"), {**other, field: item.text}
            ),
            counters=counters,
            reset=_reset_rate_limits,
        )
    failures.check()


@pytest.fixture
def citizen(certified):
    from dpf.portal.models import CitizenAccount

    user = make_user("citizen", None)
    CitizenAccount.objects.create(user=user, person=certified)
    return user


def test_portal_requests_refuse_control_and_direction_characters(citizen):
    failures = Failures()
    for lang in ("zh-hans", "en"):
        client = client_for(citizen, lang)
        items = corpus.refused_by("free_text")
        if lang == "en":
            items = list({i.category: i for i in items}.values())
        run_items(
            failures,
            f"portal requests.text[{lang}]",
            items,
            lambda item, client=client: client.post(
                reverse("portal:requests"),
                {"kind": "complaint", "text": item.text, "contact_preference": "phone"},
            ),
            problem=lambda r, item, lang=lang: page_refusal_problem(
                r, lang=lang[:2], raw=item.text
            ),
        )
    failures.check()


def test_portal_requests_store_injection_text_as_typed_and_escape_it(citizen, regions):
    """Free text may hold '<' or SQL words: stored as typed, shown escaped to the citizen
    and to the township officer who handles it."""
    from dpf.portal.models import CitizenRequest

    client = client_for(citizen)
    officer = client_for(make_user("township_officer", "150402001"))
    problems = []
    for item in corpus.stored_as_text_by("free_text"):
        text = item.text.strip()
        response = client.post(
            reverse("portal:requests"),
            {"kind": "complaint", "text": item.text, "contact_preference": "phone"},
        )
        if response.status_code != 302:
            problems.append(f"{item.id}: HTTP {response.status_code}")
            continue
        stored = CitizenRequest.objects.order_by("-pk").first()
        assert stored is not None
        if stored.text != text:
            problems.append(f"{item.id}: stored as {stored.text!r}")
        for page in (
            client.get(response["Location"]),
            officer.get(reverse("portal:staff_request", kwargs={"request_id": stored.pk})),
        ):
            html = page.content.decode()
            if page.status_code != 200:
                problems.append(f"{item.id}: page HTTP {page.status_code}")
            elif set(text) & set("<>\"'&") and text in html:
                problems.append(f"{item.id}: shown unescaped")
    assert not problems, problems


def test_staff_answers_to_requests_refuse_control_and_direction_characters(citizen, certified):
    from dpf.portal.casework import request_submit

    found = request_submit(
        actor=citizen,
        person_id=certified.pk,
        kind="complaint",
        text="路灯坏了",
        contact_preference="phone",
    )
    officer = client_for(make_user("township_officer", "150402001"))
    url = reverse("portal:staff_request", kwargs={"request_id": found.pk})

    def answer(item: Item) -> Any:
        found.refresh_from_db()  # the status it would be answered from (never stale)
        return officer.post(
            url, {"action": "answer", "note": item.text, "expected_status": found.status}
        )

    failures = Failures()
    run_items(failures, "staff request.note", corpus.refused_by("free_text"), answer)
    failures.check()


# --- rule texts: the preview page and `dpf rules check` ------------------------------------

RULES: list[Item] = [
    Item("rule:empty", "rule", "   ", "nothing"),
    Item("rule:syntax", "rule", "certificate.valid &&", "incomplete"),
    Item("rule:unbalanced", "rule", "(certificate.valid", "unbalanced"),
    Item("rule:unknown_name", "rule", "person.salary > 1000", "an unknown fact"),
    Item("rule:unknown_function", "rule", "system('rm -rf /')", "an unknown function"),
    Item("rule:too_long", "rule", "certificate.valid || " * 500 + "true", "over 10,000 characters"),
    Item("rule:deep_parens", "rule", "(" * 3000 + "true" + ")" * 3000, "3,000 parentheses"),
    Item("rule:deep_not", "rule", "!" * 5000 + "true", "5,000 negations"),
    Item("rule:deep_ternary", "rule", "true ? " * 800 + "true" + " : false" * 800, "nested ?:"),
    Item("rule:long_chain", "rule", " || ".join(["certificate.valid"] * 500), "a wide tree"),
    Item("rule:arabic_digit", "rule", "certificate.level in [\u0661, 2]", "Arabic-Indic one"),
    Item("rule:fullwidth_digit", "rule", "certificate.level == \uff11", "full-width one"),
    Item("rule:math_digit", "rule", "certificate.level == \U0001d7cf", "mathematical bold one"),
    Item("rule:superscript", "rule", "certificate.level == \u00b9", "superscript one"),
    Item("rule:macro_all", "rule", "[1, 2].all(x, x > 0)", "a macro"),
    Item("rule:macro_exists", "rule", "[1, 2].exists(x, certificate.level == x)", "a macro"),
    Item("rule:macro_has", "rule", "has(certificate.level)", "a macro"),
    Item("rule:macro_map", "rule", "size([1, 2].map(x, x * 2)) > 0", "a macro"),
    Item(
        "rule:regex",
        "rule",
        "'aaaaaaaaaaaaaaaaaaaaaaaaaaaa!'.matches('(a+)+$')",
        "catastrophic regex",
    ),
    Item("rule:int_overflow", "rule", "certificate.level < 99999999999999999999999999", "overflow"),
    Item("rule:float_overflow", "rule", "certificate.level < 1e999", "infinity"),
    Item("rule:division", "rule", "certificate.level / 0 > 1", "division by zero"),
    Item("rule:type_mismatch", "rule", "certificate.level == 'one'", "int compared with string"),
    Item("rule:not_bool", "rule", "certificate.level", "a number where a condition is needed"),
    Item("rule:sql", "rule", "certificate.valid'; DROP TABLE registry_person; --", "SQL"),
    Item("rule:nul", "rule", "certificate.valid\x00", "NUL"),
    Item("rule:rlo", "rule", "certificate.valid && \u202etrue", "a direction override"),
    Item(
        "rule:bidi_in_string",
        "rule",
        "'\u202e' == 'a' && certificate.valid",
        "override in a string",
    ),
    Item("rule:unterminated", "rule", "certificate.valid && 'abc", "unterminated string"),
    Item("rule:dunder", "rule", "certificate.__class__ == 1", "attribute probing"),
    Item("rule:template", "rule", "{{ certificate.valid }}", "template syntax"),
]


@pytest.fixture
def city_admin_client(regions):
    return client_for(make_user("city_admin", "150400"))


def test_the_rule_preview_page_refuses_every_hostile_rule(city_admin_client):
    failures = Failures()
    data = {
        "benefit": "living_allowance",
        "mode": "base",
        "region_code": "",
        "valid_from": "2026-12-01",
        "as_of": "2026-11-30",
        "note": "",
    }
    url = reverse("benefits:rule_preview")
    assert city_admin_client.post(url, {**data, "text": "certificate.valid"}).status_code == 200
    run_items(
        failures,
        "rule_preview.text",
        RULES + corpus.refused_by("free_text", max_length=4000),
        lambda item: city_admin_client.post(url, {**data, "text": item.text}),
    )
    import hashlib

    text = "certificate.valid"
    seen = "\x1f".join([data["benefit"], data["mode"], "", text])  # what the preview showed
    confirm = hashlib.sha256(seen.encode()).hexdigest()[:32]
    publish = {**data, "text": text, "action": "publish", "confirm": confirm}
    run_items(
        failures,
        "rule publish.note",
        corpus.refused_by("free_text", max_length=300),
        lambda item: city_admin_client.post(url, {**publish, "note": item.text}),
    )
    failures.check()
    published = city_admin_client.post(url, {**publish, "note": "试行"})
    assert published.status_code == 302  # the control case: the same publish goes through


def _command(*args: str) -> tuple[int, str, str]:
    """Run a ``dpf`` command in-process: (exit status, stdout, stderr)."""
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode or 1, out.getvalue(), str(exc)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def command_refusal_problem(status: int, out: str, err: str) -> str:
    from tests.security.hostile.checks import has_chinese, has_english

    if status == 0:
        return "exit status 0"
    said = out + err
    if not (has_chinese(said) and has_english(said)):
        return f"not a message in both languages: {said[:100]!r}"
    if "Traceback" in said:
        return "a traceback"
    return ""


def run_command_items(
    failures: Failures, where: str, items: Iterable[Item], argv: Callable[..., list[str]]
) -> None:
    watch = Watch()
    for item in items:
        try:
            found = command_refusal_problem(*_command(*argv(item)))
        except Exception as exc:  # noqa: BLE001 - an unhandled error is what we look for
            found = f"{type(exc).__name__}: {str(exc)[:80]}"
        if found:
            failures.add(item, where, found)
        written = watch.changes().problems()
        if written:
            failures.add(item, where, "; ".join(written))


def test_rules_check_refuses_every_hostile_rule(regions):
    failures = Failures()
    run_command_items(
        failures, "dpf rules check", RULES, lambda item: ["rules", "check", item.text]
    )
    failures.check()


# --- commands that check numbers ---------------------------------------------------------


def test_id_and_certificate_checks_refuse_every_hostile_number(regions):
    failures = Failures()
    valid = fresh_id()
    items = corpus.refused_by("number") + number_items(valid)
    for command in ("id", "certificate"):
        value = valid if command == "id" else valid + "42"
        items = corpus.refused_by("number") + number_items(value)
        run_command_items(
            failures,
            f"dpf {command} check",
            items,
            lambda item, c=command: [c, "check", item.text, "--json"],
        )
    failures.check()


def test_one_real_process_refuses_a_number_in_arabic_indic_digits():
    """The command line as an operator runs it (argv, exit status, output encoding)."""
    import json
    import os
    import subprocess
    import sys

    from django.conf import settings

    number = spelled(make_id_number("150402", dt.date(1980, 5, 17), 1), "\u0660")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, "-m", "dpf.cli", "id", "check", number, "--json"],
        capture_output=True,
        env=env,
        cwd=settings.BASE_DIR,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr.decode()
    result = json.loads(done.stdout.decode("utf-8"))
    assert result["valid"] is False
    assert result["error"] == "characters"
    assert "0至9" in result["message"]
    assert "0 to 9" in result["message_en"]
    assert b"Traceback" not in done.stderr


# --- the public QR check -------------------------------------------------------------------

SIGNED_AT = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen(monkeypatch):
    """The verify page reads today's date: fixed at 2026-11-30 10:00 in Chifeng."""
    from django.utils import timezone

    fixed = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    return fixed


def _forged_payloads(certificate: Any) -> list[Item]:
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from dpf.portal import ecert

    good = ecert.sign(certificate, now=SIGNED_AT)
    raw = base64.urlsafe_b64decode(good[5:] + "=" * (-len(good[5:]) % 4))
    body = raw[: ecert._BODY.size]

    def encode(data: bytes) -> str:
        return ecert.PREFIX + base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    def flipped(index: int) -> str:
        data = bytearray(raw)
        data[index] ^= 0x01
        return encode(bytes(data))

    stranger = Ed25519PrivateKey.generate()
    # The holder's certificate re-graded to level 1 in the body, signed with another key.
    fields = list(ecert._BODY.unpack(body))
    fields[3] = (fields[3] & 0xF0) | 1
    regraded = ecert._BODY.pack(*fields)
    unknown_kid = list(ecert._BODY.unpack(body))
    unknown_kid[1] = 999
    unknown = ecert._BODY.pack(*unknown_kid)
    items = [
        Item(f"qr:flip_{i}", "forged", flipped(i), "one bit flipped")
        for i in (0, 2, 5, 9, 12, 20, 40, 70)
    ]
    items += [
        Item(
            "qr:resigned_other_key",
            "forged",
            encode(regraded + stranger.sign(regraded)),
            "re-signed",
        ),
        Item("qr:unknown_key_id", "forged", encode(unknown + stranger.sign(unknown)), "key 999"),
        Item("qr:signature_zeroed", "forged", encode(body + bytes(64)), "no signature"),
        Item("qr:truncated", "forged", good[:-10], "cut short"),
        Item("qr:body_only", "forged", encode(body), "no signature at all"),
        Item("qr:doubled", "forged", good + good[5:], "two payloads in one"),
        Item("qr:overlong", "forged", good + "A" * 5000, "5,000 extra characters"),
        Item("qr:padding", "forged", good + "==", "base64 padding"),
        Item("qr:standard_b64", "forged", good.replace("-", "+").replace("_", "/"), "not URL-safe"),
        Item("qr:non_b64", "forged", "DPF1.!!!$$$", "not base64"),
        Item("qr:non_ascii", "forged", "DPF1.残疾人证" + good[5:], "Chinese inside"),
        Item("qr:arabic_digits", "forged", spelled(good, "\u0660"), "digits in another script"),
        Item("qr:prefix_only", "forged", "DPF1.", "nothing after the prefix"),
        Item("qr:other_version", "forged", "DPF2." + good[5:], "another format"),
        Item("qr:url_twice", "forged", f"https://x/verify/?p=DPF1.AAAA&p={good[5:]}", "two p="),
    ]
    return items


def _verify_problem(response: Any, item: Item, *, lang: str = "zh") -> str:
    """The verdict section says the code is not valid, in the page's language; a code that
    is not genuine answers 400."""
    from tests.security.hostile.checks import has_chinese, has_english

    if response.status_code >= 500:
        return f"HTTP {response.status_code}"
    html = response.content.decode()
    found = re.search(r'class="verify-result verify-(\w+)"', html)
    if found is None:
        return "no verdict shown"
    if found.group(1) == "valid":
        return "shown as VALID"
    section = html[html.index(">", found.end()) + 1 : html.index("</section>", found.start())]
    text = re.sub(r"<[^>]+>", " ", section)
    if lang == "zh" and not has_chinese(text):
        return f"verdict not in Chinese: {text.split()}"
    if lang == "en" and (has_chinese(text) or not has_english(text)):
        return f"verdict not in English: {text.split()}"
    if found.group(1) == "invalid" and response.status_code != 400:
        return f"an invalid code answered HTTP {response.status_code}, not 400"
    if item.text in html and set(item.text) & set("<>\"'&"):
        return "echoed unescaped"
    return ""


def test_the_verify_page_refuses_forged_truncated_and_garbled_codes(regions, frozen):
    from dpf.registry import services as registry_services

    person = make_person(name="王海明")
    certificate = registry_services.certificate_issue(
        actor=None, person=person, category=4, level=2, issue_date=dt.date(2020, 3, 1)
    )
    items = _forged_payloads(certificate) + [
        i for i in corpus.STRINGS if i.category != corpus.OVERLONG
    ]
    failures = Failures()
    for lang in ("zh-hans", "en"):
        client = Client(HTTP_ACCEPT_LANGUAGE=lang)
        shown = items if lang == "zh-hans" else items[:: max(1, len(items) // 8)]
        run_items(
            failures,
            f"verify POST[{lang}]",
            shown,
            lambda item, client=client: client.post(
                reverse("portal:verify"), {"payload": item.text}
            ),
            problem=lambda r, item, lang=lang: _verify_problem(r, item, lang=lang[:2]),
        )
        run_items(
            failures,
            f"verify GET ?p=[{lang}]",
            [i for i in shown if "\x00" not in i.text],
            lambda item, client=client: client.get(reverse("portal:verify"), {"p": item.text}),
            problem=lambda r, item, lang=lang: _verify_problem(r, item, lang=lang[:2]),
        )
    failures.check()


def test_dpf_certificate_verify_refuses_forged_codes(regions, frozen):
    from dpf.registry import services as registry_services

    person = make_person(name="王海明")
    certificate = registry_services.certificate_issue(
        actor=None, person=person, category=4, level=2, issue_date=dt.date(2020, 3, 1)
    )
    failures = Failures()
    run_command_items(
        failures,
        "dpf certificate verify",
        _forged_payloads(certificate),
        lambda item: ["certificate", "verify", item.text, "--json"],
    )
    failures.check()


@pytest.mark.parametrize("change", ["cancelled", "regraded", "certificate_expired", "code_expired"])
def test_a_replayed_code_stops_verifying(regions, frozen, change):
    """A code captured while the certificate was valid, shown again after it was cancelled,
    re-graded, or after it (or the code) expired."""
    from dpf.portal import ecert
    from dpf.registry import services as registry_services

    person = make_person(name="王海明")
    issued = dt.date(2016, 11, 1) if change == "certificate_expired" else dt.date(2020, 3, 1)
    certificate = registry_services.certificate_issue(
        actor=None, person=person, category=4, level=2, issue_date=issued, today=TODAY
    )
    signed = (
        dt.datetime(2026, 10, 1, 2, 0, tzinfo=dt.UTC) if change == "code_expired" else SIGNED_AT
    )
    if change == "certificate_expired":
        signed = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)
    payload = ecert.sign(certificate, now=signed)
    client = Client()
    captured = client.post(reverse("portal:verify"), {"payload": payload}).content.decode()
    if change in ("cancelled", "regraded"):
        assert 'verify-valid"' in captured  # the code was good when it was captured
    if change == "cancelled":
        registry_services.certificate_end(
            actor=None, certificate=certificate, on=dt.date(2026, 11, 20), status="cancelled"
        )
    elif change == "regraded":
        registry_services.certificate_regrade(
            actor=None,
            certificate=certificate,
            category=4,
            level=1,
            on=dt.date(2026, 11, 20),
            today=TODAY,
        )
    before = Snapshot.take()
    replayed = client.post(reverse("portal:verify"), {"payload": payload})
    expected = {"cancelled": "revoked", "regraded": "revoked"}.get(change, "expired")
    assert replayed.status_code == 200
    assert f'verify-{expected}"' in replayed.content.decode()
    assert not changes_since(before).problems()


# --- manual statistics ---------------------------------------------------------------------


def test_manual_statistics_refuse_hostile_sources_and_numbers(city_admin_client):
    from dpf.indicators.models import Indicator
    from dpf.indicators.selectors import plan_by_code

    plan = plan_by_code(None)
    manual = next(i for i in Indicator.objects.filter(plan=plan) if i.is_manual)
    good = {
        "indicator": manual.pk,
        "region_code": "150400",
        "year": str(plan.start.year + 1),
        "value": "12.50",
        "reference": "",
        "source": "市统计局年报",
    }
    url = reverse("indicators:manual") + f"?plan={plan.code}"
    failures = Failures()
    run_items(
        failures,
        "manual.source",
        corpus.refused_by("single_line"),
        lambda item: city_admin_client.post(url, {**good, "source": item.text}),
    )
    numbers = [
        Item("value:nan", "number", "NaN", ""),
        Item("value:inf", "number", "Infinity", ""),
        Item("value:exponent", "number", "1e999999", ""),
        Item("value:huge", "number", "9" * 40, ""),
        Item("value:hex", "number", "0x10", ""),
        Item("value:sql", "number", "1; DROP TABLE indicators_manualvalue", ""),
        *corpus.by_category(corpus.CONTROL, corpus.BIDI, corpus.INJECTION),
    ]
    for field in ("value", "reference", "year"):
        run_items(
            failures,
            f"manual.{field}",
            numbers,
            lambda item, field=field: city_admin_client.post(url, {**good, field: item.text}),
        )
    run_items(
        failures,
        "manual.indicator/region",
        [
            Item("id:huge", "number", str(2**70), ""),
            Item("id:neg", "number", "-1", ""),
            *corpus.by_category(corpus.INJECTION),
        ],
        lambda item: city_admin_client.post(
            url, {**good, "indicator": item.text, "region_code": item.text}
        ),
    )
    failures.check()


# --- the exchange API: JSON fields, query parameters, path ids -----------------------------


@pytest.fixture
def api(regions):
    from dpf.exchange import services as exchange_services

    user = make_user("department_exchange", "150400")
    _token, raw = exchange_services.token_create(actor=None, department="民政", user=user)
    client = Client()
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def _push(api: Client, rows: Any, roster: str = "dibao", raw: bytes | None = None) -> Any:
    import json

    body = raw if raw is not None else json.dumps({"rows": rows}, ensure_ascii=False).encode()
    return api.post(f"/api/exchange/rosters/{roster}", data=body, content_type="application/json")


ROW = {
    "身份证号码": "150402198005170011",
    "姓名": "张海明",
    "类别": "低保",
    "起始日期": "2023-01-05",
}


def _api_counters(*, staging: bool) -> dict[Any, str]:
    from dpf.exchange.models import ExchangeToken, ImportBatch, ImportRow

    counters: dict[Any, str] = {ExchangeToken: "the token's last use is recorded"}
    if staging:
        counters[ImportBatch] = "a push is staged as a batch that records its refusal"
        counters[ImportRow] = "each refused row is kept with its error for the department"
    return counters


def _row_results(api: Client, response: Any) -> list[str]:
    """Each pushed row's own verdict, after the validation the push started."""
    from dpf.exchange import jobs

    assert response.status_code == 201, response.content
    batch = response.json()
    if batch["status"] == "validating":
        jobs.run_validation(batch["id"])
    detail = api.get(f"/api/exchange/batches/{batch['id']}").json()
    return [r.get("result", r.get("outcome")) for r in detail["rows"]]


def _rows_refusal_problem(api: Client, response: Any, item: Item) -> str:
    """A push is staged and validated: each hostile row must come back invalid with its
    cell's error in both languages (or the whole push refused with a 4xx)."""
    from dpf.exchange import jobs
    from tests.security.hostile.checks import has_chinese, has_english, json_refusal_problem

    if response.status_code != 201:
        return json_refusal_problem(response)
    batch = response.json()
    if batch["status"] == "validating":
        jobs.run_validation(batch["id"])
    detail = api.get(f"/api/exchange/batches/{batch['id']}").json()
    if detail["status"] == "failed":
        errors = detail["errors"]
    else:
        bad = [r for r in detail["rows"] if r.get("result", r.get("outcome")) not in ("invalid",)]
        if bad:
            return f"row accepted ({bad[0].get('result', bad[0].get('outcome'))})"
        errors = [e for r in detail["rows"] for e in r["errors"]]
    if not errors:
        return "no error given"
    first = errors[0]
    if not (has_chinese(first.get("message", "")) and has_english(first.get("message_en", ""))):
        return f"error not in both languages: {first}"
    return ""


def test_api_json_fields_refuse_every_hostile_value(api, regions):
    make_person(name="张海明", id_number="150402198005170011")
    staging = _api_counters(staging=True)
    failures = Failures()
    columns = {
        "身份证号码": corpus.refused_by("number") + number_items(ROW["身份证号码"]),
        "姓名": corpus.refused_by("name"),
        "类别": corpus.STRINGS,
        "起始日期": corpus.STRINGS + number_items("2023-01-05"),
    }
    for column, items in columns.items():
        run_items(
            failures,
            f"API push.{column}",
            items,
            lambda item, column=column: _push(api, [{**ROW, column: item.text}]),
            counters=staging,
            audit=("import_upload",),
            problem=lambda r, item: _rows_refusal_problem(api, r, item),
        )
    failures.check()


def test_api_bodies_that_are_not_a_roster_are_refused(api):
    import json

    from tests.security.hostile.checks import json_refusal_problem
    from tests.security.hostile.generate import deep_json

    bodies = [
        Item("body:not_json", "body", "{rows: [", ""),
        Item("body:empty", "body", "", ""),
        Item("body:array", "body", "[]", ""),
        Item("body:rows_string", "body", json.dumps({"rows": "张海明"}), ""),
        Item("body:rows_empty", "body", json.dumps({"rows": []}), ""),
        Item("body:rows_numbers", "body", json.dumps({"rows": [1, 2, 3]}), ""),
        Item("body:nested_cell", "body", json.dumps({"rows": [{**ROW, "姓名": {"a": [1]}}]}), ""),
        Item("body:no_id_column", "body", json.dumps({"rows": [{"x": 1}]}), ""),
        Item("body:deep", "body", '{"rows": [' + deep_json(50_000).decode() + "]}", ""),
        Item(
            "body:deep_array",
            "body",
            '{"rows": ' + deep_json(50_000, kind="array").decode() + "}",
            "",
        ),
        Item("body:nan", "body", '{"rows": [{"身份证号码": NaN, "姓名": Infinity}]}', ""),
        Item(
            "body:lone_surrogate",
            "body",
            '{"rows": [{"身份证号码": "\\ud800", "姓名": "\\udfff"}]}',
            "",
        ),
        Item("body:surrogate_key", "body", '{"rows": [{"身份证号码": "1", "\\ud800": "x"}]}', ""),
        Item("body:nul_key", "body", '{"rows": [{"身份证号码": "1", "\\u0000": "\\u0000"}]}', ""),
        Item("body:huge_int", "body", '{"rows": [{"身份证号码": ' + "9" * 5000 + "}]}", ""),
        Item("body:duplicate_keys", "body", '{"rows": [], "rows": [{"身份证号码": "1"}]}', ""),
        Item("body:latin1", "body", '{"rows": [{"\u00e5": "\u00e9"}]}', "Latin-1 bytes"),
        Item("body:too_big", "body", json.dumps({"rows": [ROW] * 60_000}), ""),
    ]
    staging = _api_counters(staging=True)
    failures = Failures()
    run_items(
        failures,
        "API push body",
        bodies,
        lambda item: _push(
            api,
            None,
            raw=item.text.encode("latin-1")
            if item.id == "body:latin1"
            else item.text.encode("utf-8", "surrogatepass"),
        ),
        counters=staging,
        audit=("import_upload",),
        problem=lambda r, item: (
            _rows_refusal_problem(api, r, item) if r.status_code == 201 else json_refusal_problem(r)
        ),
    )
    failures.check()


def _path_problem(response: Any) -> str:
    """A path no route matches is Django's 404 page; one that reaches the API, its JSON."""
    from tests.security.hostile.checks import json_refusal_problem

    if response.status_code == 404 and not response["Content-Type"].startswith("application/json"):
        return ""
    return json_refusal_problem(response)


def test_api_query_parameters_and_path_ids_are_refused(api, regions):
    from tests.security.hostile.checks import json_refusal_problem

    make_person(name="张海明", id_number="150402198005170011")
    batch_id = _push(api, [ROW]).json()["id"]
    counters = _api_counters(staging=False)
    texts = [i for i in corpus.STRINGS if i.category != corpus.OVERLONG and "\x00" not in i.text]
    ids = [
        Item(f"id:{v}", "path", v, "")
        for v in (
            "0",
            "-1",
            str(2**63),
            str(10**30),
            "1.5",
            "1e3",
            "0x10",
            "١",
            "%00",
            "..%2F..",
            "%E2%80%AE1",
        )
    ]
    failures = Failures()
    run_items(
        failures,
        "API GET batches/?outcome=",
        texts,
        lambda item: api.get(
            f"/api/exchange/batches/{batch_id}", {"outcome": item.text, "result": item.text}
        ),
        counters=counters,
        problem=lambda r, item: json_refusal_problem(r),
    )
    run_items(
        failures,
        "API GET batches/?page=",
        [*texts, Item("page:nan", "q", "NaN", ""), Item("page:float", "q", "1.5", "")],
        lambda item: api.get(f"/api/exchange/batches/{batch_id}", {"page": item.text}),
        counters=counters,
        problem=lambda r, item: json_refusal_problem(r),
    )
    run_items(
        failures,
        "API GET batches/<id>",
        ids,
        lambda item: api.get(f"/api/exchange/batches/{item.text}"),
        counters=counters,
        problem=lambda r, item: _path_problem(r),
    )
    run_items(
        failures,
        "API POST batches/<id>/commit",
        ids,
        lambda item: api.post(f"/api/exchange/batches/{item.text}/commit"),
        counters=counters,
        problem=lambda r, item: _path_problem(r),
    )
    from urllib.parse import quote

    run_items(
        failures,
        "API POST rosters/<type>",
        [*texts, Item("type:traversal", "path", "../../admin", "")],
        lambda item: _push(api, [ROW], roster=quote(item.text, safe="")),
        counters=counters,
        problem=lambda r, item: _path_problem(r),
    )
    failures.check()


# --- reasons, purposes and notes typed by staff and citizens -------------------------------


def test_reasons_purposes_and_notes_refuse_control_and_direction_characters(regions):
    """Free text that is kept (audit log, applications, exports): the reveal reason, the
    registry export's purpose, an officer's reason for a decision, a citizen's note with an
    online application."""
    from dpf.portal.models import CitizenAccount
    from tests.benefits.conftest import person_with
    from tests.workflow.conftest import submit_bundle

    officer = make_user("county_officer", "150402")
    township = make_user("township_officer", "150402001")
    person = person_with(level=1, household="dibao", long_term_care=True)
    application = submit_bundle(township, person, dt.date(2025, 9, 15))
    item = application.items.order_by("pk")[0]
    citizen = make_user("citizen", None)
    CitizenAccount.objects.create(user=citizen, person=person)
    items = corpus.refused_by("free_text", max_length=300)
    failures = Failures()
    staff = client_for(officer)
    run_items(
        failures,
        "reveal.reason",
        items,
        lambda i: staff.post(
            reverse("registry:reveal_person", args=[person.pk]), {"reason": i.text}
        ),
    )
    run_items(
        failures,
        "export.purpose",
        items,
        lambda i: staff.post(
            reverse("exchange:export"),
            {"region": "150402", "as_of": "2025-12-31", "purpose": i.text},
        ),
    )
    window = client_for(township)
    prefix = f"i{item.pk}"
    run_items(
        failures,
        "workflow decide.reason",
        items,
        lambda i: window.post(
            reverse("workflow:decide", args=[item.pk]),
            {
                f"{prefix}-expected_step": "window",
                f"{prefix}-decision": "reject",
                f"{prefix}-reason": i.text,
            },
        ),
        # The refusal is shown on the application's page, and every opening of it is audited.
        audit=("view",),
    )
    portal = client_for(citizen)
    page = portal.get(reverse("portal:apply")).content.decode()
    choice = re.search(r'name="benefits" value="([a-z_]+)"', page)
    assert choice is not None, "the citizen has a benefit to apply for"
    run_items(
        failures,
        "portal apply.note",
        items,
        lambda i: portal.post(
            reverse("portal:apply"), {"benefits": [choice.group(1)], "note": i.text}
        ),
    )
    failures.check()


def test_a_department_name_with_control_characters_gets_no_token(regions):
    user = make_user("department_exchange", "150400")
    failures = Failures()
    run_command_items(
        failures,
        "dpf exchange token create --department",
        corpus.refused_by("single_line", max_length=50),
        lambda item: [
            "exchange",
            "token",
            "create",
            "--department",
            item.text,
            "--user",
            user.username,
        ],
    )
    failures.check()


def test_roster_text_columns_refuse_control_and_direction_characters(api, regions):
    """School, grade and institution are written to the registry when a roster is
    committed: pushed with controls or overrides, the row is refused."""
    child = make_person(name="张小明", birth=dt.date(2014, 3, 1), id_number=None)
    row = {
        "学生身份证号码": child.id_number,
        "学生姓名": "张小明",
        "学校": "红山区第一小学",
        "年级": "五年级",
        "入学日期": "2021-09-01",
    }
    failures = Failures()
    for column in ("学校", "年级"):
        run_items(
            failures,
            f"API push school.{column}",
            corpus.refused_by("single_line", max_length=20 if column == "年级" else 100),
            lambda item, column=column: _push(api, [{**row, column: item.text}], roster="school"),
            counters=_api_counters(staging=True),
            audit=("import_upload",),
            problem=lambda r, item: _rows_refusal_problem(api, r, item),
        )
    assert _row_results(api, _push(api, [row], roster="school")) == ["valid"]  # the control
    failures.check()
