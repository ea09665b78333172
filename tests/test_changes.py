"""What a new release changes against the served one (plugins/module_utils/changes.py and the
release_changes action's comparison), checked without a host."""

import subprocess

from project import load, run_module

changes = load("plugins/module_utils/changes.py")
action = load("plugins/action/release_changes.py")

MIGRATION = '''"""Add the orders table

Revision ID: 3f2a1b0c9d8e
Revises: 1a2b3c4d5e6f
"""
from alembic import op

revision = "3f2a1b0c9d8e"
down_revision = "1a2b3c4d5e6f"
'''


def test_files_added_removed_and_changed():
    assert changes.file_changes({"app.py": "1", "old.py": "2", "same.py": "3"},
                                {"app.py": "9", "new.py": "4", "same.py": "3"}) == {
        "added": ["new.py"], "removed": ["old.py"], "changed": ["app.py"]}


def test_requirements_that_change_are_named_old_and_new():
    served = changes.requirements("# pinned\nFlask==3.0.3\nblinker==1.8.2\n-r base.txt\nrequests[socks]>=2 # http\n")
    new = changes.requirements("flask==3.1.0\nrequests[socks]>=2\nredis==5.0.1\n")
    assert changes.requirement_changes(served, new) == [
        "- blinker ==1.8.2", "flask ==3.0.3 → ==3.1.0", "+ redis ==5.0.1"]


def test_a_migration_is_named_by_its_revision_and_message():
    assert changes.revisions({"3f2a_add_orders.py": MIGRATION, "README": "nothing"}) == {
        "3f2a1b0c9d8e": "Add the orders table"}
    typed = 'revision: str = "abc123"\n'
    assert changes.revisions({"abc123_x.py": typed}) == {"abc123": "abc123_x.py"}


def test_the_commits_between_the_served_release_and_the_new_one(tmp_path):
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    made = []
    for n in range(13):
        (tmp_path / "app.py").write_text(f"n = {n}\n")
        subprocess.run(git + ["add", "."], check=True)
        subprocess.run(git + ["commit", "-qm", f"change {n}"], check=True)
        made.append(subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True,
                                   check=True).stdout.strip())
    found = changes.commits(str(tmp_path), made[0], made[-1])
    assert found["count"] == 12 and len(found["shown"]) == 10
    assert found["shown"][0].endswith(" change 12") and found["shown"][-1].endswith(" change 3")
    assert changes.commits(str(tmp_path), made[-1], made[-1]) == {"count": 0, "shown": []}
    # A served commit the clone does not know, or none: git cannot say.
    assert changes.commits(str(tmp_path), "0" * 40, made[-1]) is None
    assert changes.commits(str(tmp_path), "", made[-1]) is None


def test_the_summary_compares_the_new_code_with_what_the_host_read(tmp_path):
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "migrations" / "versions" / "3f2a_add_orders.py").write_text(MIGRATION)
    (tmp_path / "requirements.txt").write_text("flask==3.1.0\n")
    served = {"manifest": {"app.py": "1", "gone.py": "2"}, "requirements_text": "flask==3.0.3\n",
              "migrations": {}, "git_commit": ""}
    args = {"app": "shop", "served": "aaa-1", "release": "bbb-2", "code": str(tmp_path),
            "manifest": {"app.py": "9", "migrations/versions/3f2a_add_orders.py": "5", "requirements.txt": "6"},
            "requirements": "requirements.txt", "hide": ["3f2a1b0c9d8e"]}
    found, lines = action.compare(args, served)
    assert lines == [
        "shop: release bbb-2 replaces aaa-1.",
        "Files: 2 added, 1 removed, 1 changed.",
        "  added: migrations/versions/3f2a_add_orders.py, requirements.txt",
        "  removed: gone.py",
        "  changed: app.py",
        "Requirements:",
        "  flask ==3.0.3 → ==3.1.0",
        "Migrations the pre-start command would apply:",
        # A value of the app's environment is masked wherever it shows.
        "  ******** Add the orders table",
    ]
    assert found["commits"] is None
    # A revision the served release has already is not applied again.
    found, lines = action.compare(args, dict(served, migrations={"x.py": MIGRATION}))
    assert found["migrations"] == []


