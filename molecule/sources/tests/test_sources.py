"""Where an app's code comes from, besides a directory: a git repository at a tag or a branch,
a wheel, a source distribution, a pyproject.toml project in a directory and in a subdirectory of a
git repository, each deployed as a release of its own of one app, notes. The code is the
roles scenario's shop app; its RELEASE file tells the versions apart."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_playbook

SHOP = Path(__file__).resolve().parents[2] / "roles" / "files" / "shop"
APP = "notes"
PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "shop"
version = "{version}"
dependencies = ["Flask==3.1.3", "Flask-Babel==4.0.0", "rq==2.6.1", "redis==5.3.1"]

[tool.setuptools]
packages = ["shop"]
include-package-data = false

[tool.setuptools.package-data]
shop = ["RELEASE", "BUILT_BY", "static/*", "translations/*/LC_MESSAGES/*"]
"""


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=pyweb", "-c", "user.email=pyweb@example.test", *args],
                   check=True, capture_output=True)


def copy_of_shop(where, release):
    shutil.copytree(SHOP, where)
    (where / "shop" / "RELEASE").write_text(f"{release}\n")
    return where


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("sources")


@pytest.fixture(scope="module")
def repo(work):
    """Release 1 tagged v1, then release 2 on the branch main."""
    repo = copy_of_shop(work / "repo", 1)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "release 1")
    git(repo, "tag", "v1")
    (repo / "shop" / "RELEASE").write_text("2\n")
    git(repo, "commit", "-q", "-am", "release 2")
    return repo


def deploy(work, **source):
    return run_playbook("site.yml", dict(
        pyweb_app_name=APP, gunicorn_app_module="shop:create_app()", pyweb_app_port=8004,
        gunicorn_workers=1, gunicorn_environment={"SHOP_GREETING": "Hello from notes"},
        gunicorn_app_git_cache=str(work / "cache"), nginx_server_name="notes.example.test",
        # The shop app opens logs/shop.log at import, relative to its working directory.
        gunicorn_shared_dirs=["logs"], **source))


def page(host, path="/", method="GET"):
    return host.check_output("curl -sS --max-time 5 -X %s -H 'Host: notes.example.test' http://127.0.0.1:81%s",
                             method, path)


# Installed as a package, the app finds Flask's instance folder inside the virtualenv
# (<venv>/var/shop-instance), which the deploy links to <root>/shared/instance.
PACKAGE_DEPLOY = dict(
    gunicorn_pre_start_command="flask --app shop:create_app init-db",
    gunicorn_instance_files={"config.py": 'SECRET_KEY = "notes-key"\nSHOP_NAME = "Notes"\n'},
)


def test_a_tag_of_a_git_repository_is_deployed_without_its_history(host, work, repo):
    rc, out = deploy(work, gunicorn_app_git_repo=str(repo), gunicorn_app_git_version="v1")
    assert rc == 0, out[-3000:]
    assert page(host) == "Hello from notes from release 1"
    assert host.file(f"/opt/{APP}/current/shop/RELEASE").exists
    assert not host.file(f"/opt/{APP}/current/.git").exists


def test_a_branch_is_deployed_and_deploying_it_again_changes_nothing(host, work, repo):
    rc, out = deploy(work, gunicorn_app_git_repo=str(repo), gunicorn_app_git_version="main")
    assert rc == 0, out[-3000:]
    assert page(host) == "Hello from notes from release 2"
    # Before its switch, the run said what it changes against v1: one commit, one file.
    summary = out[out.index("Say what the switch changes"):]
    # run_playbook's output is on one line: each line of the summary is one quoted string there.
    assert '"Commits: 1", " ' in summary and re.search(r'" [0-9a-f]{7,} release 2",', summary), summary[:2000]
    assert '"Files: 0 added, 0 removed, 1 changed.", " changed: shop/RELEASE"' in summary, summary[:2000]
    # The history names each deploy's commit and the version git describes it as.
    records = [json.loads(line) for line in host.file(f"/opt/{APP}/history.jsonl").content_string.splitlines()]
    first, second = records[-2]["code"]["git"], records[-1]["code"]["git"]
    assert (first["describe"], first["repo"]) == ("v1", str(repo)), records[-2:]
    assert re.fullmatch(r"v1-1-g[0-9a-f]+", second["describe"]) and second["commit"] != first["commit"], records[-1]
    rc, out = deploy(work, gunicorn_app_git_repo=str(repo), gunicorn_app_git_version="main")
    assert rc == 0 and "changed=0" in out, out[-3000:]


