"""The roles used on their own, with a user's app, after a redeploy of new code."""

import json
import re

from pyweb_testing import assert_served_throughout, listeners

APP = "shop"


SITE = "shop.example.test"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "cross-origin-opener-policy": "same-origin-allow-popups",
    "cross-origin-resource-policy": "same-site",
    "x-permitted-cross-domain-policies": "none",
    "content-security-policy": "frame-ancestors 'self'; object-src 'none'; base-uri 'self'",
}


def curl(host, url, *args):
    """GET through nginx as a client of the site would, by its name."""
    return host.check_output("curl -sS --max-time 5 -H 'Host: %s' %s " + " ".join(args), SITE, url)


def headers(host, url, *curl_args):
    """Status code and lower-cased headers of one request through nginx."""
    out = host.run(
        "curl -sS --max-time 10 -o /dev/null -D - -H 'Host: %s' %s " + " ".join(curl_args), SITE, url
    ).stdout
    lines = out.replace("\r\n", "\n").strip().splitlines()
    found = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in found.items()}


def test_the_new_release_is_served_through_nginx(host):
    assert curl(host, "http://127.0.0.1:81/") == "Hello, shopper from release 2"


def test_the_redeploy_reloaded_gunicorn_without_restarting_it(host):
    before = host.file("/root/master-before-redeploy").content_string.strip()
    now = host.check_output("supervisorctl pid %s", APP)
    assert now == before
    # Workers are the master's children: the one that answered belongs to the same master.
    assert curl(host, "http://127.0.0.1:81/pid") == now
    log = host.file(f"/var/log/{APP}/error.log").content_string
    assert "Handling signal: hup" in log


def test_no_request_failed_during_the_redeploy_and_the_rejected_site(host):
    summary = json.loads(host.file("/root/load-during-redeploy.json").content_string)
    print(f"redeploy under load: {summary}")
    # The loop ran through the whole redeploy and the rejected site, not for a moment.
    assert summary["seconds"] >= 5, summary
    assert_served_throughout(summary)


def test_the_redeploy_by_the_three_roles_alone_pruned_old_releases(host):
    # side_effect.yml lists nginx, supervisor and gunicorn and nothing else, keeping two releases:
    # the stale one it left, older than release 1, is gone; release 1 stays for a rollback.
    releases = host.check_output("ls /opt/%s/releases", APP).split()
    assert "0-stale" not in releases
    assert len(releases) == 2, releases
    assert host.file(f"/opt/{APP}/current").linked_to.split("/")[-1] in releases


def test_nginx_and_gunicorn_follow_the_shared_app_port(host):
    site = host.file(f"/etc/nginx/sites-available/{APP}").content_string
    assert "server 127.0.0.1:8001;" in site
    assert host.socket("tcp://127.0.0.1:8001").is_listening
    assert listeners(host, 5000) == []


def test_the_health_check_asked_through_nginx_too(host):
    # The roles imported one by one still check a new release through the proxy: the nginx role
    # published its site for the gunicorn role's check.
    # The site's log is in the nginx role's pyweb format: combined, then the request's time, the
    # app's answer time and address, and when the request ended.
    checked = r'"GET / HTTP/1\.1" 200 .*"pyweb\.deploy health check" [\d.]+ "[\d.]+" "[^"]+" [\d.]+$'
    log = host.file(f"/var/log/nginx/{APP}.access.log").content_string
    assert re.search(checked, log, re.M), log[-2000:]


def test_a_site_template_of_the_users_adds_to_the_roles_site(host):
    # The location the shop's template adds, beside everything the role's site has.
    assert curl(host, "http://127.0.0.1:81/humans.txt") == "Team: the shop's"
    status, found = headers(host, "http://127.0.0.1:81/humans.txt")
    assert status == 200 and found["content-type"].startswith("text/plain")
    site = host.file(f"/etc/nginx/sites-available/{APP}").content_string
    assert "location = /humans.txt" in site and "proxy_pass http://" in site


def test_the_app_factory_is_what_gunicorn_loads(host):
    conf = host.file(f"/etc/supervisor/conf.d/{APP}.conf").content_string
    assert re.search(
        r"^command=.*/python -m gunicorn --config \S+ --chdir \S+ --bind 127.0.0.1:8001"
        r" --access-logfile /var/log/shop/access.log 'shop:create_app\(\)'$", conf, re.M
    ), conf


def test_the_configured_worker_count(host):
    master = host.check_output("supervisorctl pid %s", APP)
    workers = host.check_output("ps -o pid= --ppid %s", master).split()
    assert len(workers) == 3


def test_the_app_runs_as_its_own_user_with_its_environment(host):
    master = host.check_output("supervisorctl pid %s", APP)
    assert host.check_output("ps -o user= -p %s", master) == APP
    assert host.user(APP).exists
    # SHOP_GREETING reached the app (the page starts with it) from a file only root and the app's
    # group may read, and not from the supervisor program file.
    assert curl(host, "http://127.0.0.1:81/").startswith("Hello, shopper")
    environment = host.file(f"/opt/{APP}/environment.json")
    assert (environment.user, environment.group, environment.mode) == ("root", APP, 0o640)
    assert "SHOP_GREETING" in environment.content_string
    assert "SHOP_GREETING" not in host.file(f"/etc/supervisor/conf.d/{APP}.conf").content_string
    assert host.file(f"/etc/supervisor/conf.d/{APP}.conf").mode == 0o640
    assert host.run("sudo -u nobody cat /opt/%s/environment.json", APP).rc != 0


def test_the_app_code_is_the_users(host):
    assert host.file(f"/opt/{APP}/current/shop/__init__.py").exists
    assert not host.file("/opt/flask_hello").exists


