"""The board, used through nginx as a person would: signed in (its / sends anyone else to the
sign-in page, and it is deployed with the default health check path /), its form read with its
CSRF token, a message posted and read back; then release 2, which brings a migration, deployed over it: the migration ran
before release 2 was served, and the message is still there."""

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import run_playbook
from pyweb_testing import put_script

WS_ECHO = Path(__file__).resolve().parents[2] / "shared" / "ws_echo.py"

SCENARIO = Path(__file__).resolve().parents[1]
SITE = "board.example.test"
JAR = "/root/board.cookies"
MIGRATION_2 = '''"""How many stars a message got."""

from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"


def upgrade():
    op.add_column("messages", sa.Column("stars", sa.Integer, nullable=False, server_default="0"))


def downgrade():
    op.drop_column("messages", "stars")
'''


def board_vars():
    """The variables converge.yml deploys the board with."""
    plays = yaml.safe_load((SCENARIO / "converge.yml").read_text())
    return next(play["vars"] for play in plays if play.get("vars", {}).get("pyweb_app_name") == "board")


def get(host, path="/"):
    return host.check_output("curl -sSf --max-time 5 -b %s -c %s -H 'Host: %s' http://127.0.0.1:81%s",
                             JAR, JAR, SITE, path)


def post(host, path="/", **fields):
    """A form posted as a browser would: with the session cookie; the status code."""
    data = " ".join("--data-urlencode %s" % quote(f"{name}={value}") for name, value in fields.items())
    return host.check_output(
        f"curl -sS --max-time 5 -o /dev/null -w '%{{http_code}}' -b {JAR} -c {JAR} -H 'Host: {SITE}' "
        f"{data} http://127.0.0.1:81{path}")


def quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def messages(page):
    return re.findall(r'<li class="message">([^<]*)</li>', page)


def token(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def sign_in(host):
    """A new session, signed in through the form."""
    host.run("rm -f %s", JAR)
    assert post(host, "/login", csrf_token=token(get(host, "/login")), name="Ada") == "302"


@pytest.fixture(scope="module")
def posted(host):
    sign_in(host)
    status = post(host, csrf_token=token(get(host)), author="Ada", body="The tea room opens at nine.")
    return status


def test_an_anonymous_visitor_is_sent_to_the_sign_in_page(host):
    # What the health checks of both deploys met at /: they count a redirect as alive.
    assert "gunicorn_healthcheck_path" not in board_vars()
    answer = host.check_output("curl -sS --max-time 5 -o /dev/null -w '%%{http_code} %%{redirect_url}' "
                               "-H 'Host: %s' http://127.0.0.1:81/", SITE)
    assert answer == "302 http://127.0.0.1:81/login?next=/", answer


def test_a_message_posted_with_the_forms_token_is_read_back(host, posted):
    # Saved, then redirected to the board, as the app answers a good post.
    assert posted == "302"
    assert messages(get(host)) == ["Ada: The tea room opens at nine."]


def test_a_post_without_the_token_is_refused(host, posted):
    host.run("rm -f %s", JAR)
    assert post(host, author="Mallory", body="no token") == "400"
    sign_in(host)
    assert messages(get(host)) == ["Ada: The tea room opens at nine."]


def test_the_build_step_compiled_the_translations(host, posted):
    assert "<h1>Pinnwand</h1>" in get(host, "/?lang=de")
    assert host.file("/opt/board/current/board/translations/de/LC_MESSAGES/messages.mo").user == "root"


@pytest.mark.parametrize("url", ["ws://127.0.0.1:81/ws/live", "wss://127.0.0.1:8443/ws/live"])
def test_a_websocket_echoes_through_nginx(host, url):
    said = json.loads(host.check_output("timeout 60 python3 %s %s %s first second", put_script(host, WS_ECHO), url, SITE))
    assert said == {"status": "HTTP/1.1 101 Switching Protocols", "answers": ["release 1: first", "release 1: second"]}


def test_https_answers_in_http2_and_http_stays_http1(host):
    asked = "curl -sk --http2 --max-time 5 -o /dev/null -w '%%{http_version}' --resolve %s:8443:127.0.0.1 https://%s:8443/login"
    assert host.check_output(asked, SITE, SITE) == "2"
    assert host.check_output("curl -s --http2 --max-time 5 -o /dev/null -w '%%{http_version}' -H 'Host: %s' "
                             "http://127.0.0.1:81/login", SITE) == "1.1"


def test_the_stylesheet_is_served_by_nginx_compressed(host):
    headers = host.check_output("curl -sS --max-time 5 -H 'Host: %s' -H 'Accept-Encoding: gzip' -D - -o /dev/null "
                                "http://127.0.0.1:81/static/board.css", SITE).lower()
    assert "content-encoding: gzip" in headers and "vary: accept-encoding" in headers, headers
    assert "content-type: text/css" in headers, headers
    # The app's own pages too.
    headers = host.check_output("curl -sS --max-time 5 -H 'Host: %s' -H 'Accept-Encoding: gzip' -D - -o /dev/null "
                                "http://127.0.0.1:81/login", SITE).lower()
    assert "content-encoding: gzip" in headers, headers


def test_release_2_brings_its_migration_and_keeps_the_messages(host, posted, tmp_path):
    source = tmp_path / "board"
    shutil.copytree(SCENARIO / "files" / "board", source)
    (source / "board" / "RELEASE").write_text("2\n")
    (source / "migrations" / "versions" / "0002_stars.py").write_text(MIGRATION_2)
    rc, out = run_playbook("site.yml", dict(board_vars(), gunicorn_app_src=str(source)))
    assert rc == 0, out[-3000:]
    page = get(host)
    assert "release 2" in page
    # The column the migration added shows beside the message release 1 stored.
    assert messages(page) == ["Ada: The tea room opens at nine. (stars: 0)"]
    assert "0002 (head)" in host.check_output("/opt/board/bin/run flask --app board:create_app db current")
    assert host.file("/opt/board/shared/data/board.db").user == "board"
