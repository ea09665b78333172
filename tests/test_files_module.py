"""The module that puts many paths in place in one call (plugins/modules/files.py), on a real
directory tree: what it changes, what it reports, and that check mode and a refused validation
leave everything as it was."""
import os
import pathlib
import stat

import pytest

from project import load

files_module = load("plugins/modules/files.py")
Files, FileError, expand = files_module.Files, files_module.FileError, files_module.expand


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def apply(*entries, check=False, diff=False):
    files = Files(check=check, diff=diff)
    for entry in entries:
        files.apply(entry)
    return files


def test_a_tree_is_made_once_and_then_reported_unchanged(tmp_path):
    entries = [
        {"path": str(tmp_path / "app" / "logs"), "state": "directory", "mode": "0750"},
        {"path": str(tmp_path / "app" / "app.conf"), "content": "workers = 2\n", "mode": "0640"},
        {"path": str(tmp_path / "app" / "current"), "state": "link", "src": "releases/1"},
    ]
    first = apply(*entries)
    assert first.changed_paths == [entry["path"] for entry in entries]
    assert first.created_paths == first.changed_paths
    assert mode(tmp_path / "app" / "logs") == 0o750
    assert (tmp_path / "app" / "app.conf").read_text() == "workers = 2\n"
    assert mode(tmp_path / "app" / "app.conf") == 0o640
    assert os.readlink(tmp_path / "app" / "current") == "releases/1"
    assert apply(*entries).changed_paths == []


def test_only_what_differs_is_changed_and_reported_with_a_diff(tmp_path):
    conf, logs = tmp_path / "app.conf", tmp_path / "logs"
    conf.write_text("workers = 2\n")
    conf.chmod(0o644)
    logs.mkdir(mode=0o755)
    files = apply({"path": str(conf), "content": "workers = 4\n", "mode": "0644"},
                  {"path": str(logs), "state": "directory", "mode": "0750"}, diff=True)
    assert files.changed_paths == [str(conf), str(logs)]
    assert files.created_paths == []
    assert files.diffs[0]["before"] == "workers = 2\n" and files.diffs[0]["after"] == "workers = 4\n"
    assert files.diffs[1]["before"] == "mode: 0755\n" and files.diffs[1]["after"] == "mode: 0750\n"
    assert conf.read_text() == "workers = 4\n"
    assert mode(logs) == 0o750


def test_an_existing_file_keeps_the_mode_the_entry_does_not_give(tmp_path):
    conf = tmp_path / "app.conf"
    conf.write_text("old\n")
    conf.chmod(0o600)
    apply({"path": str(conf), "content": "new\n"})
    assert mode(conf) == 0o600
    apply({"path": str(tmp_path / "new.conf"), "content": "new\n"})
    assert mode(tmp_path / "new.conf") == 0o644


def test_check_mode_reports_and_changes_nothing(tmp_path):
    conf = tmp_path / "app.conf"
    conf.write_text("old\n")
    files = apply({"path": str(conf), "content": "new\n"},
                  {"path": str(tmp_path / "logs"), "state": "directory"},
                  {"path": str(tmp_path / "current"), "state": "link", "src": "x"},
                  {"path": str(conf), "state": "absent"}, check=True)
    assert len(files.changed_paths) == 4
    assert conf.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["app.conf"]


def test_a_refused_validation_leaves_the_old_file_and_no_temporary_file(tmp_path):
    conf = tmp_path / "app.conf"
    conf.write_text("good\n")
    files = Files()
    with pytest.raises(FileError, match="refused the new file"):
        files.apply({"path": str(conf), "content": "bad\n", "validate": "grep -q good %s"})
    assert files.changed_paths == []
    assert conf.read_text() == "good\n"
    assert os.listdir(tmp_path) == ["app.conf"]
    apply({"path": str(conf), "content": "still good\n", "validate": "grep -q good %s"})
    assert conf.read_text() == "still good\n"


def test_a_backup_keeps_the_replaced_file_and_only_that(tmp_path):
    site = tmp_path / "site"
    entry = {"path": str(site), "content": "new\n", "backup": True}
    files = apply(entry)  # a new file has nothing to keep
    assert files.backups == {} and files.created_paths == [str(site)]
    site.write_text("old\n")
    files = apply(entry)
    backup = files.backups[str(site)]
    assert site.read_text() == "new\n"
    assert pathlib.Path(backup).read_text() == "old\n" and backup.startswith(str(site) + ".")
    assert apply(entry).backups == {}  # unchanged: nothing replaced
    site.write_text("old again\n")
    assert apply(entry, check=True).backups == {} and site.read_text() == "old again\n"
    assert sorted(os.listdir(tmp_path)) == ["site", os.path.basename(backup)]


