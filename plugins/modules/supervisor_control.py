#!/usr/bin/python
"""Every way the collection drives supervisor's programs: one place, one call to the host each."""

DOCUMENTATION = r"""
module: supervisor_control
short_description: Reload, restart, stop or wait for the app's supervisor programs
description:
  - The roles control the app's processes only through this module, each action in one call.
  - C(reload) sends gunicorn's master (program I(name)) a HUP, so it re-reads its config, follows
    C(current) and replaces its workers after they finish their requests. With I(restart) it
    restarts the program instead (a new gunicorn or Python only takes effect in a new master).
    A program that is not running is left alone, or started with I(start_stopped). With
    I(leave_changed), a program whose file changed since supervisor read it is left to
    C(supervisorctl update), which restarts it anyway.
  - C(wait_workers) waits until the master of I(name) has a worker that started after I(since)
    (seconds since the epoch on the host), for at most I(timeout) seconds.
  - C(start), C(restart) and C(stop) act on I(targets) (C(name), or C(name:*) for a program with
    several processes). C(update) applies changed program files, waiting up to I(timeout) seconds
    for a supervisord that is still starting. C(status) only asks; with I(settle) it waits up to
    I(timeout) seconds until no program is STARTING or BACKOFF any more.
  - Supervisor counts a program as started only after its C(startsecs). With I(ready), a STARTING
    program whose file in I(ready) holds the pid supervisor gave it counts as RUNNING at once, as
    the program wrote it when it was ready to serve (gunicorn, once it listens).
  - Check mode asks but changes nothing.
options:
  action:
    description: What to do.
    type: str
    required: true
    choices: [status, reload, wait_workers, start, restart, stop, update]
  name:
    description: The program of C(reload) and C(wait_workers).
    type: str
  targets:
    description: What C(restart), C(stop) and C(status) act on; C(status) asks for all when empty.
    type: list
    elements: str
    default: []
  restart:
    description: C(reload) by restarting the program instead of a HUP.
    type: bool
    default: false
  start_stopped:
    description: C(reload) starts a program that is not running.
    type: bool
    default: false
  leave_changed:
    description: C(reload) leaves a program whose file changed to C(supervisorctl update).
    type: bool
    default: false
  settle:
    description: C(status) waits until supervisor has finished starting programs.
    type: bool
    default: false
  ready:
    description:
      - For C(status), program names and the file each writes its pid to once it is ready.
      - A file that is missing, or holds another pid (a process before this one), counts for
        nothing.
    type: dict
    default: {}
  since:
    description: For C(wait_workers), the time the workers must have started after.
    type: float
  timeout:
    description: How long C(wait_workers), C(update) and C(status) with I(settle) wait, in seconds.
    type: int
    default: 30
author: pyweb.deploy maintainers (@pyweb)
"""

EXAMPLES = r"""
- name: Reload gunicorn into the new release (HUP), unless supervisor is about to restart it
  pyweb.deploy.supervisor_control:
    action: reload
    name: shop
    leave_changed: true

- name: Apply changed program files, waiting for a supervisord that is still starting
  pyweb.deploy.supervisor_control:
    action: update
    timeout: 30

- name: Restart the app's workers
  pyweb.deploy.supervisor_control:
    action: restart
    targets: ["shop.worker:*"]

- name: Wait until supervisor has finished starting programs, and read their states
  pyweb.deploy.supervisor_control:
    action: status
    settle: true
    timeout: 120
    ready:
      shop: /srv/shop/.cache/gunicorn.ready
  register: supervisor
"""

RETURN = r"""
states:
  description: Each program's state before the action (the worst of its processes').
  type: dict
  returned: always
done:
  description: What was done, e.g. C(reloaded), C(restarted), C(not running), C(left to update).
  type: str
  returned: always
output:
  description: What supervisorctl answered to the action.
  type: str
  returned: always
"""

import os
import re
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pyweb.deploy.plugins.module_utils.supervisor import Supervisor, connect, mark_ready


