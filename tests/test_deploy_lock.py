"""The deploy lock (plugins/module_utils/deploy_lock.py on the host, plugins/action/deploy_lock.py on the
controller): one run holds an app's lock; another is refused until the lock is given back, its run is
known to have ended, it outlived the timeout, or the user forces it."""
import json
import os
import socket
import subprocess
import sys

from project import load

module = load("plugins/module_utils/deploy_lock.py")
action = load("plugins/action/deploy_lock.py")

FIRST = {"token": "ci:100:5", "controller": "ci@ci", "pid": 100, "remote_user": "deploy"}
SECOND = {"token": "laptop:200:7", "controller": "ann@laptop", "pid": 200, "remote_user": "ann"}


def test_a_free_lock_is_taken_and_closed_to_others(tmp_path):
    path = str(tmp_path / "shop.json")
    taken, holder, took_over = module.take(path, FIRST, 1800, False, "", 1000.0)
    assert (taken, took_over) == (True, None)
    assert holder == dict(FIRST, since=1000.0, renewed=1000.0)
    assert json.loads(open(path, encoding="utf-8").read()) == holder
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_the_holder_renews_its_lock(tmp_path):
    path = str(tmp_path / "shop.json")
    module.take(path, FIRST, 1800, False, "", 1000.0)
    taken, holder, dummy = module.take(path, FIRST, 1800, False, "", 1500.0)
    assert taken and (holder["since"], holder["renewed"]) == (1000.0, 1500.0)


def test_another_run_is_refused_and_told_who_holds_it(tmp_path):
    path = str(tmp_path / "shop.json")
    module.take(path, FIRST, 1800, False, "", 1000.0)
    taken, holder, took_over = module.take(path, SECOND, 1800, False, "", 2799.0)
    assert (taken, holder["token"], took_over) == (False, FIRST["token"], None)
    assert "ci@ci (ansible-playbook pid 100, remote user deploy) since 1970-01-01 00:16:40 UTC, 1799 s ago" \
        == action.describe(holder, now=2799.0)
    assert action.describe(dict(holder, remote_user=""), now=2799.0).startswith("ci@ci (ansible-playbook pid 100) since")


def test_a_lock_not_renewed_within_the_timeout_is_taken_over(tmp_path):
    path = str(tmp_path / "shop.json")
    module.take(path, FIRST, 1800, False, "", 1000.0)
    taken, holder, took_over = module.take(path, SECOND, 1800, False, "", 2801.0)
    assert taken and holder["token"] == SECOND["token"] and took_over["token"] == FIRST["token"]


def test_force_or_an_ended_run_takes_the_lock_over_at_once(tmp_path):
    path = str(tmp_path / "shop.json")
    module.take(path, FIRST, 1800, False, "", 1000.0)
    assert module.take(path, SECOND, 1800, True, "", 1001.0)[0]
    assert module.take(path, FIRST, 1800, False, "some:other:run", 1002.0)[0] is False
    assert module.take(path, FIRST, 1800, False, SECOND["token"], 1002.0)[0]


def test_a_lock_cut_short_is_no_lock(tmp_path):
    path = tmp_path / "shop.json"
    path.write_text("")
    assert module.take(str(path), FIRST, 1800, False, "", 1000.0)[0]


def test_only_the_holder_gives_the_lock_back(tmp_path):
    path = str(tmp_path / "shop.json")
    module.take(path, FIRST, 1800, False, "", 1000.0)
    assert module.give_back(path, SECOND)[0] is False
    assert os.path.exists(path)
    assert module.give_back(path, FIRST)[0] is True
    assert not os.path.exists(path)
    assert module.give_back(path, FIRST) == (False, None)


def test_a_run_of_this_controller_whose_process_is_gone_has_ended():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    start = action.process_start(process.pid)
    process.wait()
    host = socket.gethostname()
    assert action.has_ended({"token": "%s:%d:%s" % (host, process.pid, start)})
    # A live run, this test's own process, has not; nor can a run of another controller be known to.
    assert not action.has_ended({"token": "%s:%d:%s" % (host, os.getpid(), action.process_start(os.getpid()))})
    assert not action.has_ended({"token": "elsewhere:%d:%s" % (process.pid, start)})
    assert not action.has_ended({})


def test_a_run_is_named_by_the_playbook_process():
    run = action.this_run()
    assert run["pid"] == os.getppid()
    assert run["token"] == "%s:%d:%s" % (socket.gethostname(), os.getppid(), action.process_start(os.getppid()))
