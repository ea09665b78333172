"""The scenario's tests import the shared helpers (molecule/shared/pyweb_testing.py) from here."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from pyweb_testing import ROOT, playbook, run_playbook, slow_requests, under_load  # noqa: E402,F401 pylint: disable=unused-import,wrong-import-position
