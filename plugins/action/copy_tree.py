"""Copies a directory of the controller, or one file, into a directory of the host as one archive.

ansible.builtin.copy makes about three round trips per file of a directory; an app of a few hundred
files then takes minutes. Here the controller packs the tree into one gzipped tar, which is sent
once and unpacked by ansible.builtin.unarchive: two round trips whatever the number of files.
"""

import os
import tarfile
import tempfile

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.pyweb.deploy.plugins.module_utils.code_tree import TreeError, tree_members

ARGUMENT_SPEC = {
    "src": {"type": "path", "required": True},
    "dest": {"type": "path", "required": True},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "mode": {"type": "raw"},
    "exclude": {"type": "list", "elements": "str", "default": []},
}


def pack(src, archive, exclude=()):
    """Write what copying src brings (code_tree.tree_members) to the gzipped tar archive (a path),
    owned by root, with the modes the files have. Returns the number of files and directories."""
    members = tree_members(src, exclude)
    # dereference: each entry describes what a link points to, and the copy is of that.
    with tarfile.open(archive, "w:gz", dereference=True) as tar:
        for name, path in members:
            info = tar.gettarinfo(path, arcname=name)
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
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        src = os.path.expanduser(args["src"])
        archive = None
        try:
            fd, archive = tempfile.mkstemp(suffix=".tar.gz", dir=C.DEFAULT_LOCAL_TMP)
            os.close(fd)
            try:
                count = pack(src, archive, args["exclude"])
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
