"""The production configuration, running: gunicorn and ``dpf worker`` on loopback with the
production settings (DPF_PRODUCTION=1, DEBUG off, DPF_HTTPS=1) behind a stand-in for the
proxy that sets X-Forwarded-Proto, static files from WhiteNoise. A county officer logs in
(password and TOTP), searches, opens a person, starts a roster validation and sees the
worker finish it; /health/ answers 200 with the worker alive."""

from __future__ import annotations

import http.client
import http.server
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from dpf.bench.suite import PRODUCTION, gunicorn_command
from dpf.exchange import services
from dpf.exchange.models import BatchStatus
from tests.exchange.test_background import roster, upload
from tests.factories import make_person, make_user
from tests.jobs.workers import Worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "Correct-Horse-Battery-9"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _proxy(upstream: int) -> tuple[http.server.ThreadingHTTPServer, int]:
    """The reverse proxy's stand-in: passes every request on and sets the header nginx sets
    (deploy/nginx-dpf.conf), overwriting any the client sent."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _pass(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() != "x-forwarded-proto"}
            headers["X-Forwarded-Proto"] = "https"
            conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = do_HEAD = _pass

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


class Browser:
    """Requests through the proxy with cookies kept by hand (they are Secure, so a cookie
    jar would not send them over the test's plain loopback link)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Any:
        headers = {"Host": f"127.0.0.1:{self.port}", "Origin": f"https://127.0.0.1:{self.port}"}
        headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        answer.text = answer.read().decode("utf-8", "replace")  # type: ignore[attr-defined]
        for name, value in answer.getheaders():
            if name.lower() == "set-cookie":
                assert "Secure" in value, value  # HTTPS as seen through the proxy
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        conn.close()
        return answer


def _wait_up(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "gunicorn never listened"
            time.sleep(0.2)


@pytest.fixture
def stack(tmp_path, settings) -> tuple[Any, int]:
    from tests.faults.support import Outside

    outside = Outside(tmp_path)
    settings.MEDIA_ROOT = outside.data_dir / "uploads"
    settings.DPF_IMPORT_WORKER = "manual"
    # The server checks the password with the installation's hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    return outside, 0


def test_gunicorn_and_the_worker_with_the_production_settings(stack) -> None:
    outside, _ = stack
    officer = make_user("county_officer", "150402")
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    person = make_person(actor=officer, name="生产测试")
    batch = services.batch_validate_now(upload(officer, roster(officer)))
    assert batch.status == BatchStatus.PREVIEWED

    env = outside.env(**PRODUCTION)
    collected = subprocess.run(
        [sys.executable, "-m", "dpf.cli", "collectstatic", "--no-input", "-v0"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stderr[-3000:]
    outside.push()

    port = _free_port()
    log = outside.folder / "gunicorn.log"
    with log.open("w") as out:
        web = subprocess.Popen(
            gunicorn_command(port, workers=2),
            env=env,
            cwd=settings.BASE_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(outside, env=PRODUCTION)
    proxy, proxy_port = _proxy(port)
    try:
        _wait_up(port, web, log)
        browser = Browser(proxy_port)

        # Without the proxy's header the server sends the client to HTTPS.
        direct = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        direct.request("GET", "/accounts/login/", headers={"Host": "127.0.0.1"})
        assert direct.getresponse().status == 301
        direct.close()

        login = browser.request("GET", reverse("accounts:login"))
        assert login.status == 200
        assert "csrftoken" in browser.cookies
        css = re.search(r'href="(/static/[^"]+\.css)"', login.text)
        assert css is not None
        static = browser.request("GET", css.group(1))
        assert static.status == 200
        assert static.getheader("Content-Type", "").startswith("text/css")

        answer = browser.request(
            "POST", reverse("accounts:login"), {"username": officer.username, "password": PASSWORD}
        )
        assert answer.status == 302, answer.text[-2000:]
        if reverse("accounts:otp_verify") in answer.getheader("Location", ""):
            browser.request("GET", reverse("accounts:otp_verify"))
            code = f"{TOTP(device.bin_key).token():06d}"
            answer = browser.request("POST", reverse("accounts:otp_verify"), {"code": code})
            assert answer.status == 302, answer.text[-2000:]

        found = browser.request(
            "GET", reverse("registry:search") + "?" + urlencode({"q": "生产测试"})
        )
        assert found.status == 200
        assert "生产测试" in found.text
        page = browser.request("GET", reverse("registry:person", args=[person.pk]))
        assert page.status == 200
        assert "生产测试" in page.text

        started = browser.request("POST", reverse("exchange:revalidate", args=[batch.pk]), {})
        assert started.status == 302, started.text[-2000:]
        deadline = time.monotonic() + 120
        while True:
            progress = browser.request("GET", reverse("exchange:progress", args=[batch.pk]))
            if '"status": "previewed"' in progress.text:
                break
            assert time.monotonic() < deadline, progress.text
            assert worker.process.poll() is None, worker.output()
            time.sleep(0.3)

        health = browser.request("GET", "/health/")
        assert health.status == 200, health.text
        assert '"worker": "ok"' in health.text
        assert browser.request("GET", "/ready/").status == 200
    finally:
        proxy.shutdown()
        worker.stop()
        web.terminate()
        web.wait(timeout=30)
    outside.settle()
    outside.pull()
