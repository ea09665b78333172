"""What the argument specs cannot say about each role's variables, checked on the controller.

Each role's validate.yml hands its variables to one filter here (`gunicorn_input_errors`,
`nginx_input_errors`, `supervisor_input_errors`) and fails with the messages it returns. A message
names the variable and the value it got; every bad value is reported at once. The functions read
plain values, so tests/test_inputs.py checks every rule without Ansible or a host.
"""

import ipaddress
import json
import os
import re

from ansible_collections.pyweb.deploy.plugins.module_utils.statuses import status_range

# Accounts and directories of the system itself: an app must never own or remove them
# (gunicorn_app_state absent removes the app's user, group and directories).
SYSTEM_ACCOUNTS = ("root", "daemon", "bin", "sys", "nobody", "nogroup", "www-data", "adm", "sudo", "users",
                   "staff")
SYSTEM_DIRS = ("/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/media", "/mnt", "/opt", "/proc",
               "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/local", "/var", "/var/lib",
               "/var/log", "/var/tmp", "/var/www")

NAME = r"[a-z_][a-z0-9_-]{0,31}"
# The part after "<app>." in the names of the app's processes and jobs.
PART = r"[a-z0-9][a-z0-9_-]{0,31}"
# A path inside the app's code: letters, digits, _ . - and /, no .. and no leading /.
RELATIVE = r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*"
MODULE = r"[A-Za-z_][A-Za-z0-9_]*([.][A-Za-z_][A-Za-z0-9_]*)*"
FILE_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
ONE_LINE = r"[^\n]*\S[^\n]*"
NAME_RULE = ("must be usable as a user and file name (lower-case letters, digits, _ and -, starting with a "
             "letter or _, at most 32 characters)")
COUNT_RULE = "must be a whole number of at least"
# The strings Ansible's bool filter reads as true, and those it reads as false.
TRUE_WORDS = ("yes", "on", "1", "true", "y", "t")
BOOLEANS = TRUE_WORDS + ("no", "off", "0", "false", "n", "f")
PORT_RULE = "must be a port from 1 to 65535"
# A value with ; { } or a line break would end its nginx directive and start another.
DIRECTIVE_RULE = "must not contain ; {, } or a line break"
NEXT_UPSTREAM = ("error", "timeout", "invalid_header", "http_500", "http_502", "http_503", "http_504", "http_403",
                 "http_404", "http_429", "non_idempotent", "off")
TIME = r"[1-9][0-9]*(ms|s|m|h)?"
SIZE = r"[1-9][0-9]*[kKmM]?"
# The shortest max-age browsers' HSTS preload lists take (a year, hstspreload.org).
HSTS_PRELOAD_AGE = 31536000
# One label of a host name.
LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"


def shown(value):
    """A value as the messages quote it (JSON, as Ansible's to_json writes it)."""
    return json.dumps(value)


def flag(value):
    """A yes/no value as Ansible's bool filter reads it (True, "yes", "on", "true", "1", 1)."""
    if isinstance(value, str):
        return value.strip().lower() in TRUE_WORDS
    return value is True or value == 1


def number(value):
    """value as a whole number, 0 when it is none (as Jinja's int filter reads it)."""
    try:
        return int(str(value).strip())
    except ValueError:
        return 0


def full(pattern, value):
    """Whether the whole of str(value) matches pattern."""
    return re.fullmatch(pattern, str(value)) is not None


def whole(value, least=0, most=None):
    """Whether value is a whole number (digits only, as written) from least to most."""
    if not full(r"[0-9]+", value):
        return False
    return int(value) >= least and (most is None or int(value) <= most)


def counts(v, minimums):
    """A check of each named variable against the least whole number it may be."""
    return [(whole(v[name], least), "%s %s %d; got %s" % (name, COUNT_RULE, least, shown(v[name])))
            for name, least in minimums]


def own_path(path, system=SYSTEM_DIRS, pattern=r"/[^ ]"):
    """An absolute path (starting as pattern says) that is neither / nor one of system."""
    path = str(path)
    return bool(re.match(pattern, path)) and os.path.normpath(path) not in ("/", "//") + tuple(system)


def log_size_check(v, name):
    """A check that the named variable is a size logrotate reads: bytes, or a number with k, M or G."""
    return (full(r"[1-9][0-9]*[kMG]?", v[name]),
            "%s must be a size logrotate reads, such as 100M, 512k or 1G (bytes, or k, M or G); got %s"
            % (name, shown(v[name])))


def lock_checks(v):
    """The deploy lock's shared variables, as both roles that take the lock read them."""
    return counts(v, (("pyweb_deploy_lock_timeout", 1),)) + [
        (str(v["pyweb_deploy_lock_break"]).strip().lower() in BOOLEANS,
         "pyweb_deploy_lock_break must be true or false; got %s" % shown(v["pyweb_deploy_lock_break"]))]


