"""A role's record of its last full run (plugins/module_utils/fingerprint.py, the converged
module), the digest of its settings (plugins/lookup/settings_digest.py) and the reasons a role runs
in full (plugins/filter/converged.py), on files under tmp_path and settings made up here."""

import os
import shutil

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from project import ROOT, load, trusted

fingerprint = load("plugins/module_utils/fingerprint.py")
digest_lookup = load("plugins/lookup/settings_digest.py")
reasons = load("plugins/filter/converged.py").converge_reasons


def tree(tmp_path):
    root = tmp_path / "nginx"
    (root / "sites-enabled").mkdir(parents=True)
    (root / "nginx.conf").write_text("events {}\n")
    (root / "sites-available").mkdir()
    (root / "sites-available" / "shop").write_text("server { listen 81; }\n")
    os.symlink("../sites-available/shop", root / "sites-enabled" / "shop")
    return root


def test_every_change_under_a_tree_is_named(tmp_path):
    root = tree(tmp_path)
    lone = tmp_path / "logrotate"
    lone.write_text("weekly\n")
    record = {"digest": "d", "files": fingerprint.files_state([str(root)], [str(lone)]),
              "packages": {"nginx": True}, "services": {"nginx": {"enabled": True, "active": True}}}
    assert set(record["files"]) == {str(root), str(root / "nginx.conf"), str(root / "sites-available"),
                                    str(root / "sites-available" / "shop"), str(root / "sites-enabled"),
                                    str(root / "sites-enabled" / "shop"), str(lone)}

    def changes():
        files = fingerprint.files_state([str(root)], [str(lone)])
        return fingerprint.changes(record, files, {"nginx": True}, {"nginx": {"enabled": True, "active": True}})

    assert changes() == []
    # Content, mode, a link's target, a file added, a file removed: each is named.
    (root / "nginx.conf").write_text("events {}\n# by hand\n")
    os.chmod(root / "sites-available" / "shop", 0o600)
    os.unlink(root / "sites-enabled" / "shop")
    os.symlink("/dev/null", root / "sites-enabled" / "shop")
    (root / "sites-enabled" / "default").write_text("server {}\n")
    lone.unlink()
    assert changes() == ["%s changed" % path for path in sorted([
        str(root / "nginx.conf"), str(root / "sites-available" / "shop"),
        str(root / "sites-enabled" / "default"), str(root / "sites-enabled" / "shop"), str(lone)])]


def test_packages_and_services_no_longer_as_recorded_are_named(tmp_path):
    record = {"files": {}, "packages": {"nginx": True, "certbot": True},
              "services": {"nginx": {"enabled": True, "active": True}}}
    said = fingerprint.changes(record, {}, {"nginx": True, "certbot": False},
                               {"nginx": {"enabled": True, "active": False}})
    assert said == ["package certbot is not as recorded", "service nginx is not as recorded"]


def test_many_changed_paths_are_counted_after_the_first_ten(tmp_path):
    record = {"files": {"/etc/x%02d" % n: "absent" for n in range(14)}}
    files = {"/etc/x%02d" % n: "dir 0755 0:0" for n in range(14)}
    said = fingerprint.changes(record, files, {}, {})
    assert said[:10] == ["/etc/x%02d changed" % n for n in range(10)] and said[10:] == ["4 more paths changed"]


def test_a_tree_too_large_is_not_recorded(tmp_path):
    root = tmp_path / "big"
    root.mkdir()
    for n in range(5):
        (root / str(n)).write_text("x")
    assert fingerprint.files_state([str(root)], [], limit=4) is None
    assert fingerprint.changes({"files": {}}, None, {}, {}) == ["more than 5000 files to compare"]


def test_a_record_is_root_only_and_written_only_when_it_differs(tmp_path):
    directory = str(tmp_path / "records")
    record = {"digest": "d1", "files": {"/etc/nginx": "dir 0755 0:0"}, "packages": {}, "services": {}}
    assert fingerprint.read_record("nginx-shop", directory) is None
    assert fingerprint.write_record("nginx-shop", record, directory) is True
    assert fingerprint.read_record("nginx-shop", directory) == record
    assert oct(os.stat(directory).st_mode & 0o777) == "0o700"
    assert oct(os.stat(os.path.join(directory, "nginx-shop.json")).st_mode & 0o777) == "0o600"
    assert fingerprint.write_record("nginx-shop", record, directory) is False
    assert fingerprint.write_record("nginx-shop", dict(record, digest="d2"), directory) is True
    assert os.listdir(directory) == ["nginx-shop.json"]
    assert fingerprint.forget_record("nginx-shop", directory) is True
    assert fingerprint.forget_record("nginx-shop", directory) is False
    # A name is a file name, never a path.
    for name in ("../etc/passwd", "", "a/b"):
        try:
            fingerprint.record_path(name, directory)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % name)
    # A record that is not one (cut short, hand-edited) counts as none.
    (tmp_path / "records" / "supervisor.json").write_text('{"digest": ')
    assert fingerprint.read_record("supervisor", directory) is None


def test_a_role_runs_in_full_without_a_record_with_new_settings_or_with_changes():
    recorded = {"fingerprint": {"recorded": True, "digest": "d1", "changes": []}}
    assert reasons(recorded, "d1") == []
    assert reasons(recorded, "d2") == ["the settings or the collection changed"]
    assert reasons({"fingerprint": {"recorded": False, "digest": "", "changes": []}}, "d1") == [
        "no record of a full run"]
    assert reasons({}, "d1") == ["no record of a full run"]
    changed = {"fingerprint": {"recorded": True, "digest": "d1", "changes": ["/etc/nginx/nginx.conf changed"]}}
    assert reasons(changed, "d1") == ["/etc/nginx/nginx.conf changed"]


def digest(variables, extra=None, role_path=None, exclude=()):
    variables = trusted(dict(variables, role_path=role_path or str(ROOT / "roles" / "nginx")))
    lookup = digest_lookup.LookupModule(loader=DataLoader(), templar=Templar(loader=DataLoader(), variables=variables))
    return lookup.run(["nginx_", "pyweb_"], variables=variables, extra=extra, exclude=list(exclude))[0]


def test_the_digest_follows_the_settings_as_the_role_sees_them():
    settings = {"pyweb_app_port": 5000, "nginx_upstream_port": "{{ pyweb_app_port }}", "gunicorn_workers": 2}
    first = digest(settings)
    assert len(first) == 64 and digest(settings) == first
    assert digest(dict(settings, pyweb_app_port=5001)) != first
    # Another role's settings and extra data of the same value leave it alone; other extra data not.
    assert digest(dict(settings, gunicorn_workers=4)) == first
    assert digest(settings, extra={"site": "a"}) == digest(settings, extra={"site": "a"}) != first
    assert digest(settings, extra={"site": "b"}) != digest(settings, extra={"site": "a"})
    # A setting that cannot be templated (it names what is undefined) counts by its text.
    broken = dict(settings, nginx_tls_certificate="{{ undefined_here }}")
    assert digest(broken) == digest(broken) != first


def test_a_variable_left_out_of_the_digest_does_not_change_it():
    settings = {"nginx_site_name": "shop", "nginx_app_src": "/builds/1/shop"}
    first = digest(settings, exclude=["nginx_app_src"])
    assert digest(dict(settings, nginx_app_src="/builds/2/shop"), exclude=["nginx_app_src"]) == first
    assert digest(dict(settings, nginx_site_name="blog"), exclude=["nginx_app_src"]) != first
    assert digest(dict(settings, nginx_app_src="/builds/2/shop")) != digest(settings)


def test_the_digest_follows_the_roles_files_and_the_plugins(tmp_path):
    collection = tmp_path / "deploy"
    shutil.copytree(ROOT / "roles" / "nginx", collection / "roles" / "nginx")
    (collection / "plugins" / "modules").mkdir(parents=True)
    (collection / "plugins" / "modules" / "files.py").write_text("# v1\n")
    role = str(collection / "roles" / "nginx")
    first = digest({}, role_path=role)
    with open(collection / "roles" / "nginx" / "templates" / "site.conf.j2", "a") as handle:
        handle.write("\n")
    second = digest({}, role_path=role)
    (collection / "plugins" / "modules" / "files.py").write_text("# v2\n")
    assert len({first, second, digest({}, role_path=role)}) == 3


def test_the_digest_refuses_an_option_it_does_not_know():
    try:
        digest_lookup.LookupModule(loader=DataLoader()).run(["nginx_"], variables={}, extras={})
    except Exception as error:  # pylint: disable=broad-except
        assert "unknown option(s) extras" in str(error)
    else:
        raise AssertionError("accepted extras=")


def test_a_program_that_does_not_run_is_a_reason():
    host = {"fingerprint": {"recorded": True, "digest": "d1", "changes": []},
            "programs": {"shop": "RUNNING", "shop.worker": "STOPPED"}}
    assert reasons(host, "d1", ["shop"]) == []
    assert reasons(host, "d1", ["shop", "shop.worker", "shop.beat"]) == [
        "program shop.worker is STOPPED", "program shop.beat is UNKNOWN"]


def test_paths_matching_a_pattern_count_as_the_trees_do(tmp_path):
    (tmp_path / "shop.conf").write_text("[program:shop]\n")
    pattern = str(tmp_path / "shop.*.conf")
    record = {"files": fingerprint.files_state([], [str(tmp_path / "shop.conf")], patterns=[pattern])}
    assert fingerprint.changes(record, fingerprint.files_state([], [str(tmp_path / "shop.conf")], patterns=[pattern]),
                               {}, {}) == []
    # A program file that appeared since, by hand or by another run, is a change.
    (tmp_path / "shop.worker.conf").write_text("[program:shop.worker]\n")
    now = fingerprint.files_state([], [str(tmp_path / "shop.conf")], patterns=[pattern])
    assert fingerprint.changes(record, now, {}, {}) == ["%s changed" % (tmp_path / "shop.worker.conf")]
