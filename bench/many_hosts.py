#!/usr/bin/env python3
"""Many hosts at the cost of one: site.yml against 1, 4 and 10 hosts (`make bench`, or alone).

Starts up to 10 systemd containers from the same image, deploys site.yml to all of them once, then
measures against the first 1, 4 and 10 (`--limit`): a no-op run, and a run that brings new app
code to each. For each run: the wall time, and the CPU the controller spent (ansible-playbook,
its forks and their `docker exec` clients) per host. Each size runs with forks at Ansible's
default (5) and at the number of hosts. All containers are removed at the end.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from containers import changed_per_host, run_playbook, start_systemd_container  # noqa: E402
SAMPLE_APP = ROOT / "roles" / "gunicorn" / "files" / "flask_hello"
PREFIX = "pyweb-many-"


def log(message):
    print(f"many-hosts: {message}", file=sys.stderr, flush=True)


def inventory(names):
    """A YAML inventory (JSON is YAML) of the containers, as inventory/demo.yml reaches its one."""
    hosts = {name: {"ansible_connection": "community.docker.docker", "ansible_host": name,
                    "ansible_python_interpreter": "/usr/bin/python3", "ansible_pipelining": True,
                    "pyweb_server_name": "_"} for name in names}
    return {"all": {"children": {"web": {"hosts": hosts}}}}


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def per_host(run, hosts):
    """A run's figures and its controller CPU per host."""
    return dict(run, hosts=hosts, controller_cpu_per_host=round(run["controller_cpu"] / hosts, 2))


class ManyHosts:
    def __init__(self, image, sizes, work):
        self.image = image
        self.sizes = sorted(sizes)
        self.names = [f"{PREFIX}{n}" for n in range(1, max(self.sizes) + 1)]
        self.work = work
        self.inventory = work / "inventory.json"
        self.inventory.write_text(json.dumps(inventory(self.names)))
        self.env = dict(os.environ, ANSIBLE_NOCOLOR="1")

    def playbook(self, playbook, *extra, forks=5, limit=None):
        """Run a playbook; return its wall time, the controller CPU it took, and changed tasks."""
        # The watch after a switch waits by design: the deploys are timed without it.
        argv = ["-i", str(self.inventory), f"--forks={forks}", playbook, "-e", "gunicorn_watch_seconds=0", *extra]
        if limit:
            argv.append(f"--limit={','.join(limit)}")
        cpu_before = children_cpu()
        seconds, output = run_playbook(argv, self.env, f"many-hosts: {playbook} failed")
        changed = changed_per_host(output)
        return {"seconds": round(seconds, 1), "controller_cpu": round(children_cpu() - cpu_before, 1),
                "changed": sum(changed), "hosts_changed": sum(1 for n in changed if n)}

    def start(self):
        self.remove()
        log(f"starting {len(self.names)} containers from {self.image}")
        for name in self.names:
            start_systemd_container(name, self.image)

    def remove(self):
        subprocess.run(["docker", "rm", "-f", *self.names], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def run(self):
        self.start()
        try:
            forks = len(self.names)
            log("preparing them")
            self.playbook("molecule/shared/prepare.yml", forks=forks)
            # Every run names the same source, whose code changes only for the new-code runs.
            app = self.work / "app"
            shutil.copytree(SAMPLE_APP, app)
            source = ("-e", f"gunicorn_app_src={app}")
            log(f"deploying site.yml to all {len(self.names)} (forks={forks})")
            fresh = per_host(self.playbook("playbooks/site.yml", *source, forks=forks), len(self.names))
            results = {"fresh_all": fresh, "sizes": {}}
            release = 1
            # Largest first: each size's hosts are the first of the larger one's, so every host
            # a no-op reaches has the code of the last run that reached it.
            for size in reversed(self.sizes):
                limit = self.names[:size]
                # Ansible's default of 5 forks, and one per host (more forks than hosts do nothing).
                for fork_count in sorted({min(5, size), size}):
                    key = f"{size} hosts, forks={fork_count}"
                    log(f"no-op: {key}")
                    noop = per_host(self.playbook("playbooks/site.yml", *source, forks=fork_count,
                                                  limit=limit), size)
                    release += 1
                    with open(app / "flask_hello.py", "a") as handle:
                        handle.write(f"\n# release {release}\n")
                    log(f"new code: {key}")
                    code = per_host(self.playbook("playbooks/site.yml", *source, forks=fork_count,
                                                  limit=limit), size)
                    if noop["changed"] or code["hosts_changed"] != size:
                        raise SystemExit(f"many-hosts: {key}: the no-op changed {noop['changed']} "
                                         f"tasks, the new code reached {code['hosts_changed']} hosts")
                    results["sizes"][key] = {"hosts": size, "forks": fork_count, "noop": noop,
                                             "new_code": code}
            one = min(r["noop"]["seconds"] for r in results["sizes"].values() if r["hosts"] == 1)
            most = max(self.sizes)
            best = min(r["noop"]["seconds"] for r in results["sizes"].values() if r["hosts"] == most)
            results["goals"] = {
                f"no-op {most} hosts / 1 host": {"ratio": round(best / one, 2), "goal": 2.0,
                                                 "met": best / one <= 2.0},
                "controller CPU per host per no-op (s)": {
                    "worst": max(r["noop"]["controller_cpu_per_host"] for r in results["sizes"].values()),
                    "goal": 2.0},
            }
            worst = results["goals"]["controller CPU per host per no-op (s)"]
            worst["met"] = worst["worst"] <= 2.0
            return results
        finally:
            self.remove()


def table(results):
    lines = [
        f"Many hosts: a fresh site.yml to all of them took {results['fresh_all']['seconds']} s "
        f"({results['fresh_all']['controller_cpu_per_host']} s of controller CPU per host).",
        "",
        "| hosts | forks | no-op s | no-op controller CPU s/host | new code s | new code controller CPU s/host |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["sizes"].values():
        lines.append(f"| {r['hosts']} | {r['forks']} | {r['noop']['seconds']} "
                     f"| {r['noop']['controller_cpu_per_host']} | {r['new_code']['seconds']} "
                     f"| {r['new_code']['controller_cpu_per_host']} |")
    lines.append("")
    for name, goal in results["goals"].items():
        figure = goal.get("ratio", goal.get("worst"))
        lines.append(f"{name}: {figure} (goal ≤ {goal['goal']}): {'met' if goal['met'] else 'not met'}.")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default=os.environ.get("MOLECULE_IMAGE", "pyweb-deploy/debian:bookworm"))
    parser.add_argument("--sizes", default="1,4,10", help="numbers of hosts, at most 10")
    parser.add_argument("--json", default=None, help="write the figures here too")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    if not all(1 <= n <= 10 for n in sizes):
        raise SystemExit("many-hosts: --sizes must be numbers from 1 to 10")
    with tempfile.TemporaryDirectory(prefix="pyweb-many-") as work:
        results = ManyHosts(args.image, sizes, Path(work)).run()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()
