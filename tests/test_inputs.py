"""The roles' input rules (plugins/filter/inputs.py), called directly: no playbook, no host.

The values start from the roles' own defaults, rendered by Ansible's templar as a play would see
them; each case changes one or two of them. tests/test_bad_input.py checks the same rules through
site.yml, with the messages as the user reads them.
"""


import re

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from project import ROOT, load, role_defaults, trusted

inputs = load("plugins/filter/inputs.py")

SAMPLE_APP = str(ROOT / "roles" / "gunicorn" / "files" / "flask_hello")


def defaults(**changes):
    """Every role's defaults with changes applied, rendered the way a play renders them."""
    raw = {}
    for role in ("nginx", "gunicorn", "supervisor"):
        raw.update(role_defaults(role))
    # The one lookup of the defaults (the controller's HOME) needs a play to run in.
    raw["gunicorn_app_git_cache"] = "/home/ops/.cache/pyweb-deploy/git"
    # Required, so the defaults have none.
    raw["pyweb_server_name"] = "shop.example.com"
    raw.update(changes)
    raw = trusted(raw)
    templar = Templar(loader=DataLoader(), variables=raw)
    return {name: templar.template(value) for name, value in raw.items()}


def gunicorn(**changes):
    return inputs.gunicorn_input_errors(defaults(**changes), SAMPLE_APP, False)


def nginx(**changes):
    return inputs.nginx_input_errors(defaults(**changes))


def together(**changes):
    return inputs.stack_input_errors(defaults(**changes))


def supervisor(programs=(), **changes):
    programs = [dict(p) for p in programs]
    present = [p for p in programs if p.get("state", "present") != "absent"]
    return inputs.supervisor_input_errors(defaults(**changes), present, programs)


def test_the_defaults_are_good():
    assert gunicorn() == []
    assert nginx() == []
    assert supervisor() == []
    assert together() == []


@pytest.mark.parametrize("changes", [
    {"gunicorn_app_name": "shop", "gunicorn_app_root": "/srv/shop", "gunicorn_log_dir": "/var/log/shop"},
    {"gunicorn_bind_port": 1}, {"gunicorn_bind_port": 65535}, {"gunicorn_bind_port": "8000"},
    {"gunicorn_bind_host": "::1"}, {"gunicorn_workers": "4"},
    # From the command line every value is a string: "false" is false.
    {"gunicorn_bind_unix_socket": "false", "gunicorn_socket_path": "/tmp/x.sock"},
    {"gunicorn_bind_unix_socket": True},
    {"gunicorn_app_module": "shop.wsgi:create_app()"},
    {"gunicorn_packages": ["gunicorn==23.0.0", "gevent==25.9.1"]},
    {"gunicorn_worker_class": "sync", "gunicorn_packages": ["gunicorn==23.0.0"]},
    {"gunicorn_app_processes": [{"name": "worker", "command": "rq worker", "numprocs": 99}]},
    {"gunicorn_app_jobs": [{"name": "nightly", "command": "flask prune", "schedule": "*-*-* 03:00:00"}]},
    {"gunicorn_app_git_repo": "https://git.example.test/shop.git", "gunicorn_app_git_subdir": "src/shop"},
    {"gunicorn_environment": {"DATABASE_URL": "postgresql:///shop", "_X": "1"}},
    {"gunicorn_shared_dirs": ["instance/uploads", "media"]},
    {"gunicorn_static_dir": "venv/lib/python3.11/site-packages/shop/static"},
    {"gunicorn_allowed_clients": ["10.0.0.10", "10.0.1.0/24", "fd00::10"]},
    {"gunicorn_forwarded_allow_ips": ["*"]},
    {"gunicorn_log_keep": "1", "gunicorn_log_max_size": "512k"}, {"gunicorn_log_max_size": 1048576},
])
def test_good_gunicorn_values_pass(changes):
    assert gunicorn(**changes) == []


