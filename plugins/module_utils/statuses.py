"""HTTP statuses as the health checks' rule names them: a status ("204") or a range ("200-399"),
from 100 to 599. Shared by the http_probe module and the roles' input rules."""

import re

_ENTRY = re.compile(r"\s*([1-5][0-9][0-9])\s*(?:-\s*([1-5][0-9][0-9])\s*)?")


def status_range(entry):
    """entry as a (first, last) pair of statuses, or None when it is not a status or a range."""
    match = _ENTRY.fullmatch(str(entry))
    if not match:
        return None
    first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    return (first, last) if last >= first else None
