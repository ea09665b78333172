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

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pyweb.deploy.plugins.module_utils.deploy_lock import hold


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
    try:
        answer = hold(module.params, module.check_mode)
    except ValueError as error:
        module.fail_json(msg="deploy_lock name %s" % error)
    # A lock is no change of the host: the next run finds the host as this one left it.
    module.exit_json(changed=False, **answer)


if __name__ == "__main__":
    main()
