"""Runs the converged module. With `history`, the options of pyweb.deploy.release_history, the
record is built here on the controller as that action builds it (every value of its `hide`
masked) and the module appends it before it writes its own record: one round trip at the end of a
deploy."""

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible_collections.pyweb.deploy.plugins.action.release_history import ARGUMENT_SPEC, build


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        wanted = args.get("history")
        if wanted is not None:
            if not isinstance(wanted, dict):
                raise AnsibleActionFail("history must be a dict of release_history's options; got %r" % (wanted,))
            checked = ArgumentSpecValidator(ARGUMENT_SPEC).validate(wanted)
            if checked.error_messages:
                raise AnsibleActionFail("history: %s" % "; ".join(checked.error_messages))
            options = checked.validated_parameters
            args["history"] = {"path": options["path"], "group": options["group"],
                               "record": build(options, self._play_context.remote_user)}
        result.update(self._execute_module(module_name="pyweb.deploy.converged", module_args=args,
                                           task_vars=task_vars))
        return result
