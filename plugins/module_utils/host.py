"""What dpkg and systemd say about packages and services, each in one call. Shared by the
host_state module (which asks) and the converged module (which records the answer)."""

import subprocess


def package_states(names, run=subprocess.run):
    """{name: installed?} for the Debian packages, from one dpkg-query."""
    if not names:
        return {}
    try:
        answer = run(["dpkg-query", "--show", "--showformat=${Package} ${db:Status-Status}\n", *names],
                     capture_output=True, text=True, check=False)
    except OSError:
        return {name: False for name in names}
    installed = {line.split()[0].split(":")[0] for line in answer.stdout.splitlines()
                 if line.split()[-1:] == ["installed"]}
    return {name: name in installed for name in names}


def service_states(names, run=subprocess.run):
    """{name: {enabled, active}} from one `systemctl show`; neither when systemd cannot answer."""
    states = {name: {"enabled": False, "active": False} for name in names}
    if not names:
        return states
    units = {(name if "." in name else name + ".service"): name for name in names}
    try:
        answer = run(["systemctl", "show", "--property=Id,UnitFileState,ActiveState", *units],
                     capture_output=True, text=True, check=False)
    except OSError:
        return states
    if answer.returncode != 0:
        return states
    for block in answer.stdout.strip().split("\n\n"):
        values = dict(line.partition("=")[::2] for line in block.splitlines())
        name = units.get(values.get("Id", ""))
        if name is not None:
            states[name] = {"enabled": values.get("UnitFileState") == "enabled",
                            "active": values.get("ActiveState") == "active"}
    return states
