"""The files docs/deploy.md ships: the systemd units pass ``systemd-analyze verify`` (their
commands pointed at this checkout), and they start the platform the way the production
settings demand (DPF_PRODUCTION, HTTPS, loopback only)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

DEPLOY = Path(settings.BASE_DIR) / "deploy"
UNITS = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))


def test_the_units_exist() -> None:
    names = {u.name for u in UNITS}
    assert {"dpf-web.service", "dpf-worker.service"} <= names
    # The nightly backup is a schedule of the worker (core.backup), not a timer of its own.
    assert not any("backup" in name for name in names)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not here")
def test_systemd_analyze_verifies_every_unit(tmp_path) -> None:
    for unit in UNITS:
        # The commands pointed at this checkout and the virtual environment running the tests.
        text = unit.read_text().replace("/opt/dpf/.venv", sys.prefix)
        text = text.replace("/opt/dpf", str(settings.BASE_DIR))
        # The environment file is the installation's; optional here.
        text = text.replace("EnvironmentFile=/etc/dpf/", "EnvironmentFile=-/etc/dpf/")
        (tmp_path / unit.name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *[str(tmp_path / u.name) for u in UNITS]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "bad unit file" not in done.stderr
    assert "fatal" not in done.stderr


def test_the_units_start_in_production_mode_on_loopback() -> None:
    for name in ("dpf-web.service", "dpf-worker.service"):
        text = (DEPLOY / name).read_text()
        assert "Environment=DPF_PRODUCTION=1" in text
        assert "Environment=DPF_HTTPS=1" in text
        assert "DPF_DEBUG" not in text
    assert "--bind 127.0.0.1:8000" in (DEPLOY / "dpf-web.service").read_text()
    nginx = (DEPLOY / "nginx-dpf.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto https;" in nginx
