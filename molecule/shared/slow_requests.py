"""Requests that hold nginx's limits to account, run on a test host against its own nginx. Prints
one JSON object. Bounded: every socket has a timeout, and nothing loops on the network.

  slow_requests.py header PORT HOST   send a request's headers without their end; how long nginx
                                      waits before it closes the connection
  slow_requests.py busy PORT HOST N   N requests whose bodies never finish arriving, then one more
                                      request: the status and headers nginx answers it with
  slow_requests.py bad PORT           a request nginx cannot read (a Host with a space): its answer
"""

import json
import socket
import sys
import time

LIMIT = 90


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=LIMIT)


def answer(conn):
    """Everything nginx sends until it closes the connection (or LIMIT passes)."""
    received = b""
    try:
        while chunk := conn.recv(65536):
            received += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    return received.decode("latin-1")


def header(port, host):
    with connect(port) as conn:
        conn.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: slow-header\r\n".encode())
        started = time.monotonic()
        received = answer(conn)
        return {"seconds": round(time.monotonic() - started, 1), "answer": received[:200]}


def busy(port, host, count):
    held = []
    try:
        for dummy in range(count):
            conn = connect(port)
            conn.sendall(f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1000\r\n\r\nfirst".encode())
            held.append(conn)
        time.sleep(1)
        with connect(port) as conn:
            conn.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            head = answer(conn).split("\r\n\r\n", 1)[0]
    finally:
        for conn in held:
            conn.close()
    return {"held": len(held), "status": head.split("\r\n", 1)[0], "head": head}


def bad(port):
    with connect(port) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: no such host\r\nConnection: close\r\n\r\n")
        return {"answer": answer(conn).split("\r\n\r\n", 1)[0]}


if __name__ == "__main__":
    mode, port, *rest = sys.argv[1:]
    if mode == "header":
        result = header(int(port), rest[0])
    elif mode == "busy":
        result = busy(int(port), rest[0], int(rest[1]))
    else:
        result = bad(int(port))
    print(json.dumps(result))
