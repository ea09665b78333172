"""The release filters (plugins/filter/releases.py): names, pruning and the rollback target,
checked without a host."""

from project import load

releases = load("plugins/filter/releases.py")

SRC = "/home/dev/shop"
FILES = [{"path": f"{SRC}/shop/__init__.py", "checksum": "1" * 40, "mode": "0644"},
         {"path": f"{SRC}/Makefile", "checksum": "2" * 40, "mode": "0644"},
         {"path": f"{SRC}/bin/manage", "checksum": "3" * 40, "mode": "0755"}]
NO_INPUTS = {"shared_dirs": [], "build_command": "", "pre_start_command": ""}


def test_the_same_code_gives_the_same_name_whatever_order_it_is_found_in():
    name = releases.code_id(FILES, SRC, NO_INPUTS)
    assert len(name) == 12 and int(name, 16) >= 0
    assert releases.code_id(list(reversed(FILES)), SRC, NO_INPUTS) == name
    # The same tree somewhere else on the controller (another checkout) is the same code.
    moved = [dict(f, path=f["path"].replace(SRC, "/tmp/ci/shop")) for f in FILES]
    assert releases.code_id(moved, "/tmp/ci/shop", NO_INPUTS) == name


def test_the_name_was_not_changed_by_moving_it_into_python():
    # Computed by the Jinja expression this filter replaced: a host's releases keep their names.
    assert releases.code_id(FILES, SRC, NO_INPUTS) == "4b6118b8b869"
    with_inputs = dict(NO_INPUTS, shared_dirs=["instance"], pre_start_command="flask db upgrade")
    assert releases.code_id(FILES, SRC, with_inputs) == "ba9966547720"


def test_content_mode_path_and_inputs_each_change_the_name():
    name = releases.code_id(FILES, SRC, NO_INPUTS)
    changed = [
        [dict(FILES[0], checksum="4" * 40)] + FILES[1:],
        [dict(FILES[0], mode="0755")] + FILES[1:],
        [dict(FILES[0], path=f"{SRC}/shop/app.py")] + FILES[1:],
        FILES[:2],
    ]
    names = {releases.code_id(files, SRC, NO_INPUTS) for files in changed}
    names |= {releases.code_id(FILES, SRC, dict(NO_INPUTS, **{key: value}))
              for key, value in (("shared_dirs", ["media"]), ("build_command", "make"),
                                 ("pre_start_command", "flask db upgrade"))}
    assert name not in names and len(names) == 7


def built(*names, releases_dir="/opt/shop/releases", venvs_dir="/opt/shop/venvs"):
    """find results: releases given newest last, and the venvs they name."""
    found = [{"path": f"{releases_dir}/{name}", "mtime": 1000.0 + age} for age, name in enumerate(names)]
    venvs = {name.split("-", 1)[1] for name in names}
    found += [{"path": f"{venvs_dir}/{venv}", "mtime": 5.0} for venv in sorted(venvs)]
    return found


def test_the_newest_releases_are_kept_with_their_virtualenvs():
    found = built("a1-s1-r1", "a2-s1-r1", "a3-s1-r2", "a4-s2-r2")
    found.append({"path": "/opt/shop/venvs/s0-r0", "mtime": 1.0})  # left by a cut-short build
    assert releases.prunable(found, "/opt/shop/releases", "/opt/shop/venvs", 2) == [
        "/opt/shop/releases/a2-s1-r1", "/opt/shop/releases/a1-s1-r1",
        "/opt/shop/venvs/s0-r0", "/opt/shop/venvs/s1-r1"]
    assert releases.prunable(found, "/opt/shop/releases", "/opt/shop/venvs", 5) == ["/opt/shop/venvs/s0-r0"]


def test_the_served_release_is_never_pruned():
    found = built("a1-s1-r1", "a2-s1-r1")
    assert releases.prunable(found, "/opt/shop/releases", "/opt/shop/venvs", 0) == ["/opt/shop/releases/a1-s1-r1"]


