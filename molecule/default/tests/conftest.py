"""What the default scenario's tests share: running a playbook of the collection against the
scenario's host, as a user would from the checkout."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


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
