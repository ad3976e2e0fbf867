"""One writer per conversation: two writers on one thread take turns and lose nothing; one that waits too long is
told its message was not sent, and nothing of it is stored. In one process and across `uwc chat` processes, on
SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from tests.fakes import ScriptedModel
from tests.pg import pg_seeded, pg_url  # noqa: F401  # fixtures

ROOT = str(Path(__file__).resolve().parents[1])


def _roles(cp, thread_id: str) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in cp.history(thread_id)]


def test_a_second_writer_waits_for_the_turn_and_nothing_is_lost(make_copilot):
    """B sends while A's turn is running: B waits for A's answer, then runs on top of it (without the lock B's
    turn forks the thread and A's answer, written on the other fork, hides it)."""
    second: dict = {}

    def answer(messages):
        asked = [m.content for m in messages if isinstance(m, HumanMessage)][-1]
        if asked == "first" and "thread" not in second:
            second["thread"] = threading.Thread(target=lambda: second.update(result=b.send(tid, "second")))
            second["thread"].start()
            second["thread"].join(timeout=1)  # B may not finish inside A's turn: it waits for the lock
            second["finished_inside"] = not second["thread"].is_alive()
        return AIMessage(f"answer to {asked}")

    a = make_copilot(ScriptedModel(answer))
    b = make_copilot(ScriptedModel(answer))
    tid = a.new_thread().id
    a.send(tid, "first")
    second["thread"].join(timeout=60)
    assert not second["finished_inside"] and second["result"].answer == "answer to second"
    assert _roles(a, tid) == [
        ("user", "first"),
        ("assistant", "answer to first"),
        ("user", "second"),
        ("assistant", "answer to second"),
    ]


def _busy_thread_refuses(a, b) -> None:
    from graph.copilot import BUSY, ThreadBusy

    tid = a.new_thread().id
    a.send(tid, "first")
    with a.writers.hold(tid, 0), pytest.raises(ThreadBusy, match="busy"):
        b.send(tid, "second")
    assert _roles(b, tid) == [("user", "first"), ("assistant", "fine")]
    assert "\n" not in BUSY
    assert b.send(tid, "second").answer == "fine"  # free again


def test_a_writer_that_waits_too_long_is_told_and_nothing_is_stored(make_copilot, monkeypatch):
    a = make_copilot(ScriptedModel(lambda messages: AIMessage("fine")))
    b = make_copilot(ScriptedModel(lambda messages: AIMessage("fine")))
    monkeypatch.setattr(b.settings, "thread_wait", 0.05)
    _busy_thread_refuses(a, b)


def test_a_writer_that_waits_too_long_on_postgres_is_told(pg_seeded, tmp_path, copilot_toolkit):  # noqa: F811
    from core.settings import Settings
    from graph.copilot import Copilot

    settings = Settings(data_dir=tmp_path, database_url=pg_seeded["url"], thread_wait=0.2)
    a, b = (Copilot(settings, ScriptedModel(lambda m: AIMessage("fine")), copilot_toolkit) for _ in range(2))
    try:
        _busy_thread_refuses(a, b)
    finally:
        a.close()
        b.close()


def test_a_postgres_writer_lock_waits_its_time_only_and_leaves_the_connection_as_it_was(pg_url):  # noqa: F811
    """The lock is taken with the wait as its timeout (the lock, its timeout and their transaction sent at once):
    while held, another writer waits its own time and is refused; the timeout ends with the taking, so the pooled
    connection goes back with no timeout and no transaction open, and the lock goes with the release."""
    import time

    from psycopg.pq import TransactionStatus
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    from graph.writer_lock import AdvisoryLocks, LockTimeout

    libpq = pg_url.replace("postgresql+psycopg://", "postgresql://")
    kwargs = {"autocommit": True, "row_factory": dict_row}
    with (
        ConnectionPool(libpq, min_size=1, max_size=1, kwargs=kwargs) as mine,
        ConnectionPool(libpq, min_size=1, max_size=1, kwargs=kwargs) as theirs,
    ):
        with AdvisoryLocks(mine).hold("a thread", wait=5):
            start = time.monotonic()
            with pytest.raises(LockTimeout), AdvisoryLocks(theirs).hold("a thread", wait=0.3):
                pass
            assert 0.25 < time.monotonic() - start < 5
            with AdvisoryLocks(theirs).hold("another thread", wait=0.3):
                pass  # one conversation's lock only
        with mine.connection() as conn:
            assert conn.execute("SHOW lock_timeout").fetchone()["lock_timeout"] == "0"
            assert conn.info.transaction_status == TransactionStatus.IDLE
        with AdvisoryLocks(theirs).hold("a thread", wait=0.3):
            pass  # released


def _chat(data: Path, thread: str, extra_env: dict) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": ROOT, "UWC_TRACING": "0", **extra_env}
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "chat", "--data-dir", str(data), "--thread", thread],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


