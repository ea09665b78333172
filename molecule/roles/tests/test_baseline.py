"""The baseline: dev-sec's nginx baseline (github.com/dev-sec/nginx-baseline) where it applies to
nginx as a reverse proxy in front of an app, then the collection's own guarantees on files, headers
and secrets, all on the roles scenario's host after its redeploy.

Held here, with the values this collection sets:
- nginx-01, worker processes unprivileged: workers run as www-data, only the master as root.
- nginx-02, nginx.conf: root's, and neither readable nor writable by other users (0640); the
  collection's site files too.
- nginx-03, default files: Debian's default site is gone, and there is no conf.d/default.conf.
- nginx-04, one instance: a single nginx master.
- nginx-05, server_tokens off: no version in the Server header or error pages.
- nginx-06, header buffers: client_header_buffer_size 1k in http{}; large_client_header_buffers
  is 4 8k, not the baseline's 2 1k: a browser's session and CSRF cookies alone pass 1k, and so do
  OAuth redirect URLs, which would then be refused with 400.
- nginx-07, timeouts: the header timeout, keepalive_timeout and send_timeout are set in http{},
  where nginx applies them before it knows the site, each at most 30 s; keepalive is 20 s, not the
  baseline's 5 s, which would cost returning browsers a new TCP and TLS handshake.
- nginx-08, simultaneous connections: limit_conn per client address, 100 rather than 5, since
  many users may share an address (NAT); over it, 429.
- X-Frame-Options, X-Content-Type-Options and a Content-Security-Policy: on every answer, errors
  included, with the rest of nginx_security_headers.

Held elsewhere: TLS 1.2 and 1.3 only, session tickets off, HSTS (default's test_tls.py; platforms'
test_platforms.py on Debian 11 and 13).

Left out, and why:
- client_max_body_size and client_body_buffer_size of 1k: a Flask app takes form posts and uploads;
  10m with a 15 s body timeout instead (413 beyond it, checked below).
- X-XSS-Protection: browsers removed the filter it switched on, and "1; mode=block" let pages leak
  across origins; no header is the current advice, and none is sent.
- DH parameters: only ECDHE key exchanges are offered, which use none.
- Limiting HTTP methods in nginx: which methods a route takes is the app's to say (Flask answers
  405); a list in nginx would break the apps that take PUT, PATCH or DELETE.
"""

import re

from conftest import slow_requests
from test_roles import APP, SECURITY_HEADERS, SITE, headers

TOKEN = "tok-7c31d9e04b5a-environment-secret"
SECRET_KEY = "key-52e0a1f7c9d3-instance-secret"
RELAY_TOKEN = "relay-3e9b60d2f4a8-program-secret"


def http_block(host):
    """The directives of nginx.conf's http{} block itself, as nginx sees them, name -> value."""
    config = host.file("/etc/nginx/nginx.conf").content_string
    found = re.findall(r"^    ([a-z_]+) (.*?);$", config, re.M)
    return dict(found)


def test_nginx_01_worker_processes_run_unprivileged(host):
    processes = host.check_output("ps -o user=,args= -C nginx").splitlines()
    masters = [line for line in processes if "master process" in line]
    workers = [line for line in processes if "worker process" in line]
    assert masters and workers, processes
    assert all(line.split()[0] == "root" for line in masters), processes
    assert all(line.split()[0] == "www-data" for line in workers), processes
    assert "user www-data;" in host.file("/etc/nginx/nginx.conf").content_string


def test_nginx_02_config_files_are_roots_and_closed_to_others(host):
    for path in ("/etc/nginx/nginx.conf", f"/etc/nginx/sites-available/{APP}",
                 "/etc/nginx/conf.d/pyweb-unknown-hosts-81.conf"):
        config = host.file(path)
        assert (config.user, config.group) == ("root", "root"), path
        assert config.mode & 0o007 == 0 and config.mode & 0o020 == 0, (path, oct(config.mode))
    assert host.run("runuser -u nobody -- cat /etc/nginx/nginx.conf").rc != 0


