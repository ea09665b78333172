"""The watch after a switch (plugins/module_utils/watch.py and the release_watch module's log
follower), checked without a host: the nginx role's log lines, the verdict and its limits."""

import os

import pytest
from project import load

watch = load("plugins/module_utils/watch.py")
module = load("plugins/modules/release_watch.py")

LIMITS = {"error_ratio": 2.0, "error_rate": 0.01, "error_floor": 5, "latency_ratio": 3.0, "latency_floor": 0.5,
          "min_requests": 20}


def line(path="/", status=200, upstream_time="0.004", when=1000.0, upstream="127.0.0.1:5000"):
    """A line as nginx writes it in the nginx role's pyweb format."""
    return ('203.0.113.9 - - [05/Dec/2026:21:40:00 +0000] "GET %s HTTP/1.1" %d 612 "-" '
            '"Mozilla/5.0 (X11; \\x22quoted\\x22)" 0.005 "%s" "%s" %.3f' % (path, status, upstream_time, upstream, when))


def answers(count, status=200, path="/", upstream_time="0.004", start=1000.0):
    return [watch.parse(line(path, status, upstream_time, start + i * 0.01)) for i in range(count)]


def test_a_line_gives_the_apps_answer_without_its_query_string():
    answer = watch.parse(line("/reset?token=abc123", 502, "0.001, 0.002", 1733434800.123))
    assert answer == watch.Answer(1733434800.123, "/reset", 502, 0.003, "127.0.0.1:5000")


@pytest.mark.parametrize("text", [
    # nginx's own answers: its maintenance page, a rate limit (no upstream).
    line(status=503, upstream_time="-"),
    # A line in nginx's combined format, without the fields the watch reads.
    '203.0.113.9 - - [05/Dec/2026:21:40:00 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8"',
    "",
])
def test_answers_nginx_gave_itself_and_other_formats_do_not_count(text):
    assert watch.parse(text) is None


def test_the_summary_counts_5xx_and_names_the_paths_that_failed():
    found = watch.summary(answers(90) + answers(8, 500, "/report") + answers(2, 502, "/export"))
    assert (found["requests"], found["errors"], found["error_rate"]) == (100, 10, 0.1)
    assert found["failing_paths"] == [{"path": "/report", "status": 500, "count": 8},
                                      {"path": "/export", "status": 502, "count": 2}]
    assert watch.failing_paths(found) == "/report 8× 500, /export 2× 502"


def test_more_5xx_than_before_fail_the_watch():
    before = watch.summary(answers(1000) + answers(2, 500))
    after = watch.summary(answers(200) + answers(20, 500, "/report"))
    found = watch.verdict(before, after, LIMITS)
    assert found.startswith("20 of 220 answers were 5xx (9.1 %) against 2 of 1002 (0.2 %) before the switch")


def test_a_quiet_sites_stray_errors_and_an_unchanged_share_do_not():
    # Two errors after the switch on a quiet site: under the floor of five.
    assert watch.verdict(watch.summary(answers(10)), watch.summary(answers(3) + answers(2, 500)), LIMITS) == ""
    # The same share of errors as before: under twice the share.
    before = watch.summary(answers(900) + answers(100, 500))
    assert watch.verdict(before, watch.summary(answers(180) + answers(20, 500)), LIMITS) == ""
    # No error before, a few after, under 1 % of the answers.
    assert watch.verdict(watch.summary(answers(100)), watch.summary(answers(1000) + answers(6, 500)), LIMITS) == ""


def test_a_slower_release_fails_only_well_beyond_the_limits():
    before = watch.summary(answers(100, upstream_time="0.050"))
    assert "95th percentile answer time was 0.900 s against 0.050 s" in watch.verdict(
        before, watch.summary(answers(100, upstream_time="0.900")), LIMITS)
    # Three times slower, but by less than half a second.
    assert watch.verdict(before, watch.summary(answers(100, upstream_time="0.400")), LIMITS) == ""
    # Too few answers to say.
    assert watch.verdict(before, watch.summary(answers(10, upstream_time="2.0")), LIMITS) == ""


def test_nginx_times_read_as_seconds():
    assert [watch.nginx_seconds(t) for t in ("5s", "5", "500ms", "1m")] == [5, 5, 0.5, 60]
    with pytest.raises(ValueError):
        watch.nginx_seconds("5 s")


def test_the_log_is_followed_across_a_rotation(tmp_path):
    path = tmp_path / "shop.access.log"
    path.write_text(line(when=1.0) + "\n" + line(when=2.0)[:30])
    log = module.Log(str(path), 1 << 20)
    assert [watch.parse(t).time for t in log.read()] == [1.0]
    # The rest of the half-written line, then logrotate moves the file and nginx opens a new one.
    with open(path, "a") as handle:
        handle.write(line(when=2.0)[30:] + "\n")
    os.rename(path, tmp_path / "shop.access.log.1")
    path.write_text(line(when=3.0) + "\n")
    assert [watch.parse(t).time for t in log.read()] == [2.0, 3.0]
    assert log.read() == []


def test_only_the_end_of_a_large_log_is_read(tmp_path):
    path = tmp_path / "shop.access.log"
    path.write_text("".join(line(when=float(i)) + "\n" for i in range(1000)))
    found = [watch.parse(t) for t in module.Log(str(path), 10 * len(line()) + 5).read()]
    assert all(found) and [a.time for a in found] == [float(i) for i in range(990, 1000)]