def test_a_root_written_with_a_trailing_slash_finds_the_same_releases():
    found = built("a1-s1-r1", "a2-s1-r1")
    assert releases.prunable(found, "/opt/shop//releases", "/opt/shop/venvs/", 1) == ["/opt/shop/releases/a1-s1-r1"]


def test_a_rollback_serves_the_newest_other_release_or_the_one_asked_for():
    kept = releases.newest_first(built("a1-s1-r1", "a2-s1-r1", "a3-s1-r1")[:3])
    assert kept == ["a3-s1-r1", "a2-s1-r1", "a1-s1-r1"]
    assert releases.rollback_target(kept, "a3-s1-r1") == "a2-s1-r1"
    # After one rollback the newest other release is the one just left: twice goes back and forth.
    assert releases.rollback_target(["a2-s1-r1", "a3-s1-r1", "a1-s1-r1"], "a2-s1-r1") == "a3-s1-r1"
    assert releases.rollback_target(kept, "a3-s1-r1", "a1-s1-r1") == "a1-s1-r1"
    assert releases.rollback_target(["a1-s1-r1"], "a1-s1-r1") == ""
    assert releases.rollback_target([], "") == ""


def test_the_health_check_asks_gunicorn_where_it_listens():
    assert releases.health_url("/healthz", "127.0.0.1", 5000) == "http://127.0.0.1:5000/healthz"
    # Every address: asked on loopback, IPv6 in brackets.
    assert releases.health_url("/", "0.0.0.0", 8000) == "http://127.0.0.1:8000/"
    assert releases.health_url("/", "::", 8000) == "http://[::1]:8000/"
    assert releases.health_url("/", "fd00::5", 8000) == "http://[fd00::5]:8000/"
    assert releases.health_url("/up", "127.0.0.1", 5000, unix_socket=True) == "http://localhost/up"


def test_a_log_echoed_in_a_failure_shows_no_value_of_the_apps_environment():
    log = ("DEBUG connect postgresql://shop:s3cr3t-pw@db/shop\n"
           "ERROR token tok-7c31d9e04b5a rejected; DEBUG=1 LANG=en\n")
    environment = {"DATABASE_URL": "postgresql://shop:s3cr3t-pw@db/shop", "PASSWORD": "s3cr3t-pw",
                   "API_TOKEN": "tok-7c31d9e04b5a", "DEBUG": "1", "LANG": "en"}
    assert releases.masked(log, environment) == ("DEBUG connect ********\n"
                                                 "ERROR token ******** rejected; DEBUG=1 LANG=en\n")
    assert releases.masked(log, {}) == log


def test_the_secret_values_are_the_long_ones_longest_first():
    environment = {"A": "1", "B": "en", "C": "token-1234", "D": "token-1234-longer", "E": 123456}
    assert releases.secret_values(environment) == ["token-1234-longer", "token-1234", "123456"]
    assert releases.secret_values({}) == []


SECRET = "pw-4e1c9a77d2"
CONTEXT = {"step": "Run the pre-start command in the new release", "release": "abc123-def-456",
           "served": "0a0b0c-def-456", "environment": {"DB_PASSWORD": SECRET}, "packages": ["gunicorn==23.0.0"],
           "log": ""}


def test_a_failure_before_the_switch_names_the_step_its_exit_and_what_is_still_served():
    result = {"rc": 3, "stdout": f"migrating with {SECRET}\n", "stderr": "table exists\n",
              "msg": "non-zero return code"}
    message = releases.release_failure(result, CONTEXT)
    assert message.splitlines()[0] == (
        "Run the pre-start command in the new release failed (exit 3) for release abc123-def-456, so it was"
        " not switched to and no request reached it. Release 0a0b0c-def-456, served before, is still served.")
    # What the command printed, not Ansible's "non-zero return code", and no secret.
    assert "migrating with ********\ntable exists" in message
    assert "non-zero return code" not in message and SECRET not in message


