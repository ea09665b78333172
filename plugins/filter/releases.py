"""Filters for the gunicorn role's releases: what a release is named, which releases and
virtualenvs are kept, which one a rollback serves, where a release's health is asked, and what a
failed deploy says.

Each is a plain function of its inputs (lists of `find` results, names, numbers), so
tests/test_releases.py checks it without a host.
"""

import hashlib
import json
import os

from ansible_collections.pyweb.deploy.plugins.filter.sources import requirements_id
from ansible_collections.pyweb.deploy.plugins.module_utils import changes, history


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


def release_plan(inputs):
    """What a deploy builds, from plain inputs (the gunicorn role's fetch.yml plans it once, after
    the code's fingerprint): the names of the release and of its virtualenv, their directories,
    and the command that builds the virtualenv as the app user.

    inputs: app_root; src (the code's directory on the controller) and files (its fingerprint,
    code_files); package (the package's path on the controller, or ""); project (pip installs the
    code); requirements (the requirements file's name in the code, "" when none is used); python,
    packages and worker_class (gunicorn's); shared_dirs (linked into every release),
    build_command, pre_start_command, static_dir; instance (the Flask import name whose instance
    folder is linked into the virtualenv, or ""); installer (the uv binary that builds the
    virtualenv, or "pip"; not part of any name, so a change of installer rebuilds nothing).

    A release is <code>-<server>-<requirements>: its code with what changes what the release
    holds, gunicorn and the interpreter (what a running master holds), the app's requirements. The
    same inputs give the names earlier versions of the collection gave."""
    root, src, files = inputs["app_root"], inputs["src"], inputs["files"]
    package, project, requirements = inputs.get("package") or "", inputs.get("project"), inputs.get("requirements")
    code_inputs = {"shared_dirs": list(inputs.get("shared_dirs") or []),
                   "build_command": inputs.get("build_command") or "",
                   "pre_start_command": inputs.get("pre_start_command") or ""}
    if inputs.get("static_dir"):
        code_inputs["static_dir"] = inputs["static_dir"]
    code = code_id(files, src, code_inputs)
    server = _digest(json.dumps({"python": inputs["python"], "packages": list(inputs["packages"])}), 8)
    venv = "%s-%s" % (server, requirements_id({
        "package": files[0]["checksum"] if package else "",
        "requirements": "%s/%s" % (src, requirements) if requirements and not package else "",
        "project": code if project else "",
        "instance": inputs.get("instance") or ""}))
    release = "%s-%s" % (code, venv)
    release_dir, venv_dir = "%s/releases/%s" % (root, release), "%s/venvs/%s" % (root, venv)
    if package:
        requirement_args = ["%s/%s" % (release_dir, os.path.basename(package))]
    else:
        requirement_args = ((["-r", "%s/%s" % (release_dir, requirements)] if requirements else [])
                            + ([release_dir] if project else []))
    instance_link = "%s/shared/instance|var/%s-instance" % (root, inputs["instance"]) if inputs.get("instance") else ""
    # The code's files by their path in the release, kept there for the summary of what the next
    # release changes (plugins/module_utils/changes.py).
    manifest = ({os.path.basename(package): files[0]["checksum"]} if package
                else changes.manifest(files, src))
    return {
        "code_id": code, "server_id": server, "venv_id": venv, "release_id": release,
        "release_dir": release_dir, "venv_dir": venv_dir, "manifest": manifest,
        "venv_build_argv": ["%s/bin/run" % root, "--in", release_dir, "%s/bin/build-venv" % root, venv_dir,
                            inputs["python"], inputs["worker_class"], instance_link, inputs.get("installer") or "pip"]
        + list(inputs["packages"]) + requirement_args,
    }


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
    return history.masked(text, secret_values(environment))


# A failure message shows this much of what the failed step printed, its end (pip's verdict, a
# traceback's last line, come last).
OUTPUT_LENGTH = 6000

# pip's and uv's words when gunicorn_packages and the app's own pins cannot be installed together.
PIP_CONFLICT = ("ResolutionImpossible", "conflicting dependencies", "Cannot install",
                "No solution found when resolving dependencies")


def still_served(served):
    """What a failure before the switch leaves served: `served`, the release served before, or
    nothing at all on a first deploy."""
    if served:
        return "Release %s, served before, is still served." % served
    return "This was the first deploy of the app: no release of it was served before, and none is now."


