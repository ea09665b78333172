"""Filters for where the gunicorn role takes an app's code from on the controller, whether pip
installs it as a project, and what its virtualenv is named after.

Each reads only the controller's files it is given, so tests/test_sources.py checks it against
directories it makes.
"""

import hashlib
import os
import re

from ansible.errors import AnsibleFilterError
from ansible_collections.pyweb.deploy.plugins.module_utils.code_tree import TreeError, file_entries


def code_dir(source):
    """The directory the app's code is read from: the exported tree of a git commit (and its
    subdirectory), the directory of a package (only the package is taken from it), the user's
    directory, or the bundled sample. source maps repo, subdir, tree (the exported commit), package,
    src and sample to their values, empty when not set."""
    if source.get("repo"):
        return source.get("tree", "") + ("/" + source["subdir"] if source.get("subdir") else "")
    if source.get("package"):
        return os.path.dirname(source["package"])
    return source.get("src") or source["sample"]


def code_files(src, exclude=()):
    """The files a release gets from src (a directory, or a package file), as ansible.builtin.find
    describes them (path, checksum, mode): the copy_tree action sends the same ones, links followed
    and names matching exclude left out, so a change to an excluded file makes no new release."""
    try:
        return file_entries(src, exclude)
    except (TreeError, OSError) as error:
        raise AnsibleFilterError(f"the app's code cannot be read: {error}") from error


def is_project(src, install="auto", package=False):
    """Whether pip installs the code as a project: always with install "project", never for a
    package or with "requirements"; with "auto" when the code has a setup.py, or a pyproject.toml
    with a [project] table."""
    if package or install == "requirements":
        return False
    if install == "project":
        return True
    if not os.path.isdir(src):
        return False
    if os.path.isfile(os.path.join(src, "setup.py")):
        return True
    pyproject = os.path.join(src, "pyproject.toml")
    if not os.path.isfile(pyproject):
        return False
    with open(pyproject, encoding="utf-8") as handle:
        return re.search(r"^\[project\]", handle.read(), re.M) is not None


def requirements_id(inputs):
    """8 hex digits naming a virtualenv by what it is made from besides gunicorn: the package's
    checksum (a package brings its own requirements), else the requirements file's text (read here,
    trailing whitespace dropped), then the project's code when pip installs it, then the Flask import
    name whose instance folder is linked in. inputs maps package, requirements (a path), project (a
    code id) and instance to their values, each empty when it does not apply. Earlier versions of the
    collection gave the same names."""
    if inputs.get("package"):
        text = "package " + inputs["package"]
    elif inputs.get("requirements"):
        with open(inputs["requirements"], encoding="utf-8") as handle:
            text = handle.read().rstrip()
    else:
        text = ""
    # A backslash and an n, not a line break, between the parts: what the names were made from
    # before (a YAML block kept Jinja from reading the two characters as one).
    if inputs.get("project"):
        text += "\\nproject " + inputs["project"]
    if inputs.get("instance"):
        text += "\\ninstance " + inputs["instance"]
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


class FilterModule:
    def filters(self):
        return {
            "code_dir": code_dir,
            "code_files": code_files,
            "is_project": is_project,
            "requirements_id": requirements_id,
        }
