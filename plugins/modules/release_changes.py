#!/usr/bin/python
"""Reads what the served release was built from, for the summary of what a new release changes
(plugins/action/release_changes.py builds the summary on the controller)."""

DOCUMENTATION = r"""
module: release_changes
short_description: Say what a new release changes against the served one
description:
  - Compares the new release, on the controller, with the release served on the host, and says in
    a few lines what the switch would change - the commits between the two (for code from git,
    from the served release's record in the app's history), the files added, removed and changed
    (from the list of its files the gunicorn role keeps in each release), the requirements that
    change (name, old, new) and the Alembic or Flask-Migrate revisions the new release adds under
    I(migrations)/versions, which its pre-start command would apply.
  - The action plugin reads the new code on the controller; the module reads the served release
    on the host. Read-only, in check mode too. Every value in I(hide) is masked.
options:
  app:
    description: The app's name.
    type: str
    required: true
  app_root:
    description: The app's root on the host (its releases and history are there).
    type: path
    required: true
  served:
    description: The release served now; empty for a first deploy.
    type: str
    default: ""
  release:
    description: The new release.
    type: str
    required: true
  code:
    description: The new code on the controller, a directory or a package file.
    type: path
    default: ""
  manifest:
    description: The new code's files, C(path in the release) to checksum.
    type: dict
    default: {}
  requirements:
    description: The requirements file's name in the code; empty when none is used.
    type: str
    default: ""
  migrations:
    description: The migrations directory in the code (Flask-Migrate's C(migrations)).
    type: str
    default: migrations
  config:
    description: The gunicorn config the new release is served with, rendered; compared with I(config_path).
    type: str
    default: ""
  config_path:
    description: The gunicorn config on the host.
    type: path
    default: ""
  environment:
    description: The app's environment as the run will write it; compared, by name, with the host's
      I(environment_path), each side as digests made with a key for the call. Values never leave
      the controller.
    type: dict
    default: {}
  host:
    description: What M(pyweb.deploy.host_state)'s C(served) read on the host already (its
      C(environment_new) digests the run's environment); the module is then not run.
    type: dict
  digest_key:
    description: The key of the environment's digests; set by the action, never shown.
    type: str
    default: ""
  environment_path:
    description: The app's environment file on the host (JSON).
    type: path
    default: ""
  history:
    description: The app's release history on the host, where the served release's commit is read;
      C(history.jsonl) under I(app_root) when empty.
    type: path
    default: ""
  git_clone:
    description: The controller's clone of the app's repository, for code from git.
    type: path
    default: ""
  git_commit:
    description: The commit the new release is built from.
    type: str
    default: ""
  hide:
    description: Values masked wherever they appear (the app's secrets).
    type: list
    elements: str
    default: []
author: pyweb.deploy maintainers (@pyweb)
"""

EXAMPLES = r"""
- name: Find what the new release changes against the served one
  pyweb.deploy.release_changes:
    app: shop
    app_root: /opt/shop
    served: 4b6118b8b869-323b7fc9-b508f7e7
    release: ba9966547720-323b7fc9-b508f7e7
    code: /home/dev/shop
    requirements: requirements.txt
"""

RETURN = r"""
changes:
  description: commits (count and the newest shown, or null), files (added, removed, changed, or null
    when the served release has no list of its files), requirements (lines, or null) and migrations
    (revision and message).
  type: dict
  returned: always
summary:
  description: The same in lines a person reads.
  type: list
  elements: str
  returned: always
served:
  description: What the module read of the served release - manifest, requirements_text, migrations,
    git_commit, config, environment (names and digests of the values).
  type: dict
  returned: always
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pyweb.deploy.plugins.module_utils import changes


def main():
    module = AnsibleModule(
        argument_spec=dict(
            app=dict(type="str", required=True),
            app_root=dict(type="path", required=True),
            served=dict(type="str", default=""),
            release=dict(type="str", required=True),
            code=dict(type="path", default=""),
            manifest=dict(type="dict", default={}),
            requirements=dict(type="str", default=""),
            migrations=dict(type="str", default="migrations"),
            config=dict(type="str", default=""),
            config_path=dict(type="path", default=""),
            environment=dict(type="dict", default={}, no_log=True),
            host=dict(type="dict"),
            digest_key=dict(type="str", default="", no_log=True),
            environment_path=dict(type="path", default=""),
            history=dict(type="path", default=""),
            git_clone=dict(type="path", default=""),
            git_commit=dict(type="str", default=""),
            hide=dict(type="list", elements="str", default=[], no_log=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    found = changes.read_served(p["app_root"], served=p["served"], release=p["release"],
                                requirements=p["requirements"], migrations=p["migrations"],
                                config_path=p["config_path"], environment_path=p["environment_path"],
                                history_path=p["history"] or os.path.join(p["app_root"], "history.jsonl"),
                                digest_key=p["digest_key"])
    module.exit_json(changed=False, served=found)


if __name__ == "__main__":
    main()
