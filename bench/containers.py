"""What the bench's steps share: a systemd test container, and a playbook run against one."""

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_systemd_container(name, image):
    """A container of the image running systemd, as the scenarios run theirs; any old one of the
    name goes first."""
    subprocess.run(["docker", "rm", "-f", name], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(
        ["docker", "run", "-d", "--name", name, "--hostname", name, "--cap-add", "SYS_ADMIN",
         "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run",
         "--tmpfs", "/run/lock", image, "/lib/systemd/systemd"],
        check=True, stdout=subprocess.DEVNULL)


def run_playbook(argv, env, failure):
    """Run ansible-playbook with argv from the checkout; return its wall seconds and output. A
    failed run ends the bench with the end of its output and the message failure."""
    started = time.monotonic()
    proc = subprocess.run(["ansible-playbook", *argv], cwd=ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        print(proc.stdout[-4000:], file=sys.stderr)
        raise SystemExit(failure)
    return seconds, proc.stdout


def changed_per_host(output):
    """The changed= count of each host in a run's recap."""
    return [int(n) for n in re.findall(r"\bchanged=(\d+)", output)]