def test_a_first_deploy_that_fails_says_nothing_is_served():
    message = releases.release_failure({"rc": 1, "stderr": "boom"}, dict(CONTEXT, served=""))
    assert ("This was the first deploy of the app: no release of it was served before, and none is now."
            in message.splitlines()[0])


def test_a_module_failure_shows_its_message_and_the_tried_release_its_log():
    probe = {"msg": "GET http://localhost/ answered 500 INTERNAL SERVER ERROR, not one of 200-399", "status": 500}
    message = releases.release_failure(probe, dict(CONTEXT, step="Ask the new release", log=f"Traceback\n{SECRET}"))
    assert message.splitlines()[0].startswith("Ask the new release failed for release abc123-def-456,")
    assert probe["msg"] in message
    assert message.endswith("End of its log:\nTraceback\n********")


def test_only_a_config_that_fails_says_nothing_was_switched():
    message = releases.release_failure({"msg": "validate refused the new file (exit 1): bad"},
                                       dict(CONTEXT, step="Render the gunicorn config", release=""))
    assert message.splitlines()[0] == ("Render the gunicorn config failed; nothing was switched or reloaded."
                                       " Release 0a0b0c-def-456 is still served.")


def test_pips_conflict_is_explained_and_a_long_output_keeps_its_end():
    output = "x" * 10_000 + "\nERROR: ResolutionImpossible: gunicorn==21.2.0 conflicts"
    message = releases.release_failure({"rc": 1, "stdout": output}, CONTEXT)
    assert 'gunicorn_packages ["gunicorn==23.0.0"] in conflict: make gunicorn_packages and the app agree' in message
    assert message.endswith("ERROR: ResolutionImpossible: gunicorn==21.2.0 conflicts")
    assert len(message) < 6600
    assert "in conflict" not in releases.release_failure({"rc": 1, "stdout": "ERROR: no space left"}, CONTEXT)


def test_uvs_conflict_is_explained_in_its_name():
    output = ("  × No solution found when resolving dependencies:\n  ╰─▶ Because you require gunicorn==21.2.0 "
              "and gunicorn==23.0.0, we can conclude that your requirements are unsatisfiable.")
    message = releases.release_failure({"rc": 1, "stderr": output}, dict(CONTEXT, installer="uv"))
    assert "uv found the app's requirements and gunicorn_packages" in message
    assert message.endswith("we can conclude that your requirements are unsatisfiable.")


def test_a_failure_after_the_switch_says_what_the_check_got_and_what_is_served_again():
    context = {"release": "abc123-def-456", "served": "0a0b0c-def-456", "log_file": "/var/log/shop/error.log",
               "log": f"[ERROR] {SECRET}", "environment": {"DB_PASSWORD": SECRET}}
    failed = releases.check_failure({"step": "Ask gunicorn", "message": "GET / got no answer", "processes": False},
                                    context)
    assert failed == ("The release abc123-def-456 failed its health check: GET / got no answer\n"
                      "Release 0a0b0c-def-456 is served again.\n"
                      "End of /var/log/shop/error.log:\n[ERROR] ********")
    processes = releases.check_failure({"message": "mailer: FATAL", "processes": True}, dict(context, served=""))
    assert processes.splitlines()[:2] == [
        "The release abc123-def-456 answered its health check, but its processes did not start in it: mailer: FATAL",
        "It was the first release: its supervisor programs and jobs were removed."]