@pytest.mark.parametrize("changes, names", [
    ({"gunicorn_app_name": "Shop"}, ["gunicorn_app_name", "gunicorn_app_user", "gunicorn_app_group"]),
    ({"gunicorn_app_exclude": ["config/.env"]}, ["gunicorn_app_exclude"]),
    ({"gunicorn_app_exclude": ".git"}, ["gunicorn_app_exclude"]),
    ({"gunicorn_app_name": "a" * 33}, ["gunicorn_app_name", "gunicorn_app_user", "gunicorn_app_group"]),
    ({"gunicorn_app_group": "sudo"}, ["gunicorn_app_user and gunicorn_app_group"]),
    ({"gunicorn_app_root": "/usr/local/"}, ["gunicorn_app_root"]),
    ({"gunicorn_app_root": "/srv/a b"}, []),  # a space inside the path is the file system's business
    ({"gunicorn_log_dir": "var/log/shop"}, ["gunicorn_log_dir"]),
    ({"gunicorn_python": "/"}, ["gunicorn_python"]),
    ({"gunicorn_uv_version": "latest"}, ["gunicorn_uv_version"]),
    ({"gunicorn_uv_version": "0.13.9 --index-url http://elsewhere"}, ["gunicorn_uv_version"]),
    ({"gunicorn_bind_unix_socket": "yes", "gunicorn_socket_path": "/run/app.sock"}, ["gunicorn_socket_path"]),
    ({"gunicorn_bind_port": 65536}, ["pyweb_app_host and gunicorn_bind_port"]),
    ({"gunicorn_bind_port": "80 "}, ["pyweb_app_host and gunicorn_bind_port"]),
    ({"gunicorn_bind_port": True}, ["pyweb_app_host and gunicorn_bind_port"]),
    ({"gunicorn_worker_connections": 0}, ["gunicorn_worker_connections"]),
    ({"gunicorn_graceful_timeout": -1}, ["gunicorn_graceful_timeout"]),
    ({"gunicorn_max_requests_jitter": 1.5}, ["gunicorn_max_requests_jitter"]),
    ({"gunicorn_log_keep": 0}, ["gunicorn_log_keep"]),
    ({"gunicorn_log_max_size": "100 MB"}, ["gunicorn_log_max_size"]),
    ({"gunicorn_log_max_size": "0"}, ["gunicorn_log_max_size"]),
    ({"gunicorn_healthcheck_timeout": 0}, ["gunicorn_healthcheck_timeout"]),
    ({"gunicorn_app_module": "shop:app:x"}, ["gunicorn_app_module"]),
    ({"gunicorn_app_git_repo": "x", "gunicorn_app_src": SAMPLE_APP}, ["gunicorn_app_src, gunicorn_app_git_repo"]),
    ({"gunicorn_app_git_cache": "cache"}, ["gunicorn_app_git_version"]),
    ({"gunicorn_app_git_subdir": "src"}, ["gunicorn_app_git_subdir"]),
    ({"gunicorn_app_git_repo": "x", "gunicorn_app_git_subdir": "../etc"}, ["gunicorn_app_git_subdir"]),
    ({"gunicorn_app_package": str(ROOT / "README.md")}, ["gunicorn_app_package"]),
    ({"gunicorn_shared_dirs": ["venv"]}, ["gunicorn_shared_dirs"]),
    ({"gunicorn_shared_dirs": ["a/../b"]}, ["gunicorn_shared_dirs"]),
    ({"gunicorn_static_dir": "../etc"}, ["gunicorn_static_dir"]),
    ({"gunicorn_allowed_clients": ["10.0.0.300"]}, ["gunicorn_allowed_clients"]),
    ({"gunicorn_allowed_clients": ["lb1.example.com"]}, ["gunicorn_allowed_clients"]),
    ({"gunicorn_static_dir": "/srv/static"}, ["gunicorn_static_dir"]),
    ({"gunicorn_flask_import_name": "shop-app"}, ["gunicorn_flask_import_name"]),
    ({"gunicorn_instance_files": {"../x.cfg": "y"}}, ["gunicorn_instance_files names"]),
    ({"gunicorn_instance_files": {"x.cfg": "y"}, "gunicorn_instance_folder": "false"},
     ["gunicorn_instance_files needs"]),
    ({"gunicorn_forwarded_allow_ips": []}, ["gunicorn_forwarded_allow_ips"]),
    ({"gunicorn_forwarded_allow_ips": ["10.0.0.0 x"]}, ["gunicorn_forwarded_allow_ips"]),
    ({"gunicorn_app_processes": [{"name": "w", "command": "a"}, {"name": "w", "command": "b"}]},
     ["gunicorn_app_processes names"]),
    ({"gunicorn_app_processes": [{"name": "w", "command": "a\nb"}]}, ["gunicorn_app_processes need"]),
    ({"gunicorn_app_processes": [{"name": "w", "command": "a", "numprocs": 100}]}, ["gunicorn_app_processes need"]),
    ({"gunicorn_app_jobs": [{"name": "Nightly", "command": "a", "schedule": "daily"}]}, ["gunicorn_app_jobs names"]),
    ({"gunicorn_app_jobs": [{"name": "n", "command": "a", "schedule": "daily; rm"}]}, ["gunicorn_app_jobs need"]),
    ({"gunicorn_environment": {"A-B": "1"}}, ["gunicorn_environment"]),
    ({"gunicorn_app_git_repo": "--upload-pack=touch /tmp/x"}, ["gunicorn_app_git_repo"]),
    ({"gunicorn_app_src": "shop"}, ["gunicorn_app_src"]),
    ({"gunicorn_keep_releases": 0}, ["gunicorn_keep_releases"]),
    ({"gunicorn_workers": "two"}, ["gunicorn_workers"]),
    ({"gunicorn_keepalive": -1}, ["gunicorn_keepalive"]),
    ({"gunicorn_max_requests": "1e3"}, ["gunicorn_max_requests"]),
    ({"gunicorn_packages": ["gunicorn==23.0.0"]}, ["gunicorn_worker_class"]),
    ({"pyweb_deploy_lock_timeout": 0}, ["pyweb_deploy_lock_timeout"]),
    ({"pyweb_deploy_lock_break": "maybe"}, ["pyweb_deploy_lock_break"]),
])
def test_each_bad_gunicorn_value_is_named(changes, names):
    errors = gunicorn(**changes)
    assert [e for e in errors if not any(e.startswith(n + " ") for n in names)] == [], errors
    assert len(errors) == len(names), errors
    assert_values_shown(changes, errors)


