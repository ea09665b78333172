#!/usr/bin/env python3
"""A bounded HTTP load loop for tests: keep-alive GETs from a few threads until a stop file
appears, a request count or a time limit is reached; then write a JSON summary. With --rate the
threads together send at most that many requests per second: a steady stream shows a failure as
well as a flood does, and leaves the CPU to the deploy under test.

Like browsers and urllib3, it sends a GET once more on a new connection when a kept-alive
connection turns out to be closed before any byte of the answer came back (a server may close an
idle connection just as the client reuses it; HTTP/1.1 allows that retry for idempotent requests).
Such retries are counted apart; a request counts as failed when it gets no 2xx answer.

The summary says how long the loop ran, its rate, why it stopped, and the longest time between
two answers from the server (any thread's): a deploy that made the site stall for seconds without
failing a request shows there.

An https:// URL is asked over TLS, the server's certificate checked against --cafile; the summary
then counts the new connections by the certificate they were shown (a renewal shows in it).

Runs on the test host with its own python3 and the standard library only.
"""

import argparse
import hashlib
import http.client
import json
import os
import ssl
import threading
import time
from urllib.parse import urlsplit

# What a request on a kept-alive connection meets when the server closed it first.
CLOSED_UNDER_US = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def connect(parts, tls):
    """A connection to the URL's server; over TLS when tls (the context and the certificates seen)."""
    if tls is None:
        return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=10, context=tls["context"])


def worker(url, deadline, budget, stop_file, totals, lock, host=None, pace=None, bodies=None, gaps=None,
           tls=None):  # pylint: disable=too-many-arguments
    parts = urlsplit(url)
    conn = None
    while time.monotonic() < deadline and not os.path.exists(stop_file):
        with lock:
            if budget[0] <= 0:
                return
            budget[0] -= 1
            if pace:
                # pace = [seconds between requests, when the next one may go]
                slot = max(pace[1], time.monotonic())
                pace[1] = slot + pace[0]
        if pace:
            time.sleep(max(0.0, slot - time.monotonic()))
        retried = False
        while True:
            reused = conn is not None
            try:
                if conn is None:
                    conn = connect(parts, tls)
                conn.request("GET", parts.path or "/", headers={"Host": host} if host else {})
                if tls is not None and not reused:
                    shown = hashlib.sha256(conn.sock.getpeercert(binary_form=True)).hexdigest()[:16]
                    with lock:
                        tls["seen"][shown] = tls["seen"].get(shown, 0) + 1
                response = conn.getresponse()
                body = response.read()
                key = str(response.status)
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except CLOSED_UNDER_US as exc:
                conn.close()
                conn = None
                if reused and not retried:
                    retried = True
                    continue
                key = "error: " + type(exc).__name__
            except (OSError, http.client.HTTPException) as exc:
                if conn is not None:
                    conn.close()
                conn = None
                key = "error: " + type(exc).__name__
            break
        with lock:
            totals[key] = totals.get(key, 0) + 1
            if gaps is not None:
                # gaps = [when the last answer came, the longest time between two answers]
                now = time.monotonic()
                gaps[1] = max(gaps[1], now - gaps[0])
                gaps[0] = now
            if bodies is not None and key.startswith("2"):
                seen = body[:200].decode(errors="replace")
                if seen in bodies or len(bodies) < 20:
                    bodies[seen] = bodies.get(seen, 0) + 1
            if retried:
                totals["retried on a closed keep-alive connection"] = (
                    totals.get("retried on a closed keep-alive connection", 0) + 1
                )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--out", required=True)
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--started-file")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--max-requests", type=int, default=500000)
    parser.add_argument("--host", help="the Host header to send (a site with a server_name)")
    parser.add_argument("--rate", type=float, help="at most this many requests per second, all threads together")
    parser.add_argument("--cafile", help="the CA certificates an https:// URL's server is checked against")
    parser.add_argument("--bodies", action="store_true",
                        help="count the 2xx answers by body (their first 200 bytes, up to 20 bodies)")
    args = parser.parse_args()

    totals, lock, budget = {}, threading.Lock(), [args.max_requests]
    started = time.monotonic()
    pace = [1.0 / args.rate, started] if args.rate else None
    bodies = {} if args.bodies else None
    gaps = [started, 0.0]
    deadline = started + args.max_seconds
    tls = None
    if args.url.startswith("https://"):
        tls = {"context": ssl.create_default_context(cafile=args.cafile), "seen": {}}
    threads = [
        threading.Thread(
            target=worker,
            args=(args.url, deadline, budget, args.stop_file, totals, lock, args.host, pace, bodies, gaps, tls),
        )
        for dummy in range(args.threads)
    ]
    for thread in threads:
        thread.start()
    if args.started_file:
        with open(args.started_file, "w") as handle:
            handle.write("started\n")
    for thread in threads:
        thread.join()

    retries = totals.pop("retried on a closed keep-alive connection", 0)
    ok = sum(n for key, n in totals.items() if key.startswith("2"))
    summary = {
        "requests": sum(totals.values()),
        "ok": ok,
        "failed": sum(totals.values()) - ok,
        "retried_on_closed_keepalive": retries,
        "by_status": totals,
        "seconds": round(time.monotonic() - started, 2),
        "stopped_by": "stop file" if os.path.exists(args.stop_file) else "limit",
        "longest_gap": round(gaps[1], 3),
        "asked_rate": args.rate,
    }
    summary["rate"] = round(summary["requests"] / max(summary["seconds"], 0.001), 1)
    if bodies is not None:
        summary["bodies"] = bodies
    if tls is not None:
        summary["connections_by_certificate"] = tls["seen"]
    with open(args.out, "w") as handle:
        json.dump(summary, handle)


if __name__ == "__main__":
    main()
