"""An app's deploy lock on the host: one file under /run/lock/pyweb-deploy that says which run holds
it. Taken and given back by the deploy_lock module, and taken by host_state (its lock option) in the
same call as the look that follows it."""

import json
import os
import time

LOCK_DIR = "/run/lock/pyweb-deploy"


def read(path):
    """The lock at path, or None when there is none (or one cut short, which is no lock)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (FileNotFoundError, ValueError):
        return None


def write_new(path, holder):
    """Create the lock for holder; False when a lock is there already."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(holder, handle)
    return True


def replace(path, holder):
    """Put holder's lock in place of the one there, in one rename."""
    temporary = "%s.%d" % (path, os.getpid())
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(holder, handle)
    os.chmod(temporary, 0o600)
    os.rename(temporary, path)


def take(path, run, timeout, force, ended, now):
    """Take the lock at path for run (a dict with its token). ended is the token of a run known to
    have ended. Returns (taken, holder, took_over)."""
    holder = dict(run, since=now, renewed=now)
    if write_new(path, holder):
        return True, holder, None
    current = read(path)
    if current is None:
        replace(path, holder)
        return True, holder, None
    if current.get("token") == run["token"]:
        replace(path, dict(current, renewed=now))
        return True, dict(current, renewed=now), None
    stale = now - float(current.get("renewed", 0)) > timeout
    if force or stale or current.get("token") == ended:
        replace(path, holder)
        # Two runs taking over at once: the last rename wins, and the other learns it here.
        mine = read(path) or {}
        if mine.get("token") != run["token"]:
            return False, mine, None
        return True, holder, current
    return False, current, None


def give_back(path, run):
    """Remove the lock at path when run holds it. Returns (removed, holder)."""
    current = read(path)
    if current is None or current.get("token") != run["token"]:
        return False, current
    os.unlink(path)
    return True, current


def lock_path(name):
    """The lock file of the lock name; ValueError when name is no file name."""
    if "/" in name or name in ("", ".", ".."):
        raise ValueError("must be a file name; got %s" % json.dumps(name))
    return os.path.join(LOCK_DIR, name + ".json")


def hold(params, check_mode, now=None):
    """Take (state present) or give back (absent) the lock params name for params run, as the
    deploy_lock module's options say: its answer (taken or released, holder, took_over)."""
    path = lock_path(params["name"])
    run = params["run"]
    if params.get("state", "present") == "absent":
        if check_mode:
            return {"holder": read(path)}
        removed, holder = give_back(path, run)
        return {"released": removed, "holder": holder}
    if check_mode:
        return {"taken": False, "holder": read(path)}
    os.makedirs(LOCK_DIR, mode=0o700, exist_ok=True)
    taken, holder, took_over = take(path, run, params.get("timeout", 1800), params.get("force", False),
                                    params.get("ended", ""), time.time() if now is None else now)
    return {"taken": taken, "holder": holder, "took_over": took_over}
