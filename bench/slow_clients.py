#!/usr/bin/env python3
"""Slow clients for the benchmark: open N connections and trickle one header byte per interval
into each, never finishing the request, for a bounded time. Standard library only; run on the
benchmark host against its own loopback address."""

import argparse
import socket
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=81)
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()

    deadline = time.monotonic() + min(args.seconds, 300)
    clients = []
    for dummy in range(min(args.connections, 2000)):
        sock = socket.create_connection((args.host, args.port), timeout=5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: slow.example\r\n")
        clients.append(sock)
    print(f"opened {len(clients)}", flush=True)
    sent = 0
    while time.monotonic() < deadline and clients:
        for sock in list(clients):
            try:
                sock.sendall(b"X")
                sent += 1
            except OSError:
                clients.remove(sock)
        time.sleep(args.interval)
    print(f"still open {len(clients)}, bytes trickled {sent}", flush=True)
    for sock in clients:
        sock.close()


if __name__ == "__main__":
    main()
