"""After `site.yml --check --diff` on a fresh host (molecule's check step, which fails on any
failed task), the host has none of what a real run would have made."""

import pytest


@pytest.mark.parametrize("package", ["nginx", "supervisor", "python3-venv"])
def test_no_package_was_installed(host, package):
    assert not host.package(package).is_installed


@pytest.mark.parametrize("path", ["/opt/flask_hello", "/etc/nginx", "/etc/supervisor",
                                  "/var/log/flask_hello", "/etc/tmpfiles.d/pyweb-supervisor.conf"])
def test_nothing_was_written(host, path):
    assert not host.file(path).exists


def test_no_user_was_made(host):
    assert not host.user("flask_hello").exists
    assert not host.group("flask_hello").exists
