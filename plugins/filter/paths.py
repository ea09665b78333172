"""Paths and entries for the files module (plugins/modules/files.py), made from names."""


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


class FilterModule:
    def filters(self):
        return {"paths_under": paths_under, "path_entries": path_entries}
