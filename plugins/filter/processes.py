"""Filters for the app's processes and scheduled jobs, and for reading supervisor's state.

Each is a plain function of its inputs, so tests/test_filters.py checks it without a host.
"""

import shlex


def supervisor_command(argv):
    """A command line supervisor splits back into argv: shell-quoted, with % written as %%
    (supervisor expands %(name)s in it)."""
    return " ".join(shlex.quote(str(arg)) for arg in argv).replace("%", "%%")


def systemd_command(argv):
    """A command line for ExecStart= that systemd splits back into argv unchanged: each argument
    double-quoted with C escapes, $ and % doubled (systemd expands $VAR and %-specifiers)."""
    words = []
    for arg in argv:
        arg = str(arg).replace("\\", "\\\\").replace('"', '\\"')
        arg = arg.replace("$", "$$").replace("%", "%%")
        words.append('"%s"' % arg)
    return " ".join(words)


def app_process_programs(processes, app, user, run):
    """The supervisor programs (the supervisor role's supervisor_programs entries) that run an
    app's processes: <app>.<name>, started as the app user through the app's bin/run from the
    served release, so each start finds the release `current` points at."""
    programs = []
    for process in processes:
        numprocs = int(process.get("numprocs") or 1)
        program = {
            "name": "%s.%s" % (app, process["name"]),
            "command": supervisor_command([run, "sh", "-c", process["command"]]),
            "user": user,
            "stopsignal": process.get("stopsignal") or "TERM",
            "stopwaitsecs": int(30 if process.get("stopwaitsecs") is None else process["stopwaitsecs"]),
            "numprocs": numprocs,
        }
        programs.append(program)
    return programs


def supervisor_targets(programs):
    """What supervisorctl is given to act on every process of each program: the name, or
    "name:*" for a program with several processes (supervisor makes those a group)."""
    return [p["name"] + (":*" if int(p.get("numprocs", 1)) > 1 else "") for p in programs]


def program_names(programs, states, state):
    """The names of the programs whose state (as the supervisor_control module reports states) is
    state."""
    return [p["name"] for p in programs if states.get(p["name"]) == state]


def programs_not_running(programs, states):
    """The names of the programs that are not RUNNING, those supervisor does not know included."""
    return [p["name"] for p in programs if states.get(p["name"]) != "RUNNING"]


def programs_to_start(programs, states):
    """The programs neither running nor given up on (FATAL): those `supervisorctl start` should
    start."""
    return [p for p in programs if states.get(p["name"]) not in ("RUNNING", "FATAL")]


def programs_of_files(paths):
    """The names of the supervisor programs whose files are at paths (<dir>/<name>.conf)."""
    names = [path.rsplit("/", 1)[-1] for path in paths]
    return [name[:-len(".conf")] for name in names if name.endswith(".conf")]


def units_to_drop(found, jobs, app):
    """The systemd units of the app's jobs (<app>.<job>.timer and .service, found by `find`) that
    no job of `jobs` has any more."""
    wanted = {"%s.%s%s" % (app, job["name"], kind) for job in jobs for kind in (".timer", ".service")}
    return [name for name in (f["path"].rsplit("/", 1)[-1] for f in found) if name not in wanted]


def programs_to_remove(names, kept=()):
    """Supervisor programs, as state absent, for each of names not among the kept programs."""
    keep = {p["name"] for p in kept}
    return [{"name": name, "state": "absent"} for name in names if name not in keep]


class FilterModule:
    def filters(self):
        return {
            "supervisor_command": supervisor_command,
            "systemd_command": systemd_command,
            "app_process_programs": app_process_programs,
            "supervisor_targets": supervisor_targets,
            "program_names": program_names,
            "programs_not_running": programs_not_running,
            "programs_to_start": programs_to_start,
            "programs_of_files": programs_of_files,
            "units_to_drop": units_to_drop,
            "programs_to_remove": programs_to_remove,
        }
