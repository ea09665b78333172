"""Asking supervisord, over its socket or through supervisorctl, and reading its answers: shared by
the supervisor_control and host_state modules and the filters."""

import configparser
import http.client
import os
import re
import xmlrpc.client

from ansible_collections.pyweb.deploy.plugins.module_utils.unix_http import UnixHTTPConnection

# Supervisor's states, worst first: a program is as far from running as its worst process.
SUPERVISOR_STATES = ("FATAL", "BACKOFF", "STARTING", "STOPPING", "STOPPED", "EXITED", "UNKNOWN", "RUNNING")

# The roles' and Debian's config, and the ones supervisorctl reads first when they exist (next to
# its own prefix, /usr or /usr/local, then in the working directory, then /etc). Where one of those
# is there, supervisorctl is asked instead, so that both always talk to the same supervisord.
CONFIG = "/etc/supervisor/supervisord.conf"
EARLIER_CONFIGS = (
    "/usr/etc/supervisord.conf", "/usr/supervisord.conf", "/usr/local/etc/supervisord.conf",
    "/usr/local/supervisord.conf", "supervisord.conf", "etc/supervisord.conf", "/etc/supervisord.conf",
)

# What a failed question over the socket raises: supervisorctl is asked then, and says what failed.
RPC_ERRORS = (OSError, xmlrpc.client.Error, http.client.HTTPException, KeyError, TypeError, ValueError)


def supervisor_states(lines):
    """Each program's state from `supervisorctl status` lines ("app  RUNNING  pid 42, ..." or
    "app.worker:app.worker-0  RUNNING ..."): the worst state of its processes."""
    matches = (re.match(r"^([^ :]+)(?::[^ ]+)? +([A-Z]+)", line) for line in lines)
    return worst_states(match.groups() for match in matches if match)


def worst_states(pairs):
    """{program: the worst of its processes' states} from (program, state) pairs."""
    states = {}
    for name, state in pairs:
        if state not in SUPERVISOR_STATES:
            state = "UNKNOWN"
        known = states.get(name)
        if known is None or SUPERVISOR_STATES.index(state) < SUPERVISOR_STATES.index(known):
            states[name] = state
    return states


def mark_ready(states, ready, pid_of):
    """Count as RUNNING each STARTING program whose ready file (ready: name -> path) holds the pid
    supervisor has for it (pid_of(name)): it is serving before supervisor's startsecs are over."""
    for name, path in ready.items():
        if states.get(name) != "STARTING":
            continue
        try:
            with open(path, encoding="utf-8") as handle:
                mark = handle.read().strip()
        except OSError:
            continue
        pid = pid_of(name)
        if pid > 0 and mark == str(pid):
            states[name] = "RUNNING"
    return states


def socket_path(config=CONFIG, earlier=EARLIER_CONFIGS):
    """The unix socket supervisorctl talks to, from its config's [supervisorctl] serverurl; None
    where it would read another config, log in, or talk HTTP: supervisorctl is asked then."""
    if any(os.path.exists(path) for path in earlier):
        return None
    parser = configparser.RawConfigParser(strict=False, inline_comment_prefixes=(";",))
    try:
        if not parser.read(config, encoding="utf-8"):
            return None
    except (configparser.Error, UnicodeDecodeError):
        return None
    if parser.get("supervisorctl", "username", fallback="").strip():
        return None
    url = parser.get("supervisorctl", "serverurl", fallback="").strip()
    return url[len("unix://"):] if url.startswith("unix://") else None


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path, timeout):
        super().__init__()
        self.path, self.timeout = path, timeout

    def make_connection(self, host):
        return UnixHTTPConnection(self.path, self.timeout)


class Rpc:
    """supervisord's XML-RPC interface over its unix socket: the questions the roles ask most, each
    a few milliseconds instead of a supervisorctl process (about 0.12 s). Every method raises one of
    RPC_ERRORS where supervisord does not answer as asked."""

    def __init__(self, path, timeout=30):
        self.server = xmlrpc.client.ServerProxy(
            "http://localhost/RPC2", transport=_UnixTransport(path, timeout))

    def states(self, targets=()):
        """As supervisor_states gives them from `supervisorctl status [targets]`."""
        wanted = {target.split(":", 1)[0] for target in targets}
        infos = self.server.supervisor.getAllProcessInfo()
        return worst_states((info["group"], info["statename"]) for info in infos
                            if not wanted or info["group"] in wanted)

    def pid(self, name):
        """The pid of the process name (0 when it is not running), as `supervisorctl pid`."""
        return int(self.server.supervisor.getProcessInfo(name)["pid"])

    def signal(self, name, signal_name):
        """Send the signal to the process name, as `supervisorctl signal`."""
        return bool(self.server.supervisor.signalProcess(name, signal_name))


class Supervisor:
    """supervisorctl, as `command` (a config file can follow it in tests), and supervisord's socket
    (rpc, a module_utils.supervisor.Rpc, or None) for the status, pid and signal questions; where the
    socket does not answer, supervisorctl is asked, and says what failed."""

    def __init__(self, module, command=("supervisorctl",), rpc=None):
        self.module = module
        self.command = list(command)
        self.rpc = rpc

    def ctl(self, *args):
        try:
            rc, out, err = self.module.run_command(self.command + list(args), handle_exceptions=False)
        except OSError as error:
            # No supervisor on the host (yet, or any more): nothing runs under it.
            return 127, str(error)
        return rc, (out + err).strip()

    def states(self, targets=()):
        if self.rpc:
            try:
                return self.rpc.states(targets)
            except RPC_ERRORS:
                pass
        dummy, out = self.ctl("status", *targets)
        return supervisor_states(out.splitlines())

    def pid(self, name):
        """The pid of the process name, 0 when it runs none."""
        if self.rpc:
            try:
                return self.rpc.pid(name)
            except RPC_ERRORS:
                pass
        dummy, out = self.ctl("pid", name)
        return int(out) if out.isdigit() else 0

    def signal(self, signal_name, name):
        """(rc, output) of sending the signal to the process name."""
        if self.rpc:
            try:
                if self.rpc.signal(name, signal_name):
                    return 0, f"{name}: signalled"
            except RPC_ERRORS:
                pass
        return self.ctl("signal", signal_name, name)

    def fail_on_error(self, rc, out, what):
        # supervisorctl exits 0 on some errors, and says ERROR in its answer.
        if rc != 0 or "ERROR" in out:
            self.module.fail_json(msg=f"supervisorctl {what} failed: {out}", output=out)


def connect(config=CONFIG, earlier=EARLIER_CONFIGS):
    """An Rpc to the supervisord supervisorctl would talk to, or None (then ask supervisorctl)."""
    path = socket_path(config, earlier)
    return Rpc(path) if path else None
