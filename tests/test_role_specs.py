"""Each role's defaults, argument specs and docs/variables.md say the same thing."""

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("nginx", "gunicorn", "supervisor")

spec_loader = importlib.util.spec_from_file_location("role_docs", ROOT / "scripts" / "role_docs.py")
role_docs = importlib.util.module_from_spec(spec_loader)
spec_loader.loader.exec_module(role_docs)


def defaults(role):
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()) or {}


@pytest.mark.parametrize("role", ROLES)
def test_every_default_is_specified_and_every_option_has_a_default(role):
    assert set(defaults(role)) == set(role_docs.load_spec(role))


@pytest.mark.parametrize("role", ROLES)
def test_spec_defaults_match_role_defaults(role):
    spec = role_docs.load_spec(role)
    for name, value in defaults(role).items():
        assert spec[name].get("default") == value, name


@pytest.mark.parametrize("role", ROLES)
def test_every_option_has_a_type_and_a_description(role):
    for name, option in role_docs.load_spec(role).items():
        assert option.get("type"), name
        assert option.get("description"), name


@pytest.mark.parametrize("role", ROLES)
def test_public_variables_carry_the_role_prefix(role):
    for name in role_docs.load_spec(role):
        assert name.startswith(f"{role}_"), name


@pytest.mark.parametrize("role", ROLES)
def test_choices_include_the_default(role):
    for name, option in role_docs.load_spec(role).items():
        if "choices" in option:
            default = option["default"]
            # A default that follows another role's variable must fall back to a valid choice.
            if isinstance(default, str) and "{{" in default:
                default = re.fullmatch(r"\{\{ *\w+ *\| *default\('([^']*)'\) *\}\}", default).group(1)
            assert default in option["choices"], name


def test_readme_tables_match_the_specs():
    readme = (ROOT / "docs" / "variables.md").read_text()
    assert role_docs.render_into(readme) == readme, "run scripts/role_docs.py --write"


@pytest.mark.parametrize("role", ROLES)
def test_role_defaults_are_documented_in_the_readme(role):
    readme = (ROOT / "docs" / "variables.md").read_text()
    for name in defaults(role):
        assert f"`{name}`" in readme, name
