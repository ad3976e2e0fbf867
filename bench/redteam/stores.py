"""Red team, conversations and their stores: two `uwc chat` processes on one conversation (SQLite, PostgreSQL)
must lose no message; a locked, damaged or full store must give one line naming that store and the right remedy,
a non-zero exit and nothing half stored."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.redteam import Outcome, attack

AREA = "stores"
ROOT = str(Path(__file__).resolve().parents[2])
TURNS = 4  # questions each of the two writers sends


def _folder(tmp: Path, database: bool = True) -> Path:
    """A data folder over the cached seeded database and index (read-only, shared) with stores of its own."""
    from tests.conftest import cached_seed

    seeded = cached_seed("minilm")
    data = tmp / "var"
    data.mkdir()
    if database:
        (data / "uwc.db").symlink_to(seeded / "uwc.db")
    (data / "chroma").symlink_to(seeded / "chroma")
    return data


def _two_writers(data: Path, env: dict) -> Outcome:
    from tests.test_writers import lost, two_writers

    questions, history, errors = two_writers(data, {"UWC_THREAD_WAIT": "120", **env}, turns=TURNS)
    q, a = lost(questions, history)
    held = q == 0 and a == 0 and all(e.startswith("exit 0") for e in errors)
    detail = f"{q} of {len(questions)} questions and {a} answers lost with two writers"
    return Outcome(held, detail if held else f"{detail}; {' | '.join(e[:200] for e in errors)}")


@attack(AREA, "two uwc chat processes on one SQLite conversation")
def two_writers_sqlite() -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        return _two_writers(_folder(Path(tmp)), {})


@attack(AREA, "two uwc chat processes on one PostgreSQL conversation")
def two_writers_postgres() -> Outcome:
    from tests.pg import fresh_database

    with tempfile.TemporaryDirectory() as tmp, fresh_database(seeded=True) as url:
        return _two_writers(_folder(Path(tmp), database=False), {"UWC_DATABASE_URL": url})


def _chat(data: Path, lines: str, thread: str | None = None, limit: Callable[[], None] | None = None):
    env = {**os.environ, "PYTHONPATH": ROOT, "UWC_TRACING": "0"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "chat", "--data-dir", str(data), *(["--thread", thread] if thread else [])],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        preexec_fn=limit,
    )


def _copilot(data: Path):
    """A copilot on ``data`` with a conversation of one turn: (copilot, thread id)."""
    from core.settings import get_settings
    from graph.copilot import Copilot

    cp = Copilot(get_settings(data_dir=data))
    thread = cp.new_thread().id
    cp.send(thread, "What deductible for commercial auto, NAICS 484121?")
    return cp, thread


def _judge(proc, store: str, must: tuple[str, ...], must_not: tuple[str, ...] = ()) -> Outcome:
    err = proc.stderr.strip()
    lines = err.splitlines()
    missing = [w for w in (store, *must) if w not in err]
    wrong = [w for w in must_not if w in err]
    held = proc.returncode != 0 and len(lines) == 1 and "Traceback" not in err and not missing and not wrong
    detail = f"exit {proc.returncode}: {err[:300]}"
    if missing or wrong:
        detail += f" (missing {missing}, should not say {wrong})"
    return Outcome(held, detail)


def _locked(store: str) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        data = _folder(Path(tmp))
        cp, thread = _copilot(data)
        try:
            before = len(cp.history(thread))
            lock = sqlite3.connect(data / store, isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")  # another process holds the store's write lock
            try:
                proc = _chat(data, "And the limits for general liability?\n", thread)
            finally:
                lock.execute("ROLLBACK")
                lock.close()
            outcome = _judge(proc, store, ("busy", "not sent", "limits for general liability"), ("copilot: \n",))
            if len(cp.history(thread)) != before:
                return Outcome(False, f"half a turn was stored; {outcome.detail}")
            return outcome
        finally:
            cp.close()


@attack(AREA, "uwc chat with checkpoints.db locked by another process")
def locked_checkpoints() -> Outcome:
    return _locked("checkpoints.db")


@attack(AREA, "uwc chat with conversations.db locked by another process")
def locked_conversations() -> Outcome:
    return _locked("conversations.db")


def _damaged(store: str) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        data = _folder(Path(tmp))
        (data / store).write_bytes(b"this is not a database" * 200)
        proc = _chat(data, "hello\n")
        return _judge(proc, store, ("damaged", f"mv {data / store}"), ("run `uwc seed`",))


@attack(AREA, "uwc chat with a damaged checkpoints.db")
def damaged_checkpoints() -> Outcome:
    return _damaged("checkpoints.db")


@attack(AREA, "uwc chat with a damaged conversations.db")
def damaged_conversations() -> Outcome:
    return _damaged("conversations.db")


def _full_disk() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a refused write, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (1, 1))  # no room for a single byte more


@attack(AREA, "uwc chat on a full disk")
def full_disk() -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        data = _folder(Path(tmp))
        cp, thread = _copilot(data)
        cp.close()
        proc = _chat(data, "And the limits for general liability?\n", thread, limit=_full_disk)
        return _judge(proc, ".db", ("disk",), ("uwc.db",))
