"""Shows a message as one of the run's warnings ([WARNING]), which a user sees in every output
format and which stays in the run's summary, unlike a debug message among the tasks."""

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec={"msg": {"type": "str", "required": True}})
        result.update(changed=False, warnings=[args["msg"]])
        return result
