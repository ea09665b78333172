"""The shop's processes beside gunicorn and its scheduled job: rq workers fed by a real Redis, moved
to the new release by the redeploy and back by a rollback; a job started by systemd's timer."""

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

APP = "shop"
SITE = "shop.example.test"
ROOT = Path(__file__).resolve().parents[3]


def enqueue(host, n):
    """Queue work through the site, as a visitor's request would."""
    return host.check_output("curl -sSf --max-time 5 -H 'Host: %s' --data n=%s http://127.0.0.1:81/jobs", SITE, str(n))


def result(host, job_id, seconds=30):
    """The finished job's answer, asked for through the site until it is there."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = host.run("curl -sSf --max-time 5 -H 'Host: %s' http://127.0.0.1:81/jobs/%s", SITE, job_id)
        if answer.rc == 0:
            return json.loads(answer.stdout)
        time.sleep(0.5)
    pytest.fail(f"job {job_id} was not done within {seconds} s")


def served_release(host):
    return host.check_output("readlink /opt/%s/current", APP).split("/")[-1]


def worker_pids(host):
    return sorted(re.findall(r"pid (\d+)", host.check_output("supervisorctl status 'shop.worker:*'")))


def rollback():
    run = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(ROOT / "playbooks" / "rollback.yml"),
         "-e", "pyweb_hosts=all"],
        capture_output=True, text=True, timeout=600, env=dict(os.environ, ANSIBLE_NOCOLOR="1"), check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


def test_a_job_queued_through_the_site_is_done_by_a_worker_of_the_served_release(host):
    done = result(host, enqueue(host, 7))
    assert done["square"] == 49
    assert done["release"] == "2"
    assert done["uid"] == host.user(APP).uid


def test_two_workers_run_as_the_app_user(host):
    # Which release they run is what their answers say (above): the container may not look into
    # another user's /proc/<pid>/cwd.
    pids = worker_pids(host)
    assert len(pids) == 2, pids
    for pid in pids:
        assert host.check_output("ps -o user= -p %s", pid) == APP
        assert "rq worker shop" in host.check_output("ps -o args= -p %s", pid)


def test_the_redeploy_restarted_the_workers(host):
    before = host.file("/root/workers-before-redeploy").content_string.split()
    assert len(before) == 2
    assert set(before).isdisjoint(worker_pids(host))


def test_the_scheduled_job_runs_as_the_app_user_with_its_environment(host):
    assert host.check_output("systemctl is-enabled %s.tick.timer", APP) == "enabled"
    since = float(host.check_output("date +%s.%N"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ticks = json.loads(host.check_output("curl -sSf --max-time 5 -H 'Host: %s' http://127.0.0.1:81/ticks", SITE))
        if ticks and ticks[0]["at"] > since:
            break
        time.sleep(1)
    else:
        pytest.fail("the job did not run within 30 s of its 10 s schedule")
    assert ticks[0]["uid"] == host.user(APP).uid
    assert ticks[0]["release"] == "2"
    # systemd handed % and $ to the shell, which expanded the app's variable from its environment.
    assert ticks[0]["note"] == "100% Hello, shopper"


def test_a_rollback_moves_the_workers_back_and_forth(host):
    release_2 = served_release(host)
    pids_2 = worker_pids(host)
    rollback()
    try:
        release_1 = served_release(host)
        assert release_1 != release_2
        assert set(worker_pids(host)).isdisjoint(pids_2)
        assert result(host, enqueue(host, 3)) | {"pid": 0} == {
            "square": 9, "release": "1", "uid": host.user(APP).uid, "pid": 0}
    finally:
        # Run twice, it goes back to release 2, which the other tests expect.
        rollback()
    assert served_release(host) == release_2
    assert result(host, enqueue(host, 4))["release"] == "2"
