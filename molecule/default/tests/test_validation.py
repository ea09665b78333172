"""Bad input against a converged host: site.yml stops with a message naming the variable and its
value, and the host keeps serving exactly as before. The table of bad values is checked without a
host, in tests/test_bad_input.py; this checks on a real host what that table cannot."""

import pytest
from conftest import run_playbook
from pyweb_testing import HELLO

APP = "flask_hello"
WATCHED = [
    "/etc/nginx/nginx.conf",
    f"/etc/nginx/sites-available/{APP}",
    f"/opt/{APP}/gunicorn.conf.py",
    "/etc/supervisor/supervisord.conf",
    f"/etc/supervisor/conf.d/{APP}.conf",
]


@pytest.fixture(scope="module")
def state_before(host):
    return snapshot(host)


def snapshot(host):
    return {
        "files": host.check_output("sha256sum " + " ".join(WATCHED)),
        "gunicorn": host.check_output("supervisorctl pid %s", APP),
        "nginx": host.file("/run/nginx.pid").content_string.strip(),
        "listing": host.check_output("ls -la /etc/nginx/sites-enabled /etc/supervisor/conf.d /opt"),
    }


def test_a_bad_value_is_refused_before_the_host_is_touched(host, state_before):
    returncode, output = run_playbook("site.yml", {"gunicorn_app_root": "opt/app"})
    assert returncode != 0, output[-2000:]
    assert 'gunicorn_app_root must be an absolute path for this app alone' in output, output[-3000:]
    # Only the checking play ran: no task reached the host.
    assert "Deploy a Python WSGI app" not in output, output[-2000:]
    assert snapshot(host) == state_before
    assert host.check_output("curl -sS --max-time 5 http://127.0.0.1:81/") == HELLO


def test_every_bad_value_of_every_role_is_reported_in_one_run(host, state_before):
    extra = {"gunicorn_timeout": 0, "gunicorn_bind_port": 70000, "nginx_worker_processes": "many",
             "supervisor_log_dir": "/tmp/logs"}
    returncode, output = run_playbook("site.yml", extra)
    assert returncode != 0, output[-2000:]
    for message in ("gunicorn_timeout must be a whole number of at least 1; got 0",
                    "and 70000",
                    'nginx_worker_processes must be auto or a whole number from 1; got "many"',
                    'supervisor_log_dir must be an absolute path outside /tmp'):
        assert message in output, output[-3000:]
    assert "Bad values for the gunicorn, supervisor, nginx role(s)" in output, output[-2000:]
    assert "Deploy a Python WSGI app" not in output, output[-2000:]
    assert snapshot(host) == state_before
