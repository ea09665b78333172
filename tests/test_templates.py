"""Templates rendered by Ansible's templar from the roles' own defaults and read back by what reads
them on a server: gunicorn.conf.py run by Python as gunicorn runs it, a supervisor program file
parsed by supervisor itself. No host involved."""

import os
import pwd
import shlex
import sys
import textwrap
import types

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

from project import ROOT, load, role_defaults, trusted

processes = load("plugins/filter/processes.py")

# Ansible's own filters (comment, bool) are found through its collection loader.
_AnsibleCollectionFinder(paths=[str(ROOT / "playbooks" / "collections")])._install()


def role_variables(role, **changes):
    """The role's defaults and vars, as a play sees them, with changes applied."""
    values = {"ansible_managed": "Ansible managed", "role_path": str(ROOT / "roles" / role)}
    values.update(role_defaults(role))
    values.update(yaml.safe_load((ROOT / "roles" / role / "vars" / "main.yml").read_text()))
    values.update(changes)
    return trusted(values)


def render(role, template, **changes):
    variables = role_variables(role, **changes)
    source = (ROOT / "roles" / role / "templates" / template).read_text()
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(source))


def gunicorn_settings(tmp_path, argv=("gunicorn",), **changes):
    """What gunicorn reads from the rendered gunicorn.conf.py: the names it defines."""
    config = render("gunicorn", "gunicorn.conf.py.j2", **changes)
    namespace = {"__file__": str(tmp_path / "gunicorn.conf.py")}
    saved = sys.argv
    sys.argv = list(argv)
    try:
        exec(compile(config, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 (our own template)
    finally:
        sys.argv = saved
    return namespace


def test_gunicorn_config_from_the_defaults(tmp_path):
    settings = gunicorn_settings(tmp_path, __gunicorn_environment_file=str(tmp_path / "none.json"))
    assert settings["proc_name"] == "flask_hello"
    assert settings["worker_class"] == "gevent"
    # One worker per CPU the process may run on.
    assert settings["workers"] == len(os.sched_getaffinity(0))
    assert settings["daemon"] is False and settings["preload_app"] is False
    assert settings["keepalive"] == 10
    assert settings["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert settings["errorlog"] == "/var/log/flask_hello/error.log"
    assert "raw_env" not in settings


@pytest.mark.parametrize("on", [False, True])
def test_gunicorns_access_log_is_on_its_command_line_when_asked(tmp_path, on):
    # Not in gunicorn.conf.py: a reload with accesslog = None keeps the workers' old log handler,
    # while a changed command restarts gunicorn.
    settings = gunicorn_settings(tmp_path, __gunicorn_environment_file=str(tmp_path / "none.json"),
                                 gunicorn_access_log=on)
    assert "accesslog" not in settings
    variables = role_variables("gunicorn", gunicorn_access_log=on)
    command = Templar(loader=DataLoader(), variables=variables).template(
        trust_as_template("{{ __gunicorn_program.command }}"))
    argv = shlex.split(command)
    assert argv[-1] == "flask_hello:app" and "--bind" in argv
    logged = ["--access-logfile", "/var/log/flask_hello/access.log"]
    assert (argv[-3:-1] == logged) is on
    assert ("--access-logfile" in argv) is on


def test_gunicorn_config_takes_the_apps_environment_from_its_file(tmp_path, monkeypatch):
    env_file = tmp_path / "environment.json"
    env_file.write_text('{"DATABASE_URL": "postgresql://shop:p=w@db/shop", "GREETING": "Grüß dich", "LANG": "de_DE"}')
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("PYWEB_ENVIRONMENT_BEFORE", raising=False)
    for name in ("DATABASE_URL", "GREETING"):
        monkeypatch.delenv(name, raising=False)
    settings = gunicorn_settings(tmp_path, __gunicorn_environment_file=str(env_file), gunicorn_workers=3,
                                 pyweb_app_name="shop")
    assert settings["workers"] == 3
    # In the master's environment, which the workers inherit; not in raw_env, which gunicorn prints
    # with its settings at loglevel debug.
    assert "raw_env" not in settings
    assert (os.environ["DATABASE_URL"], os.environ["GREETING"], os.environ["LANG"]) == (
        "postgresql://shop:p=w@db/shop", "Grüß dich", "de_DE")
    # A reload reads the file again: a variable taken out goes, one that was there before is back.
    env_file.write_text('{"GREETING": "Moin"}')
    gunicorn_settings(tmp_path, __gunicorn_environment_file=str(env_file))
    assert "DATABASE_URL" not in os.environ
    assert (os.environ["GREETING"], os.environ["LANG"]) == ("Moin", "C.UTF-8")


def test_gunicorn_writes_its_ready_file_once_it_listens_and_a_tried_release_does_not(tmp_path):
    ready, pid = tmp_path / "gunicorn.ready", tmp_path / "gunicorn.pid"
    settings = gunicorn_settings(tmp_path, __gunicorn_environment_file=str(tmp_path / "none.json"),
                                 __gunicorn_ready_file=str(ready), __gunicorn_pid_file=str(pid))

    def server(pidfile):
        return types.SimpleNamespace(cfg=types.SimpleNamespace(pidfile=pidfile))

    ready.write_text("1")  # an earlier master's
    settings["on_starting"](server(str(pid)))
    assert not ready.exists()
    settings["when_ready"](server(str(pid)))
    assert ready.read_text() == str(os.getpid())
    # A release tried beside the served one has a pid file of its own (try.yml).
    ready.write_text("1")
    settings["on_starting"](server(str(tmp_path / "pyweb-try.pid")))
    settings["when_ready"](server(str(tmp_path / "pyweb-try.pid")))
    assert ready.read_text() == "1"


def test_gunicorn_names_the_release_in_the_environment_and_on_the_health_check_path_when_asked(tmp_path,
                                                                                               monkeypatch):
    release = tmp_path / "releases" / "abc123-def-456"
    release.mkdir(parents=True)
    monkeypatch.chdir(release)
    monkeypatch.delenv("PYWEB_RELEASE", raising=False)
    plain = gunicorn_settings(tmp_path, __gunicorn_environment_file=str(tmp_path / "none.json"))
    assert "post_worker_init" not in plain
    # The master names the release it changed into, at its start and at each reload.
    plain["on_reload"](None)
    assert os.environ["PYWEB_RELEASE"] == "abc123-def-456"
    settings = gunicorn_settings(tmp_path, __gunicorn_environment_file=str(tmp_path / "none.json"),
                                 gunicorn_release_header="X-Release", gunicorn_healthcheck_path="/healthz?deep=1")

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    worker = types.SimpleNamespace(wsgi=app)
    settings["post_worker_init"](worker)
    sent = {}
    for path in ("/healthz", "/orders"):
        worker.wsgi({"PATH_INFO": path}, lambda status, headers, exc_info=None, path=path: sent.update({path: headers}))
    assert sent["/healthz"] == [("Content-Type", "text/plain"), ("X-Release", "abc123-def-456")]
    assert sent["/orders"] == [("Content-Type", "text/plain")]


@pytest.fixture
def supervisor_reads(tmp_path):
    """Renders program.conf.j2 for one program and returns supervisor's reading of it."""
    from supervisor.options import ServerOptions

    def read(program):
        conf = tmp_path / "conf.d"
        conf.mkdir(exist_ok=True)
        (tmp_path / "log" / program["name"]).mkdir(parents=True, exist_ok=True)
        text = render("supervisor", "program.conf.j2", item=program, supervisor_log_dir=str(tmp_path / "log"))
        (conf / f"{program['name']}.conf").write_text(text)
        main = tmp_path / "supervisord.conf"
        main.write_text(textwrap.dedent(f"""\
            [supervisord]
            logfile={tmp_path}/supervisord.log
            pidfile={tmp_path}/supervisord.pid
            [include]
            files={conf}/*.conf
            """))
        options = ServerOptions()
        options.configfile = str(main)
        options.process_config(do_usage=False)
        return options.process_group_configs

    return read


def test_supervisor_reads_a_processs_command_and_environment_unchanged(supervisor_reads):
    awkward = """echo "it's 100% $HOME, a, b" \\ `date`"""
    [program] = processes.app_process_programs(
        [{"name": "worker", "command": awkward, "numprocs": 2}], "shop", "shop", "/opt/shop/bin/run")
    environment = {"QUEUE": 'high,"urgent" 50%', "NOTE": "it's %(ENV_HOME)s, a\\b", "EMPTY": ""}
    program["environment"] = environment
    # supervisor looks the user up; "shop" exists on a server, not here.
    program["user"] = "nobody"
    [group] = supervisor_reads(program)
    assert group.name == "shop.worker"
    assert [p.name for p in group.process_configs] == ["shop.worker-0", "shop.worker-1"]
    process = group.process_configs[0]
    assert shlex.split(process.command) == ["/opt/shop/bin/run", "sh", "-c", awkward]
    assert process.environment == environment
    assert process.uid == pwd.getpwnam("nobody").pw_uid
    assert (process.stopsignal, process.stopwaitsecs, process.stopasgroup, process.killasgroup) == (15, 30, True, True)