def assert_values_shown(changes, errors):
    """Every message says what it got; a case that set one plain value finds it there as written
    (JSON). Cases that set several values set the flags that make one of them bad, and those
    messages show the values they judge."""
    assert all(re.search(r"(; got |\(got |; it is |\(\d+\)|are both )", e) for e in errors), errors
    # Flags and blank values are said in words ("it is empty", "got false").
    scalars = {name: value for name, value in changes.items()
               if not isinstance(value, (dict, list, bool)) and str(value).strip()}
    if errors and len(changes) == 1 and scalars:
        (name, value), = scalars.items()
        assert inputs.shown(value) in " ".join(errors), (name, value, errors)


def test_the_requirements_file_is_looked_for_in_the_code_unless_pip_installs_the_project():
    values = defaults(gunicorn_app_requirements="missing.txt")
    said = inputs.gunicorn_input_errors(values, SAMPLE_APP, False)
    assert said == [f'gunicorn_app_requirements must name a file inside the app\'s code ({SAMPLE_APP}); '
                    'got "missing.txt"']
    assert inputs.gunicorn_input_errors(values, SAMPLE_APP, True) == []
    # Code not found yet (a repository not cloned in check mode): nothing to say about the file.
    assert inputs.gunicorn_input_errors(values, "/no/such/dir", False) == []


def test_every_message_quotes_the_value_it_got():
    assert gunicorn(gunicorn_timeout="0") == ['gunicorn_timeout must be a whole number of at least 1; got "0"']
    assert gunicorn(gunicorn_timeout=0) == ["gunicorn_timeout must be a whole number of at least 1; got 0"]


@pytest.mark.parametrize("changes", [
    {"nginx_listen_port": 65535}, {"nginx_server_name": "shop.example.com www.shop.example.com"},
    {"nginx_upstream_servers": ["10.0.0.5:5000", "[fd00::5]:5000", "app1.internal:5000"],
     "nginx_upstream_down": ["app1.internal:5000"]},
    {"nginx_proxy_next_upstream": "off"}, {"nginx_worker_processes": 4},
    {"nginx_tls": "true", "nginx_tls_self_signed": "yes"},
    {"nginx_tls": True, "nginx_tls_certificate_on_host": True, "nginx_tls_certificate": "/etc/ssl/shop.pem",
     "nginx_tls_certificate_key": "/etc/ssl/private/shop.key"},
    {"nginx_static_dir": "shop/static", "nginx_static_expires": "max"},
    {"nginx_rate_limit": "300r/m"}, {"nginx_send_timeout": "500ms"}, {"nginx_rate_limit": "standard"},
    {"nginx_large_client_header_buffers": "8 16k", "nginx_client_header_buffer_size": "2k"},
    {"nginx_connections_per_address": 0}, {"nginx_keepalive_timeout": "1m"}, {"pyweb_server_name": "_"},
    {"nginx_server_name": "~^www\\d+\\.example\\.com$", "nginx_tls": True, "nginx_tls_self_signed": True},
    {"nginx_hsts_preload": True, "nginx_hsts_include_subdomains": True, "nginx_hsts_max_age": 31536000},
    # A socket, or another host, on the same port is no loop.
    {"nginx_listen_port": 5000, "nginx_upstream_host": "10.0.0.5"},
    {"nginx_websocket_locations": ["/ws/", "/socket.io"], "nginx_websocket_timeout": "60", "nginx_gzip_types": []},
    {"nginx_maintenance": True, "nginx_maintenance_allow": ["203.0.113.7", "10.0.0.0/8"],
     "nginx_maintenance_page": str(ROOT / "README.md")}, {"nginx_maintenance": "false"},
    {"nginx_tls_acme": True, "nginx_server_name": "shop.example.com www.shop.example.com"},
    {"nginx_tls_acme": "yes", "nginx_tls": True, "nginx_tls_acme_email": "ops@example.com",
     "nginx_tls_acme_eab_kid": "kid-1", "nginx_tls_acme_eab_hmac_key": "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W",
     "nginx_tls_acme_directory": "https://acme-staging-v02.api.letsencrypt.org/directory", "nginx_listen_port": 81},
])
def test_good_nginx_values_pass(changes):
    assert nginx(**changes) == []


