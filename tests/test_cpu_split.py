"""The benchmark's CPU split reads /proc right and adds up per request what it read."""

import pytest

from project import load


cpu_split = load("bench/cpu_split.py")
bench = load("bench/bench.py")


def fake_proc(tmp_path, processes, argv=None):
    """A /proc with one stat file per (pid, name, utime, stime), and each command line."""
    argv = argv or {}
    for pid, name, utime, stime in processes:
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "cmdline").write_bytes(
            b"\0".join(arg.encode() for arg in argv.get(pid, [name])) + b"\0")
        fields = ["S", "1", "1", "1", "0", "-1", "0", "0", "0", "0", "0", str(utime), str(stime),
                  "0", "0", "20", "0", "1"]
        (tmp_path / str(pid) / "stat").write_text(f"{pid} ({name}) {' '.join(fields)}\n")
    (tmp_path / "self").mkdir()
    (tmp_path / "cpuinfo").write_text("")
    return tmp_path


def test_ticks_are_summed_by_name_and_odd_names_survive(tmp_path):
    proc = fake_proc(tmp_path, [
        (10, "nginx", 100, 50), (11, "nginx", 30, 20),
        (20, "gunicorn", 400, 100),
        # A name with a space and a parenthesis, as a process may set.
        (30, "web (x) 1", 7, 3),
    ])
    assert cpu_split.cpu_ticks_by_name(proc) == {"nginx": 200, "gunicorn": 500, "web (x) 1": 10}


def test_a_gunicorn_started_by_python_counts_as_gunicorn(tmp_path):
    proc = fake_proc(tmp_path, [(10, "python", 100, 0), (11, "gunicorn", 50, 0), (12, "python", 7, 0),
                                (13, "python3", 5, 0)], argv={
        10: ["/opt/shop/current/venv/bin/python", "-m", "gunicorn", "--config", "/opt/shop/g.py"],
        11: ["/srv/venv/bin/python", "/srv/venv/bin/gunicorn", "hello:app"],
        12: ["/opt/shop/current/venv/bin/python", "-m", "celery", "worker"],
        # An argument that only mentions gunicorn further on is not gunicorn.
        13: ["python3", "/root/cpu_split.py", "--", "wrk", "x", "gunicorn"]})
    assert cpu_split.cpu_ticks_by_name(proc) == {"gunicorn": 150, "python": 7, "python3": 5}


def test_use_between_snapshots():
    before = {"nginx": 200, "gunicorn": 500, "sshd": 40, "gone": 90}
    after = {"nginx": 450, "gunicorn": 1500, "sshd": 40, "new": 25}
    used = cpu_split.used_between(before, after, ticks_per_second=100)
    assert used == {"nginx": 2.5, "gunicorn": 10.0, "new": 0.25}


def test_cpu_per_request_groups_the_programs():
    per_request = bench.cpu_per_request(
        {"gunicorn": 15.0, "nginx": 3.5, "wrk (load)": 1.5, "systemd-journal": 0.1}, 100000)
    assert per_request == {"gunicorn": 150.0, "nginx": 35.0, "load": 15.0, "other": 1.0,
                           "total": 201.0}


def test_the_helper_rejects_a_missing_command():
    with pytest.raises(SystemExit, match="usage"):
        cpu_split.main([])
