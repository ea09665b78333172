#!/usr/bin/python
"""Asks a URL on the managed host whether the app is alive, by one rule for every health check."""

DOCUMENTATION = r"""
module: http_probe
short_description: Ask a URL on the host whether the app answers, and fail with what came back
description:
  - Sends one GET request and judges the answer by one rule, the same for every health check of a
    deploy (the tried release, gunicorn after the switch, the proxy, a release switched back to).
    The app is alive when it answers with a status in I(status_codes). Redirects are not followed;
    by default a 3xx counts as alive, as an app whose C(/) sends visitors to its login page is up.
  - When the app is not alive the module fails, and its message says what was asked (method, URL,
    socket, C(Host)), what came back (the status and the first lines of the body, or why no answer
    came, a timeout included) and which statuses were accepted. With C(until) on I(alive) a task
    retries; when its tries run out, that message is the task's.
  - Over HTTPS the name of I(server_name) goes into the TLS handshake (SNI), so a server that refuses
    handshakes for names it does not serve still answers. The certificate is not judged; the probe
    asks whether the app answers, not whether the certificate is trusted.
  - Read-only, so it runs in check mode too.
options:
  url:
    description: http:// or https:// URL to ask. With I(unix_socket), only its path is used.
    type: str
    required: true
  unix_socket:
    description: Path of a Unix socket to send the request to instead of the URL's host and port.
    type: path
  headers:
    description: Request headers, e.g. C(Host). The C(User-Agent) is C(pyweb.deploy health check)
      unless given here.
    type: dict
    default: {}
  server_name:
    description: The name sent in the TLS handshake; the C(Host) header, else the URL's host.
    type: str
  timeout:
    description: Seconds to wait for the connection and for the answer.
    type: int
    default: 10
  status_codes:
    description: The statuses that count as alive, each a status (C(204)) or a range (C(200-399)).
    type: list
    elements: str
    default: ["200-399"]
  hide:
    description: Values, such as the app's secrets, shown as C(********) wherever they would appear in
      what the module returns (an error page may print them).
    type: list
    elements: str
    default: []
author: pyweb.deploy maintainers (@pyweb)
"""

EXAMPLES = r"""
- name: Wait until gunicorn answers / for the site's name
  pyweb.deploy.http_probe:
    url: http://127.0.0.1:5000/
    headers:
      Host: shop.example.com
    timeout: 5
  register: health
  until: health.alive
  retries: 15
  delay: 1

- name: Ask a gunicorn on a Unix socket, accepting only 200 and 204
  pyweb.deploy.http_probe:
    url: http://localhost/healthz
    unix_socket: /run/shop/gunicorn.sock
    status_codes: ["200", "204"]

- name: Ask the site over HTTPS on an address, with its name in the handshake
  pyweb.deploy.http_probe:
    url: https://127.0.0.1:443/
    headers:
      Host: shop.example.com
"""

RETURN = r"""
alive:
  description: Whether the answer's status is one of I(status_codes).
  type: bool
  returned: always
status:
  description: The HTTP status of the answer; 0 when no answer came.
  type: int
  returned: always
reason:
  description: The reason phrase of the answer (C(Found), C(Internal Server Error)); empty when none came.
  type: str
  returned: always
body:
  description: The first lines of the answer's body (at most 5 lines and 400 characters).
  type: str
  returned: always
url:
  description: The URL that was asked.
  type: str
  returned: always
error:
  description: Why no answer came (empty when one did).
  type: str
  returned: always
timed_out:
  description: Whether the request ran out of time (a server that is up but too slow).
  type: bool
  returned: always
msg:
  description: What was asked and what came back, in one sentence, with the body's first lines after it.
  type: str
  returned: always
"""

import http.client
import socket
import ssl
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pyweb.deploy.plugins.module_utils.statuses import status_range
from ansible_collections.pyweb.deploy.plugins.module_utils.unix_http import UnixHTTPConnection


USER_AGENT = "pyweb.deploy health check"
# What of an answer's body a message shows: enough for a traceback's last line or a login page's title.
BODY_LINES = 5
BODY_CHARS = 400


class _NamedTLSConnection(http.client.HTTPSConnection):
    """HTTPS to an address, with a chosen name in the handshake and no certificate check."""

    def __init__(self, host, port, server_name, timeout):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        super().__init__(host, port, timeout=timeout, context=context)
        self._server_name = server_name
        self._tls = context

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self._tls.wrap_socket(self.sock, server_hostname=self._server_name)


