"""A websocket client with the standard library only, run on a test host: connects to ws:// or wss://
(any certificate accepted: the test sites' are self-signed), sends each message given as one text
frame and prints, as JSON, the status line of the handshake and each text frame answered. Bounded:
10 s per connection or answer.

    python3 ws_echo.py wss://127.0.0.1:8443/ws/live board.example.test hello there
"""

import base64
import json
import os
import socket
import ssl
import struct
import sys
from urllib.parse import urlsplit


def frame(text):
    """A masked text frame, as a client must send it."""
    payload = text.encode()
    mask = os.urandom(4)
    head = bytes([0x81])
    if len(payload) < 126:
        head += bytes([0x80 | len(payload)])
    else:
        head += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_exactly(conn, size):
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed by the server")
        data += chunk
    return data


def read_frame(conn):
    """The opcode and payload of the next frame the server sends (unmasked)."""
    first, second = read_exactly(conn, 2)
    size = second & 0x7F
    if size == 126:
        size = struct.unpack("!H", read_exactly(conn, 2))[0]
    elif size == 127:
        size = struct.unpack("!Q", read_exactly(conn, 8))[0]
    return first & 0x0F, read_exactly(conn, size)


def main(url, host_name, *messages):
    parts = urlsplit(url)
    tls = parts.scheme == "wss"
    conn = socket.create_connection((parts.hostname, parts.port or (443 if tls else 80)), timeout=10)
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols(["http/1.1"])
        conn = context.wrap_socket(conn, server_hostname=host_name)
    key = base64.b64encode(os.urandom(16)).decode()
    conn.sendall((f"GET {parts.path} HTTP/1.1\r\nHost: {host_name}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += read_exactly(conn, 1)
    status = head.split(b"\r\n", 1)[0].decode()
    answers = []
    if " 101 " in status + " ":
        for message in messages:
            conn.sendall(frame(message))
            opcode, payload = read_frame(conn)
            answers.append(payload.decode() if opcode == 1 else f"opcode {opcode}")
        conn.sendall(bytes([0x88, 0x80]) + os.urandom(4))
    print(json.dumps({"status": status, "answers": answers}))


if __name__ == "__main__":
    main(*sys.argv[1:])
