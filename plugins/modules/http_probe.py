#!/usr/bin/python
"""Asks a URL on the managed host for its HTTP status, the way the health checks need it."""

DOCUMENTATION = r"""
module: http_probe
short_description: GET a URL on the host and report the status it answered with
description:
  - Sends one GET request and returns the status of the answer, or status 0 when there was none
    (refused, reset, timed out, TLS handshake refused). It never fails by itself, so a task can
    retry with C(until) on the status and report what it got.
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
author: pyweb.deploy maintainers
"""

RETURN = r"""
status:
  description: The HTTP status of the answer; 0 when no answer came.
  type: int
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
"""

import http.client
import socket
import ssl
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule


USER_AGENT = "pyweb.deploy health check"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


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


def probe(url, unix_socket=None, headers=None, server_name=None, timeout=10):
    """GET url; return (status, error, timed_out). status is 0 when no answer came."""
    # Named, so that the checks can be told apart in access logs.
    headers = dict({"User-Agent": USER_AGENT}, **(headers or {}))
    parts = urlsplit(url)
    path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    if unix_socket:
        connection = _UnixConnection(unix_socket, timeout)
    elif parts.scheme == "https":
        name = server_name or headers.get("Host") or parts.hostname
        connection = _NamedTLSConnection(parts.hostname, parts.port or 443, name, timeout)
    elif parts.scheme == "http":
        connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    else:
        raise ValueError("url must start with http:// or https://; got %r" % url)
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status, "", False
    except socket.timeout as error:
        return 0, "timed out: %s" % error, True
    except (OSError, http.client.HTTPException) as error:
        return 0, "%s: %s" % (type(error).__name__, error), False
    finally:
        connection.close()


def main():
    module = AnsibleModule(
        argument_spec={
            "url": {"type": "str", "required": True},
            "unix_socket": {"type": "path"},
            "headers": {"type": "dict", "default": {}},
            "server_name": {"type": "str"},
            "timeout": {"type": "int", "default": 10},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        status, error, timed_out = probe(params["url"], params["unix_socket"], params["headers"],
                                         params["server_name"], params["timeout"])
    except ValueError as error:
        module.fail_json(msg=str(error))
    module.exit_json(changed=False, status=status, url=params["url"], error=error, timed_out=timed_out)


if __name__ == "__main__":
    main()
