"""docker-compose.yml's nginx (`proxy`, deploy/nginx.conf.template) run for real, in front of a
stand-in for the web service that answers with the headers it was sent.

The attack this reproduces: a client connecting to the proxy directly sends its own
X-Forwarded-For (and X-Forwarded-Proto), and the web service, trusting one proxy, takes the
forged address as the client's (login throttling and the audit log key on it).
Needs an `nginx` binary; skipped where there is none."""
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "deploy" / "nginx.conf.template"
NGINX = shutil.which("nginx")
pytestmark = pytest.mark.skipif(NGINX is None, reason="no nginx binary")
BODY_LIMIT = 1000


class EchoHeaders(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({name.lower(): value for name, value in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


def compose_defaults() -> dict[str, str]:
    """The proxy's environment in docker-compose.yml with each `${NAME:-default}` at its default."""
    environment = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]["proxy"]["environment"]
    return {name: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value)) for name, value in environment.items()}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def web():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHeaders)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture
def proxy(tmp_path, web):
    """Start nginx with the template as nginx's image fills it in; returns its URL."""

    def start(tls_proxy_address: str) -> str:
        port = free_port()
        # The compose file's values for the proxy, every body limit made small, and the TLS
        # proxy's address the test's.
        values = {name: (str(BODY_LIMIT) if name.endswith("_BYTES") else value)
                  for name, value in compose_defaults().items()} | {"INDUS_TLS_PROXY_ADDRESS": tls_proxy_address}
        site = re.sub(r"\$\{(\w+)\}", lambda match: values[match[1]], TEMPLATE.read_text())
        site = site.replace("listen 8000;", f"listen 127.0.0.1:{port};")
        site = site.replace("proxy_pass http://web:8000;", f"proxy_pass http://127.0.0.1:{web};")
        (tmp_path / "site.conf").write_text(site)
        temp_paths = " ".join(f"{kind}_temp_path {tmp_path / kind};" for kind in
                              ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (tmp_path / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"daemon off; pid {tmp_path / 'nginx.pid'}; error_log {tmp_path / 'error.log'};\n"
            f"events {{}}\nhttp {{ access_log off; {temp_paths} include {tmp_path / 'site.conf'}; }}\n"
        )
        process = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            if process.poll() is not None:
                pytest.fail(f"nginx did not start: {process.stdout.read()}")
            try:
                requests.get(url, timeout=1)
                return url
            except requests.ConnectionError:
                time.sleep(0.05)
        pytest.fail("nginx did not answer")

    started = []
    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


FORGED = {"X-Forwarded-For": "203.0.113.66", "X-Forwarded-Proto": "https"}


def test_a_client_connecting_directly_cannot_claim_an_address_or_https(proxy):
    url = proxy("192.0.2.10")  # the TLS proxy is elsewhere: this connection is a client's own
    seen = requests.get(url, headers=FORGED, timeout=10).json()
    assert (seen["x-forwarded-for"], seen["x-forwarded-proto"]) == ("127.0.0.1", "http")


def test_from_the_tls_proxy_the_address_it_added_is_passed_on_alone(proxy):
    url = proxy("127.0.0.1")  # this connection is the TLS proxy's
    # The client wrote the first entry; the TLS proxy appended the address it saw.
    sent = {"X-Forwarded-For": "203.0.113.66, 198.51.100.7", "X-Forwarded-Proto": "https"}
    seen = requests.get(url, headers=sent, timeout=10).json()
    assert (seen["x-forwarded-for"], seen["x-forwarded-proto"]) == ("198.51.100.7", "https")


@pytest.mark.parametrize("path", ["/api/v1/projects/", "/api/v1/projects/credit/datasets/1/upload/"])
def test_a_body_over_the_limit_gets_the_apis_json_413(proxy, path):
    url = proxy("192.0.2.10")
    response = requests.post(url + path, data=b"x" * (BODY_LIMIT + 1), timeout=10)
    assert response.status_code == 413 and response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert (error["code"], error["details"], error["field"]) == ("too_large", {"limit_bytes": BODY_LIMIT}, None)
    assert f"at most {BODY_LIMIT} bytes" in error["message"]
