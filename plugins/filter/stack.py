"""What the stack's roles install from Debian's archive whatever their settings, so that the first
of them to install anything takes the others' packages along, in one apt transaction.

A plain function of its inputs: tests/test_filters.py checks it without a host.
"""

import re

ROLE = re.compile(r"^(?:pyweb\.deploy\.)?(nginx|supervisor|gunicorn)$")


def stack_packages(role_names):
    """The Debian packages the supervisor and gunicorn roles among role_names (a play's
    ansible_play_role_names) install whatever their settings: logrotate, and what the app's
    virtualenvs need.

    Packages that depend on a role's own settings stay with that role's install: supervisor
    (Debian's package or PyPI, supervisor_install_method), certbot, nftables. So does nginx: a play
    also lists the nginx role when it only includes its rotation tasks (the app nodes of
    cluster.yml), and the nginx role installs nginx itself."""
    roles = {match.group(1) for match in map(ROLE.match, role_names) if match}
    packages = set()
    if "supervisor" in roles:
        packages.add("logrotate")
    if "gunicorn" in roles:
        packages.update(["python3-venv", "python3-packaging", "logrotate"])
    return sorted(packages)


class FilterModule:
    def filters(self):
        return {"stack_packages": stack_packages}
