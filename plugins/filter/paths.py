"""Paths and entries for the files module (plugins/modules/files.py), made from names."""

import os
import re


def paths_under(names, base="", prefix="", suffix=""):
    """Each name as a path in base, between prefix and suffix:
    [80, 443] | pyweb.deploy.paths_under('/etc/nginx/conf.d', prefix='site-', suffix='.conf')."""
    if isinstance(names, (str, dict)):
        raise TypeError("paths_under needs a list of names")
    directory = base.rstrip("/") + "/" if base else ""
    return [directory + prefix + str(name).lstrip("/") + suffix for name in names]


def path_entries(contents, base="", suffix="", **attributes):
    """One file entry per name of a mapping of names to contents, in base, each with the same
    owner, group and mode: {'config.py': '...'} | pyweb.deploy.path_entries('/opt/shop/instance')."""
    if not isinstance(contents, dict):
        raise TypeError("path_entries needs a mapping of names to contents")
    paths = paths_under(list(contents), base, suffix=suffix)
    return [dict(attributes, path=path, content=contents[name]) for path, name in zip(paths, contents)]


def files_of_unused_ports(paths, ports):
    """Of files named for a port (the first number in the file's name, e.g.
    pyweb-unknown-hosts-8443.conf), those whose port is not among ports."""
    if isinstance(paths, (str, dict)):
        raise TypeError("files_of_unused_ports needs a list of paths")
    used = {str(port) for port in ports}
    unused = []
    for path in paths:
        numbers = re.findall(r"[0-9]+", os.path.basename(path))
        if numbers and numbers[0] not in used:
            unused.append(path)
    return unused


def backups_of(results):
    """The backups that the results of file tasks name: a `backup_file` of a template or copy task,
    the `backups` of a files task."""
    found = []
    for result in results:
        if result.get("backup_file"):
            found.append(result["backup_file"])
        found.extend((result.get("backups") or {}).values())
    return found


class FilterModule:
    def filters(self):
        return {"paths_under": paths_under, "path_entries": path_entries,
                "files_of_unused_ports": files_of_unused_ports, "backups_of": backups_of}
