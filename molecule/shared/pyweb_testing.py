"""What the scenarios' tests share: running a playbook of the collection against the scenario's
host, as a user would from the checkout, and a bounded load loop through nginx. Each scenario's
conftest.py puts this directory on the path and imports from here."""

import base64
import contextlib
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_playbook(name, extra=None, *options):
    """Run playbooks/<name> with extra vars; return its exit code and its output on one line."""
    run = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         str(ROOT / "playbooks" / name), "-e", json.dumps(extra or {}), *options],
        capture_output=True, text=True, timeout=600,
        env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"),
    )
    return run.returncode, " ".join((run.stdout + run.stderr).split())


@pytest.fixture(scope="session")
def playbook():
    return run_playbook


LOAD_LOOP = Path(__file__).resolve().parent / "load_loop.py"


@contextlib.contextmanager
def under_load(host, name, url="http://127.0.0.1:81/", threads=4, rate=400):
    """Keep GETs going through nginx while the block runs, at most `rate` a second; the dict it
    yields gets the load loop's summary afterwards. Bounded: 600 s or 2,000,000 requests, whichever
    comes first."""
    files = {kind: f"/root/{name}.{kind}" for kind in ("stop", "started", "json")}
    host.check_output("echo %s | base64 -d > /root/load_loop.py", base64.b64encode(LOAD_LOOP.read_bytes()).decode())
    host.run("rm -f %s %s %s", *files.values())
    host.check_output(
        "setsid nohup python3 /root/load_loop.py %s --out=%s --stop-file=%s --started-file=%s --threads=%s"
        " --max-seconds=600 --max-requests=2000000 --rate=%s >/dev/null 2>&1 &",
        url, files["json"], files["stop"], files["started"], str(threads), str(rate))
    host.check_output("timeout 10 sh -c 'until [ -e %s ]; do sleep 0.2; done'", files["started"])
    summary = {}
    try:
        yield summary
    finally:
        host.check_output("touch %s", files["stop"])
        host.check_output("timeout 30 sh -c 'until [ -s %s ]; do sleep 0.2; done'", files["json"])
        summary.update(json.loads(host.check_output("cat %s", files["json"])))
