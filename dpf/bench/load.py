"""A bounded HTTP load generator for loopback benchmarks (no Django import).

Two ways to run it, both printing JSON (request count, errors, requests/second, latency
percentiles in milliseconds):

``python -m dpf.bench.load --base http://127.0.0.1:PORT --username U --password P
--paths FILE --concurrency 8 --requests 800 --max-seconds 60``
    logs in once (the staff pages need a session), then each client thread sends the
    requests of the path file round-robin until the request budget or the time budget is
    spent. A line is a path (GET) or ``POST <path> <urlencoded form>`` (the CSRF token is
    added).

``python -m dpf.bench.load --base … --scenario FILE.json --seconds 60``
    one thread per staff session, each logging in with its own account (answering the
    TOTP step when the account has a ``totp_key``), then sending its own requests in order,
    round after round, for a fixed time; a request marked ``once`` (an approval) is sent in
    the first round only. The scenario is ``{"password": …, "sessions": [{"username": …,
    "requests": [{"kind": "search", "method": "GET", "path": …}, {"kind": "approval",
    "method": "POST", "path": …, "form": {…}, "expect": [302], "once": true}]}]}``. The
    figures are given per kind of request; an error is a status other than the expected
    one (200 unless ``expect`` says otherwise) or a failed connection, and is reported by
    kind and status only (paths and queries hold names). With ``"forwarded_https": true``
    (a server with the production settings) the client stands in for the HTTPS proxy:
    every request says ``X-Forwarded-Proto: https`` and the CSRF referer is ``https://``.

``dpf/bench/locustfile.py`` sends the same scenario's requests with locust.

It only ever talks to the loopback address it is given.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import statistics
import struct
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOGIN_PATH = "/accounts/login/"
TIMEOUT = 120.0


def totp(key_hex: str, at: float, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 code of a hex key (django-otp's TOTP devices store their key as hex)."""
    counter = struct.pack(">Q", int(at) // step)
    digest = hmac.new(bytes.fromhex(key_hex), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


@dataclass
class Response:
    status: int
    body: str
    location: str


class Session:
    """One browser: its own cookies and connection to a loopback server."""

    def __init__(
        self, host: str, port: int, timeout: float = TIMEOUT, *, forwarded_https: bool = False
    ) -> None:
        if not (host.startswith("127.") or host in ("localhost", "::1")):
            raise SystemExit("refusing a non-loopback target")
        self.host, self.port, self.timeout = host, port, timeout
        self.forwarded_https = forwarded_https
        self.cookies: dict[str, str] = {}
        self._conn = http.client.HTTPConnection(host, port, timeout=timeout)

    @classmethod
    def to(cls, base: str, timeout: float = TIMEOUT, *, forwarded_https: bool = False) -> Session:
        url = urllib.parse.urlsplit(base)
        return cls(
            url.hostname or "127.0.0.1", url.port or 80, timeout, forwarded_https=forwarded_https
        )

    def _send(self, method: str, path: str, body: str | None, headers: dict[str, str]) -> Response:
        if self.forwarded_https:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self._conn.request(method, path, body=body, headers=headers)
            resp = self._conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self._conn.close()
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            raise
        for header, value in resp.getheaders():
            if header.lower() == "set-cookie":
                first = value.split(";", 1)[0].strip()
                if "=" in first:
                    key, val = first.split("=", 1)
                    self.cookies[key] = val
        return Response(resp.status, text, resp.getheader("Location", "") or "")

    @property
    def scheme(self) -> str:
        return "https" if self.forwarded_https else "http"

    def get(self, path: str) -> Response:
        return self._send("GET", path, None, {})

    def post(self, path: str, form: dict[str, str] | str) -> Response:
        body = form if isinstance(form, str) else urllib.parse.urlencode(form)
        token = self.cookies.get("csrftoken", "")
        body = f"{body}&csrfmiddlewaretoken={token}" if body else f"csrfmiddlewaretoken={token}"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"{self.scheme}://{self.host}:{self.port}{path}",
        }
        return self._send("POST", path, body, headers)

    def login(
        self, username: str, password: str, *, totp_key: str = "", login_path: str = LOGIN_PATH
    ) -> None:
        self.get(login_path)  # sets the CSRF cookie
        done = self.post(login_path, {"username": username, "password": password})
        if "/otp/" in done.location and totp_key:
            target = urllib.parse.urlsplit(done.location).path
            self.get(target)
            done = self.post(target, {"code": totp(totp_key, time.time())})
        if "sessionid" not in self.cookies or done.status != 302:
            raise SystemExit(f"login failed for {username} (status {done.status})")

    def close(self) -> None:
        self._conn.close()


@dataclass
class Tally:
    """Latencies and errors, by kind of request."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(ms)
            if error is not None:
                self.errors[(kind, error)] += 1

    def summary(self, kinds: list[str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for kind in kinds or sorted(self.latencies):
            values = sorted(self.latencies.get(kind, []))
            errors = sum(n for (k, _), n in self.errors.items() if k == kind)
            out[kind] = {"requests": len(values), "errors": errors, **percentiles(values)}
        return out


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None, "mean_ms": None}

    def pct(p: float) -> float:
        return round(values[min(len(values) - 1, int(len(values) * p))], 1)

    return {
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(values[-1], 1),
        "mean_ms": round(statistics.fmean(values), 1),
    }


def _timed(session: Session, request: dict[str, Any]) -> tuple[float, str | None]:
    expect = request.get("expect") or [200]
    start = time.perf_counter()
    try:
        if request.get("method", "GET") == "POST":
            resp = session.post(request["path"], request.get("form") or {})
        else:
            resp = session.get(request["path"])
        error = None if resp.status in expect else str(resp.status)
    except (OSError, http.client.HTTPException) as exc:
        error = type(exc).__name__
    return (time.perf_counter() - start) * 1000, error


def run_scenario(
    base: str,
    scenario: dict[str, Any],
    *,
    seconds: float,
    think_ms: float = 0,
    min_rounds: int = 0,
) -> dict[str, Any]:
    """Every session in its own thread for ``seconds`` after all have logged in; with
    ``min_rounds`` each session also finishes that many whole rounds first, however long
    they take (a test on a loaded machine still sees every kind of request)."""
    tally = Tally()
    sessions: list[dict[str, Any]] = scenario["sessions"]
    ready = threading.Barrier(len(sessions) + 1)
    stop = threading.Event()
    failures: list[str] = []
    sent: Counter[str] = Counter()

    def staff(spec: dict[str, Any]) -> None:
        browser = Session.to(base, forwarded_https=bool(scenario.get("forwarded_https")))
        try:
            start = time.perf_counter()
            try:
                browser.login(
                    spec["username"],
                    spec.get("password") or scenario["password"],
                    totp_key=spec.get("totp_key", ""),
                )
                tally.add("login", (time.perf_counter() - start) * 1000, None)
            except (SystemExit, OSError, http.client.HTTPException) as exc:
                tally.add("login", (time.perf_counter() - start) * 1000, "refused")
                failures.append(str(exc))
                return
            finally:
                ready.wait()
            requests = list(spec["requests"])
            first_round = True
            rounds = 0
            while requests and (rounds < min_rounds or not stop.is_set()):
                for request in requests:
                    if stop.is_set() and rounds >= min_rounds:
                        break
                    ms, error = _timed(browser, request)
                    tally.add(request["kind"], ms, error)
                    with tally.lock:
                        sent[request["kind"]] += 1
                    if think_ms:
                        time.sleep(think_ms / 1000)
                rounds += 1
                if first_round:
                    requests = [r for r in requests if not r.get("once")]
                    first_round = False
        finally:
            browser.close()

    threads = [threading.Thread(target=staff, args=(s,), daemon=True) for s in sessions]
    for t in threads:
        t.start()
    ready.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        # a session owing rounds sends its remaining requests, each bounded by TIMEOUT
        t.join(timeout=None if min_rounds else TIMEOUT + 10)
    wall = time.perf_counter() - started
    kinds = sorted(k for k in tally.latencies if k != "login")
    total = sum(len(tally.latencies[k]) for k in kinds)
    errors = sum(n for (k, _), n in tally.errors.items() if k != "login")
    return {
        "sessions": len(sessions),
        "seconds": round(wall, 1),
        "requests": total,
        "errors": errors,
        "login_failures": len(failures),
        "rps": round(total / wall, 1) if wall else 0,
        "all": percentiles(sorted(ms for k in kinds for ms in tally.latencies[k])),
        "kinds": tally.summary(["login", *kinds]),
        "error_kinds": {f"{k} {e}": n for (k, e), n in sorted(tally.errors.items())},
    }


def run_paths(
    base: str,
    paths: list[str],
    *,
    username: str,
    password: str,
    concurrency: int,
    requests: int,
    max_seconds: float,
) -> dict[str, Any]:
    """One account, ``concurrency`` threads sharing its session, until a budget is spent."""
    first = Session.to(base, timeout=30)
    first.login(username, password)
    cookies = dict(first.cookies)
    first.close()
    tally = Tally()
    counter = iter(range(requests))
    deadline = time.monotonic() + max_seconds

    def client(offset: int) -> None:
        browser = Session.to(base, timeout=30)
        browser.cookies = dict(cookies)
        i = offset
        while time.monotonic() < deadline:
            with tally.lock:
                if next(counter, None) is None:
                    break
            line = paths[i % len(paths)]
            i += concurrency
            if line.startswith("POST "):
                _, target, form = line.split(" ", 2)
                request = {"method": "POST", "path": target, "form": form}
            else:
                request = {"method": "GET", "path": line}
            ms, error = _timed(browser, request)
            tally.add("all", ms, error)
        browser.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies = sorted(tally.latencies.get("all", []))
    shown = percentiles(latencies)
    return {
        "requests": len(latencies),
        "errors": sum(tally.errors.values()),
        "seconds": round(wall, 2),
        "rps": round(len(latencies) / wall, 1) if wall else 0,
        "p50_ms": shown["p50_ms"],
        "p95_ms": shown["p95_ms"],
        "p99_ms": shown["p99_ms"],
        "mean_ms": shown["mean_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--scenario", type=Path, help="sessions and their requests (JSON)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think-ms", type=float, default=0.0)
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--paths", type=Path, help="one path per line")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    args = parser.parse_args()
    if args.scenario:
        scenario = json.loads(args.scenario.read_text(encoding="utf-8"))
        result = run_scenario(args.base, scenario, seconds=args.seconds, think_ms=args.think_ms)
    else:
        if not (args.username and args.password and args.paths):
            parser.error("--paths needs --username and --password")
        paths = [p for p in args.paths.read_text().splitlines() if p.strip()]
        result = run_paths(
            args.base,
            paths,
            username=args.username,
            password=args.password,
            concurrency=args.concurrency,
            requests=args.requests,
            max_seconds=args.max_seconds,
        )
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
