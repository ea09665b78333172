"""A user's app as the roles scenario deploys it: a package with an app factory, static files,
translations compiled at build time, a log file it opens at import relative to its working
directory, and an instance folder holding its config and a database made by a CLI command (the
deploy's pre-start command). Work is queued with rq on Redis (RQ_REDIS_URL) for a worker process,
and a scheduled job records ticks with another CLI command."""

import json
import logging
import os
import sys
import sqlite3
from pathlib import Path

import click
from flask import Flask, abort, request
from flask_babel import Babel, gettext
from redis import Redis
from rq import Queue
from rq.job import Job

HERE = Path(__file__).parent

# Opened on import, relative to the working directory, as many apps do: whoever imports the app
# (the deploy's checks, the build, the pre-start command, gunicorn's workers) writes a line here.
log = logging.getLogger("shop")
if not log.handlers:
    os.makedirs("logs", exist_ok=True)
    handler = logging.FileHandler("logs/shop.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
log.info("imported by uid %d, argv %s", os.getuid(), " ".join(os.path.basename(a) for a in sys.argv[:2]))


def create_app():
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(SHOP_NAME="an unnamed shop")
    # Where Flask's docs keep SECRET_KEY: config.py in the instance folder.
    app.config.from_pyfile("config.py", silent=True)
    # The names the site is reached by, as the deploy hands them over: Flask answers a request for
    # any other Host with 400, so links it builds never carry a name a client made up.
    if os.environ.get("PYWEB_SERVER_NAMES"):
        app.config["TRUSTED_HOSTS"] = os.environ["PYWEB_SERVER_NAMES"].split()
    Babel(app, locale_selector=lambda: request.args.get("lang", "en"))
    release = (HERE / "RELEASE").read_text().strip()
    database = Path(app.instance_path) / "shop.db"

    # What Flask-Talisman and similar extensions do: headers of the app's own on every answer.
    @app.after_request
    def frame_policy(response):
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response

    @app.route("/")
    def index():
        return f"{os.environ.get('SHOP_GREETING', 'no greeting')} from release {release}"

    @app.route("/welcome")
    def welcome():
        return gettext("Welcome to %(shop)s", shop=app.config["SHOP_NAME"])

    @app.route("/signed")
    def signed():
        # Needs SECRET_KEY: without it Flask refuses to sign.
        from itsdangerous import URLSafeSerializer
        return URLSafeSerializer(app.secret_key).dumps("basket")

    @app.route("/scheme")
    def scheme():
        # What the app believes the client used, from the headers gunicorn trusts.
        return request.scheme

    @app.route("/pid")
    def pid():
        return str(os.getppid())

    @app.route("/visits", methods=["POST"])
    def visit():
        with sqlite3.connect(database) as db:
            db.execute("INSERT INTO visits (release) VALUES (?)", (release,))
            return str(db.execute("SELECT COUNT(*) FROM visits").fetchone()[0])

    def redis():
        return Redis.from_url(os.environ.get("RQ_REDIS_URL", "redis://127.0.0.1:6379/0"))

    @app.route("/jobs", methods=["POST"])
    def enqueue():
        job = Queue("shop", connection=redis()).enqueue("shop.jobs.describe", request.form["n"])
        return job.id

    @app.route("/jobs/<job_id>")
    def job_result(job_id):
        job = Job.fetch(job_id, connection=redis())
        if not job.is_finished:
            abort(404)
        return json.loads(job.return_value())

    @app.route("/ticks")
    def ticks():
        with sqlite3.connect(database) as db:
            rows = db.execute("SELECT at, release, uid, note FROM ticks ORDER BY at DESC LIMIT 1").fetchall()
        return [dict(zip(("at", "release", "uid", "note"), row)) for row in rows]

    @app.cli.command("init-db")
    def init_db():
        """Create the database in the instance folder, keeping what is there."""
        with sqlite3.connect(database) as db:
            db.execute("CREATE TABLE IF NOT EXISTS visits (release TEXT)")
            db.execute("CREATE TABLE IF NOT EXISTS ticks (at REAL, release TEXT, uid INTEGER, note TEXT)")
        click.echo(f"database ready for release {release}")

    @app.cli.command("tick")
    @click.argument("note")
    def tick(note):
        """Record that the scheduled job ran, in which release and as whom."""
        import time
        with sqlite3.connect(database) as db:
            db.execute("INSERT INTO ticks VALUES (?, ?, ?, ?)", (time.time(), release, os.getuid(), note))

    return app
