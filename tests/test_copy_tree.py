"""What the copy_tree action packs on the controller (plugins/action/copy_tree.py): the archive that
is unpacked into a release, made from real directory trees with links in them."""
import os
import stat
import tarfile

import pytest

from project import load

copy_tree = load("plugins/action/copy_tree.py")


def make_app(root):
    (root / "app" / "templates").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("def create_app(): pass\n")
    (root / "app" / "templates" / "index.html").write_text("<p>hi</p>\n")
    (root / "run.sh").write_text("#!/bin/sh\n")
    (root / "run.sh").chmod(0o750)
    (root / ".flaskenv").write_text("FLASK_APP=app\n")
    return root


def test_a_directory_brings_everything_under_it_parents_first(tmp_path):
    src = make_app(tmp_path / "src")
    names = [name for name, dummy in copy_tree.tree_members(str(src))]
    assert names == [".flaskenv", "app", "app/__init__.py", "app/templates",
                     "app/templates/index.html", "run.sh"]


def test_a_file_is_copied_as_itself(tmp_path):
    wheel = tmp_path / "shop-1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK")
    assert copy_tree.tree_members(str(wheel)) == [(wheel.name, str(wheel))]


def test_the_archive_is_roots_with_the_modes_and_contents_of_the_tree(tmp_path):
    src = make_app(tmp_path / "src")
    archive = tmp_path / "tree.tar.gz"
    assert copy_tree.pack(str(src), str(archive)) == 6
    with tarfile.open(archive) as tar:
        members = {member.name: member for member in tar.getmembers()}
        assert tar.extractfile("app/templates/index.html").read() == b"<p>hi</p>\n"
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members.values()} == {(0, 0, "root", "root")}
    assert members["run.sh"].mode == 0o750
    assert members["app"].isdir() and members["app/__init__.py"].isfile()


def test_links_are_followed_like_ansible_copy_follows_them(tmp_path):
    src = make_app(tmp_path / "src")
    shared = tmp_path / "shared"
    (shared / "static").mkdir(parents=True)
    (shared / "static" / "site.css").write_text("body {}\n")
    (shared / "VERSION").write_text("2.1\n")
    os.symlink(shared / "static", src / "static")
    os.symlink("../shared/VERSION", src / "VERSION")
    archive = tmp_path / "tree.tar.gz"
    copy_tree.pack(str(src), str(archive))
    with tarfile.open(archive) as tar:
        members = {member.name: member for member in tar.getmembers()}
        assert members["static"].isdir() and members["VERSION"].isfile()
        assert tar.extractfile("static/site.css").read() == b"body {}\n"
        assert tar.extractfile("VERSION").read() == b"2.1\n"
    assert not any(member.issym() for member in members.values())


def test_a_broken_link_is_named(tmp_path):
    src = make_app(tmp_path / "src")
    os.symlink("../nowhere/config.py", src / "config.py")
    with pytest.raises(copy_tree.TreeError, match="config.py is a link to nothing"):
        copy_tree.tree_members(str(src))


def test_a_link_to_a_directory_it_is_in_is_named_instead_of_looping(tmp_path):
    src = make_app(tmp_path / "src")
    os.symlink("..", src / "app" / "parent")
    with pytest.raises(copy_tree.TreeError, match="app/parent is a link to a directory it is inside of"):
        copy_tree.tree_members(str(src))


def test_a_missing_source_is_named(tmp_path):
    with pytest.raises(copy_tree.TreeError, match="missing does not exist"):
        copy_tree.tree_members(str(tmp_path / "missing"))


def test_an_unpacked_archive_is_the_tree(tmp_path):
    src = make_app(tmp_path / "src")
    archive = tmp_path / "tree.tar.gz"
    copy_tree.pack(str(src), str(archive))
    dest = tmp_path / "dest"
    dest.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    for name, path in copy_tree.tree_members(str(src)):
        assert os.path.isdir(dest / name) == os.path.isdir(path)
        if os.path.isfile(path):
            assert (dest / name).read_bytes() == open(path, "rb").read()
    assert stat.S_IMODE(os.stat(dest / "run.sh").st_mode) == 0o750


def test_excluded_names_are_left_out_at_any_depth_with_what_is_under_them(tmp_path):
    src = make_app(tmp_path / "src")
    (src / ".git" / "objects").mkdir(parents=True)
    (src / ".git" / "objects" / "ab").write_text("blob\n")
    (src / ".env").write_text("SECRET_KEY=hunter2\n")
    (src / ".env.production").write_text("SECRET_KEY=hunter3\n")
    (src / "app" / "__pycache__").mkdir()
    (src / "app" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    exclude = [".git", ".env*", "__pycache__", "*.pyc"]
    names = [name for name, dummy in copy_tree.tree_members(str(src), exclude)]
    assert names == [".flaskenv", "app", "app/__init__.py", "app/templates",
                     "app/templates/index.html", "run.sh"]
    archive = tmp_path / "tree.tar.gz"
    assert copy_tree.pack(str(src), str(archive), exclude) == 6
    with tarfile.open(archive) as tar:
        assert not [m.name for m in tar.getmembers() if ".git" in m.name or ".env" in m.name]
