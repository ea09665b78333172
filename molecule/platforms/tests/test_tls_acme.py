"""Debian 13's site gets its certificate from an ACME CA, pebble on the Debian 11 host (conftest.py),
as a public site gets one from Let's Encrypt: for every name, the HTTP-01 challenge answered on port
80 while the site listens on 81; renewed by certbot without a failed request under load; a run
with a valid certificate asks the CA nothing; changed names get a certificate for the new set; and
a refused order fails the run with the CA's words while the site keeps its certificate; a site
switched to a CA out of reach keeps the certificate it had."""

import re
import time

from conftest import (ACME_HOST, ACME_NAMES, CA_HOST, DIRECTORY, EAB_KEY, PEBBLE_ROOT, TLS_NAME, acme_vars, other,
                      run_playbook)
from pyweb_testing import HELLO, assert_served_throughout, served_certificate, under_load, wait_served

testinfra_hosts = [f"ansible://{ACME_HOST}"]
SITE = "flask_hello"
ROOT_PEM = "/root/pebble-root.pem"
CHALLENGES = "/var/lib/pyweb-acme/.well-known/acme-challenge"
# The certificate certbot keeps for the site, which nginx serves once its new workers run.
LIVE_CERT = f"/etc/letsencrypt/live/{SITE}/cert.pem"
LIMIT = ("--limit", ACME_HOST)
# The nginx role alone, as docs/own-playbooks.md shows: it is the one that asks the CA.
NGINX_ONLY = (*LIMIT, "--tags", "nginx")


def served(host, name="shop.pyweb.test", issuer="Pebble Intermediate CA"):
    """The serial and the names of the certificate the site shows for name."""
    out = served_certificate(host, name, "-serial", "-issuer", "-ext", "subjectAltName")
    serial = re.search(r"serial=(\w+)", out).group(1)
    assert issuer in out, out
    return serial, sorted(re.findall(r"DNS:([\w.-]+)", out))


def verified(host, name):
    """The page at https://name/, its certificate checked against pebble's root; curl's exit code."""
    host.check_output("test -s %s || curl -sSf --max-time 5 -o %s %s", ROOT_PEM, ROOT_PEM, PEBBLE_ROOT)
    return host.run("curl -sS --max-time 5 --cacert %s https://%s/", ROOT_PEM, name)


def test_the_certificate_comes_from_the_ca_for_every_name(host, tls_on_every_host):
    assert served(host)[1] == sorted(ACME_NAMES.split())
    for name in ACME_NAMES.split():
        assert verified(host, name).stdout == HELLO
    renewal = host.file(f"/etc/letsencrypt/renewal/{SITE}.conf").content_string
    assert f"server = {DIRECTORY}" in renewal and "renew_hook = systemctl reload nginx" in renewal, renewal
    timer = host.service("certbot.timer")
    assert timer.is_enabled and timer.is_running


def test_the_challenge_is_answered_on_port_80_and_never_reaches_the_app(host, tls_on_every_host):
    # certbot removes its token files once the CA has checked them; this one stands in for the next.
    host.check_output("mkdir -p %s && echo token > %s/pyweb-probe", CHALLENGES, CHALLENGES)
    app_log = f"/var/log/{SITE}/access.log"
    requests_before = int(host.check_output("wc -l < %s", app_log))
    for port in (80, 81):
        url = f"http://shop.pyweb.test:{port}/.well-known/acme-challenge/"
        assert host.check_output("curl -sS --max-time 5 %s", url + "pyweb-probe") == "token"
        assert host.check_output("curl -sS --max-time 5 -o /dev/null -w '%%{http_code}' %s", url + "none") == "404"
    assert int(host.check_output("wc -l < %s", app_log)) == requests_before
    # Anything else on port 80 goes to HTTPS, as on the site's own port.
    assert host.check_output("curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' http://shop.pyweb.test/x"
                             ) == "308 https://shop.pyweb.test/x"


def test_the_eab_key_is_kept_for_certbot_alone(host, tls_on_every_host):
    # Not in the run's output, which has its diff.
    assert "+++ after: /etc/nginx/sites-available/flask_hello" in tls_on_every_host
    assert EAB_KEY not in tls_on_every_host
    settings = host.file(f"/etc/letsencrypt/pyweb/{SITE}.ini")
    assert settings.mode == 0o600 and settings.user == "root" and EAB_KEY in settings.content_string
    # Not on a command line (sudo's log, the journal), nor in any other file certbot or nginx keep.
    leaks = host.run("journalctl --no-pager | grep -c -- %s; grep -rl -- %s /var/log /etc/letsencrypt /etc/nginx",
                     EAB_KEY, EAB_KEY)
    assert leaks.stdout.split() == ["0", str(settings.path)], leaks.stdout