def _errors(checks):
    return [msg for ok, msg in checks if not ok]


# The role variables whose defaults follow a shared pyweb_* variable (roles/*/defaults/main/shared.yml).
SHARED = {
    "gunicorn_app_name": "pyweb_app_name", "gunicorn_app_state": "pyweb_app_state",
    "gunicorn_app_root": "pyweb_app_root", "gunicorn_bind_host": "pyweb_app_host",
    "gunicorn_bind_port": "pyweb_app_port", "gunicorn_socket_path": "pyweb_app_socket",
    "gunicorn_static_dir": "pyweb_static_dir", "nginx_site_name": "pyweb_app_name",
    "nginx_site_state": "pyweb_app_state", "nginx_server_name": "pyweb_server_name",
    "nginx_upstream_host": "pyweb_app_host", "nginx_upstream_port": "pyweb_app_port",
    "nginx_upstream_socket": "pyweb_app_socket", "nginx_static_dir": "pyweb_static_dir",
    "supervisor_include_dir": "pyweb_supervisor_include_dir", "nginx_maintenance": "pyweb_maintenance",
}


def _named(v, errors):
    """errors with each role variable that holds its shared variable's value named by the shared
    one: a user who set pyweb_app_port reads pyweb_app_port in the message, not gunicorn_bind_port."""
    for name, shared in SHARED.items():
        if name in v and shared in v and str(v[name]) == str(v[shared]) and str(v[shared]) != "":
            pattern = re.compile(r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % name)
            errors = [pattern.sub(shared, e) for e in errors]
    return errors


def gunicorn_input_errors(v, app_src="", project=False):
    """The gunicorn role's bad values. v maps each gunicorn_* variable to its value; app_src is the
    directory the code is read from on the controller and project whether pip installs it."""
    checks = [(full(NAME, v[name]), "%s %s; got %s" % (name, NAME_RULE, shown(v[name])))
              for name in ("gunicorn_app_name", "gunicorn_app_user", "gunicorn_app_group")]
    user, group = v["gunicorn_app_user"], v["gunicorn_app_group"]
    checks += [
        (user not in SYSTEM_ACCOUNTS and group not in SYSTEM_ACCOUNTS,
         "gunicorn_app_user and gunicorn_app_group must be for this app alone, not a system account such as "
         "root or www-data; got %s and %s" % (shown(user), shown(group))),
        (own_path(v["gunicorn_app_root"]),
         "gunicorn_app_root must be an absolute path for this app alone, not / or a system directory such as "
         "/opt; got %s" % shown(v["gunicorn_app_root"])),
        (own_path(v["gunicorn_log_dir"]),
         "gunicorn_log_dir must be an absolute path for this app alone, not / or a system directory such as "
         "/var/log; got %s" % shown(v["gunicorn_log_dir"])),
        (own_path(v["gunicorn_python"], system=()),
         "gunicorn_python must be an absolute path other than /; got %s" % shown(v["gunicorn_python"])),
        (v["gunicorn_installer"] != "uv" or full(r"[0-9]+(\.[0-9]+){1,3}", v["gunicorn_uv_version"]),
         "gunicorn_uv_version must be a release of uv such as 0.13.9; got %s" % shown(v["gunicorn_uv_version"])),
        (not flag(v["gunicorn_bind_unix_socket"]) or full(r"/run/[^/ ]+/[^/ ]+", v["gunicorn_socket_path"]),
         "gunicorn_socket_path must be a file in a directory of its own under /run (made again at every "
         "boot); got %s" % shown(v["gunicorn_socket_path"])),
    ]
    checks += _gunicorn_source_checks(v, app_src, project)
    checks += _gunicorn_server_checks(v)
    checks += _gunicorn_process_checks(v)
    checks += lock_checks(v)
    return _named(v, _errors(checks))