def _output(result, environment):
    """What a failed task printed, masked: a command's output, else the module's message."""
    parts = (str(result.get("stdout") or "").strip(), str(result.get("stderr") or "").strip())
    printed = "\n".join(part for part in parts if part)
    text = masked((printed or str(result.get("msg", ""))).strip(), environment)
    if len(text) > OUTPUT_LENGTH:
        text = "..." + text[-OUTPUT_LENGTH:]
    return text


def release_failure(result, context):
    """The message of a deploy that failed before its switch (the gunicorn role's discard.yml):
    the step that failed (the failed task's name) and its exit status, the release it failed for
    (none when only the config changed), what is still served, pip's conflict explained, what the
    step printed, and the end of the tried release's log when it was tried. The app's secrets
    (context["environment"]) are masked throughout."""
    result = result or {}
    environment = context.get("environment") or {}
    step = context.get("step") or "A step of the deploy"
    exit_status = " (exit %s)" % result["rc"] if isinstance(result.get("rc"), int) and result["rc"] else ""
    release = context.get("release")
    if release:
        lines = ["%s failed%s for release %s, so it was not switched to and no request reached it. %s"
                 % (step, exit_status, release, still_served(context.get("served")))]
    else:
        lines = ["%s failed%s; nothing was switched or reloaded. Release %s is still served."
                 % (step, exit_status, context.get("served") or "(none)")]
    output = _output(result, environment)
    if any(word in output for word in PIP_CONFLICT):
        lines.append("%s found the app's requirements and gunicorn_packages %s in conflict: make "
                     "gunicorn_packages and the app agree (e.g. pin the gunicorn, gevent or greenlet "
                     "the app needs in gunicorn_packages)."
                     % (context.get("installer") or "pip", json.dumps(context.get("packages") or [])))
    if output:
        lines.append(output)
    if context.get("log"):
        lines.append("End of its log:\n" + masked(context["log"], environment))
    return "\n".join(lines)


def failure_reason(result):
    """What a failed step said, in a line for the release history: its exit status and the last
    lines of its error output (else of its output, else the module's message). Unmasked: the
    history's action masks the app's secrets."""
    result = result or {}
    for stream in ("stderr", "stdout"):
        lines = [line.strip() for line in str(result.get(stream) or "").splitlines() if line.strip()]
        if lines:
            text = " / ".join(lines[-3:])
            break
    else:
        # A module's message: its first line says what failed, its last ones why (a traceback's end).
        lines = [line.strip() for line in str(result.get("msg") or "").splitlines() if line.strip()]
        text = " / ".join(lines if len(lines) <= 3 else [lines[0], "…"] + lines[-2:])
    if isinstance(result.get("rc"), int) and result["rc"]:
        text = "exit %d: %s" % (result["rc"], text)
    return text


def check_failure(failure, context):
    """The message of a release that failed after its switch (the gunicorn role's switch_back.yml):
    what its health check got (the probe's or the wait for workers' own message), its processes'
    failure to start when failure["processes"], or what its watch saw when failure["watch"], what is
    served again, and the end of the app's error
    log, the app's secrets masked."""
    environment = context.get("environment") or {}
    release = context.get("release")
    message = masked(str(failure.get("message") or "").strip(), environment)
    if failure.get("watch"):
        lines = ["The release %s passed its health check, then failed its watch: %s" % (release, message)]
    elif failure.get("processes"):
        lines = ["The release %s answered its health check, but its processes did not start in it: %s"
                 % (release, message)]
    else:
        lines = ["The release %s failed its health check: %s" % (release, message or "no answer.")]
    if context.get("served"):
        lines.append("Release %s is served again." % context["served"])
    else:
        lines.append("It was the first release: its supervisor programs and jobs were removed.")
    lines.append("End of %s:\n%s" % (context.get("log_file"), masked(context.get("log") or "", environment)))
    return "\n".join(lines)


class FilterModule:
    def filters(self):
        return {
            "code_id": code_id,
            "release_plan": release_plan,
            "newest_first": newest_first,
            "prunable": prunable,
            "rollback_target": rollback_target,
            "health_url": health_url,
            "masked": masked,
            "secret_values": secret_values,
            "release_failure": release_failure,
            "check_failure": check_failure,
            "failure_reason": failure_reason,
        }