def test_a_run_with_a_valid_certificate_asks_the_ca_nothing(host, tls_on_every_host):
    ca = other(CA_HOST)
    # A CA that cannot answer: a run that asked it would hang, then fail.
    ca.check_output("kill -STOP $(cat /run/pebble.pid)")
    try:
        rc, out = run_playbook("site.yml", acme_vars(), *LIMIT)
    finally:
        ca.check_output("kill -CONT $(cat /run/pebble.pid)")
    assert rc == 0, out[-3000:]
    assert re.search(rf"{ACME_HOST} *: ok=\d+ *changed=0 ", out), out[-1500:]
    assert "Ask the ACME CA with certbot" not in out


def test_a_renewal_under_load_fails_no_request_and_serves_the_new_certificate(host, tls_on_every_host):
    serial_before, names = served(host)
    master = host.check_output("cat /run/nginx.pid")
    verified(host, "shop.pyweb.test")
    with under_load(host, "acme-renewal", url="https://shop.pyweb.test/", cafile=ROOT_PEM) as result:
        time.sleep(1)
        # What certbot's timer runs, forced: the certificate is far from due.
        renewal = host.run("certbot renew --force-renewal --no-random-sleep-on-renew")
        time.sleep(2)
    assert renewal.rc == 0, renewal.stdout + renewal.stderr
    assert_served_throughout(result)
    wait_served(host, "shop.pyweb.test", LIVE_CERT)
    serial_after, names_after = served(host)
    assert serial_after != serial_before and names_after == names
    # nginx reloaded (the same master), and clients were shown both certificates during the load.
    assert host.check_output("cat /run/nginx.pid") == master
    assert len(result["connections_by_certificate"]) == 2, result


def test_changed_names_get_a_certificate_for_the_new_set(host, tls_on_every_host):
    rc, out = run_playbook("site.yml", acme_vars("shop.pyweb.test api.shop.pyweb.test"), *NGINX_ONLY)
    assert rc == 0, out[-3000:]
    wait_served(host, "shop.pyweb.test", LIVE_CERT)
    assert served(host)[1] == ["api.shop.pyweb.test", "shop.pyweb.test"]
    assert verified(host, "api.shop.pyweb.test").stdout == HELLO
    # A name the site no longer has gets no TLS handshake (nginx refuses unknown names).
    assert verified(host, "www.shop.pyweb.test").rc == 35


def test_a_refused_order_fails_the_run_with_the_cas_words_and_the_site_keeps_serving(host, tls_on_every_host):
    before = served(host)
    rc, out = run_playbook("site.yml", acme_vars("shop.pyweb.test api.shop.pyweb.test nowhere.pyweb.test"),
                           *NGINX_ONLY)
    assert rc != 0
    assert "certbot got no certificate for api.shop.pyweb.test, nowhere.pyweb.test, shop.pyweb.test" in out, out[-3000:]
    assert "the site serves as before (its previous certificate)" in out
    # pebble's own account of the failure, passed on by certbot.
    assert re.search(r"certbot said: .*Domain: nowhere\.pyweb\.test .*Detail: ", out), out[-3000:]
    assert served(host) == before
    assert verified(host, "shop.pyweb.test").stdout == HELLO
    assert not host.file(f"/run/lock/pyweb-deploy/{SITE}.json").exists


def test_a_ca_out_of_reach_fails_the_run_and_the_site_keeps_the_certificate_it_had():
    # The Debian 11 site has a certificate from the controller (conftest.py). Switched to a CA that
    # does not answer, it keeps serving that one rather than plain HTTP.
    site = other(CA_HOST)
    before = served(site, TLS_NAME, issuer=TLS_NAME)
    nowhere = f"https://{CA_HOST}:14999/dir"
    rc, out = run_playbook("site.yml", dict(acme_vars(TLS_NAME), nginx_tls_acme_directory=nowhere),
                           "--limit", CA_HOST, "--tags", "nginx")
    assert rc != 0
    assert (f"certbot got no certificate for {TLS_NAME} from {nowhere}; the site serves as before "
            "(its previous certificate). certbot said: ") in out, out[-3000:]
    assert "Connection refused" in out, out[-3000:]
    assert served(site, TLS_NAME, issuer=TLS_NAME) == before
    assert site.check_output("curl -sSk --max-time 5 --resolve %s:443:127.0.0.1 https://%s/", TLS_NAME, TLS_NAME) == HELLO
