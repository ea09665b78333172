"""A load balancer in front of two app nodes (playbooks/cluster.yml): nginx spreads requests over
both, each gunicorn listens on its node's private address, a rolling deploy under load loses no
request, a stopped node costs no request either, and a node whose release fails its check stays out
of the rotation while the run stops there."""

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from pyweb_testing import assert_served_throughout, load_summary, playbook_command, start_load, under_load
from pyweb_testing import inventory_host as node

ROOT = Path(__file__).resolve().parents[3]
SHOP = ROOT / "molecule" / "roles" / "files" / "shop"
NODES = {"pyweb-app1": "10.213.77.11", "pyweb-app2": "10.213.77.12"}
LB = "10.213.77.10"
testinfra_hosts = ["ansible://pyweb-lb"]


def cluster(extra):
    """Run playbooks/cluster.yml as the scenario's other tests run a playbook; its output as it came."""
    argv, env = playbook_command("cluster.yml", extra)
    run = subprocess.run(argv, capture_output=True, text=True, timeout=900, env=env, check=False)
    return run.returncode, run.stdout + run.stderr


def servers(host):
    """The server lines of the load balancer's list of app nodes."""
    listed = host.file("/etc/nginx/pyweb-upstreams/shop.conf").content_string
    return [line for line in listed.splitlines() if line.startswith("server ")]


def served_by(name):
    """How many requests a node's gunicorn logged."""
    return int(node(name).check_output("wc -l < /var/log/shop/access.log"))


def test_the_upstream_lists_every_app_node_from_the_inventory(host):
    assert sorted(servers(host)) == [f"server {address}:8000 max_fails=1 fail_timeout=5s;"
                                     for address in sorted(NODES.values())]


@pytest.mark.parametrize("name", NODES)
def test_gunicorn_listens_on_the_node_private_address_only(name):
    app = node(name)
    listening = {socket for socket in app.socket.get_listening_sockets() if socket.endswith(":8000")}
    assert listening == {f"tcp://{NODES[name]}:8000"}
    assert not app.package("nginx").is_installed
    assert f"forwarded_allow_ips = \"{LB}\"" in app.file("/opt/shop/gunicorn.conf.py").content_string


@pytest.mark.parametrize("name", NODES)
def test_only_the_load_balancer_reaches_a_node_gunicorn(host, name):
    url = f"http://{NODES[name]}:8000/"
    assert host.check_output("curl -sS --max-time 5 %s", url) == "Hello from the cluster from release 1"
    # The other node is on the same private network, and is turned away (a reset: refused).
    other = next(other for other in NODES if other != name)
    refused = node(other).run("curl -sS --max-time 5 %s", url)
    assert refused.rc == 7, refused
    # The node itself gets through (its deploy's health checks ask it so).
    assert node(name).check_output("curl -sS --max-time 5 %s", url) == "Hello from the cluster from release 1"
    assert node(name).service("pyweb-firewall-shop").is_enabled


def test_a_run_without_private_addresses_stops_before_any_host_is_changed(host):
    rc, out = cluster({"pyweb_private_network": ""})
    assert rc != 0
    for name in ("pyweb-lb", *NODES):
        assert f"{name} has no private address: set pyweb_app_address on it, or pyweb_private_network" in out, out[-3000:]
    assert "Put nginx in front of every app node" not in out, out[-3000:]
    assert not re.findall(r"changed=[1-9]", out), out[-3000:]


