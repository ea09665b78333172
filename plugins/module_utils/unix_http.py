"""HTTP over a Unix socket: the health check's GET to a gunicorn bound to one (http_probe), and
supervisord's XML-RPC interface (module_utils/supervisor.py)."""

import http.client
import socket


class UnixHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to the Unix socket at path, with a timeout in seconds."""

    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)