def test_a_link_is_repointed_but_never_replaces_a_file(tmp_path):
    link = tmp_path / "current"
    link.symlink_to("releases/1")
    assert apply({"path": str(link), "state": "link", "src": "releases/2"}).changed_paths == [str(link)]
    assert os.readlink(link) == "releases/2"
    (tmp_path / "plain").write_text("x")
    with pytest.raises(FileError, match="other than a link"):
        apply({"path": str(tmp_path / "plain"), "state": "link", "src": "releases/2"})
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "old.log").write_text("x")
    forced = apply({"path": str(tmp_path / "plain"), "state": "link", "src": "shared/plain", "force": True},
                   {"path": str(tmp_path / "logs"), "state": "link", "src": "shared/logs", "force": True})
    assert forced.changed_paths == [str(tmp_path / "plain"), str(tmp_path / "logs")]
    assert os.readlink(tmp_path / "plain") == "shared/plain" and os.readlink(tmp_path / "logs") == "shared/logs"


def test_absent_removes_files_and_whole_directories(tmp_path):
    (tmp_path / "old" / "deep").mkdir(parents=True)
    (tmp_path / "old" / "deep" / "f").write_text("x")
    (tmp_path / "site").write_text("x")
    files = apply({"path": str(tmp_path / "old"), "state": "absent"},
                  {"path": str(tmp_path / "site"), "state": "absent"},
                  {"path": str(tmp_path / "never"), "state": "absent"})
    assert files.changed_paths == [str(tmp_path / "old"), str(tmp_path / "site")]
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("entry, message", [
    ({"state": "file", "mode": "0644"}, "needs its content"),
    ({"content": "x", "mode": "rw-r--r--"}, "not an octal number"),
    ({"content": "x", "owner": "no-such-user-here"}, "does not exist"),
    ({"state": "link"}, "needs src"),
])
def test_bad_entries_are_refused_with_what_is_wrong(tmp_path, entry, message):
    with pytest.raises(FileError, match=message):
        apply(dict(entry, path=str(tmp_path / "f")))
    assert os.listdir(tmp_path) == []


def test_a_file_needs_its_directory(tmp_path):
    with pytest.raises(FileError, match="directory does not exist"):
        apply({"path": str(tmp_path / "missing" / "f"), "content": "x"})
    # In check mode, an earlier task of the same run would have made the directory.
    files = apply({"path": str(tmp_path / "missing" / "f"), "content": "x"}, check=True)
    assert files.created_paths == [str(tmp_path / "missing" / "f")]
    assert os.listdir(tmp_path) == []


paths = load("plugins/filter/paths.py")


def test_paths_under_put_each_name_in_the_directory_between_prefix_and_suffix():
    assert paths.paths_under(["logs", "/uploads"], "/opt/shop/shared/") == [
        "/opt/shop/shared/logs", "/opt/shop/shared/uploads"]
    assert paths.paths_under([80, 443], "/etc/nginx/conf.d", prefix="unknown-", suffix=".conf") == [
        "/etc/nginx/conf.d/unknown-80.conf", "/etc/nginx/conf.d/unknown-443.conf"]
    assert paths.paths_under(["shop"], suffix=".conf") == ["shop.conf"]
    with pytest.raises(TypeError):
        paths.paths_under("logs", "/opt")


def test_files_named_for_ports_no_site_listens_on_are_the_unused_ones():
    files = [f"/etc/nginx/conf.d/pyweb-unknown-hosts-{port}.conf" for port in (80, 443, 8443)]
    assert paths.files_of_unused_ports(files, ["80", "443", "443"]) == [files[2]]
    assert paths.files_of_unused_ports(files, [80, 8443]) == [files[1]]
    assert paths.files_of_unused_ports(files, []) == files
    assert paths.files_of_unused_ports(["/etc/nginx/conf.d/no-port.conf"], []) == []
    with pytest.raises(TypeError):
        paths.files_of_unused_ports(files[0], [])