def _gunicorn_source_checks(v, app_src, project):
    src, repo, package = v["gunicorn_app_src"], v["gunicorn_app_git_repo"], v["gunicorn_app_package"]
    version, cache, subdir = v["gunicorn_app_git_version"], v["gunicorn_app_git_cache"], v["gunicorn_app_git_subdir"]
    requirements = v["gunicorn_app_requirements"]
    # Absolute, so that the copy and the fingerprint made on the controller read the same files
    # wherever ansible-playbook is started from.
    return [
        (len([s for s in (src, repo, package) if s != ""]) <= 1,
         "gunicorn_app_src, gunicorn_app_git_repo and gunicorn_app_package are each a source for the code of the "
         "app; set one at most; got %s, %s and %s" % (shown(src), shown(repo), shown(package))),
        (not package or (os.path.isabs(package) and os.path.isfile(package)
                         and re.match(r".*[.](whl|tar[.]gz|zip)$", package)),
         "gunicorn_app_package must be the absolute path of a wheel (.whl) or source distribution (.tar.gz, "
         ".zip) on the controller; got %s" % shown(package)),
        (not repo or full(r"[^ -][^ ]*", repo),
         "gunicorn_app_git_repo must be a repository URL or a path on the controller, without spaces and not "
         "starting with -; got %s" % shown(repo)),
        (full(r"[A-Za-z0-9_][A-Za-z0-9_./@^~+-]*", version) and own_path(cache, system=()),
         "gunicorn_app_git_version must be a branch, tag or commit (got %s) and gunicorn_app_git_cache an "
         "absolute path other than / (got %s)" % (shown(version), shown(cache))),
        (not src or (os.path.isabs(src) and os.path.isdir(src)),
         'gunicorn_app_src must be the absolute path of a directory on the controller (e.g. '
         '"{{ inventory_dir }}/../myapp"); got %s' % shown(src)),
        # Only worth saying when the code itself was found.
        (not requirements or package or not os.path.isdir(app_src) or project
         or os.path.isfile(os.path.join(app_src, requirements)),
         "gunicorn_app_requirements must name a file inside the app's code (%s); got %s"
         % (app_src, shown(requirements))),
        (not subdir or (repo and full(RELATIVE, subdir)),
         "gunicorn_app_git_subdir must be a directory inside gunicorn_app_git_repo (letters, digits, _ . - and "
         "/, no ..); got %s with gunicorn_app_git_repo %s" % (shown(subdir), shown(repo))),
        (isinstance(v["gunicorn_app_exclude"], list)
         and all(full(r"[^/\n]+", p) for p in v["gunicorn_app_exclude"]),
         "gunicorn_app_exclude must be a list of name patterns such as .git or .env*, none empty or with a /; "
         "got %s" % shown(v["gunicorn_app_exclude"])),
        (full(r"%s:[A-Za-z_][A-Za-z0-9_]*(\(.*\))?" % MODULE, v["gunicorn_app_module"]),
         'gunicorn_app_module must be "module:variable" or "module:factory()", e.g. "flask_hello:app" or '
         '"shop:create_app()"; got %s' % shown(v["gunicorn_app_module"])),
    ]


def _at_least(value, least, most=None):
    """Whether value is a number (an int or float, or one written as such) from least to most."""
    try:
        value = float(str(value).strip())
    except ValueError:
        return False
    return value >= least and (most is None or value <= most)


def _gunicorn_watch_checks(v):
    log, header = v["gunicorn_watch_log"], v["gunicorn_release_header"]
    checks = counts(v, (("gunicorn_watch_seconds", 0), ("gunicorn_watch_baseline_seconds", 1),
                        ("gunicorn_watch_error_floor", 1)))
    return checks + [
        (_at_least(v["gunicorn_watch_error_ratio"], 1) and _at_least(v["gunicorn_watch_latency_ratio"], 1),
         "gunicorn_watch_error_ratio and gunicorn_watch_latency_ratio must be numbers of at least 1; got %s and %s"
         % (shown(v["gunicorn_watch_error_ratio"]), shown(v["gunicorn_watch_latency_ratio"]))),
        (_at_least(v["gunicorn_watch_error_rate"], 0, 1) and _at_least(v["gunicorn_watch_latency_floor"], 0),
         "gunicorn_watch_error_rate must be a share from 0 to 1 and gunicorn_watch_latency_floor a number of "
         "seconds from 0; got %s and %s"
         % (shown(v["gunicorn_watch_error_rate"]), shown(v["gunicorn_watch_latency_floor"]))),
        (log == "" or full(r"/[^\s]+", log),
         "gunicorn_watch_log must be an absolute path or empty; got %s" % shown(log)),
        (header == "" or full(r"[A-Za-z0-9-]+", header),
         "gunicorn_release_header must be a header name such as X-Release, or empty; got %s" % shown(header)),
    ]


