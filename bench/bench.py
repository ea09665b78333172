#!/usr/bin/env python3
"""The project's benchmark (`make bench`).

Deploys playbooks/site.yml into a fresh systemd container and measures, in one run:
throughput and latency of gunicorn direct, through nginx with the collection's config, of the seed
recipe's bare gunicorn (its own config) and of the seed's whole stack (its nginx site in front of
it), in alternating rounds; failed requests under load while the playbook
redeploys code, changes gunicorn's config and changes nginx's config; latency under a few hundred
slow clients; and the converge time of a fresh and of a no-op run. Prints a table and writes
JSON. All traffic stays on the container's loopback; every load is bounded in time.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import many_hosts  # noqa: E402 (the bench's own modules, beside it)
from containers import changed_per_host, run_playbook, start_systemd_container  # noqa: E402
SAMPLE_APP = ROOT / "roles" / "gunicorn" / "files" / "flask_hello"
# Passed to every playbook the bench times: the deploys are timed without the watch after a switch.
NO_WATCH = ("-e", "gunicorn_watch_seconds=0")

# The seed recipe's gunicorn config (hello_gunicorn.py) as it wrote it, but on a port of its own
# next to ours, run from the deployed release's virtualenv by the app user in a directory of its own.
SEED_GUNICORN = """import multiprocessing
bind = '127.0.0.1:5001'
worker_class = 'gevent'
workers = multiprocessing.cpu_count()
daemon = True
loglevel = 'debug'
errorlog = './log/error.log'
accesslog = './log/access.log'
"""
SEED_DIR = "/srv/seed"
APP_USER = "flask_hello"
RELEASE = "/opt/flask_hello/current"

# The seed recipe's site, as it wrote it, on a port of its own next to ours, in front of the
# seed's gunicorn: the seed's whole stack.
SEED_SITE = """server {
    listen 82;
    server_name _;
    charset utf-8;
    location / {
        proxy_pass http://127.0.0.1:5001;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
}
"""

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def to_ms(value):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * UNITS[unit]


def parse_wrk(text):
    """The figures of one wrk --latency run."""

    def find(pattern):
        match = re.search(pattern, text, re.M)
        if not match:
            raise ValueError(f"no {pattern!r} in wrk's report:\n{text}")
        return match.group(1)

    result = {
        "requests": int(find(r"(\d+) requests in")),
        "rps": float(find(r"Requests/sec:\s+([\d.]+)")),
        "p50_ms": to_ms(find(r"^\s+50%\s+(\S+)")),
        "p99_ms": to_ms(find(r"^\s+99%\s+(\S+)")),
        "non_2xx": 0,
        "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0},
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non_2xx:
        result["non_2xx"] = int(non_2xx.group(1))
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if errors:
        result["socket_errors"] = dict(
            zip(("connect", "read", "write", "timeout"), map(int, errors.groups()))
        )
    result["errors"] = result["non_2xx"] + sum(result["socket_errors"].values())
    return result


def cpu_per_request(cpu_seconds, requests):
    """Microseconds of CPU per request: gunicorn, nginx, the load generator, everything else."""
    groups = {"gunicorn": 0.0, "nginx": 0.0, "load": 0.0, "other": 0.0}
    for name, seconds in cpu_seconds.items():
        if name.endswith("(load)"):
            group = "load"
        elif name in ("gunicorn", "nginx"):
            group = name
        else:
            group = "other"
        groups[group] += seconds
    per_request = {k: round(v * 1e6 / requests, 1) for k, v in groups.items()}
    per_request["total"] = round(sum(groups.values()) * 1e6 / requests, 1)
    return per_request


class Bench:
    def __init__(self, args):
        self.args = args
        self.container = args.container
        self.env = dict(os.environ, PYWEB_DEMO_CONTAINER=self.container, ANSIBLE_NOCOLOR="1")

    # -- plumbing -----------------------------------------------------------------------------
    def docker(self, *argv, check=True, capture=True):
        return subprocess.run(
            ["docker", *argv], check=check, text=True,
            stdout=subprocess.PIPE if capture else None,
        ).stdout

    def run_in(self, *argv, check=True):
        return self.docker("exec", self.container, *argv, check=check)

    def playbook(self, playbook, *extra, profile=False, container=None):
        """Run a playbook against the container; return seconds, changed count, task times."""
        env = dict(self.env)
        if container:
            env["PYWEB_DEMO_CONTAINER"] = container
        if self.args.peer_roles:
            env["ANSIBLE_ROLES_PATH"] = str(Path(self.args.peer_roles).resolve())
        if profile:
            env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.profile_tasks"
            env["PROFILE_TASKS_TASK_OUTPUT_LIMIT"] = "8"
        seconds, output = run_playbook(["-i", "inventory/demo.yml", playbook, *NO_WATCH, *extra], env,
                                       f"bench: {playbook} failed")
        changed = sum(changed_per_host(output))
        slowest = []
        if profile:
            for name, secs in re.findall(r"^(.+?) -{3,} ([\d.]+)s$", output, re.M):
                slowest.append({"task": name.strip(), "seconds": float(secs)})
        return {"seconds": round(seconds, 1), "changed": changed, "slowest_tasks": slowest}

    def wrk(self, url, connections, seconds, threads=2):
        out = self.run_in(
            "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
            "--latency", url,
        )
        return parse_wrk(out)

    def wrk_with_cpu(self, url, connections, seconds, threads=2):
        """One wrk run, and the CPU time each program spent per request meanwhile."""
        split = json.loads(self.run_in(
            "python3", "/root/cpu_split.py", "--", "wrk", f"-t{threads}", f"-c{connections}",
            f"-d{seconds}s", "--timeout", "5s", "--latency", url,
        ))
        result = parse_wrk(split["output"])
        result["cpu_us_per_request"] = cpu_per_request(split["cpu_seconds"], result["requests"])
        return result

    # -- steps --------------------------------------------------------------------------------
    def start_container(self, name):
        """A fresh test host of the bench's image, prepared as the scenarios prepare theirs."""
        log(f"starting {name} from {self.args.image}")
        start_systemd_container(name, self.args.image)
        self.playbook("molecule/shared/prepare.yml", container=name)

    def start_bench_container(self):
        """The bench's own host, with the load generator and the bench's helpers in it."""
        self.start_container(self.container)
        log("installing wrk in the container")
        self.run_in("apt-get", "install", "-y", "-qq", "wrk")
        for script in ("slow_clients.py", "cpu_split.py"):
            self.docker("cp", str(ROOT / "bench" / script), f"{self.container}:/root/")
        self.docker(
            "cp", str(ROOT / "molecule" / "shared" / "load_loop.py"), f"{self.container}:/root/"
        )

    def machine(self):
        cpu = "unknown"
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        return {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpus": os.cpu_count(),
            "cpu": cpu,
            "kernel": platform.release(),
            "image": self.args.image,
            "target": self.run_in("sh", "-c", ". /etc/os-release; echo $PRETTY_NAME").strip(),
            "nginx": self.run_in("sh", "-c", "nginx -v 2>&1").strip().split("/")[-1],
            "gunicorn": self.run_in(
                "sh", "-c", "/opt/flask_hello/current/venv/bin/python -m gunicorn --version"
            ).strip().split()[-1].strip(")"),
            "load": f"wrk -t2 -c{self.args.connections} -d{self.args.seconds}s, "
            f"inside the container, GET /, {self.args.rounds} alternating rounds, medians",
        }

    def install_seed(self):
        """The seed's gunicorn, started as the recipe starts it (it daemonises), and its site."""
        self.run_in("install", "-d", "-o", APP_USER, "-g", APP_USER, SEED_DIR, f"{SEED_DIR}/log")
        self.run_in("install", "-o", APP_USER, "-m", "0644", f"{RELEASE}/flask_hello.py", SEED_DIR)
        self.run_in("sh", "-c", f"cat > {SEED_DIR}/hello_gunicorn.py <<'EOF'\n{SEED_GUNICORN}EOF")
        self.docker("exec", "-u", APP_USER, "-w", SEED_DIR, self.container,
                    f"{RELEASE}/venv/bin/gunicorn", "flask_hello:app", "-c", "hello_gunicorn.py")
        self.run_in("sh", "-c", f"cat > /etc/nginx/sites-enabled/seed <<'EOF'\n{SEED_SITE}EOF")
        self.run_in("nginx", "-t")
        self.run_in("systemctl", "reload", "nginx")
        for url in ("http://127.0.0.1:5001/", "http://127.0.0.1:82/"):
            self.run_in("curl", "-sSf", "--retry", "10", "--retry-connrefused", "--retry-delay", "1",
                        "-o", "/dev/null", url)

    def throughput(self):
        targets = {
            "direct": "http://127.0.0.1:5000/",
            "nginx_collection": "http://127.0.0.1:81/",
            "seed_gunicorn": "http://127.0.0.1:5001/",
            "nginx_seed": "http://127.0.0.1:82/",
        }
        for url in targets.values():
            self.wrk(url, self.args.connections, 2)
        runs = {name: [] for name in targets}
        for round_number in range(1, self.args.rounds + 1):
            for name, url in targets.items():
                log(f"throughput, round {round_number} of {self.args.rounds}: {name}")
                result = self.wrk_with_cpu(url, self.args.connections, self.args.seconds)
                if result["rps"] == 0 or result["errors"]:
                    raise SystemExit(f"bench: {name} ({url}) failed under load: {result}")
                runs[name].append(result)
        return compare(runs)

    def under_load(self, name, *extra):
        """Failed requests through nginx while site.yml applies a change.

        The load is the project's load loop (molecule/shared/load_loop.py): keep-alive GETs from
        8 threads, a GET sent again on a new connection when a kept-alive one was closed under it
        (as browsers do), stopped 2 s after the playbook ends and at most after 300 s.
        """
        log(f"redeploy under load: {name}")
        self.run_in("rm", "-f", "/root/load.stop", "/root/load.json", "/root/load.started")
        load = subprocess.Popen(
            ["docker", "exec", self.container, "python3", "/root/load_loop.py",
             "http://127.0.0.1:81/", "--out=/root/load.json", "--stop-file=/root/load.stop",
             "--started-file=/root/load.started", "--threads=8", "--max-seconds=300"],
        )
        time.sleep(2)
        run = self.playbook("playbooks/site.yml", *extra)
        time.sleep(2)
        self.run_in("touch", "/root/load.stop")
        load.wait(timeout=60)
        result = json.loads(self.run_in("cat", "/root/load.json"))
        result.update(playbook_seconds=run["seconds"], changed=run["changed"])
        return result

    def redeploys(self):
        work = Path(tempfile.mkdtemp(prefix="pyweb-bench-"))
        try:
            app = work / "app"
            shutil.copytree(SAMPLE_APP, app)
            with open(app / "flask_hello.py", "a") as handle:
                handle.write("\n# release 2\n")
            code = ("-e", f"gunicorn_app_src={app}")
            results = {"code": self.under_load("code", *code)}
            config = (*code, "-e", "gunicorn_timeout=31")
            results["gunicorn_config"] = self.under_load("gunicorn_config", *config)
            nginx = (*config, "-e", "nginx_access_log_flush=6s")
            results["nginx_config"] = self.under_load("nginx_config", *nginx)
        finally:
            shutil.rmtree(work)
        return results

    def slow_clients(self):
        url = "http://127.0.0.1:81/"
        connections = self.args.slow_connections
        log("latency without slow clients")
        calm = self.wrk(url, 10, self.args.seconds)
        log(f"latency with {connections} slow clients")
        slow = subprocess.Popen(
            ["docker", "exec", self.container, "python3", "/root/slow_clients.py",
             f"--connections={connections}", f"--seconds={self.args.seconds + 10}"],
            text=True, stdout=subprocess.PIPE,
        )
        time.sleep(3)
        loaded = self.wrk(url, 10, self.args.seconds)
        out, dummy = slow.communicate(timeout=self.args.seconds + 60)
        return {
            "slow_connections": connections,
            "slow_client_report": out.strip().splitlines(),
            "calm": calm,
            "with_slow_clients": loaded,
            "p99_ratio": round(loaded["p99_ms"] / calm["p99_ms"], 2),
        }

    def converge(self, playbook, source_variable, name=None, profile=False):
        """A fresh run, a no-op run and a run with new app code (nothing else changed), one after
        another against a fresh container, without load."""
        work = Path(tempfile.mkdtemp(prefix="pyweb-bench-"))
        try:
            app = work / "app"
            shutil.copytree(SAMPLE_APP, app)
            source = ("-e", f"{source_variable}={app}")
            log(f"converge {playbook}: fresh run")
            fresh = self.playbook(playbook, *source, profile=profile, container=name)
            log(f"converge {playbook}: no-op run")
            noop = self.playbook(playbook, *source, container=name)
            with open(app / "flask_hello.py", "a") as handle:
                handle.write("\n# new code, deployed without load\n")
            log(f"converge {playbook}: new code")
            code = self.playbook(playbook, *source, container=name)
            # Each composition serves its page through nginx, whatever the runs took.
            self.docker("exec", name or self.container, "curl", "-sSf", "--retry", "5",
                        "--retry-connrefused", "--retry-delay", "1", "-o", "/dev/null",
                        "http://127.0.0.1:81/")
        finally:
            shutil.rmtree(work)
        return {"fresh": fresh, "noop": noop, "new_code": code}

    def peer(self):
        """The same three runs of bench/peer.yml (the geerlingguy roles) in a container of its own."""
        name = f"{self.container}-peer"
        self.start_container(name)
        try:
            return self.converge("bench/peer.yml", "peer_app_src", name=name)
        finally:
            self.docker("rm", "-f", name, check=False)

    def run(self):
        self.start_bench_container()
        try:
            log("converge: the floor (one task)")
            floor = self.playbook("bench/floor.yml")
            results = {"converge": dict(floor=floor, **self.converge(
                "playbooks/site.yml", "gunicorn_app_src", profile=True))}
            results["machine"] = self.machine()
            if self.args.peer_roles:
                results["peer"] = compare_peer(results["converge"], self.peer())
            if self.args.converge_only:
                return results
            self.install_seed()
            results["throughput"] = self.throughput()
            results["redeploy"] = self.redeploys()
            results["slow_clients"] = self.slow_clients()
            return results
        finally:
            if not self.args.keep:
                self.docker("rm", "-f", self.container, check=False)


# The goals against the peer composition, same image, same connection, same run: ours / theirs.
PEER_GOALS = {"fresh": 0.5, "noop": 0.25}
NEW_CODE_GOAL_SECONDS = 15


def compare_peer(ours, theirs):
    """The peer's three runs beside ours, and whether each goal is met."""
    goals = {}
    for run, goal in PEER_GOALS.items():
        ratio = round(ours[run]["seconds"] / theirs[run]["seconds"], 2)
        goals[f"{run}: ours / peer's"] = {"ratio": ratio, "goal": goal, "met": ratio <= goal}
    seconds = ours["new_code"]["seconds"]
    goals["new code, ours (s)"] = {"ratio": seconds, "goal": NEW_CODE_GOAL_SECONDS,
                                   "met": seconds <= NEW_CODE_GOAL_SECONDS}
    return {"runs": theirs, "goals": goals}


def median_of(runs):
    """One target's rounds: the medians of its figures, and every round's req/s."""
    median = {key: statistics.median(run[key] for run in runs)
              for key in ("rps", "p50_ms", "p99_ms")}
    median["cpu_us_per_request"] = {
        key: statistics.median(run["cpu_us_per_request"][key] for run in runs)
        for key in runs[0]["cpu_us_per_request"]}
    median["requests"] = sum(run["requests"] for run in runs)
    median["errors"] = sum(run["errors"] for run in runs)
    median["rounds_rps"] = [run["rps"] for run in runs]
    return median


# The goals of the serving figures, each a ratio of two medians of the same run.
GOALS = {
    "nginx_collection/direct": 0.85,
    "nginx_collection/seed_gunicorn": 1.0,
    "nginx_collection/nginx_seed": 2.0,
}


def compare(runs):
    """Medians of each target's rounds, the ratios between them, and whether each goal is met."""
    results = {name: median_of(target_runs) for name, target_runs in runs.items()}
    direct = results["direct"]["rps"]
    for result in results.values():
        result["ratio_to_direct"] = round(result["rps"] / direct, 2)
    ours = results["nginx_collection"]
    ratios = {}
    for pair, goal in GOALS.items():
        mine, other = pair.split("/")
        ratio = round(results[mine]["rps"] / results[other]["rps"], 3)
        ratios[pair] = {"ratio": ratio, "goal": goal, "met": ratio >= goal}
    ratios["p99 nginx_collection <= direct"] = {
        "ratio": round(ours["p99_ms"] / results["direct"]["p99_ms"], 3), "goal": 1.0,
        "met": ours["p99_ms"] <= results["direct"]["p99_ms"]}
    results["goals"] = ratios
    # With every CPU busy, throughput is inversely proportional to the CPU a request costs: the
    # ratio to direct can be no better than direct's CPU per request over ours through nginx.
    ours["cpu_bound_ratio_to_direct"] = round(
        results["direct"]["cpu_us_per_request"]["total"] / ours["cpu_us_per_request"]["total"], 2)
    # And no better than that even if gunicorn cost nothing more behind nginx than direct.
    ours["nginx_cap_to_direct"] = round(
        results["direct"]["cpu_us_per_request"]["total"]
        / (results["direct"]["cpu_us_per_request"]["total"] + ours["cpu_us_per_request"]["nginx"]), 2)
    return results


def table(results):
    m = results["machine"]
    lines = [
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), kernel {m['kernel']}; target {m['target']} in a "
        f"container ({m['image']}), nginx {m['nginx']}, gunicorn {m['gunicorn']}; {m['date']}.",
    ]
    if "throughput" in results:
        lines += [f"Load: {m['load']}."] + throughput_lines(results)
    c = results["converge"]
    lines.append(
        f"Converge: fresh run {c['fresh']['seconds']} s, no-op re-run {c['noop']['seconds']} s "
        f"(changed={c['noop']['changed']}), new app code {c['new_code']['seconds']} s; a run of one "
        f"task against the same container (the floor) {c['floor']['seconds']} s."
    )
    if c["fresh"]["slowest_tasks"]:
        lines.append("Slowest tasks of the fresh run: " + "; ".join(
            f"{t['task']} {t['seconds']:.1f} s" for t in c["fresh"]["slowest_tasks"][:5]
        ) + ".")
    if "peer" in results:
        lines += peer_lines(c, results["peer"])
    return "\n".join(lines)