def test_backups_are_read_from_template_copy_and_files_results():
    results = [{"changed": True, "backups": {"/etc/nginx/sites-available/shop": "/etc/nginx/sites-available/shop.1~"}},
               {"changed": True, "backup_file": "/etc/ssl/shop.crt.2~"},
               {"changed": False}, {"skipped": True}, {"changed": True, "backups": {}}]
    assert paths.backups_of(results) == ["/etc/nginx/sites-available/shop.1~", "/etc/ssl/shop.crt.2~"]
    assert paths.backups_of([]) == []


def test_path_entries_give_each_named_content_a_file_with_the_same_attributes():
    assert paths.path_entries({"config.py": "SECRET_KEY = 'x'\n"}, "/opt/shop/shared/instance", mode="0640") == [
        {"path": "/opt/shop/shared/instance/config.py", "content": "SECRET_KEY = 'x'\n", "mode": "0640"},
    ]
    assert paths.path_entries({"shop": "[program:shop]\n"}, "/etc/supervisor/conf.d", suffix=".conf") == [
        {"path": "/etc/supervisor/conf.d/shop.conf", "content": "[program:shop]\n"}]
    with pytest.raises(TypeError):
        paths.path_entries(["config.py"], "/opt")


def test_entries_with_several_paths_are_one_entry_each_and_skipped_ones_are_left_out():
    entries = [
        {"paths": ["/a", "/b"], "state": "directory", "mode": "0750", "skip": False},
        {"path": "/c", "state": "absent", "skip": True},
        {"path": "/d", "content": "x"},
    ]
    assert expand(entries) == [
        {"path": "/a", "state": "directory", "mode": "0750"},
        {"path": "/b", "state": "directory", "mode": "0750"},
        {"path": "/d", "content": "x"},
    ]
    assert expand([{"paths": [], "state": "absent"}]) == []
    assert expand([{"paths": ["/r/1/logs", "/r/1/instance"], "state": "link", "src_dir": "/shared/", "force": True}]) == [
        {"path": "/r/1/logs", "state": "link", "src": "/shared/logs", "force": True},
        {"path": "/r/1/instance", "state": "link", "src": "/shared/instance", "force": True}]
    with pytest.raises(FileError, match="entry 1 needs either path or paths"):
        expand([{"path": "/a", "paths": ["/b"]}])
    with pytest.raises(FileError, match="entry 2 needs either path or paths"):
        expand([{"path": "/a"}, {"state": "absent"}])


def test_missing_parents_of_a_directory_get_its_mode_and_existing_ones_stay(tmp_path):
    tmp_path.chmod(0o711)
    apply({"path": str(tmp_path / "shared" / "logs"), "state": "directory", "mode": "0750"})
    assert mode(tmp_path / "shared") == 0o750 and mode(tmp_path / "shared" / "logs") == 0o750
    assert mode(tmp_path) == 0o711


def test_a_file_with_the_right_content_only_gets_its_mode_fixed(tmp_path):
    conf = tmp_path / "app.conf"
    conf.write_text("workers = 2\n")
    conf.chmod(0o644)
    entry = {"path": str(conf), "content": "workers = 2\n", "mode": "0640"}
    files = apply(entry, diff=True)
    assert files.changed_paths == [str(conf)] and files.created_paths == []
    assert files.diffs[0]["before"] == "mode: 0644\n" and files.diffs[0]["after"] == "mode: 0640\n"
    assert mode(conf) == 0o640 and conf.read_text() == "workers = 2\n"
    assert apply(entry).changed_paths == []


def test_hidden_values_are_masked_in_a_refused_validations_output(tmp_path):
    # Run as Ansible runs a module: its arguments in a file, its result as JSON on stdout.
    import json
    import subprocess
    import sys

    secret = "s3cret-value-4d1e"
    target = tmp_path / "gunicorn.conf.py"
    args = {"ANSIBLE_MODULE_ARGS": {
        "files": [{"path": str(target), "content": "x = 1\n",
                   "validate": f"sh -c 'echo the app could not start: token {secret} >&2; exit 1' %s"}],
        "hide": [secret]}}
    (tmp_path / "args.json").write_text(json.dumps(args))
    run = subprocess.run([sys.executable, str(files_module.__file__), str(tmp_path / "args.json")],
                         capture_output=True, text=True, timeout=60, check=False)
    result = json.loads(run.stdout)
    assert result["failed"] is True
    assert "the app could not start: token ********" in result["msg"], result
    assert secret not in run.stdout + run.stderr
    assert not target.exists()
