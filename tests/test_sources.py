"""Where the code comes from and what its virtualenv is named after (plugins/filter/sources.py),
checked against directories made here."""

import hashlib

import pytest

from project import load

sources = load("plugins/filter/sources.py")

NONE = {"repo": "", "subdir": "", "tree": "", "package": "", "src": "", "sample": "/roles/gunicorn/files/flask_hello"}


def test_the_code_comes_from_one_source():
    assert sources.code_dir(NONE) == "/roles/gunicorn/files/flask_hello"
    assert sources.code_dir(dict(NONE, src="/home/dev/shop")) == "/home/dev/shop"
    assert sources.code_dir(dict(NONE, package="/dist/shop-1.0-py3-none-any.whl")) == "/dist"
    assert sources.code_dir(dict(NONE, repo="https://git.example.test/shop.git", tree="/cache/trees/abc")) == \
        "/cache/trees/abc"
    assert sources.code_dir(dict(NONE, repo="x", tree="/cache/trees/abc", subdir="services/shop")) == \
        "/cache/trees/abc/services/shop"


@pytest.mark.parametrize("files, install, package, expected", [
    ({"setup.py": ""}, "auto", False, True),
    ({"pyproject.toml": "[build-system]\nrequires = ['hatchling']\n\n[project]\nname = 'shop'\n"}, "auto", False, True),
    # Only a tool's table (e.g. black's or poetry's): not a project pip can install.
    ({"pyproject.toml": "[tool.black]\nline-length = 100\n", "requirements.txt": "Flask\n"}, "auto", False, False),
    ({"requirements.txt": "Flask\n"}, "auto", False, False),
    ({"requirements.txt": "Flask\n"}, "project", False, True),
    ({"setup.py": ""}, "requirements", False, False),
    ({"setup.py": ""}, "auto", True, False),
])
def test_pip_installs_the_code_as_a_project_when_it_is_one(tmp_path, files, install, package, expected):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert sources.is_project(str(tmp_path), install, package) is expected


def test_code_not_there_yet_is_no_project():
    assert sources.is_project("/no/such/dir") is False


def test_virtualenv_names_are_the_ones_earlier_versions_gave(tmp_path):
    # Pinned from the Jinja expression this filter replaced, for the same inputs: a host's
    # virtualenvs keep their names, so an upgrade of the collection builds none again.
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("Flask==3.1.3\nrq==2.0\n\n")
    code = "0123456789ab"
    assert sources.requirements_id({"package": "ab" * 20, "requirements": "", "project": "",
                                    "instance": "shop"}) == "ed3501db"
    assert sources.requirements_id({"package": "", "requirements": str(requirements), "project": "",
                                    "instance": "shop"}) == "ba4ab934"
    assert sources.requirements_id({"package": "", "requirements": str(requirements), "project": code,
                                    "instance": ""}) == "01543a41"
    assert sources.requirements_id({"package": "", "requirements": "", "project": code,
                                    "instance": "shop"}) == "a21c66a2"
    assert sources.requirements_id({"package": "", "requirements": "", "project": "", "instance": ""}) == "e3b0c442"


def test_a_change_of_pins_names_another_virtualenv(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("Flask==3.1.3\n")
    before = sources.requirements_id({"requirements": str(requirements)})
    requirements.write_text("Flask==3.1.2\n")
    after = sources.requirements_id({"requirements": str(requirements)})
    assert after != before
    # Trailing blank lines are no change.
    requirements.write_text("Flask==3.1.2\n\n\n")
    assert sources.requirements_id({"requirements": str(requirements)}) == after


def test_the_fingerprint_reads_what_the_copy_sends(tmp_path):
    releases = load("plugins/filter/releases.py")
    src = tmp_path / "shop"
    (src / "shop").mkdir(parents=True)
    (src / "shop" / "__init__.py").write_text("app = None\n")
    (src / "requirements.txt").write_text("Flask\n")
    (src / ".git").mkdir()
    (src / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    shared = tmp_path / "VERSION"
    shared.write_text("1\n")
    (src / "VERSION").symlink_to(shared)
    exclude = [".git", ".env*"]

    def name():
        return releases.code_id(sources.code_files(str(src), exclude), str(src))

    files = sources.code_files(str(src), exclude)
    # As ansible.builtin.find describes files, which release names were made from before.
    assert files[1] == {"path": str(src / "requirements.txt"),
                        "checksum": hashlib.sha1(b"Flask\n").hexdigest(), "mode": "0644"}
    assert [f["path"] for f in files] == [str(src / "VERSION"), str(src / "requirements.txt"),
                                          str(src / "shop" / "__init__.py")]
    before = name()
    (src / ".git" / "HEAD").write_text("ref: refs/heads/other\n")
    (src / ".env").write_text("SECRET_KEY=s3\n")
    assert name() == before
    shared.write_text("2\n")
    assert name() != before


def test_a_package_is_fingerprinted_alone(tmp_path):
    wheel = tmp_path / "shop-1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK")
    (tmp_path / "other.whl").write_bytes(b"PK")
    assert [f["path"] for f in sources.code_files(str(wheel), [".git"])] == [str(wheel)]


def test_unreadable_code_is_named(tmp_path):
    (tmp_path / "config.py").symlink_to(tmp_path / "nowhere.py")
    with pytest.raises(Exception, match="the app's code cannot be read: .*config.py is a link to nothing"):
        sources.code_files(str(tmp_path))
