"""Alembic environment for the conversations store: run on the connection ``graph.threads.upgrade_schema`` passes."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