@pytest.mark.parametrize("changes, names", [
    ({"nginx_site_name": "a/b"}, ["nginx_site_name"]),
    ({"nginx_listen_port": 65536, "nginx_tls_port": 443}, ["nginx_listen_port"]),
    ({"nginx_upstream_port": "x"}, ["nginx_upstream_port"]),
    ({"nginx_charset": "utf-8\nreturn 200"}, ["nginx_charset"]),
    ({"nginx_upstream_servers": ["10.0.0.5"]}, ["nginx_upstream_servers"]),
    ({"nginx_upstream_servers": ["10.0.0.5:5000"], "nginx_upstream_down": ["10.0.0.6:5000"]},
     ["nginx_upstream_servers"]),
    ({"nginx_proxy_connect_timeout": 76}, ["nginx_upstream_max_fails"]),
    ({"nginx_proxy_next_upstream": "error sometimes"}, ["nginx_proxy_next_upstream"]),
    ({"nginx_proxy_next_upstream": ""}, ["nginx_proxy_next_upstream"]),
    ({"nginx_upstream_keepalive_requests": 0}, ["nginx_upstream_keepalive_requests"]),
    ({"nginx_worker_processes": 0}, ["nginx_worker_processes"]),
    ({"nginx_access_log_buffer": "0"}, ["nginx_access_log_buffer"]),
    ({"nginx_client_max_body_size": "1t"}, ["nginx_client_max_body_size"]),
    ({"nginx_client_header_timeout": "0s"}, ["nginx_client_header_timeout, nginx_client_body_timeout,"]),
    ({"nginx_security_headers": {"X-A": "a\\b"}}, ["nginx_security_headers"]),
    ({"nginx_security_headers": {"X A": "b"}}, ["nginx_security_headers"]),
    ({"nginx_tls_certificate_key": "/k.pem"}, ["nginx_tls_certificate and nginx_tls_certificate_key go"]),
    ({"nginx_tls": True, "nginx_tls_certificate": str(ROOT / "README.md"),
      "nginx_tls_certificate_key": "/no/key.pem"}, ["nginx_tls_certificate and nginx_tls_certificate_key must"]),
    ({"nginx_tls_certificate_on_host": True, "nginx_tls_certificate": "/a b.pem",
      "nginx_tls_certificate_key": "/k.pem"}, ["With nginx_tls_certificate_on_host,"]),
    ({"nginx_tls_port": 0}, ["nginx_tls_port"]),
    ({"nginx_hsts_max_age": "1y"}, ["nginx_hsts_max_age"]),
    ({"nginx_hsts_preload": True}, ["nginx_hsts_preload"]),
    ({"nginx_hsts_preload": True, "nginx_hsts_include_subdomains": True, "nginx_hsts_max_age": 86400},
     ["nginx_hsts_preload"]),
    ({"nginx_rate_limit": "10r/h"}, ["nginx_rate_limit"]),
    ({"pyweb_server_name": ""}, ["nginx_server_name (pyweb_server_name) must be the names"]),
    ({"nginx_server_name": " "}, ["nginx_server_name (pyweb_server_name) must be the names"]),
    ({"pyweb_server_name": "_", "nginx_tls": True, "nginx_tls_self_signed": True},
     ["pyweb_server_name must name the site when nginx_tls is"]),
    ({"nginx_server_name": "shop.example.com _", "nginx_tls": True, "nginx_tls_self_signed": True},
     ["nginx_server_name must name the site when nginx_tls is"]),
    ({"nginx_rate_limit": "strict"}, ["nginx_rate_limit"]),
    ({"nginx_keepalive_timeout": "forever"}, ["nginx_client_header_timeout, nginx_client_body_timeout,"]),
    ({"nginx_large_client_header_buffers": "8k"}, ["nginx_client_header_buffer_size"]),
    ({"nginx_client_header_buffer_size": "0"}, ["nginx_client_header_buffer_size"]),
    ({"nginx_connections_per_address": -1}, ["nginx_connections_per_address"]),
    ({"nginx_rate_limit_burst": -5}, ["nginx_rate_limit_burst"]),
    ({"nginx_static_url": "/"}, ["nginx_static_url"]),
    ({"nginx_static_dir": "/abs"}, ["nginx_static_url"]),
    ({"nginx_static_expires": "soon"}, ["nginx_static_url"]),
    ({"nginx_listen_port": 5000}, ["nginx_listen_port and the upstream port"]),
    ({"nginx_server_name": "shop.example.com; return 200"}, ["nginx_server_name"]),
    ({"nginx_upstream_host": "127.0.0.1; x"}, ["nginx_upstream_host"]),
    ({"nginx_upstream_socket": "/run/a}.sock"}, ["nginx_upstream_socket"]),
    ({"nginx_worker_connections": 0}, ["nginx_worker_connections"]),
    ({"nginx_upstream_keepalive": -1}, ["nginx_upstream_keepalive"]),
    ({"nginx_upstream_keepalive_timeout": 0}, ["nginx_upstream_keepalive_timeout"]),
    ({"nginx_tls": True}, ["nginx_tls needs nginx_tls_certificate"]),
    ({"nginx_tls_acme": True, "nginx_tls_self_signed": True}, ["nginx_tls_self_signed must be left unset"]),
    ({"nginx_tls_acme": True, "nginx_tls_certificate": "/c.pem", "nginx_tls_certificate_key": "/k.pem"},
     ["nginx_tls_certificate must be left unset", "nginx_tls_certificate_key must be left unset"]),
    ({"nginx_tls_acme": True, "nginx_server_name": "shop.example.com *.example.com"},
     ["nginx_server_name must list exact host names for nginx_tls_acme"]),
    ({"nginx_tls_acme": True, "nginx_server_name": "~^www\\d+\\.example\\.com$"},
     ["nginx_server_name must list exact host names for nginx_tls_acme"]),
    ({"nginx_tls_acme": True, "pyweb_server_name": "_"},
     ["pyweb_server_name must name the site when nginx_tls is", "pyweb_server_name must list exact host names"]),
    ({"nginx_tls_acme": True, "nginx_tls_acme_directory": "http://ca.example.com/dir"}, ["nginx_tls_acme_directory"]),
    ({"nginx_tls_acme": True, "nginx_tls_acme_email": "ops at example.com"}, ["nginx_tls_acme_email"]),
    ({"nginx_tls_acme": True, "nginx_tls_acme_eab_kid": "kid-1"}, ["nginx_tls_acme_eab_kid (a key id"]),
    ({"nginx_tls_acme": True, "nginx_tls_acme_eab_kid": "kid 1", "nginx_tls_acme_eab_hmac_key": "abc"},
     ["nginx_tls_acme_eab_kid (a key id"]),
    ({"nginx_tls_acme": True, "nginx_tls_port": 80, "nginx_listen_port": 8080}, ["nginx_tls_port must not be 80"]),
    ({"pyweb_deploy_lock_timeout": "30m"}, ["pyweb_deploy_lock_timeout"]),
    ({"nginx_websocket_locations": ["ws"]}, ["nginx_websocket_locations"]),
    ({"nginx_websocket_locations": "/ws/"}, ["nginx_websocket_locations"]),
    ({"nginx_websocket_locations": ["/ws/ { return 200; }"]}, ["nginx_websocket_locations"]),
    ({"nginx_websocket_timeout": 0}, ["nginx_websocket_timeout"]),
    ({"nginx_gzip_types": ["text/css; x"]}, ["nginx_gzip_types"]),
    ({"nginx_maintenance": "soon"}, ["nginx_maintenance"]),
    ({"nginx_maintenance_allow": ["office"]}, ["nginx_maintenance_allow"]),
    ({"nginx_maintenance_retry_after": -5}, ["nginx_maintenance_retry_after"]),
    ({"nginx_maintenance_page": "maintenance.html"}, ["nginx_maintenance_page"]),
])
def test_each_bad_nginx_value_is_named(changes, names):
    errors = nginx(**changes)
    assert [e for e in errors if not any(e.startswith(n + " ") for n in names)] == [], errors
    assert len(errors) == len(names), errors
    assert_values_shown(changes, errors)