def test_nginx_reloaded_the_new_server_name_without_restarting(host):
    site = host.file(f"/etc/nginx/sites-available/{APP}").content_string
    assert "server_name shop.example.test;" in site
    before = host.file("/root/nginx-before-redeploy").content_string.strip()
    assert host.file("/run/nginx.pid").content_string.strip() == before
    loaded = host.check_output("nginx -T 2>/dev/null | grep -c 'server_name shop.example.test;'")
    assert int(loaded) == 1


def test_a_site_nginx_rejects_fails_the_play_and_is_rolled_back(host):
    message = host.file("/root/nginx-bad-site").content_string
    assert "nginx rejected the site" in message
    assert 'unknown directive "no_such_directive"' in message
    site = host.file(f"/etc/nginx/sites-available/{APP}").content_string
    assert "no_such_directive" not in site
    assert "charset utf-8;" in site
    leftovers = host.check_output("ls -A /etc/nginx/sites-available /etc/nginx/sites-enabled")
    assert "~" not in leftovers
    assert host.run("nginx -t").rc == 0
    assert curl(host, "http://127.0.0.1:81/") == "Hello, shopper from release 2"


def test_a_header_the_app_sets_too_is_sent_once_nginxs(host):
    # The app sets X-Frame-Options: DENY and its own Cross-Origin-Opener-Policy on every answer.
    out = host.check_output("curl -sS -o /dev/null -D - -H 'Host: %s' http://127.0.0.1:81/", SITE).lower()
    assert re.findall(r"^x-frame-options: (.*?)\r?$", out, re.M) == ["sameorigin"]
    assert re.findall(r"^cross-origin-opener-policy: (.*?)\r?$", out, re.M) == ["same-origin-allow-popups"]


def test_server_level_extra_directives(host):
    assert curl(host, "http://127.0.0.1:81/robots.txt") == "User-agent: *\nDisallow:"


def test_unknown_host_names_are_dropped(host):
    out = host.run("curl -sS --max-time 5 -H 'Host: evil.example' http://127.0.0.1:81/")
    assert out.rc == 52, out  # empty reply: nginx closed the connection without an answer
    assert curl(host, "http://127.0.0.1:81/").startswith("Hello, shopper")


def test_clients_cannot_spoof_the_forwarded_scheme(host):
    spoofed = ("-H 'X-Forwarded-Proto: https'", "-H 'X-Forwarded-Ssl: on'",
               "-H 'X-Forwarded-Protocol: ssl'", "-H 'Forwarded: proto=https'")
    assert curl(host, "http://127.0.0.1:81/scheme") == "http"
    assert curl(host, "http://127.0.0.1:81/scheme", *spoofed) == "http"


def test_static_files_are_served_by_nginx_from_the_release(host):
    status, got = headers(host, "http://127.0.0.1:81/static/shop.css")
    assert status == 200
    # nginx's own answer (expires 1h), with the security headers; the app never sees it.
    assert got["cache-control"] == "max-age=3600"
    assert got["x-content-type-options"] == "nosniff"
    assert curl(host, "http://127.0.0.1:81/static/shop.css") == "body { color: teal; }"
    assert "/static/" not in host.file(f"/var/log/{APP}/access.log").content_string


def test_the_instance_folder_outlives_releases(host):
    link = host.file(f"/opt/{APP}/current/instance")
    assert link.is_symlink and link.linked_to == f"/opt/{APP}/shared/instance"
    shared = host.file(f"/opt/{APP}/shared/instance")
    assert (shared.user, shared.group, shared.mode) == (APP, APP, 0o750)
    # The pre-start command made the database as the app user; a visit recorded by release 1
    # is still there for release 2.
    database = host.file(f"/opt/{APP}/shared/instance/shop.db")
    assert database.user == APP
    count = int(host.check_output("curl -sS -X POST -H 'Host: %s' http://127.0.0.1:81/visits", SITE))
    assert count >= 2
    rows = host.check_output(
        "python3 -c \"import sqlite3; print(sorted(set(r for (r,) in sqlite3.connect("
        "'/opt/%s/shared/instance/shop.db').execute('SELECT release FROM visits'))))\"", APP)
    assert rows == "['1', '2']"


def test_the_build_step_compiled_the_translations(host):
    assert curl(host, "http://127.0.0.1:81/welcome?lang=de") == "Willkommen bei Teashop"
    assert curl(host, "http://127.0.0.1:81/welcome") == "Welcome to Teashop"
    compiled = host.file(f"/opt/{APP}/current/shop/translations/de/LC_MESSAGES/messages.mo")
    assert compiled.exists and compiled.user == "root"


def test_no_code_of_the_app_ran_as_root(host):
    # The app writes a line with its uid to logs/shop.log each time it is imported: by the load
    # check before each switch (python -m gunicorn), the pre-start command (flask) and the workers.
    log = host.file(f"/opt/{APP}/shared/logs/shop.log")
    assert log.user == APP
    lines = [line for line in log.content_string.splitlines() if "imported by uid" in line]
    uids = {int(re.search(r"imported by uid (\d+)", line).group(1)) for line in lines}
    assert uids == {host.user(APP).uid}, lines
    assert any(" flask" in line for line in lines), lines
    assert any("__main__.py" in line for line in lines), lines
    # The build command too (the release is root's once built, so only what it wrote tells).
    assert host.file(f"/opt/{APP}/current/shop/BUILT_BY").content_string.strip() == str(host.user(APP).uid)


def test_the_instance_folder_holds_the_users_config(host):
    config = host.file(f"/opt/{APP}/shared/instance/config.py")
    assert (config.user, config.group, config.mode) == ("root", APP, 0o640)
    # SECRET_KEY reached Flask: it signs.
    assert re.fullmatch(r"[\w.-]+", curl(host, "http://127.0.0.1:81/signed"))