def _gunicorn_server_checks(v):
    host, port = v["gunicorn_bind_host"], v["gunicorn_bind_port"]
    checks = [
        (whole(port, 1, 65535) and full(r"[A-Za-z0-9.:_-]+", host),
         "gunicorn_bind_host and gunicorn_bind_port must be a host name or address and a port from 1 to 65535; "
         "got %s and %s" % (shown(host), shown(port))),
    ]
    checks += counts(v, (("gunicorn_keep_releases", 1), ("gunicorn_workers", 0), ("gunicorn_worker_connections", 1),
                         ("gunicorn_healthcheck_timeout", 1), ("gunicorn_timeout", 1),
                         ("gunicorn_graceful_timeout", 0), ("gunicorn_keepalive", 0),
                         ("gunicorn_max_requests", 0), ("gunicorn_max_requests_jitter", 0),
                         ("gunicorn_log_keep", 1)))
    checks.append(log_size_check(v, "gunicorn_log_max_size"))
    checks += _gunicorn_watch_checks(v)
    path, statuses = v["gunicorn_healthcheck_path"], v["gunicorn_healthcheck_status_codes"]
    checks += [
        (full(r"/[^\s#]*", path),
         'gunicorn_healthcheck_path must be a URL path starting with /, such as "/" or "/healthz?deep=1"; got %s'
         % shown(path)),
        (isinstance(statuses, list) and statuses and all(status_range(s) is not None for s in statuses),
         'gunicorn_healthcheck_status_codes must be a list of statuses such as "204" or ranges such as '
         '"200-399", from 100 to 599; got %s' % shown(statuses)),
    ]
    packages = v["gunicorn_packages"]
    allowed = v["gunicorn_forwarded_allow_ips"]
    checks += [
        (v["gunicorn_worker_class"] != "gevent"
         or any(re.match(r"(gevent\b|gunicorn\[[^]]*gevent)", str(p)) for p in packages),
         'gunicorn_worker_class is gevent but gunicorn_packages installs no gevent (add "gunicorn[gevent]==..."); '
         "got %s" % shown(packages)),
        (len(allowed) > 0 and all(full(r"[0-9A-Fa-f:.]+|[*]", ip) for ip in allowed),
         'gunicorn_forwarded_allow_ips must be IP addresses (or "*", every address); got %s' % shown(allowed)),
        (all(network(c) for c in v["gunicorn_allowed_clients"]),
         'gunicorn_allowed_clients must be IP addresses or networks such as 10.0.0.10 or 10.0.0.0/24; got %s'
         % shown(v["gunicorn_allowed_clients"])),
    ]
    return checks


def _gunicorn_process_checks(v):
    shared, files = v["gunicorn_shared_dirs"], v["gunicorn_instance_files"]
    processes, jobs, environment = v["gunicorn_app_processes"], v["gunicorn_app_jobs"], v["gunicorn_environment"]
    process_names = [p.get("name") for p in processes]
    job_names = [j.get("name") for j in jobs]
    bad_keys = [k for k in environment if not full(r"[A-Za-z_][A-Za-z0-9_]*", k)]
    return [
        (full("(%s)?" % RELATIVE, v["gunicorn_static_dir"]),
         "gunicorn_static_dir must be empty or a directory inside the release (letters, digits, _ . - and /, "
         "no ..); got %s" % shown(v["gunicorn_static_dir"])),
        (all(full(RELATIVE, d) for d in shared) and "venv" not in shared,
         "gunicorn_shared_dirs must be paths inside the release (letters, digits, _ . - and /, no ..), other "
         "than venv; got %s" % shown(shared)),
        (full(MODULE, v["gunicorn_flask_import_name"]),
         'gunicorn_flask_import_name must be a Python module name such as "shop" or "shop.app"; got %s'
         % shown(v["gunicorn_flask_import_name"])),
        (all(full(FILE_NAME, k) for k in files),
         "gunicorn_instance_files names must be file names in the instance folder (letters, digits, _ . and -, "
         "no /); got %s" % shown(list(files))),
        (not files or flag(v["gunicorn_instance_folder"]), "gunicorn_instance_files needs gunicorn_instance_folder; it is false"),
        (all(full(PART, n) for n in process_names) and len(set(map(str, process_names))) == len(processes),
         "gunicorn_app_processes names must be unique, lower-case letters, digits, _ and -; got %s"
         % shown(process_names)),
        (all(full(ONE_LINE, p.get("command", "")) for p in processes)
         and all(full(r"[1-9][0-9]?", p["numprocs"]) for p in processes if "numprocs" in p),
         "gunicorn_app_processes need a command on one line and a numprocs from 1 to 99; got %s" % shown(processes)),
        (all(full(PART, n) for n in job_names) and len(set(map(str, job_names))) == len(jobs),
         "gunicorn_app_jobs names must be unique, lower-case letters, digits, _ and -; got %s" % shown(job_names)),
        (all(full(ONE_LINE, j.get("command", "")) for j in jobs)
         and all(full(r"[A-Za-z0-9 *,./:~_+-]+", j.get("schedule", "")) for j in jobs),
         'gunicorn_app_jobs need a command on one line and a schedule in systemd\'s calendar format (e.g. '
         '"*-*-* 03:00:00" or "hourly"); got %s' % shown(jobs)),
        (not bad_keys,
         "gunicorn_environment names must be letters, digits and _, not starting with a digit; got %s"
         % shown(bad_keys)),
    ]


def network(value):
    """Whether value is an IP address or network."""
    try:
        ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return False
    return True