def worker_ages(master, proc="/proc"):
    """Seconds since each child of the process `master` started, read from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open(os.path.join(proc, "uptime")) as handle:
        uptime = float(handle.read().split()[0])
    ages = []
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        try:
            with open(os.path.join(proc, entry, "stat")) as handle:
                text = handle.read()
        except OSError:
            continue
        # The command name, in parentheses, may hold spaces: the fields follow its last ")".
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[1]) == master:
            ages.append(uptime - int(fields[19]) / ticks)
    return ages


def reload(sup, params, check):
    name = params["name"]
    states = sup.states([name])
    running = states.get(name) == "RUNNING"
    if not running and not params["start_stopped"]:
        return False, states, "not running", ""
    if params["leave_changed"]:
        dummy, out = sup.ctl("reread")
        if f"{name}: changed" in out:
            return False, states, "left to update", out
    if check:
        return True, states, "would be " + ("started" if not running else "restarted" if params["restart"] else "reloaded"), ""
    if not running:
        rc, out = sup.ctl("start", name)
        sup.fail_on_error(rc, out, "start " + name)
        return True, states, "started", out
    if params["restart"]:
        rc, out = sup.ctl("restart", name)
        sup.fail_on_error(rc, out, "restart " + name)
        return True, states, "restarted", out
    rc, out = sup.signal("HUP", name)
    sup.fail_on_error(rc, out, "signal HUP " + name)
    return True, states, "reloaded", out


def wait_workers(sup, params, check=False):
    name, since = params["name"], params["since"] or 0.0
    if check:
        return "nothing was reloaded in check mode"
    deadline = time.monotonic() + params["timeout"]
    while True:
        master = sup.pid(name)
        if master > 0:
            started = [time.time() - age for age in worker_ages(master)]
            # /proc counts in clock ticks: a worker started in the same tick as `since` counts.
            if any(when >= since - 1 for when in started):
                return f"master {master} has workers started after the switch"
        if time.monotonic() >= deadline:
            sup.module.fail_json(msg=f"no gunicorn worker of {name} started within {params['timeout']} s "
                                     f"(master pid {master or 'none'})", states=sup.states([name]))
        time.sleep(0.2)


# What supervisorctl says while supervisord is (re)starting and has no socket yet.
NOT_YET = re.compile(r"No such file or directory|refused connection|SHUTDOWN_STATE")


def status(sup, targets=(), settle=False, timeout=30, ready=None):
    """Each program's state; with settle, once none is STARTING or BACKOFF (or at the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        states = mark_ready(sup.states(targets), ready or {}, sup.pid)
        if not settle or time.monotonic() >= deadline or not {"STARTING", "BACKOFF"} & set(states.values()):
            return states
        time.sleep(0.5)


def act(sup, action, targets, check, timeout=30):
    """start, restart or stop the targets, or update: (changed, states before, done, output)."""
    states = sup.states()
    if action == "update":
        if check:
            return False, states, "would update", ""
        deadline = time.monotonic() + timeout
        rc, output = sup.ctl("update")
        while NOT_YET.search(output) and time.monotonic() < deadline:
            time.sleep(1)
            rc, output = sup.ctl("update")
        sup.fail_on_error(rc, output, "update")
        return bool(output), states, "updated", output
    if not targets:
        return False, states, "nothing to " + action, ""
    if check:
        return True, states, "would " + action, ""
    rc, output = sup.ctl(action, *targets)
    if action == "stop":
        # Stopping what is already stopped, or unknown to supervisor, leaves nothing to do.
        return "stopped" in output, states, "stopped", output
    sup.fail_on_error(rc, output, f"{action} {' '.join(targets)}")
    return True, states, {"start": "started", "restart": "restarted"}[action], output


def main():
    module = AnsibleModule(
        argument_spec=dict(
            action=dict(type="str", required=True,
                        choices=["status", "reload", "wait_workers", "start", "restart", "stop", "update"]),
            name=dict(type="str"),
            targets=dict(type="list", elements="str", default=[]),
            restart=dict(type="bool", default=False),
            start_stopped=dict(type="bool", default=False),
            leave_changed=dict(type="bool", default=False),
            settle=dict(type="bool", default=False),
            since=dict(type="float"),
            timeout=dict(type="int", default=30),
            ready=dict(type="dict", default={}),
        ),
        required_if=[("action", "reload", ["name"]), ("action", "wait_workers", ["name"])],
        supports_check_mode=True,
    )
    params, check = module.params, module.check_mode
    sup = Supervisor(module, rpc=connect())
    action, targets = params["action"], params["targets"]
    changed, done, output, states = False, "", "", {}

    if action == "status":
        states, done = status(sup, targets, params["settle"], params["timeout"], params["ready"]), "asked"
    elif action == "reload":
        changed, states, done, output = reload(sup, params, check)
    elif action == "wait_workers":
        done = wait_workers(sup, params, check)
    else:
        changed, states, done, output = act(sup, action, targets, check, params["timeout"])

    module.exit_json(changed=changed, states=states, done=done, output=output)


if __name__ == "__main__":
    main()
