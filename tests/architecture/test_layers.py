"""The layer contract of docs/architecture.md is enforced by import-linter (``./run lint``).

These tests prove the contract bites: a copy of the source tree with one deliberately bad
import is linted and must fail, naming the import; the real tree must pass.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _copy_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "static", "templates", "locale")
    for name in ("dpf", "config"):
        shutil.copytree(ROOT / name, tree / name, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_source_tree_keeps_the_layer_contract() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        # core is the bottom layer: it may not reach up into the registry
        ("dpf/core/_bad_example.py", "import dpf.registry.models", "Apps import downwards"),
        # a domain app may not import the benchmark harness above it
        ("dpf/workflow/_bad_example.py", "import dpf.bench.runner", "Apps import downwards"),
        # nothing in dpf imports the configuration package
        ("dpf/registry/_bad_example.py", "import config.settings", "Only the settings"),
    ],
)
def test_an_upward_import_breaks_the_lint(tmp_path, module, bad_import, contract) -> None:
    tree = _copy_tree(tmp_path)
    (tree / module).write_text(f"{bad_import}  # deliberately bad\n", encoding="utf-8")
    result = _lint(tree)
    assert result.returncode == 1
    assert f"{contract}" in result.stdout
    assert "BROKEN" in result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout
