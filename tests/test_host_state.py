"""The read-only module a role asks about the host with (plugins/modules/host_state.py), on a real
directory tree and a real dpkg answer's format."""
import subprocess

import pytest

from project import load

state = load("plugins/modules/host_state.py")


def test_paths_tell_files_directories_and_links_apart(tmp_path):
    (tmp_path / "releases" / "1").mkdir(parents=True)
    (tmp_path / "current").symlink_to("releases/1")
    (tmp_path / "app.conf").write_text("x")
    assert state.path_state(str(tmp_path / "current")) == {
        "exists": True, "isdir": False, "islnk": True, "target": "releases/1"}
    assert state.path_state(str(tmp_path / "releases")) == {
        "exists": True, "isdir": True, "islnk": False, "target": ""}
    assert state.path_state(str(tmp_path / "app.conf"))["isdir"] is False
    assert state.path_state(str(tmp_path / "missing"))["exists"] is False


def test_globs_list_the_files_that_hold_a_matching_line(tmp_path):
    (tmp_path / "unknown-80.conf").write_text("server {\n    return 444;\n}\n")
    (tmp_path / "unknown-443.conf").write_text("server {\n    ssl_certificate /x;\n    return 444;\n}\n")
    (tmp_path / "unknown-8080.conf").write_text("# emptied by hand\n")
    (tmp_path / "unknown-dir.conf").mkdir()
    pattern = str(tmp_path / "unknown-*.conf")
    assert state.matching_files(pattern) == sorted(str(tmp_path / f"unknown-{p}.conf") for p in (80, 443, 8080))
    assert state.matching_files(pattern, r"return 444;") == sorted(
        str(tmp_path / f"unknown-{p}.conf") for p in (80, 443))
    assert state.matching_files(pattern, r"ssl_certificate ") == [str(tmp_path / "unknown-443.conf")]


def test_packages_are_installed_only_when_dpkg_says_so():
    def dpkg(argv, **_):
        # dpkg-query prints what it knows and complains on stderr about the rest.
        return subprocess.CompletedProcess(argv, 1, stdout="nginx installed\nsupervisor config-files\n"
                                           "python3-venv:amd64 installed\n", stderr="no packages found matching x\n")

    assert state.package_states(["nginx", "supervisor", "python3-venv", "x"], run=dpkg) == {
        "nginx": True, "supervisor": False, "python3-venv": True, "x": False}
    assert state.package_states([], run=dpkg) == {}


def test_without_dpkg_nothing_is_installed():
    def missing(argv, **_):
        raise FileNotFoundError(argv[0])

    assert state.package_states(["nginx"], run=missing) == {"nginx": False}


def test_the_distribution_is_named_as_ansible_names_it(tmp_path):
    release = tmp_path / "os-release"
    release.write_text('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
                       'VERSION_ID="12"\nID=debian\n')
    assert state.os_release(str(release)) == {"distribution": "Debian", "distribution_major_version": "12"}
    release.write_text('NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n')
    assert state.os_release(str(release)) == {"distribution": "Ubuntu", "distribution_major_version": "24"}


def test_the_real_dpkg_answers_in_the_format_read():
    # The controller of our CI is Debian; on another system there is no dpkg to ask.
    if subprocess.run(["sh", "-c", "command -v dpkg-query"], capture_output=True).returncode != 0:
        pytest.skip("no dpkg-query on this machine")
    assert state.package_states(["dpkg", "no-such-package-here"]) == {"dpkg": True, "no-such-package-here": False}
