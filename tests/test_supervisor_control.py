"""The module through which the roles control the app's processes
(plugins/modules/supervisor_control.py), against a real supervisord started for the test, with a
pre-fork master shaped like gunicorn's: HUP starts a new worker and stops the old one."""
import os
import re
import subprocess
import sys
import textwrap
import time

import pytest

from project import load
from ansible_collections.pyweb.deploy.plugins.module_utils import supervisor as supervisor_utils

control = load("plugins/modules/supervisor_control.py")

MASTER = textwrap.dedent("""\
    import signal, subprocess, sys, time
    def worker():
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)"])
    workers = [worker()]
    def reload(*_):
        workers.append(worker())
        workers.pop(0).terminate()
    def stop(*_):
        for w in workers:
            w.terminate()
        sys.exit(0)
    signal.signal(signal.SIGHUP, reload)
    signal.signal(signal.SIGTERM, stop)
    while True:
        time.sleep(1)
""")

CONFIG = textwrap.dedent("""\
    [unix_http_server]
    file=%(here)s/supervisor.sock
    [supervisord]
    logfile=%(here)s/supervisord.log
    pidfile=%(here)s/supervisord.pid
    [rpcinterface:supervisor]
    supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
    [supervisorctl]
    serverurl=unix://%(here)s/supervisor.sock
    [program:app]
    command={python} %(here)s/master.py
    startsecs=0
    stopasgroup=true
    [program:worker]
    command=sleep 1000
    numprocs=2
    process_name=%(program_name)s-%(process_num)d
    startsecs=0
    [program:idle]
    command=sleep 1000
    autostart=false
    [program:slow]
    command=sleep 1000
    startsecs=5
    autostart=false
""")


class Failed(Exception):
    pass


class Module:
    """What the module's functions use of AnsibleModule."""

    def run_command(self, args, handle_exceptions=True):
        run = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
        return run.returncode, run.stdout, run.stderr

    def fail_json(self, **result):
        raise Failed(result["msg"])


def supervisorctl(config):
    return [sys.executable, "-m", "supervisor.supervisorctl", "-c", str(config)]


# Every test runs twice: asking supervisorctl alone, and asking supervisord's socket first as the
# module does on a host.
@pytest.fixture(params=["supervisorctl", "socket"])
def supervisor(tmp_path, request):
    config = tmp_path / "supervisord.conf"
    config.write_text(CONFIG.format(python=sys.executable))
    (tmp_path / "master.py").write_text(MASTER)
    subprocess.run([sys.executable, "-m", "supervisor.supervisord", "-c", str(config)], check=True)
    rpc = supervisor_utils.Rpc(str(tmp_path / "supervisor.sock")) if request.param == "socket" else None
    sup = control.Supervisor(Module(), supervisorctl(config), rpc=rpc)
    try:
        deadline = time.monotonic() + 30
        while sup.states().get("app") != "RUNNING" or sup.states().get("worker") != "RUNNING":
            assert time.monotonic() < deadline, "supervisord did not start its programs"
            time.sleep(0.2)
        yield sup
    finally:
        sup.ctl("shutdown")


def workers_of(sup, name="app"):
    dummy, pid = sup.ctl("pid", name)
    return sorted(
        int(entry) for entry in os.listdir("/proc")
        if entry.isdigit() and _parent(entry) == int(pid)
    )


