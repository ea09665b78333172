#!/usr/bin/python
"""What a role needs to know about the host before it changes anything, asked in one call."""

DOCUMENTATION = r"""
module: host_state
short_description: Packages, paths, links and files a role looks at, in one read-only call
description:
  - Answers the questions a role asks before it acts, which would otherwise each be a task of
    their own and a round trip to the host. It says which Debian packages are installed, whether
    paths exist and where links point, which files match a pattern (and which of those hold a
    line matching a regular expression), what lines of files say, whether systemd services are
    enabled and running, what users and groups exist, and which names a certificate holds and for
    how long it is still valid.
  - Read-only; runs in check mode too.
options:
  packages:
    description: Debian packages to ask dpkg about.
    type: list
    elements: str
    default: []
  paths:
    description: Paths to look at (links are not followed).
    type: list
    elements: path
    default: []
  globs:
    description: Named lists of files to find, each a shell pattern (C(pattern), e.g.
      C(/etc/nginx/conf.d/pyweb-unknown-hosts-*.conf)) with an optional Python regular expression
      searched in each file's content, line by line (C(contains)). The answer has the same names.
    type: dict
    default: {}
  grep:
    description: Named searches, each a shell pattern of files (C(pattern); links to files are
      followed) and a Python regular expression (C(regex)); every match of it in those files'
      lines is returned (the first group's text when it has groups). The answer has the same
      names.
    type: dict
    default: {}
  services:
    description: systemd services to ask about, in one C(systemctl show).
    type: list
    elements: str
    default: []
  users:
    description: Users to look up.
    type: list
    elements: str
    default: []
  groups:
    description: Groups to look up.
    type: list
    elements: str
    default: []
  distribution:
    description: Also return the distribution's name and major version from /etc/os-release.
    type: bool
    default: false
  certificates:
    description: PEM certificate files to read (the first certificate of each).
    type: list
    elements: path
    default: []
  programs:
    description: supervisor programs to ask the state of, over supervisord's socket (in one
      C(supervisorctl status) where supervisorctl would read another config than the roles').
    type: list
    elements: str
    default: []
  ready:
    description: For programs of I(programs) that say when they serve, the file each writes its pid
      to then (name -> path), as the supervisor role's C(ready_file). Such a program still
      C(STARTING) for supervisor counts as C(RUNNING) once its file holds its pid.
    type: dict
    default: {}
  fingerprint:
    description:
      - Compare the host with the record the M(pyweb.deploy.converged) module wrote at the end of a
        role's last full run, given by C(name) (the record's), C(trees) (directories compared with
        everything under them), C(paths) (single paths) and C(globs) (shell patterns of paths). The packages and services the record
        holds are compared with the answers for I(packages) and I(services), which should list
        them.
      - The answer says whether there is a record, its settings digest, and what differs.
    type: dict
  served:
    description:
      - Read what an app's served release was made from, before anything changes, for the summary
        of what a run changes (M(pyweb.deploy.release_changes) compares it) - C(app_root), the link
        to the served release (C(current)), the release this run deploys (C(release)), the
        requirements file and migrations directory in a release (C(requirements), C(migrations)),
        the gunicorn config and environment file (C(config_path), C(environment_path)) and the
        app's release history (C(history_path)).
      - The served release's files are read only when C(release) is another one. The environment's
        values come back only as digests, keyed with I(digest_key) when it is given.
      - The action of the same name takes C(environment), the app's environment as the run will
        write it, keeps it on the controller, makes a key for the call and answers with both sides'
        digests made with it (C(environment) and C(environment_new)); the key is then forgotten.
    type: dict
  digest_key:
    description: The key of the environment's digests (an HMAC); set by the action, never shown.
    type: str
    default: ""
  lock:
    description:
      - First take the app's deploy lock of this name for the run, as M(pyweb.deploy.deploy_lock)
        does (C(name), C(timeout), C(force)); the host is looked at only once the run holds it,
        and a lock another run holds fails the task with who holds it. The answer's C(lock) is
        the deploy_lock module's.
      - The action of the same name sets the run; check mode takes no lock and warns of another
        run's.
    type: dict
author: pyweb.deploy maintainers (@pyweb)
"""

EXAMPLES = r"""
- name: Ask whether nginx is installed and running, and which release the host runs
  pyweb.deploy.host_state:
    packages: [nginx]
    services: [nginx]
    distribution: true
  register: host

- name: Find the app's program files that run a process, and the ports its config names
  pyweb.deploy.host_state:
    paths: [/opt/shop/current]
    globs:
      processes:
        pattern: /etc/supervisor/conf.d/shop.*.conf
        contains: "^command="
    grep:
      ports:
        pattern: /opt/shop/gunicorn.conf.py
        regex: 'bind = "[^:]*:([0-9]+)"'
    users: [shop]
    groups: [shop]
  register: app
"""

