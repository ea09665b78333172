"""The release history (plugins/module_utils/history.py, the release_history action's record and
the `releases` command the gunicorn role puts in each app's bin/), checked without a host."""

import getpass
import json
import os
import subprocess
import threading

from project import ROOT, load, run_module

history = load("plugins/module_utils/history.py")
action = load("plugins/action/release_history.py")
releases_filters = load("plugins/filter/releases.py")
RELEASES = ROOT / "roles" / "gunicorn" / "files" / "bin" / "releases"

ARGS = {"path": "/opt/shop/history.jsonl", "group": "shop", "archive": "", "app": "shop",
        "event": "deploy", "result": "served", "release": "aaa-bbb-ccc", "served": "aaa-bbb-ccc",
        "previous": "", "phase": "", "reason": "", "started": 0, "code": {}, "changes": {}, "hide": []}


def test_a_record_says_who_when_and_how_long():
    record = action.build(dict(ARGS, started=1000.0), "deploy", now=1012.34)
    assert record["time"] == "1970-01-01T00:16:52Z"
    assert record["seconds"] == 12.3
    assert record["by"]["controller_user"] == getpass.getuser()
    assert record["by"]["remote_user"] == "deploy"
    assert (record["event"], record["result"], record["release"]) == ("deploy", "served", "aaa-bbb-ccc")
    assert "phase" not in record and "code" not in record


def test_a_record_names_the_code_it_was_built_from(tmp_path):
    package = tmp_path / "shop-1.2.0-py3-none-any.whl"
    package.write_bytes(b"wheel")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("flask==3.0.3\n")
    code = {"git_repo": "https://ci-bot:ghp_TOKEN123@git.example.com/shop.git", "git_commit": "c" * 40,
            "package": str(package), "requirements": str(requirements),
            "gunicorn_packages": ["gunicorn==23.0.0"]}
    record = action.build(dict(ARGS, code=code), "")
    assert record["code"]["git"] == {"repo": "https://git.example.com/shop.git", "commit": "c" * 40,
                                     "describe": ""}
    assert record["code"]["package"]["file"] == package.name
    assert len(record["code"]["package"]["sha256"]) == 64
    assert record["code"]["requirements_sha256"] == history.file_sha256(str(requirements))
    assert record["code"]["gunicorn_packages"] == ["gunicorn==23.0.0"]
    assert "TOKEN123" not in json.dumps(record)


def test_the_version_is_what_git_describe_says(tmp_path):
    clone = tmp_path / "clone"
    clone.mkdir()
    git = ["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    (clone / "app.py").write_text("app = None\n")
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "one"], check=True)
    subprocess.run(git + ["tag", "v1.4.0"], check=True)
    commit = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    code = {"git_repo": "git@example.com:shop.git", "git_clone": str(clone), "git_commit": commit}
    assert action.build(dict(ARGS, code=code), "")["code"]["git"]["describe"] == "v1.4.0"


def test_a_failure_keeps_its_phase_and_a_short_reason_without_secrets():
    secret = "s3cr3t-value-for-the-db"
    reason = releases_filters.failure_reason({
        "rc": 1, "msg": "non-zero return code",
        "stderr": "Traceback\n  line\nKeyError: 'x'\nconnect to postgres://app:%s@db failed" % secret})
    assert reason.startswith("exit 1: ")
    assert reason.endswith("connect to postgres://app:%s@db failed" % secret)
    record = action.build(dict(ARGS, result="failed", phase="Try the new release", reason=reason + "\n" + "x" * 900,
                               hide=[secret]), "")
    assert record["phase"] == "Try the new release"
    assert secret not in json.dumps(record) and "********" in record["reason"]
    assert len(record["reason"]) <= history.REASON_LENGTH
    assert releases_filters.failure_reason({"msg": "Timed out"}) == "Timed out"
    assert releases_filters.failure_reason({"msg": "refused the new file (exit 1): !!!\n\nTraceback\n  File x\n"
                                                   "    import no_such_module\nModuleNotFoundError: No module"}) == (
        "refused the new file (exit 1): !!! / … / import no_such_module / ModuleNotFoundError: No module")