def nginx_input_errors(v):
    """The nginx role's bad values. v maps each nginx_* variable to its value."""
    checks = [
        (full(FILE_NAME, v["nginx_site_name"]),
         "nginx_site_name must be usable as a file name (letters, digits, _ . -); got %s"
         % shown(v["nginx_site_name"])),
    ]
    for name in ("nginx_listen_port", "nginx_upstream_port"):
        checks.append((whole(v[name], 1, 65535), "%s %s; got %s" % (name, PORT_RULE, shown(v[name]))))
    for name in ("nginx_server_name", "nginx_upstream_host", "nginx_charset", "nginx_upstream_socket"):
        checks.append((not re.search(r"[;{}\n\r]", str(v[name])),
                       "%s %s; got %s" % (name, DIRECTIVE_RULE, shown(v[name]))))
    names = str(v["nginx_server_name"]).split()
    checks += [
        (names, 'nginx_server_name (pyweb_server_name) must be the names clients use for the site, such as '
                '"shop.example.com www.shop.example.com", or "_" for any name; it is empty'),
        (not (flag(v["nginx_tls"]) or flag(v["nginx_tls_acme"])) or "_" not in names,
         'nginx_server_name must name the site when nginx_tls is on: "_" would serve its certificate and '
         "the app for any name; got %s" % shown(v["nginx_server_name"])),
    ]
    maintenance, page = v["nginx_maintenance"], v["nginx_maintenance_page"]
    checks += [
        (str(maintenance).strip().lower() in BOOLEANS + ("",),
         "nginx_maintenance must be true, false or empty (left as it is); got %s" % shown(maintenance)),
        (isinstance(v["nginx_maintenance_allow"], list) and all(network(a) for a in v["nginx_maintenance_allow"]),
         "nginx_maintenance_allow must be a list of IP addresses or networks such as 203.0.113.7 or 10.0.0.0/24; "
         "got %s" % shown(v["nginx_maintenance_allow"])),
        (not page or (str(page).startswith("/") and os.path.isfile(str(page))),
         "nginx_maintenance_page must be the absolute path of an HTML file on the controller, or empty; got %s"
         % shown(page)),
    ] + counts(v, (("nginx_maintenance_retry_after", 0),))
    locations, types = v["nginx_websocket_locations"], v["nginx_gzip_types"]
    checks += [
        (isinstance(locations, list) and all(full(r"/[^\s;{}]*", p) for p in locations),
         'nginx_websocket_locations must be a list of URL paths starting with /, such as "/ws/"; got %s'
         % shown(locations)),
        (isinstance(types, list) and all(full(r"[a-z]+/[A-Za-z0-9.+-]+", t) for t in types),
         'nginx_gzip_types must be a list of MIME types such as "text/css"; got %s' % shown(types)),
    ] + counts(v, (("nginx_websocket_timeout", 1),))
    checks += _nginx_upstream_checks(v)
    checks += _nginx_client_checks(v)
    checks += _nginx_tls_checks(v)
    checks += _nginx_static_checks(v)
    listen = v["nginx_listen_port"]
    checks += [
        (v["nginx_upstream_socket"] or number(v["nginx_upstream_port"]) != number(listen)
         or v["nginx_upstream_host"] not in ("127.0.0.1", "localhost", "::1", "0.0.0.0"),
         "nginx_listen_port and the upstream port are both %s on this host: nginx would proxy to itself. "
         "Change nginx_listen_port or gunicorn_bind_port." % listen),
    ]
    checks += lock_checks(v)
    return _named(v, _errors(checks))


def _nginx_upstream_checks(v):
    servers, down = v["nginx_upstream_servers"], v["nginx_upstream_down"]
    conditions = str(v["nginx_proxy_next_upstream"]).split()
    checks = counts(v, (("nginx_worker_connections", 1),)) + [
        (all(full(r"([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}", s) for s in servers)
         and all(d in servers for d in down),
         'nginx_upstream_servers must be app nodes as "address:port" ([address]:port for IPv6) and '
         "nginx_upstream_down some of them; got %s and %s" % (shown(servers), shown(down))),
        (whole(v["nginx_upstream_max_fails"]) and whole(v["nginx_upstream_fail_timeout"], 1)
         and whole(v["nginx_proxy_connect_timeout"], 1, 75),
         "nginx_upstream_max_fails must be a whole number of at least 0, nginx_upstream_fail_timeout of at "
         "least 1 and nginx_proxy_connect_timeout from 1 to 75 (seconds); got %s, %s and %s"
         % (shown(v["nginx_upstream_max_fails"]), shown(v["nginx_upstream_fail_timeout"]),
            shown(v["nginx_proxy_connect_timeout"]))),
        (conditions and all(c in NEXT_UPSTREAM for c in conditions),
         "nginx_proxy_next_upstream must be nginx's conditions (error timeout http_502 ...) or off; got %s"
         % shown(v["nginx_proxy_next_upstream"])),
    ]
    checks += counts(v, (("nginx_upstream_keepalive", 0), ("nginx_upstream_keepalive_timeout", 1),
                         ("nginx_upstream_keepalive_requests", 1)))
    checks += [
        (full(r"auto|[1-9][0-9]*", v["nginx_worker_processes"]),
         "nginx_worker_processes must be auto or a whole number from 1; got %s" % shown(v["nginx_worker_processes"])),
        (full(r"[A-Za-z0-9_]+", v["nginx_access_log_format"]),
         "nginx_access_log_format must be the name of a log_format, such as pyweb or combined; got %s"
         % shown(v["nginx_access_log_format"])),
        (full(r"[1-9][0-9]*[kKmM]?", v["nginx_access_log_buffer"]) and full(TIME, v["nginx_access_log_flush"]),
         "nginx_access_log_buffer must be a size such as 64k and nginx_access_log_flush a time such as 5s; "
         "got %s and %s" % (shown(v["nginx_access_log_buffer"]), shown(v["nginx_access_log_flush"]))),
    ]
    return checks