def test_a_version_git_cannot_find_stops_before_the_host_is_touched(host, work, repo):
    rc, out = deploy(work, gunicorn_app_git_repo=str(repo), gunicorn_app_git_version="v9")
    assert rc != 0
    assert f'gunicorn_app_git_repo "{repo}" at gunicorn_app_git_version "v9" could not be fetched' in out, out[-3000:]
    assert "changed=0" in out, out[-3000:]
    assert page(host) == "Hello from notes from release 2"


def build_wheel(work, release):
    source = copy_of_shop(work / f"shop-{release}", release)
    (source / "pyproject.toml").write_text(PYPROJECT.format(version=release))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(source)],
                   check=True, capture_output=True, timeout=300)
    return work / "dist" / f"shop-{release}-py3-none-any.whl"


def test_a_wheel_is_installed_with_its_own_dependencies(host, work):
    rc, out = deploy(work, gunicorn_app_package=str(build_wheel(work, 3)), **PACKAGE_DEPLOY)
    assert rc == 0, out[-3000:]
    assert page(host) == "Hello from notes from release 3"
    python = f"/opt/{APP}/current/venv/bin/python"
    # The app is imported from the virtualenv, where pip put it together with Flask, which only the
    # package's metadata asks for here.
    assert "/site-packages/shop/" in host.check_output("%s -c 'import shop; print(shop.__file__)'", python)
    assert host.check_output("%s -m pip show shop flask", python).count("Name:") == 2
    # The release holds the package and the link to its virtualenv, nothing unpacked.
    assert sorted(host.file(f"/opt/{APP}/current/").listdir()) == [
        "instance", "logs", "shop-3-py3-none-any.whl", "venv"]


def test_an_installed_package_keeps_its_instance_folder_across_releases(host, work):
    instance = host.file(f"/opt/{APP}/current/venv/var/shop-instance")
    assert instance.is_symlink and instance.linked_to == f"/opt/{APP}/shared/instance"
    # config.py from gunicorn_instance_files reached Flask, and init-db made the database there.
    assert page(host, "/welcome") == "Welcome to Notes"
    assert page(host, "/visits", "POST") == "1"
    database = host.file(f"/opt/{APP}/shared/instance/shop.db")
    assert database.user == APP


# Run by setuptools when pip builds the sdist: it stamps the package with the uid that built it,
# which the release being root's afterwards would otherwise hide.
STAMPING_SETUP = """\
import os
from setuptools import setup

with open("shop/BUILT_BY", "w") as stamp:
    stamp.write(str(os.getuid()))
setup()
"""


def test_a_source_distribution_is_built_and_installed(host, work):
    source = copy_of_shop(work / "shop-4", 4)
    (source / "pyproject.toml").write_text(PYPROJECT.format(version=4))
    (source / "setup.py").write_text(STAMPING_SETUP)
    (source / "requirements.txt").unlink()
    archive = work / "shop-4.tar.gz"
    subprocess.run(["tar", "-czf", str(archive), "-C", str(work), "shop-4"], check=True)
    rc, out = deploy(work, gunicorn_app_package=str(archive), **PACKAGE_DEPLOY)
    assert rc == 0, out[-3000:]
    assert page(host) == "Hello from notes from release 4"
    # pip built it as the app's user, not as root.
    stamp = host.check_output(f"cat /opt/{APP}/current/venv/lib/python3*/site-packages/shop/BUILT_BY")
    assert stamp == str(host.user(APP).uid)
    # Another virtualenv, the same instance folder: the visit recorded by release 3 is there.
    assert page(host, "/visits", "POST") == "2"


