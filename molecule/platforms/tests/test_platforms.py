"""On Debian 11 and 13, besides the default scenario's test_default.py and test_tls.py (shared):
the app's virtualenv is made with the release's own Python."""

import pytest

PYTHON = {"11": "3.9", "13": "3.13"}


@pytest.fixture()
def release(host):
    return host.system_info.release.split(".")[0]


def test_the_virtualenv_uses_the_release_python(host, release):
    version = host.check_output("/opt/flask_hello/current/venv/bin/python -c "
                                "'import sys; print(\"%d.%d\" % sys.version_info[:2])'")
    assert version == PYTHON[release]
