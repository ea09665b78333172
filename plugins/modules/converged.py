#!/usr/bin/python
"""Records, at the end of a role's full run, what the role left on the host, for the next run to
compare with (plugins/module_utils/fingerprint.py)."""

DOCUMENTATION = r"""
module: converged
short_description: Record what a role's full run left on the host
description:
  - Writes the record named I(name) under C(/var/lib/pyweb-deploy/converged) (root's, mode 0600).
    It holds the I(digest) of the role's settings, the state of every path under I(trees) and of
    each of I(paths) (type, mode, owner, a hash of a file's content, a link's target), and whether
    I(packages) are installed and I(services) enabled and running.
  - M(pyweb.deploy.host_state) compares the host with it at the start of the next run (its
    I(fingerprint) option); a role whose settings digest and host state match skips its tasks.
  - Never reports a change, since the record is the collection's bookkeeping and not part of
    what the host serves; a run that only refreshed it changed nothing a user would see.
    I(written) says whether it was written. C(state=absent) removes it. Check mode writes nothing.
  - With I(history), the same call first appends a record to an app's release history, as
    M(pyweb.deploy.release_history) does (the action of the same name builds it on the
    controller), so that the end of a deploy costs one round trip, not two.
options:
  name:
    description: The record's name (letters, digits and C(_.@-)); none is written when empty (with
      I(history) alone).
    type: str
    default: ""
  history:
    description: The options of M(pyweb.deploy.release_history) for a record to append first. Its
      C(hide) is applied on the controller; the host gets the record as built there.
    type: dict
  state:
    description: C(present) writes the record, C(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  digest:
    description: The digest of the role's settings (the C(pyweb.deploy.settings_digest) lookup).
    type: str
    default: ""
  trees:
    description: Directories recorded with everything under them.
    type: list
    elements: path
    default: []
  paths:
    description: Single paths recorded.
    type: list
    elements: path
    default: []
  globs:
    description: Shell patterns; every path matching one is recorded (one that appears later counts
      as a change).
    type: list
    elements: str
    default: []
  packages:
    description: Debian packages whose installed state is recorded.
    type: list
    elements: str
    default: []
  services:
    description: systemd services whose enabled and running states are recorded.
    type: list
    elements: str
    default: []
author: pyweb.deploy maintainers (@pyweb)
"""

EXAMPLES = r"""
- name: Record what the role left, for the next run to skip its tasks if nothing changed
  pyweb.deploy.converged:
    name: nginx-shop
    digest: "{{ lookup('pyweb.deploy.settings_digest', 'nginx_', 'pyweb_') }}"
    trees: [/etc/nginx]
    packages: [nginx]
    services: [nginx]
"""

RETURN = r"""
entries:
  description: How many paths the record holds (0 when none was written).
  type: int
  returned: always
written:
  description: Whether the record was written or removed (it differed from the one there).
  type: bool
  returned: always
history_record:
  description: With I(history), the record appended to the app's history.
  type: dict
  returned: when asked
history_written:
  description: With I(history), whether the history took it.
  type: bool
  returned: when asked
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pyweb.deploy.plugins.module_utils import fingerprint, history
from ansible_collections.pyweb.deploy.plugins.module_utils.host import package_states, service_states


def append_history(module, spec):
    """Append spec's record to the history at spec's path; the answer's history_record and
    history_written, and a warning when the host refused (the run's work stands)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("record"), dict) or not spec.get("path"):
        module.fail_json(msg="history needs a path and the record the converged action builds: run "
                             "pyweb.deploy.converged as a task")
    record = history.complete(spec["record"], spec["path"])
    warning = history.write(spec["path"], record, spec.get("group") or "")
    answer = {"history_record": record, "history_written": warning is None}
    if warning:
        answer["warnings"] = [warning]
    return answer


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", default=""),
            # path, group and the record, as the action built it from release_history's options.
            history=dict(type="dict"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            digest=dict(type="str", default="", no_log=False),
            trees=dict(type="list", elements="path", default=[]),
            paths=dict(type="list", elements="path", default=[]),
            globs=dict(type="list", elements="str", default=[]),
            packages=dict(type="list", elements="str", default=[]),
            services=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not params["name"] and params["history"] is None:
        module.fail_json(msg="name is required (or history, for a history record alone)")
    if params["name"]:
        try:
            fingerprint.record_path(params["name"])
        except ValueError as error:
            module.fail_json(msg="name: %s" % error)
    if module.check_mode:
        module.exit_json(changed=False, entries=0, written=False)
    answer = {}
    if params["history"] is not None:
        answer = append_history(module, params["history"])
    if not params["name"]:
        module.exit_json(changed=False, entries=0, written=False, **answer)
    if params["state"] == "absent":
        module.exit_json(changed=False, entries=0, written=fingerprint.forget_record(params["name"]), **answer)
    files = fingerprint.files_state(params["trees"], params["paths"], patterns=params["globs"])
    if files is None:
        # Too large to compare cheaply: no record, so the next run does everything.
        fingerprint.forget_record(params["name"])
        module.exit_json(changed=False, entries=0, written=False,
                         warnings=answer.pop("warnings", []) + [
                             "%s: more than %d paths, not recorded; the role will run in full"
                             % (params["name"], fingerprint.MAX_ENTRIES)], **answer)
    record = {"digest": params["digest"], "files": files,
              "packages": package_states(params["packages"]),
              "services": service_states(params["services"])}
    module.exit_json(changed=False, entries=len(files),
                     written=fingerprint.write_record(params["name"], record), **answer)


if __name__ == "__main__":
    main()
