"""Optional TLS and rate limiting, switched on and off again on the converged host: a given
certificate or a self-signed one, TLS 1.2 and 1.3 only, plain HTTP redirected, HSTS on HTTPS answers
only, 429 over the rate, and a certificate nginx rejects leaves the previous one serving. Ends with
both off, serving the sample app on port 81 as before."""

import re
import time

import pytest
from conftest import run_playbook
from pyweb_testing import HELLO, make_certificate, served_certificate, wait_served

NAME = "tls.example.test"
KEY_DIR = "/etc/nginx/tls"


def https(host, options="", name=NAME, path="/"):
    """curl's view of https://<name><path> on this host's port 443 (the certificate is not judged)."""
    return host.run(f"curl -sSk --max-time 5 {options} --resolve {name}:443:127.0.0.1 https://{name}{path}")


def headers(host, command):
    out = host.check_output(command + " -o /dev/null -D -")
    return {k.lower(): v.strip() for k, v in re.findall(r"^([A-Za-z-]+): (.*?)\r?$", out, re.M)}


def subject(host, name=NAME):
    return served_certificate(host, name, "-subject")


def served_for_days(host, name, days):
    """Whether the certificate nginx serves for name is still valid in that many days."""
    return served_certificate(host, name, f"-checkend {days * 86400}", check=False).rc == 0


