"""Every log the collection writes is rotated by logrotate, as the host's own timer runs it: gunicorn's
(the gunicorn role's rule), the site's in nginx (Debian's rule), supervisord's and its programs' (the
supervisor role's rule). A forced rotation under load through nginx fails no request; new lines go to
the new files, nothing holds the old ones open, and a second rotation compresses them."""

import time

import pytest
from conftest import under_load
from pyweb_testing import assert_served_throughout

APP = "flask_hello"
GUNICORN_LOG = f"/var/log/{APP}/access.log"
NGINX_LOG = f"/var/log/nginx/{APP}.access.log"
SUPERVISORD_LOG = "/var/log/supervisor/supervisord.log"


def holders(host, path, *users):
    """The /proc/<pid>/fd links to path among the processes of each user: a process's open files
    are readable by its own user only (the test container has no CAP_SYS_PTRACE)."""
    found = []
    for user in users:
        found += host.check_output(
            "runuser -u %s -- sh -c 'find /proc/[0-9]*/fd -lname \"$1*\" 2>/dev/null; true' - %s",
            user, path).split()
    return found


def ask(host, path):
    host.run_expect([0], "curl -s -o /dev/null -H 'Host: localhost' http://127.0.0.1:81%s", path)


def wait_for_line(host, path, text, timeout=15):
    """nginx writes its access log in buffers it flushes every 5 s (nginx_access_log_flush)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if host.run("grep -qF %s %s", text, path).rc == 0:
            return True
        time.sleep(0.5)
    return False


@pytest.fixture(scope="module")
def rotated(host):
    """Two forced rotations, the first under load, each with a marked request before it."""
    markers = [f"/pyweb-rotation-{n}-{time.time_ns()}" for n in range(2)]
    ask(host, markers[0])
    assert wait_for_line(host, NGINX_LOG, markers[0])
    with under_load(host, "logrotate") as load:
        time.sleep(2)
        host.run_expect([0], "logrotate -f /etc/logrotate.conf")
        time.sleep(2)
    ask(host, markers[1])
    assert wait_for_line(host, NGINX_LOG, markers[1])
    holding = {path: holders(host, path + ".1", *users) for path, users in (
        (GUNICORN_LOG, (APP,)), (NGINX_LOG, ("www-data", "root")), (SUPERVISORD_LOG, ("root",)))}
    host.run_expect([0], "logrotate -f /etc/logrotate.conf")
    return dict(load=load, markers=markers, holding=holding)


def test_a_forced_rotation_under_load_fails_no_request(rotated):
    print(f"under load: {rotated['load']}")
    assert_served_throughout(rotated["load"])


@pytest.mark.parametrize("log", [GUNICORN_LOG, NGINX_LOG])
def test_new_requests_go_to_the_new_log(host, rotated, log):
    before, after = rotated["markers"]
    # After the second rotation, the first rotation's file is the compressed .2.gz.
    assert host.run("zgrep -qF %s %s.2.gz", before, log).rc == 0
    assert host.run("grep -qF %s %s.1", after, log).rc == 0
    assert host.run("zgrep -qF %s %s.2.gz", after, log).rc != 0


def test_nothing_holds_a_rotated_log(rotated):
    assert rotated["holding"] == {GUNICORN_LOG: [], NGINX_LOG: [], SUPERVISORD_LOG: []}


def test_the_holders_check_sees_an_open_log(host, rotated):
    # The check above can fail: each writer holds its current log.
    assert holders(host, GUNICORN_LOG, APP)
    assert holders(host, NGINX_LOG, "www-data")
    assert holders(host, SUPERVISORD_LOG, "root")


def test_rotated_logs_are_compressed_and_owned_as_their_writer_needs(host, rotated):
    assert host.file(GUNICORN_LOG + ".2.gz").exists
    # supervisord logged nothing between the two rotations: its first rotated file stays as it is.
    assert host.file(SUPERVISORD_LOG + ".1").exists
    log = host.file(GUNICORN_LOG)
    assert (log.user, log.group, log.mode) == (APP, APP, 0o640)


def test_logrotate_looks_every_hour(host):
    timers = host.check_output("systemctl show -p TimersCalendar logrotate.timer")
    assert "OnCalendar=*-*-* *:00:00" in timers, timers
    assert host.service("logrotate.timer").is_running
