"""A user's app as the roles scenario deploys it: a package with an app factory, static files, and
an instance folder it writes to, made ready by a CLI command (the deploy's pre-start command)."""

import os
import sqlite3
from pathlib import Path

import click
from flask import Flask, request


def create_app():
    app = Flask(__name__)
    release = (Path(__file__).parent / "RELEASE").read_text().strip()
    database = Path(app.instance_path) / "shop.db"

    @app.route("/")
    def index():
        return f"{os.environ.get('SHOP_GREETING', 'no greeting')} from release {release}"

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

    @app.cli.command("init-db")
    def init_db():
        """Create the database in the instance folder, keeping what is there."""
        with sqlite3.connect(database) as db:
            db.execute("CREATE TABLE IF NOT EXISTS visits (release TEXT)")
        click.echo(f"database ready for release {release}")

    return app
