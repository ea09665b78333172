"""The health probe module (plugins/modules/http_probe.py) against servers started in the test:
plain HTTP, a Unix socket, and HTTPS that answers only the name it serves."""

import socket
import socketserver
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from project import load

http_probe = load("plugins/modules/http_probe.py")


class Handler(BaseHTTPRequestHandler):
    """Answers /health with 200, /slow after the server's delay, anything else with 503; keeps the
    Host header it was sent."""

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        self.server.seen.append((self.path, self.headers.get("Host")))
        self.server.agents.append(self.headers.get("User-Agent"))
        if self.path == "/slow":
            threading.Event().wait(1)
        self.send_response(200 if self.path.startswith("/health") else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        request, _ = super().get_request()
        return request, ("local", 0)


def serve(server):
    server.seen, server.agents = [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def plain():
    server = serve(HTTPServer(("127.0.0.1", 0), Handler))
    yield server
    server.shutdown()


def test_the_status_the_app_answered_with(plain):
    port = plain.server_address[1]
    assert http_probe.probe(f"http://127.0.0.1:{port}/health?deep=1", headers={"Host": "shop.example.com"}) == (
        200, "", False)
    assert http_probe.probe(f"http://127.0.0.1:{port}/") == (503, "", False)
    assert plain.seen == [("/health?deep=1", "shop.example.com"), ("/", f"127.0.0.1:{port}")]
    # Named in access logs.
    assert plain.agents == ["pyweb.deploy health check"] * 2


def test_no_answer_is_status_0_with_the_reason():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    status, error, timed_out = http_probe.probe(f"http://127.0.0.1:{port}/health")
    assert (status, timed_out) == (0, False)
    assert "ConnectionRefusedError" in error


def test_a_server_too_slow_to_answer_timed_out(plain):
    status, error, timed_out = http_probe.probe(f"http://127.0.0.1:{plain.server_address[1]}/slow", timeout=0.3)
    assert (status, timed_out) == (0, True), error


def test_a_unix_socket_is_asked_for_the_url_path(tmp_path):
    path = str(tmp_path / "gunicorn.sock")
    server = serve(UnixHTTPServer(path, Handler))
    try:
        assert http_probe.probe("http://localhost/health", unix_socket=path, headers={"Host": "a.test"})[0] == 200
        assert server.seen == [("/health", "a.test")]
    finally:
        server.shutdown()


@pytest.fixture
def named_tls(tmp_path):
    """An HTTPS server that refuses the handshake for every name but shop.example.com, as nginx's
    unknown-hosts server does with ssl_reject_handshake."""
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=shop.example.com", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names = []

    def only_the_site(sslsocket, name, _context):
        names.append(name)
        if name != "shop.example.com":
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        return None

    context.sni_callback = only_the_site
    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    serve(server)
    yield server, names
    server.shutdown()


def test_https_sends_the_site_name_in_the_handshake(named_tls):
    server, names = named_tls
    url = f"https://127.0.0.1:{server.server_address[1]}/health"
    # The name comes from the Host header unless one is given for the handshake.
    assert http_probe.probe(url, headers={"Host": "shop.example.com"})[0] == 200
    assert http_probe.probe(url, headers={"Host": "x.test"}, server_name="shop.example.com")[0] == 200
    status, error, _ = http_probe.probe(url, headers={"Host": "other.example.com"})
    assert status == 0 and "SSL" in error, error
    assert names == ["shop.example.com", "shop.example.com", "other.example.com"]


def test_a_url_that_is_not_http_is_refused():
    with pytest.raises(ValueError, match="must start with http"):
        http_probe.probe("ftp://example.com/")
