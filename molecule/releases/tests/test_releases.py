"""Releases: a deploy goes to a release of its own; a release that fails its health check (an
error, or no answer) or does not load is never switched to, and not one request through nginx
fails meanwhile; one the proxy in front cannot reach is switched back; a failed first deploy leaves
nothing in supervisor; playbooks/rollback.yml switches back on demand. Ends serving the sample app
again."""

import getpass
import hashlib
import json
import os
import re
import shutil
import signal
import time

import pytest
from conftest import ROOT, run_playbook, under_load
from pyweb_testing import HELLO, assert_served_throughout, start_playbook

SAMPLE = ROOT / "roles" / "gunicorn" / "files" / "flask_hello"
APP = "flask_hello"
V2 = "<h1 style='color:red'>Hello v2</h1>"
LOCAL_SECRET = "dev-only-4f1c9a27"


def page(host, port=81):
    return host.check_output("curl -sS --max-time 5 http://127.0.0.1:%s/", str(port))


def served(host, expected):
    """The page gunicorn's workers serve now (a new connection reaches only the new workers), and
    through nginx once its idle kept-alive connections to the old workers, each good for one more
    answer after a reload, are used up. Bounded: 200 requests."""
    assert page(host, 5000) == expected
    for dummy in range(200):
        if page(host) == expected:
            return True
    return False


