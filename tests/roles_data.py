"""What the unit tests read from the roles as Ansible does: a role's defaults (every file of
defaults/main/, in order) and values marked for templating."""

from pathlib import Path

import yaml
from ansible.template import trust_as_template

ROOT = Path(__file__).resolve().parent.parent


def role_defaults(role):
    """The role's defaults: every file of defaults/main/, as Ansible reads them."""
    values = {}
    for path in sorted((ROOT / "roles" / role / "defaults" / "main").glob("*.yml")):
        values.update(yaml.safe_load(path.read_text()) or {})
    return values


def trusted(value):
    """value with every string in it marked as a template, as Ansible marks what it reads from a
    role's files (strings from anywhere else are never templated)."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [trusted(item) for item in value]
    if isinstance(value, dict):
        return {key: trusted(item) for key, item in value.items()}
    return value
