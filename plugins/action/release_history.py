"""Builds a record of the app's release history on the controller and has the release_history
module append it on the host (plugins/module_utils/history.py): who ran the deploy (the
controller's user and host, the user Ansible logs in as), how long it took since `started`, what
the release changes (`changes`, as the release_changes action says it, kept bounded), what the
release was built from (the git commit and the version `git describe` gives it, the package
file's and requirements file's hashes, read here where they are), with every value in `hide`
masked before anything leaves the controller."""

import getpass
import socket
import subprocess
import time

from ansible.plugins.action import ActionBase
from ansible_collections.pyweb.deploy.plugins.module_utils import changes, history

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "group": {"type": "str", "default": ""},
    "archive": {"type": "path", "default": ""},
    "app": {"type": "str", "required": True},
    "event": {"type": "str", "required": True, "choices": ["deploy", "settings", "rollback", "remove"]},
    "result": {"type": "str", "required": True},
    "release": {"type": "str", "default": ""},
    "served": {"type": "str", "default": ""},
    "previous": {"type": "str", "default": ""},
    "phase": {"type": "str", "default": ""},
    "reason": {"type": "str", "default": ""},
    "started": {"type": "float", "default": 0},
    "code": {"type": "dict", "default": {}},
    "changes": {"type": "dict", "default": {}},
    "hide": {"type": "list", "elements": "str", "default": [], "no_log": True},
}


def describe(clone, commit):
    """The version `git describe --tags --always` gives commit in the controller's clone, or ""."""
    if not clone or not commit:
        return ""
    try:
        out = subprocess.run(["git", "-C", clone, "describe", "--tags", "--always", commit],
                             capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def build(args, remote_user, now=None):
    """The record for args (this action's options), as it is appended."""
    now = now or time.time()
    code = args["code"] or {}
    record = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "app": args["app"],
        "event": args["event"],
        "result": args["result"],
        "release": args["release"],
        "served": args["served"],
        "previous": args["previous"],
        "by": {"controller_user": getpass.getuser(), "controller_host": socket.gethostname(),
               "remote_user": remote_user or ""},
    }
    if args["started"]:
        record["seconds"] = round(max(0.0, now - args["started"]), 1)
    if args["phase"] or args["reason"]:
        record["phase"] = args["phase"]
        record["reason"] = history.short_reason(args["reason"])
    fields = history.code_fields(code, describe(code.get("git_clone", ""), code.get("git_commit", "")))
    if fields:
        record["code"] = fields
    if args["changes"]:
        record["changes"] = changes.bounded(args["changes"])
    return history.masked(record, args["hide"])


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        record = build(args, self._play_context.remote_user)
        result.update(self._execute_module(
            module_name="pyweb.deploy.release_history", task_vars=task_vars,
            module_args={"path": args["path"], "group": args["group"], "archive": args["archive"],
                         "app": args["app"], "event": args["event"], "result": args["result"],
                         "record": record}))
        return result
