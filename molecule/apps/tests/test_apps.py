"""Several apps on one host: shop and blog serve side by side, each with its own user, files,
program, logs and site, and neither can break the other; gamma was removed (side_effect.yml) and
left nothing behind."""

import os
import subprocess
from pathlib import Path

import pytest
from pyweb_testing import listeners

SCENARIO = Path(__file__).resolve().parents[1]
APPS = {"shop": 8001, "blog": 8002}


def page(host, name, port=81):
    return host.run("curl -sS --max-time 5 -H 'Host: %s.example.test' http://127.0.0.1:%s/", name, str(port))


@pytest.mark.parametrize("app", APPS)
def test_each_app_answers_its_own_name(host, app):
    got = page(host, app)
    assert got.rc == 0, got.stderr
    assert got.stdout == f"Hello from {app} from release 1"


@pytest.mark.parametrize("app", APPS)
def test_each_app_knows_its_sites_names_and_refuses_others_itself(host, app):
    # Asked past nginx, as anything else on the host could: the app checks the Host against the
    # names the deploy gave it (PYWEB_SERVER_NAMES, which it makes its TRUSTED_HOSTS).
    asked = "curl -sS -o /dev/null -w '%%{http_code}' -H 'Host: %s' http://127.0.0.1:%s/"
    assert host.check_output(asked, f"{app}.example.test", str(APPS[app])) == "200"
    assert host.check_output(asked, "evil.example", str(APPS[app])) == "400"


@pytest.mark.parametrize("app", APPS)
def test_each_app_has_its_own_user_files_program_logs_and_site(host, app):
    master = host.check_output("supervisorctl pid %s", app)
    users = host.check_output("ps -o user= --pid %s --ppid %s", master, master).split()
    assert set(users) == {app} and len(users) == 3  # the master and two workers
    assert host.socket(f"tcp://127.0.0.1:{APPS[app]}").is_listening
    for path in (f"/opt/{app}/gunicorn.conf.py", f"/opt/{app}/environment.json"):
        assert host.file(path).group == app
    assert host.file(f"/opt/{app}/current").linked_to.startswith(f"/opt/{app}/releases/")
    assert host.file(f"/var/log/{app}/error.log").user == app
    assert host.file(f"/etc/supervisor/conf.d/{app}.conf").contains(f"user={app}")
    assert host.file(f"/etc/nginx/sites-enabled/{app}").linked_to == f"/etc/nginx/sites-available/{app}"
    assert host.file(f"/var/log/nginx/{app}.access.log").exists


def test_an_app_cannot_read_or_change_another_apps_files(host):
    assert host.run("runuser -u blog -- cat /opt/shop/environment.json").rc != 0
    assert host.run("runuser -u blog -- touch /opt/shop/current/x /var/log/shop/x").rc != 0
    assert host.run("runuser -u shop -- cat /opt/blog/environment.json").rc != 0


def test_stopping_one_app_leaves_the_other_serving(host):
    assert host.run("supervisorctl stop shop").rc == 0
    try:
        assert page(host, "blog").stdout == "Hello from blog from release 1"
        # nginx answers for the stopped app itself (502), not with the other app.
        assert host.check_output(
            "curl -s -o /dev/null -w '%{http_code}' -H 'Host: shop.example.test' http://127.0.0.1:81/") == "502"
        # nginx's own error answer carries the security headers too.
        answer = host.check_output("curl -s -o /dev/null -D - -H 'Host: shop.example.test' http://127.0.0.1:81/")
        assert "Permissions-Policy: camera=()" in answer and "X-Content-Type-Options: nosniff" in answer, answer
    finally:
        assert host.run("supervisorctl start shop").rc == 0
    assert page(host, "shop").stdout == "Hello from shop from release 1"


def test_a_name_no_app_answers_is_dropped(host):
    # nginx closes the connection without an answer (444): curl reports an empty reply.
    assert host.run("curl -sS --max-time 5 -H 'Host: unknown.example.test' http://127.0.0.1:81/").rc == 52


def test_the_removed_app_left_nothing_behind(host):
    assert not host.user("gamma").exists
    assert not host.group("gamma").exists
    for path in ("/opt/gamma", "/var/log/gamma", "/etc/supervisor/conf.d/gamma.conf", "/var/log/supervisor/gamma",
                 "/etc/nginx/sites-enabled/gamma", "/etc/nginx/sites-available/gamma",
                 "/var/log/nginx/gamma.access.log", "/var/log/nginx/gamma.error.log",
                 "/etc/supervisor/conf.d/gamma.ticker.conf", "/var/log/supervisor/gamma.ticker",
                 "/etc/systemd/system/gamma.touch.timer", "/etc/systemd/system/gamma.touch.service",
                 "/etc/systemd/system/pyweb-firewall-gamma.service", "/etc/nftables.d/pyweb-gamma.nft"):
        assert not host.file(path).exists, path
    assert "gamma" not in host.check_output("supervisorctl avail")
    assert listeners(host, 8003) == []
    assert host.run("ps -eo args | grep -q '[/]opt/gamma'").rc != 0
    assert host.run("pgrep -f 'gamma-ticke[r]'").rc != 0
    assert "gamma" not in host.check_output("systemctl list-timers --all --no-legend")
    assert "pyweb_gamma" not in host.check_output("nft list tables")
    assert page(host, "gamma").rc == 52


def test_removing_it_again_changes_nothing():
    run = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(SCENARIO / "side_effect.yml")],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, ANSIBLE_NOCOLOR="1"), check=False)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "changed=0" in run.stdout, run.stdout[-3000:]
