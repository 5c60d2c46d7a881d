"""Did a refused input write anything? One snapshot of the whole database, taken before and
after, and compared.

Every table of every installed app (found through ``django.apps``, so a model added later
is covered without touching this file) is counted, and its full content is hashed: the
rows as the database returns them, in primary-key order, read with raw SQL (no
decryption, no model code in between). Three tables are treated apart, and only these:

- ``django_session``: the test client's session is saved by the middleware (idle expiry,
  flash messages); counted, not hashed.
- ``core_auditentry``: append-only. A refusal **may** add entries, but only of the actions
  in :data:`REFUSAL_ACTIONS` (``permission_denied``, ``login_failure`` and the audited
  probe/refusal actions); any other new entry, and any change to an existing one, fails.
- tables a caller names in ``counters`` with the reason they may change (a rate limit that
  must count a refused guess, the staging tables of a roster upload): their changes are
  allowed and reported, and every other table must be byte-for-byte the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection, models

# Audit actions a refused input may write (never "create", "change", "import" ...).
REFUSAL_ACTIONS = frozenset(
    {
        "permission_denied",
        "login_failure",
        # Written when a registration or a duplicate looks like someone probing for a record.
        "possible_probe",
        "registration_refused",
        "refusal",
    }
)
SESSION_TABLE = "django_session"
AUDIT_TABLE = "core_auditentry"


def _tables() -> list[tuple[str, str]]:
    """(db table, primary-key column) of every concrete, managed model, auto-created
    many-to-many tables included."""
    found: dict[str, str] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or meta.proxy or meta.swapped:
            continue
        pk = meta.pk
        assert pk is not None
        found.setdefault(meta.db_table, pk.column)
    return sorted(found.items())


def _digest(table: str, pk: str) -> tuple[int, str]:
    quote = connection.ops.quote_name
    digest = hashlib.sha256()
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {quote(pk)}")  # noqa: S608
        while rows := cursor.fetchmany(2000):
            count += len(rows)
            for row in rows:
                digest.update(repr(row).encode("utf-8", "surrogatepass"))
                digest.update(b"\x1e")
    return count, digest.hexdigest()


def _digests(tables: list[tuple[str, str]]) -> dict[str, tuple[int, str]]:
    """(row count, hash of the rows in primary-key order) of each table. On PostgreSQL the
    server hashes each row's text form (``md5`` over ``string_agg``), every table in one
    statement; elsewhere the rows are read and hashed here, a table at a time."""
    if connection.vendor != "postgresql":
        return {table: _digest(table, pk) for table, pk in tables}
    quote = connection.ops.quote_name
    # The alias names the whole row (no table has a column of that name): its text form.
    parts = [
        f"SELECT %s, COUNT(*), COALESCE(md5(string_agg(whole_row::text, E'\\x1e' "  # noqa: S608
        f"ORDER BY whole_row.{quote(pk)})), '') FROM {quote(table)} whole_row"
        for table, pk in tables
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), [table for table, _ in tables])
        return {table: (int(count), digest) for table, count, digest in cursor.fetchall()}


def _audit_hash(last_id: int) -> str:
    """A hash of the audit entries up to ``last_id``: any rewritten entry changes it."""
    from dpf.core.models import AuditEntry

    existing = AuditEntry.objects.filter(id__lte=last_id).order_by("id")
    return hashlib.sha256(
        repr(list(existing.values_list("id", "entry_hash", "action"))).encode()
    ).hexdigest()


@dataclass(frozen=True)
class Snapshot:
    counts: dict[str, int]
    hashes: dict[str, str]
    audit_last_id: int
    audit_hash: str

    @classmethod
    def take(cls) -> Snapshot:
        from dpf.core.models import AuditEntry

        counts: dict[str, int] = {}
        hashes: dict[str, str] = {}
        tables = _tables()
        for table, (count, digest) in _digests(
            [t for t in tables if t[0] != SESSION_TABLE]
        ).items():
            counts[table], hashes[table] = count, digest
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(SESSION_TABLE)}")  # noqa: S608
            counts[SESSION_TABLE] = cursor.fetchone()[0]
        last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        # The audit table's hash covers the entries that existed: later ones are checked
        # one by one in ``changes_since``.
        return cls(counts=counts, hashes=hashes, audit_last_id=last, audit_hash=_audit_hash(last))


@dataclass
class Changes:
    tables: list[str] = field(default_factory=list)  # tables whose rows changed
    counted: dict[str, tuple[int, int]] = field(default_factory=dict)  # allowed counters
    audit_actions: list[str] = field(default_factory=list)  # actions of new audit entries
    audit_rewritten: bool = False

    audit_allowed: frozenset[str] = REFUSAL_ACTIONS

    def problems(self) -> list[str]:
        found = [f"table {t} changed" for t in self.tables]
        found += [
            f"audit entry '{a}' written" for a in self.audit_actions if a not in self.audit_allowed
        ]
        if self.audit_rewritten:
            found.append("existing audit entries changed")
        return found


def changes_since(
    before: Snapshot, *, counters: dict[Any, str] | None = None, audit: tuple[str, ...] = ()
) -> Changes:
    """What changed since ``before``. ``counters`` maps models (or table names) that may
    change to the reason why; they are reported in ``Changes.counted``, not as problems.
    ``audit`` names audit actions allowed beside the refusals (a staged upload's)."""
    return _compare(before, Snapshot.take(), counters=counters, audit=audit)


def _compare(
    before: Snapshot,
    after: Snapshot,
    *,
    counters: dict[Any, str] | None = None,
    audit: tuple[str, ...] = (),
) -> Changes:
    from dpf.core.models import AuditEntry

    allowed: set[str] = set()
    for model, reason in (counters or {}).items():
        assert reason, "say why this table may change on a refusal"
        allowed.add(
            model._meta.db_table
            if isinstance(model, type) and issubclass(model, models.Model)
            else str(model)
        )
    changes = Changes(audit_allowed=REFUSAL_ACTIONS | frozenset(audit))
    for table, count in after.counts.items():
        if table in (SESSION_TABLE, AUDIT_TABLE):
            continue
        old_count = before.counts.get(table, 0)
        differs = count != old_count or after.hashes.get(table) != before.hashes.get(table)
        if not differs:
            continue
        if table in allowed:
            changes.counted[table] = (old_count, count)
        else:
            changes.tables.append(table)
    new = AuditEntry.objects.filter(id__gt=before.audit_last_id).order_by("id")
    changes.audit_actions = list(new.values_list("action", flat=True))
    changes.audit_rewritten = _audit_hash(before.audit_last_id) != before.audit_hash
    return changes


def _write_counter() -> int | None:
    """How many rows this connection has inserted, updated or deleted: when the count did
    not move, nothing was written and the tables need not be read again. SQLite counts
    them per connection; PostgreSQL per transaction (``pg_stat_xact_user_tables``, and a
    test runs in one). ``None`` elsewhere (always compare)."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return int(connection.connection.total_changes)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) "
                "FROM pg_stat_xact_user_tables"
            )
            return int(cursor.fetchone()[0])
    return None


class Watch:
    """Snapshots for a run of items: the tables are read again only after a write."""

    def __init__(self) -> None:
        self.rebase()

    def rebase(self) -> None:
        """Take the state as it is now as the baseline (after a test's own set-up)."""
        counter = _write_counter()
        if counter is None or counter != getattr(self, "counter", None):
            self.before = Snapshot.take()
        self.counter = _write_counter()

    def changes(
        self, *, counters: dict[Any, str] | None = None, audit: tuple[str, ...] = ()
    ) -> Changes:
        """What changed since the baseline; the state now becomes the baseline."""
        counter = _write_counter()
        if counter is not None and counter == self.counter:
            return Changes()
        after = Snapshot.take()
        found = _compare(self.before, after, counters=counters, audit=audit)
        self.before = after  # nothing is written between the two: the state now
        self.counter = _write_counter()
        return found


def assert_nothing_written(
    before: Snapshot,
    *,
    what: str,
    counters: dict[Any, str] | None = None,
    audit: tuple[str, ...] = (),
) -> Changes:
    changes = changes_since(before, counters=counters, audit=audit)
    problems = changes.problems()
    assert not problems, f"{what}: {'; '.join(problems)}"
    return changes
