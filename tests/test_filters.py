"""The collection's filters (plugins/filter), checked without a host."""

import shlex

from project import load

processes = load("plugins/filter/processes.py")
supervisor = load("plugins/module_utils/supervisor.py")

AWKWARD = ["/opt/shop/bin/run", "sh", "-c", """echo "it's 100% $HOME" \\ `date` && exit 0"""]


def test_supervisor_command_splits_back_into_the_same_arguments():
    line = processes.supervisor_command(AWKWARD)
    # supervisor expands %(name)s, then splits the line with shlex.
    assert shlex.split(line.replace("%%", "%")) == AWKWARD
    assert "100%%" in line


def test_systemd_command_escapes_what_systemd_would_expand():
    line = processes.systemd_command(["sh", "-c", 'echo "$HOME" 50% \\n'])
    assert line == '"sh" "-c" "echo \\"$$HOME\\" 50%% \\\\n"'


def test_app_processes_become_supervisor_programs_run_as_the_app_user():
    programs = processes.app_process_programs(
        [{"name": "worker", "command": "rq worker shop", "numprocs": 2},
         {"name": "beat", "command": "python -m shop.beat", "stopsignal": "INT", "stopwaitsecs": 5}],
        "shop", "shop", "/opt/shop/bin/run")
    assert programs == [
        {"name": "shop.worker", "command": "/opt/shop/bin/run sh -c 'rq worker shop'", "user": "shop",
         "stopsignal": "TERM", "stopwaitsecs": 30, "numprocs": 2},
        {"name": "shop.beat", "command": "/opt/shop/bin/run sh -c 'python -m shop.beat'", "user": "shop",
         "stopsignal": "INT", "stopwaitsecs": 5, "numprocs": 1},
    ]
    assert processes.supervisor_targets(programs) == ["shop.worker:*", "shop.beat"]


def test_a_program_is_as_far_from_running_as_its_worst_process():
    lines = [
        "shop                             RUNNING   pid 42, uptime 0:01:02",
        "shop.worker:shop.worker-0        RUNNING   pid 43, uptime 0:01:02",
        "shop.worker:shop.worker-1        FATAL     Exited too quickly (process log may have details)",
        "shop.beat                        STARTING  ",
        "other                            STOPPED   Not started",
        "garbage",
    ]
    assert supervisor.supervisor_states(lines) == {
        "shop": "RUNNING", "shop.worker": "FATAL", "shop.beat": "STARTING", "other": "STOPPED"}


def test_which_programs_run_which_to_start_and_which_failed():
    programs = [{"name": "shop"}, {"name": "shop.worker", "numprocs": 2}, {"name": "shop.beat"}, {"name": "new"}]
    states = supervisor.supervisor_states([
        "shop                             RUNNING   pid 10, uptime 0:01:00",
        "shop.worker:shop.worker-0        RUNNING   pid 11, uptime 0:01:00",
        "shop.worker:shop.worker-1        FATAL     Exited too quickly",
        "shop.beat                        STOPPED   Nov 26 09:00 AM",
    ])
    assert processes.program_names(programs, states, "FATAL") == ["shop.worker"]
    # "new" is not known to supervisor yet: not running, and to be started.
    assert processes.programs_not_running(programs, states) == ["shop.worker", "shop.beat", "new"]
    assert processes.programs_to_start(programs, states) == [{"name": "shop.beat"}, {"name": "new"}]


def test_programs_are_named_after_their_files():
    paths = ["/etc/supervisor/conf.d/shop.conf", "/etc/supervisor/conf.d/shop.worker.conf", "/var/log/supervisor/shop"]
    assert processes.programs_of_files(paths) == ["shop", "shop.worker"]


def test_units_of_jobs_no_longer_listed_are_dropped():
    found = [{"path": f"/etc/systemd/system/shop.{name}"} for name in
             ("tick.timer", "tick.service", "old.timer", "old.service")]
    jobs = [{"name": "tick", "command": "flask tick", "schedule": "hourly"}]
    assert processes.units_to_drop(found, jobs, "shop") == ["shop.old.timer", "shop.old.service"]
    # The app going: every unit goes.
    assert processes.units_to_drop(found, [], "shop") == [f["path"].split("/")[-1] for f in found]


def test_programs_no_longer_wanted_go_as_absent():
    kept = [{"name": "shop.worker", "command": "rq worker"}]
    assert processes.programs_to_remove(["shop.worker", "shop.beat"], kept) == [{"name": "shop.beat", "state": "absent"}]
    assert processes.programs_to_remove(["shop", "shop.worker"]) == [
        {"name": "shop", "state": "absent"}, {"name": "shop.worker", "state": "absent"}]


stack = load("plugins/filter/stack.py")


def test_the_stacks_packages_are_those_of_the_roles_in_the_play():
    names = ["pyweb.deploy.nginx", "pyweb.deploy.supervisor", "pyweb.deploy.gunicorn"]
    assert stack.stack_packages(names) == ["logrotate", "python3-packaging", "python3-venv"]
    # Short names, as a playbook inside the collection's own roles path lists them; other roles.
    assert stack.stack_packages(["gunicorn", "geerlingguy.nginx", "nginx_extra"]) == [
        "logrotate", "python3-packaging", "python3-venv"]
    # supervisor's own package depends on supervisor_install_method: the supervisor role installs it.
    assert stack.stack_packages(["pyweb.deploy.supervisor"]) == ["logrotate"]
    # The nginx role installs nginx itself: the app nodes of cluster.yml include its rotation tasks
    # and must not get nginx.
    assert stack.stack_packages(["pyweb.deploy.nginx"]) == []
    assert stack.stack_packages([]) == []
