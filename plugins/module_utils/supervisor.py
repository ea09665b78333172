"""Reading supervisor's answers: shared by the supervisor_control module and the filters."""

import re

# Supervisor's states, worst first: a program is as far from running as its worst process.
SUPERVISOR_STATES = ("FATAL", "BACKOFF", "STARTING", "STOPPING", "STOPPED", "EXITED", "UNKNOWN", "RUNNING")


def supervisor_states(lines):
    """Each program's state from `supervisorctl status` lines ("app  RUNNING  pid 42, ..." or
    "app.worker:app.worker-0  RUNNING ..."): the worst state of its processes."""
    states = {}
    for line in lines:
        found = re.match(r"^([^ :]+)(?::[^ ]+)? +([A-Z]+)", line)
        if not found:
            continue
        name, state = found.groups()
        if state not in SUPERVISOR_STATES:
            state = "UNKNOWN"
        known = states.get(name)
        if known is None or SUPERVISOR_STATES.index(state) < SUPERVISOR_STATES.index(known):
            states[name] = state
    return states
