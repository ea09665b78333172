"""What of an app's code on the controller goes into a release: the copy_tree action sends it and
the code_files filter fingerprints it, so both read the tree the same way.

Links are followed, as ansible.builtin.copy follows them. A name matching one of the exclude
patterns (shell patterns such as .git or .env*, matched against each file's and directory's own
name at any depth) is left out with everything under it.
"""

import fnmatch
import hashlib
import os
import stat


class TreeError(Exception):
    pass


def excluded(name, exclude):
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in exclude)


def tree_members(src, exclude=()):
    """(name relative to src, path on the controller) of what a copy of src brings: a file as
    itself (exclude does not apply), a directory as everything under it (not the directory itself),
    in sorted order, parents before their contents. A broken link, or a link to a directory it is
    inside of, is an error naming it."""
    if not os.path.exists(src):
        raise TreeError(f"{src} does not exist")
    if not os.path.isdir(src):
        return [(os.path.basename(src), src)]
    members = []

    def walk(directory, prefix, ancestors):
        for name in sorted(os.listdir(directory)):
            if excluded(name, exclude):
                continue
            path = os.path.join(directory, name)
            if not os.path.exists(path):
                raise TreeError(f"{path} is a link to nothing ({os.readlink(path)})")
            members.append((prefix + name, path))
            if os.path.isdir(path):
                real = os.path.realpath(path)
                if real in ancestors:
                    raise TreeError(f"{path} is a link to a directory it is inside of ({real})")
                walk(path, prefix + name + "/", ancestors | {real})

    walk(src, "", {os.path.realpath(src)})
    return members


def file_entries(src, exclude=()):
    """The files of tree_members as ansible.builtin.find describes them (path, sha1 checksum, mode
    as four octal digits), which is what release names have always been made from."""
    entries = []
    for dummy, path in tree_members(src, exclude):
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            continue
        digest = hashlib.sha1()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                digest.update(block)
        entries.append({"path": path, "checksum": digest.hexdigest(), "mode": "%04o" % stat.S_IMODE(status.st_mode)})
    return entries
