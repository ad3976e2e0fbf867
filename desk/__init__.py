"""The submission desk: broker submissions in (e-mails, PDF applications, account lists, text), triaged in the
background on a durable queue, a prioritised desk out. Layer: above ``evals``, below ``app``.

Intake: ``intake.py`` is the one entry (the CLI, the Desk page, the inbox watcher and the MCP tool call it), typed
submissions kept in the desk store (``store.py``). Triage: ``triage.py`` the steps, pure and typed; ``queue.py`` the
durable workflow on DBOS Transact (SQLite embedded, PostgreSQL deployed) with ``enqueue`` and ``retry``;
``results.py`` the ``triage_result`` table; ``worker.py`` the worker processes (``uwc desk worker``). See
docs/desk.md.
"""
