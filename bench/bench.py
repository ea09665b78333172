#!/usr/bin/env python3
"""The project's benchmark (`make bench`).

Deploys playbooks/site.yml into a fresh systemd container and measures, in one run:
throughput and latency of gunicorn direct, through nginx with the collection's config, and
through nginx with the seed recipe's config; failed requests under load while the playbook
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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_APP = ROOT / "roles" / "gunicorn" / "files" / "flask_hello"

# The seed recipe's site, as it wrote it, on a port of its own next to ours.
SEED_SITE = """server {
    listen 82;
    server_name _;
    charset utf-8;
    location / {
        proxy_pass http://127.0.0.1:5000;
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

    def playbook(self, playbook, *extra, profile=False):
        """Run a playbook against the container; return seconds, changed count, task times."""
        env = dict(self.env)
        if profile:
            env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.profile_tasks"
            env["PROFILE_TASKS_TASK_OUTPUT_LIMIT"] = "8"
        started = time.monotonic()
        proc = subprocess.run(
            ["ansible-playbook", "-i", "inventory/demo.yml", playbook, *extra],
            cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False,
        )
        seconds = time.monotonic() - started
        if proc.returncode != 0:
            print(proc.stdout[-4000:], file=sys.stderr)
            raise SystemExit(f"bench: {playbook} failed")
        changed = sum(int(n) for n in re.findall(r"\bchanged=(\d+)", proc.stdout))
        slowest = []
        if profile:
            for name, secs in re.findall(r"^(.+?) -{3,} ([\d.]+)s$", proc.stdout, re.M):
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
    def start_container(self):
        self.docker("rm", "-f", self.container, check=False)
        log(f"starting {self.container} from {self.args.image}")
        self.docker(
            "run", "-d", "--name", self.container, "--hostname", self.container,
            "--cap-add", "SYS_ADMIN", "--cgroupns=host",
            "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock",
            self.args.image, "/lib/systemd/systemd",
        )
        self.playbook("molecule/shared/prepare.yml")
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
            "inside the container, GET /",
        }

    def install_seed_site(self):
        self.run_in("sh", "-c", f"cat > /etc/nginx/sites-enabled/seed <<'EOF'\n{SEED_SITE}EOF")
        self.run_in("nginx", "-t")
        self.run_in("systemctl", "reload", "nginx")
        time.sleep(1)

    def throughput(self):
        targets = {
            "direct": "http://127.0.0.1:5000/",
            "nginx_collection": "http://127.0.0.1:81/",
            "nginx_seed": "http://127.0.0.1:82/",
        }
        for url in targets.values():
            self.wrk(url, self.args.connections, 2)
        results = {}
        for name, url in targets.items():
            log(f"throughput: {name}")
            results[name] = self.wrk_with_cpu(url, self.args.connections, self.args.seconds)
            if results[name]["rps"] == 0 or results[name]["errors"]:
                raise SystemExit(f"bench: {name} ({url}) failed under load: {results[name]}")
        direct = results["direct"]["rps"]
        for result in results.values():
            result["ratio_to_direct"] = round(result["rps"] / direct, 2)
        results["nginx_collection"]["ratio_to_seed"] = round(
            results["nginx_collection"]["rps"] / results["nginx_seed"]["rps"], 2
        )
        # With every CPU busy, throughput is inversely proportional to the CPU a request costs.
        results["nginx_collection"]["cpu_bound_ratio_to_direct"] = round(
            results["direct"]["cpu_us_per_request"]["total"]
            / results["nginx_collection"]["cpu_us_per_request"]["total"], 2
        )
        return results

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

    def run(self):
        self.start_container()
        try:
            log("converge: the floor (one task)")
            floor = self.playbook("bench/floor.yml")
            log("converge: fresh run")
            fresh = self.playbook("playbooks/site.yml", profile=True)
            log("converge: no-op run")
            noop = self.playbook("playbooks/site.yml")
            results = {"machine": self.machine(), "converge": {"floor": floor, "fresh": fresh, "noop": noop}}
            if self.args.converge_only:
                return results
            self.install_seed_site()
            results["throughput"] = self.throughput()
            results["redeploy"] = self.redeploys()
            results["slow_clients"] = self.slow_clients()
            return results
        finally:
            if not self.args.keep:
                self.docker("rm", "-f", self.container, check=False)


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
        f"(changed={c['noop']['changed']}); a run of one task against the same container (the floor) "
        f"{c['floor']['seconds']} s."
    )
    if c["fresh"]["slowest_tasks"]:
        lines.append("Slowest tasks of the fresh run: " + "; ".join(
            f"{t['task']} {t['seconds']:.1f} s" for t in c["fresh"]["slowest_tasks"][:5]
        ) + ".")
    return "\n".join(lines)


def throughput_lines(results):
    """The throughput, CPU, redeploy and slow-client tables of a full run."""
    lines = [
        "",
        "| path | req/s | p50 ms | p99 ms | errors | × direct |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = {
        "direct": "gunicorn direct (127.0.0.1:5000)",
        "nginx_collection": "nginx, this collection (:81)",
        "nginx_seed": "nginx, seed recipe's site (:82)",
    }
    for key, label in names.items():
        r = results["throughput"][key]
        lines.append(
            f"| {label} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} "
            f"| {r['ratio_to_direct']:.2f} |"
        )
    lines.append(
        f"\nThis collection's config vs the seed's: "
        f"{results['throughput']['nginx_collection']['ratio_to_seed']:.2f}× the throughput.\n"
    )
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
    lines.append(
        "\nOn CPUs shared by the load, nginx and gunicorn, nginx's share caps the ratio to direct "
        f"at {results['throughput']['nginx_collection']['cpu_bound_ratio_to_direct']:.2f}× "
        "(direct's CPU per request / this collection's).\n"
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
    parser.add_argument("--slow-connections", type=int, default=300)
    parser.add_argument("--json", default=str(ROOT / "bench" / "results.json"))
    parser.add_argument("--keep", action="store_true", help="leave the container running")
    parser.add_argument("--converge-only", action="store_true",
                        help="measure only the fresh and no-op runs (a few minutes instead of ten)")
    args = parser.parse_args()
    if not 1 <= args.seconds <= 60:
        raise SystemExit("bench: --seconds must be between 1 and 60")
    results = Bench(args).run()
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    log(f"JSON written to {args.json}")


if __name__ == "__main__":
    main()