def test_records_are_appended_whole_by_runs_at_once_and_the_file_is_not_for_others(tmp_path):
    path = str(tmp_path / "history.jsonl")
    threads = [threading.Thread(target=lambda n=n: [history.append(path, {"n": n, "i": i, "pad": "x" * 5000})
                                                    for i in range(20)]) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = history.read(path)
    assert len(found) == 80
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_a_rollback_names_the_code_of_the_release_it_serves(tmp_path):
    path = str(tmp_path / "history.jsonl")
    history.append(path, {"release": "r1", "result": "served", "code": {"git": {"commit": "1" * 40}}})
    history.append(path, {"release": "r2", "result": "served", "code": {"git": {"commit": "2" * 40}}})
    assert history.code_of(history.read(path), "r1") == {"git": {"commit": "1" * 40}}
    assert history.code_of(history.read(path), "r3") == {}


def test_a_removed_apps_history_is_kept_and_added_to(tmp_path):
    path, kept = str(tmp_path / "history.jsonl"), str(tmp_path / "kept" / "shop.jsonl")
    history.append(path, {"n": 1})
    history.archive(path, kept)
    history.append(path, {"n": 2})
    history.archive(path, kept)
    assert not os.path.exists(path)
    assert [r["n"] for r in history.read(kept)] == [1, 2]
    assert os.stat(kept).st_mode & 0o777 == 0o600


def app_root(tmp_path, records, served):
    root = tmp_path / "shop"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "releases").write_bytes(RELEASES.read_bytes())
    (root / "bin" / "releases").chmod(0o755)
    for age, name in enumerate(["r3", "r2", "r1"]):
        (root / "releases" / name).mkdir(parents=True)
        os.utime(root / "releases" / name, (1000 - age, 1000 - age))
    (root / "current").symlink_to("releases/%s" % served)
    for record in records:
        history.append(str(root / "history.jsonl"), record)
    return root


def run_releases(root, *args):
    return subprocess.run([str(root / "bin" / "releases"), *args], capture_output=True, text=True, check=True).stdout


def test_releases_lists_the_kept_releases_newest_first_with_the_served_one_marked(tmp_path):
    by = {"controller_user": "alice", "controller_host": "laptop", "remote_user": "deploy"}
    root = app_root(tmp_path, [
        {"time": "T1", "event": "deploy", "result": "served", "release": "r2", "by": by,
         "code": {"git": {"describe": "v1.1"}}},
        {"time": "T2", "event": "deploy", "result": "failed", "release": "r9", "by": by, "phase": "Try",
         "reason": "exit 1: boom"},
        {"time": "T3", "event": "rollback", "result": "rolled back", "release": "r2", "previous": "r3", "by": by},
    ], served="r2")
    assert run_releases(root).splitlines() == ["  r3", "* r2  T3 alice@laptop as deploy", "  r1"]
    shown = run_releases(root, "history", "2")
    assert "T1" not in shown
    assert 'T2  deploy  failed  r9  by alice@laptop as deploy\n    at "Try": exit 1: boom' in shown
    assert "T3  rollback  rolled back  r2  (was r3)" in shown
    assert [r["time"] for r in json.loads(run_releases(root, "history", "5", "--json"))] == ["T1", "T2", "T3"]


def test_a_run_that_changed_the_served_releases_settings_shows_which(tmp_path):
    by = {"controller_user": "alice", "controller_host": "laptop", "remote_user": "deploy"}
    root = app_root(tmp_path, [
        {"time": "T1", "event": "deploy", "result": "served", "release": "r2", "by": by},
        {"time": "T2", "event": "settings", "result": "served", "release": "r2", "previous": "r2", "by": by,
         "changes": {"config_changed": True, "environment": ["+ MAIL_PASSWORD", "~ DATABASE_URL"]}},
    ], served="r2")
    assert 'T2  settings  served  r2  by alice@laptop as deploy\n    changed: gunicorn config; environment ' \
           '+ MAIL_PASSWORD ~ DATABASE_URL' in run_releases(root, "history")
    # The release list names the deploy of the release, not the run that changed its settings.
    assert "* r2  T1 alice@laptop" in run_releases(root)


def test_the_record_at_the_end_of_a_deploy_goes_in_the_same_call_as_the_roles_own(tmp_path):
    module = load("plugins/modules/converged.py")
    path = str(tmp_path / "history.jsonl")
    record = action.build({"app": "shop", "event": "settings", "result": "served", "release": "r2", "served": "r2",
                           "previous": "r2", "phase": "", "reason": "", "started": 0, "code": {},
                           "changes": {"environment": ["+ TOKEN"]}, "hide": []}, "")
    answer = run_module(module, {"history": {"path": path, "group": "", "record": record}}, tmp_path)
    assert answer["history_written"] and not answer["written"], answer
    written = history.read(path)
    assert [(r["event"], r["changes"]) for r in written] == [("settings", {"environment": ["+ TOKEN"]})]
    # Without a login user from the controller, the host names the one it runs as.
    assert written[0]["by"]["remote_user"]
    # A history the host refuses is a warning; the call goes on.
    answer = run_module(module, {"history": {"path": str(tmp_path / "none" / "h.jsonl"), "record": record}}, tmp_path)
    assert not answer.get("failed") and not answer["history_written"] and "did not take" in str(answer["warnings"])
    answer = run_module(module, {}, tmp_path)
    assert answer["failed"] and "name is required" in answer["msg"]
