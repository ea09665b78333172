"""The roles used on their own, with a user's app, after a redeploy of new code."""

import json
import re

APP = "shop"


def curl(host, url):
    return host.check_output("curl -sS --max-time 5 %s", url)


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


def test_no_request_failed_during_the_redeploy(host):
    summary = json.loads(host.file("/root/load-during-redeploy.json").content_string)
    assert summary["stopped_by"] == "stop file", summary
    assert summary["failed"] == 0, summary
    # The loop ran through the whole redeploy, not for a moment.
    assert summary["ok"] >= 500, summary
    assert summary["seconds"] >= 5, summary


def test_nginx_follows_the_gunicorn_port(host):
    site = host.file(f"/etc/nginx/sites-available/{APP}").content_string
    assert "server 127.0.0.1:8001;" in site
    assert host.socket("tcp://127.0.0.1:8001").is_listening
    assert not host.socket("tcp://127.0.0.1:5000").is_listening


def test_the_app_factory_is_what_gunicorn_loads(host):
    conf = host.file(f"/etc/supervisor/conf.d/{APP}.conf").content_string
    assert re.search(
        r"^command=.*/python -m gunicorn --config \S+ --chdir \S+ --bind 127.0.0.1:8001 'shop:create_app\(\)'$", conf, re.M
    ), conf


def test_the_configured_worker_count(host):
    master = host.check_output("supervisorctl pid %s", APP)
    workers = host.check_output("ps -o pid= --ppid %s", master).split()
    assert len(workers) == 3


def test_the_app_runs_as_its_own_user_with_its_environment(host):
    master = host.check_output("supervisorctl pid %s", APP)
    assert host.check_output("ps -o user= -p %s", master) == APP
    assert host.user(APP).exists


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
