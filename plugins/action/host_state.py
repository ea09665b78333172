"""Runs the host_state module. With `lock`, the same call first takes the app's deploy lock for this
run, as pyweb.deploy.deploy_lock does (plugins/action/deploy_lock.py names the run and handles a
lock held by another run), and looks at the host only once this run holds it: one round trip
instead of two at the start of every deploy."""

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible_collections.pyweb.deploy.plugins.action.deploy_lock import run_holding

LOCK_SPEC = {
    "name": {"type": "str", "required": True},
    "timeout": {"type": "int", "default": 1800},
    "force": {"type": "bool", "default": False},
}


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        lock = args.pop("lock", None)
        if lock is None:
            result.update(self._execute_module(module_name="pyweb.deploy.host_state", module_args=args,
                                               task_vars=task_vars))
            return result
        if not isinstance(lock, dict):
            raise AnsibleActionFail("lock must be a dict of name, timeout and force; got %r" % (lock,))
        checked = ArgumentSpecValidator(LOCK_SPEC).validate(lock)
        if checked.error_messages:
            raise AnsibleActionFail("lock: %s" % "; ".join(checked.error_messages))
        result.update(run_holding(self, task_vars, checked.validated_parameters, "pyweb.deploy.host_state",
                                  lambda held: dict(args, lock=held), answer_key="lock"))
        return result
