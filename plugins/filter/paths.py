"""Entries for the files module (plugins/modules/files.py) made from a list of names."""


def path_entries(names, base="", suffix="", prefix="", link_to="", **attributes):
    """One entry per name, under base when given, each with the same state, owner, group and mode:
    ['logs', 'uploads'] | pyweb.deploy.path_entries('/opt/shop/shared', state='directory').
    A mapping of names to contents gives files with those contents; prefix and suffix go around
    every name; link_to makes each a link to the same name in that directory."""
    if isinstance(names, str):
        raise TypeError("path_entries needs a list of names, not one string")
    directory = base.rstrip("/") + "/" if base else ""
    contents = names if isinstance(names, dict) else {}
    entries = []
    for name in names:
        path = (directory + prefix + str(name).lstrip("/") if directory else prefix + str(name)) + suffix
        entry = dict(attributes, path=path)
        if link_to:
            entry.update(state="link", src=link_to.rstrip("/") + "/" + str(name).lstrip("/"))
        if name in contents:
            entry["content"] = contents[name]
        entries.append(entry)
    return entries


class FilterModule:
    def filters(self):
        return {"path_entries": path_entries}
