"""The load loop used across redeploys counts failures honestly (against servers on loopback)."""

import json
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

LOOP = Path(__file__).resolve().parent.parent / "molecule" / "shared" / "load_loop.py"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    served = 0
    mode = "ok"

    def do_GET(self):
        type(self).served += 1
        if self.mode == "close-idle" and self.served % 5 == 0:
            # The server gives up a kept-alive connection just as the client reuses it.
            self.close_connection = True
            return
        if self.mode == "stall" and self.served == 10:
            # One answer held back, as a server that stops answering for a moment.
            time.sleep(1.5)
        status = 500 if self.mode == "fail" else 200
        body = b"hello"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


def run_loop(server, tmp_path, mode, requests=60, *options):
    Handler.mode, Handler.served = mode, 0
    out = tmp_path / "out.json"
    subprocess.run(
        [sys.executable, str(LOOP), f"http://127.0.0.1:{server.server_port}/",
         f"--out={out}", f"--stop-file={tmp_path / 'stop'}", "--threads=2",
         f"--max-requests={requests}", "--max-seconds=20", *options],
        check=True, timeout=60,
    )
    return json.loads(out.read_text())


def test_all_answered(server, tmp_path):
    summary = run_loop(server, tmp_path, "ok")
    assert summary["requests"] == 60
    assert summary["ok"] == 60
    assert summary["failed"] == 0
    assert summary["stopped_by"] == "limit"


def test_error_answers_count_as_failed(server, tmp_path):
    summary = run_loop(server, tmp_path, "fail")
    assert summary["failed"] == 60
    assert summary["by_status"] == {"500": 60}


def test_a_closed_keepalive_connection_is_retried_once_and_counted(server, tmp_path):
    summary = run_loop(server, tmp_path, "close-idle")
    assert summary["failed"] == 0
    assert summary["retried_on_closed_keepalive"] > 0


def test_a_rate_spreads_the_requests_over_time(server, tmp_path):
    summary = run_loop(server, tmp_path, "ok", 30, "--rate=20")
    assert summary["ok"] == 30
    # 30 requests at 20 per second: the last one goes about 1.45 s after the first.
    assert 1.3 <= summary["seconds"] < 5, summary


def test_bodies_are_counted_when_asked(server, tmp_path):
    assert "bodies" not in run_loop(server, tmp_path, "ok", 10)
    assert run_loop(server, tmp_path, "ok", 10, "--bodies")["bodies"] == {"hello": 10}
    assert run_loop(server, tmp_path, "fail", 10, "--bodies")["bodies"] == {}


def test_the_longest_gap_between_answers_and_the_rate_are_measured(server, tmp_path):
    quick = run_loop(server, tmp_path, "ok", 30, "--rate=50")
    # Requests 20 ms apart: a gap of a second at most, well below the stall below, even with the
    # CPU taken by the scenarios that CI runs beside the unit tests (0.6 s seen there).
    assert quick["longest_gap"] < 1.0, quick
    assert quick["asked_rate"] == 50 and 10 <= quick["rate"] <= 55, quick
    # One thread, one answer held 1.5 s: the loop saw the site stall that long.
    stalled = run_loop(server, tmp_path, "stall", 30, "--threads=1")
    assert stalled["failed"] == 0 and 1.4 <= stalled["longest_gap"] < 3, stalled


def test_https_checks_the_server_and_counts_connections_by_certificate(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        Handler.mode = "close-idle"
        out = tmp_path / "out.json"
        base = [sys.executable, str(LOOP), f"https://localhost:{httpd.server_port}/", f"--out={out}",
                f"--stop-file={tmp_path / 'stop'}", "--threads=2", "--max-requests=20", "--max-seconds=20"]
        subprocess.run([*base, f"--cafile={cert}"], check=True, timeout=60)
        summary = json.loads(out.read_text())
        assert summary["ok"] == 20, summary
        # One certificate; a new connection after every fifth request of the server's, and one per thread.
        (seen,) = summary["connections_by_certificate"].values()
        assert seen >= 4, summary
        # A server the CA file does not vouch for gets no request through.
        subprocess.run(base, check=True, timeout=60)
        assert json.loads(out.read_text())["by_status"] == {"error: SSLCertVerificationError": 20}
    finally:
        httpd.shutdown()