RETURN = r"""
packages:
  description: For each package asked, whether dpkg has it installed.
  type: dict
  returned: always
paths:
  description: For each path asked, C(exists), C(isdir), C(islnk), C(target) (a link's target) and
    C(mode) (octal, such as C(0751); the link's own for a link, empty for a missing path).
  type: dict
  returned: always
globs:
  description: For each name of I(globs), the sorted list of matching files (that hold C(contains)).
  type: dict
  returned: always
grep:
  description: For each name of I(grep), the list of matches in the sorted files.
  type: dict
  returned: always
services:
  description: For each service asked, C(enabled) (its unit file state is C(enabled)) and
    C(active) (it is running). A service systemd does not know is neither.
  type: dict
  returned: always
users:
  description: For each user asked, C(exists), and when it does C(group) (the primary group's
    name), C(home) and C(shell).
  type: dict
  returned: always
groups:
  description: For each group asked, C(exists), and when it does C(gid).
  type: dict
  returned: always
distribution:
  description: With I(distribution), C(distribution) (Debian, Ubuntu) and
    C(distribution_major_version), as Ansible's facts name them.
  type: dict
  returned: when asked
certificates:
  description: For each certificate asked, C(exists), and when it can be read C(names) (its DNS
    subject alternative names, sorted) and C(days_left) (days until it expires by the host's clock,
    negative once it has).
  type: dict
  returned: always
programs:
  description: For each program asked, its state as supervisor says it (C(RUNNING), C(STOPPED), ...;
    the worst of its processes), or C(UNKNOWN) when supervisor does not know it or cannot answer.
  type: dict
  returned: always
fingerprint:
  description: With I(fingerprint), C(recorded) (whether there is a record), C(digest) (the settings
    digest in the record) and C(changes) (what differs from it, in words; empty when nothing does).
  type: dict
  returned: when asked
served:
  description: With I(served), C(release) (the served one, empty when none), C(manifest),
    C(requirements_text), C(migrations) and C(git_commit) of it (empty when C(release) is the served
    one), C(config) (the gunicorn config's text) and C(environment) (the app's variables, each
    value a digest); through the action, C(environment_new) (the same of the run's environment).
  type: dict
  returned: when asked
lock:
  description: With I(lock), C(taken) and C(holder) (this run's lock, or in check mode whoever holds
    it), and C(took_over) (the lock of another run this run took over).
  type: dict
  returned: when asked
"""

import glob
import grp
import os
import pwd
import re
import ssl
import stat
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pyweb.deploy.plugins.module_utils import changes, deploy_lock, fingerprint
from ansible_collections.pyweb.deploy.plugins.module_utils.host import package_states, service_states
from ansible_collections.pyweb.deploy.plugins.module_utils.supervisor import Supervisor, connect, mark_ready


# What `served` may ask of the served release (module_utils/changes.py's read_served).
SERVED_KEYS = {"app_root", "current", "served", "release", "requirements", "migrations", "config_path",
               "environment_path", "history_path"}


def path_state(path):
    if not os.path.lexists(path):
        return {"exists": False, "isdir": False, "islnk": False, "target": "", "mode": ""}
    islnk = os.path.islink(path)
    return {"exists": True, "isdir": os.path.isdir(path) and not islnk, "islnk": islnk,
            "target": os.readlink(path) if islnk else "", "mode": "%04o" % stat.S_IMODE(os.lstat(path).st_mode)}


def _files(pattern):
    """The regular files (links to them too) matching a shell pattern, sorted."""
    return sorted(p for p in glob.glob(pattern) if os.path.isfile(p))


def _lines(path):
    """The lines of a file; none when it cannot be read."""
    try:
        with open(path, errors="replace") as handle:
            return handle.readlines()
    except OSError:
        return []


def matching_files(pattern, contains=None):
    if contains is None:
        return _files(pattern)
    wanted = re.compile(contains)
    return [path for path in _files(pattern) if any(wanted.search(line) for line in _lines(path))]


def grep_files(pattern, regex):
    """Every match of regex in the lines of the files matching pattern, files in sorted order."""
    wanted = re.compile(regex)
    return [match for path in _files(pattern) for line in _lines(path) for match in wanted.findall(line)]


def user_state(name):
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return {"exists": False}
    try:
        group = grp.getgrgid(entry.pw_gid).gr_name
    except KeyError:
        group = str(entry.pw_gid)
    return {"exists": True, "group": group, "home": entry.pw_dir, "shell": entry.pw_shell}


def group_state(name):
    try:
        return {"exists": True, "gid": grp.getgrnam(name).gr_gid}
    except KeyError:
        return {"exists": False}


def os_release(path="/etc/os-release"):
    """The distribution as Ansible names it (Debian, Ubuntu) and its major version."""
    values = {}
    try:
        with open(path) as handle:
            for line in handle:
                key, dummy, value = line.strip().partition("=")
                values[key] = value.strip('"')
    except OSError:
        return {}
    names = {"debian": "Debian", "ubuntu": "Ubuntu"}
    name = names.get(values.get("ID", ""), values.get("NAME", "").split(" ")[0])
    return {"distribution": name, "distribution_major_version": values.get("VERSION_ID", "").split(".")[0]}