def first_lines(data):
    """The start of a body as text: its first BODY_LINES non-blank lines, at most BODY_CHARS."""
    text = data.decode("utf-8", "replace")
    lines = [line.rstrip() for line in text.splitlines() if line.strip()][:BODY_LINES]
    return "\n".join(lines)[:BODY_CHARS]


def probe(url, unix_socket=None, headers=None, server_name=None, timeout=10):
    """GET url; the answer as a dict: status (0 when none came), reason, body (its first lines),
    error (why none came) and timed_out."""
    # Named, so that the checks can be told apart in access logs.
    headers = dict({"User-Agent": USER_AGENT}, **(headers or {}))
    parts = urlsplit(url)
    path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    if unix_socket:
        connection = UnixHTTPConnection(unix_socket, timeout)
    elif parts.scheme == "https":
        name = server_name or headers.get("Host") or parts.hostname
        connection = _NamedTLSConnection(parts.hostname, parts.port or 443, name, timeout)
    elif parts.scheme == "http":
        connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    else:
        raise ValueError("url must start with http:// or https://; got %r" % url)
    answer = {"status": 0, "reason": "", "body": "", "error": "", "timed_out": False}
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        answer.update(status=response.status, reason=response.reason or "")
        # Only the start is shown; a body that is slow to come is not waited for.
        try:
            answer["body"] = first_lines(response.read(BODY_CHARS * 4))
        except (OSError, http.client.HTTPException):
            pass
    except socket.timeout as error:
        answer.update(error="timed out: %s" % error, timed_out=True)
    except (OSError, http.client.HTTPException) as error:
        answer.update(error="%s: %s" % (type(error).__name__, error))
    finally:
        connection.close()
    return answer


def parse_status_codes(entries):
    """The statuses entries name ("200-399", "204") as (first, last) pairs; ValueError names a bad one."""
    ranges = []
    for entry in entries:
        pair = status_range(entry)
        if pair is None:
            raise ValueError("status_codes must be statuses such as 204 or ranges such as 200-399, from 100 "
                             "to 599; got %r" % entry)
        ranges.append(pair)
    if not ranges:
        raise ValueError("status_codes must name at least one status")
    return ranges


def describe(url, unix_socket, headers, timeout, answer, status_codes):
    """(alive, message): whether answer counts as alive by status_codes, and what was asked and what
    came back, as the failure message of any health check says it."""
    alive = any(first <= answer["status"] <= last for first, last in parse_status_codes(status_codes))
    asked = "GET %s" % url + (" on %s" % unix_socket if unix_socket else "")
    host = (headers or {}).get("Host")
    asked += " (Host: %s)" % host if host else ""
    if answer["status"]:
        got = "answered %d %s" % (answer["status"], answer["reason"])
        got = got.rstrip() + ("" if alive else ", not one of %s" % ", ".join(map(str, status_codes)))
        message = "%s %s" % (asked, got)
        if answer["body"] and not alive:
            message += "; the body began:\n" + answer["body"]
    elif answer["timed_out"]:
        message = "%s got no answer within %s s" % (asked, timeout)
    else:
        message = "%s got no answer (%s)" % (asked, answer["error"])
    return alive, message


def main():
    module = AnsibleModule(
        argument_spec={
            "url": {"type": "str", "required": True},
            "unix_socket": {"type": "path"},
            "headers": {"type": "dict", "default": {}},
            "server_name": {"type": "str"},
            "timeout": {"type": "int", "default": 10},
            "status_codes": {"type": "list", "elements": "str", "default": ["200-399"]},
            # Ansible masks the values of a no_log option in everything the module returns.
            "hide": {"type": "list", "elements": "str", "default": [], "no_log": True},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        parse_status_codes(params["status_codes"])
        answer = probe(params["url"], params["unix_socket"], params["headers"], params["server_name"],
                       params["timeout"])
    except ValueError as error:
        module.fail_json(msg=str(error))
    alive, message = describe(params["url"], params["unix_socket"], params["headers"], params["timeout"], answer,
                              params["status_codes"])
    result = dict(answer, changed=False, url=params["url"], alive=alive, msg=message)
    if not alive:
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
