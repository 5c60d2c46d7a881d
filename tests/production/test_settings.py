"""A production start (DPF_PRODUCTION=1) refuses, with a message in both languages, to run
with the debug pages or demo data on, without HTTPS, or without its keys; and never makes
new keys (load_secrets would, and every encrypted field would be lost)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

KEYS = {
    "DPF_SECRET_KEY": "x" * 50,
    "DPF_FIELD_KEYS": json.dumps({"k1": base64.b64encode(b"k" * 32).decode()}),
    "DPF_HASH_KEY": base64.b64encode(b"h" * 32).decode(),
}


def _start(data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DPF_") and k not in ("DATABASE_URL",)
    }
    clean.update(
        DPF_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir / 'db.sqlite3'}",
        DPF_PRODUCTION="1",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "dpf.cli", "check"],
        env=clean,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"DPF_DEBUG": "1", "DPF_HTTPS": "1", **KEYS}, "DPF_DEBUG=1"),
        ({"DPF_DEMO": "1", "DPF_HTTPS": "1", **KEYS}, "DPF_DEMO=1"),
        ({**KEYS}, "DPF_HTTPS must be 1"),
        ({"DPF_HTTPS": "1"}, "keys not found"),
        (
            {"DPF_HTTPS": "1", "DPF_SECRET_KEY": "x" * 50, "DPF_HASH_KEY": KEYS["DPF_HASH_KEY"]},
            "DPF_FIELD_KEYS: 密钥不全 / key missing",
        ),
    ],
)
def test_a_production_start_refuses_with_a_clear_message(tmp_path, env, says) -> None:
    started = _start(tmp_path, **env)
    assert started.returncode != 0
    assert "生产环境配置有误，拒绝启动 / production configuration refused" in started.stderr
    assert says in started.stderr
    assert not (tmp_path / "secrets.json").exists()  # no key was made up


def test_a_production_start_with_its_keys_and_https_runs(tmp_path) -> None:
    started = _start(tmp_path, DPF_HTTPS="1", **KEYS)
    assert started.returncode == 0, started.stderr[-2000:]
    assert not (tmp_path / "secrets.json").exists()