def test_nginx_03_the_default_site_is_gone(host):
    assert not host.file("/etc/nginx/sites-enabled/default").exists
    assert not host.file("/etc/nginx/conf.d/default.conf").exists


def test_nginx_04_one_nginx_master(host):
    assert host.check_output("pgrep -c -f '^nginx: master'") == "1"


def test_nginx_05_no_version_in_answers(host):
    status, found = headers(host, "http://127.0.0.1:81/no-such-page")
    assert status == 404 and found["server"] == "nginx", found
    assert http_block(host)["server_tokens"] == "off"


def test_nginx_06_to_08_client_limits_hold_for_the_whole_host(host):
    http = http_block(host)
    assert http["client_header_buffer_size"] == "1k"
    assert http["large_client_header_buffers"] == "4 8k"
    for name, seconds in (("client_header_timeout", 15), ("keepalive_timeout", 20), ("send_timeout", 30)):
        assert http[name] == f"{seconds}s", name
    assert http["limit_conn"] == "pyweb_per_address 100"
    assert http["limit_conn_status"] == "429"
    site = host.file(f"/etc/nginx/sites-available/{APP}").content_string
    assert "client_max_body_size 10m;" in site and "client_body_timeout 15s;" in site


def test_security_headers_on_app_answers_and_nginx_errors(host):
    status, found = headers(host, "http://127.0.0.1:81/")
    assert status == 200
    for name, value in SECURITY_HEADERS.items():
        assert found.get(name) == value, (name, found)
    # The location's own add_header (nginx_location_extra) did not drop them.
    assert found.get("x-shop") == "location extra"
    # A body over nginx_client_max_body_size (10m) is refused by nginx itself, still with them.
    host.check_output("head -c 11000000 /dev/zero > /root/big-body")
    status, found = headers(host, "http://127.0.0.1:81/", "--data-binary @/root/big-body")
    assert status == 413
    for name, value in SECURITY_HEADERS.items():
        assert found.get(name) == value, (name, found)
    # A location of the user's own (molecule/roles/templates/shop-site.conf.j2) inherits them.
    status, found = headers(host, "http://127.0.0.1:81/humans.txt")
    assert status == 200
    for name, value in SECURITY_HEADERS.items():
        assert found.get(name) == value, (name, found)
    # The app's 404 too.
    status, found = headers(host, "http://127.0.0.1:81/no-such-page")
    assert status == 404
    for name, value in SECURITY_HEADERS.items():
        assert found.get(name) == value, (name, found)
    # nginx's 429, to the 101st request in progress from one address (nginx_connections_per_address).
    refused = slow_requests(host, "busy", 81, SITE, 100)
    assert refused["status"] == "HTTP/1.1 429 Too Many Requests", refused
    found = dict(line.lower().split(": ", 1) for line in refused["head"].splitlines()[1:])
    for name, value in SECURITY_HEADERS.items():
        assert found.get(name) == value.lower(), (name, found)


def test_security_headers_on_the_502_of_a_users_location_whose_service_is_down(host):
    # A location of the user's own (nginx_server_extra) proxied to a service that is not running.
    status, found = headers(host, "http://127.0.0.1:81/reports/")
    assert status == 502
    for name, value in SECURITY_HEADERS.items():
        assert found.get(name) == value, (name, found)


