"""A child process for ``test_rollback_journal``: a small demo generation on the SQLite
file it is given (``DATABASE_URL``), reporting as JSON the journal mode a step of the
generation saw, whether SQLite's rollback journal file existed then, and the mode and the
persons once the generation has ended.

    python -m tests.core.journal_child alone|beside-a-reader|failing|inside-a-transaction
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any


def main(scenario: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    from dpf.demo import services
    from dpf.registry.models import Person

    path = Path(connection.settings_dict["NAME"])
    seen: dict[str, Any] = {}

    def mode() -> str:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            return str(cursor.fetchone()[0])

    def probe(ctx: Any) -> None:
        seen["during"] = mode()
        seen["journal_file"] = Path(f"{path}-journal").exists()
        if scenario == "failing":
            raise RuntimeError("a step fails")

    seen["before"] = mode()  # the connection's settings put the file in the log (WAL)
    reader = None
    if scenario == "beside-a-reader":
        reader = sqlite3.connect(path)  # another connection has the database open
        reader.execute("SELECT count(*) FROM registry_person").fetchone()
    try:
        if scenario == "inside-a-transaction":
            with transaction.atomic():  # SQLite keeps the log inside a transaction
                services.demo_generate(persons=3, seed=1, steps=[probe])
        else:
            services.demo_generate(persons=3, seed=1, steps=[probe])
    except RuntimeError as exc:
        seen["error"] = str(exc)
    seen["after"] = mode()
    seen["persons"] = Person.objects.count()
    if reader is not None:
        seen["reader_sees"] = reader.execute("SELECT count(*) FROM registry_person").fetchone()[0]
        reader.close()
    print(json.dumps(seen))


if __name__ == "__main__":
    main(sys.argv[1])
