"""The shell helpers the gunicorn role installs in each app's bin/ (roles/gunicorn/files/bin) and
runs on the controller (files/export-tree), run here on scratch directories. The ones that need a
virtualenv with gunicorn (build-venv, check-config) are run by every molecule scenario."""

import os
import stat
import subprocess
import time

import pytest
from project import ROOT

BIN = ROOT / "roles" / "gunicorn" / "files" / "bin"


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def run(helper, *args):
    return subprocess.run([str(BIN / helper), *map(str, args)], capture_output=True, text=True, timeout=30, check=False)


@pytest.fixture
def release(tmp_path):
    """A release as built, writable by its builder, with a static directory and a venv link."""
    top = tmp_path / "releases" / "abc-def"
    (top / "shop" / "static").mkdir(parents=True)
    (top / "shop" / "app.py").write_text("app = 1\n")
    (top / "shop" / "static" / "site.css").write_text("body {}\n")
    (top / "manage").write_text("#!/bin/sh\n")
    os.chmod(top / "manage", 0o775)
    for path in (top, top / "shop", top / "shop" / "static"):
        os.chmod(path, 0o777)
    os.chmod(top / "shop" / "app.py", 0o666)
    os.symlink("../../venvs/def", top / "venv")
    return top


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to root needs root")


@needs_root
def test_freeze_closes_a_release_but_its_static_directory_and_marks_it_complete(release):
    done = run("freeze", "root:root", "shop/static", ".pyweb-complete", release)
    assert done.returncode == 0, done.stderr
    assert mode(release) == 0o751 and mode(release / "shop") == 0o751
    assert mode(release / "shop" / "app.py") == 0o640
    assert mode(release / "manage") == 0o751
    assert mode(release / "shop" / "static") == 0o755 and mode(release / "shop" / "static" / "site.css") == 0o644
    # The link itself, not the virtualenv it points to.
    assert os.path.islink(release / "venv")
    marker = release / ".pyweb-complete"
    assert mode(marker) == 0o644 and os.stat(marker).st_uid == 0
    assert marker.read_text().startswith(time.strftime("%Y-", time.gmtime()))


@needs_root
def test_freeze_without_a_marker_marks_nothing(release):
    assert run("freeze", "root:root", "", "", release).returncode == 0
    assert not (release / ".pyweb-complete").exists()
    assert mode(release / "shop" / "static") == 0o751


@needs_root
def test_close_releases_closes_only_what_others_may_read_once(release, tmp_path):
    releases, venvs = tmp_path / "releases", tmp_path / "venvs"
    (venvs / "def").mkdir(parents=True)
    os.chmod(releases, 0o755)
    os.chmod(venvs / "def", 0o700)
    first = run("close-releases", "root:root", "shop/static", releases, venvs, "0751")
    assert first.returncode == 0, first.stderr
    assert first.stdout.split() == [str(release)]
    assert mode(release / "shop" / "app.py") == 0o640 and mode(release / "shop" / "static") == 0o755
    assert mode(releases) == 0o751 and mode(venvs) == 0o751
    # The virtualenv others could not read was left as it was.
    assert mode(venvs / "def") == 0o700
    again = run("close-releases", "root:root", "shop/static", releases, venvs, "0751")
    assert again.returncode == 0 and again.stdout == ""


def start(tmp_path, command):
    pidfile = tmp_path / "try.pid"
    process = subprocess.Popen(["sh", "-c", command])
    pidfile.write_text(f"{process.pid}\n")
    return process, pidfile


def test_stop_tried_stops_the_tried_gunicorn_and_removes_its_files(tmp_path):
    process, pidfile = start(tmp_path, "exec sleep 300")
    socket = tmp_path / "try.sock"
    socket.write_text("")
    assert run("stop-tried", pidfile, socket).returncode == 0
    assert process.wait(timeout=5) is not None
    assert not pidfile.exists() and not socket.exists()


def test_stop_tried_kills_one_that_does_not_stop_when_asked(tmp_path):
    process, pidfile = start(tmp_path, "trap '' QUIT; sleep 300 & wait; sleep 300")
    time.sleep(0.3)
    began = time.monotonic()
    assert run("stop-tried", pidfile, tmp_path / "try.sock").returncode == 0
    assert process.wait(timeout=5) == -9
    assert 4 < time.monotonic() - began < 15


def test_stop_tried_with_nothing_tried_does_nothing(tmp_path):
    assert run("stop-tried", tmp_path / "none.pid", tmp_path / "none.sock").returncode == 0


def test_export_tree_writes_a_commits_tree_once(tmp_path):
    clone = tmp_path / "clone"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", "-C", str(clone)]
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    (clone / "app.py").write_text("app = 1\n")
    subprocess.run(git + ["add", "app.py"], check=True)
    subprocess.run(git + ["commit", "-qm", "one"], check=True)
    commit = subprocess.run(git + ["rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    cache = tmp_path / "cache"
    script = ROOT / "roles" / "gunicorn" / "files" / "export-tree"
    for dummy in range(2):
        done = subprocess.run(["sh", str(script), cache, clone, commit], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(cache / "trees")) == [commit]
    assert (cache / "trees" / commit / "app.py").read_text() == "app = 1\n"
    assert mode(cache / "trees" / commit) == 0o755
