"""Each role's defaults, argument specs and docs/variables.md say the same thing."""

import re

import pytest
import yaml
from project import ROOT, load, role_defaults

ROLES = ("nginx", "gunicorn", "supervisor")

role_docs = load("scripts/role_docs.py")


defaults = role_defaults


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
def test_public_variables_carry_the_role_prefix_or_are_shared(role):
    for name in role_docs.load_spec(role):
        assert name.startswith((f"{role}_", "pyweb_")), name


def test_a_shared_variable_is_the_same_in_every_role_that_reads_it():
    for name, option in role_docs.shared_options().items():
        specs = [role_docs.load_spec(role)[name] for role in option["roles"]]
        assert all(spec == specs[0] for spec in specs), name
        values = [defaults(role)[name] for role in option["roles"]]
        assert all(value == values[0] for value in values), name


# A role's own variables and private ones (__<role>_...), as Jinja or a condition names them.
OTHER_ROLE_VARIABLE = r"\b_{0,2}(%s)_[a-z0-9_]+"


def expressions(text):
    """The Jinja expressions and bare conditions (when/until/that/loop) of a YAML or template file."""
    found = re.findall(r"\{\{.*?\}\}|\{%.*?%\}", text, re.S)
    found += re.findall(r"^\s*(?:-\s+)?(?:when|until|that|changed_when|failed_when):\s*([^\n{]+)$", text, re.M)
    found += re.findall(r"^\s+-\s+([^\n{#:]+(?:==|!=| is | in |\|)[^\n{]*)$", text, re.M)
    return found


@pytest.mark.parametrize("role", ROLES)
def test_no_role_reads_another_roles_variables(role):
    others = "|".join(r for r in ROLES if r != role)
    pattern = OTHER_ROLE_VARIABLE % others
    named = []
    for path in sorted((ROOT / "roles" / role).rglob("*")):
        if path.suffix in (".yml", ".j2") and "files" not in path.parts:
            for expression in expressions(path.read_text()):
                # Filters and modules of the collection (pyweb.deploy.supervisor_targets) are no variables.
                expression = re.sub(r"pyweb\.deploy\.\w+", "", expression)
                named += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in re.finditer(pattern, expression)]
    assert named == []


@pytest.mark.parametrize("role", ROLES)
def test_choices_include_the_default(role):
    for name, option in role_docs.load_spec(role).items():
        if "choices" in option:
            default = option["default"]
            # A default that follows a shared variable takes that one's default.
            if isinstance(default, str) and "{{" in default:
                shared = re.fullmatch(r"\{\{ *(pyweb_\w+) *\}\}", default).group(1)
                default = role_docs.load_spec(role)[shared]["default"]
            assert default in option["choices"], name


def test_readme_tables_match_the_specs():
    readme = (ROOT / "docs" / "variables.md").read_text()
    assert role_docs.render_into(readme) == readme, "run scripts/role_docs.py --write"


@pytest.mark.parametrize("role", ROLES)
def test_role_defaults_are_documented_in_the_readme(role):
    readme = (ROOT / "docs" / "variables.md").read_text()
    for name in defaults(role):
        assert f"`{name}`" in readme, name


def test_every_module_documents_itself_in_yaml_ansible_can_read():
    import ast

    for path in sorted((ROOT / "plugins" / "modules").glob("*.py")):
        texts = {node.targets[0].id: node.value.value for node in ast.parse(path.read_text()).body
                 if isinstance(node, ast.Assign)
                 and getattr(node.targets[0], "id", "") in ("DOCUMENTATION", "EXAMPLES", "RETURN")}
        assert set(texts) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}, path.name
        documentation = yaml.safe_load(texts["DOCUMENTATION"])
        assert documentation["module"] == path.stem, path.name
        assert yaml.safe_load(texts["RETURN"]), path.name
        # Every example is a task of this module that passes only options it documents.
        examples = yaml.safe_load(texts["EXAMPLES"])
        assert examples, path.name
        for task in examples:
            arguments = task[f"pyweb.deploy.{path.stem}"]
            assert set(arguments) <= set(documentation["options"]), (path.name, task["name"])


def test_the_variables_page_shows_no_raw_documentation_markup():
    role_docs = load("scripts/role_docs.py")
    assert role_docs.markdown("C(state=absent) for I(name), C(f(x)) or C(\"\")") == (
        '`state=absent` for *name*, `f(x)` or `""`')
    page = (ROOT / "docs" / "variables.md").read_text()
    assert not re.search(r"\b[CI]\(", page), re.findall(r".{30}\b[CI]\(.{30}", page)
