"""Two test processes sharing one database's tests (``./run test`` on PostgreSQL).

``./run test`` runs the suite on SQLite and on PostgreSQL side by side, one process each,
and PostgreSQL is the longer side. So when the SQLite run has finished, a second process
joins the PostgreSQL run: both processes collect the same tests in the same order, and
each runs a share of them only after claiming it with a file made with
``O_CREAT | O_EXCL`` in the shared folder ``DPF_TEST_SHARE``. No share runs twice, and a
process goes on until none is left unclaimed.

A share is a run of consecutive tests of one module in the collection order. The order
matters: pytest-django puts the tests that roll back first and the transactional ones
(which empty the database when they end, the migrations' shipped data included) after
them; both processes take shares in that one order, so each runs its tests in an order
pytest would have run them, and a module's module-scoped fixtures are set up once a
share. The next share is claimed just before the last test of the current one runs, so
that test's teardown knows what comes next and leaves the session's fixtures (the test
database) in place.

Without ``DPF_TEST_SHARE`` pytest's own loop runs (``pytest_runtestloop`` returns None).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

SHARE = "DPF_TEST_SHARE"  # the claims folder, the same for every process of one database
LANE = "DPF_TEST_LANE"  # this process's name among them ("first" when not set)


def lane() -> str | None:
    """This process's name when it shares its database's tests, else None."""
    if not os.environ.get(SHARE):
        return None
    return os.environ.get(LANE) or "first"


def claim(folder: Path, share: str, lane: str) -> bool:
    """Take ``share`` for this process; False when another process has it."""
    name = hashlib.sha256(share.encode("utf-8")).hexdigest()[:32]
    try:
        fd = os.open(folder / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as claimed:
        claimed.write(f"{lane} {share}\n")
    return True


def shares_of(items: list[pytest.Item]) -> list[tuple[str, list[pytest.Item]]]:
    """The collected tests cut into runs of consecutive tests of one module, in order; a
    module cut in two by the order (its transactional tests) gives ``module#1`` and so on."""
    shares: list[tuple[str, list[pytest.Item]]] = []
    seen: dict[str, int] = {}
    previous = None
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        if module != previous:
            seen[module] = seen.get(module, -1) + 1
            shares.append((f"{module}#{seen[module]}", []))
            previous = module
        shares[-1][1].append(item)
    return shares


def _claimed(
    folder: Path, shares: list[tuple[str, list[pytest.Item]]], lane: str
) -> Iterator[list[pytest.Item]]:
    for name, items in shares:
        if claim(folder, name, lane):
            yield items


def pytest_runtestloop(session: pytest.Session) -> bool | None:
    folder, mine = os.environ.get(SHARE), lane()
    if not folder or mine is None:
        return None
    # As pytest's own loop (_pytest.main.pytest_runtestloop) begins.
    if session.testsfailed and not session.config.option.continue_on_collection_errors:
        raise session.Interrupted(f"{session.testsfailed} errors during collection")
    if session.config.option.collectonly:
        return True
    claims = _claimed(Path(folder), shares_of(session.items), mine)
    current = next(claims, None)
    while current is not None:
        following = None
        for i, item in enumerate(current):
            if i + 1 < len(current):
                nextitem: pytest.Item | None = current[i + 1]
            else:  # the next share is claimed only now: a process reserves nothing ahead
                following = next(claims, None)
                nextitem = following[0] if following is not None else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if session.shouldfail:
                raise session.Failed(session.shouldfail)
            if session.shouldstop:
                raise session.Interrupted(session.shouldstop)
        current = following
    return True
