"""The sample app deployed when no other app is given: the seed recipe's Hello World."""

import os

from flask import Flask


def create_app():
    """Build the app; gunicorn can load it as ``flask_hello:create_app()`` too."""
    app = Flask(__name__)

    @app.route("/")
    def hello():
        return "<h1 style='color:red'>Hello World</h1>"

    @app.route("/healthz")
    def healthz():
        # The release gunicorn serves (PYWEB_RELEASE), for whoever checks what is live.
        return {"status": "ok", "release": os.environ.get("PYWEB_RELEASE", "")}

    return app


app = create_app()
