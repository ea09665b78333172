"""The read-only module a role asks about the host with (plugins/modules/host_state.py), on a real
directory tree and a real dpkg answer's format."""
import os
import subprocess
import time

import pytest

from project import load, run_module
from ansible_collections.pyweb.deploy.plugins.module_utils.supervisor import Supervisor

state = load("plugins/modules/host_state.py")


def test_paths_tell_files_directories_and_links_apart(tmp_path):
    (tmp_path / "releases" / "1").mkdir(parents=True)
    (tmp_path / "current").symlink_to("releases/1")
    (tmp_path / "app.conf").write_text("x")
    (tmp_path / "releases").chmod(0o751)
    assert state.path_state(str(tmp_path / "current")) == {
        "exists": True, "isdir": False, "islnk": True, "target": "releases/1", "mode": "0777"}
    assert state.path_state(str(tmp_path / "releases")) == {
        "exists": True, "isdir": True, "islnk": False, "target": "", "mode": "0751"}
    assert state.path_state(str(tmp_path / "app.conf"))["isdir"] is False
    assert state.path_state(str(tmp_path / "missing")) == {
        "exists": False, "isdir": False, "islnk": False, "target": "", "mode": ""}


def test_globs_list_the_files_that_hold_a_matching_line(tmp_path):
    (tmp_path / "unknown-80.conf").write_text("server {\n    return 444;\n}\n")
    (tmp_path / "unknown-443.conf").write_text("server {\n    ssl_certificate /x;\n    return 444;\n}\n")
    (tmp_path / "unknown-8080.conf").write_text("# emptied by hand\n")
    (tmp_path / "unknown-dir.conf").mkdir()
    pattern = str(tmp_path / "unknown-*.conf")
    assert state.matching_files(pattern) == sorted(str(tmp_path / f"unknown-{p}.conf") for p in (80, 443, 8080))
    assert state.matching_files(pattern, r"return 444;") == sorted(
        str(tmp_path / f"unknown-{p}.conf") for p in (80, 443))
    assert state.matching_files(pattern, r"ssl_certificate ") == [str(tmp_path / "unknown-443.conf")]


def test_packages_are_installed_only_when_dpkg_says_so():
    def dpkg(argv, **_):
        # dpkg-query prints what it knows and complains on stderr about the rest.
        return subprocess.CompletedProcess(argv, 1, stdout="nginx installed\nsupervisor config-files\n"
                                           "python3-venv:amd64 installed\n", stderr="no packages found matching x\n")

    assert state.package_states(["nginx", "supervisor", "python3-venv", "x"], run=dpkg) == {
        "nginx": True, "supervisor": False, "python3-venv": True, "x": False}
    assert state.package_states([], run=dpkg) == {}


def test_without_dpkg_nothing_is_installed():
    def missing(argv, **_):
        raise FileNotFoundError(argv[0])

    assert state.package_states(["nginx"], run=missing) == {"nginx": False}


def test_the_distribution_is_named_as_ansible_names_it(tmp_path):
    release = tmp_path / "os-release"
    release.write_text('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
                       'VERSION_ID="12"\nID=debian\n')
    assert state.os_release(str(release)) == {"distribution": "Debian", "distribution_major_version": "12"}
    release.write_text('NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n')
    assert state.os_release(str(release)) == {"distribution": "Ubuntu", "distribution_major_version": "24"}


def test_the_real_dpkg_answers_in_the_format_read():
    # The controller of our CI is Debian; on another system there is no dpkg to ask.
    if subprocess.run(["sh", "-c", "command -v dpkg-query"], capture_output=True, check=False).returncode != 0:
        pytest.skip("no dpkg-query on this machine")
    assert state.package_states(["dpkg", "no-such-package-here"]) == {"dpkg": True, "no-such-package-here": False}


def test_grep_returns_what_the_lines_say_through_links(tmp_path):
    (tmp_path / "available").mkdir()
    (tmp_path / "enabled").mkdir()
    (tmp_path / "available" / "shop").write_text("server {\n    listen 81;\n    listen 443 ssl;\n}\n")
    (tmp_path / "available" / "blog").write_text("server {\n  listen [::]:8080;\n  # listen 9 ;\n}\n")
    (tmp_path / "enabled" / "shop").symlink_to(tmp_path / "available" / "shop")
    (tmp_path / "enabled" / "gone").symlink_to(tmp_path / "available" / "gone")  # dangling
    assert state.grep_files(str(tmp_path / "enabled" / "*"), r"^ *listen +([0-9]+)") == ["81", "443"]
    assert state.grep_files(str(tmp_path / "available" / "*"), r"^ *listen +([0-9]+)") == ["81", "443"]
    assert state.grep_files(str(tmp_path / "available" / "*"), r"listen") == ["listen", "listen", "listen", "listen"]


