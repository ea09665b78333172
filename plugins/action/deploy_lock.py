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


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        run = dict(this_run(), remote_user=self._play_context.remote_user or "")
        module_args = dict(args, run=run)
        answer = self._execute_module(module_name="pyweb.deploy.deploy_lock", module_args=module_args,
                                      task_vars=task_vars)
        if answer.get("failed") or args["state"] == "absent":
            result.update(answer)
            return result
        holder = answer.get("holder") or {}
        if not answer.get("taken") and has_ended(holder) and not self._task.check_mode:
            answer = self._execute_module(module_name="pyweb.deploy.deploy_lock",
                                          module_args=dict(module_args, ended=holder["token"]), task_vars=task_vars)
            holder = answer.get("holder") or {}
        result.update(answer)
        if answer.get("took_over"):
            result.setdefault("warnings", []).append(
                "Took over the deploy lock of %s on this host from %s, a run that %s." % (
                    args["name"], describe(answer["took_over"]),
                    "ended without giving it back" if has_ended(answer["took_over"])
                    else "held it longer than the timeout, or pyweb_deploy_lock_break said so"))
        if self._task.check_mode and holder and holder.get("token") != run["token"]:
            result.setdefault("warnings", []).append(
                "%s on this host is being deployed by %s." % (args["name"], describe(holder)))
        elif not answer.get("taken") and not self._task.check_mode:
            result["msg"] = (
                "%s on %s is being deployed by another run: %s. This run stopped before changing anything. A "
                "run that died leaves its lock: it is taken over %d s after it was last renewed "
                "(pyweb_deploy_lock_timeout), or at once with pyweb_deploy_lock_break=true." % (
                    args["name"], task_vars.get("inventory_hostname", "this host"), describe(holder),
                    args["timeout"]))
            if args["fail_if_held"]:
                raise AnsibleActionFail(result["msg"])
        return result
