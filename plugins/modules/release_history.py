#!/usr/bin/python
"""Appends one record to an app's release history on the host (plugins/module_utils/history.py)."""

DOCUMENTATION = r"""
module: release_history
short_description: Append a record to an app's release history
description:
  - Appends a record of a deploy, a failed deploy, a switch-back, a rollback or a removal as one
    line of JSON to the history at I(path), which it makes root's and I(group)'s, mode 0640, when it
    is new. Two runs appending at once each write whole lines.
  - Its action plugin builds the record on the controller (when it was made, how many seconds
    since I(started), who ran it, what the release was built from) and masks every value of I(hide)
    in it. Who ran it is the controller's user and host and the user Ansible logs in as (or
    C(SUDO_USER) on the host).
  - A rollback's record without I(code) takes what the newest record of the same release says.
  - With I(archive), the history is then appended to that file (root's alone, mode 0600) and
    removed from I(path), so an app's history outlives the app.
  - Never reports a change, as the history is the collection's bookkeeping, and never fails for a history
    it cannot write to (it warns), since what the run did stands. Check mode writes nothing.
options:
  path:
    description: The history file.
    type: path
    required: true
  group:
    description: The group that may read the history (the app's).
    type: str
    default: ""
  archive:
    description: Where the history goes once this record is appended (the app's removal).
    type: path
    default: ""
  app:
    description: The app's name.
    type: str
    required: true
  event:
    description: What was run; C(settings) is a run that kept the served release and changed its
      gunicorn config or environment.
    type: str
    required: true
    choices: [deploy, settings, rollback, remove]
  result:
    description: How it ended (C(served), C(failed), C(switched back), C(rolled back), C(removed)).
    type: str
    required: true
  release:
    description: The release the run deployed or served again.
    type: str
    default: ""
  served:
    description: The release served once the run ended.
    type: str
    default: ""
  previous:
    description: The release served before the run.
    type: str
    default: ""
  phase:
    description: The step that failed.
    type: str
    default: ""
  reason:
    description: What the failed step said; kept to its first lines.
    type: str
    default: ""
  started:
    description: When the run started (seconds since the epoch, the controller's clock).
    type: float
    default: 0
  code:
    description:
      - What the release was built from, on the controller, in C(git_repo), C(git_clone),
        C(git_commit), C(package), C(requirements) (paths whose files are hashed) and
        C(gunicorn_packages). A repository's credentials are left out.
    type: dict
    default: {}
  changes:
    description: What the release changes against the one served before, as M(pyweb.deploy.release_changes)
      says it; the record keeps the counts and the first names of each list.
    type: dict
    default: {}
  hide:
    description: Values masked wherever they appear in the record (the app's secrets).
    type: list
    elements: str
    default: []
  record:
    description: The record as the action plugin built it; set by the action plugin alone.
    type: dict
author: pyweb.deploy maintainers (@pyweb)
"""

EXAMPLES = r"""
- name: Record the deploy in the app's history
  pyweb.deploy.release_history:
    path: /opt/shop/history.jsonl
    group: shop
    app: shop
    event: deploy
    result: served
    release: "{{ release_id }}"
    served: "{{ release_id }}"
"""

RETURN = r"""
record:
  description: The record as it was appended.
  type: dict
  returned: always
written:
  description: Whether it was appended (not in check mode).
  type: bool
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pyweb.deploy.plugins.module_utils import history


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            group=dict(type="str", default=""),
            archive=dict(type="path", default=""),
            app=dict(type="str", required=True),
            event=dict(type="str", required=True, choices=["deploy", "settings", "rollback", "remove"]),
            result=dict(type="str", required=True),
            release=dict(type="str", default=""),
            served=dict(type="str", default=""),
            previous=dict(type="str", default=""),
            phase=dict(type="str", default=""),
            reason=dict(type="str", default=""),
            started=dict(type="float", default=0),
            code=dict(type="dict", default={}),
            changes=dict(type="dict", default={}),
            hide=dict(type="list", elements="str", default=[], no_log=True),
            record=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not params["record"]:
        module.fail_json(msg="record is built by the module's action plugin: run pyweb.deploy.release_history as a task")
    record = history.complete(params["record"], params["path"])
    if module.check_mode:
        module.exit_json(changed=False, record=record, written=False)
    warning = history.write(params["path"], record, params["group"], params["archive"])
    if warning:
        module.exit_json(changed=False, record=record, written=False, warnings=[warning])
    module.exit_json(changed=False, record=record, written=True)


if __name__ == "__main__":
    main()