def _nginx_client_checks(v):
    times = [v["nginx_client_header_timeout"], v["nginx_client_body_timeout"], v["nginx_send_timeout"],
             v["nginx_keepalive_timeout"]]
    buffers = v["nginx_client_header_buffer_size"], v["nginx_large_client_header_buffers"]
    headers = v["nginx_security_headers"]
    # Each header becomes add_header Name "value" always;
    return [
        (full(r"[0-9]+[kKmMgG]?", v["nginx_client_max_body_size"]),
         "nginx_client_max_body_size must be a size such as 10m; got %s" % shown(v["nginx_client_max_body_size"])),
        (all(full(TIME, t) for t in times),
         "nginx_client_header_timeout, nginx_client_body_timeout, nginx_send_timeout and nginx_keepalive_timeout "
         "must be times such as 15s; got %s" % shown(times)),
        (full(SIZE, buffers[0]) and full(r"[1-9][0-9]* +%s" % SIZE, buffers[1]),
         'nginx_client_header_buffer_size must be a size such as 1k and nginx_large_client_header_buffers a '
         'number and a size such as "4 8k"; got %s and %s' % (shown(buffers[0]), shown(buffers[1]))),
        *counts(v, (("nginx_connections_per_address", 0),)),
        (all(full(r"[A-Za-z0-9-]+", k) for k in headers)
         and not any(re.search(r'["\\\r\n]', str(value)) for value in headers.values()),
         "nginx_security_headers must map header names (letters, digits, -) to values without quotes, "
         "backslashes or line breaks; got %s" % shown(headers)),
        *counts(v, (("nginx_rate_limit_burst", 0),)),
        (full(r"([1-9][0-9]*r/[sm]|standard)?", v["nginx_rate_limit"]),
         "nginx_rate_limit must be empty, standard or a rate such as 10r/s or 300r/m; got %s"
         % shown(v["nginx_rate_limit"])),
    ]


def _nginx_tls_checks(v):
    cert, key = v["nginx_tls_certificate"], v["nginx_tls_certificate_key"]
    given = [p for p in (cert, key) if p]
    pair = "got %s and %s" % (shown(cert), shown(key))
    tls, on_host, acme = flag(v["nginx_tls"]), flag(v["nginx_tls_certificate_on_host"]), flag(v["nginx_tls_acme"])
    return _nginx_acme_checks(v) + [
        (not tls or acme or flag(v["nginx_tls_self_signed"]) or (cert and key),
         "nginx_tls needs nginx_tls_certificate and nginx_tls_certificate_key, nginx_tls_self_signed or "
         "nginx_tls_acme; " + pair),
        (bool(cert) == bool(key), "nginx_tls_certificate and nginx_tls_certificate_key go together; " + pair),
        (not tls or on_host or all(os.path.isfile(p) for p in given),
         "nginx_tls_certificate and nginx_tls_certificate_key must be files on the controller (or set "
         "nginx_tls_certificate_on_host); " + pair),
        (not on_host or all(full(r"/[^;{}\s]*", p) for p in given),
         "With nginx_tls_certificate_on_host, nginx_tls_certificate and nginx_tls_certificate_key must be "
         "absolute paths without spaces, ; { or }; " + pair),
        (whole(v["nginx_tls_port"], 1, 65535) and number(v["nginx_tls_port"]) != number(v["nginx_listen_port"]),
         "nginx_tls_port %s other than nginx_listen_port (%s); got %s"
         % (PORT_RULE, v["nginx_listen_port"], shown(v["nginx_tls_port"]))),
        *counts(v, (("nginx_hsts_max_age", 0),)),
        (not flag(v["nginx_hsts_preload"])
         or (flag(v["nginx_hsts_include_subdomains"]) and number(v["nginx_hsts_max_age"]) >= HSTS_PRELOAD_AGE),
         "nginx_hsts_preload needs nginx_hsts_include_subdomains and nginx_hsts_max_age of at least %s "
         "(browsers' preload lists take no less); got %s and %s"
         % (HSTS_PRELOAD_AGE, shown(v["nginx_hsts_include_subdomains"]), shown(v["nginx_hsts_max_age"]))),
    ]


