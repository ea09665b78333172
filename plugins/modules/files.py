#!/usr/bin/python
"""Puts a set of directories, files and links into the state given, in one call to the host."""

DOCUMENTATION = r"""
module: files
short_description: Directories, files with given content, links and removals, all in one call
description:
  - Each entry of I(files) is brought into its state in the order given, so a directory can come
    before the files it holds. One call replaces a task per path, which is most of what a run that
    changes nothing costs.
  - A file's content is given, usually rendered on the controller with the
    C(ansible.builtin.template) lookup. It is written to a temporary file beside its destination,
    checked with I(validate) when given, and moved over the destination, so no half-written or
    unchecked file is ever in place.
  - Supports check mode and diff mode. Entries holding secrets belong in a task of their own with
    C(no_log), since the diff shows contents.
options:
  files:
    description: What to put in place, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path of the directory, file or link. Give it or I(paths).
        type: path
      paths:
        description: Several absolute paths brought into the same state, with the same owner,
          group and mode, in the order given.
        type: list
        elements: path
      skip:
        description: Leave the entry out, e.g. C("{{ not tls }}") for what only some runs need.
        type: bool
        default: false
      state:
        description:
          - C(directory) makes it and its missing parents, which get the same owner, group and
            mode.
          - C(file) writes I(content) when it differs.
          - C(link) makes a symbolic link to I(src); an existing link is pointed there, anything
            else in the way is an error.
          - C(absent) removes it, with everything inside a directory.
        type: str
        choices: [directory, file, link, absent]
        default: file
      content:
        description: The whole content of a file.
        type: str
      src:
        description: Where a link points.
        type: str
      src_dir:
        description: For links given as I(paths), the directory each points into, to the entry of
          the link's own name.
        type: str
      owner:
        description: Owner of a directory or file; left as it is when not given.
        type: str
      group:
        description: Group of a directory or file; left as it is when not given.
        type: str
      mode:
        description: Octal mode of a directory or file, e.g. C("0640"); left as it is when not given.
        type: str
      force:
        description: For a link, replace a file or directory in its way instead of failing.
        type: bool
        default: false
      validate:
        description: Command that checks a new file before it is moved in place; C(%s) is the new
          file's path. A non-zero exit fails the task and leaves the destination as it was.
        type: str
      backup:
        description: Keep the file a new content replaces, beside it (C(<path>.<pid>.<time>~)), so
          that a later step can put it back; I(backups) says where.
        type: bool
        default: false
  hide:
    description: Values, such as the app's secrets, shown as C(********) wherever they would
      appear in what the task returns, the output of a failed I(validate) and the diff included.
      Give only values long enough not to mask unrelated text.
    type: list
    elements: str
    default: []
author: pyweb.deploy maintainers (@pyweb)
"""

EXAMPLES = r"""
- name: Put a site's directory, its config (checked before it is moved in) and a link in place
  pyweb.deploy.files:
    files:
      - path: /srv/shop
        state: directory
        owner: root
        group: shop
        mode: "0750"
      - path: /srv/shop/gunicorn.conf.py
        content: "{{ lookup('ansible.builtin.template', 'gunicorn.conf.py.j2') }}"
        owner: root
        group: shop
        mode: "0640"
        validate: python3 -m py_compile %s
      - path: /etc/nginx/sites-enabled/shop
        state: link
        src: /etc/nginx/sites-available/shop

- name: Remove two old program files in one call, masking a secret in what comes back
  pyweb.deploy.files:
    files:
      - paths: [/etc/supervisor/conf.d/old.conf, /etc/supervisor/conf.d/older.conf]
        state: absent
    hide: ["{{ shop_mail_password }}"]
"""

RETURN = r"""
changed_paths:
  description: The paths that were (or in check mode would be) changed, in the order given.
  type: list
  elements: str
  returned: always
created_paths:
  description: The changed paths that did not exist before (directories, files and links made).
  type: list
  elements: str
  returned: always
backups:
  description: For each file replaced with I(backup), the path of the previous file.
  type: dict
  returned: always
"""

import grp
import os
import pwd
import shlex
import shutil
import stat
import subprocess
import time
import tempfile

from ansible.module_utils.basic import AnsibleModule


class FileError(Exception):
    """What is wrong with one entry, said with its path."""


def _uid(owner):
    if owner is None:
        return -1
    try:
        return pwd.getpwnam(owner).pw_uid
    except KeyError:
        raise FileError(f"user {owner!r} does not exist")


def _gid(group):
    if group is None:
        return -1
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise FileError(f"group {group!r} does not exist")


