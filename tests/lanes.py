"""Two test processes sharing one database's test modules (``./run test`` on PostgreSQL).

``./run test`` runs the suite on SQLite and on PostgreSQL side by side, one process each,
and PostgreSQL is the longer side. So when the SQLite run has finished, a second process
joins the PostgreSQL run: both processes collect the same tests, and each runs a test
module only after claiming it with a file made with ``O_CREAT | O_EXCL`` in the shared
folder ``DPF_TEST_SHARE``. The first process claims from the front of the collection
order, the one that joins from the back, so they meet somewhere in between; no module runs
twice, and a process runs modules until none is left unclaimed.

A whole module is the unit, so module-scoped fixtures are set up once. The next module is
claimed just before the last test of the current one runs, so that test's teardown knows
what comes next and leaves the session's fixtures (the test database) in place.

Without ``DPF_TEST_SHARE`` pytest's own loop runs (``pytest_runtestloop`` returns None).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

SHARE = "DPF_TEST_SHARE"  # the claims folder, the same for every process of one database
FROM_BACK = "DPF_TEST_SHARE_FROM_BACK"  # "1": claim from the end of the collection order


def lane() -> str | None:
    """This process's lane when it shares its database's modules ("front" or "back")."""
    if not os.environ.get(SHARE):
        return None
    return "back" if os.environ.get(FROM_BACK) == "1" else "front"


def claim(folder: Path, module: str, lane: str) -> bool:
    """Take ``module`` for this process; False when another process has it."""
    name = hashlib.sha256(module.encode("utf-8")).hexdigest()[:32]
    try:
        fd = os.open(folder / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as claimed:
        claimed.write(f"{lane} {module}\n")
    return True


def modules_of(items: list[pytest.Item]) -> dict[str, list[pytest.Item]]:
    """The collected tests by module, modules in order of their first test."""
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    return modules


def _claimed(folder: Path, order: list[str], lane: str) -> Iterator[str]:
    for module in order:
        if claim(folder, module, lane):
            yield module


def pytest_runtestloop(session: pytest.Session) -> bool | None:
    folder, mine = os.environ.get(SHARE), lane()
    if not folder or mine is None:
        return None
    # As pytest's own loop (_pytest.main.pytest_runtestloop) begins.
    if session.testsfailed and not session.config.option.continue_on_collection_errors:
        raise session.Interrupted(f"{session.testsfailed} errors during collection")
    if session.config.option.collectonly:
        return True
    modules = modules_of(session.items)
    order = list(reversed(modules)) if mine == "back" else list(modules)
    claims = _claimed(Path(folder), order, mine)
    current = next(claims, None)
    while current is not None:
        items = modules[current]
        following = None
        for i, item in enumerate(items):
            if i + 1 < len(items):
                nextitem: pytest.Item | None = items[i + 1]
            else:  # the next module is claimed only now: a lane reserves nothing ahead
                following = next(claims, None)
                nextitem = modules[following][0] if following is not None else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if session.shouldfail:
                raise session.Failed(session.shouldfail)
            if session.shouldstop:
                raise session.Interrupted(session.shouldstop)
        current = following
    return True
