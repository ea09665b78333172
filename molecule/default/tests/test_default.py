"""What a user of the full site sees on a converged Debian host."""

import re
import time
from pyweb_testing import HELLO, listeners

APP = "flask_hello"


def get(host, url="http://127.0.0.1:81/"):
    """Fetch a URL from inside the host; return (status line and headers, body)."""
    out = host.check_output("curl -sS --max-time 5 -D - %s", url)
    head, dummy, body = out.replace("\r\n", "\n").partition("\n\n")
    return head, body


def gunicorn_processes(host):
    """The gunicorn master and its workers, as (pid, ppid, user) tuples."""
    out = host.check_output("ps -eo pid=,ppid=,user:32=,args= | grep '[g]unicorn --config'")
    procs = []
    for line in out.splitlines():
        pid, ppid, user = line.split()[:3]
        procs.append((int(pid), int(ppid), user))
    return procs


def master_pid(host):
    procs = gunicorn_processes(host)
    pids = {p[0] for p in procs}
    masters = [p for p in procs if p[1] not in pids]
    assert len(masters) == 1, procs
    return masters[0][0]


def test_port_81_serves_hello_world(host):
    head, body = get(host)
    assert head.startswith("HTTP/1.1 200"), head
    assert body == HELLO


def test_server_header_has_no_version(host):
    head, dummy = get(host)
    server = [line for line in head.splitlines() if line.lower().startswith("server:")]
    assert server == ["Server: nginx"], server


def test_error_pages_have_no_version(host):
    head, body = get(host, "http://127.0.0.1:81/no-such-page")
    assert " 404 " in head.splitlines()[0]
    assert not re.search(r"nginx/\d", body)


def test_default_site_is_gone(host):
    assert not host.file("/etc/nginx/sites-enabled/default").exists
    # Port 80 was the default site's; nothing claims it now.
    assert listeners(host, 80) == []


def test_site_is_linked_into_sites_enabled(host):
    enabled = host.file(f"/etc/nginx/sites-enabled/{APP}")
    assert enabled.is_symlink
    assert enabled.linked_to == f"/etc/nginx/sites-available/{APP}"
    site = host.file(f"/etc/nginx/sites-available/{APP}").content_string
    assert "listen 81;" in site
    assert "charset utf-8;" in site
    for header in ("Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Real-IP"):
        assert f"proxy_set_header {header} " in site


def test_nginx_reuses_connections_to_gunicorn(host):
    site = host.file(f"/etc/nginx/sites-available/{APP}").content_string
    assert re.search(r"upstream \w+ \{[^}]*server 127.0.0.1:5000;[^}]*keepalive \d+;", site)
    assert "proxy_http_version 1.1;" in site
    # No "Connection: close" to gunicorn: the header is empty unless the client asks to upgrade.
    assert re.search(r'map \$http_upgrade \$(\w+) \{\s*default upgrade;\s*"" "";\s*\}', site), site
    assert "proxy_set_header Connection $%s;" % re.search(r"map \$http_upgrade \$(\w+)", site).group(1) in site
    for dummy in range(30):
        get(host)
    # Kept-alive connections stay open between requests; without reuse each request would leave
    # one more closed connection behind in TIME-WAIT.
    established = host.check_output("ss -tnH state established '( dport = :5000 )'").splitlines()
    time_wait = host.check_output("ss -tnH state time-wait '( dport = :5000 )'").splitlines()
    assert 1 <= len(established) <= 4, established
    assert len(time_wait) < 10, time_wait


def test_gunicorn_outlives_nginx_idle_upstream_connections(host):
    conf = host.file(f"/opt/{APP}/gunicorn.conf.py").content_string
    site = host.file(f"/etc/nginx/sites-available/{APP}").content_string
    gunicorn_keepalive = int(re.search(r"^keepalive = (\d+)$", conf, re.M).group(1))
    nginx_idle = int(re.search(r"keepalive_timeout (\d+)s;", site).group(1))
    assert gunicorn_keepalive > nginx_idle
    assert re.search(r"^preload_app = False$", conf, re.M)


def test_a_restart_after_traffic_does_not_wait_out_the_graceful_timeout(host):
    """nginx's idle connections to gunicorn close within seconds, so a stopping gunicorn has none
    left to wait for: its workers exit by themselves well before gunicorn_graceful_timeout, when
    the master would kill them."""
    log = f"/var/log/{APP}/error.log"
    graceful = int(re.search(r"^graceful_timeout = (\d+)$",
                             host.file(f"/opt/{APP}/gunicorn.conf.py").content_string, re.M).group(1))
    for dummy in range(10):
        get(host)
    lines_before = int(host.check_output("wc -l < %s", log))
    host.check_output("supervisorctl restart %s", APP)
    since = host.check_output("tail -n +%s %s", str(lines_before + 1), log)

    def when(event):
        line = next(line for line in since.splitlines() if event in line)
        return time.mktime(time.strptime(line[1:20], "%Y-%m-%d %H:%M:%S"))

    assert when("Shutting down: Master") - when("Handling signal: term") < graceful / 2, since
    assert get(host)[1] == HELLO


def test_nginx_config_passes_its_own_check(host):
    assert host.run("nginx -t").rc == 0


def test_gunicorn_runs_as_the_app_user(host):
    procs = gunicorn_processes(host)
    assert procs
    assert {p[2] for p in procs} == {APP}
    user = host.user(APP)
    assert user.shell in ("/usr/sbin/nologin", "/bin/false")
    assert user.group == APP


