#!/usr/bin/python
"""Watches the app's answers through nginx after a switch, and fails when the new release answers
worse than the one before it (plugins/module_utils/watch.py)."""

DOCUMENTATION = r"""
module: release_watch
short_description: Watch a new release's answers in nginx's access log
description:
  - Reads the site's access log (the nginx role's C(pyweb) format) for the app's answers in the
    I(baseline_seconds) before I(since) (the switch) and from I(since) on, for I(seconds) from the
    start of the task, and fails as soon as the answers after the switch are worse than those
    before it; else it passes once the time is up and the log's buffer (I(flush)) was written.
  - Worse means more 5xx (a share above I(error_ratio) times the share before, and above
    I(error_rate), with at least I(error_floor) of them, so that a quiet site's stray error does not
    count), or a 95th percentile of the app's answer time above I(latency_ratio) times the one
    before and more than I(latency_floor) seconds longer (with I(min_requests) answers on each
    side).
  - Only answers nginx had from the app count, none it gave itself (its maintenance page, a rate
    limit); with I(upstreams), only those from these addresses. Paths are named without their query
    strings.
  - A log that logrotate moves meanwhile is read to its end, then the new one.
  - Read-only; check mode returns at once.
options:
  log:
    description: The site's access log.
    type: path
    required: true
  since:
    description: When the new release took over (seconds since the epoch).
    type: float
    required: true
  seconds:
    description: How long to watch, from the start of the task.
    type: int
    required: true
  baseline_seconds:
    description: How far before I(since) the answers of the previous release count.
    type: int
    default: 600
  flush:
    description: The log's flush interval, an nginx time (C(5s)); the watch reads that much longer.
    type: str
    default: 5s
  error_ratio:
    description: How many times the share of 5xx before the switch the share after it may reach.
    type: float
    default: 2.0
  error_rate:
    description: The lowest share of 5xx (0 to 1) that counts.
    type: float
    default: 0.01
  error_floor:
    description: The fewest 5xx that count.
    type: int
    default: 5
  latency_ratio:
    description: How many times the 95th percentile answer time before the switch the one after may reach.
    type: float
    default: 3.0
  latency_floor:
    description: How many seconds longer the 95th percentile must be as well.
    type: float
    default: 0.5
  min_requests:
    description: The fewest answers, before and after the switch, for the answer times to count.
    type: int
    default: 20
  upstreams:
    description: Only answers from these upstream addresses count (C(host:port)); all when empty.
    type: list
    elements: str
    default: []
  max_bytes:
    description: How much of the log's end is read for the answers before the switch.
    type: int
    default: 67108864
author: pyweb.deploy maintainers (@pyweb)
"""

EXAMPLES = r"""
- name: Watch the new release's answers for a minute
  pyweb.deploy.release_watch:
    log: /var/log/nginx/shop.access.log
    since: "{{ switched_at }}"
    seconds: 60
"""

RETURN = r"""
before:
  description: The answers before the switch - requests, errors (5xx), error_rate, p95 (seconds), failing_paths.
  type: dict
  returned: always
after:
  description: The same, after the switch.
  type: dict
  returned: always
watched:
  description: How many seconds the watch ran.
  type: float
  returned: always
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pyweb.deploy.plugins.module_utils import watch


class Log:
    """The log file, followed: new lines on each read(), across a rotation."""

    def __init__(self, path, max_bytes):
        self.path = path
        self.stream = None
        self.pending = b""
        if os.path.exists(path):
            self.stream = open(path, "rb")  # pylint: disable=consider-using-with
            size = os.fstat(self.stream.fileno()).st_size
            if size > max_bytes:
                self.stream.seek(size - max_bytes)
                self.stream.readline()

    def _lines(self):
        data = self.pending + self.stream.read()
        lines = data.split(b"\n")
        self.pending = lines.pop()
        return [line.decode("utf-8", "replace") for line in lines]

    def read(self):
        lines = []
        if self.stream is not None:
            lines = self._lines()
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            return lines
        if self.stream is None or inode != os.fstat(self.stream.fileno()).st_ino:
            if self.stream is not None:
                lines += self._lines()
                self.stream.close()
            self.stream, self.pending = open(self.path, "rb"), b""  # pylint: disable=consider-using-with
            lines += self._lines()
        return lines


def main():
    module = AnsibleModule(
        argument_spec=dict(
            log=dict(type="path", required=True),
            since=dict(type="float", required=True),
            seconds=dict(type="int", required=True),
            baseline_seconds=dict(type="int", default=600),
            flush=dict(type="str", default="5s"),
            error_ratio=dict(type="float", default=2.0),
            error_rate=dict(type="float", default=0.01),
            error_floor=dict(type="int", default=5),
            latency_ratio=dict(type="float", default=3.0),
            latency_floor=dict(type="float", default=0.5),
            min_requests=dict(type="int", default=20),
            upstreams=dict(type="list", elements="str", default=[]),
            max_bytes=dict(type="int", default=64 * 1024 * 1024),
        ),
        supports_check_mode=True,
    )
    p = module.params
    empty = watch.summary([])
    if module.check_mode:
        module.exit_json(changed=False, before=empty, after=empty, watched=0.0)
    try:
        flush = watch.nginx_seconds(p["flush"])
    except ValueError as error:
        module.fail_json(msg="flush: %s" % error)
    limits = {k: p[k] for k in ("error_ratio", "error_rate", "error_floor", "latency_ratio", "latency_floor",
                                "min_requests")}
    started = time.time()
    end = started + p["seconds"]
    log = Log(p["log"], p["max_bytes"])
    before, after = [], []
    old, new = watch.summary(before), watch.summary(after)
    while True:
        count = len(before), len(after)
        for line in log.read():
            answer = watch.parse(line)
            if answer is None or (p["upstreams"] and answer.upstream not in p["upstreams"]):
                continue
            if p["since"] - p["baseline_seconds"] <= answer.time < p["since"]:
                before.append(answer)
            elif p["since"] <= answer.time <= end:
                after.append(answer)
        # Summed again only when new answers came: a busy site's baseline holds hundreds of
        # thousands, and it is complete a flush interval after the switch.
        if len(before) != count[0]:
            old = watch.summary(before)
        if len(after) != count[1]:
            new = watch.summary(after)
        found = watch.verdict(old, new, limits)
        watched = round(time.time() - started, 1)
        if found:
            paths = watch.failing_paths(new)
            module.fail_json(msg="In the first %g s of its watch, %s.%s" % (
                watched, found, " Failing: %s." % paths if paths else ""), before=old, after=new, watched=watched)
        if time.time() >= end + flush + 1:
            break
        time.sleep(min(1.0, max(0.0, end + flush + 1 - time.time())))
    module.exit_json(changed=False, before=old, after=new, watched=watched,
                     msg="%d answers in the %g s of its watch, %d of them 5xx; %d in the %d s before the switch, %d of them 5xx." % (
                         new["requests"], watched, new["errors"], old["requests"], p["baseline_seconds"], old["errors"]))


if __name__ == "__main__":
    main()
