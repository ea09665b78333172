"""gunicorn on a unix socket: nginx reaches it, nobody else does, and it survives a reboot."""

import os
import subprocess
import time
from pyweb_testing import HELLO, listeners

APP = "flask_hello"
SOCKET = f"/run/{APP}/gunicorn.sock"


def test_nginx_proxies_to_the_socket(host):
    site = host.file(f"/etc/nginx/sites-available/{APP}").content_string
    assert f"server unix:{SOCKET};" in site
    assert host.check_output("curl -sS --max-time 5 http://127.0.0.1:81/") == HELLO


def test_gunicorn_listens_on_no_tcp_port(host):
    conf = host.file(f"/etc/supervisor/conf.d/{APP}.conf").content_string
    assert f"--bind unix:{SOCKET} " in conf
    assert listeners(host, 5000) == []
    out = host.check_output("ss -ltnpH")
    assert all('"nginx"' in line for line in out.splitlines()), out


def test_socket_and_directory_permissions(host):
    directory = host.file(f"/run/{APP}")
    assert directory.is_directory
    assert (directory.user, directory.group) == (APP, "www-data")
    assert directory.mode == 0o750
    assert host.file(SOCKET).is_socket


def test_nginx_user_may_connect_and_others_may_not(host):
    cmd = f"curl -sS --max-time 5 --unix-socket {SOCKET} http://localhost/"
    assert host.check_output("sudo -u www-data %s" % cmd) == HELLO
    assert host.run("sudo -u nobody %s" % cmd).rc != 0


def test_everything_comes_back_after_a_reboot(host):
    container = os.environ.get("PYWEB_SOCKET_CONTAINER", "pyweb-socket")
    before = host.check_output("supervisorctl pid %s", APP)
    subprocess.run(["docker", "restart", container], check=True, timeout=120)
    deadline = time.monotonic() + 60
    answer = ""
    while time.monotonic() < deadline:
        answer = host.run("curl -s --max-time 2 http://127.0.0.1:81/").stdout
        if answer == HELLO:
            break
        time.sleep(1)
    assert answer == HELLO
    directory = host.file(f"/run/{APP}")
    assert (directory.user, directory.group, directory.mode) == (APP, "www-data", 0o750)
    assert host.check_output("supervisorctl pid %s", APP) != before


def test_by_default_the_request_is_logged_once_by_nginx(host):
    # gunicorn_access_log is off by default: nginx's site log has the request, with the client's
    # address, and gunicorn's log directory has no trace of it.
    marker = f"/pyweb-logged-once-{time.time_ns()}"
    host.run_expect([0], "curl -s -o /dev/null http://127.0.0.1:81%s", marker)
    deadline = time.monotonic() + 15  # nginx flushes its buffered log every 5 s
    while host.run("grep -qF %s /var/log/nginx/%s.access.log", marker, APP).rc != 0:
        assert time.monotonic() < deadline, "the request never reached nginx's access log"
        time.sleep(0.5)
    assert host.run("grep -rqF %s /var/log/%s", marker, APP).rc == 1
    assert not host.file(f"/var/log/{APP}/access.log").exists
    assert "--access-logfile" not in host.file(f"/etc/supervisor/conf.d/{APP}.conf").content_string
