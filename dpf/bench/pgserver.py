"""A throwaway PostgreSQL server on loopback in a temporary folder (benchmarks, tools).

The same thing ``run``'s ``start_postgres`` does for the test suite: initdb + pg_ctl,
run as the ``postgres`` system user when we are root (initdb refuses root).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def pg_bin() -> Path:
    for candidate in [
        "/usr/lib/postgresql/15/bin",
        *sorted(glob.glob("/usr/lib/postgresql/*/bin")),
    ]:
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    raise RuntimeError("PostgreSQL binaries not found (install postgresql-15)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway server: its ``DATABASE_URL`` and a way to restart it."""

    url: str
    folder: Path
    runas: tuple[str, ...]

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every session ended, the server back up (same port)."""
        subprocess.run(
            [
                *self.runas,
                str(pg_bin() / "pg_ctl"),
                "-D",
                str(self.folder / "data"),
                "-l",
                str(self.folder / "server.log"),
                "-m",
                "fast",
                "-w",
                "restart",
            ],
            check=True,
            capture_output=True,
        )


@contextlib.contextmanager
def throwaway_postgres(*, tuned: bool = True) -> Iterator[str]:
    """Start a server, yield its ``DATABASE_URL`` (database ``dpf``), stop and delete it."""
    with throwaway_server(tuned=tuned) as server:
        yield server.url


@contextlib.contextmanager
def throwaway_server(*, tuned: bool = True) -> Iterator[PostgresServer]:
    """Start a server, yield it (database ``dpf``), stop and delete it."""
    binary = pg_bin()
    folder = Path(tempfile.mkdtemp(prefix="dpf-bench-pg."))
    runas: list[str] = []
    if os.geteuid() == 0:
        runas = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, user="postgres")
    port = _free_port()
    settings = [
        f"-p {port}",
        f"-k {folder}",
        "-c listen_addresses=127.0.0.1",
        "-c max_connections=100",
    ]
    if tuned:
        # A modest production-like configuration for a 2-core, 24 GB machine.
        settings += [
            "-c shared_buffers=2GB",
            "-c work_mem=64MB",
            "-c maintenance_work_mem=512MB",
            "-c effective_cache_size=8GB",
            "-c max_wal_size=4GB",
            "-c synchronous_commit=off",
        ]
    subprocess.run(
        [
            *runas,
            str(binary / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            "dpf",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *runas,
            str(binary / "pg_ctl"),
            "-D",
            str(folder / "data"),
            "-l",
            str(folder / "server.log"),
            "-w",
            "-o",
            " ".join(settings),
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [
                *runas,
                str(binary / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "dpf",
                "dpf",
            ],
            check=True,
            capture_output=True,
        )
        yield PostgresServer(f"postgres://dpf@127.0.0.1:{port}/dpf", folder, tuple(runas))
    finally:
        subprocess.run(
            [*runas, str(binary / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