@pytest.fixture(scope="module")
def given(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    cert, key = make_certificate(directory, NAME)
    other, dummy = make_certificate(directory, "other.example.test")
    return {"nginx_tls": True, "nginx_tls_certificate": cert, "nginx_tls_certificate_key": key,
            "nginx_server_name": NAME, "nginx_rate_limit": "1r/s", "nginx_rate_limit_burst": 5,
            "nginx_hsts_include_subdomains": True, "nginx_hsts_preload": True,
            "other_cert": other}


@pytest.fixture(scope="module")
def with_given_certificate(host, given):
    extra = {k: v for k, v in given.items() if k != "other_cert"}
    rc, out = run_playbook("site.yml", extra)
    assert rc == 0, out[-3000:]
    yield extra
    # Back to plain HTTP without limits; the files of the certificate go with TLS.
    rc, out = run_playbook("site.yml")
    assert rc == 0, out[-3000:]
    assert host.check_output("curl -sS --max-time 5 http://127.0.0.1:81/") == HELLO
    assert host.run("curl -sSk --max-time 5 https://127.0.0.1/").rc == 7
    assert "strict-transport-security" not in headers(host, "curl -sS http://127.0.0.1:81/")
    assert host.check_output(f"ls -A {KEY_DIR}") == ""


def test_https_serves_the_app_with_hsts_and_the_security_headers(host, with_given_certificate):
    assert https(host).stdout == HELLO
    got = headers(host, f"curl -sSk --resolve {NAME}:443:127.0.0.1 https://{NAME}/")
    assert got["strict-transport-security"] == "max-age=63072000; includeSubDomains; preload"
    assert got["x-content-type-options"] == "nosniff"
    assert got["x-frame-options"] == "SAMEORIGIN"
    assert subject(host).replace(" ", "") == f"subject=CN={NAME}"


def test_only_tls_1_2_and_1_3_are_spoken(host, with_given_certificate):
    assert https(host, "--tlsv1.3").stdout == HELLO
    assert https(host, "--tlsv1.2 --tls-max 1.2").stdout == HELLO
    # The client offers TLS 1.1 (SECLEVEL=0 lets OpenSSL 3 do it) and the refusal is nginx's alert,
    # not the client's own "no protocols available".
    old = https(host, "--tlsv1.1 --tls-max 1.1 --ciphers DEFAULT@SECLEVEL=0")
    assert old.rc == 35 and "alert protocol version" in old.stderr, old.stderr
    # A TLS 1.2 client is offered ECDHE with AES-GCM or ChaCha20 only.
    cipher = host.check_output(
        f"echo | openssl s_client -tls1_2 -connect 127.0.0.1:443 -servername {NAME} 2>/dev/null"
        " | sed -n 's/^ *Cipher *: *//p'")
    assert re.fullmatch(r"ECDHE-(RSA|ECDSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)", cipher)


def test_plain_http_is_redirected_with_path_and_query(host, with_given_certificate):
    got = headers(host, f"curl -sS -H 'Host: {NAME}' 'http://127.0.0.1:81/a/b?c=1'")
    assert got["location"] == f"https://{NAME}/a/b?c=1"
    assert "strict-transport-security" not in got
    assert got["x-content-type-options"] == "nosniff"
    status = host.check_output(f"curl -sS -o /dev/null -w '%{{http_code}}' -H 'Host: {NAME}' http://127.0.0.1:81/")
    # 308 keeps the method: a form posted over plain HTTP is posted again over HTTPS.
    assert status == "308"


def test_unknown_host_names_get_no_answer_over_https(host, with_given_certificate):
    dropped = https(host, name="other.example.test")
    assert dropped.stdout == ""
    if reject_handshake_expected(host):
        # The handshake itself is refused, no certificate shown: curl says 35.
        assert dropped.rc == 35, dropped.stderr
    else:
        # curl says "empty reply" (52), or with OpenSSL 3.5 "unexpected eof" (56): no answer either way.
        assert dropped.rc in (52, 56), dropped.stderr


def reject_handshake_expected(host):
    """Whether the release's vars file (roles/nginx/vars/os) says its nginx refuses the handshake;
    checked against the nginx version itself, which has ssl_reject_handshake from 1.19.4 on."""
    version = tuple(int(part) for part in
                    re.search(r"nginx/([0-9.]+)", host.run("nginx -v").stderr).group(1).split("."))
    in_config = host.file("/etc/nginx/conf.d/pyweb-unknown-hosts-443.conf").contains("ssl_reject_handshake on")
    assert in_config == (version >= (1, 19, 4)), version
    return in_config


def test_the_key_is_root_only(host, with_given_certificate):
    key = host.file(f"{KEY_DIR}/flask_hello.key")
    assert (key.user, key.group, key.mode) == ("root", "root", 0o600)
    assert host.file(KEY_DIR).mode == 0o700
    assert "PRIVATE KEY" in key.content_string


def test_a_key_on_the_host_that_any_user_may_read_is_refused(host, with_given_certificate):
    host.check_output("install -d -m 0755 /srv/tls && cp %s/flask_hello.crt %s/flask_hello.key /srv/tls/",
                      KEY_DIR, KEY_DIR)
    host.check_output("chmod 0644 /srv/tls/flask_hello.key")
    site = host.file("/etc/nginx/sites-available/flask_hello").content_string
    on_host = dict(with_given_certificate, nginx_tls_certificate_on_host=True,
                   nginx_tls_certificate="/srv/tls/flask_hello.crt", nginx_tls_certificate_key="/srv/tls/flask_hello.key")
    rc, out = run_playbook("site.yml", on_host)
    host.check_output("rm -r /srv/tls")
    assert rc != 0
    assert ("nginx_tls_certificate_key /srv/tls/flask_hello.key may be read by any user of the host (nobody could)"
            in out), out[-3000:]
    # Refused before nginx was touched: the site is as it was, and serves.
    assert host.file("/etc/nginx/sites-available/flask_hello").content_string == site
    assert https(host).stdout == HELLO


def test_over_the_rate_a_client_gets_429(host, with_given_certificate):
    # The 20 requests go out from one shell loop inside the host, well within a second: one
    # `docker exec` per request can take long enough on a busy machine for the rate to refill.
    request = f"curl -sSk -o /dev/null -D - --resolve {NAME}:443:127.0.0.1 https://{NAME}/"
    answers = host.check_output(f"for i in $(seq 20); do {request}; echo '#END'; done").split("#END")[:-1]
    answers = [answer.strip() for answer in answers]
    assert len(answers) == 20, answers
    codes = [answer.split()[1] for answer in answers]
    assert codes[0] == "200"
    assert codes.count("429") >= 10, codes
    assert set(codes) <= {"200", "429"}, codes
    # Refused answers carry the security headers too.
    refused = next(answer for answer in answers if answer.split()[1] == "429")
    # HTTP/2 sends header names in lower case.
    assert "x-content-type-options: nosniff" in refused.lower()
    assert "content-security-policy: frame-ancestors 'self'" in refused.lower()


def test_a_certificate_nginx_rejects_leaves_the_previous_one_serving(host, given, with_given_certificate):
    # The other certificate does not match the key: nginx -t refuses the pair.
    rc, out = run_playbook("site.yml", dict(with_given_certificate, nginx_tls_certificate=given["other_cert"]))
    assert rc != 0
    assert "key values mismatch" in out, out[-3000:]
    assert subject(host).replace(" ", "") == f"subject=CN={NAME}"
    # What is on disk is the previous config too, so a reload (or a reboot) keeps serving it.
    assert host.file("/etc/nginx/sites-enabled/flask_hello").exists
    assert host.run("nginx -t").rc == 0
    host.run("systemctl reload nginx")
    # The reload returns before the new workers take over: ask again for up to 10 s.
    for dummy in range(20):
        answer = https(host)
        if answer.stdout == HELLO:
            break
        time.sleep(0.5)
    assert answer.stdout == HELLO, answer.stderr
    assert host.run(f"ls {KEY_DIR}/*~").rc != 0


def test_a_self_signed_certificate_made_again_before_it_expires_and_both_ports_serving(
        host, with_given_certificate):
    name = "self.example.test"
    self_signed = {"nginx_tls": True, "nginx_tls_self_signed": True, "nginx_tls_redirect": False,
                   "nginx_server_name": name}
    # The nginx role alone makes and renews the certificate (docs/own-playbooks.md: --tags nginx).
    rc, out = run_playbook("site.yml", self_signed, "--tags", "nginx")
    assert rc == 0, out[-3000:]
    assert subject(host, name).replace(" ", "") == f"subject=CN={name}"
    assert https(host, name=name).stdout == HELLO
    plain = headers(host, f"curl -sS -H 'Host: {name}' http://127.0.0.1:81/")
    assert "strict-transport-security" not in plain
    assert headers(host, f"curl -sSk --resolve {name}:443:127.0.0.1 https://{name}/")[
        "strict-transport-security"] == "max-age=63072000"
    # No browser takes a certificate valid for more than 398 days.
    assert served_for_days(host, name, 396) and not served_for_days(host, name, 398)
    assert host.check_output(f"curl -sS -H 'Host: {name}' http://127.0.0.1:81/") == HELLO
    # The given certificate was replaced, so its files are gone.
    # (Where nginx cannot refuse a handshake, the server for unknown names has files of its own.)
    assert sorted(name for name in host.check_output(f"ls {KEY_DIR}").split()
                  if not name.startswith("pyweb-unknown-hosts.")) == [
        "flask_hello-self-signed.crt", "flask_hello-self-signed.key"]

    # One about to expire is made again on the next run.
    host.check_output(f"openssl req -x509 -newkey rsa:2048 -nodes -days 10 -subj /CN={name}"
                      f" -keyout {KEY_DIR}/flask_hello-self-signed.key -out {KEY_DIR}/flask_hello-self-signed.crt"
                      " 2>/dev/null && systemctl reload nginx")
    wait_served(host, name, f"{KEY_DIR}/flask_hello-self-signed.crt")
    assert not served_for_days(host, name, 30)
    rc, out = run_playbook("site.yml", self_signed, "--tags", "nginx")
    assert rc == 0, out[-3000:]
    wait_served(host, name, f"{KEY_DIR}/flask_hello-self-signed.crt")
    assert served_for_days(host, name, 396)
    assert host.file(f"{KEY_DIR}/flask_hello-self-signed.key").mode == 0o600
