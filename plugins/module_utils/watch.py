"""The watch after a switch (plugins/modules/release_watch.py): nginx's access log of the site, in
the nginx role's `pyweb` format, read for the answers the app gave before and after the switch,
and the verdict on the new release.

Plain functions of their inputs, so tests/test_watch.py checks them without a host."""

import collections
import re

# The nginx role's `pyweb` log format: nginx's `combined`, then the request time, the upstream's
# response time and address (quoted: several when nginx tried more than one) and the time the
# request ended, in seconds since the epoch with milliseconds.
LINE = re.compile(
    r'^\S+ - \S+ \[[^\]]*\] "(?P<request>[^"]*)" (?P<status>\d{3}) \S+ "[^"]*" "[^"]*" '
    r'(?P<request_time>[\d.]+) "(?P<upstream_time>[^"]*)" "(?P<upstream>[^"]*)" (?P<msec>\d+(?:\.\d+)?)$')
NGINX_TIME = re.compile(r"^(\d+)(ms|s|m|h)?$")
# The paths a failure names: the worst few.
TOP_PATHS = 5

Answer = collections.namedtuple("Answer", "time path status upstream_time upstream")


def nginx_seconds(text):
    """An nginx time (5s, 500ms, 1m) in seconds."""
    found = NGINX_TIME.match(str(text).strip())
    if not found:
        raise ValueError("not an nginx time: %r" % (text,))
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[found.group(2)]
    return int(found.group(1)) * scale


def parse(line):
    """The app's answer a log line records, or None for a line of another format or one nginx
    answered itself (no upstream: its maintenance page, a rate limit, a static file). The path
    has no query string, which may hold a token."""
    found = LINE.match(line.rstrip("\n"))
    if not found or found.group("upstream_time") in ("", "-"):
        return None
    parts = found.group("request").split(" ")
    path = parts[1].split("?", 1)[0] if len(parts) > 1 else "?"
    times = [float(t) for t in re.findall(r"[\d.]+", found.group("upstream_time"))]
    # Where nginx tried several servers, the last one answered.
    return Answer(float(found.group("msec")), path, int(found.group("status")), sum(times),
                  found.group("upstream").split(",")[-1].strip())


def percentile(values, share):
    """The value below which share (0..1) of values lie (nearest rank); 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def summary(answers):
    """How many answers, how many 5xx and their share, the 95th percentile of the upstream's time,
    and the paths of the 5xx, worst first."""
    errors = [a for a in answers if a.status >= 500]
    failing = collections.Counter((a.path, a.status) for a in errors).most_common(TOP_PATHS)
    return {"requests": len(answers), "errors": len(errors),
            "error_rate": round(len(errors) / len(answers), 4) if answers else 0.0,
            "p95": round(percentile([a.upstream_time for a in answers], 0.95), 3),
            "failing_paths": [{"path": path, "status": status, "count": count} for (path, status), count in failing]}


def verdict(before, after, limits):
    """Why the release after the switch must go, or "" when it may stay. limits: error_ratio,
    error_floor (the fewest 5xx that count), error_rate (the lowest share that counts),
    latency_ratio, latency_floor (seconds the p95 must grow by as well), min_requests (for the p95:
    fewer answers before or after say nothing)."""
    reasons = []
    allowed = max(before["error_rate"] * limits["error_ratio"], limits["error_rate"])
    if after["errors"] >= limits["error_floor"] and after["error_rate"] > allowed:
        reasons.append("%d of %d answers were 5xx (%.1f %%) against %d of %d (%.1f %%) before the switch; "
                       "the limit is %.1f %% and %d errors" % (
                           after["errors"], after["requests"], 100 * after["error_rate"], before["errors"],
                           before["requests"], 100 * before["error_rate"], 100 * allowed, limits["error_floor"]))
    if min(before["requests"], after["requests"]) >= limits["min_requests"]:
        slower = after["p95"] - before["p95"]
        if after["p95"] > before["p95"] * limits["latency_ratio"] and slower > limits["latency_floor"]:
            reasons.append("the app's 95th percentile answer time was %.3f s against %.3f s before the switch "
                           "(the limit is %g times, and %g s more)" % (
                               after["p95"], before["p95"], limits["latency_ratio"], limits["latency_floor"]))
    return "; ".join(reasons)


def failing_paths(after):
    """The paths of the 5xx after the switch, as a failure names them."""
    return ", ".join("%s %d× %d" % (p["path"], p["count"], p["status"]) for p in after["failing_paths"])
