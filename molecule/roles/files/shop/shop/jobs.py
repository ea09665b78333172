"""What the shop's worker does with queued work."""

import json
import os
from pathlib import Path


def describe(n):
    """Square n, saying which release's worker did it and as whom."""
    release = (Path(__file__).parent / "RELEASE").read_text().strip()
    return json.dumps({"square": int(n) ** 2, "release": release, "uid": os.getuid(), "pid": os.getpid()})