def test_gunicorn_uses_gevent_workers(host):
    log = host.file(f"/var/log/{APP}/error.log").content_string
    assert "Using worker: gevent" in log


def test_worker_count_is_one_per_cpu(host):
    master = master_pid(host)
    workers = [p for p in gunicorn_processes(host) if p[1] == master]
    assert len(workers) == int(host.check_output("nproc"))


def test_gunicorn_listens_on_loopback_only(host):
    out = host.check_output("ss -ltnpH")
    sockets = [line.split() for line in out.splitlines()]
    on_5000 = {fields[3] for fields in sockets if fields[3].endswith(":5000")}
    assert on_5000 == {"127.0.0.1:5000"}, out
    # Whatever listens beyond loopback is nginx.
    public = [f for f in sockets if not f[3].startswith(("127.", "[::1]"))]
    assert public and all('"nginx"' in " ".join(f) for f in public), out


def test_gunicorn_does_not_daemonize(host):
    # The master is supervisord's own child, so supervisor sees it die and can restart it.
    supervisord = int(host.file("/run/supervisor/supervisord.pid").content_string.strip())
    ppid = int(host.check_output("ps -o ppid= -p %s", str(master_pid(host))))
    assert ppid == supervisord


def test_app_code_and_venv_are_not_writable_by_the_app(host):
    for path in (f"/opt/{APP}/current/flask_hello.py", f"/opt/{APP}/current/venv/bin/python3",
                 f"/opt/{APP}/current", f"/opt/{APP}/releases", f"/opt/{APP}/venvs",
                 f"/opt/{APP}/gunicorn.conf.py", f"/opt/{APP}"):
        assert host.run("sudo -u %s test -w %s", APP, path).rc != 0, path


def test_supervisor_socket_is_root_only(host):
    sock = host.file("/run/supervisor/supervisor.sock")
    assert sock.is_socket
    assert sock.user == "root"
    assert sock.mode == 0o700
    directory = host.file("/run/supervisor")
    assert directory.user == "root"
    assert directory.mode == 0o700


def test_supervisor_has_no_http_server(host):
    conf = host.file("/etc/supervisor/supervisord.conf").content_string
    assert "[inet_http_server]" not in conf
    assert "supervisord" not in host.check_output("ss -ltnpH")


def test_supervisor_pid_file(host):
    pid_file = host.file("/run/supervisor/supervisord.pid")
    assert pid_file.is_file
    pid = int(pid_file.content_string.strip())
    assert "supervisord" in host.check_output("ps -o args= -p %s", str(pid))


def test_no_supervisor_file_mentions_tmp(host):
    out = host.run("grep -rn /tmp /etc/supervisor /etc/tmpfiles.d/pyweb-supervisor.conf")
    assert out.rc == 1, out.stdout


def test_program_file(host):
    conf = host.file(f"/etc/supervisor/conf.d/{APP}.conf").content_string
    assert f"[program:{APP}]" in conf
    assert (
        f"command=/opt/{APP}/current/venv/bin/python -m gunicorn --config /opt/{APP}/gunicorn.conf.py"
        f" --chdir /opt/{APP}/current --bind 127.0.0.1:5000"
        # Asked for by the scenario (gunicorn_access_log); the socket scenario has the default.
        f" --access-logfile /var/log/{APP}/access.log flask_hello:app"
    ) in conf
    assert f"user={APP}" in conf
    assert "autorestart=true" in conf
    assert "stopasgroup=true" in conf
    assert "stopsignal=TERM" in conf
    wait = int(re.search(r"^stopwaitsecs=(\d+)$", conf, re.M).group(1))
    graceful = int(
        re.search(
            r"^graceful_timeout = (\d+)$",
            host.file(f"/opt/{APP}/gunicorn.conf.py").content_string,
            re.M,
        ).group(1)
    )
    assert wait > graceful
    assert host.file(f"/var/log/supervisor/{APP}").is_directory


def test_supervisorctl_status_shows_the_app_running(host):
    out = host.check_output("supervisorctl status")
    assert re.search(rf"^{APP}\s+RUNNING", out, re.M), out


def test_services_are_enabled_at_boot(host):
    assert host.service("supervisor").is_enabled
    assert host.service("nginx").is_enabled


def test_killed_master_comes_back_within_15_seconds(host):
    before = master_pid(host)
    host.check_output("kill -9 %s", str(before))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status = host.run("supervisorctl status %s", APP).stdout
        answer = host.run("curl -s --max-time 2 http://127.0.0.1:81/").stdout
        if "RUNNING" in status and answer == HELLO:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"not back within 15 s: {status!r} {answer!r}")
    assert master_pid(host) != before


def test_nginx_took_what_the_other_roles_need_along_in_its_apt_transaction(host):
    # The nginx role, first in site.yml, installed what the supervisor and gunicorn roles need
    # whatever their settings; the gunicorn role installed nothing more.
    entries = host.file("/var/log/apt/history.log").content_string.split("\n\n")
    installed = [set(re.findall(r"(?:^Install: |\), )([a-z0-9.+-]+):", entry, re.M)) for entry in entries]
    with_nginx = [names for names in installed if "nginx" in names]
    assert len(with_nginx) == 1, with_nginx
    assert {"logrotate", "python3-venv", "python3-packaging"} <= with_nginx[0], with_nginx
    assert len([names for names in installed if "python3-venv" in names]) == 1, installed
