"""The benchmark reads wrk's report correctly: its figures are what the README publishes."""


import pytest

from project import load

bench = load("bench/bench.py")

CLEAN = """Running 10s test @ http://127.0.0.1:81/
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    11.20ms    3.01ms  41.50ms   80.12%
    Req/Sec     2.24k   210.33     2.70k    71.00%
  Latency Distribution
     50%   10.71ms
     75%   12.40ms
     90%   14.90ms
     99%   22.03ms
  44712 requests in 10.01s, 8.70MB read
Requests/sec:   4466.77
Transfer/sec:    889.96KB
"""

WITH_ERRORS = """Running 1s test @ http://127.0.0.1:18999/nope
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.41ms    1.66ms  12.05ms   87.47%
    Req/Sec     1.88k     0.87k    2.96k    63.64%
  Latency Distribution
     50%  705.00us
     75%    1.48ms
     90%    3.67ms
     99%    1.20s
  2058 requests in 1.10s, 1.02MB read
  Socket errors: connect 0, read 3, write 0, timeout 7
  Non-2xx or 3xx responses: 2058
Requests/sec:   1871.52
Transfer/sec:      0.93MB
"""


def test_a_clean_run():
    r = bench.parse_wrk(CLEAN)
    assert r["requests"] == 44712
    assert r["rps"] == pytest.approx(4466.77)
    assert r["p50_ms"] == pytest.approx(10.71)
    assert r["p99_ms"] == pytest.approx(22.03)
    assert r["errors"] == 0


def test_errors_and_units_are_counted():
    r = bench.parse_wrk(WITH_ERRORS)
    assert r["p50_ms"] == pytest.approx(0.705)
    assert r["p99_ms"] == pytest.approx(1200)
    assert r["non_2xx"] == 2058
    assert r["socket_errors"] == {"connect": 0, "read": 3, "write": 0, "timeout": 7}
    assert r["errors"] == 2058 + 10


def test_a_report_without_figures_is_an_error():
    with pytest.raises(ValueError, match="Requests/sec|requests in"):
        bench.parse_wrk("unable to connect to 127.0.0.1:81 Connection refused\n")


def test_a_converge_only_run_prints_its_converge_line():
    machine = dict(cpus=2, cpu="x", kernel="6", target="Debian 12", image="img", nginx="1.22",
                   gunicorn="23.0.0", date="today", load="none")
    run = {"seconds": 12.3, "changed": 0, "slowest_tasks": []}
    text = bench.table({"machine": machine, "converge": {
        "floor": dict(run, seconds=1.1), "fresh": dict(run, seconds=48.0, changed=27,
                                                       slowest_tasks=[{"task": "Build", "seconds": 6.5}]),
        "noop": run, "new_code": dict(run, seconds=14.2, changed=9)}})
    assert "fresh run 48.0 s, no-op re-run 12.3 s (changed=0), new app code 14.2 s" in text
    assert "(the floor) 1.1 s" in text and "Build 6.5 s" in text
    assert "req/s" not in text


def a_round(rps, p99, nginx=0.0, total=100.0):
    return {"rps": rps, "p50_ms": 1.0, "p99_ms": p99, "requests": int(rps * 10), "errors": 0,
            "cpu_us_per_request": {"gunicorn": total - nginx, "nginx": nginx, "load": 0.0,
                                   "other": 0.0, "total": total}}


def test_the_serving_goals_are_ratios_of_medians_of_alternating_rounds():
    runs = {
        # One round far off (a noisy neighbour) moves no median.
        "direct": [a_round(10000, 60), a_round(10400, 55), a_round(3000, 900, total=180)],
        "nginx_collection": [a_round(8000, 25, 45, 240), a_round(7800, 30, 45, 250),
                             a_round(8100, 20, 45, 245)],
        "seed_gunicorn": [a_round(7500, 130), a_round(7400, 140), a_round(7300, 120)],
        "nginx_seed": [a_round(3700, 18), a_round(3600, 19), a_round(3650, 17)],
    }
    results = bench.compare(runs)
    assert results["direct"]["rps"] == 10000 and results["nginx_collection"]["rps"] == 8000
    assert results["nginx_collection"]["rounds_rps"] == [8000, 7800, 8100]
    assert results["nginx_collection"]["requests"] == 239000
    goals = results["goals"]
    assert goals["nginx_collection/direct"] == {"ratio": 0.8, "goal": 0.85, "met": False}
    assert goals["nginx_collection/seed_gunicorn"] == {"ratio": 1.081, "goal": 1.0, "met": True}
    assert goals["nginx_collection/nginx_seed"] == {"ratio": 2.192, "goal": 2.0, "met": True}
    assert goals["p99 nginx_collection <= direct"]["met"] is True
    # Direct costs 100 µs a request, ours 245 of which nginx 45: the caps to direct.
    assert results["nginx_collection"]["cpu_bound_ratio_to_direct"] == 0.41
    assert results["nginx_collection"]["nginx_cap_to_direct"] == 0.69


def test_the_peer_goals_compare_the_same_runs():
    ours = {"fresh": {"seconds": 30.0}, "noop": {"seconds": 5.0}, "new_code": {"seconds": 16.0}}
    theirs = {"fresh": {"seconds": 55.0}, "noop": {"seconds": 20.0}, "new_code": {"seconds": 12.0}}
    peer = bench.compare_peer(ours, theirs)
    assert peer["goals"] == {
        "fresh: ours / peer's": {"ratio": 0.55, "goal": 0.5, "met": False},
        "noop: ours / peer's": {"ratio": 0.25, "goal": 0.25, "met": True},
        "new code, ours (s)": {"ratio": 16.0, "goal": 15, "met": False},
    }
    text = "\n".join(bench.peer_lines(ours, peer))
    assert "| no-op | 5.0 | 20.0 |" in text and "| fresh: ours / peer's | 0.55 | ≤ 0.5 | no |" in text