def test_gunicorn_must_keep_connections_longer_than_nginx_reuses_them():
    assert together(gunicorn_keepalive=60, nginx_upstream_keepalive_timeout=60) == [
        "gunicorn_keepalive (60) must be longer than nginx_upstream_keepalive_timeout (60), or nginx may send a "
        "request on a connection gunicorn is closing."]
    assert together(gunicorn_keepalive=60, nginx_upstream_keepalive_timeout=60, nginx_upstream_keepalive=0) == []


@pytest.mark.parametrize("changes", [
    # The shared variables set both roles at once.
    {"pyweb_app_name": "shop", "pyweb_app_port": 8001, "pyweb_app_root": "/srv/shop",
     "pyweb_static_dir": "shop/static"},
    {"pyweb_app_socket": "/run/shop/gunicorn.sock"},
    {"pyweb_app_state": "absent"},
    # gunicorn on every address; nginx asks it on loopback.
    {"gunicorn_bind_host": "0.0.0.0"},
    # A load balancer's upstream is other hosts: nothing to compare on this one.
    {"nginx_upstream_servers": ["10.0.0.5:8000"], "gunicorn_bind_port": 8000},
    # The app going away: where it listened no longer matters.
    {"pyweb_app_state": "absent", "gunicorn_bind_port": 8000},
])
def test_the_roles_agree(changes):
    assert together(**changes) == []


