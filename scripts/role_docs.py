#!/usr/bin/env python3
"""Render each role's variable table from its meta/argument_specs.yml.

`scripts/role_docs.py` prints the tables; `scripts/role_docs.py --write` puts them into docs/variables.md
between the markers `<!-- vars:ROLE -->` and `<!-- /vars:ROLE -->`. tests/test_role_specs.py
fails when docs/variables.md and the specs disagree.
"""

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("nginx", "gunicorn", "supervisor")


def load_spec(role):
    spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return spec["argument_specs"]["main"]["options"]


def markdown(text):
    """Ansible's documentation markup as Markdown: C(code) as `code`, I(option) as *option*."""
    text = re.sub(r"\bC\(([^()]*(?:\([^()]*\)[^()]*)*)\)", r"`\1`", str(text))
    return re.sub(r"\bI\(([^()]*)\)", r"*\1*", text)


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def show_default(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    return f"`{json.dumps(value)}`"


def shared_options():
    """The pyweb_* variables, each as the first role that reads it specifies it (the specs of the
    roles that share one agree: tests/test_role_specs.py)."""
    options = {}
    for role in ROLES:
        for name, option in load_spec(role).items():
            if name.startswith("pyweb_"):
                options.setdefault(name, dict(option, roles=[]))["roles"].append(role)
    return options


def table(role):
    rows = ["| variable | type | default | description |", "| --- | --- | --- | --- |"]
    if role == "shared":
        options = {name: dict(option, description=f"{option['description']} Read by: "
                              + ", ".join(option["roles"]) + ".")
                   for name, option in shared_options().items()}
    else:
        options = {name: option for name, option in load_spec(role).items() if not name.startswith("pyweb_")}
    for name, option in options.items():
        kind = option.get("type", "str")
        if kind == "list" and "elements" in option:
            kind = f"list of {option['elements']}"
        description = option.get("description", "")
        if isinstance(description, list):
            description = " ".join(description)
        if "choices" in option:
            description += " One of: " + ", ".join(f"`{c}`" for c in option["choices"]) + "."
        rows.append(
            f"| `{name}` | {kind} | {cell(show_default(option.get('default')))} | {cell(markdown(description))} |"
        )
    return "\n".join(rows) + "\n"


def render_into(readme):
    for role in ("shared",) + ROLES:
        pattern = re.compile(rf"(<!-- vars:{role} -->\n).*?(<!-- /vars:{role} -->)", re.S)
        if not pattern.search(readme):
            raise SystemExit(f"docs/variables.md has no <!-- vars:{role} --> block")
        readme = pattern.sub(lambda m, r=role: m.group(1) + table(r) + m.group(2), readme)
    return readme


def main(argv):
    if "--write" in argv:
        path = ROOT / "docs" / "variables.md"
        path.write_text(render_into(path.read_text()))
        return 0
    for role in ("shared",) + ROLES:
        print(f"## {role}\n\n{table(role)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
