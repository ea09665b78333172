"""What a new release, or a run that keeps the served one, changes against what is served
(plugins/module_utils/changes.py): the module reads the served release on the host, unless `host`
brings what pyweb.deploy.host_state's `served` read there already; this action reads the new code
on the controller and puts the two side by side, with every value of `hide` masked."""

import os
import secrets

from ansible.plugins.action import ActionBase
from ansible_collections.pyweb.deploy.plugins.module_utils import changes, history


def compare(args, served):
    """The changes and their summary, from this action's options and what the module read."""
    code = args.get("code") or ""
    base = code if os.path.isdir(code) else os.path.dirname(code)
    found = {"commits": None, "files": None, "requirements": None, "migrations": []}
    if args.get("served") and args.get("served") == args["release"]:
        # The served release stays: what changes is its config and environment alone.
        base = ""
    else:
        found["commits"] = changes.commits(args.get("git_clone"), served.get("git_commit"), args.get("git_commit"))
    if base and served.get("manifest") is not None:
        found["files"] = changes.file_changes(served["manifest"], args.get("manifest") or {})
    requirements = args.get("requirements")
    new_text = changes.read_text(os.path.join(base, requirements), limit=None) if requirements and base else None
    if new_text is not None or served.get("requirements_text") is not None:
        found["requirements"] = changes.requirement_changes(changes.requirements(served.get("requirements_text")),
                                                            changes.requirements(new_text))
    if base:
        new = changes.revisions(changes.migration_files(os.path.join(base, args.get("migrations") or "migrations")))
        old = changes.revisions(served.get("migrations") or {})
        found["migrations"] = [[revision, message] for revision, message in sorted(new.items()) if revision not in old]
    if args.get("config_path"):
        found["config"] = changes.config_diff(served.get("config"), args.get("config") or "",
                                              os.path.basename(args["config_path"]))
    if args.get("environment_path") and served.get("environment") is not None:
        found["environment"] = changes.environment_changes(served["environment"],
                                                           served.get("environment_new") or {})
    found = history.masked(found, args.get("hide"))
    lines = history.masked(changes.summary_lines(args["app"], args.get("served"), args["release"], found),
                           args.get("hide"))
    return found, lines


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        answer = {"served": args.pop("host")} if isinstance(args.get("host"), dict) else None
        if answer is None:
            # The host needs only where the served release is and what to read there; the app's
            # environment stays here, digested with a key made for this call, as the host digests its own.
            key = secrets.token_hex(16)
            asked = {k: args[k] for k in ("app", "app_root", "served", "release", "requirements", "migrations",
                                          "config_path", "environment_path", "history") if k in args}
            answer = self._execute_module(module_name="pyweb.deploy.release_changes", task_vars=task_vars,
                                          module_args=dict(asked, digest_key=key))
            if isinstance(answer.get("served"), dict):
                answer["served"]["environment_new"] = changes.value_digests(args.get("environment") or {}, key)
        # A summary that cannot be made is worth a warning, not a failed deploy.
        try:
            if answer.get("failed"):
                raise ValueError(answer.get("msg", "the host could not be read"))
            found, lines = compare(args, answer.get("served") or {})
        except (OSError, ValueError, KeyError, TypeError) as error:
            found = {}
            lines = ["%s: release %s replaces %s; what it changes could not be read: %s"
                     % (args.get("app"), args.get("release"), args.get("served") or "nothing", error)]
            result["warnings"] = [lines[0]]
        result.update(changed=False, changes=found, summary=lines, msg="\n".join(lines))
        return result