def peer_lines(ours, peer):
    """Ours beside the peer composition (bench/peer.yml), run for run."""
    lines = ["", "| run (same image, connection and run) | this collection s | geerlingguy roles s |",
             "| --- | ---: | ---: |"]
    for key, label in (("fresh", "fresh"), ("noop", "no-op"), ("new_code", "new app code")):
        lines.append(f"| {label} | {ours[key]['seconds']} | {peer['runs'][key]['seconds']} |")
    lines += ["", "| goal | figure | goal | met |", "| --- | ---: | ---: | --- |"]
    for name, goal in peer["goals"].items():
        lines.append(f"| {name} | {goal['ratio']} | ≤ {goal['goal']} | {'yes' if goal['met'] else 'no'} |")
    return lines


def throughput_lines(results):
    """The throughput, CPU, redeploy and slow-client tables of a full run."""
    lines = [
        "",
        "| path | req/s | p50 ms | p99 ms | errors | × direct |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = {
        "direct": "this collection's gunicorn direct (127.0.0.1:5000)",
        "nginx_collection": "this collection, through its nginx site (:81)",
        "seed_gunicorn": "the seed's bare gunicorn, its own config (127.0.0.1:5001)",
        "nginx_seed": "the seed's whole stack, through its nginx site (:82)",
    }
    for key, label in names.items():
        r = results["throughput"][key]
        lines.append(
            f"| {label} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} "
            f"| {r['ratio_to_direct']:.2f} |"
        )
    lines += ["", "| goal (medians of the same run) | ratio | goal | met |", "| --- | ---: | ---: | --- |"]
    for pair, goal in results["throughput"]["goals"].items():
        relation = "≤" if pair.startswith("p99") else "≥"
        lines.append(f"| {pair} | {goal['ratio']:.3f} | {relation} {goal['goal']} "
                     f"| {'yes' if goal['met'] else 'no'} |")
    lines += [""]
    lines += [
        "CPU time per request during those runs (µs; every CPU was busy):",
        "",
        "| path | gunicorn | nginx | wrk | other | total |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, label in names.items():
        c = results["throughput"][key]["cpu_us_per_request"]
        lines.append(
            f"| {label} | {c['gunicorn']:.0f} | {c['nginx']:.0f} | {c['load']:.0f} "
            f"| {c['other']:.0f} | {c['total']:.0f} |"
        )
    ours = results["throughput"]["nginx_collection"]
    lines.append(
        "\nOn CPUs shared by the load, nginx and gunicorn, the CPU per request caps the ratio to "
        f"direct at {ours['cpu_bound_ratio_to_direct']:.2f}× (direct's CPU per request / this "
        f"collection's), and nginx's own share alone at {ours['nginx_cap_to_direct']:.2f}× "
        "(even if gunicorn spent no more per request behind nginx than direct).\n"
    )
    lines += [
        "| change applied by site.yml under load | requests | failed | retried on a closed "
        "keep-alive connection | playbook s |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for key, label in (("code", "new app code"), ("gunicorn_config", "gunicorn config"),
                       ("nginx_config", "nginx config")):
        r = results["redeploy"][key]
        lines.append(
            f"| {label} | {r['requests']} | {r['failed']} | {r['retried_on_closed_keepalive']} "
            f"| {r['playbook_seconds']} |"
        )
    s = results["slow_clients"]
    lines += [
        "",
        f"Slow clients: {s['slow_connections']} connections trickling a header byte a second; "
        f"wrk -c10 p99 {s['calm']['p99_ms']:.2f} ms without them, "
        f"{s['with_slow_clients']['p99_ms']:.2f} ms with them ({s['p99_ratio']:.2f}×), "
        f"errors {s['with_slow_clients']['errors']}.",
    ]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default=os.environ.get(
        "MOLECULE_IMAGE", "pyweb-deploy/debian:bookworm"))
    parser.add_argument("--container", default="pyweb-bench")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds of the throughput runs, of which the medians count")
    parser.add_argument("--slow-connections", type=int, default=300)
    parser.add_argument("--json", default=str(ROOT / "bench" / "results.json"))
    parser.add_argument("--keep", action="store_true", help="leave the container running")
    parser.add_argument("--hosts", default="1,4,10",
                        help="the many-hosts step's numbers of hosts (at most 10); 0 leaves it out")
    parser.add_argument("--peer-roles", default=os.environ.get("PYWEB_PEER_ROLES"),
                        help="a directory with geerlingguy.nginx, geerlingguy.pip and "
                        "geerlingguy.supervisor: runs bench/peer.yml beside site.yml")
    parser.add_argument("--converge-only", action="store_true",
                        help="measure only the fresh and no-op runs (a few minutes instead of ten)")
    args = parser.parse_args()
    if not 1 <= args.seconds <= 60:
        raise SystemExit("bench: --seconds must be between 1 and 60")
    if not 1 <= args.rounds <= 9:
        raise SystemExit("bench: --rounds must be between 1 and 9")
    sizes = [int(n) for n in args.hosts.split(",") if n.strip() != "0"]
    if not all(1 <= n <= 10 for n in sizes):
        raise SystemExit("bench: --hosts must be numbers from 1 to 10, or 0")
    results = Bench(args).run()
    if sizes and not args.converge_only:
        with tempfile.TemporaryDirectory(prefix="pyweb-many-") as work:
            results["many_hosts"] = many_hosts.ManyHosts(args.image, sizes, Path(work)).run()
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    if "many_hosts" in results:
        print("\n" + many_hosts.table(results["many_hosts"]))
    log(f"JSON written to {args.json}")


if __name__ == "__main__":
    main()
