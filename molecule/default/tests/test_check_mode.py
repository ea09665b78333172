"""Check mode on the converged host: `site.yml --check --diff` fails nothing and reports no change;
with new app code it reports the changes a real run would make, says what the switch would change,
and makes none of them."""

import re
import shutil

from conftest import ROOT, run_playbook
from pyweb_testing import HELLO

APP = "flask_hello"
WATCHED = ["/etc/nginx/sites-available/" + APP, f"/opt/{APP}/gunicorn.conf.py", f"/opt/{APP}/environment.json",
           f"/etc/supervisor/conf.d/{APP}.conf", "/etc/nginx/nginx.conf", f"/opt/{APP}/history.jsonl"]
MIGRATION = '''"""Add the orders table

Revision ID: 3f2a1b0c9d8e
Revises:
"""
revision = "3f2a1b0c9d8e"
down_revision = None
'''


def state(host):
    return {
        "files": host.check_output("sha256sum " + " ".join(WATCHED)),
        "current": host.file(f"/opt/{APP}/current").linked_to,
        "releases": host.check_output(f"ls /opt/{APP}/releases"),
        "master": host.check_output("supervisorctl pid %s", APP),
    }


def recap(output):
    return output[output.rindex("PLAY RECAP"):]


def test_a_converged_host_reports_no_change(host):
    before = state(host)
    rc, out = run_playbook("site.yml", None, "--check", "--diff")
    assert rc == 0, out[-3000:]
    assert "changed=0" in recap(out) and "failed=0" in recap(out), recap(out)
    assert state(host) == before


def test_new_code_is_reported_and_not_deployed(host, tmp_path):
    # Against the served release: a changed and a new file, a migration, a changed pin, a new gunicorn
    # setting and a new secret in the app's environment.
    source = ROOT / "roles" / "gunicorn" / "files" / APP
    code = tmp_path / "v2"
    shutil.copytree(source, code)
    (code / f"{APP}.py").write_text((source / f"{APP}.py").read_text().replace("Hello World", "Hello v2"))
    (code / "orders.py").write_text("ORDERS = []\n")
    (code / "migrations" / "versions").mkdir(parents=True)
    (code / "migrations" / "versions" / "3f2a1b0c9d8e_add_orders.py").write_text(MIGRATION)
    requirements = code / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("itsdangerous==2.2.0", "itsdangerous==2.1.2"))
    secret = "orders-api-7d1c0e55b2"
    before = state(host)
    rc, out = run_playbook("site.yml", {"gunicorn_app_src": str(code), "gunicorn_timeout": 31,
                                        "gunicorn_environment": {"ORDERS_API_TOKEN": secret}}, "--check", "--diff")
    assert rc == 0, out[-3000:]
    assert "failed=0" in recap(out) and "changed=0" not in recap(out), recap(out)
    assert "Copy the app code into the release" in out
    # What the switch would change, as a real run says it before its switch. run_playbook's output
    # is on one line: each line of the summary is one quoted string there.
    summary = out[out.index("Say what the switch changes"):]
    for line in ("flask_hello: release ", "Files: 2 added, 0 removed, 2 changed.",
                 " added: migrations/versions/3f2a1b0c9d8e_add_orders.py, orders.py",
                 " changed: flask_hello.py, requirements.txt", "Requirements:", " itsdangerous ==2.2.0 → ==2.1.2",
                 "Migrations the pre-start command would apply:", " 3f2a1b0c9d8e Add the orders table",
                 "Config:", " -timeout = 30", " +timeout = 31"):
        assert f'"{line}' in summary, (line, summary[:3000])
    # The app's environment by the names that change, never a value.
    assert re.search(r'"Environment \(names only\): [^"]*\+ ORDERS_API_TOKEN', summary), summary[:3000]
    assert secret not in out
    assert state(host) == before
    assert host.check_output("curl -sS --max-time 5 http://127.0.0.1:81/") == HELLO
