"""An app's release history on the host: one JSON object per line, appended at each deploy,
failed deploy, switch-back, rollback and removal (plugins/action/release_history.py builds the
record on the controller, plugins/modules/release_history.py appends it on the host).

Plain functions of their inputs, so tests/test_history.py checks them without a host."""

import fcntl
import grp
import hashlib
import json
import os
import pwd
import re

# A failure's reason is a line or two: the whole output is in the run's own message.
REASON_LENGTH = 300
MASK = "********"


def without_credentials(url):
    """url with any user and password of an https://user:token@host/ address taken out."""
    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]*@", r"\1", url or "")


def masked(value, hide):
    """value (a record, or any part of one) with every string in hide replaced by ********,
    longest first, in every string it holds."""
    if isinstance(value, dict):
        return {key: masked(item, hide) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item, hide) for item in value]
    if isinstance(value, str):
        for secret in sorted(hide or [], key=len, reverse=True):
            if secret:
                value = value.replace(secret, MASK)
    return value


def file_sha256(path):
    """The SHA-256 of the file at path, or "" when there is none."""
    if not path or not os.path.isfile(path):
        return ""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def short_reason(text):
    """A failure's reason as the history keeps it: its first non-empty lines, at most
    REASON_LENGTH characters."""
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    reason = " / ".join(lines)
    return reason if len(reason) <= REASON_LENGTH else reason[:REASON_LENGTH - 1] + "…"


def code_fields(code, describe=""):
    """What the release was built from, as a record says it: the git repository (without
    credentials), commit and the version `git describe` gives it; the package file and its hash;
    the requirements file's hash; gunicorn's packages. Empty parts are left out."""
    fields = {}
    if code.get("git_repo"):
        fields["git"] = {"repo": without_credentials(code["git_repo"]), "commit": code.get("git_commit", ""),
                         "describe": describe}
    if code.get("package"):
        fields["package"] = {"file": os.path.basename(code["package"]), "sha256": file_sha256(code["package"])}
    if code.get("requirements"):
        fields["requirements_sha256"] = file_sha256(code["requirements"])
    if code.get("gunicorn_packages"):
        fields["gunicorn_packages"] = list(code["gunicorn_packages"])
    return fields


def read(path):
    """The records of the history at path, oldest first; a line that is not JSON is skipped."""
    records = []
    try:
        with open(path, encoding="utf-8") as history:
            for line in history:
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
    except FileNotFoundError:
        pass
    return records


def code_of(records, release):
    """The code fields of the newest record that deployed release, for a record (a rollback)
    that serves a release the controller did not build in this run."""
    for record in reversed(records):
        if record.get("release") == release and record.get("code"):
            return record["code"]
    return {}


def complete(record, path):
    """record as the host completes it: the user Ansible logs in as, when the controller could not
    say (sudo's SUDO_USER, or this process's user), and for a rollback without its code, the code of
    the newest record of the history at path that deployed its release."""
    record = dict(record)
    by = dict(record.get("by") or {})
    if not by.get("remote_user"):
        by["remote_user"] = os.environ.get("SUDO_USER") or pwd.getpwuid(os.getuid()).pw_name
    record["by"] = by
    if record.get("event") == "rollback" and not record.get("code"):
        code = code_of(read(path), record.get("release"))
        if code:
            record["code"] = code
    return record


def write(path, record, group="", archive_to=""):
    """Append record to the history at path (then move the history to archive_to, if given). What
    the run did stands whatever happens here: the answer is a warning when the host refused, else
    None."""
    try:
        append(path, record, group)
        if archive_to:
            archive(path, archive_to)
    except OSError as error:
        return "The release history %s did not take this run's record: %s" % (path, error)
    return None


def append(path, record, group="", mode=0o640):
    """Append record as one line to the history at path, made root's and group's with mode if
    it is new. Two runs appending at once each write whole lines (an exclusive lock on the file)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            gid = grp.getgrnam(group).gr_gid if group else -1
        except KeyError:
            gid = -1
        os.fchown(fd, 0 if os.geteuid() == 0 else -1, gid)
        os.fchmod(fd, mode)
        os.write(fd, (json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def archive(path, destination):
    """Append the history at path to destination (root's alone, mode 0600), then remove it: an
    app's history outlives the app's removal."""
    os.makedirs(os.path.dirname(destination), mode=0o700, exist_ok=True)
    with open(path, "rb") as history:
        content = history.read()
    fd = os.open(destination, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.fchmod(fd, 0o600)
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.unlink(path)
