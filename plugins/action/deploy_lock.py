"""Takes or gives back an app's deploy lock on the host (plugins/modules/deploy_lock.py) for this
run, which it names on the controller: the controller's user and host, and the ansible-playbook
process whose workers run the tasks. A lock of an earlier run from this controller whose process is
gone is taken over at once: that run ended (a failure, Ctrl-C, a lost connection) without giving it
back. A lock of a live run fails the task with who holds it and since when."""

import getpass
import os
import socket
import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "timeout": {"type": "int", "default": 1800},
    "force": {"type": "bool", "default": False},
    "fail_if_held": {"type": "bool", "default": True},
}


def process_start(pid):
    """When the process pid started (clock ticks since boot), or "" where /proc cannot say."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def this_run():
    """This run: tasks run in workers forked from the ansible-playbook process, their parent."""
    host, pid = socket.gethostname(), os.getppid()
    return {"token": "%s:%d:%s" % (host, pid, process_start(pid)), "controller": "%s@%s" % (getpass.getuser(), host),
            "pid": pid}


def has_ended(holder, host=None):
    """Whether holder is a run of this controller whose process is gone (or is another process now)."""
    token = str((holder or {}).get("token", ""))
    parts = token.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != (host or socket.gethostname()) or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    return process_start(pid) != parts[2]


def describe(holder, now=None):
    """Who holds a lock and since when, as the failure says it."""
    since = float(holder.get("since", 0))
    ago = int((now or time.time()) - since)
    remote_user = ", remote user %s" % holder["remote_user"] if holder.get("remote_user") else ""
    return "%s (ansible-playbook pid %s%s) since %s, %d s ago" % (
        holder.get("controller", "?"), holder.get("pid", "?"), remote_user,
        time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(since)), ago)


def run_holding(action, task_vars, lock, module_name, module_args, answer_key=None):
    """Run module_name with module_args(lock arguments with this run) on the host, where the module
    takes or gives back the lock that lock (the deploy_lock options) names and answers about it
    in its result's answer_key (at the top level when None, as the deploy_lock module does). A lock
    of a run of this controller that ended is taken over in a second call. Returns the module's
    answer, with the warning of a lock taken over or held by another run, and raises the failure of
    a lock another live run holds when lock's fail_if_held is true."""
    run = dict(this_run(), remote_user=action._play_context.remote_user or "")
    lock = dict(lock, run=run)
    check = action._task.check_mode

    def call(ended=""):
        answer = action._execute_module(module_name=module_name, task_vars=task_vars,
                                        module_args=module_args(dict(lock, ended=ended) if ended else lock))
        return answer, (answer if answer_key is None else answer.get(answer_key) or {})

    answer, held = call()
    if answer.get("failed") or lock.get("state", "present") == "absent":
        return answer
    holder = held.get("holder") or {}
    if not held.get("taken") and has_ended(holder) and not check:
        answer, held = call(ended=holder["token"])
        holder = held.get("holder") or {}
    if held.get("took_over"):
        answer.setdefault("warnings", []).append(
            "Took over the deploy lock of %s on this host from %s, a run that %s." % (
                lock["name"], describe(held["took_over"]),
                "ended without giving it back" if has_ended(held["took_over"])
                else "held it longer than the timeout, or pyweb_deploy_lock_break said so"))
    if check and holder and holder.get("token") != run["token"]:
        answer.setdefault("warnings", []).append(
            "%s on this host is being deployed by %s." % (lock["name"], describe(holder)))
    elif not held.get("taken") and not check:
        answer["msg"] = (
            "%s on %s is being deployed by another run: %s. This run stopped before changing anything. A "
            "run that died leaves its lock: it is taken over %d s after it was last renewed "
            "(pyweb_deploy_lock_timeout), or at once with pyweb_deploy_lock_break=true." % (
                lock["name"], task_vars.get("inventory_hostname", "this host"), describe(holder),
                lock.get("timeout", 1800)))
        if lock.get("fail_if_held", True):
            raise AnsibleActionFail(answer["msg"])
    return answer


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        result.update(run_holding(self, task_vars, args, "pyweb.deploy.deploy_lock", lambda lock: lock))
        return result
