"""Check mode on the converged host: `site.yml --check --diff` fails nothing and reports no change;
with new app code it reports the changes a real run would make, and makes none of them."""

import shutil

from conftest import ROOT, run_playbook
from pyweb_testing import HELLO

APP = "flask_hello"
WATCHED = ["/etc/nginx/sites-available/" + APP, f"/opt/{APP}/gunicorn.conf.py",
           f"/etc/supervisor/conf.d/{APP}.conf", "/etc/nginx/nginx.conf"]


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
    source = ROOT / "roles" / "gunicorn" / "files" / APP
    code = tmp_path / "v2"
    shutil.copytree(source, code)
    (code / f"{APP}.py").write_text((source / f"{APP}.py").read_text().replace("Hello World", "Hello v2"))
    before = state(host)
    rc, out = run_playbook("site.yml", {"gunicorn_app_src": str(code)}, "--check", "--diff")
    assert rc == 0, out[-3000:]
    assert "failed=0" in recap(out) and "changed=0" not in recap(out), recap(out)
    assert "Copy the app code into the release" in out
    assert state(host) == before
    assert host.check_output("curl -sS --max-time 5 http://127.0.0.1:81/") == HELLO
