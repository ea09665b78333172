"""Filters for the gunicorn role's releases: what a release is named, which releases and
virtualenvs are kept, which one a rollback serves, and where a release's health is asked.

Each is a plain function of its inputs (lists of `find` results, names, numbers), so
tests/test_releases.py checks it without a host.
"""

import hashlib
import json
import os


def _digest(text, length):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def code_id(files, src, inputs=None):
    """A release's code, named by 12 hex digits of a hash over each file's path (relative to src),
    checksum and mode, and over the inputs that change what the release holds (shared directories,
    build and pre-start commands) when any of them is set. The order `find` lists files in does not
    matter; the same code gives the same name, the name earlier versions of the collection gave."""
    # Ordered as Jinja's sort filter orders them (ignoring case), which named the releases before.
    entries = sorted(files, key=lambda f: f["path"].lower())
    hashed = [[os.path.relpath(f["path"], src), f["checksum"], f["mode"]] for f in entries]
    if inputs and any(inputs.values()):
        hashed.append(inputs)
    return _digest(json.dumps(hashed), 12)


def newest_first(found):
    """The names of the directories of `find` results, the most recently made first."""
    return [os.path.basename(f["path"]) for f in sorted(found, key=lambda f: f["mtime"], reverse=True)]


def prunable(found, releases_dir, venvs_dir, keep):
    """What to remove after a deploy: every release but the `keep` newest, and every virtualenv
    none of those uses (a release <code>-<venv> uses the virtualenv <venv>)."""
    def inside(directory):
        return [f for f in found if os.path.dirname(os.path.normpath(f["path"])) == os.path.normpath(directory)]

    releases = newest_first(inside(releases_dir))
    kept = releases[:max(int(keep), 1)]
    used = {name.split("-", 1)[1] for name in kept if "-" in name}
    venvs = [os.path.basename(f["path"]) for f in inside(venvs_dir)]
    releases_dir, venvs_dir = os.path.normpath(releases_dir), os.path.normpath(venvs_dir)
    return ([os.path.join(releases_dir, name) for name in releases if name not in kept]
            + [os.path.join(venvs_dir, name) for name in sorted(venvs) if name not in used])


def rollback_target(kept, serving, wanted=""):
    """The release a rollback serves: `wanted` when given, else the newest kept one other than the
    one served ("" when there is none). `kept` is newest first."""
    if wanted:
        return wanted
    return next((name for name in kept if name != serving), "")


def health_url(path, host, port, unix_socket=False):
    """Where the health check asks gunicorn itself: on loopback when it listens on every address
    (0.0.0.0, ::), an IPv6 address in brackets; any host name over a Unix socket."""
    if unix_socket:
        return "http://localhost" + path
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return "http://%s:%s%s" % ("[%s]" % host if ":" in host else host, port, path)


# Values shorter than this are not masked: "1", "true" or "en" would blank out the log around them.
MASKED_LENGTH = 6


def secret_values(environment):
    """The values of the app's environment long enough to mask (MASKED_LENGTH), longest first."""
    return sorted({str(v) for v in (environment or {}).values() if len(str(v)) >= MASKED_LENGTH},
                  key=len, reverse=True)


def masked(text, environment):
    """text (a log's end, echoed in a failure message) with every value of the app's environment
    of MASKED_LENGTH characters or more replaced by ********, longest first, so that a secret the
    app or a library wrote to its log does not reach the controller's output."""
    for value in secret_values(environment):
        text = text.replace(value, "********")
    return text


class FilterModule:
    def filters(self):
        return {
            "code_id": code_id,
            "newest_first": newest_first,
            "prunable": prunable,
            "rollback_target": rollback_target,
            "health_url": health_url,
            "masked": masked,
            "secret_values": secret_values,
        }