def _nginx_acme_checks(v):
    """nginx_tls_acme's rules: the certificate comes from the CA alone, for names HTTP-01 can prove."""
    if not flag(v["nginx_tls_acme"]):
        return []
    others = [name for name in ("nginx_tls_certificate", "nginx_tls_certificate_key") if v[name]] + [
        name for name in ("nginx_tls_self_signed", "nginx_tls_certificate_on_host") if flag(v[name])]
    names = str(v["nginx_server_name"]).split()
    kid, key, email = str(v["nginx_tls_acme_eab_kid"]), str(v["nginx_tls_acme_eab_hmac_key"]), v["nginx_tls_acme_email"]
    return [
        (False, "%s must be left unset with nginx_tls_acme, which gets the certificate from the CA; got %s"
         % (name, shown(v[name]))) for name in others
    ] + [
        (all(full(r"{0}([.]{0})*".format(LABEL), n) for n in names),
         "nginx_server_name must list exact host names for nginx_tls_acme (the HTTP-01 challenge proves no "
         "wildcards or patterns); got %s" % shown(v["nginx_server_name"])),
        (full(r"https://[^\s\"';{}]+", v["nginx_tls_acme_directory"]),
         "nginx_tls_acme_directory must be the https:// URL of the CA's ACME directory; got %s"
         % shown(v["nginx_tls_acme_directory"])),
        (full(r"([^@\s,]+@[^@\s,]+[.][^@\s,]+)?", email),
         "nginx_tls_acme_email must be an e-mail address, or empty to register without one; got %s" % shown(email)),
        (bool(kid) == bool(key) and full(r"[!-~]*", kid) and full(r"[A-Za-z0-9_-]*=*", key),
         "nginx_tls_acme_eab_kid (a key id without spaces) and nginx_tls_acme_eab_hmac_key (base64url, the CA's "
         "key; its value is not shown) go together; got %s and %s"
         % (shown(kid), "a key" if key else "none")),
        (number(v["nginx_tls_port"]) != 80,
         "nginx_tls_port must not be 80 with nginx_tls_acme: the CA asks for its challenge over plain HTTP there; "
         "got %s" % shown(v["nginx_tls_port"])),
    ]


def _nginx_static_checks(v):
    url, directory, root, expires = (v["nginx_static_url"], v["nginx_static_dir"], v["nginx_static_root"],
                                     v["nginx_static_expires"])
    return [
        (full(r"/([A-Za-z0-9_.~-]+/)*", url) and url != "/" and full("(%s)?" % RELATIVE, directory)
         and full(r"/[^;{} ]*", root) and full(r"off|epoch|max|[0-9]+(ms|s|m|h|d|w|M|y)?", expires),
         "nginx_static_url must be a URL path other than / starting and ending with / (got %s), "
         "nginx_static_dir a directory inside the release without .. (got %s), nginx_static_root an absolute "
         "path (got %s) and nginx_static_expires a time such as 1h (got %s)"
         % (shown(url), shown(directory), shown(root), shown(expires))),
    ]


def _address(host):
    """host as an IP address, localhost as 127.0.0.1; None for any other name (not resolved here)."""
    host = str(host).strip("[]")
    if host == "localhost":
        return ipaddress.ip_address("127.0.0.1")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def reaches(proxied, listening):
    """Whether a proxy on the same host that connects to the address proxied reaches a server that
    listens on listening: the same address, or any address of the host when it listens on all of
    them. Names other than localhost may resolve to anything and are let through."""
    to, on = _address(proxied), _address(listening)
    if to is None or on is None:
        return True
    if on.is_unspecified:
        # 0.0.0.0 takes IPv4 only; :: takes both where the host allows it (Linux's default).
        return on.version == 6 or to.version == 4
    return to == on


