"""A load balancer in front of two app nodes (playbooks/cluster.yml): nginx spreads requests over
both, each gunicorn listens on its node's private address, a rolling deploy under load loses no
request, and a stopped node costs no request either."""

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import testinfra

ROOT = Path(__file__).resolve().parents[3]
SHOP = ROOT / "molecule" / "roles" / "files" / "shop"
NODES = {"pyweb-app1": "10.213.77.11", "pyweb-app2": "10.213.77.12"}
LB = "10.213.77.10"
testinfra_hosts = ["ansible://pyweb-lb"]

# Runs on the load balancer: GETs through nginx from 4 threads until the stop file appears, the
# time is up or the count is reached; prints the counts and the answers seen.
LOAD = """
import collections, json, os, sys, threading, time, urllib.request
seconds, limit, stop = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
counts, answers, errors, lock = collections.Counter(), collections.Counter(), [], threading.Lock()
end = time.monotonic() + seconds
def loop():
    while time.monotonic() < end and not os.path.exists(stop):
        with lock:
            if counts["sent"] >= limit:
                return
            counts["sent"] += 1
        try:
            with urllib.request.urlopen("http://127.0.0.1:81/", timeout=10) as answer:
                body, ok = answer.read().decode(), answer.status == 200
        except Exception as error:
            body, ok = repr(error), False
        with lock:
            counts["ok" if ok else "failed"] += 1
            answers[body if ok else "error"] += 1
            if not ok and len(errors) < 5:
                errors.append(body)
threads = [threading.Thread(target=loop) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"counts": counts, "answers": answers, "errors": errors}))
"""


def node(name):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


def start_load(host, seconds, limit):
    host.run("rm -f /tmp/load.stop /tmp/load.json")
    host.run("printf '%%s' %s > /tmp/load.py", LOAD)
    host.run("nohup python3 /tmp/load.py %s %s /tmp/load.stop > /tmp/load.json 2>&1 &", str(seconds), str(limit))


def load_result(host, wait=90, stop=True):
    """The load loop's counts, once it ended (at once when stop is set)."""
    if stop:
        host.run("touch /tmp/load.stop")
    for _ in range(wait):
        text = host.run("cat /tmp/load.json").stdout
        if text.strip():
            return json.loads(text)
        time.sleep(1)
    raise AssertionError("the load loop did not finish")


def cluster(extra):
    run = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(ROOT / "playbooks" / "cluster.yml"),
         "-e", json.dumps(extra)],
        capture_output=True, text=True, timeout=900,
        env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"))
    return run.returncode, run.stdout + run.stderr


def servers(host):
    """The server lines of the load balancer's list of app nodes."""
    listed = host.file("/etc/nginx/pyweb-upstreams/shop.conf").content_string
    return [line for line in listed.splitlines() if line.startswith("server ")]


def served_by(name):
    """How many requests a node's gunicorn logged."""
    return int(node(name).check_output("wc -l < /var/log/shop/access.log"))


def test_the_upstream_lists_every_app_node_from_the_inventory(host):
    assert sorted(servers(host)) == [f"server {address}:8000 max_fails=1 fail_timeout=10s;"
                                     for address in sorted(NODES.values())]


@pytest.mark.parametrize("name", NODES)
def test_gunicorn_listens_on_the_node_private_address_only(name):
    app = node(name)
    listening = {socket for socket in app.socket.get_listening_sockets() if socket.endswith(":8000")}
    assert listening == {f"tcp://{NODES[name]}:8000"}
    assert not app.package("nginx").is_installed
    assert f"forwarded_allow_ips = \"{LB}\"" in app.file("/opt/shop/gunicorn.conf.py").content_string


def test_requests_are_spread_over_both_nodes(host):
    before = {name: served_by(name) for name in NODES}
    for _ in range(20):
        assert host.check_output("curl -sS --max-time 5 http://127.0.0.1:81/") == "Hello from the cluster from release 1"
    assert all(served_by(name) > before[name] for name in NODES)


def test_a_rolling_deploy_under_load_fails_no_request(host, tmp_path):
    code = tmp_path / "shop"
    shutil.copytree(SHOP, code)
    (code / "shop" / "RELEASE").write_text("2\n")
    start_load(host, seconds=300, limit=2_000_000)
    try:
        rc, out = cluster({"gunicorn_app_src": str(code)})
    finally:
        result = load_result(host)
    print("rolling deploy under load:", json.dumps(result))
    assert rc == 0, out[-3000:]
    assert result["counts"].get("failed", 0) == 0, result
    assert result["counts"].get("ok", 0) > 200, result
    assert set(result["answers"]) == {"Hello from the cluster from release 1", "Hello from the cluster from release 2"}
    # Each node was taken out of the rotation on the load balancer before its deploy.
    reloads = re.findall(r"Reload nginx with the new list\][ *]*\n(?:ok|changed): \[(pyweb-app[12]) -> pyweb-lb", out)
    assert reloads == ["pyweb-app1", "pyweb-app1", "pyweb-app2", "pyweb-app2"], out[-3000:]  # out and in, per node
    assert not [line for line in servers(host) if line.endswith(" down;")]
    for name in NODES:
        assert node(name).check_output("curl -sS http://%s:8000/", NODES[name]) == "Hello from the cluster from release 2"


def wait_until_serving(name, seconds=120):
    for _ in range(seconds):
        if node(name).run("curl -sS --max-time 2 http://%s:8000/", NODES[name]).rc == 0:
            return
        time.sleep(1)
    raise AssertionError(f"{name} does not serve again")


def test_a_stopped_app_node_fails_no_request(host):
    subprocess.run(["docker", "stop", "--time", "20", "pyweb-app1"], check=True, capture_output=True, timeout=60)
    try:
        start_load(host, seconds=120, limit=400)
        result = load_result(host, wait=150, stop=False)
        print("one app node stopped:", json.dumps(result))
        assert result["counts"].get("failed", 0) == 0, result
        assert result["counts"].get("ok", 0) == 400, result
    finally:
        subprocess.run(["docker", "start", "pyweb-app1"], check=True, capture_output=True, timeout=60)
        # The node comes back by itself, and nginx sends it requests again.
        wait_until_serving("pyweb-app1")
    before = served_by("pyweb-app1")
    time.sleep(10)  # nginx's fail_timeout
    for _ in range(20):
        assert host.run("curl -sS --max-time 5 http://127.0.0.1:81/").stdout.endswith("release 2")
    assert served_by("pyweb-app1") > before
