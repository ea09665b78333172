"""What the unit tests take from the project: its Python files loaded by path (plugins, scripts,
the bench), a role's defaults as Ansible reads them (every file of defaults/main/, in order), and
values marked for templating."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from ansible.template import trust_as_template
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

ROOT = Path(__file__).resolve().parent.parent
# Plugins import the collection's module_utils by their collection name; the checkout's own link
# under playbooks/collections makes that name resolve to this tree.
sys.path.insert(0, str(ROOT / "playbooks" / "collections"))
# The same link on the collection search path, so that a template in a role's defaults finds the
# collection's filters (pyweb.deploy.*) as it does in a play.
_AnsibleCollectionFinder(paths=[str(ROOT / "playbooks" / "collections")])._install()


def load(relative):
    """The Python file at relative (from the project's root) as a module named after the file."""
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def run_module(module, args, tmp_path):
    """Run a module file as Ansible runs it on a host, with args; its JSON answer."""
    (tmp_path / "args.json").write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=str(ROOT / "playbooks" / "collections"))
    run = subprocess.run([sys.executable, module.__file__, str(tmp_path / "args.json")],
                         capture_output=True, text=True, timeout=60, check=False, env=env)
    return json.loads(run.stdout)
