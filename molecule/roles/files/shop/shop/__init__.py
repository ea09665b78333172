"""A user's app as the roles scenario deploys it: a package with an app factory."""

import os
from pathlib import Path

from flask import Flask


def create_app():
    app = Flask(__name__)
    release = (Path(__file__).parent / "RELEASE").read_text().strip()

    @app.route("/")
    def index():
        return f"{os.environ.get('SHOP_GREETING', 'no greeting')} from release {release}"

    @app.route("/scheme")
    def scheme():
        # What the app believes the client used, from the headers gunicorn trusts.
        from flask import request
        return request.scheme

    @app.route("/pid")
    def pid():
        return str(os.getppid())

    return app
