"""A bounded HTTP load generator for loopback benchmarks (no Django import).

Run as ``python -m dpf.bench.load --base http://127.0.0.1:PORT --username U --password P
--paths FILE --concurrency 8 --requests 800 --max-seconds 60``: logs in once (the staff
pages need a session), then each client thread sends the requests of the path file
round-robin until the request budget or the time budget is spent. A line is a path (GET)
or ``POST <path> <urlencoded form>`` (the CSRF token is added). Prints JSON with the
count, errors, requests/second and latency percentiles in milliseconds.

It only ever talks to the loopback address it is given.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path


def _login(host: str, port: int, username: str, password: str, login_path: str) -> tuple[str, str]:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", login_path)
    resp = conn.getresponse()
    body = resp.read().decode("utf-8", "replace")
    cookies = _cookies(resp.getheader("Set-Cookie", "") or "")
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    token = match.group(1) if match else ""
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    )
    conn.request(
        "POST",
        login_path,
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "Referer": f"http://{host}:{port}{login_path}",
        },
    )
    resp = conn.getresponse()
    resp.read()
    cookies.update(_cookies(resp.getheader("Set-Cookie", "") or ""))
    conn.close()
    if "sessionid" not in cookies:
        raise SystemExit(f"login failed for {username} (status {resp.status})")
    return "; ".join(f"{k}={v}" for k, v in cookies.items()), cookies.get("csrftoken", "")


def _cookies(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in re.split(r",(?=\s*\w+=)", header):
        first = part.split(";", 1)[0].strip()
        if "=" in first:
            key, value = first.split("=", 1)
            found[key] = value
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--login-path", default="/accounts/login/")
    parser.add_argument("--paths", type=Path, required=True, help="one path per line")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    args = parser.parse_args()
    url = urllib.parse.urlsplit(args.base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        raise SystemExit("refusing a non-loopback target")
    paths = [p for p in args.paths.read_text().splitlines() if p.strip()]
    cookie, csrf = _login(host, port, args.username, args.password, args.login_path)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(args.requests))
    deadline = time.monotonic() + args.max_seconds

    def client(offset: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(host, port, timeout=30)
        i = offset
        while time.monotonic() < deadline:
            with lock:
                if next(counter, None) is None:
                    break
            path = paths[i % len(paths)]
            i += args.concurrency
            start = time.perf_counter()
            try:
                if path.startswith("POST "):
                    _, target, form = path.split(" ", 2)
                    body = f"{form}&csrfmiddlewaretoken={csrf}"
                    headers = {
                        "Cookie": cookie,
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Referer": f"http://{host}:{port}{target}",
                    }
                    conn.request("POST", target, body=body, headers=headers)
                else:
                    conn.request("GET", path, headers={"Cookie": cookie})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return float("nan")
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))], 1)

    json.dump(
        {
            "requests": len(latencies),
            "errors": errors,
            "seconds": round(wall, 2),
            "rps": round(len(latencies) / wall, 1) if wall else 0,
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
