"""What the scenarios' tests share: running a playbook of the collection against the scenario's
host, as a user would from the checkout, and a bounded load loop through nginx. Each scenario's
conftest.py puts this directory on the path and imports from here."""

import base64
import contextlib
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import testinfra

ROOT = Path(__file__).resolve().parents[2]


def playbook_command(name, extra=None, *options):
    """The argv and environment of a run of playbooks/<name> with extra vars, as a user runs it."""
    argv = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
            str(ROOT / "playbooks" / name), "-e", json.dumps(extra or {}), *options]
    return argv, dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")


def run_playbook(name, extra=None, *options):
    """Run playbooks/<name> with extra vars; return its exit code and its output on one line."""
    argv, env = playbook_command(name, extra, *options)
    run = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env, check=False)
    return run.returncode, " ".join((run.stdout + run.stderr).split())


def start_playbook(name, extra, output):
    """Start playbooks/<name> as run_playbook runs it, in a session of its own (to be killed whole),
    its output going to the file output; returns the Popen."""
    argv, env = playbook_command(name, extra)
    with open(output, "w", encoding="utf-8") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env)


@pytest.fixture(scope="session")
def playbook():
    return run_playbook


# The page of the bundled sample app (the seed recipe's Hello World).
HELLO = "<h1 style='color:red'>Hello World</h1>"


def make_certificate(directory, name):
    """A self-signed certificate and its key for name, made on the controller as a user brings
    them; returns their paths."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-sha256", "-days", "2", "-nodes",
         "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return str(cert), str(key)


def inventory_host(name):
    """A host of the scenario other than the one a test runs on, by its inventory name."""
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


def served_certificate(host, name, *fields, check=True):
    """What `openssl x509 -noout FIELDS` says of the certificate nginx on the host shows on port 443
    for name (SNI); with check=False, the command's result, for its exit code."""
    command = (f"echo | openssl s_client -connect 127.0.0.1:443 -servername {name} 2>/dev/null"
               f" | openssl x509 -noout {' '.join(fields)}")
    return host.check_output(command) if check else host.run(command)


def wait_served(host, name, path, seconds=10):
    """Waits until nginx serves the certificate in path (on the host) for name: `systemctl reload
    nginx` returns before the new workers take over, so a handshake right after it may still meet
    an old one."""
    want = host.check_output(f"openssl x509 -noout -fingerprint -in {path}")
    deadline = time.monotonic() + seconds
    while True:
        got = served_certificate(host, name, "-fingerprint", check=False).stdout.strip()
        if got == want:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"nginx still serves {got!r} for {name}, not {path} ({want!r}),"
                                 f" {seconds} s after it was reloaded")
        time.sleep(0.2)


LOAD_LOOP = Path(__file__).resolve().parent / "load_loop.py"
SLOW_REQUESTS = Path(__file__).resolve().parent / "slow_requests.py"


def put_script(host, script):
    """Copy one of the scripts beside this file to /root on the host; returns its path there."""
    path = f"/root/{script.name}"
    host.check_output("echo %s | base64 -d > %s", base64.b64encode(script.read_bytes()).decode(), path)
    return path


def slow_requests(host, *args):
    """Run slow_requests.py on the host with args; returns what it printed."""
    return json.loads(host.check_output("timeout 120 python3 %s " + " ".join(["%s"] * len(args)),
                                        put_script(host, SLOW_REQUESTS), *map(str, args)))


def start_load(host, name, url="http://127.0.0.1:81/", threads=4, rate=400, seconds=600, requests=2_000_000,
               bodies=False, cafile=None):
    """Start the load loop on the host, GETs to `url` at most `rate` a second (None: as fast as the
    threads go), counting the 2xx answers by body when `bodies` is set; it ends by itself after
    `seconds` or `requests`, or when load_summary stops it. Returns once it runs."""
    files = {kind: f"/root/{name}.{kind}" for kind in ("stop", "started", "json")}
    put_script(host, LOAD_LOOP)
    host.run("rm -f %s %s %s", *files.values())
    options = f"--threads={threads} --max-seconds={seconds} --max-requests={requests}"
    options += (f" --rate={rate}" if rate else "") + (" --bodies" if bodies else "")
    options += f" --cafile={cafile}" if cafile else ""
    host.check_output(
        "setsid nohup python3 /root/load_loop.py %s --out=%s --stop-file=%s --started-file=%s " + options
        + " >/dev/null 2>&1 &", url, files["json"], files["stop"], files["started"])
    host.check_output("timeout 10 sh -c 'until [ -e %s ]; do sleep 0.2; done'", files["started"])


def load_summary(host, name, stop=True, wait=30):
    """The summary of the load loop `name`, once it ended: at once when `stop` is set, else within
    `wait` seconds."""
    if stop:
        host.check_output("touch /root/%s.stop", name)
    host.check_output("timeout %s sh -c 'until [ -s /root/%s.json ]; do sleep 0.2; done'", str(wait), name)
    return json.loads(host.check_output("cat /root/%s.json", name))


def listeners(host, port):
    """Every TCP socket listening on port, on any address (testinfra's socket check asks for one
    address and misses a listener on 0.0.0.0 or ::)."""
    return host.check_output("ss -Hltn 'sport = :%s'", str(port)).splitlines()


def assert_served_throughout(load, least_rate=100, longest_gap=5.0):
    """A load loop's summary shows the site served the whole change under test: the loop ran until
    the test stopped it (not cut short by its own bounds), no request failed, it kept at least
    least_rate requests a second on average (the set rate is 400: a deploy starved of nothing but
    CPU keeps well over a quarter of it), and no answer took longer than longest_gap seconds after
    the one before (a stall that fails nothing still shows). Each summary is also appended to
    .cache/load-loops.jsonl, with the test's name, for the figures in docs/testing.md."""
    (ROOT / ".cache").mkdir(exist_ok=True)
    with open(ROOT / ".cache" / "load-loops.jsonl", "a") as record:
        record.write(json.dumps(dict(load, test=os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0])) + "\n")
    assert load["stopped_by"] == "stop file", load
    assert load["failed"] == 0, load
    assert load["rate"] >= least_rate, load
    assert load["longest_gap"] <= longest_gap, load


@contextlib.contextmanager
def under_load(host, name, url="http://127.0.0.1:81/", threads=4, rate=400, seconds=600, bodies=False, cafile=None):
    """Keep GETs going through nginx while the block runs, at most `rate` a second; the dict it
    yields gets the load loop's summary afterwards. Bounded: `seconds` or 2,000,000 requests,
    whichever comes first."""
    start_load(host, name, url, threads, rate, seconds, bodies=bodies, cafile=cafile)
    summary = {}
    try:
        yield summary
    finally:
        summary.update(load_summary(host, name))
