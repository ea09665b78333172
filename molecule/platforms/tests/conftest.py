"""The scenario's tests import the shared helpers (molecule/shared/pyweb_testing.py) from here, as
the default scenario's do; and the one TLS run that test_platforms.py and test_tls_acme.py share.

That run gives each host a certificate the way users get one: Debian 11's site one made on the
controller and copied; Debian 13's site one from an ACME CA, Debian's pebble (Let's Encrypt's test
CA), which runs on the Debian 11 host, checks the HTTP-01 challenge over the scenario's network at
the site's names (aliases of the Debian 13 host there, see molecule.yml), and asks for External
Account Binding. Only the Debian 13 host trusts pebble's own HTTPS certificate."""

import base64
import json
import secrets
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from pyweb_testing import (ROOT, make_certificate, playbook, run_playbook, slow_requests,  # noqa: E402,F401 pylint: disable=unused-import,wrong-import-position
                           under_load)
from pyweb_testing import inventory_host as other  # noqa: E402 pylint: disable=wrong-import-position

CA_HOST, ACME_HOST = "pyweb-bullseye", "pyweb-trixie"
TLS_NAME = "tls.example.test"
ACME_NAMES = "shop.pyweb.test www.shop.pyweb.test"
DIRECTORY = f"https://{CA_HOST}:14000/dir"
# pebble issues from a root it makes when it starts; its management port hands it out.
PEBBLE_ROOT = f"https://{CA_HOST}:15000/roots/0"
EAB_KID = "kid-pyweb"
EAB_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")

# pebble's HTTPS certificate, from a CA of the test's; validations without pebble's random waits, no
# nonce refused at random, and every order validated again (no authorization reused).
START_PEBBLE = """set -e
DEBIAN_FRONTEND=noninteractive apt-get install -y -q pebble openssl >/dev/null
mkdir -p /etc/pebble && cd /etc/pebble
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=pyweb test ACME CA' -keyout ca.key -out ca.crt
openssl req -newkey rsa:2048 -nodes -subj '/CN={host}' -keyout key.pem -out req.csr
printf 'subjectAltName=DNS:{host}\n' > san.cnf
openssl x509 -req -in req.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.cnf -out cert.pem
cat > config.json <<'END'
{config}
END
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
  setsid nohup pebble -config /etc/pebble/config.json > /var/log/pebble.log 2>&1 < /dev/null &
echo $! > /run/pebble.pid
timeout 20 sh -c 'until curl -sf --cacert ca.crt https://{host}:14000/dir >/dev/null; do sleep 0.2; done'
"""


def per_host(acme, others):
    """A value the ACME host gets, and another the others get (extra vars are templated per host)."""
    return "{{ %s if inventory_hostname == '%s' else %s }}" % (json.dumps(acme), ACME_HOST, json.dumps(others))


def acme_vars(names=ACME_NAMES):
    """The ACME host's site, as the runs of test_tls_acme.py give it."""
    return {"nginx_tls_acme": True, "pyweb_server_name": names, "nginx_tls_acme_directory": DIRECTORY,
            "nginx_tls_acme_email": "ops@pyweb.test", "nginx_tls_acme_eab_kid": EAB_KID,
            "nginx_tls_acme_eab_hmac_key": EAB_KEY}


def start_pebble():
    config = {"pebble": {"listenAddress": "0.0.0.0:14000", "managementListenAddress": "0.0.0.0:15000",
                         "certificate": "/etc/pebble/cert.pem", "privateKey": "/etc/pebble/key.pem",
                         # Real CAs check HTTP-01 on port 80 only, so this one does too.
                         "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "",
                         "externalAccountBindingRequired": True, "externalAccountMACKeys": {EAB_KID: EAB_KEY}}}
    ca = other(CA_HOST)
    ca.check_output("bash -c %s", START_PEBBLE.format(host=CA_HOST, config=json.dumps(config)))
    # Trusted by the ACME host alone, as a public CA is by every host.
    pem = ca.check_output("cat /etc/pebble/ca.crt")
    acme = other(ACME_HOST)
    acme.check_output("DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssl >/dev/null")
    acme.check_output("printf '%%s\\n' %s > /usr/local/share/ca-certificates/pyweb-test-acme.crt"
                      " && update-ca-certificates >/dev/null", pem)


@pytest.fixture(scope="session")
def tls_on_every_host(tmp_path_factory):
    """One deploy with TLS for all hosts, for the rest of the session (the TLS tests come last);
    returns the run's output."""
    start_pebble()
    cert, key = make_certificate(tmp_path_factory.mktemp("tls"), TLS_NAME)
    extra = {name: per_host(value, "") for name, value in acme_vars().items() if name != "pyweb_server_name"}
    extra.update(nginx_tls_acme=per_host(True, False), nginx_tls=True,
                 pyweb_server_name=per_host(ACME_NAMES, TLS_NAME),
                 nginx_tls_certificate=per_host("", cert), nginx_tls_certificate_key=per_host("", key))
    # With --diff, which shows what changes in every file written but those holding secrets.
    rc, out = run_playbook("site.yml", extra, "--diff")
    assert rc == 0, out[-3000:]
    return out