def test_a_node_another_run_holds_stops_the_run_before_any_host_is_changed(host):
    lock = "/run/lock/pyweb-deploy/shop.json"
    other = dict(token="elsewhere:4242:99", controller="ann@elsewhere", pid=4242, since=time.time(),
                 renewed=time.time())
    node("pyweb-app2").run_expect([0], "mkdir -p /run/lock/pyweb-deploy && printf %%s %s > %s",
                                  json.dumps(other), lock)
    try:
        rc, out = cluster({})
    finally:
        held = node("pyweb-app2").run("cat %s", lock).stdout
        node("pyweb-app2").run("rm -f %s", lock)
    assert rc != 0
    assert "shop on pyweb-app2 is being deployed by another run: ann@elsewhere (ansible-playbook pid 4242) since" \
        in " ".join(out.split()), out[-3000:]
    assert "Put nginx in front of every app node" not in out, out[-3000:]
    assert not re.findall(r"changed=[1-9]", out), out[-3000:]
    # The locks this run took on the other hosts were given back; the other run's is as it was.
    assert json.loads(held)["token"] == other["token"]
    for name in ("pyweb-lb", "pyweb-app1"):
        assert not node(name).file(lock).exists, name


def test_requests_are_spread_over_both_nodes(host):
    before = {name: served_by(name) for name in NODES}
    for dummy in range(20):
        assert host.check_output("curl -sS --max-time 5 http://127.0.0.1:81/") == "Hello from the cluster from release 1"
    assert all(served_by(name) > before[name] for name in NODES)


def test_a_rolling_deploy_under_load_fails_no_request(host, tmp_path):
    code = tmp_path / "shop"
    shutil.copytree(SHOP, code)
    (code / "shop" / "RELEASE").write_text("2\n")
    with under_load(host, "rolling-deploy", seconds=900, bodies=True) as result:
        rc, out = cluster({"gunicorn_app_src": str(code)})
    print("rolling deploy under load:", json.dumps(result))
    assert rc == 0, out[-3000:]
    assert_served_throughout(result)
    assert set(result["bodies"]) == {"Hello from the cluster from release 1", "Hello from the cluster from release 2"}
    # Each node was taken out of the rotation on the load balancer before its deploy.
    reloads = re.findall(r"Reload nginx with the new list\][ *]*\n(?:ok|changed): \[(pyweb-app[12]) -> pyweb-lb", out)
    assert reloads == ["pyweb-app1", "pyweb-app1", "pyweb-app2", "pyweb-app2"], out[-3000:]  # out and in, per node
    assert not [line for line in servers(host) if line.endswith(" down;")]
    for name in NODES:
        assert node(name).check_output("curl -sS http://%s:8000/", NODES[name]) == "Hello from the cluster from release 2"


def wait_until_serving(name, seconds=120):
    for dummy in range(seconds):
        if node(name).run("curl -sS --max-time 2 http://%s:8000/", NODES[name]).rc == 0:
            return
        time.sleep(1)
    raise AssertionError(f"{name} does not serve again")


def test_a_stopped_app_node_fails_no_request(host):
    subprocess.run(["docker", "stop", "--time", "20", "pyweb-app1"], check=True, capture_output=True, timeout=60)
    try:
        # 5,000 requests at 400 a second: past two of nginx's fail_timeouts (5 s here), so the
        # stopped node is tried again after the first and must still cost no request.
        start_load(host, "node-stopped", seconds=120, requests=5_000)
        result = load_summary(host, "node-stopped", stop=False, wait=150)
        print("one app node stopped:", json.dumps(result))
        assert result["failed"] == 0, result
        assert result["ok"] == 5_000 and result["seconds"] >= 10, result
    finally:
        subprocess.run(["docker", "start", "pyweb-app1"], check=True, capture_output=True, timeout=60)
        # The node comes back by itself, and nginx sends it requests again.
        wait_until_serving("pyweb-app1")
    # Its firewall table came back with it: the other node is still turned away.
    assert node("pyweb-app2").run("curl -sS --max-time 5 http://%s:8000/", NODES["pyweb-app1"]).rc == 7
    before = served_by("pyweb-app1")
    time.sleep(5)  # nginx's fail_timeout
    for dummy in range(20):
        assert host.run("curl -sS --max-time 5 http://127.0.0.1:81/").stdout.endswith("release 2")
    assert served_by("pyweb-app1") > before