def test_services_are_enabled_and_active_only_when_systemd_says_so():
    def systemctl(argv, **_):
        assert argv[:3] == ["systemctl", "show", "--property=Id,UnitFileState,ActiveState"]
        assert argv[3:] == ["nginx.service", "nosuch.service", "supervisor.service", "shop.timer"]
        return subprocess.CompletedProcess(argv, 0, stdout=(
            "Id=nginx.service\nActiveState=active\nUnitFileState=enabled\n\n"
            "Id=nosuch.service\nActiveState=inactive\nUnitFileState=\n\n"
            "Id=supervisor.service\nActiveState=failed\nUnitFileState=enabled\n\n"
            "Id=shop.timer\nActiveState=active\nUnitFileState=disabled\n"), stderr="")

    assert state.service_states(["nginx", "nosuch", "supervisor", "shop.timer"], run=systemctl) == {
        "nginx": {"enabled": True, "active": True},
        "nosuch": {"enabled": False, "active": False},
        "supervisor": {"enabled": True, "active": False},
        "shop.timer": {"enabled": False, "active": True}}


def test_without_systemd_no_service_runs():
    def failing(argv, **_):
        return subprocess.CompletedProcess(argv, 1, stdout="", stderr="System has not been booted with systemd\n")

    def missing(argv, **_):
        raise FileNotFoundError(argv[0])

    for run in (failing, missing):
        assert state.service_states(["nginx"], run=run) == {"nginx": {"enabled": False, "active": False}}


def test_users_and_groups_are_read_from_the_system():
    root = state.user_state("root")
    assert root["exists"] and root["home"] == "/root" and root["group"] == "root"
    assert state.user_state("no-such-user-here") == {"exists": False}
    assert state.group_state("root") == {"exists": True, "gid": 0}
    assert state.group_state("no-such-group-here") == {"exists": False}


def test_the_answers_come_back_under_the_names_asked(tmp_path):
    (tmp_path / "shop.worker.conf").write_text("[program:shop.worker]\ncommand=rq worker\n")
    (tmp_path / "shop.conf").write_text("[program:shop]\n")
    (tmp_path / "site").write_text("server {\n    listen 81;\n}\n")
    args = {
        "globs": {"programs": {"pattern": str(tmp_path / "shop*.conf")},
                  "workers": {"pattern": str(tmp_path / "*.conf"), "contains": "^command="}},
        "grep": {"ports": {"pattern": str(tmp_path / "site"), "regex": r"^ *listen +([0-9]+)"}}}
    result = run_module(state, args, tmp_path)
    assert result["globs"] == {"programs": [str(tmp_path / "shop.conf"), str(tmp_path / "shop.worker.conf")],
                               "workers": [str(tmp_path / "shop.worker.conf")]}
    assert result["grep"] == {"ports": ["81"]}
    # An entry without its pattern is refused, by its name.
    args["grep"]["ports"] = {"regex": "listen"}
    result = run_module(state, args, tmp_path)
    assert result["failed"] and result["msg"].startswith("grep.ports must be a dict"), result


def test_a_certificate_gives_its_names_and_the_days_it_has_left(tmp_path):
    cert = tmp_path / "site.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "40",
                    "-subj", "/CN=shop.example.test", "-keyout", str(tmp_path / "key.pem"), "-out", str(cert),
                    "-addext", "subjectAltName=DNS:www.shop.example.test,DNS:shop.example.test,IP:192.0.2.1"],
                   check=True, capture_output=True)
    found = state.certificate_state(str(cert))
    assert found == {"exists": True, "names": ["shop.example.test", "www.shop.example.test"], "days_left": 39}
    # 45 days on, by the host's clock, it has expired.
    assert state.certificate_state(str(cert), now=lambda: time.time() + 45 * 86400)["days_left"] == -6
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    assert state.certificate_state(str(garbage)) == {"exists": True, "names": [], "days_left": -1}
    assert state.certificate_state(str(tmp_path / "missing.pem")) == {"exists": False}


class Ran:
    """What Supervisor uses of AnsibleModule, running commands with run (argv -> CompletedProcess)."""

    def __init__(self, run):
        self.run = run

    def run_command(self, argv, handle_exceptions=True):
        done = self.run(argv)
        return done.returncode, done.stdout, done.stderr


def asked(run, rpc=None):
    """A Supervisor as the module makes one, with supervisorctl's answers from run."""
    return Supervisor(Ran(run), rpc=rpc)