def test_other_users_read_the_static_files_and_nothing_else_of_the_code(host):
    release = host.file(f"/opt/{APP}/current").linked_to
    venv = host.file(f"{release}/venv").linked_to

    def as_nobody(command, *args):
        return host.run("runuser -u nobody -- " + command, *args)

    # nginx (www-data) is another user too: it reads the static files as any user may.
    assert as_nobody("cat %s/shop/static/shop.css", release).stdout.strip() == "body { color: teal; }"
    for path in (f"{release}/shop/__init__.py", f"{release}/requirements.txt", f"{venv}/pyvenv.cfg",
                 f"{venv}/bin/activate", f"/opt/{APP}/environment.json", f"/opt/{APP}/shared/instance/config.py"):
        assert host.file(path).exists, path
        assert as_nobody("cat %s", path).rc != 0, path
    for directory in (release, f"{release}/shop", venv, f"{venv}/lib"):
        assert as_nobody("ls %s", directory).rc != 0, directory
    # The app's own user still reads its code (it serves), and writes none of it.
    assert host.run("runuser -u %s -- cat %s/shop/__init__.py", APP, release).rc == 0
    assert host.run("runuser -u %s -- touch %s/shop/x", APP, release).rc != 0


def test_a_release_an_earlier_version_left_open_was_closed(host):
    # side_effect.yml opened release 1, its virtualenv (release 2's too) and their directories to every
    # user before the redeploy, as earlier versions left them; release 1 is still kept.
    current = host.file(f"/opt/{APP}/current").linked_to
    kept = [r for r in host.check_output(f"ls /opt/{APP}/releases").split() if not current.endswith(r)]
    assert len(kept) == 1, kept
    release = f"/opt/{APP}/releases/{kept[0]}"
    assert host.file(release).mode == 0o751
    assert host.file(f"/opt/{APP}/releases").mode == host.file(f"/opt/{APP}/venvs").mode == 0o751
    assert host.run("runuser -u nobody -- cat %s/shop/__init__.py", release).rc != 0
    assert host.run("runuser -u nobody -- cat %s/shop/static/shop.css", release).rc == 0


def test_releases_and_virtualenvs_are_roots_and_read_only_to_the_app(host):
    # Nothing in them (links aside, which point into shared/) belongs to the app or is writable by
    # anyone but root, though the app user built them.
    loose = host.check_output(
        f"find /opt/{APP}/releases /opt/{APP}/venvs ! -type l \\( ! -user root -o -perm /022 \\) | head -5")
    assert loose == ""
    assert host.run(f"runuser -u {APP} -- touch /opt/{APP}/current/shop/planted").rc != 0
    assert host.run(f"runuser -u {APP} -- touch /opt/{APP}/current/venv/bin/planted").rc != 0


def test_secrets_reach_no_log_and_no_other_file(host):
    # gunicorn runs at loglevel debug here, where it logs every one of its settings.
    assert "Current configuration" in host.file(f"/var/log/{APP}/error.log").content_string
    # The journal holds what sudo logged of the deploys' become (else finding no secret in it would
    # prove nothing).
    logged = host.run("journalctl --no-pager -o cat | grep -c 'COMMAND=/bin/sh -c .echo BECOME-SUCCESS'")
    assert int(logged.stdout.strip() or 0) > 10, logged
    for secret, home in ((TOKEN, f"/opt/{APP}/environment.json"),
                         (SECRET_KEY, f"/opt/{APP}/shared/instance/config.py"),
                         (RELAY_TOKEN, "/etc/supervisor/conf.d/relay.conf")):
        found = host.run("grep -rlsF -D skip --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev %s /",
                         secret).stdout.split()
        assert found == [home], secret
        assert host.run("journalctl --no-pager -o cat | grep -cF %s", secret).stdout.strip() == "0", secret


def test_a_programs_environment_is_in_a_file_of_roots_alone_and_reaches_it(host):
    conf = host.file("/etc/supervisor/conf.d/relay.conf")
    assert (conf.user, conf.group, conf.mode) == ("root", "root", 0o640)
    pid = host.check_output("supervisorctl pid relay")
    assert host.check_output("stat -c %%U /proc/%s", pid) == "nobody"
    assert RELAY_TOKEN in host.check_output("tr '\\0' '\\n' < /proc/%s/environ", pid)
