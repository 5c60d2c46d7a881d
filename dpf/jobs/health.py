"""``/health/`` (is each part working: database, worker heartbeat, disk, keys) and ``/ready/``
(may this server take requests: database reachable, every migration applied).

Both answer 200 or 503 with one word per check, nothing else (no paths, versions or
errors), so they can stay public for the monitor and the load balancer.
"""

from __future__ import annotations

import base64
import binascii
import shutil
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from dpf.core.access import public
from dpf.jobs.selectors import last_heartbeat


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0] == 1
    except DatabaseError:
        return False


def _worker() -> bool:
    try:
        beat = last_heartbeat()
    except DatabaseError:
        return False
    if beat is None:
        return False
    return (timezone.now() - beat).total_seconds() <= settings.DPF_HEALTH_WORKER_SECONDS


def _disk() -> bool:
    folder = settings.DATA_DIR if settings.DATA_DIR.exists() else settings.BASE_DIR
    return shutil.disk_usage(folder).free >= settings.DPF_HEALTH_MIN_FREE_BYTES


def _key(value: str) -> bool:
    try:
        return len(base64.b64decode(value, validate=True)) == 32
    except (binascii.Error, ValueError, TypeError):
        return False


def _keys() -> bool:
    current = settings.DPF_FIELD_KEYS.get(settings.DPF_FIELD_KEY_CURRENT)
    return bool(
        settings.SECRET_KEY
        and current
        and _key(current)
        and all(_key(k) for k in settings.DPF_FIELD_KEYS.values())
        and _key(settings.DPF_HASH_KEY)
    )


CHECKS: dict[str, Callable[[], bool]] = {
    "database": _database,
    "worker": _worker,
    "disk": _disk,
    "keys": _keys,
}


def _answer(results: dict[str, bool]) -> JsonResponse:
    ok = all(results.values())
    body = {"status": "ok" if ok else "fail"} | {
        k: "ok" if v else "fail" for k, v in results.items()
    }
    return JsonResponse(body, status=200 if ok else 503)


@public
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    return _answer({name: check() for name, check in CHECKS.items()})


@public
@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    database = _database()
    migrated = False
    if database:
        executor = MigrationExecutor(connection)
        migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _answer({"database": database, "migrations": migrated})