@pytest.mark.parametrize("changes, said", [
    ({"gunicorn_bind_port": 8001}, "nginx proxies to 127.0.0.1:5000 but gunicorn listens on 127.0.0.1:8001; set "
                                   "pyweb_app_port, pyweb_app_host or pyweb_app_socket, which both roles follow"),
    ({"gunicorn_bind_unix_socket": True},
     "nginx proxies to unix: but gunicorn listens on unix:/run/flask_hello/gunicorn.sock; set pyweb_app_port, "
     "pyweb_app_host or pyweb_app_socket, which both roles follow"),
    ({"nginx_upstream_socket": "/run/x/g.sock"},
     "nginx proxies to unix:/run/x/g.sock but gunicorn listens on 127.0.0.1:5000; set pyweb_app_port, "
     "pyweb_app_host or pyweb_app_socket, which both roles follow"),
    ({"gunicorn_app_state": "absent"},
     "nginx_site_state (present) and gunicorn_app_state (absent) must agree; set pyweb_app_state, which both "
     "roles follow"),
    ({"gunicorn_app_root": "/srv/shop", "pyweb_static_dir": "static"},
     "nginx_static_root (/opt/flask_hello/current) must be the app's current release (/srv/shop/current); set "
     "pyweb_app_root, which both roles follow"),
    # nginx would serve files the gunicorn role keeps closed to it.
    ({"nginx_static_dir": "shop/static"},
     'nginx serves "shop/static" from the release but the gunicorn role opens "" to it (nginx_static_dir and '
     "gunicorn_static_dir); set pyweb_static_dir, which both roles follow"),
])
def test_a_value_set_for_one_role_alone_is_named(changes, said):
    assert together(**changes) == [said]


