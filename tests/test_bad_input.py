"""Bad input: site.yml stops with a message naming the variable and its value, before any task
reaches a host.

Every case is a host of one inventory, so one run of site.yml checks them all in about two
seconds. The hosts' address is in TEST-NET-1 (192.0.2.0/24, never routed): a case that got past the
checks would reach the deploy play and show up as unreachable. The `good` host, with no bad value,
shows that this is so. That a refused run leaves a converged host serving exactly as before is
checked once more against a real host in the default scenario."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

# (extra vars, what the error must say)
CASES = [
    ({"gunicorn_app_name": "Bad Name"}, 'gunicorn_app_name must be usable as a user and file name'),
    ({"gunicorn_app_user": "root;rm"}, 'gunicorn_app_user must be usable as a user and file name'),
    ({"gunicorn_app_root": "opt/app"}, 'gunicorn_app_root must be an absolute path for this app alone, not / or a'
                                       ' system directory such as /opt; got "opt/app"'),
    ({"gunicorn_app_root": "/opt/"}, 'gunicorn_app_root must be an absolute path for this app alone, not / or a system directory such as /opt; got "/opt/"'),
    ({"gunicorn_log_dir": "/"}, 'gunicorn_log_dir must be an absolute path for this app alone, not / or a system directory such as /var/log; got "/"'),
    ({"gunicorn_app_user": "www-data"}, 'gunicorn_app_user and gunicorn_app_group must be for this app alone, not a'
                                        ' system account such as root or www-data; got "www-data" and "www-data"'),
    ({"gunicorn_app_state": "gone"}, "gunicorn_app_state"),
    ({"gunicorn_app_src": "/no/such/app"}, 'gunicorn_app_src must be the absolute path of a directory'),
    ({"gunicorn_app_package": "/no/such/shop-1.0.whl"}, 'gunicorn_app_package must be the absolute path of a wheel'),
    ({"gunicorn_app_git_repo": "https://git.example.test/shop.git", "gunicorn_app_package": "/etc/hostname"},
     'gunicorn_app_src, gunicorn_app_git_repo and gunicorn_app_package are each a source for the code of the app; set one at most'),
    ({"gunicorn_app_git_repo": "--upload-pack=touch /tmp/x"},
     'gunicorn_app_git_repo must be a repository URL or a path on the controller, without spaces and not starting with -'),
    ({"gunicorn_app_git_repo": "https://git.example.test/shop.git", "gunicorn_app_git_version": "v1 --upload-pack=x"},
     'gunicorn_app_git_version must be a branch, tag or commit (got "v1 --upload-pack=x")'),
    ({"gunicorn_app_src": "roles/gunicorn/files/flask_hello"}, 'got "roles/gunicorn/files/flask_hello"'),
    ({"gunicorn_app_requirements": "missing.txt"}, 'gunicorn_app_requirements must name a file'),
    ({"gunicorn_app_module": "flask_hello"}, 'gunicorn_app_module must be "module:variable"'),
    ({"gunicorn_app_module": "flask hello:app"}, 'got "flask hello:app"'),
    ({"gunicorn_bind_port": 0}, "gunicorn_bind_port must be a host name or address and a port from 1"),
    ({"gunicorn_bind_port": 70000}, "and 70000"),
    ({"gunicorn_bind_host": "127.0.0.1 x"}, 'got "127.0.0.1 x"'),
    ({"gunicorn_workers": -1}, "gunicorn_workers must be a whole number of at least 0; got -1"),
    ({"gunicorn_timeout": 0}, "gunicorn_timeout must be a whole number of at least 1; got 0"),
    ({"gunicorn_worker_class": "tornado"}, "gunicorn_worker_class must be one of"),
    ({"gunicorn_loglevel": "verbose"}, "gunicorn_loglevel must be one of"),
    ({"gunicorn_packages": ["gunicorn==23.0.0"]}, "gunicorn_packages installs no gevent"),
    ({"gunicorn_environment": {"1BAD": "x"}}, 'gunicorn_environment names must be letters'),
    ({"gunicorn_bind_unix_socket": True, "gunicorn_socket_path": "/var/run/app.sock"},
     'gunicorn_socket_path must be a file in a directory of its own under /run'),
    ({"gunicorn_keepalive": 3}, "gunicorn_keepalive (3) must be longer than nginx_upstream_keepalive_timeout"),
    # Set for one role alone where pyweb_app_port sets both: nginx would proxy to nothing.
    ({"gunicorn_bind_port": 8001}, "nginx proxies to 127.0.0.1:5000 but gunicorn listens on 127.0.0.1:8001"),
    ({"nginx_listen_port": 0}, "nginx_listen_port must be a port from 1 to 65535; got 0"),
    ({"nginx_listen_port": 5000}, "nginx would proxy to itself"),
    ({"nginx_server_name": "example.com; return 200"}, "nginx_server_name must not contain"),
    ({"nginx_charset": "utf-8; return 200"}, "nginx_charset must not contain"),
    ({"pyweb_server_name": ""}, "nginx_server_name (pyweb_server_name) must be the names clients use for the site"),
    ({"pyweb_server_name": "_", "nginx_tls": True, "nginx_tls_self_signed": True},
     'pyweb_server_name must name the site when nginx_tls is on: "_" would serve its certificate'),
    ({"pyweb_app_port": 70000}, 'pyweb_app_host and pyweb_app_port must be a host name or address and a port'),
    ({"gunicorn_healthcheck_path": "healthz"}, 'gunicorn_healthcheck_path must be a URL path starting with /'),
    ({"gunicorn_bind_host": "10.0.0.5"}, "nginx proxies to 127.0.0.1:5000 but gunicorn listens on 10.0.0.5:5000"),
    ({"nginx_client_max_body_size": "lots"}, 'nginx_client_max_body_size must be a size such as 10m; got "lots"'),
    ({"nginx_send_timeout": "1 minute"}, "nginx_send_timeout and nginx_keepalive_timeout must be times such as 15s"),
    ({"nginx_security_headers": {"X-Bad": 'a" always; return 200 "'}}, "nginx_security_headers must map header names"),
    ({"nginx_tls": True}, "nginx_tls needs nginx_tls_certificate and nginx_tls_certificate_key, "
                          "nginx_tls_self_signed or nginx_tls_acme"),
    ({"nginx_tls_acme": True, "pyweb_server_name": "shop.example.com *.example.com"},
     "pyweb_server_name must list exact host names for nginx_tls_acme"),
    ({"nginx_tls_acme": True, "pyweb_server_name": "shop.example.com", "nginx_tls_acme_eab_kid": "kid-1"},
     "nginx_tls_acme_eab_kid (a key id without spaces) and nginx_tls_acme_eab_hmac_key"),
    ({"nginx_tls": True, "nginx_tls_certificate": "/no/cert.pem", "nginx_tls_certificate_key": "/no/key.pem"},
     'must be files on the controller (or set nginx_tls_certificate_on_host); got "/no/cert.pem"'),
    ({"nginx_tls_certificate": "/etc/hostname"}, "nginx_tls_certificate and nginx_tls_certificate_key go together"),
    ({"nginx_tls": True, "nginx_tls_self_signed": True, "nginx_tls_port": 81},
     "nginx_tls_port must be a port from 1 to 65535 other than nginx_listen_port (81); got 81"),
    ({"nginx_rate_limit": "10 per second"}, 'nginx_rate_limit must be empty, standard or a rate such as 10r/s or 300r/m; got "10 per second"'),
    ({"nginx_site_name": "../evil"}, 'nginx_site_name must be usable as a file name'),
    ({"nginx_worker_processes": "many"}, 'nginx_worker_processes must be auto or a whole number'),
    ({"nginx_access_log_flush": "soon"}, 'got "64k" and "soon"'),
    ({"supervisor_socket_path": "/tmp/supervisor.sock"}, "supervisor_socket_path must be an absolute path outside /tmp"),
    ({"supervisor_programs": [{"name": "x y", "command": "true"}]}, "supervisor_programs names must be unique"),
    ({"supervisor_programs": [{"name": "worker"}]},
     'supervisor_programs need a command unless their state is absent; got none for ["worker"]'),
    ({"supervisor_install_method": "apt"}, "supervisor_install_method"),
    ({"supervisor_install_method": "pip", "supervisor_venv_dir": "/opt"},
     'supervisor_venv_dir must be a directory of its own, must be an absolute path outside /tmp'),
    ({"gunicorn_log_max_size": "100 MB"}, 'gunicorn_log_max_size must be a size logrotate reads, such as 100M'),
    ({"supervisor_log_keep": 0}, "supervisor_log_keep must be a whole number of at least 1; got 0"),
    ({"pyweb_deploy_lock_timeout": 0}, "pyweb_deploy_lock_timeout must be a whole number of at least 1; got 0"),
    ({"pyweb_maintenance": "later"}, 'pyweb_maintenance must be true, false or empty (left as it is); got "later"'),
    ({"nginx_maintenance_allow": ["the office"]}, "nginx_maintenance_allow must be a list of IP addresses or networks"),
    ({"nginx_websocket_locations": ["ws"]}, 'nginx_websocket_locations must be a list of URL paths starting with /'),
    ({"nginx_gzip_types": ["css"]}, 'nginx_gzip_types must be a list of MIME types such as "text/css"; got ["css"]'),
]

EVERY_ROLE = {"gunicorn_timeout": 0, "gunicorn_bind_port": 70000, "nginx_worker_processes": "many",
              "supervisor_log_dir": "/tmp/logs"}


def case_name(index):
    return f"case{index:02d}"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Run site.yml once over every case; return each host's failure messages and recap."""
    hosts = {case_name(index): extra for index, (extra, dummy) in enumerate(CASES)}
    hosts["every_role"] = EVERY_ROLE
    # Answering every name is allowed, with a warning.
    hosts["good"] = {"pyweb_server_name": "_"}
    inventory = tmp_path_factory.mktemp("bad-input") / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"web": {
        "vars": {"ansible_host": "192.0.2.1", "ansible_timeout": 3, "ansible_user": "nobody",
                 "pyweb_server_name": "shop.example.test"},
        "hosts": hosts,
    }}))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / "playbooks" / "collections"),
               ANSIBLE_HOST_KEY_CHECKING="0")
    result = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(ROOT / "playbooks" / "site.yml")],
        capture_output=True, text=True, timeout=300, env=env, check=False)
    output = result.stdout + result.stderr
    messages = {name: [] for name in hosts}
    for name, payload in re.findall(r"^(?:fatal|failed): \[(\w+)\].*? => (\{.*\})$", output, re.M):
        msg = json.loads(payload).get("msg", "")
        messages[name].extend(msg if isinstance(msg, list) else [msg])
    recap = dict(re.findall(r"^(\w+) +: (ok=.*)$", output, re.M))
    return result.returncode, messages, recap, output


