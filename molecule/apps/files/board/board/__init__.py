"""A message board as the apps scenario deploys it: a form protected by a CSRF token (Flask-WTF),
SQLite through Flask-SQLAlchemy in a directory that outlives releases, its schema kept by
Flask-Migrate (`flask --app board db upgrade` before each release is served), and translations
compiled at build time (`pybabel compile`). Only signed-in visitors read it: `/` sends anyone else
to the sign-in page with a 302, as many apps do, and the deploy's health checks ask `/`. A
websocket (flask-sock) at /ws/live answers each line it gets with the board's release, and the
pages' stylesheet is a static file nginx serves."""

import os
from pathlib import Path

from flask import Flask, redirect, render_template, request, session, url_for
from flask_babel import Babel
from flask_migrate import Migrate
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect, FlaskForm
from sqlalchemy import text
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

db = SQLAlchemy()
migrate = Migrate()
csrf = CSRFProtect()
sock = Sock()
RELEASE = (Path(__file__).parent / "RELEASE").read_text().strip()


class LoginForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=40)])


class MessageForm(FlaskForm):
    author = StringField("Name", validators=[DataRequired(), Length(max=40)])
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=500)])


def create_app():
    app = Flask(__name__)
    # From the environment, as a twelve-factor app takes its settings.
    app.config["SECRET_KEY"] = os.environ["BOARD_SECRET_KEY"]
    # data/ is a directory of the deploy's that outlives releases; the working directory is the release.
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.abspath("data/board.db")
    db.init_app(app)
    csrf.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    Babel(app, locale_selector=lambda: request.args.get("lang", "en"))
    sock.init_app(app)

    @sock.route("/ws/live")
    def live(ws):
        while True:
            ws.send(f"release {RELEASE}: {ws.receive()}")

    @app.route("/login", methods=["GET", "POST"])
    def login():
        form = LoginForm()
        if form.validate_on_submit():
            session["name"] = form.name.data
            return redirect(url_for("index"))
        return render_template("login.html", form=form)

    @app.route("/", methods=["GET", "POST"])
    def index():
        if "name" not in session:
            return redirect(url_for("login", next=request.path))
        form = MessageForm()
        if form.validate_on_submit():
            db.session.execute(text("INSERT INTO messages (author, body) VALUES (:a, :b)"),
                               {"a": form.author.data, "b": form.body.data})
            db.session.commit()
            return redirect(url_for("index"))
        # Every column the migrations made so far, so a new one shows without a code change.
        rows = db.session.execute(text("SELECT * FROM messages ORDER BY id")).mappings().all()
        return render_template("index.html", form=form, messages=rows, release=RELEASE)

    @app.route("/healthz")
    def healthz():
        db.session.execute(text("SELECT 1 FROM messages LIMIT 1"))
        return {"release": RELEASE}

    return app