def test_a_served_release_without_a_list_of_its_files_says_so():
    found, lines = action.compare({"app": "shop", "served": "aaa-1", "release": "bbb-2"},
                                  {"manifest": None, "requirements_text": None, "migrations": {}})
    assert "Files: the served release has no list of its files (built by an earlier version)." in lines
    assert found["requirements"] is None


def test_the_history_keeps_counts_and_the_first_names():
    kept = changes.bounded({"files": {"added": ["f%d" % i for i in range(25)], "removed": [], "changed": ["a"]},
                            "requirements": [], "commits": None, "migrations": []})
    assert kept == {"files": {"added": {"count": 25, "shown": ["f%d" % i for i in range(10)]},
                              "removed": {"count": 0, "shown": []}, "changed": {"count": 1, "shown": ["a"]}},
                    "requirements": []}


def test_a_summary_that_cannot_be_made_warns_instead_of_failing_the_deploy():
    class Task:
        args = {"app": "shop", "served": "aaa-1", "release": "bbb-2", "app_root": "/opt/shop"}
        check_mode = False

    plugin = action.ActionModule.__new__(action.ActionModule)
    plugin._task = Task()
    plugin._execute_module = lambda **kwargs: {"failed": True, "msg": "Permission denied"}
    # ActionBase.run's own bookkeeping is not what is tested here.
    original = action.ActionBase.run
    action.ActionBase.run = lambda self, tmp=None, task_vars=None: {}
    try:
        result = plugin.run(task_vars={})
    finally:
        action.ActionBase.run = original
    assert not result.get("failed")
    assert result["summary"] == ["shop: release bbb-2 replaces aaa-1; what it changes could not be read: Permission denied"]
    assert result["warnings"] == result["summary"]


def test_the_config_is_compared_line_by_line_and_the_environment_by_name_alone():
    served_config = "workers = 2\ntimeout = 30\nkeepalive = 10\n"
    assert changes.config_diff(served_config, served_config.replace("30", "31"), "gunicorn.conf.py") == [
        "--- gunicorn.conf.py (served)", "+++ gunicorn.conf.py (new)", "@@ -1,3 +1,3 @@",
        " workers = 2", "-timeout = 30", "+timeout = 31", " keepalive = 10"]
    assert changes.config_diff(served_config, served_config, "gunicorn.conf.py") == []
    assert changes.config_diff(None, served_config, "gunicorn.conf.py") == []
    served = changes.value_digests({"DATABASE_URL": "postgres://a:s3cret@db/shop", "OLD": "1", "SAME": "x"})
    new = changes.value_digests({"DATABASE_URL": "postgres://a:n3w-s3cret@db/shop", "NEW": "2", "SAME": "x"})
    assert "s3cret" not in str(served) + str(new)
    assert changes.environment_changes(served, new) == ["+ NEW", "- OLD", "~ DATABASE_URL"]
    found = {"files": {"added": [], "removed": [], "changed": []}, "config": ["-timeout = 30", "+timeout = 31"],
             "environment": ["~ DATABASE_URL"]}
    lines = changes.summary_lines("shop", "a", "b", found)
    assert lines[-4:] == ["Config:", "  -timeout = 30", "  +timeout = 31", "Environment (names only): ~ DATABASE_URL"]


