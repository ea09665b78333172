#!/usr/bin/python
"""Takes or gives back an app's deploy lock on the host: one file under /run/lock/pyweb-deploy that
says which run holds it. The action of the same name (plugins/action/deploy_lock.py) names the run
on the controller and runs this module with it."""

DOCUMENTATION = r"""
module: deploy_lock
short_description: One deploy of an app on a host at a time
description:
  - Takes the lock named I(name) on the host for the run, or gives it back. A lock is a file under
    C(/run/lock/pyweb-deploy), root's, that names the run holding it (the controller's user and host
    and its C(ansible-playbook) process), the remote user and since when; the boot empties C(/run).
  - Taking a lock the run already holds renews it. A lock of another run is taken over when it was
    last renewed more than I(timeout) seconds ago, when that run is known to have ended (a run from
    the same controller whose process is gone), or when I(force) is true; otherwise the task fails
    and says who holds it and since when.
  - Giving back removes the lock when the run holds it, and leaves another run's lock alone.
  - Check mode writes nothing, and only warns about a lock another run holds.
options:
  name:
    description: The lock's name, the app's (a file name).
    type: str
    required: true
  state:
    description: C(present) takes the lock, C(absent) gives it back.
    type: str
    choices: [present, absent]
    default: present
  timeout:
    description: Seconds after its last renewal that another run's lock is taken over.
    type: int
    default: 1800
  force:
    description: Take the lock over whoever holds it.
    type: bool
    default: false
  fail_if_held:
    description: Fail when another run holds the lock. With C(false) the task succeeds, returns
      I(taken) false and says who holds it in I(msg), for a play that takes several locks at once.
    type: bool
    default: true
  run:
    description: The run taking or giving back the lock, as the action of the same name sets it on
      the controller (its I(token), I(controller) and I(pid)); not for playbooks.
    type: dict
    required: true
  ended:
    description: The token of a run the controller knows to have ended; set by the action.
    type: str
    default: ""
author: pyweb.deploy maintainers (@pyweb)
"""

EXAMPLES = r"""
- name: Take the deploy lock of the app shop
  pyweb.deploy.deploy_lock:
    name: shop
    timeout: 1800

- name: Give the lock back
  pyweb.deploy.deploy_lock:
    name: shop
    state: absent
"""

RETURN = r"""
holder:
  description: Who holds the lock after the task (this run when it took it), or held it before it
    was given back.
  returned: when there is a lock
  type: dict
took_over:
  description: The holder of the lock this run took over, when it took one over.
  returned: when a lock was taken over
  type: dict
taken:
  description: Whether this run holds the lock now.
  returned: with state present
  type: bool
"""

import json
import os
import time

from ansible.module_utils.basic import AnsibleModule

LOCK_DIR = "/run/lock/pyweb-deploy"


def read(path):
    """The lock at path, or None when there is none (or one cut short, which is no lock)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (FileNotFoundError, ValueError):
        return None


def write_new(path, holder):
    """Create the lock for holder; False when a lock is there already."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(holder, handle)
    return True


def replace(path, holder):
    """Put holder's lock in place of the one there, in one rename."""
    temporary = "%s.%d" % (path, os.getpid())
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(holder, handle)
    os.chmod(temporary, 0o600)
    os.rename(temporary, path)


def take(path, run, timeout, force, ended, now):
    """Take the lock at path for run (a dict with its token). ended is the token of a run known to
    have ended. Returns (taken, holder, took_over)."""
    holder = dict(run, since=now, renewed=now)
    if write_new(path, holder):
        return True, holder, None
    current = read(path)
    if current is None:
        replace(path, holder)
        return True, holder, None
    if current.get("token") == run["token"]:
        replace(path, dict(current, renewed=now))
        return True, dict(current, renewed=now), None
    stale = now - float(current.get("renewed", 0)) > timeout
    if force or stale or current.get("token") == ended:
        replace(path, holder)
        # Two runs taking over at once: the last rename wins, and the other learns it here.
        mine = read(path) or {}
        if mine.get("token") != run["token"]:
            return False, mine, None
        return True, holder, current
    return False, current, None


def give_back(path, run):
    """Remove the lock at path when run holds it. Returns (removed, holder)."""
    current = read(path)
    if current is None or current.get("token") != run["token"]:
        return False, current
    os.unlink(path)
    return True, current


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            timeout=dict(type="int", default=1800),
            force=dict(type="bool", default=False),
            fail_if_held=dict(type="bool", default=True),
            # Set by the action plugin: the run, and a run of the same controller that ended.
            run=dict(type="dict", required=True),
            ended=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if "/" in params["name"] or params["name"] in ("", ".", ".."):
        module.fail_json(msg="deploy_lock name must be a file name; got %s" % json.dumps(params["name"]))
    path = os.path.join(LOCK_DIR, params["name"] + ".json")
    run = params["run"]
    if params["state"] == "absent":
        if module.check_mode:
            module.exit_json(changed=False, holder=read(path))
        removed, holder = give_back(path, run)
        module.exit_json(changed=False, released=removed, holder=holder)
    if module.check_mode:
        module.exit_json(changed=False, taken=False, holder=read(path))
    os.makedirs(LOCK_DIR, mode=0o700, exist_ok=True)
    taken, holder, took_over = take(path, run, params["timeout"], params["force"], params["ended"], time.time())
    # A lock is no change of the host: the next run finds the host as this one left it.
    module.exit_json(changed=False, taken=taken, holder=holder, took_over=took_over)


if __name__ == "__main__":
    main()
