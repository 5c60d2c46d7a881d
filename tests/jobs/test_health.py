"""/health/ and /ready/: 200 when every part works, 503 naming the part that does not, and
nothing else in the answer (they are public)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from dpf.jobs import runner
from dpf.jobs.models import Heartbeat

pytestmark = pytest.mark.django_db


def _get(client, name: str) -> tuple[int, dict[str, str]]:
    response = client.get(reverse(name))
    assert response["Cache-Control"].startswith("max-age=0")
    return response.status_code, json.loads(response.content)


def test_healthy_when_the_worker_beat_recently(client) -> None:
    runner.beat()
    assert _get(client, "jobs:health") == (
        200,
        {"status": "ok", "database": "ok", "worker": "ok", "disk": "ok", "keys": "ok"},
    )


def test_a_silent_worker_fails_the_health_check(client) -> None:
    assert _get(client, "jobs:health")[1]["worker"] == "fail"  # never beat
    Heartbeat.objects.create(name="old", beat_at=timezone.now() - dt.timedelta(minutes=10))
    status, body = _get(client, "jobs:health")
    assert status == 503
    assert body["status"] == "fail"
    assert body["worker"] == "fail"
    assert body["database"] == "ok"


def test_a_broken_key_fails_the_health_check(client, settings) -> None:
    runner.beat()
    settings.DPF_FIELD_KEYS = {**settings.DPF_FIELD_KEYS, "k9": "not base64!"}
    status, body = _get(client, "jobs:health")
    assert status == 503
    assert body["keys"] == "fail"
    settings.DPF_HASH_KEY = ""
    assert _get(client, "jobs:health")[1]["keys"] == "fail"


def test_a_full_disk_fails_the_health_check(client, settings) -> None:
    runner.beat()
    settings.DPF_HEALTH_MIN_FREE_BYTES = 10**18
    status, body = _get(client, "jobs:health")
    assert status == 503
    assert body["disk"] == "fail"


def test_ready_when_every_migration_is_applied(client) -> None:
    assert _get(client, "jobs:ready") == (
        200,
        {"status": "ok", "database": "ok", "migrations": "ok"},
    )


def test_the_answers_say_nothing_but_ok_or_fail(client) -> None:
    runner.beat()
    for name in ("jobs:health", "jobs:ready"):
        _status, body = _get(client, name)
        assert set(body.values()) <= {"ok", "fail"}
