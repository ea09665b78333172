"""Maintenance mode (playbooks/maintenance.yml): a client gets a 503 page with Retry-After, the host
itself and the allowed addresses still reach the app, a deploy meanwhile keeps the mode, and the
way in and out fails no request of an allowed client. Requests from the host to its own network
address come from that address, which is not the host's loopback: they stand for an outside client."""

import pytest
from conftest import run_playbook, under_load
from pyweb_testing import HELLO, assert_served_throughout


def answer(host, address, method="GET"):
    """Status line, headers and body of a request from address to the site."""
    out = host.check_output("curl -sS --max-time 5 -X %s -D - http://%s:81/", method, address)
    head, dummy, body = out.replace("\r\n", "\n").partition("\n\n")
    return head.lower(), body


@pytest.fixture(scope="module")
def address(host):
    return host.check_output("hostname -I").split()[0]


@pytest.fixture(scope="module")
def stages(host, address):
    """Into maintenance, a deploy during it (allowing the host's address), and out of it again, under
    a load loop from the host itself; what a client at address got after each stage."""
    seen = {}
    with under_load(host, "maintenance") as load:
        for stage, playbook, extra in (
                ("on", "maintenance.yml", {"pyweb_maintenance": True}),
                ("deploy", "site.yml", {"nginx_maintenance_allow": [address]}),
                ("off", "maintenance.yml", {"pyweb_maintenance": False})):
            rc, out = run_playbook(playbook, extra)
            assert rc == 0, out[-3000:]
            seen[stage] = dict(get=answer(host, address), post=answer(host, address, "POST"),
                               local=answer(host, "127.0.0.1"),
                               switch=host.file("/etc/nginx/pyweb-maintenance/flask_hello.conf").content_string)
    seen["load"] = load
    return seen


def test_a_client_gets_the_maintenance_page_with_retry_after(stages):
    for method in ("get", "post"):
        head, body = stages["on"][method]
        assert head.startswith("http/1.1 503"), head
        assert "retry-after: 600" in head and "cache-control: no-store" in head, head
        assert "x-content-type-options: nosniff" in head, head
        assert "<h1>Down for maintenance</h1>" in body and "nginx" not in body, body


def test_the_host_itself_still_reaches_the_app(stages):
    head, body = stages["on"]["local"]
    assert head.startswith("http/1.1 200") and body == HELLO


def test_a_deploy_keeps_maintenance_mode_and_an_allowed_address_reaches_the_app(stages):
    head, body = stages["deploy"]["get"]
    assert head.startswith("http/1.1 200") and body == HELLO, head
    assert "default 1;" in stages["deploy"]["switch"]
    assert "default 0;" in stages["off"]["switch"]


def test_out_of_maintenance_every_client_reaches_the_app(stages):
    for method in ("get", "post"):
        head, dummy = stages["off"][method]
        assert not head.startswith("http/1.1 503"), head
    assert stages["off"]["get"][1] == HELLO


def test_the_way_in_and_out_fails_no_request_of_an_allowed_client(stages):
    print(f"under load: {stages['load']}")
    assert_served_throughout(stages["load"])


def test_the_page_is_not_served_as_a_page_of_its_own(host, address):
    assert host.check_output("curl -s -o /dev/null -w '%%{http_code}' http://%s:81/pyweb-maintenance-flask_hello.html",
                             address) == "404"


def test_maintenance_mode_needs_a_value(host):
    rc, out = run_playbook("maintenance.yml")
    assert rc != 0
    assert "Give pyweb_maintenance: -e pyweb_maintenance=true (into maintenance) or false (out of it)" in out
    rc, out = run_playbook("maintenance.yml", {"pyweb_maintenance": "later"})
    assert rc != 0
    assert 'pyweb_maintenance must be true, false or empty (left as it is); got "later"' in out, out[-3000:]
