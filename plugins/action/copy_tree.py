"""Copies a directory of the controller, or one file, into a directory of the host as one archive.

ansible.builtin.copy makes about three round trips per file of a directory; an app of a few hundred
files then takes minutes. Here the controller packs the tree into one gzipped tar, which is sent
once and unpacked by ansible.builtin.unarchive: two round trips whatever the number of files.
"""

import os
import stat
import tarfile
import tempfile

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

ARGUMENT_SPEC = {
    "src": {"type": "path", "required": True},
    "dest": {"type": "path", "required": True},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "mode": {"type": "raw"},
}


class TreeError(Exception):
    pass


def tree_members(src):
    """(name in the archive, path on the controller) of what copying src brings: a file as itself,
    a directory as everything under it (not the directory itself), in sorted order, parents before
    their contents. Links are followed, as ansible.builtin.copy follows them on the controller; a
    broken link, or a link to a directory it is inside of, is an error naming it."""
    if not os.path.exists(src):
        raise TreeError(f"{src} does not exist")
    if not os.path.isdir(src):
        return [(os.path.basename(src), src)]
    members = []

    def walk(directory, prefix, ancestors):
        for name in sorted(os.listdir(directory)):
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


def pack(src, archive):
    """Write what copying src brings to the gzipped tar archive (a path), owned by root, with the
    modes the files have. Returns the number of files and directories packed."""
    members = tree_members(src)
    with tarfile.open(archive, "w:gz") as tar:
        for name, path in members:
            info = tar.gettarinfo(path, arcname=name)
            # gettarinfo describes a link itself; the copy is of what it points to.
            if info.issym():
                info = tarfile.TarInfo(name)
                status = os.stat(path)
                info.mode = stat.S_IMODE(status.st_mode)
                info.mtime = status.st_mtime
                if stat.S_ISDIR(status.st_mode):
                    info.type = tarfile.DIRTYPE
                else:
                    info.size = status.st_size
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if info.isfile():
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
    return len(members)


class ActionModule(ActionBase):
    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        src = os.path.expanduser(args["src"])
        archive = None
        try:
            fd, archive = tempfile.mkstemp(suffix=".tar.gz", dir=C.DEFAULT_LOCAL_TMP)
            os.close(fd)
            try:
                count = pack(src, archive)
            except (TreeError, OSError) as error:
                raise AnsibleActionFail(f"copy_tree cannot pack src: {error}") from error
            if self._task.check_mode:
                result.update(changed=True, msg=f"{count} files and directories would be copied")
                return result
            remote = self._connection._shell.join_path(self._connection._shell.tmpdir, "tree.tar.gz")
            self._transfer_file(archive, remote)
            self._fixup_perms2((self._connection._shell.tmpdir, remote))
            module_args = {"src": remote, "dest": args["dest"], "remote_src": True}
            module_args.update((key, args[key]) for key in ("owner", "group", "mode") if args[key] is not None)
            result.update(self._execute_module(module_name="ansible.legacy.unarchive",
                                               module_args=module_args, task_vars=task_vars))
            result.pop("files", None)
            result["count"] = count
            return result
        finally:
            if archive:
                os.unlink(archive)
            self._remove_tmp_path(self._connection._shell.tmpdir)