def test_supervisor_rules():
    assert supervisor(supervisor_log_dir="/var/tmp/logs") == [
        "supervisor_log_dir must be an absolute path outside /tmp and /var/tmp (a cleaned /tmp takes the socket "
        'with it); got "/var/tmp/logs"']
    assert supervisor(supervisor_log_dir="/var/tmpfiles/logs") == []
    assert supervisor(supervisor_venv_dir="/usr/local/")[0].startswith("supervisor_venv_dir must be a directory")
    assert supervisor(supervisor_pip_version="4.3") == []
    assert supervisor(supervisor_pip_version="latest")[0].startswith("supervisor_pip_version")
    assert supervisor(supervisor_log_max_size="1G", supervisor_log_keep=3) == []
    assert supervisor(supervisor_log_max_size="50MB") == [
        'supervisor_log_max_size must be a size logrotate reads, such as 100M, 512k or 1G (bytes, or k, M or G); '
        'got "50MB"']
    assert supervisor(supervisor_log_keep="none")[0].startswith("supervisor_log_keep must be a whole number")
    # A program on its way out needs no command; one that stays does.
    assert supervisor([{"name": "old", "state": "absent"}, {"name": "new", "command": "true"}]) == []
    assert supervisor([{"name": "a", "command": "x"}, {"name": "a", "command": "y"}]) == [
        'supervisor_programs names must be unique file names (letters, digits, _ . -); got ["a", "a"]']
    assert supervisor([{"name": "q", "command": "x", "environment": {"A": 'say "hi"', "B": "it's"}}]) == []
    assert supervisor([{"name": "q", "command": "x", "environment": {"A": "it's \"hi\""}}]) == [
        "supervisor_programs environment values must not hold both ' and \" or a line break (supervisor cannot "
        'read such a value); got one in ["q"]']
    assert supervisor([{"name": "b"}]) == [
        'supervisor_programs need a command unless their state is absent; got none for ["b"]']
    for name in ("supervisor_socket_path", "supervisor_pid_file", "supervisor_include_dir"):
        assert supervisor(**{name: "/tmp/supervisor/x"}) == [
            f"{name} must be an absolute path outside /tmp and /var/tmp (a cleaned /tmp takes the socket with it); "
            'got "/tmp/supervisor/x"']


@pytest.mark.parametrize("changes", [
    {"gunicorn_bind_host": "10.0.0.5"},
    {"gunicorn_bind_host": "::1"},
    {"nginx_upstream_host": "::1", "gunicorn_bind_host": "0.0.0.0"},
    {"nginx_upstream_port": 5001},
    {"nginx_upstream_socket": "/run/flask_hello/gunicorn.sock"},
    {"gunicorn_bind_unix_socket": True, "gunicorn_socket_path": "/run/flask_hello/gunicorn.sock"},
    {"gunicorn_bind_unix_socket": True, "gunicorn_socket_path": "/run/a/gunicorn.sock",
     "nginx_upstream_socket": "/run/b/gunicorn.sock"},
])
def test_nginx_must_proxy_to_where_gunicorn_listens(changes):
    assert [e for e in together(**changes) if e.startswith("nginx proxies to ")] != [], changes


@pytest.mark.parametrize("changes", [
    {"pyweb_app_host": "10.0.0.5"},
    {"gunicorn_bind_host": "0.0.0.0"},
    {"gunicorn_bind_host": "::"},
    {"nginx_upstream_host": "localhost"},
    {"nginx_upstream_host": "10.0.0.5", "gunicorn_bind_host": "0.0.0.0"},
    {"pyweb_app_socket": "/run/flask_hello/gunicorn.sock"},
    # A name other than localhost is not resolved on the controller.
    {"gunicorn_bind_host": "app.internal"},
])
def test_nginx_and_gunicorn_that_meet_pass(changes):
    assert together(**changes) == []


def test_a_bad_host_gunicorn_listens_on_names_both_addresses():
    assert together(gunicorn_bind_host="10.0.0.5") == [
        "nginx proxies to 127.0.0.1:5000 but gunicorn listens on 10.0.0.5:5000; set pyweb_app_port, "
        "pyweb_app_host or pyweb_app_socket, which both roles follow"]


@pytest.mark.parametrize("path", ["healthz", "", "http://localhost/", "/a b", "/#x"])
def test_a_health_check_path_must_start_with_a_slash(path):
    assert gunicorn(gunicorn_healthcheck_path=path) == [
        'gunicorn_healthcheck_path must be a URL path starting with /, such as "/" or "/healthz?deep=1"; got %s'
        % inputs.shown(path)]


@pytest.mark.parametrize("codes", [["2xx"], [], "200-399", ["399-200"], ["600"], [200.5]])
def test_health_check_statuses_must_be_statuses_or_ranges(codes):
    assert gunicorn(gunicorn_healthcheck_status_codes=codes) == [
        'gunicorn_healthcheck_status_codes must be a list of statuses such as "204" or ranges such as "200-399", '
        "from 100 to 599; got %s" % inputs.shown(codes)]


def test_good_health_check_values_pass():
    assert gunicorn(gunicorn_healthcheck_path="/healthz?deep=1", gunicorn_healthcheck_status_codes=["200", "204",
                                                                                                    "300-308"]) == []
    assert gunicorn(gunicorn_healthcheck_status_codes=[200]) == []


