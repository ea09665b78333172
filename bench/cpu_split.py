#!/usr/bin/env python3
"""Run a load command inside the container and say how much CPU each program used meanwhile.

Prints one JSON object: the command's output, and the CPU seconds (user + system) that processes
of each name (nginx, gunicorn, ...) used while it ran, plus the command's own children (the load
generator). With every CPU busy, these figures bound the throughput: a request can go no faster
than the CPU time all the programs on its path spend on it.

Usage: cpu_split.py -- wrk -t2 -c50 -d10s http://127.0.0.1:81/
"""

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ticks_by_name(proc=Path("/proc")):
    """CPU ticks (utime + stime) of the live processes, summed by process name. A process whose
    command line runs gunicorn counts as gunicorn, whatever its name: started as `python -m
    gunicorn`, its name is python."""
    totals = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile
        # The name is in parentheses and may hold spaces; the fields after it are fixed.
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        if any(Path(arg.decode(errors="replace")).name == "gunicorn" for arg in argv[:3]):
            name = "gunicorn"
        fields = stat[stat.rindex(")") + 2:].split()
        utime, stime = int(fields[11]), int(fields[12])
        totals[name] = totals.get(name, 0) + utime + stime
    return totals


def used_between(before, after, ticks_per_second=TICKS):
    """CPU seconds each name used between two snapshots; processes that started meanwhile count
    whole, and names whose total went down (processes that exited) count nothing."""
    used = {}
    for name, ticks in after.items():
        delta = ticks - before.get(name, 0)
        if delta > 0:
            used[name] = round(delta / ticks_per_second, 2)
    return used


def main(argv):
    if not argv or argv[0] != "--" or len(argv) < 2:
        raise SystemExit("usage: cpu_split.py -- COMMAND [ARG...]")
    before = cpu_ticks_by_name()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(argv[1:], capture_output=True, text=True, timeout=120, check=False)
    after = cpu_ticks_by_name()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = used_between(before, after)
    used[Path(argv[1]).name + " (load)"] = round(
        children.ru_utime - children_before.ru_utime
        + children.ru_stime - children_before.ru_stime, 2)
    print(json.dumps({"returncode": proc.returncode, "output": proc.stdout + proc.stderr,
                      "cpu_seconds": used}))


if __name__ == "__main__":
    main(sys.argv[1:])