def releases(host, app=APP):
    out = host.run("ls /opt/%s/releases", app)
    return sorted(out.stdout.split()) if out.rc == 0 else []


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """The sample app in seven versions: v2 and v3 answer, v500 fails at /, hang never answers /,
    broken cannot be imported; report has a page /report, which report500 fails at."""
    base = tmp_path_factory.mktemp("apps")
    made = {}
    for name in ("v2", "v3", "v500", "hang", "broken", "report", "report500"):
        shutil.copytree(SAMPLE, base / name)
        made[name] = base / name
    source = (SAMPLE / "flask_hello.py").read_text()
    (made["v2"] / "flask_hello.py").write_text(source.replace("Hello World", "Hello v2"))
    # v2 is a developer's working copy: version control, local secrets, bytecode.
    (made["v2"] / ".git").mkdir()
    (made["v2"] / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (made["v2"] / ".env").write_text(f"SECRET_KEY={LOCAL_SECRET}\n")
    (made["v2"] / "__pycache__").mkdir()
    (made["v2"] / "__pycache__" / "flask_hello.cpython-311.pyc").write_bytes(b"\x00")
    (made["v3"] / "flask_hello.py").write_text(source.replace("Hello World", "Hello v3"))
    (made["v500"] / "flask_hello.py").write_text(source.replace(
        f'return "{HELLO}"', 'raise RuntimeError("v500 is broken")'))
    (made["hang"] / "flask_hello.py").write_text(source.replace(
        f'return "{HELLO}"', '__import__("time").sleep(3600)'))
    (made["broken"] / "flask_hello.py").write_text(source + "\nimport no_such_module\n")
    # A page of its own besides / and the health check's: it works in one, fails in the other.
    for name, body in (("report", 'return "report ok"'), ("report500", 'raise RuntimeError("report is broken")')):
        route = f'    @app.route("/report")\n    def report():\n        {body}\n\n    return app\n'
        (made[name] / "flask_hello.py").write_text(source.replace("    return app\n", route))
    assert "report is broken" in (made["report500"] / "flask_hello.py").read_text()
    assert "sleep(3600)" in (made["hang"] / "flask_hello.py").read_text()
    assert "v500 is broken" in (made["v500"] / "flask_hello.py").read_text()
    return made


LOCK = f"/run/lock/pyweb-deploy/{APP}.json"


def lock_of(host, run, timeout=120):
    """The app's deploy lock once the run (a Popen of ansible-playbook) holds it; an earlier run
    that failed may have left its own there, which the run takes over. Bounded: timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = host.run("cat %s", LOCK)
        if found.rc == 0 and found.stdout.strip() and json.loads(found.stdout)["pid"] == run.pid:
            return json.loads(found.stdout)
        assert run.poll() is None, f"the run ended ({run.returncode}) before it was seen holding {LOCK}"
        time.sleep(0.2)
    raise AssertionError(f"the run did not take {LOCK} within {timeout} s")


@pytest.fixture(scope="module")
def master(host):
    return host.check_output("supervisorctl pid %s", APP)


def test_a_new_release_is_served_by_a_reload(host, apps, master, tmp_path):
    # A second deploy (v3) started meanwhile stops at once, naming the run that holds the app.
    with under_load(host, "good-deploy") as load:
        first = start_playbook("site.yml", dict(gunicorn_app_src=str(apps["v2"])), tmp_path / "first.log")
        holder = lock_of(host, first)
        rc, out = run_playbook("site.yml", dict(gunicorn_app_src=str(apps["v3"])))
        assert first.wait(timeout=600) == 0, (tmp_path / "first.log").read_text()[-3000:]
    assert rc != 0
    assert (f"{APP} on pyweb-releases is being deployed by another run: {holder['controller']} "
            f"(ansible-playbook pid {first.pid}" in out), out[-3000:]
    assert "This run stopped before changing anything." in out, out[-3000:]
    assert "changed=0" in out[out.rindex("PLAY RECAP"):], out[-3000:]
    assert not host.file(LOCK).exists
    print(f"under load: {load}")
    assert_served_throughout(load)
    assert served(host, V2)
    assert host.check_output("supervisorctl pid %s", APP) == master
    assert len(releases(host)) == 2
    current = host.file(f"/opt/{APP}/current")
    assert current.is_symlink and current.linked_to.startswith(f"/opt/{APP}/releases/")
    # Both releases share one virtualenv: only the code changed.
    assert len(host.check_output("ls /opt/%s/venvs", APP).split()) == 1
    # Of the working copy, only the code went: no .git, .env or bytecode (gunicorn_app_exclude).
    assert host.file(f"/opt/{APP}/current/flask_hello.py").exists
    for name in (".git", ".env", "__pycache__"):
        assert not host.file(f"/opt/{APP}/current/{name}").exists, name
    assert host.run("grep -rl %s /opt/%s", LOCAL_SECRET, APP).rc == 1


def test_a_change_to_excluded_files_alone_makes_no_new_release(host, apps):
    before = releases(host)
    (apps["v2"] / ".env").write_text("SECRET_KEY=rotated-locally\n")
    (apps["v2"] / ".git" / "HEAD").write_text("ref: refs/heads/other\n")
    rc, out = run_playbook("site.yml", dict(gunicorn_app_src=str(apps["v2"])))
    assert rc == 0, out[-3000:]
    assert "changed=0" in out[out.rindex("PLAY RECAP"):], out[-3000:]
    assert releases(host) == before and served(host, V2)


def test_a_changed_secret_shows_neither_in_the_run_nor_in_its_diff(host, apps):
    # One run with --diff -v that changes the app's environment file (it held no secret) and writes
    # a program of the user's with a secret of its own: both files change, and neither secret shows.
    secret, token = "mail-pw-3c9e10b7d2", "relay-tk-a41f76e08b"
    program = {"name": "mailer", "command": "sleep 3600", "user": "nobody"}
    rc, out = run_playbook("site.yml", {
        "gunicorn_app_src": str(apps["v2"]), "gunicorn_environment": {"MAIL_PASSWORD": secret},
        "supervisor_programs": [dict(program, environment={"MAIL_TOKEN": token})]}, "--diff", "-v")
    assert rc == 0, out[-3000:]
    assert secret not in out and token not in out, out[-3000:]
    # The run keeps the served release and says what it changes of it: the variable, by name.
    assert "stays served." in out and "Environment (names only): + MAIL_PASSWORD" in out, out[-3000:]
    # The run did change the files the secrets live in (a run that changed nothing would show
    # nothing either).
    assert "changed=0" not in out[out.rindex("PLAY RECAP"):], out[-3000:]
    assert secret in host.file(f"/opt/{APP}/environment.json").content_string
    assert token in host.file("/etc/supervisor/conf.d/mailer.conf").content_string
    rc, out = run_playbook("site.yml", {"gunicorn_app_src": str(apps["v2"]),
                                        "supervisor_programs": [dict(program, state="absent")]})
    assert rc == 0, out[-3000:]
    assert not host.file("/etc/supervisor/conf.d/mailer.conf").exists
    assert served(host, V2)


def test_a_failing_command_shows_its_output_without_the_apps_secrets(host, apps):
    secret = "mail-pw-6b0e1d94c2"
    rc, out = run_playbook("site.yml", {
        "gunicorn_app_src": str(apps["v3"]), "gunicorn_environment": {"MAIL_PASSWORD": secret},
        "gunicorn_pre_start_command": 'echo "connecting with $MAIL_PASSWORD"; exit 3'}, "-v")
    assert rc != 0
    assert "Run the pre-start command in the new release failed (exit 3) for release" in out, out[-3000:]
    assert "connecting with ********" in out, out[-3000:]
    assert secret not in out
    assert served(host, V2)


@pytest.mark.parametrize("version, says", [
    # The probe's own words: what was asked, the status and the first lines of the page.
    ("v500", r"GET http://localhost/ on \S+/pyweb-try\.sock \(Host: \S+\) answered 500 INTERNAL SERVER ERROR, "
             r"not one of 200-399; the body began:.{0,80}<title>500 Internal Server Error</title>"),
    ("hang", r"GET http://localhost/ on \S+/pyweb-try\.sock \(Host: \S+\) got no answer within 3 s"),
])
def test_a_release_failing_its_health_check_is_never_served(host, apps, master, version, says):
    before = releases(host)
    with under_load(host, f"failing-{version}") as load:
        rc, out = run_playbook("site.yml", dict(gunicorn_app_src=str(apps[version]),
                                                gunicorn_healthcheck_timeout=3))
    assert rc != 0
    assert "Ask the new release, started beside the served one, for the health check path failed for release" \
        in out, out[-3000:]
    assert "so it was not switched to and no request reached it" in out, out[-3000:]
    assert re.search(says, out), out[-3000:]
    assert "is still served" in out, out[-3000:]
    if version == "v500":
        assert "RuntimeError: v500 is broken" in out, out[-3000:]
    # Not one request through nginx met the failing release.
    print(f"under load: {load}")
    assert_served_throughout(load)
    assert page(host) == V2
    assert host.check_output("supervisorctl pid %s", APP) == master
    assert releases(host) == before
    # Nothing of the tried release is left running.
    assert host.run("pgrep -f 'pyweb-tr[y].sock'").rc != 0


def test_a_release_the_proxy_cannot_reach_is_switched_back(host, apps, master):
    # It answers beside the served one; then the proxy (here: nothing on port 1) does not.
    before = releases(host)
    rc, out = run_playbook("site.yml", dict(gunicorn_app_src=str(apps["v3"]),
                                            gunicorn_healthcheck_proxy_url="http://127.0.0.1:1",
                                            gunicorn_healthcheck_retries=2))
    assert rc != 0
    assert re.search(r"failed its health check: GET http://127\.0\.0\.1:1/ \(Host: \S+\) got no answer "
                     r"\(ConnectionRefusedError", out), out[-3000:]
    assert "is served again" in out, out[-3000:]
    assert page(host) == V2
    assert host.check_output("supervisorctl pid %s", APP) == master
    assert releases(host) == before


def test_a_release_that_does_not_load_is_never_switched_to(host, apps, master):
    before = releases(host)
    rc, out = run_playbook("site.yml", dict(gunicorn_app_src=str(apps["broken"])))
    assert rc != 0
    assert "Load the new release with the live gunicorn config failed (exit 1) for release" in out, out[-3000:]
    assert "No module named 'no_such_module'" in out, out[-3000:]
    assert page(host) == V2
    assert host.check_output("supervisorctl pid %s", APP) == master
    assert releases(host) == before


def test_a_failing_pre_start_command_keeps_the_served_release(host, apps, master):
    before = releases(host)
    rc, out = run_playbook("site.yml", dict(gunicorn_app_src=str(apps["v2"]),
                                            gunicorn_pre_start_command="echo migrating; exit 3"))
    assert rc != 0
    assert "Run the pre-start command in the new release failed (exit 3) for release" in out, out[-3000:]
    assert "migrating" in out, out[-3000:]
    assert releases(host) == before
    assert page(host, 5000) == V2
    assert host.check_output("supervisorctl pid %s", APP) == master


def test_rollback_serves_the_previous_release(host):
    serving = host.file(f"/opt/{APP}/current").linked_to
    # As on a host last deployed by a version of the collection that had no such helper.
    host.run_expect([0], "rm /opt/%s/bin/check-config", APP)
    with under_load(host, "rollback") as load:
        rc, out = run_playbook("rollback.yml")
    assert rc == 0, out[-3000:]
    print(f"under load: {load}")
    assert_served_throughout(load)
    assert served(host, HELLO)
    assert host.file(f"/opt/{APP}/current").linked_to != serving
    assert host.file(f"/opt/{APP}/bin/check-config").mode == 0o755


def test_rollback_to_an_unknown_release_is_refused(host):
    serving = host.file(f"/opt/{APP}/current").linked_to
    rc, out = run_playbook("rollback.yml", dict(gunicorn_rollback_release="no-such-release"))
    assert rc != 0
    assert 'gunicorn_rollback_release must be a kept release other than the one served' in out
    assert host.file(f"/opt/{APP}/current").linked_to == serving
    assert page(host) == HELLO


def test_only_the_newest_releases_are_kept(host, apps):
    rc, out = run_playbook("site.yml", dict(gunicorn_app_src=str(apps["v2"]), gunicorn_keep_releases=1))
    assert rc == 0, out[-3000:]
    assert served(host, V2)
    assert len(releases(host)) == 1
    # Back to the sample app, which the other tests expect.
    rc, out = run_playbook("site.yml")
    assert rc == 0, out[-3000:]
    assert served(host, HELLO)
    assert len(releases(host)) == 2


def test_a_failed_first_deploy_leaves_nothing_in_supervisor(host, apps):
    # It answers beside nothing, is switched to, and then the proxy (nothing on port 1) does not.
    other = {"pyweb_app_name": "firstfail", "pyweb_app_port": 5001, "nginx_listen_port": 8090,
             "gunicorn_app_src": str(apps["v2"]), "gunicorn_healthcheck_retries": 2,
             "gunicorn_healthcheck_proxy_url": "http://127.0.0.1:1"}
    rc, out = run_playbook("site.yml", dict(**other))
    assert rc != 0
    assert "It was the first release: its supervisor programs and jobs were removed." in out, out[-3000:]
    assert not host.file("/etc/supervisor/conf.d/firstfail.conf").exists
    assert "firstfail" not in host.run("supervisorctl status").stdout
    assert not host.file("/opt/firstfail/current").exists
    assert releases(host, "firstfail") == []
    assert not host.file("/run/lock/pyweb-deploy/firstfail.json").exists
    # The app that was serving is untouched. Remove the other app's site, which nginx took.
    assert page(host) == HELLO
    host.run("rm -f /etc/nginx/sites-enabled/firstfail /etc/nginx/sites-available/firstfail")
    host.run("systemctl reload nginx")


def test_a_first_deploy_that_does_not_load_says_nothing_was_served(host, apps):
    other = {"pyweb_app_name": "firstbroken", "pyweb_app_port": 5002, "nginx_listen_port": 8091,
             "gunicorn_app_src": str(apps["broken"])}
    rc, out = run_playbook("site.yml", dict(**other))
    assert rc != 0
    assert "No module named 'no_such_module'" in out, out[-3000:]
    assert "This was the first deploy of the app: no release of it was served before, and none is now." in out
    assert "still served" not in out, out[-3000:]
    assert releases(host, "firstbroken") == []
    assert not host.file("/run/lock/pyweb-deploy/firstbroken.json").exists
    assert page(host) == HELLO
    rc, out = run_playbook("site.yml", dict(other, pyweb_app_state="absent"))
    assert rc == 0, out[-3000:]


def in_order(records, *wanted):
    """The records matching each of wanted (a function of a record) in turn, each after the last."""
    found, rest = [], iter(records)
    for matches in wanted:
        found.append(next((record for record in rest if matches(record)), None))
        assert found[-1] is not None, f"no record after {found[:-1]} for the next step: {records}"
    return found


def test_the_history_holds_each_deploy_failure_rollback_and_removal(host):
    history = host.file(f"/opt/{APP}/history.jsonl")
    assert (history.user, history.group, history.mode) == ("root", APP, 0o640)
    text = history.content_string
    records = [json.loads(line) for line in text.splitlines()]
    first, v2, added, removed, failed, back, rolled, forward = in_order(
        records,
        lambda r: r["result"] == "served" and r["previous"] == "",
        lambda r: r["event"] == "deploy" and r["result"] == "served",
        # The runs that changed v2's environment alone (test_a_changed_secret_...): by name, no value.
        lambda r: r["event"] == "settings" and r["changes"].get("environment") == ["+ MAIL_PASSWORD"],
        lambda r: r["event"] == "settings" and r["changes"].get("environment") == ["- MAIL_PASSWORD"],
        lambda r: r["result"] == "failed" and r["phase"] == "Run the pre-start command in the new release",
        lambda r: r["result"] == "switched back",
        lambda r: r["event"] == "rollback",
        lambda r: r["event"] == "deploy" and r["result"] == "served")
    # A deploy: who, when, how long, what it was built from.
    requirements = hashlib.sha256((SAMPLE / "requirements.txt").read_bytes()).hexdigest()
    for record in (first, v2, forward):
        assert record["app"] == APP and record["event"] == "deploy" and record["served"] == record["release"]
        assert 0 < record["seconds"] < 600, record
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["time"]), record
        assert record["by"]["controller_user"] == getpass.getuser() and record["by"]["remote_user"], record
        assert record["code"]["requirements_sha256"] == requirements, record
        assert any(p.startswith("gunicorn") for p in record["code"]["gunicorn_packages"]), record
    assert v2["previous"] == first["release"] != v2["release"]
    for record in (added, removed):
        assert record["release"] == record["served"] == record["previous"] == v2["release"], record
        assert record["result"] == "served" and record["by"]["remote_user"], record
    # A failed deploy: where it failed and why, the app's secret masked; what is still served.
    assert failed["served"] == v2["release"] and failed["release"] not in (v2["release"], "")
    assert failed["reason"] == "exit 3: connecting with ********", failed
    assert back["served"] == v2["release"] and "ConnectionRefusedError" in back["reason"], back
    assert back["phase"] == "Ask the proxy for the health check path", back
    # The rollback to the first release names its code, the roll forward goes back to v2.
    assert (rolled["result"], rolled["release"], rolled["previous"]) == ("rolled back", first["release"], v2["release"])
    assert rolled["code"] == first["code"]
    assert (forward["release"], forward["previous"]) == (v2["release"], first["release"])
    for secret in ("mail-pw-6b0e1d94c2", "mail-pw-3c9e10b7d2", LOCAL_SECRET):
        assert secret not in text
    # Read on the host: the served release marked, the last records.
    served_release = os.path.basename(host.file(f"/opt/{APP}/current").linked_to)
    assert f"* {served_release}" in host.check_output("/opt/%s/bin/releases", APP)
    assert host.check_output("/opt/%s/bin/releases history 1", APP).startswith(records[-1]["time"])
    # The app knows which release serves it, in gunicorn's workers and in its commands.
    health = json.loads(host.check_output("curl -sS --max-time 5 http://127.0.0.1:5000/healthz"))
    assert health["release"] == served_release
    assert host.check_output("/opt/%s/bin/run printenv PYWEB_RELEASE", APP) == served_release
    # A removed app's history is kept, root's alone.
    kept = host.file("/var/lib/pyweb-deploy/history/firstbroken.jsonl")
    assert (kept.user, kept.mode) == ("root", 0o600)
    assert [json.loads(line)["result"] for line in kept.content_string.splitlines()] == ["failed", "removed"]
    assert not host.file("/opt/firstbroken").exists


# The lock is the same for every entry point; playbooks/maintenance.yml, which runs the nginx role
# alone, is the quickest run that takes it.
NGINX_ONLY = ("maintenance.yml", {"pyweb_maintenance": False})


def test_the_lock_of_a_killed_run_is_taken_over_by_the_next_run(host, tmp_path):
    killed = start_playbook(*NGINX_ONLY, tmp_path / "killed.log")
    holder = lock_of(host, killed)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    assert host.file(LOCK).exists
    rc, out = run_playbook(*NGINX_ONLY)
    assert rc == 0, out[-3000:]
    assert (f"Took over the deploy lock of {APP} on this host from {holder['controller']} "
            f"(ansible-playbook pid {killed.pid}" in out), out[-3000:]
    assert "a run that ended without giving it back" in out, out[-3000:]
    assert not host.file(LOCK).exists
    assert page(host) == HELLO


def test_the_lock_of_another_controller_holds_until_it_is_broken(host):
    now = time.time()
    other = dict(token="elsewhere:4242:99", controller="ann@elsewhere", pid=4242, remote_user="ann",
                 since=now - 60, renewed=now - 60)
    host.run_expect([0], "mkdir -p /run/lock/pyweb-deploy && printf %%s %s > %s", json.dumps(other), LOCK)
    served_before = host.file(f"/opt/{APP}/current").linked_to
    rc, out = run_playbook(NGINX_ONLY[0], dict(NGINX_ONLY[1], pyweb_deploy_lock_timeout=3600))
    assert rc != 0
    assert (f"{APP} on pyweb-releases is being deployed by another run: ann@elsewhere (ansible-playbook pid 4242, "
            "remote user ann) since" in out), out[-3000:]
    assert "taken over 3600 s after it was last renewed" in out, out[-3000:]
    assert "changed=0" in out[out.rindex("PLAY RECAP"):], out[-3000:]
    assert json.loads(host.file(LOCK).content_string)["token"] == other["token"]
    # Taken over at once when told to (after the timeout, the same: tests/test_deploy_lock.py).
    rc, out = run_playbook(NGINX_ONLY[0], dict(NGINX_ONLY[1], pyweb_deploy_lock_break=True))
    assert rc == 0, out[-3000:]
    assert "Took over the deploy lock of flask_hello on this host from ann@elsewhere" in out, out[-3000:]
    assert "held it longer than the timeout, or pyweb_deploy_lock_break said so" in out, out[-3000:]
    assert host.file(f"/opt/{APP}/current").linked_to == served_before
    assert not host.file(LOCK).exists


WATCH_TASK = "Watch the new release's answers through the site's access log"


def test_a_good_release_passes_its_watch_and_stays(host, apps):
    with under_load(host, "watch-good", rate=50) as home:
        rc, out = run_playbook("site.yml", dict(gunicorn_app_src=str(apps["report"]), gunicorn_watch_seconds=3,
                                                gunicorn_release_header="X-Release"), "-v")
    assert rc == 0, out[-3000:]
    print(f"under load: {home}")
    assert_served_throughout(home, least_rate=25)
    # The watch read the answers the load loop had after the switch, and found no 5xx among them.
    seen = re.search(r"(\d+) answers in the ([\d.]+) s of its watch, 0 of them 5xx; (\d+) in the 600 s before", out)
    assert seen, out[-3000:]
    assert int(seen.group(1)) >= 50 and float(seen.group(2)) >= 3 and int(seen.group(3)) >= 50, seen.group(0)
    assert host.check_output("curl -sS --max-time 5 http://127.0.0.1:81/report") == "report ok"
    # Asked for, the answers to the health check path (/ here) name the release, through nginx too.
    served_release = os.path.basename(host.file(f"/opt/{APP}/current").linked_to)
    assert f"x-release: {served_release}" in host.check_output("curl -sSI http://127.0.0.1:81/").lower()
    assert "x-release" not in host.check_output("curl -sSI http://127.0.0.1:81/report").lower()


def test_a_release_failing_one_page_under_traffic_is_switched_back_by_its_watch(host, apps):
    before, master = releases(host), host.check_output("supervisorctl pid %s", APP)
    with under_load(host, "watch-home", rate=50) as home, \
            under_load(host, "watch-report", url="http://127.0.0.1:81/report", rate=50) as report:
        started = time.monotonic()
        rc, out = run_playbook("site.yml", dict(gunicorn_app_src=str(apps["report500"]), gunicorn_watch_seconds=60))
        took = time.monotonic() - started
    assert rc != 0
    print(f"under load: {home} {report}")
    # The run says what the watch saw, and which page failed.
    assert "passed its health check, then failed its watch" in out, out[-3000:]
    seen = re.search(r"In the first ([\d.]+) s of its watch, (\d+) of (\d+) answers were 5xx", out)
    assert seen, out[-3000:]
    assert re.search(r"Failing: /report \d+× 500\.", out), out[-3000:]
    assert "is served again" in out, out[-3000:]
    # Before its switch, the run said what it changes: one file.
    assert '"Files: 0 added, 0 removed, 1 changed.", " changed: flask_hello.py"' in out, out[-3000:]
    # Switched back well within the minute of its watch: the run, build and switch back included.
    assert float(seen.group(1)) < 30 and took < 60 + 30, (seen.group(0), took)
    # Not one request to the other pages failed; the failing page did fail, and only with 500, until
    # the previous release served it again.
    assert_served_throughout(home, least_rate=25)
    assert report["stopped_by"] == "stop file", report
    assert report["by_status"].get("500", 0) >= 5, report
    assert set(report["by_status"]) <= {"200", "500"}, report
    assert report["by_status"]["200"] > report["by_status"]["500"], report
    assert host.check_output("curl -sS --max-time 5 http://127.0.0.1:81/report") == "report ok"
    assert releases(host) == before
    assert host.check_output("supervisorctl pid %s", APP) == master
    last = json.loads(host.file(f"/opt/{APP}/history.jsonl").content_string.splitlines()[-1])
    assert (last["result"], last["phase"]) == ("switched back", WATCH_TASK), last
    assert "/report" in last["reason"], last