def test_the_host_reads_the_served_release_only_when_the_run_brings_another(tmp_path):
    root = tmp_path / "shop"
    served = root / "releases" / "aaa-1"
    (served / "migrations" / "versions").mkdir(parents=True)
    (served / "migrations" / "versions" / "3f2a_add_orders.py").write_text(MIGRATION)
    (served / changes.MANIFEST).write_text('{"app.py": "1"}')
    (served / "requirements.txt").write_text("flask==3.0.3\n")
    (root / "current").symlink_to("releases/aaa-1")
    (root / "gunicorn.conf.py").write_text("workers = 2\n")
    (root / "environment.json").write_text('{"DATABASE_URL": "postgres://a:s3cret@db/shop"}')
    (root / "history.jsonl").write_text('{"release": "aaa-1", "code": {"git": {"commit": "%s"}}}\n' % ("c" * 40))
    where = dict(app_root=str(root), current=str(root / "current"), requirements="requirements.txt",
                 config_path=str(root / "gunicorn.conf.py"), environment_path=str(root / "environment.json"),
                 history_path=str(root / "history.jsonl"))
    other = changes.read_served(release="bbb-2", **where)
    assert (other["release"], other["manifest"], other["requirements_text"]) == ("aaa-1", {"app.py": "1"}, "flask==3.0.3\n")
    assert list(other["migrations"]) == ["3f2a_add_orders.py"] and other["git_commit"] == "c" * 40
    assert other["config"] == "workers = 2\n" and "s3cret" not in str(other)
    assert list(other["environment"]) == ["DATABASE_URL"]
    # The same release again: its settings alone are read.
    same = changes.read_served(release="aaa-1", **where)
    assert (same["manifest"], same["requirements_text"], same["migrations"], same["git_commit"]) == (None, None, {}, "")
    assert same["config"] == other["config"] and same["environment"] == other["environment"]


def test_a_run_that_keeps_the_served_release_says_what_changes_of_its_settings():
    served = {"release": "aaa-1", "config": "workers = 2\ntimeout = 30\n",
              "environment": changes.value_digests({"DATABASE_URL": "one"}, "k"), "manifest": {"app.py": "1"},
              "environment_new": changes.value_digests({"DATABASE_URL": "one", "MAIL_PASSWORD": "pw"}, "k")}
    args = {"app": "shop", "served": "aaa-1", "release": "aaa-1", "config_path": "/opt/shop/gunicorn.conf.py",
            "config": "workers = 2\ntimeout = 31\n", "environment_path": "/opt/shop/environment.json"}
    found, lines = action.compare(args, served)
    assert lines == ["shop: release aaa-1 stays served.", "Config:", "  --- gunicorn.conf.py (served)",
                     "  +++ gunicorn.conf.py (new)", "  @@ -1,2 +1,2 @@", "   workers = 2", "  -timeout = 30",
                     "  +timeout = 31", "Environment (names only): + MAIL_PASSWORD"]
    assert found["files"] is None and found["commits"] is None
    assert changes.bounded(found) == {"environment": ["+ MAIL_PASSWORD"], "config_changed": True}
    found, lines = action.compare(dict(args, config=served["config"]), dict(served, environment_new=served["environment"]))
    assert lines == ["shop: release aaa-1 stays served.", "Neither its gunicorn config nor its environment changes."]


def test_the_environments_digests_are_keyed_for_one_call_and_compared_on_the_controller(tmp_path):
    host_state = load("plugins/modules/host_state.py")
    host_action = load("plugins/action/host_state.py")
    secret = "s3cret-db-pw"
    (tmp_path / "environment.json").write_text('{"DATABASE_URL": "%s", "OLD": "1"}' % secret)
    served = {"app_root": str(tmp_path), "environment_path": str(tmp_path / "environment.json")}
    answer = run_module(host_state, {"served": served, "digest_key": "key-one"}, tmp_path)
    shown = str(answer)
    # Neither the value nor its plain digest (which a guess could be matched against) shows.
    assert secret not in shown and changes.value_digests({"x": secret})["x"] not in shown
    assert answer["served"]["environment"] != run_module(
        host_state, {"served": served, "digest_key": "key-two"}, tmp_path)["served"]["environment"]
    answer = host_action.with_environment_digests(answer, {"DATABASE_URL": "n3w-" + secret, "NEW": "2"}, "key-one")
    found, lines = action.compare({"app": "shop", "served": "a", "release": "a", "environment_path": "e"},
                                  answer["served"])
    assert found["environment"] == ["+ NEW", "- OLD", "~ DATABASE_URL"]