@pytest.mark.parametrize("changes, said", [
    ({"pyweb_app_port": 70000}, 'pyweb_app_host and pyweb_app_port must be a host name or address and a port '
                                'from 1 to 65535; got "127.0.0.1" and 70000'),
    ({"pyweb_app_root": "/usr"}, "pyweb_app_root must be an absolute path for this app alone"),
    ({"pyweb_app_name": "My App"}, "pyweb_app_name must be usable as a user and file name"),
    # Set for the role alone: the role's variable is named.
    ({"gunicorn_bind_port": 70000}, 'pyweb_app_host and gunicorn_bind_port must be'),
])
def test_a_shared_variable_is_named_in_its_own_errors(changes, said):
    assert any(e.startswith(said) for e in gunicorn(**changes)), gunicorn(**changes)


def test_nginx_names_the_shared_variables_too():
    assert nginx(pyweb_app_port=0) == ["pyweb_app_port must be a port from 1 to 65535; got 0"]
    assert nginx(nginx_upstream_port=0) == ["nginx_upstream_port must be a port from 1 to 65535; got 0"]


def test_the_proxy_the_nginx_role_publishes_never_outranks_the_users():
    # Published by the nginx role under names of its own: the defaults take it...
    published = defaults(__pyweb_proxy_url="https://127.0.0.1:443", __pyweb_proxy_host="shop.example.com")
    assert published["gunicorn_healthcheck_proxy_url"] == "https://127.0.0.1:443"
    assert published["pyweb_proxy_host"] == "shop.example.com"
    # ...and a value the user set wins over it.
    mine = defaults(__pyweb_proxy_url="https://127.0.0.1:443", __pyweb_proxy_host="shop.example.com",
                    pyweb_proxy_url="http://10.0.0.9:8080", pyweb_proxy_host="www.shop.example.com")
    assert mine["gunicorn_healthcheck_proxy_url"] == "http://10.0.0.9:8080"
    assert mine["pyweb_proxy_host"] == "www.shop.example.com"
    # No nginx role in the play: no proxy, and the site's first name.
    alone = defaults(pyweb_server_name="www.example.org example.org")
    assert alone["gunicorn_healthcheck_proxy_url"] == ""
    assert alone["pyweb_proxy_host"] == "www.example.org"


def test_the_eab_key_never_shows_in_a_message():
    secret = "not+base64url/secret"
    errors = nginx(nginx_tls_acme=True, nginx_tls_acme_eab_kid="kid-1", nginx_tls_acme_eab_hmac_key=secret)
    assert len(errors) == 1 and "nginx_tls_acme_eab_hmac_key" in errors[0], errors
    assert secret not in errors[0]


@pytest.mark.parametrize("changes, says", [
    ({"gunicorn_watch_seconds": -1}, "gunicorn_watch_seconds must be a whole number of at least 0; got -1"),
    ({"gunicorn_watch_baseline_seconds": 0}, "gunicorn_watch_baseline_seconds must be a whole number of at least 1"),
    ({"gunicorn_watch_error_floor": "few"}, 'gunicorn_watch_error_floor must be a whole number of at least 1; got "few"'),
    ({"gunicorn_watch_error_ratio": 0.5}, "gunicorn_watch_error_ratio and gunicorn_watch_latency_ratio must be "
                                          "numbers of at least 1; got 0.5 and 3.0"),
    ({"gunicorn_watch_error_rate": 5}, "gunicorn_watch_error_rate must be a share from 0 to 1"),
    ({"gunicorn_watch_latency_floor": "slow"}, "gunicorn_watch_latency_floor a number of seconds from 0"),
    ({"gunicorn_watch_log": "shop.access.log"}, 'gunicorn_watch_log must be an absolute path or empty; got '
                                                '"shop.access.log"'),
])
def test_bad_watch_limits_are_named(changes, says):
    found = gunicorn(**changes)
    assert len(found) == 1 and says in found[0], found


def test_good_watch_values_pass():
    assert gunicorn(gunicorn_watch_seconds=0, gunicorn_watch_error_ratio="1.5", gunicorn_watch_error_rate=0,
                    gunicorn_watch_log="/var/log/nginx/shop.access.log") == []


@pytest.mark.parametrize("name", ["", "my format", "pyweb;"])
def test_the_access_log_format_is_a_format_name(name):
    assert nginx(nginx_access_log_format=name) == [
        "nginx_access_log_format must be the name of a log_format, such as pyweb or combined; got %s"
        % inputs.shown(name)]


@pytest.mark.parametrize("name", ["X Release", "X-Release:", 'X"'])
def test_the_release_header_is_a_header_name(name):
    assert gunicorn(gunicorn_release_header=name) == [
        "gunicorn_release_header must be a header name such as X-Release, or empty; got %s" % inputs.shown(name)]
