"""On Debian 11 and 13, besides the default scenario's test_default.py (shared): the app's
virtualenv is made with the release's own Python, and nginx there serves the site over TLS 1.2 and
1.3 only, with HSTS (test_tls.py covers TLS in full on Debian 12). The TLS run is conftest.py's:
Debian 11's certificate comes from the controller, Debian 13's from an ACME CA."""


import pytest
from conftest import ACME_NAMES, TLS_NAME
from pyweb_testing import HELLO

PYTHON = {"11": "3.9", "13": "3.13"}


@pytest.fixture()
def release(host):
    return host.system_info.release.split(".")[0]


@pytest.fixture()
def name(release):
    """The first name of the host's site in the TLS run."""
    return ACME_NAMES.split()[0] if release == "13" else TLS_NAME


def test_the_virtualenv_uses_the_release_python(host, release):
    version = host.check_output("/opt/flask_hello/current/venv/bin/python -c "
                                "'import sys; print(\"%d.%d\" % sys.version_info[:2])'")
    assert version == PYTHON[release]


# Debian 11's virtualenvs are built by pip (gunicorn_installer in molecule.yml), Debian 13's by uv,
# the default: both with pip in them, bytecode compiled, and what they hold consistent.
def test_the_virtualenv_is_built_by_the_installer_chosen(host, release):
    venv = host.file("/opt/flask_hello/current/venv").linked_to
    config = host.file(f"{venv}/pyvenv.cfg").content_string
    assert ("uv = 0.13.9" in config) == (release == "13"), config
    assert host.run(f"{venv}/bin/python -m pip check").rc == 0
    compiled = host.check_output(f"find {venv}/lib -path '*/flask/__pycache__/*.pyc' | wc -l")
    assert int(compiled) > 5
    uv = host.file("/opt/pyweb-deploy/uv-0.13.9/bin/uv")
    if release == "13":
        assert uv.user == "root" and not uv.mode & 0o022
        assert host.check_output(f"{uv.path} --version").startswith("uv 0.13.9")
        # The app's own cache, on the virtualenvs' filesystem, copied from: no file of the frozen
        # virtualenv shares its inode with the cache.
        cache = host.file("/opt/flask_hello/.cache/uv")
        assert cache.is_directory and cache.user == "flask_hello"
        linked = host.check_output(f"find {venv}/lib -type f -links +1 | wc -l")
        assert linked == "0"
    else:
        assert not uv.exists


# Debian 11's nginx (1.18) has no ssl_reject_handshake: there the server for unknown names shows a
# certificate of its own and then closes the connection; Debian 13's refuses the handshake.
def test_unknown_names_over_https_as_the_release_vars_say(host, release, tls_on_every_host):
    dropped = host.run("curl -sSk --max-time 5 --resolve other.example.test:443:127.0.0.1 https://other.example.test/")
    assert dropped.stdout == ""
    refused = host.file("/etc/nginx/conf.d/pyweb-unknown-hosts-443.conf").contains("ssl_reject_handshake on")
    assert refused == (release == "13")
    if refused:
        assert dropped.rc == 35, dropped.stderr
    else:
        # Closed without an answer: an empty reply or a reset over HTTP/1.1, a stream closed without
        # one over HTTP/2 (the site's http2 is a parameter of the port's listen there).
        assert dropped.rc in (52, 56, 92), dropped.stderr
        assert host.file("/etc/nginx/tls/pyweb-unknown-hosts.crt").exists


def test_tls_1_2_and_1_3_only_with_hsts(host, name, tls_on_every_host):
    https = f"curl -sSk --max-time 5 --resolve {name}:443:127.0.0.1 https://{name}/"
    assert host.check_output(https + " --tlsv1.3") == HELLO
    assert host.check_output(https + " --tlsv1.2 --tls-max 1.2") == HELLO
    assert host.run(https + " --tlsv1.1 --tls-max 1.1 --ciphers DEFAULT@SECLEVEL=0").rc == 35
    assert "strict-transport-security: max-age=63072000" in host.check_output(
        https + " -o /dev/null -D -").lower()
    redirect = host.check_output(f"curl -sS -o /dev/null -w '%{{redirect_url}}' -H 'Host: {name}' http://127.0.0.1:81/x")
    assert redirect == f"https://{name}/x"


# Debian 11's nginx (1.18) takes HTTP/2 as a parameter of listen, Debian 13's (1.26) as "http2 on".
def test_https_speaks_http2_as_the_release_spells_it(host, release, name, tls_on_every_host):
    asked = "curl -sk --http2 --max-time 5 -o /dev/null -w '%%{http_version}' --resolve %s:443:127.0.0.1 https://%s/"
    assert host.check_output(asked, name, name) == "2"
    site = host.file("/etc/nginx/sites-enabled/flask_hello").content_string
    assert ("http2 on;" in site) == (release == "13"), site
