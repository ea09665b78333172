"""Supervisor from PyPI: its own virtualenv and systemd unit, supervisorctl on the PATH, no
Debian package; switching to Debian's package removes it, and switching back removes the
package. Ends as it began, with supervisor from PyPI."""

from conftest import run_playbook
from pyweb_testing import HELLO

APP = "flask_hello"
SOCKET = f"/run/{APP}/gunicorn.sock"
VENV = "/opt/supervisor"
UNIT = "/etc/systemd/system/supervisor.service"


def page(host):
    return host.check_output("curl -sS --max-time 5 http://127.0.0.1:81/")


def supervisord(host):
    """The command line of the running supervisord."""
    pid = host.file("/run/supervisor/supervisord.pid").content_string.strip()
    return host.check_output("ps -o args= -p %s", pid)


def assert_from_pypi(host):
    assert not host.package("supervisor").is_installed
    assert supervisord(host).startswith(f"{VENV}/bin/python") or f"{VENV}/bin/supervisord" in supervisord(host)
    assert host.file("/usr/local/bin/supervisorctl").linked_to == f"{VENV}/bin/supervisorctl"
    assert host.check_output("command -v supervisorctl") == "/usr/local/bin/supervisorctl"
    assert host.check_output(f"{VENV}/bin/pip show supervisor | sed -n 's/^Version: //p'") == "4.3.0"
    assert host.service("supervisor").is_enabled
    running(host)
    assert page(host) == HELLO


def running(host):
    """Waits until supervisor counts the app as started (after its startsecs), at most 15 s."""
    host.check_output("timeout 15 sh -c 'until supervisorctl status %s | grep -q RUNNING; do sleep 1; done'", APP)


def test_supervisor_runs_from_its_own_virtualenv(host):
    assert_from_pypi(host)
    unit = host.file(UNIT).content_string
    assert f"ExecStart={VENV}/bin/supervisord -n -c /etc/supervisor/supervisord.conf" in unit
    # The paths are the package's: the same config, program directory, socket and logs.
    assert host.file(f"/etc/supervisor/conf.d/{APP}.conf").exists
    sock = host.file("/run/supervisor/supervisor.sock")
    assert sock.is_socket and sock.mode == 0o700


def test_switching_to_the_package_and_back_cleans_up_the_other(host):
    rc, out = run_playbook("site.yml", {"pyweb_app_socket": SOCKET,
                                        "supervisor_install_method": "package"})
    assert rc == 0, out[-3000:]
    assert host.package("supervisor").is_installed
    assert supervisord(host).startswith("/usr/bin/python3 /usr/bin/supervisord")
    for gone in (VENV, UNIT, "/usr/local/bin/supervisorctl", "/usr/local/bin/supervisord"):
        assert not host.file(gone).exists, gone
    running(host)
    assert page(host) == HELLO

    rc, out = run_playbook("site.yml", {"pyweb_app_socket": SOCKET,
                                        "supervisor_install_method": "pip"})
    assert rc == 0, out[-3000:]
    assert_from_pypi(host)
