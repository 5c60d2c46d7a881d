"""The staff sessions of a load scenario, sent by locust (``dpf bench load --tool locust``).

Run only as locust's own process, never imported by Django code or a test (importing locust
monkey-patches the process with gevent); ``dpf.bench.locustrun`` starts it:

``python -m locust -f dpf/bench/locustfile.py --scenario FILE.json --final-csv PREFIX
--measure 60 --headless -u N -r N -t 400s --host http://127.0.0.1:PORT --only-summary``

As in ``dpf.bench.load``, the measured time starts once every session has logged in (each
log-in hashes a password, and 32 of them on 2 busy workers took 20 to 35 s): the users wait
for one another after their log-in, and ``--measure`` seconds later the run is stopped as
locust's ``-t`` would stop it (``-t`` is then only a cap).

``--final-csv`` writes locust's CSV tables (``PREFIX_stats.csv``, ``PREFIX_failures.csv``,
``PREFIX_exceptions.csv``, the columns of its ``--csv``) once every user has stopped: its
own ``--csv`` files are rewritten once a second while the run goes on and miss the last
second's requests.

The scenario is ``dpf.bench.load``'s (``dpf bench step staff``): locust's user number n
plays session n (so N is the number of sessions), logs in with its account (answering the
TOTP step when it has a ``totp_key``), then sends its requests in order, round after round,
each request marked ``once`` (an approval) in the first round only: the requests
``dpf.bench.load.run_scenario`` sends, sent by another HTTP client (``requests``). The
statistics are named by kind of request, never by path (paths and queries hold names); a
failure is the kind and the status (or the exception's class) only. The log-in, a few
HTTP requests, is one ``login`` entry, as in ``dpf.bench.load``.
"""

from __future__ import annotations

import csv
import itertools
import json
import time
import urllib.parse
from functools import cache
from typing import Any

import gevent  # type: ignore[import-untyped]
import gevent.event  # type: ignore[import-untyped]
import requests
from locust import HttpUser, constant, events, task
from locust.env import Environment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

from dpf.bench.load import LOGIN_PATH, TIMEOUT, totp

_players = itertools.count()
_logged_in = itertools.count(1)
_all_logged_in = gevent.event.Event()


class Refused(Exception):
    """A log-in that did not end in an authenticated session."""


@events.init_command_line_parser.add_listener
def _scenario_option(parser: Any) -> None:
    parser.add_argument("--scenario", default="", help="the load scenario (JSON)")
    parser.add_argument("--final-csv", default="", help="prefix of the CSV tables at the end")
    parser.add_argument("--measure", type=float, default=0, help="seconds after the log-ins")


@events.quitting.add_listener
def _final_csv(environment: Environment, **kwargs: Any) -> None:
    prefix = environment.parsed_options.final_csv if environment.parsed_options else ""
    if not prefix:
        return
    tables = StatsCSV(environment, PERCENTILES_TO_REPORT)
    for suffix, write in [
        ("stats", tables.requests_csv),
        ("failures", tables.failures_csv),
        ("exceptions", tables.exceptions_csv),
    ]:
        with open(f"{prefix}_{suffix}.csv", "w", newline="", encoding="utf-8") as fh:
            write(csv.writer(fh))


@cache
def _scenario(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        scenario: dict[str, Any] = json.load(fh)
    return scenario


class StaffSession(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        scenario = _scenario(self.environment.parsed_options.scenario)
        sessions = scenario["sessions"]
        player = next(_players)
        if player >= len(sessions):  # a session played twice would approve twice
            raise RuntimeError(f"user {player + 1} of a scenario of {len(sessions)} sessions")
        spec = sessions[player]
        self.forwarded_https = bool(scenario.get("forwarded_https"))
        self.cookies: dict[str, str] = {}
        self.requests_left: list[dict[str, Any]] = list(spec["requests"])
        self.position = 0
        self.first_round = True
        self.refused = False
        self._log_in(
            spec["username"], spec.get("password") or scenario["password"], spec.get("totp_key", "")
        )
        if next(_logged_in) == len(sessions):  # the last: the measured time starts
            seconds = self.environment.parsed_options.measure
            if seconds and self.environment.runner is not None:
                gevent.spawn_later(seconds, self.environment.runner.quit)
            _all_logged_in.set()
        _all_logged_in.wait()

    def _send(
        self, http: requests.Session, method: str, path: str, form: dict[str, str] | None, **kw: Any
    ) -> Any:
        """One request with this session's cookies kept by hand: the production settings'
        cookies are Secure, which a cookie jar would not send over the plain loopback link."""
        scheme = "https" if self.forwarded_https else "http"
        headers = {"Accept-Encoding": "identity"}  # as dpf.bench.load's http.client
        if self.forwarded_https:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            fields = {**(form or {}), "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            netloc = urllib.parse.urlsplit(str(self.host)).netloc
            headers["Referer"] = f"{scheme}://{netloc}{path}"
        http.cookies.clear()
        return http.request(
            method,
            f"{self.host}{path}",
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=TIMEOUT,
            **kw,
        )

    def _keep(self, response: Any) -> None:
        for cookie in response.cookies:
            self.cookies[cookie.name] = cookie.value or ""

    def _log_in(self, username: str, password: str, totp_key: str) -> None:
        """The log-in page, the password, the TOTP step when asked: one ``login`` entry."""
        http = requests.Session()
        start = time.perf_counter()
        error: Exception | None = None
        try:
            self._keep(self._send(http, "GET", LOGIN_PATH, None))  # the CSRF cookie
            done = self._send(
                http, "POST", LOGIN_PATH, {"username": username, "password": password}
            )
            self._keep(done)
            location = done.headers.get("Location", "")
            if "/otp/" in location and totp_key:
                target = urllib.parse.urlsplit(location).path
                self._keep(self._send(http, "GET", target, None))
                done = self._send(http, "POST", target, {"code": totp(totp_key, time.time())})
                self._keep(done)
            if "sessionid" not in self.cookies or done.status_code != 302:
                error = Refused(f"status {done.status_code}")
        except requests.RequestException as exc:
            error = Refused(f"status {type(exc).__name__}")
        finally:
            http.close()
        self.environment.events.request.fire(
            request_type="POST",
            name="login",
            response_time=(time.perf_counter() - start) * 1000,
            response_length=0,
            exception=error,
            context={},
        )
        self.refused = error is not None

    @task
    def next_request(self) -> None:
        if self.refused or not self.requests_left:
            # idle rather than stop: locust would start another user to keep the count
            time.sleep(0.5)  # gevent's, once locust has patched the process
            return
        request = self.requests_left[self.position]
        expect = request.get("expect") or [200]
        with self._send(
            self.client,
            request.get("method", "GET"),
            request["path"],
            request.get("form"),
            name=request["kind"],
            catch_response=True,
        ) as response:
            self._keep(response)
            if response.status_code in expect:
                response.success()
            elif response.status_code == 0:  # no answer: the exception's class, not its text
                response.failure(f"status {type(response.error).__name__}")
            else:
                response.failure(f"status {response.status_code}")
        self.position += 1
        if self.position == len(self.requests_left):
            self.position = 0
            if self.first_round:
                self.requests_left = [r for r in self.requests_left if not r.get("once")]
                self.first_round = False