def test_a_node_whose_release_fails_its_check_stays_out_and_the_run_stops_there(host, tmp_path):
    code = tmp_path / "shop"
    shutil.copytree(SHOP, code)
    (code / "shop" / "RELEASE").write_text("3\n")
    releases_before = {name: node(name).check_output("ls /opt/shop/releases").split() for name in NODES}
    with under_load(host, "failing-release", seconds=900, bodies=True) as result:
        # Release 3 answers 404 at the health-check path: refused on the first node, before its switch.
        # Four tries are enough to see a 404; the default fifteen would only make the test longer.
        rc, out = cluster({"gunicorn_app_src": str(code), "gunicorn_healthcheck_path": "/no-such-page",
                           "gunicorn_healthcheck_retries": 4})
    print("a failing release under load:", json.dumps(result))
    assert rc != 0, out[-3000:]
    assert "fatal: [pyweb-app1]" in out and "no request reached it" in out, out[-3000:]
    # The first node keeps release 2 and stays out of the rotation; the run never reached the second.
    down = [line.split()[1] for line in servers(host) if line.endswith(" down;")]
    assert down == [f"{NODES['pyweb-app1']}:8000"], servers(host)
    for name in NODES:
        assert node(name).check_output("curl -sS http://%s:8000/", NODES[name]) == "Hello from the cluster from release 2"
        assert node(name).check_output("ls /opt/shop/releases").split() == releases_before[name]
    assert_served_throughout(result)
    assert set(result["bodies"]) == {"Hello from the cluster from release 2"}, result

    # The next good deploy puts the node back.
    rc, out = cluster({"gunicorn_app_src": str(code)})
    assert rc == 0, out[-3000:]
    assert not [line for line in servers(host) if line.endswith(" down;")]
    for name in NODES:
        assert node(name).check_output("curl -sS http://%s:8000/", NODES[name]) == "Hello from the cluster from release 3"


def test_a_node_whose_release_fails_a_page_under_traffic_is_switched_back_and_the_run_stops(host, tmp_path):
    code = tmp_path / "shop"
    shutil.copytree(SHOP, code)
    (code / "shop" / "RELEASE").write_text("4\n")
    # Release 4 answers its health check and its home page, and fails one page of its own.
    app = code / "shop" / "__init__.py"
    app.write_text(app.read_text().replace('    @app.route("/welcome")', '    @app.route("/orders")\n    def orders():\n'
                                           '        raise RuntimeError("orders are broken")\n\n'
                                           '    @app.route("/welcome")', 1))
    assert "orders are broken" in app.read_text()
    releases_before = {name: node(name).check_output("ls /opt/shop/releases").split() for name in NODES}
    with under_load(host, "watch-home", seconds=900, rate=50) as home, \
            under_load(host, "watch-orders", url="http://127.0.0.1:81/orders", seconds=900, rate=50) as orders:
        rc, out = cluster({"gunicorn_app_src": str(code), "gunicorn_watch_seconds": 60})
    print("a release failing a page under load:", json.dumps(home), json.dumps(orders))
    assert rc != 0, out[-3000:]
    # The first node's release was watched from the load balancer and switched back; the run names
    # the page, and never reached the second node.
    assert "fatal: [pyweb-app1" in out and "passed its health check, then failed its watch" in out, out[-3000:]
    assert re.search(r"Failing: /orders \d+× 500\.", out), out[-3000:]
    for name in NODES:
        assert node(name).check_output("curl -sS http://%s:8000/", NODES[name]) == "Hello from the cluster from release 3"
        assert node(name).check_output("ls /opt/shop/releases").split() == releases_before[name]
    assert not [line for line in servers(host) if line.endswith(" down;")]
    last = json.loads(node("pyweb-app1").check_output("tail -n 1 /opt/shop/history.jsonl"))
    assert last["result"] == "switched back" and "/orders" in last["reason"], last
    # Not one request to the home page failed; the page failed only with 500, while release 4 served
    # it, and with the 404 of release 3 before and after.
    assert_served_throughout(home, least_rate=25)
    assert set(orders["by_status"]) <= {"404", "500"} and orders["by_status"].get("500", 0) >= 5, orders
    assert orders["stopped_by"] == "stop file", orders