def plan_inputs(tmp_path, **changes):
    (tmp_path / "requirements.txt").write_text("flask==3.0.0\n")
    files = [dict(f, path=f["path"].replace(SRC, str(tmp_path))) for f in FILES]
    inputs = {"app_root": "/opt/shop", "src": str(tmp_path), "files": files,
              "package": "", "project": False, "requirements": "requirements.txt", "python": "python3",
              "packages": ["gunicorn==23.0.0", "gevent==24.11.1"], "worker_class": "gevent",
              "shared_dirs": [], "build_command": "", "pre_start_command": "", "static_dir": "", "instance": ""}
    inputs.update(changes)
    return inputs


def test_the_plan_names_a_release_by_its_code_gunicorn_and_requirements(tmp_path):
    plan = releases.release_plan(plan_inputs(tmp_path))
    # The name a host already has for this app: a re-run must find its release there.
    assert plan["release_id"] == "4b6118b8b869-120e7382-af4113b6"
    assert plan["release_id"] == "-".join([plan["code_id"], plan["venv_id"]])
    assert plan["release_dir"] == "/opt/shop/releases/" + plan["release_id"]
    assert plan["venv_dir"] == "/opt/shop/venvs/" + plan["venv_id"]
    assert plan["venv_build_argv"] == [
        "/opt/shop/bin/run", "--in", plan["release_dir"], "/opt/shop/bin/build-venv", plan["venv_dir"],
        "python3", "gevent", "", "pip", "gunicorn==23.0.0", "gevent==24.11.1", "-r",
        plan["release_dir"] + "/requirements.txt"]
    # uv builds the same virtualenv under the same name.
    with_uv = releases.release_plan(plan_inputs(tmp_path, installer="/opt/pyweb-deploy/uv-0.13.9/bin/uv"))
    assert with_uv["venv_id"] == plan["venv_id"]
    assert with_uv["venv_build_argv"][8:] == ["/opt/pyweb-deploy/uv-0.13.9/bin/uv"] + plan["venv_build_argv"][9:]


def test_the_server_part_of_the_name_is_what_ansibles_to_json_and_hash_made(tmp_path):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template
    inputs = plan_inputs(tmp_path)
    made = Templar(loader=DataLoader(), variables={"p": inputs["python"], "k": inputs["packages"]}).template(
        trust_as_template("{{ ({'python': p, 'packages': k} | to_json | hash('sha256'))[:8] }}"))
    assert releases.release_plan(inputs)["server_id"] == made


def test_each_input_changes_the_part_of_the_name_it_belongs_to(tmp_path):
    base = releases.release_plan(plan_inputs(tmp_path))
    code, server, requirements = base["release_id"].split("-")
    for change in ({"build_command": "make"}, {"pre_start_command": "flask db upgrade"},
                   {"shared_dirs": ["uploads"]}, {"static_dir": "shop/static"}):
        other = releases.release_plan(plan_inputs(tmp_path, **change))["release_id"].split("-")
        assert other[0] != code and other[1:] == [server, requirements], change
    other = releases.release_plan(plan_inputs(tmp_path, packages=["gunicorn==22.0.0"]))["release_id"].split("-")
    assert other[0] == code and other[1] != server and other[2] == requirements
    for change in ({"requirements": ""}, {"instance": "shop"}, {"project": True}):
        other = releases.release_plan(plan_inputs(tmp_path, **change))["release_id"].split("-")
        assert other[:2] == [code, server] and other[2] != requirements, change


def test_a_package_project_or_instance_folder_is_built_into_the_virtualenv(tmp_path):
    package = releases.release_plan(plan_inputs(tmp_path, package=str(tmp_path / "dist/shop-1.0-py3-none-any.whl")))
    assert package["venv_build_argv"][-1] == package["release_dir"] + "/shop-1.0-py3-none-any.whl"
    assert "-r" not in package["venv_build_argv"]
    project = releases.release_plan(plan_inputs(tmp_path, project=True, requirements="", instance="shop"))
    assert project["venv_build_argv"][7] == "/opt/shop/shared/instance|var/shop-instance"
    assert project["venv_build_argv"][-1] == project["release_dir"] and "-r" not in project["venv_build_argv"]
