"""Two pytest processes sharing a suite's modules (tests/lanes.py, ``./run test``): every test
runs exactly once, a module's fixtures are set up once, and the session's fixtures stay up
from one claimed module to the next."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from subprocess import PIPE, STDOUT, Popen

ROOT = Path(__file__).resolve().parents[2]

CONFTEST = """
import json, os
import pytest
from tests.lanes import pytest_runtestloop  # noqa: F401

LOG = os.environ["LANES_LOG"]

def note(event, name):
    with open(LOG, "a", encoding="utf-8") as log:
        lane = os.environ.get("DPF_TEST_SHARE_FROM_BACK", "0")
        log.write(json.dumps([lane, event, name]) + "\\n")

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
"""


def _suite(folder: Path, modules: int) -> None:
    (folder / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    for m in range(modules):
        (folder / f"test_m{m:02d}.py").write_text(MODULE.format(tests=m % 4 + 1), encoding="utf-8")


def _start(folder: Path, log: Path, share: Path | None, *, back: bool = False) -> Popen[bytes]:
    """One pytest process over the synthetic suite, sharing ``share`` when given (no plugin
    but pytest's own and the hook under test: each start costs well under a second)."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{folder}", "LANES_LOG": str(log)}
    for name in ("DJANGO_SETTINGS_MODULE", "DPF_TEST_SHARE", "DPF_TEST_SHARE_FROM_BACK"):
        env.pop(name, None)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    if share is not None:
        env["DPF_TEST_SHARE"] = str(share)
        env["DPF_TEST_SHARE_FROM_BACK"] = "1" if back else "0"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["--rootdir", str(folder), str(folder)]
    return Popen(command, cwd=folder, env=env, stdout=PIPE, stderr=STDOUT)


def _finish(process: Popen[bytes]) -> None:
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0, out.decode()


def _events(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def _expected(modules: Iterable[int]) -> set[str]:
    return {f"test_m{m:02d}::{n}" for m in modules for n in range(m % 4 + 1)}


def test_two_processes_run_every_test_once_and_each_module_s_fixtures_once(tmp_path):
    suite, share = tmp_path / "suite", tmp_path / "claims"
    suite.mkdir()
    share.mkdir()
    _suite(suite, modules=12)
    log = tmp_path / "events.jsonl"
    for lane in [_start(suite, log, share, back=back) for back in (False, True)]:
        _finish(lane)
    events = _events(log)
    tests = Counter(name for _, event, name in events if event == "test")
    assert set(tests) == _expected(range(12))
    assert set(tests.values()) == {1}, "a test ran twice"
    modules = Counter(name for _, event, name in events if event == "module")
    assert len(modules) == 12
    assert set(modules.values()) == {1}
    assert len(list(share.iterdir())) == 12


def test_a_claimed_module_is_left_to_its_claimer_and_the_session_stays_up(tmp_path):
    from tests.lanes import claim

    suite, share = tmp_path / "suite", tmp_path / "claims"
    suite.mkdir()
    share.mkdir()
    _suite(suite, modules=6)
    for m in (0, 2, 3):
        assert claim(share, f"test_m{m:02d}.py", "other")
    assert not claim(share, "test_m02.py", "again")
    log = tmp_path / "events.jsonl"
    _finish(_start(suite, log, share))
    events = [(event, name) for _, event, name in _events(log)]
    assert {name for event, name in events if event == "test"} == _expected([1, 4, 5])
    # Moving from one claimed module to the next keeps the session's fixtures: set up once,
    # taken down once, at the end.
    assert events.count(("session", "up")) == 1
    assert events[-1] == ("session", "down")


def test_without_a_shared_folder_pytest_runs_everything_itself(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    _suite(suite, modules=3)
    log = tmp_path / "events.jsonl"
    _finish(_start(suite, log, None))
    assert {name for _, event, name in _events(log) if event == "test"} == _expected(range(3))
