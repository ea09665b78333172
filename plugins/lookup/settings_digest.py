"""The digest of a role's settings, for its record of a full run (plugins/modules/converged.py)."""

DOCUMENTATION = r"""
name: settings_digest
short_description: A digest of everything on the controller that a role's run depends on
description:
  - Returns one SHA-256 digest (hex) of the values of every variable whose name starts with one of
    the prefixes given as terms (templated, as the role's tasks see them), of I(extra) (such as
    the role's rendered templates), and of the role's own files and the collection's plugins, so
    that a new version of the collection changes it too.
  - A variable that cannot be templated counts by its text.
options:
  _terms:
    description: Variable name prefixes, such as C(nginx_) and C(pyweb_).
    required: true
  extra:
    description: More data the role's run depends on (rendered templates, facts of this run).
    type: raw
    default: null
  exclude:
    description: Variables left out although their names start with a prefix, such as where the
      app's code is on the controller, when what they lead to counts another way.
    type: list
    elements: str
    default: []
author: pyweb.deploy maintainers (@pyweb)
"""

EXAMPLES = r"""
- name: Compare the host with the role's last full run
  ansible.builtin.debug:
    msg: "{{ lookup('pyweb.deploy.settings_digest', 'nginx_', 'pyweb_', extra=[site_text]) }}"
"""

RETURN = r"""
_raw:
  description: The digest, 64 hex digits.
  type: list
  elements: str
"""

import hashlib
import json
import os

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase
from ansible_collections.pyweb.deploy.plugins.module_utils.code_tree import file_entries


def tree_digest(roots):
    """A digest of the names, modes and contents of every file under the roots (as the app's code
    is fingerprinted), wherever the roots are: a checkout and an installed collection agree."""
    files = [(os.path.relpath(entry["path"], root), entry["mode"], entry["checksum"])
             for root in roots for entry in file_entries(root, exclude=("__pycache__",))]
    return hashlib.sha256(json.dumps(files).encode()).hexdigest()


def settings_digest(values, extra, code):
    """The digest of the settings (name -> value), extra and the code's digest."""
    text = json.dumps({"settings": values, "extra": extra, "code": code}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        unknown = sorted(set(kwargs) - {"extra", "exclude"})
        if unknown:
            raise AnsibleError("settings_digest: unknown option(s) %s; it takes extra and exclude" % ", ".join(unknown))
        excluded = set(kwargs.get("exclude") or ())
        prefixes = tuple(str(term) for term in terms)
        if not prefixes:
            raise AnsibleError("settings_digest: give at least one variable name prefix")
        variables = variables or {}
        values = {}
        for name in sorted(variables):
            if not name.startswith(prefixes) or name in excluded:
                continue
            try:
                values[name] = self._templar.template(variables[name])
            except Exception:  # pylint: disable=broad-except
                # An unused setting may refer to what is undefined; its text still counts.
                values[name] = "untemplated: %s" % (variables[name],)
        role_path = variables.get("role_path", "")
        roots = [role_path] if role_path else []
        plugins = os.path.join(os.path.dirname(os.path.dirname(role_path)), "plugins") if role_path else ""
        if plugins and os.path.isdir(plugins):
            roots.append(plugins)
        return [settings_digest(values, kwargs.get("extra"), tree_digest(roots))]
