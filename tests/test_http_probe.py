"""The health probe module (plugins/modules/http_probe.py) against servers started in the test:
plain HTTP, a Unix socket, and HTTPS that answers only the name it serves."""

import os
import socket
import socketserver
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from project import ROOT, load

http_probe = load("plugins/modules/http_probe.py")


class Handler(BaseHTTPRequestHandler):
    """Answers /health with 200, / with a redirect to a login page, /slow after the server's delay,
    anything else with 503 and an eight-line error page; keeps the Host header it was sent."""

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        self.server.seen.append((self.path, self.headers.get("Host")))
        self.server.agents.append(self.headers.get("User-Agent"))
        if self.path == "/slow":
            threading.Event().wait(1)
        if self.path == "/":
            # As an app that sends anonymous visitors to its login page.
            self.send_response(302)
            self.send_header("Location", "/login?next=%2F")
            body = b""
        elif self.path.startswith("/health"):
            self.send_response(200)
            body = b"ok"
        else:
            self.send_response(503)
            body = b"\n".join(b"line %d of the error page" % n for n in range(1, 9))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        request, dummy = super().get_request()
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


def status(url, **kwargs):
    return http_probe.probe(url, **kwargs)["status"]


def test_the_status_the_app_answered_with(plain):
    port = plain.server_address[1]
    answer = http_probe.probe(f"http://127.0.0.1:{port}/health?deep=1", headers={"Host": "shop.example.com"})
    assert answer == {"status": 200, "reason": "OK", "body": "ok", "error": "", "timed_out": False}
    assert status(f"http://127.0.0.1:{port}/down") == 503
    assert plain.seen == [("/health?deep=1", "shop.example.com"), ("/down", f"127.0.0.1:{port}")]
    # Named in access logs.
    assert plain.agents == ["pyweb.deploy health check"] * 2


def test_a_redirect_is_not_followed_and_counts_as_alive(plain):
    url = f"http://127.0.0.1:{plain.server_address[1]}/"
    answer = http_probe.probe(url, headers={"Host": "board.example.test"})
    assert answer["status"] == 302
    # The login page was not asked for.
    assert plain.seen == [("/", "board.example.test")]
    alive, message = http_probe.describe(url, None, {"Host": "board.example.test"}, 10, answer, ["200-399"])
    assert alive and message == f"GET {url} (Host: board.example.test) answered 302 Found"


def test_statuses_outside_the_accepted_ones_are_not_alive_and_the_message_shows_the_body(plain):
    url = f"http://127.0.0.1:{plain.server_address[1]}/down"
    answer = http_probe.probe(url)
    alive, message = http_probe.describe(url, None, {}, 10, answer, ["200-399"])
    assert not alive
    # The first five lines of the page, no more.
    assert message == (f"GET {url} answered 503 Service Unavailable, not one of 200-399; the body began:\n"
                       + "\n".join(f"line {n} of the error page" for n in range(1, 6)))
    redirect = http_probe.probe(url[:-len("down")])
    assert not http_probe.describe(url, None, {}, 10, redirect, ["200-299", "204"])[0]
    assert http_probe.describe(url, None, {}, 10, answer, ["200", "503"])[0]


@pytest.mark.parametrize("entries", [["2xx"], ["99"], ["600"], ["399-200"], [], ["200-"]])
def test_status_codes_that_are_not_statuses_are_refused(entries):
    with pytest.raises(ValueError, match="status_codes must"):
        http_probe.parse_status_codes(entries)


def test_status_codes_name_statuses_and_ranges():
    assert http_probe.parse_status_codes(["200-399", "418", " 500 - 503 "]) == [(200, 399), (418, 418), (500, 503)]


def test_no_answer_is_status_0_with_the_reason():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    url = f"http://127.0.0.1:{port}/health"
    answer = http_probe.probe(url)
    assert (answer["status"], answer["timed_out"]) == (0, False)
    assert "ConnectionRefusedError" in answer["error"]
    alive, message = http_probe.describe(url, None, {}, 10, answer, ["200-399"])
    assert not alive and message.startswith(f"GET {url} got no answer (ConnectionRefusedError"), message


def test_a_server_too_slow_to_answer_timed_out(plain):
    url = f"http://127.0.0.1:{plain.server_address[1]}/slow"
    answer = http_probe.probe(url, timeout=0.3)
    assert (answer["status"], answer["timed_out"]) == (0, True), answer
    assert http_probe.describe(url, None, {}, 0.3, answer, ["200-399"]) == (False, f"GET {url} got no answer within 0.3 s")


def test_a_unix_socket_is_asked_for_the_url_path(tmp_path):
    path = str(tmp_path / "gunicorn.sock")
    server = serve(UnixHTTPServer(path, Handler))
    try:
        answer = http_probe.probe("http://localhost/health", unix_socket=path, headers={"Host": "a.test"})
        assert answer["status"] == 200
        assert server.seen == [("/health", "a.test")]
        assert http_probe.describe("http://localhost/health", path, {"Host": "a.test"}, 10, answer, ["200-399"]) == (
            True, f"GET http://localhost/health on {path} (Host: a.test) answered 200 OK")
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
    assert status(url, headers={"Host": "shop.example.com"}) == 200
    assert status(url, headers={"Host": "x.test"}, server_name="shop.example.com") == 200
    answer = http_probe.probe(url, headers={"Host": "other.example.com"})
    assert answer["status"] == 0 and "SSL" in answer["error"], answer
    assert names == ["shop.example.com", "shop.example.com", "other.example.com"]


def test_a_url_that_is_not_http_is_refused():
    with pytest.raises(ValueError, match="must start with http"):
        http_probe.probe("ftp://example.com/")


class SecretPage(BaseHTTPRequestHandler):
    """A 500 whose page prints a secret, as an app's debug page may."""

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        body = b"Traceback: could not log in with token s3cret-token-9a7c"
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_module_fails_with_what_came_back_and_hides_the_secrets(tmp_path):
    import json
    import sys

    server = serve(HTTPServer(("127.0.0.1", 0), SecretPage))
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        args = {"ANSIBLE_MODULE_ARGS": {"url": url, "hide": ["s3cret-token-9a7c"]}}
        (tmp_path / "args.json").write_text(json.dumps(args))
        # The module imports the collection's module_utils, as Ansible packs them with it.
        env = dict(os.environ, PYTHONPATH=str(ROOT / "playbooks" / "collections"))
        run = subprocess.run([sys.executable, http_probe.__file__, str(tmp_path / "args.json")],
                             capture_output=True, text=True, timeout=60, env=env, check=False)
    finally:
        server.shutdown()
    result = json.loads(run.stdout)
    assert result["failed"] is True and result["alive"] is False and result["status"] == 500
    assert result["msg"] == (f"GET {url} answered 500 Internal Server Error, not one of 200-399; the body began:\n"
                             "Traceback: could not log in with token ********"), result
    assert "s3cret-token-9a7c" not in run.stdout + run.stderr
