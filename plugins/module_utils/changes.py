"""What a new release changes against the one served (plugins/action/release_changes.py): its
files, its requirements, its commits and the migrations it brings, in a few lines a person reads
before the switch.

Plain functions of their inputs, so tests/test_changes.py checks them without a host."""

import difflib
import hashlib
import hmac
import json
import os
import re
import subprocess

from ansible_collections.pyweb.deploy.plugins.module_utils import history

# Each list is shown up to this many names; the counts are whole.
SHOWN = 10
# The manifest of a release's code: each file of the code as the controller sent it, by its path
# in the release, with its checksum (the gunicorn role writes it into the release at build).
MANIFEST = ".pyweb-code.json"
REVISION = re.compile(r"""^revision\s*(?::\s*str\s*)?=\s*['"]([^'"]+)['"]""", re.M)
MESSAGE = re.compile(r'^"""(.*?)$', re.M)
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")


def manifest(files, src):
    """The manifest of the code the controller sends: {path in the release: checksum}."""
    return {os.path.relpath(f["path"], src): f["checksum"] for f in files}


def file_changes(served, new):
    """The files added, removed and changed between two manifests, each sorted."""
    return {"added": sorted(set(new) - set(served)),
            "removed": sorted(set(served) - set(new)),
            "changed": sorted(p for p in set(new) & set(served) if new[p] != served[p])}


def requirements(text):
    """{name: what it asks for} of a requirements file; options, comments and blank lines left out."""
    found = {}
    for line in (text or "").splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        match = REQUIREMENT.match(line)
        if match:
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            found[name] = (match.group(2) or "") + match.group(3).strip()
    return found


def requirement_changes(served, new):
    """Each requirement that changes, as "name old → new", "+ name spec" or "- name spec"."""
    lines = []
    for name in sorted(set(served) | set(new)):
        if name not in served:
            lines.append("+ %s %s" % (name, new[name] or "(any version)"))
        elif name not in new:
            lines.append("- %s %s" % (name, served[name] or "(any version)"))
        elif served[name] != new[name]:
            lines.append("%s %s → %s" % (name, served[name] or "(any version)", new[name] or "(any version)"))
    return lines


def revisions(files):
    """{revision: its message} of Alembic migration files (path → text): the `revision` each
    declares and the first line of its docstring."""
    found = {}
    for path, text in sorted(files.items()):
        match = REVISION.search(text or "")
        if match:
            message = MESSAGE.search(text)
            found[match.group(1)] = (message.group(1).strip() if message else os.path.basename(path))
    return found


def migration_files(directory):
    """path → text of the migration files in directory/versions (Flask-Migrate's and Alembic's
    layout), {} when there is none."""
    versions = os.path.join(directory, "versions")
    if not os.path.isdir(versions):
        return {}
    found = {}
    for name in sorted(os.listdir(versions)):
        if name.endswith(".py"):
            with open(os.path.join(versions, name), encoding="utf-8", errors="replace") as stream:
                found[name] = stream.read(64 * 1024)
    return found


def read_text(path, limit=1024 * 1024):
    """The text of the file at path, at most limit characters; None when there is no such file."""
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            return stream.read(limit)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def read_served(app_root, current="", served="", release="", requirements="", migrations="migrations",
                config_path="", environment_path="", history_path="", digest_key=""):
    """What the host holds of the served release, read as root before anything changes: the
    release `current` points at (or `served`), its manifest, requirements and migrations and the
    commit its history record names (only when `release`, the release of this run, is another one),
    the gunicorn config as served and the app's environment as digests of its values (keyed with
    digest_key, when given)."""
    if current and os.path.islink(current):
        served = os.path.basename(os.readlink(current))
    found = {"release": served, "manifest": None, "requirements_text": None, "migrations": {}, "git_commit": "",
             "config": read_text(config_path) if config_path else None, "environment": None}
    if environment_path:
        text = read_text(environment_path)
        try:
            found["environment"] = value_digests(json.loads(text), digest_key) if text is not None else {}
        except ValueError:
            found["environment"] = None
    if served and served != release:
        release_dir = os.path.join(app_root, "releases", served)
        text = read_text(os.path.join(release_dir, MANIFEST))
        if text is not None:
            try:
                found["manifest"] = json.loads(text)
            except ValueError:
                pass
        if requirements:
            found["requirements_text"] = read_text(os.path.join(release_dir, requirements))
        found["migrations"] = migration_files(os.path.join(release_dir, migrations))
        if history_path:
            code = history.code_of(history.read(history_path), served)
            found["git_commit"] = (code.get("git") or {}).get("commit", "")
    return found