def certificate_state(path, now=time.time):
    """The DNS names of the certificate in a PEM file and the days it has left; none when unreadable."""
    if not os.path.isfile(path):
        return {"exists": False}
    try:
        # The ssl module's own PEM decoder: the host needs no cryptography library for it.
        decoded = ssl._ssl._test_decode_cert(path)  # pylint: disable=protected-access
        expires = ssl.cert_time_to_seconds(decoded["notAfter"])
    except (ssl.SSLError, OSError, KeyError, ValueError, AttributeError):
        return {"exists": True, "names": [], "days_left": -1}
    names = sorted(value for kind, value in decoded.get("subjectAltName", ()) if kind == "DNS")
    return {"exists": True, "names": names, "days_left": int((expires - now()) // 86400)}


def program_states(names, sup, ready=None):
    """{name: state} of the supervisor programs, as sup (a module_utils.supervisor.Supervisor) says
    them; a STARTING program whose ready file (ready: name -> path) holds its pid counts as
    RUNNING."""
    if not names:
        return {}
    states = mark_ready(sup.states(), ready or {}, sup.pid)
    return {name: states.get(name, "UNKNOWN") for name in names}


def compare_with_record(module, spec, result):
    """The fingerprint answer: the record of spec's name, and what differs from it on the host."""
    try:
        record = fingerprint.read_record(spec.get("name"))
    except ValueError as error:
        module.fail_json(msg="fingerprint.name: %s" % error)
    if record is None:
        return {"recorded": False, "digest": "", "changes": []}
    files = fingerprint.files_state(spec.get("trees") or [], spec.get("paths") or [],
                                    patterns=spec.get("globs") or [])
    return {"recorded": True, "digest": record.get("digest", ""),
            "changes": fingerprint.changes(record, files, result["packages"], result["services"])}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type="list", elements="str", default=[]),
            paths=dict(type="list", elements="path", default=[]),
            globs=dict(type="dict", default={}),
            grep=dict(type="dict", default={}),
            services=dict(type="list", elements="str", default=[]),
            users=dict(type="list", elements="str", default=[]),
            groups=dict(type="list", elements="str", default=[]),
            distribution=dict(type="bool", default=False),
            certificates=dict(type="list", elements="path", default=[]),
            programs=dict(type="list", elements="str", default=[]),
            ready=dict(type="dict", default={}),
            fingerprint=dict(type="dict"),
            served=dict(type="dict"),
            # The key of the environment's digests in `served`, made by the action for one call.
            digest_key=dict(type="str", default="", no_log=True),
            # name, timeout and force as given, and the run and ended as the action sets them.
            lock=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    for option, keys in (("globs", {"pattern", "contains"}), ("grep", {"pattern", "regex"})):
        for name, entry in params[option].items():
            if not isinstance(entry, dict) or "pattern" not in entry or set(entry) - keys \
                    or (option == "grep" and "regex" not in entry):
                module.fail_json(msg="%s.%s must be a dict of %s with pattern%s; got %r"
                                 % (option, name, ", ".join(sorted(keys)),
                                    " and regex" if option == "grep" else "", entry))
    served = params["served"]
    if served is not None and (not isinstance(served.get("app_root"), str) or set(served) - SERVED_KEYS):
        module.fail_json(msg="served must be a dict with app_root and any of %s; got %r"
                         % (", ".join(sorted(SERVED_KEYS - {"app_root"})), served))
    held = None
    if params["lock"] is not None:
        if not {"name", "run"} <= set(params["lock"]):
            module.fail_json(msg="lock needs a name, and the run that the action of the same name sets")
        try:
            held = deploy_lock.hold(dict(params["lock"], state="present"), module.check_mode)
        except ValueError as error:
            module.fail_json(msg="lock.name %s" % error)
        if not held["taken"] and not module.check_mode:
            # Another run holds it: the action says who, and nothing is looked at.
            module.exit_json(changed=False, lock=held)
    result = dict(
        changed=False,
        packages=package_states(params["packages"]),
        paths={path: path_state(path) for path in params["paths"]},
        globs={name: matching_files(g["pattern"], g.get("contains")) for name, g in params["globs"].items()},
        grep={name: grep_files(g["pattern"], g["regex"]) for name, g in params["grep"].items()},
        services=service_states(params["services"]),
        users={name: user_state(name) for name in params["users"]},
        groups={name: group_state(name) for name in params["groups"]},
        certificates={path: certificate_state(path) for path in params["certificates"]},
        programs=program_states(params["programs"], Supervisor(module, rpc=connect() if params["programs"] else None),
                                params["ready"]),
    )
    if params["distribution"]:
        result["distribution"] = os_release()
    if params["fingerprint"] is not None:
        result["fingerprint"] = compare_with_record(module, params["fingerprint"], result)
    if served is not None:
        result["served"] = changes.read_served(digest_key=params["digest_key"], **served)
    if held is not None:
        result["lock"] = held
    module.exit_json(**result)


if __name__ == "__main__":
    main()
