"""Two pytest processes sharing a suite (tests/lanes.py, ``./run test``): every test runs
exactly once, each process runs its tests in the order pytest would (the "late" tests,
which stand for pytest-django's transactional ones, after every other test), a share's
module fixtures are set up once, and the session's fixtures stay up from one share to the
next."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from subprocess import PIPE, STDOUT, Popen

ROOT = Path(__file__).resolve().parents[2]

# Items marked "late" go after all the others, in a stable sort, as pytest-django orders
# its transactional tests after the ones that roll back.
CONFTEST = """
import json, os
import pytest
from tests.lanes import pytest_runtestloop  # noqa: F401

LOG = os.environ["LANES_LOG"]

def note(event, name):
    with open(LOG, "a", encoding="utf-8") as log:
        lane = os.environ.get("DPF_TEST_LANE", "first")
        log.write(json.dumps([lane, event, name]) + "\\n")

def pytest_configure(config):
    config.addinivalue_line("markers", "late: runs after the others")

def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("late") is not None)

@pytest.fixture(scope="session", autouse=True)
def session_up():
    note("session", "up")
    yield
    note("session", "down")
"""

MODULE = """
import pytest
from conftest import note

@pytest.fixture(scope="module", autouse=True)
def module_up():
    note("module", __name__)

@pytest.mark.parametrize("n", range({tests}))
def test_it(n):
    note("test", f"{{__name__}}::{{n}}")

@pytest.mark.late
@pytest.mark.parametrize("n", range({late}))
def test_late(n):
    note("test", f"{{__name__}}::late{{n}}")
"""


def _suite(folder: Path, modules: int) -> list[str]:
    """Write the suite; return its tests in the order pytest runs them."""
    (folder / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    early: list[str] = []
    late: list[str] = []
    for m in range(modules):
        tests, lates = m % 4 + 1, m % 3 + 1
        (folder / f"test_m{m:02d}.py").write_text(
            MODULE.format(tests=tests, late=lates), encoding="utf-8"
        )
        early += [f"test_m{m:02d}::{n}" for n in range(tests)]
        late += [f"test_m{m:02d}::late{n}" for n in range(lates)]
    return early + late


def _start(folder: Path, log: Path, share: Path | None, lane: str = "first") -> Popen[bytes]:
    """One pytest process over the synthetic suite, sharing ``share`` when given (no plugin
    but pytest's own and the hook under test: each start costs well under a second)."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{folder}", "LANES_LOG": str(log)}
    for name in ("DJANGO_SETTINGS_MODULE", "DPF_TEST_SHARE", "DPF_TEST_LANE"):
        env.pop(name, None)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    if share is not None:
        env["DPF_TEST_SHARE"] = str(share)
        env["DPF_TEST_LANE"] = lane
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["--rootdir", str(folder), str(folder)]
    return Popen(command, cwd=folder, env=env, stdout=PIPE, stderr=STDOUT)


def _finish(process: Popen[bytes]) -> None:
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0, out.decode()


def _events(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def _in_order(ran: list[str], order: list[str]) -> bool:
    """Is ``ran`` a subsequence of ``order``?"""
    rest = iter(order)
    return all(test in rest for test in ran)


def test_two_processes_run_every_test_once_each_in_pytest_s_order(tmp_path):
    suite, share = tmp_path / "suite", tmp_path / "claims"
    suite.mkdir()
    share.mkdir()
    order = _suite(suite, modules=12)
    log = tmp_path / "events.jsonl"
    for process in [_start(suite, log, share, lane) for lane in ("first", "second")]:
        _finish(process)
    events = _events(log)
    tests = Counter(name for _, event, name in events if event == "test")
    assert set(tests) == set(order)
    assert set(tests.values()) == {1}, "a test ran twice"
    for lane in ("first", "second"):
        ran = [name for who, event, name in events if who == lane and event == "test"]
        assert _in_order(ran, order), f"{lane} ran a late test before an early one"
    # Each module's early tests, and its late tests: two shares a module.
    assert len(list(share.iterdir())) == 2 * 12


def test_a_claimed_share_is_left_to_its_claimer_and_the_session_stays_up(tmp_path):
    from tests.lanes import claim

    suite, share = tmp_path / "suite", tmp_path / "claims"
    suite.mkdir()
    share.mkdir()
    order = _suite(suite, modules=6)
    for name in ("test_m00.py#0", "test_m02.py#0", "test_m03.py#0", "test_m04.py#1"):
        assert claim(share, name, "other")
    assert not claim(share, "test_m02.py#0", "again")
    log = tmp_path / "events.jsonl"
    _finish(_start(suite, log, share))
    events = [(event, name) for _, event, name in _events(log)]
    ran = [name for event, name in events if event == "test"]
    taken: list[str] = [f"test_m0{m}::{n}" for m in (0, 2, 3) for n in range(m % 4 + 1)]
    taken += [f"test_m04::late{n}" for n in range(4 % 3 + 1)]
    assert ran == [t for t in order if t not in taken]
    # A module cut in two by the order sets its module fixture up once a share.
    assert [name for event, name in events if event == "module"].count("test_m01") == 2
    # Moving from one share to the next keeps the session's fixtures: set up once, taken
    # down once, at the end.
    assert events.count(("session", "up")) == 1
    assert events[-1] == ("session", "down")


def test_without_a_shared_folder_pytest_runs_everything_itself(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    order = _suite(suite, modules=3)
    log = tmp_path / "events.jsonl"
    _finish(_start(suite, log, None))
    assert [name for _, event, name in _events(log) if event == "test"] == order
