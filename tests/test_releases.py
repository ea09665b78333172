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