QUESTION = "What deductible for commercial auto, NAICS 484121? (question {})"


def two_writers(data: Path, extra_env: dict, turns: int = 3) -> tuple[list[str], list[dict], list[str]]:
    """Two `uwc chat --thread T` processes sending ``turns`` questions each at once; returns the questions, the
    thread's history afterwards and what each process wrote to stderr."""
    from core.settings import get_settings
    from graph.copilot import Copilot

    settings = get_settings(data_dir=data, database_url=extra_env.get("UWC_DATABASE_URL"))
    cp = Copilot(settings)
    try:
        tid = cp.new_thread().id
        procs = {w: _chat(data, tid, extra_env) for w in "AB"}
        for p in procs.values():  # both started (the banner is printed once the copilot is ready) ...
            assert p.stdout and "conversation" in p.stdout.readline()
        questions = [QUESTION.format(f"{w}{i}") for i in range(turns) for w in "AB"]
        for w, p in procs.items():  # ... then both get all their lines at once
            assert p.stdin
            p.stdin.write("".join(QUESTION.format(f"{w}{i}") + "\n" for i in range(turns)))
            p.stdin.close()
            p.stdin = None  # closed: communicate() below only reads
        errors = []
        for p in procs.values():
            _, err = p.communicate(timeout=300)
            errors.append(f"exit {p.returncode}: {err[-2000:]}")
        return questions, cp.history(tid), errors
    finally:
        cp.close()


def lost(questions: list[str], history: list[dict]) -> tuple[int, int]:
    """Questions and answers missing from the thread (each question must be followed by its answer)."""
    asked = [m["content"] for m in history if m["role"] == "user"]
    answered = sum(
        1
        for i, m in enumerate(history)
        if m["role"] == "user" and i + 1 < len(history) and history[i + 1]["role"] == "assistant"
    )
    return len(set(questions) - set(asked)), len(questions) - answered


@pytest.mark.slow
def test_two_chat_processes_on_one_sqlite_thread_lose_nothing(seeded, tmp_path):
    import shutil

    data = tmp_path / "var"
    shutil.copytree(seeded["dir"], data)
    questions, history, errors = two_writers(data, {"UWC_THREAD_WAIT": "120"})
    assert all(e.startswith("exit 0") for e in errors), errors
    assert lost(questions, history) == (0, 0), history


@pytest.mark.slow
def test_two_chat_processes_on_one_postgres_thread_lose_nothing(pg_seeded, tmp_path):  # noqa: F811
    data = tmp_path / "var"
    data.mkdir()
    (data / "chroma").symlink_to(pg_seeded["dir"] / "chroma")  # the insurer's data is in PostgreSQL
    questions, history, errors = two_writers(data, {"UWC_THREAD_WAIT": "120", "UWC_DATABASE_URL": pg_seeded["url"]})
    assert all(e.startswith("exit 0") for e in errors), errors
    assert lost(questions, history) == (0, 0), history