def _mode(mode):
    if mode is None:
        return None
    try:
        value = int(str(mode), 8)
    except ValueError:
        raise FileError(f"mode {mode!r} is not an octal number such as '0644'")
    if not 0 <= value <= 0o7777:
        raise FileError(f"mode {mode!r} is out of range")
    return value


def attribute_changes(info, entry):
    """What differs between the path's stat result and the owner, group and mode wanted."""
    changes = []
    if entry.get("owner") is not None and _uid(entry["owner"]) != info.st_uid:
        changes.append("owner")
    if entry.get("group") is not None and _gid(entry["group"]) != info.st_gid:
        changes.append("group")
    mode = _mode(entry.get("mode"))
    if mode is not None and stat.S_IMODE(info.st_mode) != mode:
        changes.append("mode")
    return changes


def _set_attributes(path, entry):
    os.chown(path, _uid(entry.get("owner")), _gid(entry.get("group")))
    mode = _mode(entry.get("mode"))
    if mode is not None:
        os.chmod(path, mode)


def _lstat(path):
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


class Files:
    """Applies the entries one by one; `check` only reports."""

    def __init__(self, check=False, diff=False):
        self.check = check
        self.want_diff = diff
        self.changed_paths = []
        self.created_paths = []
        self.backups = {}
        self.diffs = []

    def _changed(self, path, before=None, after=None, created=False):
        self.changed_paths.append(path)
        if created:
            self.created_paths.append(path)
        if self.want_diff:
            self.diffs.append({"before_header": path, "after_header": path,
                               "before": before if before is not None else "",
                               "after": after if after is not None else ""})

    def apply(self, entry):
        path = entry["path"]
        if not os.path.isabs(path):
            raise FileError("the path is not absolute")
        getattr(self, "_" + (entry.get("state") or "file"))(path, entry)

    def _directory(self, path, entry):
        info = _lstat(path)
        if info is not None and not stat.S_ISDIR(info.st_mode):
            raise FileError("something other than a directory is in the way")
        if info is None:
            self._changed(path, "(absent)\n", "directory\n", created=True)
            _mode(entry.get("mode"))
            if not self.check:
                # Parents made here get the same owner, group and mode, as Ansible's file module
                # gives them.
                made, parent = [], path
                while not os.path.lexists(parent):
                    made.append(parent)
                    parent = os.path.dirname(parent)
                os.makedirs(path)
                for directory in reversed(made):
                    _set_attributes(directory, entry)
            return
        self._fix_attributes(path, info, entry)

    def _fix_attributes(self, path, info, entry):
        """Owner, group and mode of something that is already what the entry wants."""
        changes = attribute_changes(info, entry)
        if changes:
            self._changed(path, *self._attribute_diff(info, entry, changes))
            if not self.check:
                _set_attributes(path, entry)

    def _file(self, path, entry):
        if entry.get("content") is None:
            raise FileError("a file needs its content")
        content = entry["content"].encode()
        info = _lstat(path)
        if info is not None and not stat.S_ISREG(info.st_mode):
            raise FileError("something other than a regular file is in the way")
        before = _read(path) if info is not None else None
        if before == content:
            self._fix_attributes(path, info, entry)
            return
        if not os.path.isdir(os.path.dirname(path)):
            # In check mode an earlier task of the same run would have made it.
            if not self.check:
                raise FileError("its directory does not exist")
        # Owner and group are looked up even in check mode, so a wrong name fails there too,
        # unless an earlier task of the same run would have created it.
        try:
            _uid(entry.get("owner"))
            _gid(entry.get("group"))
        except FileError:
            if not self.check:
                raise
        _mode(entry.get("mode"))
        shown = before.decode(errors="replace") if before is not None else None
        if self.check:
            self._changed(path, shown, entry["content"], created=before is None)
            return
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".pyweb-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            # A file that exists keeps what the entry does not say; a new one is 0644.
            wanted = dict(entry)
            if info is not None:
                os.chown(temporary, info.st_uid, info.st_gid)
            if wanted.get("mode") is None:
                wanted["mode"] = "%o" % (stat.S_IMODE(info.st_mode) if info is not None else 0o644)
            _set_attributes(temporary, wanted)
            if entry.get("validate"):
                self._validate(entry["validate"], temporary)
            if entry.get("backup") and info is not None:
                # A second name for the file being replaced: the rename below leaves it there.
                backup = "%s.%d.%s~" % (path, os.getpid(), time.strftime("%Y-%m-%d@%H:%M:%S"))
                os.link(path, backup)
                self.backups[path] = backup
            os.rename(temporary, path)
            self._changed(path, shown, entry["content"], created=before is None)
        finally:
            if os.path.lexists(temporary):
                os.unlink(temporary)

    @staticmethod
    def _validate(command, path):
        if "%s" not in command:
            raise FileError(f"validate {command!r} needs %s where the new file's path goes")
        argv = [part.replace("%s", path) for part in shlex.split(command)]
        run = subprocess.run(argv, capture_output=True, text=True, check=False)
        if run.returncode != 0:
            raise FileError(f"validate {command!r} refused the new file (exit {run.returncode}): "
                            f"{(run.stdout + run.stderr).strip()}")

    def _link(self, path, entry):
        target = entry.get("src")
        if not target:
            raise FileError("a link needs src")
        info = _lstat(path)
        in_the_way = info is not None and not stat.S_ISLNK(info.st_mode)
        if in_the_way and not entry.get("force"):
            raise FileError("something other than a link is in the way")
        before = os.readlink(path) if info is not None and not in_the_way else None
        if before == target:
            return
        self._changed(path, f"-> {before}\n" if before else "(absent)\n", f"-> {target}\n", created=before is None)
        if self.check:
            return
        temporary = os.path.join(os.path.dirname(path), f".pyweb-link-{os.getpid()}-{os.path.basename(path)}")
        if os.path.lexists(temporary):
            os.unlink(temporary)
        os.symlink(target, temporary)
        if in_the_way and stat.S_ISDIR(info.st_mode):
            shutil.rmtree(path)
        os.rename(temporary, path)

    def _absent(self, path, entry):
        info = _lstat(path)
        if info is None:
            return
        kind = "directory" if stat.S_ISDIR(info.st_mode) else "file"
        self._changed(path, f"{kind}\n", "(absent)\n")
        if self.check:
            return
        if kind == "directory":
            shutil.rmtree(path)
        else:
            os.unlink(path)

    @staticmethod
    def _attribute_diff(info, entry, changes):
        now = {"owner": _name(pwd.getpwuid, info.st_uid), "group": _name(grp.getgrgid, info.st_gid),
               "mode": "%04o" % stat.S_IMODE(info.st_mode)}
        wanted = {"owner": entry.get("owner"), "group": entry.get("group"),
                  "mode": "%04o" % _mode(entry.get("mode")) if entry.get("mode") is not None else None}
        return ("".join(f"{key}: {now[key]}\n" for key in changes),
                "".join(f"{key}: {wanted[key]}\n" for key in changes))


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def expand(entries):
    """The entries to apply: skipped ones left out, one per path of an entry with paths."""
    expanded = []
    for index, entry in enumerate(entries):
        if entry.get("skip"):
            continue
        given = [entry.get("path")] if entry.get("path") else []
        if (entry.get("path") is None) == (entry.get("paths") is None):
            raise FileError(f"entry {index + 1} needs either path or paths")
        for path in given or entry["paths"]:
            one = {key: value for key, value in entry.items() if key not in ("paths", "skip", "src_dir")}
            one["path"] = path
            if entry.get("src_dir"):
                one["src"] = entry["src_dir"].rstrip("/") + "/" + os.path.basename(path)
            expanded.append(one)
    return expanded


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type="list", elements="dict", required=True, options=dict(
                path=dict(type="path"),
                paths=dict(type="list", elements="path"),
                skip=dict(type="bool", default=False),
                state=dict(type="str", choices=["directory", "file", "link", "absent"], default="file"),
                content=dict(type="str"),
                src=dict(type="str"),
                src_dir=dict(type="str"),
                owner=dict(type="str"),
                group=dict(type="str"),
                mode=dict(type="str"),
                force=dict(type="bool", default=False),
                validate=dict(type="str"),
                backup=dict(type="bool", default=False),
            )),
            # Ansible masks the values of a no_log option in everything the module returns.
            hide=dict(type="list", elements="str", default=[], no_log=True),
        ),
        supports_check_mode=True,
    )
    files = Files(check=module.check_mode, diff=module._diff)
    try:
        entries = expand(module.params["files"])
    except FileError as error:
        module.fail_json(msg=str(error))
    for entry in entries:
        try:
            files.apply(entry)
        except (FileError, OSError) as error:
            module.fail_json(msg=f"{entry['path']}: {error}", changed=bool(files.changed_paths),
                             changed_paths=files.changed_paths, backups=files.backups)
    result = dict(changed=bool(files.changed_paths), changed_paths=files.changed_paths,
                  created_paths=files.created_paths, backups=files.backups)
    if module._diff:
        result["diff"] = files.diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
