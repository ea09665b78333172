"""A run on a host that is as the roles' last full run left it, with the same settings and the same
app, skips their tasks; a file changed by hand, a stopped service or program or a new setting makes
the role run in full again, which puts the host right."""

import json
import re
import shutil

from conftest import ROOT, run_playbook
from pyweb_testing import HELLO

RECORDS = "/var/lib/pyweb-deploy/converged"
NGINX_RECORD = f"{RECORDS}/nginx-flask_hello.json"
WATCHED = ["/etc/nginx/nginx.conf", "/etc/nginx/sites-available/flask_hello", "/etc/logrotate.d/pyweb-supervisor",
           "/opt/flask_hello/gunicorn.conf.py", "/opt/flask_hello/bin/run"]


def recap(output):
    return output[output.rindex("PLAY RECAP"):]


def test_each_role_records_what_its_full_run_left(host):
    for record in (NGINX_RECORD, f"{RECORDS}/supervisor.json", f"{RECORDS}/gunicorn-flask_hello.json"):
        assert host.file(record).user == "root" and host.file(record).mode == 0o600, record
    nginx = json.loads(host.file(NGINX_RECORD).content_string)
    assert nginx["files"]["/etc/nginx/nginx.conf"].startswith("file 0640 0:0 ")
    assert nginx["services"] == {"nginx": {"enabled": True, "active": True}}
    assert nginx["packages"] == {"nginx": True} and len(nginx["digest"]) == 64


def test_a_run_that_changes_nothing_skips_the_roles_tasks(host):
    rc, out = run_playbook("site.yml")
    assert rc == 0, out[-3000:]
    assert "changed=0" in recap(out), recap(out)
    for task in ("Render nginx.conf", "Render supervisord.conf", "Render the gunicorn config",
                 "Put the programs' files"):
        assert task not in out, task
    # Each role still looked at the host, and the lock was given back.
    for task in ("learn the host's release", "Find out how supervisor is installed",
                 "find what is installed and served", "Give the app's deploy lock back"):
        assert task in out, task


def test_files_changed_by_hand_and_a_stopped_nginx_are_put_right(host):
    before = host.check_output("sha256sum " + " ".join(WATCHED))
    host.check_output("echo '# by hand' >> /etc/nginx/nginx.conf")
    host.check_output("echo '# by hand' >> /etc/logrotate.d/pyweb-supervisor")
    host.check_output("echo '# by hand' >> /opt/flask_hello/gunicorn.conf.py")
    host.check_output("chmod 0700 /opt/flask_hello/bin/run")
    host.check_output("rm /etc/nginx/sites-enabled/flask_hello")
    host.check_output("systemctl stop nginx")
    rc, out = run_playbook("site.yml", None, "-v")
    assert rc == 0, out[-3000:]
    # Each role says why it ran in full.
    for reason in ("/etc/nginx/nginx.conf changed", "/etc/nginx/sites-enabled/flask_hello changed",
                   "service nginx is not as recorded", "/etc/logrotate.d/pyweb-supervisor changed",
                   "/opt/flask_hello/gunicorn.conf.py changed",
                   "/opt/flask_hello/bin/run changed"):
        assert reason in out, reason
    assert host.check_output("sha256sum " + " ".join(WATCHED)) == before
    assert host.file("/etc/nginx/sites-enabled/flask_hello").is_symlink
    assert host.service("nginx").is_running
    assert host.file("/opt/flask_hello/bin/run").mode == 0o755
    assert host.check_output("curl -sS -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:81/") == "200"


def test_a_stopped_app_is_started_again(host):
    host.check_output("supervisorctl stop flask_hello")
    # Supervisor counts gunicorn as started 60 s after its start here (7 s by default), so that the
    # run after this one comes while supervisor still says STARTING.
    slow = {"__gunicorn_startsecs": 60}
    rc, out = run_playbook("site.yml", slow, "-v")
    assert rc == 0, out[-3000:]
    assert "program flask_hello is STOPPED" in out
    assert host.check_output("curl -sS -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:81/") == "200"
    assert "STARTING" in host.check_output("supervisorctl status flask_hello")
    # gunicorn serves, and said so in its ready file: the next run skips the role as it would for a
    # program supervisor counts as RUNNING.
    rc, out = run_playbook("site.yml", slow, "-v")
    assert rc == 0, out[-3000:]
    assert "program flask_hello is" not in out and "Render the gunicorn config" not in out, \
        out[out.find("Say why the role deploys"):][:600]


def test_a_new_release_alone_leaves_the_apps_files_and_programs_be(host, tmp_path):
    source = ROOT / "roles" / "gunicorn" / "files" / "flask_hello"
    code = tmp_path / "v2"
    shutil.copytree(source, code)
    (code / "flask_hello.py").write_text((source / "flask_hello.py").read_text().replace("Hello World", "Hello v2"))
    page = "curl -sS --max-time 5 http://127.0.0.1:81/"
    # A new release and a file changed by hand: the run is a full one, and puts the file right.
    host.check_output("chmod 0700 /opt/flask_hello/bin/run")
    rc, out = run_playbook("site.yml", {"gunicorn_app_src": str(code)}, "-v")
    assert rc == 0, out[-3000:]
    assert "a new release, " in out and "/opt/flask_hello/bin/run changed" in out
    assert "Create the app's directories" in out
    assert host.file("/opt/flask_hello/bin/run").mode == 0o755
    assert "Hello v2" in host.check_output(page)
    master = host.check_output("supervisorctl pid flask_hello")
    # The first code again (from where the scenario deploys it), nothing else changed: the release is
    # switched and reloaded, and the app's account, files and programs are left as they are.
    rc, out = run_playbook("site.yml", None, "-v")
    assert rc == 0, out[-3000:]
    assert re.search(r'Say why the role deploys\] \*+ ok: \[[^]]+\] => \{ "msg": \[ "a new release, [^"]+" \] \}', out), \
        out[out.find("Say why the role deploys"):][:600]
    for task in ("Create the app's directories", "Write the app's environment", "Put the programs' files"):
        assert task not in out, task
    assert "Point current at the new release" in out
    assert host.check_output(page) == HELLO
    assert host.check_output("supervisorctl pid flask_hello") == master


def test_a_new_setting_runs_the_role_in_full(host):
    record = host.file(NGINX_RECORD).content_string
    site = host.file("/etc/nginx/sites-available/flask_hello").content_string
    rc, out = run_playbook("site.yml", {"nginx_client_max_body_size": "3m"}, "--check", "--diff", "-v")
    assert rc == 0, out[-3000:]
    assert "the settings or the collection changed" in out
    assert "client_max_body_size 3m" in out and "changed=0" not in recap(out), recap(out)
    # A check run records nothing and changes nothing.
    assert host.file(NGINX_RECORD).content_string == record
    assert host.file("/etc/nginx/sites-available/flask_hello").content_string == site
