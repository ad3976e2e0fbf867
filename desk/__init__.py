"""The submission desk: submissions in, triaged in the background on a durable queue, a prioritised desk out.

Triage (this part): ``triage.py`` the steps, pure and typed; ``queue.py`` the durable workflow on DBOS Transact
(SQLite embedded, PostgreSQL deployed) with ``enqueue`` and ``retry``; ``results.py`` the ``triage_result`` table;
``worker.py`` the worker processes (``uwc desk worker``). See docs/desk.md.
"""