def stack_input_errors(v):
    """What must agree between the nginx and gunicorn roles when both serve the app on one host
    (playbooks/site.yml). v maps every nginx_* and gunicorn_* variable to its value. A value set
    for one role alone, where a pyweb_* variable would have set both, shows up here."""
    checks = [
        (number(v["nginx_upstream_keepalive"]) == 0
         or number(v["gunicorn_keepalive"]) > number(v["nginx_upstream_keepalive_timeout"]),
         "gunicorn_keepalive (%s) must be longer than nginx_upstream_keepalive_timeout (%s), or nginx may send "
         "a request on a connection gunicorn is closing."
         % (v["gunicorn_keepalive"], v["nginx_upstream_keepalive_timeout"])),
        (v["nginx_site_state"] == v["gunicorn_app_state"],
         "nginx_site_state (%s) and gunicorn_app_state (%s) must agree; set pyweb_app_state, which both roles "
         "follow" % (v["nginx_site_state"], v["gunicorn_app_state"])),
    ]
    if v["gunicorn_app_state"] != "present" or v["nginx_upstream_servers"]:
        return _errors(checks)
    if flag(v["gunicorn_bind_unix_socket"]):
        proxied, listening = "unix:%s" % v["nginx_upstream_socket"], "unix:%s" % v["gunicorn_socket_path"]
        agree = v["nginx_upstream_socket"] == v["gunicorn_socket_path"]
    else:
        proxied = ("unix:%s" % v["nginx_upstream_socket"] if v["nginx_upstream_socket"]
                   else "%s:%s" % (v["nginx_upstream_host"], v["nginx_upstream_port"]))
        listening = "%s:%s" % (v["gunicorn_bind_host"], v["gunicorn_bind_port"])
        agree = (not v["nginx_upstream_socket"] and number(v["nginx_upstream_port"]) == number(v["gunicorn_bind_port"])
                 and reaches(v["nginx_upstream_host"], v["gunicorn_bind_host"]))
    checks.append((agree, "nginx proxies to %s but gunicorn listens on %s; set pyweb_app_port, pyweb_app_host or "
                          "pyweb_app_socket, which both roles follow" % (proxied, listening)))
    checks.append((v["nginx_static_dir"] == v["gunicorn_static_dir"],
                   "nginx serves %s from the release but the gunicorn role opens %s to it (nginx_static_dir and "
                   "gunicorn_static_dir); set pyweb_static_dir, which both roles follow"
                   % (shown(v["nginx_static_dir"]), shown(v["gunicorn_static_dir"]))))
    root = os.path.normpath(str(v["gunicorn_app_root"])) + "/current"
    checks.append((not v["nginx_static_dir"] or os.path.normpath(str(v["nginx_static_root"])) == root,
                   "nginx_static_root (%s) must be the app's current release (%s); set pyweb_app_root, which both "
                   "roles follow" % (v["nginx_static_root"], root)))
    return _errors(checks)


# Absolute, not / itself, and out of /tmp: a cleaned /tmp takes the socket with it.
SUPERVISOR_PATH = r"/(?!(var/)?tmp(/|$))[^ ]"
SUPERVISOR_PATH_RULE = "must be an absolute path outside /tmp and /var/tmp (a cleaned /tmp takes the socket with it)"


def supervisor_input_errors(v, programs, all_programs):
    """The supervisor role's bad values. v maps each supervisor_* variable to its value; programs are
    the programs to install (state present) and all_programs those and the ones to remove."""

    def own(path, system=()):
        return own_path(path, system, SUPERVISOR_PATH)

    checks = [(own(v[name]), "%s %s; got %s" % (name, SUPERVISOR_PATH_RULE, shown(v[name])))
              for name in ("supervisor_socket_path", "supervisor_pid_file", "supervisor_log_dir",
                           "supervisor_include_dir")]
    names = [p.get("name") for p in all_programs]
    missing = [p.get("name") for p in programs if "command" not in p]
    # supervisor reads a quoted value as it is, without escapes: one quote kind or the other.
    unreadable = [p.get("name") for p in programs
                  if any(('"' in str(value) and "'" in str(value)) or re.search(r"[\r\n]", str(value))
                         for value in (p.get("environment") or {}).values())]
    checks += [
        (own(v["supervisor_venv_dir"], ("/opt", "/usr", "/usr/local", "/etc", "/var")),
         "supervisor_venv_dir must be a directory of its own, %s; got %s"
         % (SUPERVISOR_PATH_RULE, shown(v["supervisor_venv_dir"]))),
        (full(r"[0-9]+([.][0-9]+)*", v["supervisor_pip_version"]),
         "supervisor_pip_version must be a version such as 4.3.0; got %s" % shown(v["supervisor_pip_version"])),
        (all(full(FILE_NAME, n) for n in names) and len(set(map(str, names))) == len(names),
         "supervisor_programs names must be unique file names (letters, digits, _ . -); got %s" % shown(names)),
        (not missing,
         "supervisor_programs need a command unless their state is absent; got none for %s" % shown(missing)),
        (not unreadable,
         "supervisor_programs environment values must not hold both \' and \" or a line break (supervisor "
         "cannot read such a value); got one in %s" % shown(unreadable)),
        log_size_check(v, "supervisor_log_max_size"),
    ]
    return _errors(checks + counts(v, (("supervisor_log_keep", 1),)))


class FilterModule:
    def filters(self):
        return {
            "gunicorn_input_errors": gunicorn_input_errors,
            "nginx_input_errors": nginx_input_errors,
            "stack_input_errors": stack_input_errors,
            "supervisor_input_errors": supervisor_input_errors,
        }
