"""Runs the host_state module. With `lock`, the same call first takes the app's deploy lock for this
run, as pyweb.deploy.deploy_lock does (plugins/action/deploy_lock.py names the run and handles a
lock held by another run), and looks at the host only once this run holds it: one round trip
instead of two at the start of every deploy. With `served`, its `environment` (the app's, as the
run will write it) stays here: the module digests the host's with a key made for the call, and this
action the run's with the same key."""

import secrets

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible_collections.pyweb.deploy.plugins.action.deploy_lock import run_holding
from ansible_collections.pyweb.deploy.plugins.module_utils import changes

LOCK_SPEC = {
    "name": {"type": "str", "required": True},
    "timeout": {"type": "int", "default": 1800},
    "force": {"type": "bool", "default": False},
}


def with_environment_digests(answer, environment, key):
    """answer with the run's environment (on the controller) as digests made with the same key as
    the host's in its `served`: the two compare, and neither can be matched against guesses."""
    if environment is not None and isinstance(answer.get("served"), dict):
        answer["served"]["environment_new"] = changes.value_digests(environment, key)
    return answer


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        lock = args.pop("lock", None)
        environment = None
        if isinstance(args.get("served"), dict):
            served = dict(args["served"])
            environment = served.pop("environment", None)
            if environment is not None and not isinstance(environment, dict):
                raise AnsibleActionFail("served.environment must be a dict of the app's variables")
            # A key for this call alone: the digests it makes are compared here, then mean nothing.
            args.update(served=served, digest_key=secrets.token_hex(16))
        key = args.get("digest_key", "")
        if lock is None:
            result.update(with_environment_digests(
                self._execute_module(module_name="pyweb.deploy.host_state", module_args=args, task_vars=task_vars),
                environment, key))
            return result
        if not isinstance(lock, dict):
            raise AnsibleActionFail("lock must be a dict of name, timeout and force; got %r" % (lock,))
        checked = ArgumentSpecValidator(LOCK_SPEC).validate(lock)
        if checked.error_messages:
            raise AnsibleActionFail("lock: %s" % "; ".join(checked.error_messages))
        result.update(with_environment_digests(
            run_holding(self, task_vars, checked.validated_parameters, "pyweb.deploy.host_state",
                        lambda held: dict(args, lock=held), answer_key="lock"),
            environment, key))
        return result