def test_program_states_come_from_one_supervisorctl_status():
    calls = []

    def run(argv, **kwargs):
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 3, stdout=(
            "shop                             RUNNING   pid 42, uptime 0:01:00\n"
            "shop.worker:shop.worker-0        RUNNING   pid 43, uptime 0:01:00\n"
            "shop.worker:shop.worker-1        FATAL     Exited too quickly\n"), stderr="")

    assert state.program_states(["shop", "shop.worker", "shop.beat"], asked(run)) == {
        "shop": "RUNNING", "shop.worker": "FATAL", "shop.beat": "UNKNOWN"}
    assert calls == [["supervisorctl", "status"]]
    assert state.program_states([], asked(run)) == {} and len(calls) == 1

    def missing(argv, **kwargs):
        raise FileNotFoundError(argv[0])

    assert state.program_states(["shop"], asked(missing)) == {"shop": "UNKNOWN"}


def test_program_states_ask_supervisords_socket_first():
    class Socket:
        def __init__(self, answer):
            self.answer = answer

        def states(self, targets=()):
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer

    def run(argv, **kwargs):
        return subprocess.CompletedProcess(argv, 0, stdout="shop  STOPPED  Not started\n", stderr="")

    answered = Socket({"shop": "RUNNING", "shop.worker": "FATAL"})
    assert state.program_states(["shop", "shop.worker"], asked(run, answered)) == {
        "shop": "RUNNING", "shop.worker": "FATAL"}
    # A socket that does not answer: supervisorctl is asked.
    assert state.program_states(["shop"], asked(run, Socket(ConnectionRefusedError()))) == {"shop": "STOPPED"}


def test_a_starting_program_that_wrote_its_ready_mark_counts_as_running(tmp_path):
    def run(argv, **kwargs):
        answers = {"status": "shop  STARTING\nshop.worker  STARTING\n", "pid": "4242\n"}
        return subprocess.CompletedProcess(argv, 0, stdout=answers[argv[1]], stderr="")

    mark = tmp_path / "gunicorn.ready"
    ready = {"shop": str(mark)}
    # No mark yet, or one an earlier process left: still starting.
    assert state.program_states(["shop"], asked(run), ready=ready) == {"shop": "STARTING"}
    mark.write_text("17\n")
    assert state.program_states(["shop"], asked(run), ready=ready) == {"shop": "STARTING"}
    mark.write_text("4242\n")
    assert state.program_states(["shop", "shop.worker"], asked(run), ready=ready) == {
        "shop": "RUNNING", "shop.worker": "STARTING"}


def test_the_look_takes_the_deploy_lock_first_and_looks_only_once_it_holds_it(tmp_path):
    name = "pyweb-test-%d" % os.getpid()
    lock = "/run/lock/pyweb-deploy/%s.json" % name
    mine = {"token": "ci:100:5", "controller": "ci@ci", "pid": 100}
    theirs = {"token": "laptop:200:7", "controller": "ann@laptop", "pid": 200}
    look = {"paths": [str(tmp_path)]}
    try:
        # Check mode takes nothing and still looks.
        answer = run_module(state, dict(look, lock={"name": name, "run": mine}, _ansible_check_mode=True), tmp_path)
        assert answer["lock"] == {"taken": False, "holder": None} and answer["paths"][str(tmp_path)]["isdir"]
        assert not os.path.exists(lock)
        answer = run_module(state, dict(look, lock={"name": name, "run": mine}), tmp_path)
        assert answer["lock"]["taken"] and answer["lock"]["holder"]["token"] == mine["token"]
        assert answer["paths"][str(tmp_path)]["isdir"]
        # Another run is told who holds it, and nothing is looked at.
        answer = run_module(state, dict(look, lock={"name": name, "run": theirs}), tmp_path)
        assert answer["lock"]["taken"] is False and answer["lock"]["holder"]["token"] == mine["token"]
        assert "paths" not in answer
        answer = run_module(state, dict(look, lock={"name": "../etc", "run": mine}), tmp_path)
        assert answer["failed"] and "lock.name must be a file name" in answer["msg"]
    finally:
        if os.path.exists(lock):
            os.unlink(lock)


def test_the_served_release_is_read_in_the_same_call(tmp_path):
    (tmp_path / "releases" / "aaa-1").mkdir(parents=True)
    (tmp_path / "releases" / "aaa-1" / "requirements.txt").write_text("flask==3.0.3\n")
    (tmp_path / "current").symlink_to("releases/aaa-1")
    served = {"app_root": str(tmp_path), "current": str(tmp_path / "current"), "release": "bbb-2",
              "requirements": "requirements.txt"}
    result = run_module(state, {"served": served}, tmp_path)
    assert (result["served"]["release"], result["served"]["requirements_text"]) == ("aaa-1", "flask==3.0.3\n")
    result = run_module(state, {"served": dict(served, where="/etc")}, tmp_path)
    assert result["failed"] and "served must be a dict with app_root" in result["msg"]