def _parent(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            text = handle.read()
    except OSError:
        return None
    return int(text[text.rindex(")") + 2:].split()[1])


def params(**given):
    return dict(dict(name="app", restart=False, start_stopped=False, leave_changed=False, since=None,
                     timeout=10), **given)


def test_reload_hups_the_master_and_the_wait_sees_its_new_worker(supervisor):
    before, master = workers_of(supervisor), supervisor.ctl("pid", "app")[1]
    since = time.time()
    changed, states, done, dummy = control.reload(supervisor, params(), check=False)
    assert (changed, states["app"], done) == (True, "RUNNING", "reloaded")
    assert "workers started after" in control.wait_workers(supervisor, params(since=since))
    assert supervisor.ctl("pid", "app")[1] == master
    assert workers_of(supervisor) != before


def test_the_wait_fails_with_the_program_named_when_no_new_worker_comes(supervisor):
    with pytest.raises(Failed, match="no gunicorn worker of app started within 1 s"):
        control.wait_workers(supervisor, params(since=time.time() + 60, timeout=1))


def test_reload_by_restart_starts_a_new_master(supervisor):
    master = supervisor.ctl("pid", "app")[1]
    changed, dummy, done, dummy = control.reload(supervisor, params(restart=True), check=False)
    assert (changed, done) == (True, "restarted")
    assert supervisor.ctl("pid", "app")[1] != master


def test_reload_leaves_a_changed_program_to_update(supervisor, tmp_path):
    config = tmp_path / "supervisord.conf"
    config.write_text(config.read_text().replace("stopasgroup=true", "stopasgroup=false", 1))
    before = workers_of(supervisor)
    changed, dummy, done, dummy = control.reload(supervisor, params(leave_changed=True), check=False)
    assert (changed, done) == (False, "left to update")
    assert workers_of(supervisor) == before


def test_a_stopped_program_is_left_alone_or_started_when_asked(supervisor):
    supervisor.ctl("stop", "app")
    assert control.reload(supervisor, params(), check=False)[:3:2] == (False, "not running")
    assert supervisor.states(["app"])["app"] == "STOPPED"
    changed, dummy, done, dummy = control.reload(supervisor, params(start_stopped=True), check=False)
    assert (changed, done) == (True, "started")
    assert supervisor.states(["app"])["app"] == "RUNNING"


def test_check_mode_changes_nothing(supervisor):
    before = workers_of(supervisor)
    assert control.reload(supervisor, params(), check=True)[2] == "would be reloaded"
    assert control.act(supervisor, "stop", ["worker:*"], check=True)[2] == "would stop"
    assert workers_of(supervisor) == before
    assert supervisor.states()["worker"] == "RUNNING"


def test_restart_and_stop_act_on_every_process_of_a_group(supervisor):
    def pids():
        return sorted(re.findall(r"pid (\d+)", supervisor.ctl("status", "worker:*")[1]))

    before = pids()
    assert len(before) == 2
    changed, dummy, done, dummy = control.act(supervisor, "restart", ["worker:*"], check=False)
    assert (changed, done) == (True, "restarted")
    assert len(pids()) == 2 and not set(pids()) & set(before)
    assert control.act(supervisor, "stop", ["worker:*"], check=False)[0] is True
    assert supervisor.states()["worker"] == "STOPPED"
    assert control.act(supervisor, "stop", ["worker:*"], check=False)[0] is False


def test_a_restart_supervisor_refuses_fails_with_its_answer(supervisor):
    with pytest.raises(Failed, match="supervisorctl restart no-such-program failed: .*no-such-program"):
        control.act(supervisor, "restart", ["no-such-program"], check=False)


def test_without_supervisor_there_is_nothing_to_stop_or_reload():
    sup = control.Supervisor(Module(), ["/nonexistent/supervisorctl"])
    assert control.act(sup, "stop", ["shop"], check=False)[0] is False
    assert control.reload(sup, params(name="shop"), check=False)[2] == "not running"


def test_start_starts_what_is_stopped_and_status_waits_until_it_settles(supervisor):
    assert supervisor.states()["idle"] == "STOPPED"
    changed, dummy, done, dummy = control.act(supervisor, "start", ["idle", "slow"], check=False)
    assert (changed, done) == (True, "started")
    # Killed, slow is started again and needs 5 s in STARTING before it counts as running (long enough
    # for the question below to come first on a loaded machine: CI once took more than a second).
    supervisor.ctl("signal", "KILL", "slow")
    assert control.status(supervisor, ["slow"])["slow"] != "RUNNING"
    assert control.status(supervisor, settle=True, timeout=20) == {
        "app": "RUNNING", "worker": "RUNNING", "idle": "RUNNING", "slow": "RUNNING"}


def test_update_applies_a_changed_program_file(supervisor, tmp_path):
    config = tmp_path / "supervisord.conf"
    config.write_text(config.read_text().replace("[program:idle]", "[program:new]\ncommand=sleep 5\n[program:idle]"))
    changed, dummy, done, output = control.act(supervisor, "update", [], check=False)
    assert (changed, done) == (True, "updated") and "new: added" in output
    assert control.act(supervisor, "update", [], check=False)[0] is False


# Writes its pid to marked.ready 4 s after it starts (so that the first question comes before, even
# on a loaded machine: CI once took more than a second); supervisor counts it as started after 60.
MARKED = textwrap.dedent("""\
    [program:marked]
    command=sh -c 'sleep 4; echo $$ > %(here)s/marked.ready; exec sleep 1000'
    startsecs=60
""")


def test_a_program_that_wrote_its_ready_mark_counts_as_running_before_its_startsecs(supervisor, tmp_path):
    mark = tmp_path / "marked.ready"
    mark.write_text("1\n")  # left by a process before this one
    ready = {"marked": str(mark), "idle": str(tmp_path / "idle.ready")}
    # Added as the role adds a program: its file, then `update`, which starts it.
    config = tmp_path / "supervisord.conf"
    config.write_text(config.read_text() + MARKED)
    control.act(supervisor, "update", [], check=False)
    assert control.status(supervisor, ready=ready)["marked"] == "STARTING"
    started = time.monotonic()
    states = control.status(supervisor, settle=True, timeout=30, ready=ready)
    assert states["marked"] == "RUNNING" and states["idle"] == "STOPPED"
    assert time.monotonic() - started < 10
    # Supervisor itself still counts it as starting (startsecs=60).
    assert supervisor.states(["marked"])["marked"] == "STARTING"
    assert mark.read_text().strip() == supervisor.ctl("pid", "marked")[1]


def test_the_socket_answers_status_pid_and_signal_without_supervisorctl(supervisor, tmp_path):
    socket_only = control.Supervisor(Module(), ["/nonexistent/supervisorctl"],
                                     rpc=supervisor_utils.Rpc(str(tmp_path / "supervisor.sock")))
    assert socket_only.states() == supervisor_utils.supervisor_states(supervisor.ctl("status")[1].splitlines())
    assert socket_only.states(["worker:*"]) == {"worker": "RUNNING"}
    master = socket_only.pid("app")
    assert master > 0 and str(master) == supervisor.ctl("pid", "app")[1]
    assert socket_only.pid("idle") == 0
    before, since = workers_of(supervisor), time.time()
    assert control.reload(socket_only, params(), check=False)[2] == "reloaded"
    assert "workers started after" in control.wait_workers(socket_only, params(since=since))
    assert workers_of(supervisor) != before


def test_a_socket_that_does_not_answer_leaves_the_question_to_supervisorctl(supervisor, tmp_path):
    gone = control.Supervisor(Module(), supervisorctl(tmp_path / "supervisord.conf"),
                              rpc=supervisor_utils.Rpc(str(tmp_path / "no-such.sock")))
    assert gone.states()["app"] == "RUNNING"
    assert str(gone.pid("app")) == supervisor.ctl("pid", "app")[1]
    # A name supervisord does not know: supervisorctl says so, and the reload fails with its answer.
    supervisor.ctl("stop", "app")
    assert gone.signal("HUP", "app")[1] == supervisor.ctl("signal", "HUP", "app")[1]


def test_the_socket_is_the_one_supervisorctl_would_use(tmp_path):
    config = tmp_path / "supervisord.conf"
    config.write_text("[supervisorctl]\nserverurl = unix:///run/supervisor/supervisor.sock ; the roles'\n")
    assert supervisor_utils.socket_path(config, earlier=()) == "/run/supervisor/supervisor.sock"
    # supervisorctl would read another config first: it is asked instead.
    earlier = tmp_path / "etc-supervisord.conf"
    earlier.write_text("[supervisorctl]\n")
    assert supervisor_utils.socket_path(config, earlier=(str(earlier),)) is None
    for text in ("[supervisorctl]\nserverurl=http://127.0.0.1:9001\n",
                 "[supervisorctl]\nserverurl=unix:///run/s.sock\nusername=admin\n",
                 "[supervisord]\n", "not a config"):
        config.write_text(text)
        assert supervisor_utils.socket_path(config, earlier=()) is None, text
    assert supervisor_utils.socket_path(tmp_path / "none.conf", earlier=()) is None
