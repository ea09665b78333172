"""A role's record of its last full run on a host, and what differs from it now.

A record (a JSON file under RECORD_DIR, root's) holds the digest of the role's settings on the
controller when it last converged the host, and the state it left: every file, directory and link
under the trees it manages (type, mode, owner, a hash of a file's content, a link's target), and
whether its packages are installed and its services enabled and running. The converged module
writes it at the end of a full run; the host_state module compares the host with it at the start
of the next, so that a role whose settings and host are as the record says can skip its tasks.
"""

import glob
import hashlib
import json
import os
import re
import stat
import tempfile

RECORD_DIR = "/var/lib/pyweb-deploy/converged"
# A tree larger than this is not recorded: the role then runs in full every time.
MAX_ENTRIES = 5000
NAME = re.compile(r"^[A-Za-z0-9_.@-]+$")
# How many changed paths an answer names; the rest are counted.
NAMED_CHANGES = 10


def entry(path):
    """One path's state as a line: what it is, its mode and owner, its content's hash or target."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "absent"
    except OSError as error:
        return "unreadable (errno %d)" % error.errno
    head = "%04o %d:%d" % (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
    if stat.S_ISLNK(info.st_mode):
        return "link %s -> %s" % (head, os.readlink(path))
    if stat.S_ISDIR(info.st_mode):
        return "dir %s" % head
    if not stat.S_ISREG(info.st_mode):
        return "special %s %o" % (head, stat.S_IFMT(info.st_mode))
    content = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                content.update(block)
    except OSError as error:
        return "unreadable (errno %d)" % error.errno
    return "file %s %s" % (head, content.hexdigest())


def files_state(trees, paths, limit=MAX_ENTRIES, patterns=()):
    """{path: entry} for each tree's root and everything under it (links are not followed), for
    each single path and for each path matching one of the shell patterns; None when there are
    more than limit entries."""
    state = {}
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            state[path] = entry(path)
    for root in trees:
        state[root] = entry(root)
        if not state[root].startswith("dir"):
            continue
        for directory, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in dirnames + sorted(filenames):
                path = os.path.join(directory, name)
                state[path] = entry(path)
                if len(state) > limit:
                    return None
    for path in paths:
        state[path] = entry(path)
    return state


def record_path(name, directory=RECORD_DIR):
    if not NAME.match(name or ""):
        raise ValueError("a record's name is letters, digits and _.@- only; got %r" % (name,))
    return os.path.join(directory, name + ".json")


def read_record(name, directory=RECORD_DIR):
    """The record of that name, or None when there is none or it cannot be read."""
    try:
        with open(record_path(name, directory)) as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("files"), dict) else None


def write_record(name, record, directory=RECORD_DIR):
    """Write the record (root's, 0600) in one rename; True when it differed from the one there."""
    if read_record(name, directory) == record:
        return False
    os.makedirs(directory, mode=0o700, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".%s." % name)
    try:
        with os.fdopen(handle, "w") as out:
            json.dump(record, out, sort_keys=True)
        os.rename(temporary, record_path(name, directory))
    except BaseException:
        os.unlink(temporary)
        raise
    return True


def forget_record(name, directory=RECORD_DIR):
    """Remove the record; True when there was one."""
    try:
        os.unlink(record_path(name, directory))
    except FileNotFoundError:
        return False
    return True


def changes(record, files, packages, services):
    """What differs between a record and the host's state now, in words: changed paths (the first
    NAMED_CHANGES, then a count), packages and services no longer as recorded."""
    if files is None:
        return ["more than %d files to compare" % MAX_ENTRIES]
    recorded = record.get("files", {})
    paths = sorted(path for path in set(recorded) | set(files)
                   if recorded.get(path, "absent") != files.get(path, "absent"))
    said = ["%s changed" % path for path in paths[:NAMED_CHANGES]]
    if len(paths) > NAMED_CHANGES:
        said.append("%d more paths changed" % (len(paths) - NAMED_CHANGES))
    for kind, now in (("package", packages), ("service", services)):
        for name, was in sorted((record.get(kind + "s") or {}).items()):
            if now.get(name) != was:
                said.append("%s %s is not as recorded" % (kind, name))
    return said
