"""Runs the board's migrations on the database of the app Flask-Migrate is called for."""

from alembic import context
from flask import current_app

database = current_app.extensions["migrate"].db

with database.engine.connect() as connection:
    context.configure(connection=connection, target_metadata=database.metadata)
    with context.begin_transaction():
        context.run_migrations()