def commits(clone, served_commit, new_commit, limit=SHOWN):
    """The commits from the served one to the new one in the controller's clone, newest first
    ("abc1234 subject"), with how many there are; None when git cannot say (no served commit, or
    one the clone does not have)."""
    if not clone or not served_commit or not new_commit:
        return None
    if served_commit == new_commit:
        return {"count": 0, "shown": []}
    span = "%s..%s" % (served_commit, new_commit)
    try:
        count = subprocess.run(["git", "-C", clone, "rev-list", "--count", span], capture_output=True,
                               text=True, timeout=30, check=False)
        log = subprocess.run(["git", "-C", clone, "log", "--format=%h %s", "-n", str(limit), span],
                             capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if count.returncode != 0 or log.returncode != 0:
        return None
    return {"count": int(count.stdout.strip() or 0), "shown": log.stdout.splitlines()}


def value_digests(environment, key=""):
    """{name: a digest of its value} of the app's environment: what changes, never the values. An
    HMAC with key (the actions make one for each call and never show it): a digest that shows up in
    a verbose run's output cannot be matched against guessed values."""
    return {name: hmac.new(key.encode("utf-8"), str(value).encode("utf-8"), hashlib.sha256).hexdigest()[:16]
            for name, value in (environment or {}).items()}


def environment_changes(served, new):
    """The app's variables added, removed and changed, by name ("+ NAME", "- NAME", "~ NAME")."""
    return (["+ " + n for n in sorted(set(new) - set(served))] + ["- " + n for n in sorted(set(served) - set(new))]
            + ["~ " + n for n in sorted(set(new) & set(served)) if new[n] != served[n]])


def config_diff(served, new, name, limit=5 * SHOWN):
    """A unified diff of a config file, served against new, at most `limit` lines; [] when the
    same (or when there was none before: a first release's config is all new)."""
    if served is None or served == new:
        return []
    lines = [line.rstrip("\n") for line in difflib.unified_diff(
        served.splitlines(True), new.splitlines(True), name + " (served)", name + " (new)", n=1)]
    return lines[:limit] + (["... %d more lines" % (len(lines) - limit)] if len(lines) > limit else [])


def shown(names, limit=SHOWN):
    """names, the first `limit` of them, with how many more there are."""
    return ", ".join(names[:limit]) + (" and %d more" % (len(names) - limit) if len(names) > limit else "")


def summary_lines(app, served, release, changes):
    """The summary a person reads before the switch, a line per item (Ansible shows each line of a
    list on its own)."""
    if served and served == release:
        lines = ["%s: release %s stays served." % (app, release)]
        if changes.get("config"):
            lines += ["Config:"] + ["  " + line for line in changes["config"]]
        if changes.get("environment"):
            lines.append("Environment (names only): %s" % ", ".join(changes["environment"]))
        return lines + ([] if len(lines) > 1 else ["Neither its gunicorn config nor its environment changes."])
    lines = ["%s: release %s replaces %s." % (app, release, served or "nothing (the first release)")]
    git = changes.get("commits")
    if git is not None:
        lines.append("Commits: %d" % git["count"])
        lines += ["  " + c for c in git["shown"]] + (["  ..."] if git["count"] > len(git["shown"]) else [])
    files = changes.get("files")
    if files is None:
        lines.append("Files: the served release has no list of its files (built by an earlier version).")
    else:
        lines.append("Files: %s." % ", ".join("%d %s" % (len(files[k]), k) for k in ("added", "removed", "changed")))
        lines += ["  %s: %s" % (kind, shown(files[kind])) for kind in ("added", "removed", "changed") if files[kind]]
    if changes.get("requirements"):
        lines += ["Requirements:"] + ["  " + r for r in changes["requirements"]]
    elif changes.get("requirements") is not None:
        lines.append("Requirements: unchanged.")
    if changes.get("migrations"):
        lines += ["Migrations the pre-start command would apply:"] + ["  %s %s" % (r, m) for r, m in changes["migrations"]]
    if changes.get("config"):
        lines += ["Config:"] + ["  " + line for line in changes["config"]]
    if changes.get("environment"):
        lines.append("Environment (names only): %s" % ", ".join(changes["environment"]))
    return lines


def bounded(found, limit=SHOWN):
    """The changes as a history record keeps them: counts, and the first `limit` names of each list."""
    kept = {}
    if found.get("commits") is not None:
        kept["commits"] = found["commits"]
    if found.get("files") is not None:
        kept["files"] = {kind: {"count": len(names), "shown": names[:limit]} for kind, names in found["files"].items()}
    if found.get("requirements") is not None:
        kept["requirements"] = found["requirements"][:5 * limit]
    if found.get("migrations"):
        kept["migrations"] = found["migrations"][:5 * limit]
    if found.get("environment"):
        kept["environment"] = found["environment"]
    if found.get("config"):
        kept["config_changed"] = True
    return kept
