"""Faults the stack survives: a worker killed under load, supervisord killed, a reboot, and programs
that cannot start (supervisor marks them FATAL instead of restarting them forever, and the play
says so). The killed gunicorn master is in test_default.py. Each case ends with the app answering."""

import subprocess
import time

from conftest import run_playbook
from pyweb_testing import load_summary, start_load
from pyweb_testing import HELLO

APP = "flask_hello"


def answers_within(host, seconds):
    """Seconds until nginx on port 81 serves the page again; fails after `seconds`."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if host.run("curl -s --max-time 2 http://127.0.0.1:81/").stdout == HELLO:
            return time.monotonic() - start
        time.sleep(0.5)
    raise AssertionError(f"the app did not answer within {seconds} s")


def workers(host):
    master = host.check_output("supervisorctl pid %s", APP)
    return master, host.check_output("ps -o pid= --ppid %s", master).split()


def test_a_worker_killed_under_load_costs_at_most_its_requests_in_flight(host, record_property):
    threads = 4
    # As fast as the threads go, to have requests in flight when the worker dies. Bounded: 60 s or
    # 300,000 requests, whichever comes first; load_summary ends it sooner.
    start_load(host, "faults", threads=threads, rate=None, seconds=60, requests=300_000)
    time.sleep(2)
    master, before = workers(host)
    host.check_output("kill -9 %s", before[0])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        now_master, now = workers(host)
        if len(now) == len(before) and before[0] not in now:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"the master did not replace the killed worker: {now}")
    assert now_master == master
    time.sleep(2)
    load = load_summary(host, "faults")
    record_property("requests", load["requests"])
    record_property("failed_requests", load["failed"])
    print(f"worker killed under load: {load['failed']} of {load['requests']} requests failed: {load}")
    assert load["requests"] > 100, load
    # Only what the killed worker was serving may fail: at most one request per client thread.
    assert load["failed"] <= threads, load
    answers_within(host, 5)


def test_a_killed_supervisord_comes_back_with_the_app(host):
    master = host.check_output("supervisorctl pid %s", APP)
    host.check_output("kill -9 $(cat /run/supervisor/supervisord.pid)")
    took = answers_within(host, 30)
    print(f"supervisord killed: the app answered again after {took:.1f} s")
    new_master = host.check_output("supervisorctl pid %s", APP)
    assert new_master not in ("0", master)
    # The old master went with supervisord: no gunicorn is left outside supervisor.
    assert master not in host.check_output("ps -eo pid=").split()
    orphans = host.check_output("ps -eo ppid=,args= | awk '$1 == 1 && /gunicorn/'")
    assert orphans == ""


def test_a_reboot_brings_everything_back(host):
    name = host.check_output("hostname")
    subprocess.run(["docker", "restart", "--time", "20", name], check=True, capture_output=True, timeout=120)
    took = answers_within(host, 90)
    print(f"after a restart of the container the app answered in {took:.1f} s")
    for service in ("nginx", "supervisor"):
        assert host.service(service).is_running
    # Supervisor counts gunicorn as started once it has run for its startsecs.
    host.check_output("timeout 15 sh -c 'until supervisorctl status %s | grep -q RUNNING; do sleep 1; done'", APP)
    assert host.file("/run/supervisor/supervisor.sock").mode == 0o700


def test_a_program_that_cannot_start_ends_fatal_and_the_play_says_so(host):
    crasher = {"name": "crasher", "command": "/bin/sh -c 'echo crasher cannot start >&2; exit 3'"}
    rc, out = run_playbook("site.yml", {"supervisor_programs": [crasher]})
    assert rc != 0
    assert "Supervisor could not start crasher. Removed again, as this run added them: crasher." in out, out[-3000:]
    assert "FATAL" in out and "crasher cannot start" in out, out[-3000:]
    # Nothing of it is left in supervisor, and the app was not touched.
    assert not host.file("/etc/supervisor/conf.d/crasher.conf").exists
    assert "crasher" not in host.run("supervisorctl status").stdout
    assert host.check_output("curl -s http://127.0.0.1:81/") == HELLO


def test_a_gunicorn_that_cannot_get_its_port_ends_fatal_on_a_first_deploy(host):
    # Something else holds the new app's port, so its gunicorn exits after trying to bind. It holds
    # it for longer than the deploy can take on a busy machine; the test stops it right after.
    host.check_output("setsid nohup timeout 900 python3 -m http.server 5002 --bind 127.0.0.1"
                      " >/dev/null 2>&1 &")
    host.check_output("timeout 10 sh -c 'until curl -s -o /dev/null http://127.0.0.1:5002/; do sleep 0.2; done'")
    other = {"pyweb_app_name": "portless", "pyweb_app_port": 5002, "nginx_listen_port": 8091}
    started = time.monotonic()
    rc, out = run_playbook("site.yml", other)
    took = time.monotonic() - started
    host.run("pkill -f 'http.server 5002'")
    assert rc != 0
    assert "Supervisor could not start portless" in out, out[-3000:]
    assert "FATAL" in out and "Connection in use" in out, out[-3000:]
    assert not host.file("/etc/supervisor/conf.d/portless.conf").exists
    assert "portless" not in host.run("supervisorctl status").stdout
    print(f"the deploy of an app whose port was taken failed after {took:.0f} s")
    host.run("rm -f /etc/nginx/sites-enabled/portless /etc/nginx/sites-available/portless")
    host.run("systemctl reload nginx")
    assert host.check_output("curl -s http://127.0.0.1:81/") == HELLO