def test_pins_that_contradict_gunicorn_packages_fail_until_the_variable_agrees(host, work):
    source = copy_of_shop(work / "shop-5", 5)
    with open(source / "requirements.txt", "a") as requirements:
        requirements.write("gunicorn==21.2.0\ngreenlet==3.0.1\n")
    built = host.check_output(f"ls /opt/{APP}/releases /opt/{APP}/venvs")
    rc, out = deploy(work, gunicorn_app_src=str(source))
    assert rc != 0
    assert "Build the virtualenv with gunicorn and the app's requirements together failed (exit 1) for release" \
        in out, out[-3000:]
    # uv builds the virtualenvs by default; its own words follow the role's.
    assert "uv found the app's requirements and gunicorn_packages" in out, out[-3000:]
    assert "make gunicorn_packages and the app agree" in out, out[-3000:]
    assert "No solution found when resolving dependencies" in out and "gunicorn==21.2.0" in out, out[-3000:]
    assert "Release " in out and "is still served" in out, out[-3000:]
    assert page(host) == "Hello from notes from release 4"
    # The release and the virtualenv that failed are gone.
    assert host.check_output(f"ls /opt/{APP}/releases /opt/{APP}/venvs") == built
    # The versions the app needs, chosen in the documented variable: the deploy goes through and
    # the gunicorn that runs is that one.
    rc, out = deploy(work, gunicorn_app_src=str(source),
                     gunicorn_packages=["gunicorn[gevent]==21.2.0", "gevent==23.9.1", "greenlet==3.0.1"])
    assert rc == 0, out[-3000:]
    assert page(host) == "Hello from notes from release 5"
    assert "Starting gunicorn 21.2.0" in host.file(f"/var/log/{APP}/error.log").content_string
    assert host.run(f"/opt/{APP}/current/venv/bin/python -m pip check").rc == 0


def project_of_shop(where, release):
    """The shop as a pyproject.toml project that declares its dependencies, with no requirements file."""
    source = copy_of_shop(where, release)
    (source / "pyproject.toml").write_text(PYPROJECT.format(version=release))
    (source / "requirements.txt").unlink()
    return source


def test_a_pyproject_project_in_a_directory_is_installed_not_editable(host, work):
    rc, out = deploy(work, gunicorn_app_src=str(project_of_shop(work / "shop-6", 6)), **PACKAGE_DEPLOY)
    assert rc == 0, out[-3000:]
    assert page(host) == "Hello from notes from release 6"
    shown = host.check_output(f"/opt/{APP}/current/venv/bin/python -m pip show shop")
    assert "Version: 6" in shown and "Editable project location" not in shown, shown
    # The instance folder and its database are the ones the earlier releases used.
    assert page(host, "/visits", "POST") == "3"


def test_a_project_in_a_subdirectory_of_a_git_repository(host, work):
    repo = work / "monorepo"
    project_of_shop(repo / "services" / "notes", 7)
    (repo / "docs").mkdir()
    (repo / "docs" / "index.md").write_text("Not part of the app.\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "release 7")
    rc, out = deploy(work, gunicorn_app_git_repo=str(repo), gunicorn_app_git_subdir="services/notes",
                     **PACKAGE_DEPLOY)
    assert rc == 0, out[-3000:]
    assert page(host) == "Hello from notes from release 7"
    assert host.file(f"/opt/{APP}/current/pyproject.toml").exists
    assert not host.file(f"/opt/{APP}/current/docs").exists
    # A subdirectory the commit does not have stops the run before the host is touched.
    rc, out = deploy(work, gunicorn_app_git_repo=str(repo), gunicorn_app_git_subdir="services/shop")
    assert rc != 0
    assert 'gunicorn_app_git_subdir must be a directory in the repository; got "services/shop"' in out, out[-3000:]
    assert "changed=0" in out, out[-3000:]
    assert page(host) == "Hello from notes from release 7"
