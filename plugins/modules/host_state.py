#!/usr/bin/python
"""What a role needs to know about the host before it changes anything, asked in one call."""

DOCUMENTATION = r"""
module: host_state
short_description: Packages, paths, links and files a role looks at, in one read-only call
description:
  - Answers the questions a role asks before it acts, which would otherwise each be a task of
    their own and a round trip to the host. It says which Debian packages are installed, whether
    paths exist and where links point, and which files match a pattern (and which of those hold a
    line matching a regular expression).
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
    description: Shell patterns of files to list, each with an optional regular expression the
      file's content must match (C(contains)).
    type: list
    elements: dict
    default: []
    suboptions:
      pattern:
        description: A shell pattern, e.g. C(/etc/nginx/conf.d/pyweb-unknown-hosts-*.conf).
        type: str
        required: true
      contains:
        description: A Python regular expression searched in each file's content, line by line.
        type: str
  distribution:
    description: Also return the distribution's name and major version from /etc/os-release.
    type: bool
    default: false
author: pyweb.deploy maintainers
"""

RETURN = r"""
packages:
  description: For each package asked, whether dpkg has it installed.
  type: dict
  returned: always
paths:
  description: For each path asked, C(exists), C(isdir), C(islnk) and C(target) (a link's target).
  type: dict
  returned: always
globs:
  description: For each entry of I(globs), in order, the sorted list of matching files (that hold
    C(contains)).
  type: list
  returned: always
distribution:
  description: With I(distribution), C(distribution) (Debian, Ubuntu) and
    C(distribution_major_version), as Ansible's facts name them.
  type: dict
  returned: when asked
"""

import glob
import os
import re
import subprocess

from ansible.module_utils.basic import AnsibleModule


def package_states(names, run=subprocess.run):
    """{name: installed?} for the Debian packages, from one dpkg-query."""
    if not names:
        return {}
    try:
        answer = run(["dpkg-query", "--show", "--showformat=${Package} ${db:Status-Status}\n", *names],
                     capture_output=True, text=True)
    except OSError:
        return {name: False for name in names}
    installed = {line.split()[0].split(":")[0] for line in answer.stdout.splitlines()
                 if line.split()[-1:] == ["installed"]}
    return {name: name in installed for name in names}


def path_state(path):
    if not os.path.lexists(path):
        return {"exists": False, "isdir": False, "islnk": False, "target": ""}
    islnk = os.path.islink(path)
    return {"exists": True, "isdir": os.path.isdir(path) and not islnk, "islnk": islnk,
            "target": os.readlink(path) if islnk else ""}


def matching_files(pattern, contains=None):
    found = sorted(p for p in glob.glob(pattern) if os.path.isfile(p))
    if contains is None:
        return found
    wanted = re.compile(contains)
    kept = []
    for path in found:
        try:
            with open(path, errors="replace") as handle:
                if any(wanted.search(line) for line in handle):
                    kept.append(path)
        except OSError:
            continue
    return kept


def os_release(path="/etc/os-release"):
    """The distribution as Ansible names it (Debian, Ubuntu) and its major version."""
    values = {}
    try:
        with open(path) as handle:
            for line in handle:
                key, _, value = line.strip().partition("=")
                values[key] = value.strip('"')
    except OSError:
        return {}
    names = {"debian": "Debian", "ubuntu": "Ubuntu"}
    name = names.get(values.get("ID", ""), values.get("NAME", "").split(" ")[0])
    return {"distribution": name, "distribution_major_version": values.get("VERSION_ID", "").split(".")[0]}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type="list", elements="str", default=[]),
            paths=dict(type="list", elements="path", default=[]),
            globs=dict(type="list", elements="dict", default=[], options=dict(
                pattern=dict(type="str", required=True),
                contains=dict(type="str"),
            )),
            distribution=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = dict(
        changed=False,
        packages=package_states(params["packages"]),
        paths={path: path_state(path) for path in params["paths"]},
        globs=[matching_files(g["pattern"], g.get("contains")) for g in params["globs"]],
    )
    if params["distribution"]:
        result["distribution"] = os_release()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