def test_the_run_fails(run):
    returncode, dummy, dummy, output = run
    assert returncode != 0, output[-2000:]


def test_a_host_without_bad_values_goes_on_to_be_deployed(run):
    # Without this, a case that passed the checks could not be told from one that was refused.
    dummy, messages, recap, output = run
    assert "unreachable=1" in recap["good"], output[-3000:]
    assert all("Failed to connect to the host" in m for m in messages["good"]), messages["good"]


@pytest.mark.parametrize("index", range(len(CASES)), ids=[json.dumps(c[0]) for c in CASES])
def test_bad_input_is_refused_before_the_host_is_touched(run, index):
    dummy, messages, recap, output = run
    name = case_name(index)
    said = " ".join(" ".join(messages[name]).split())
    assert " ".join(CASES[index][1].split()) in said, said or output[-3000:]
    assert "no host was changed" in said, said
    assert "unreachable=0" in recap[name] and "failed=1" in recap[name], recap[name]


def test_a_site_answering_every_name_is_warned_of(run):
    output = " ".join(run[3].split())
    assert '[WARNING]: nginx_server_name is "_": the site flask_hello answers every host name' in output, output[-3000:]


def test_every_bad_value_of_every_role_is_reported_in_one_run(run):
    dummy, messages, recap, dummy = run
    said = " ".join(messages["every_role"])
    for message in ("gunicorn_timeout must be a whole number of at least 1; got 0",
                    "and 70000",
                    'nginx_worker_processes must be auto or a whole number from 1; got "many"',
                    "supervisor_log_dir must be an absolute path outside /tmp",
                    "Bad values for the gunicorn, supervisor, nginx role(s)"):
        assert message in said, said
    assert "unreachable=0" in recap["every_role"], recap["every_role"]
