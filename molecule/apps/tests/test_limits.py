"""The limits nginx applies before it knows which site a request is for hold whatever name the
client asks for: a site's own name and a name no site answers get the same header timeout (the
scenario sets 3 s), one address gets at most nginx_connections_per_address requests at once, and
what the server for unknown names answers carries the strict header set."""

import pytest
from conftest import slow_requests

HEADER_TIMEOUT = 3


@pytest.mark.parametrize("name", ["shop.example.test", "unknown.example.test"])
def test_a_client_slow_to_send_its_headers_is_dropped_after_the_hosts_timeout(host, name):
    result = slow_requests(host, "header", 81, name)
    # Without the host-wide limit a named site's port would wait 60 s, nginx's own default.
    assert HEADER_TIMEOUT - 0.5 <= result["seconds"] < HEADER_TIMEOUT + 5, result
    assert "Hello" not in result["answer"], result


def test_one_address_gets_at_most_100_requests_in_progress(host):
    # 100 requests whose bodies are still arriving are in progress; the 101st is refused.
    refused = slow_requests(host, "busy", 81, "shop.example.test", 100)
    assert (refused["held"], refused["status"]) == (100, "HTTP/1.1 429 Too Many Requests"), refused
    # Once they are gone, the same address is served again.
    assert slow_requests(host, "busy", 81, "shop.example.test", 0)["status"] == "HTTP/1.1 200 OK"


def test_what_the_server_for_unknown_names_answers_carries_the_strict_headers(host):
    answer = slow_requests(host, "bad", 81)["answer"]
    assert answer.startswith("HTTP/1.1 400 "), answer
    for header in ("X-Content-Type-Options: nosniff", "X-Frame-Options: DENY", "Referrer-Policy: no-referrer",
                   "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'",
                   "Cross-Origin-Resource-Policy: same-origin", "Permissions-Policy: camera=()"):
        assert header in answer, answer
    assert "Hello" not in answer
