"""Faults lose nothing: a locked store keeps the answer, database errors read as one line, steps pair with their
calls by id after a crash, and no secret reaches anything shown or stored."""

from __future__ import annotations

import json
import sqlite3

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from core.faults import database_problem
from core.redact import redact
from graph.state import current_turn
from tests.fakes import ScriptedModel, tool_call, tool_results

APPETITE_ARGS = {"naics": "484121", "state": "TX", "lob": "auto", "vehicles": 21, "annual_revenue": 6_000_000}
FINDING_ARGS = {"task_type": "appetite", "appetite": "no", "summary": "Over 20.", "citations": ["auto-qualified"]}


def _script(on_answer=None):
    n = {"turn": 0}

    def decide(messages):
        turn = current_turn(messages)
        results = tool_results(turn)
        k = sum(isinstance(m, HumanMessage) for m in messages)
        if not results:
            return tool_call("check_appetite", APPETITE_ARGS, 10 * k + 1)
        if len(results) == 1:
            return tool_call("record_finding", FINDING_ARGS, 10 * k + 2)
        if on_answer:
            on_answer()
        n["turn"] += 1
        return AIMessage(f"No: 21 vehicles is over 20 [auto-qualified]. (answer {k})")

    return decide


def test_a_locked_store_keeps_the_answer_and_saves_it_later(make_copilot, tmp_path, monkeypatch):
    import core.database

    monkeypatch.setattr(core.database, "BUSY_TIMEOUT_S", 0.3)
    holder: dict = {}

    def lock():  # another process takes the checkpoint store's write lock while the answer is being written
        if "conn" not in holder:
            conn = sqlite3.connect(
                tmp_path / "checkpoints.db", timeout=10, isolation_level=None, check_same_thread=False
            )
            conn.execute("BEGIN IMMEDIATE")
            holder["conn"] = conn

    cp = make_copilot(ScriptedModel(_script(on_answer=lock)))
    t = cp.new_thread()
    r = cp.send(t.id, "21 trucks in Texas: auto?")
    assert not r.saved and "busy" in r.error and "Traceback" not in r.error
    assert "answer 1" in r.answer and r.finding["appetite"] == "no"  # the answer and its finding are kept
    assert [s["tool"] for s in r.steps] == ["check_appetite", "record_finding"]

    holder["conn"].execute("ROLLBACK")  # the lock goes away
    history = cp.history(t.id)  # the pending answer is written now, with its steps
    answers = [m for m in history if m["role"] == "assistant"]
    assert "answer 1" in answers[-1]["content"]
    assert [s["tool"] for s in answers[-1]["steps"]] == ["check_appetite", "record_finding"]
    r2 = cp.send(t.id, "And again?")  # the conversation stays usable
    assert r2.saved and "answer 2" in r2.answer


def test_a_locked_store_before_the_turn_is_a_message_not_sent(make_copilot, tmp_path, monkeypatch):
    """Nothing of the turn could be stored: not an empty answer but "not sent", naming the store, nothing stored."""
    import core.database
    from graph.copilot import MessageNotSent

    monkeypatch.setattr(core.database, "BUSY_TIMEOUT_S", 0.2)
    cp = make_copilot(ScriptedModel(_script()))
    t = cp.new_thread()
    conn = sqlite3.connect(tmp_path / "checkpoints.db", isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(MessageNotSent) as caught:
            cp.send(t.id, "21 trucks in Texas: auto?")
    finally:
        conn.execute("ROLLBACK")
    said = str(caught.value)
    assert "checkpoints.db" in said and "busy" in said and "\n" not in said
    assert cp.history(t.id) == []
    assert cp.send(t.id, "21 trucks in Texas: auto?").saved


@pytest.fixture
def chat_folder(seeded, tmp_path):
    """A data folder for `uwc chat`: the seeded database and index (shared, read-only), its own stores."""
    d = tmp_path / "var"
    d.mkdir()
    (d / "uwc.db").symlink_to(seeded["db"])
    (d / "chroma").symlink_to(seeded["dir"] / "chroma")
    return d


def _chat(folder, monkeypatch, capsys, *lines: str, thread: str | None = None) -> tuple[int, str, str]:
    import io

    from app.cli import main as uwc

    monkeypatch.setattr("sys.stdin", io.StringIO("".join(line + "\n" for line in lines)))
    code = uwc(["chat", "--data-dir", str(folder), *(["--thread", thread] if thread else [])])
    out, err = capsys.readouterr()
    return code, out, err


def _thread_of(out: str) -> str:
    return out.split("--thread ")[1].split(")")[0].strip()


def _held(path):
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def test_chat_on_a_locked_checkpoint_store_says_not_sent_and_exits_1(chat_folder, monkeypatch, capsys):
    """Was: an empty answer, exit 0, the turn lost. Now: the line is named as not sent, exit 1, nothing stored."""
    import core.database
    from core.settings import get_settings
    from graph.copilot import Copilot

    monkeypatch.setattr(core.database, "BUSY_TIMEOUT_S", 0.2)
    code, out, _ = _chat(chat_folder, monkeypatch, capsys, "hello")
    thread = _thread_of(out)
    lock = _held(chat_folder / "checkpoints.db")
    try:
        code, out, err = _chat(chat_folder, monkeypatch, capsys, "21 trucks in Texas: auto?", "later", thread=thread)
    finally:
        lock.execute("ROLLBACK")
    assert code == 1 and "copilot:" not in out.split("you: 21 trucks")[-1]
    line = one_line(err)
    assert "not sent" in line and "21 trucks in Texas: auto?" in line and "checkpoints.db" in line and "busy" in line
    cp = Copilot(get_settings(data_dir=chat_folder))
    try:
        assert [m["content"] for m in cp.history(thread) if m["role"] == "user"] == ["hello"]
    finally:
        cp.close()


def test_chat_on_a_locked_conversations_store_names_it(chat_folder, monkeypatch, capsys):
    """Was: "the database at sqlite:///…/uwc.db failed: database is locked"."""
    import core.database

    monkeypatch.setattr(core.database, "BUSY_TIMEOUT_S", 0.2)
    assert _chat(chat_folder, monkeypatch, capsys, "hello")[0] == 0
    lock = _held(chat_folder / "conversations.db")
    try:
        code, _, err = _chat(chat_folder, monkeypatch, capsys, "hello again")
    finally:
        lock.execute("ROLLBACK")
    line = one_line(err)
    assert code == 1 and "conversations.db" in line and "busy" in line and "uwc.db" not in line


@pytest.mark.parametrize("store", ["checkpoints.db", "conversations.db"])
def test_a_damaged_conversation_store_is_told_to_move_it_aside(chat_folder, monkeypatch, capsys, store):
    """Was: "run `uwc seed` to rebuild it", which rebuilds uwc.db and never this store."""
    (chat_folder / store).write_bytes(b"this is not a database" * 200)
    code, _, err = _chat(chat_folder, monkeypatch, capsys, "hello")
    line = one_line(err)
    assert code == 1 and store in line and f"mv {chat_folder / store}" in line and "does not rebuild" in line


def test_a_full_disk_names_the_store_and_the_cause(make_copilot, tmp_path):
    """A real SQLITE_FULL in conversations.db (its pages capped where they are), as the CLI and the app report it."""
    from sqlalchemy import event

    cp = make_copilot(ScriptedModel(_script()))
    cp.store.engine.dispose()

    @event.listens_for(cp.store.engine, "connect")
    def _cap(dbapi_conn, _):
        (pages,) = dbapi_conn.execute("PRAGMA page_count").fetchone()
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    with pytest.raises(Exception) as caught:
        for _ in range(500):  # until the last page is full
            cp.new_thread("a title long enough to fill a page of the store before long " * 2)
    said = database_problem(caught.value, tmp_path)
    assert "conversations.db" in said and "disk is full" in said and "uwc seed" not in said


@pytest.mark.slow  # a fresh interpreter imports the whole stack
def test_chat_on_a_full_disk_is_one_line_naming_the_store(chat_folder, monkeypatch, capsys):
    """The OS refuses every write past one byte (RLIMIT_FSIZE: a disk with no room left)."""
    import os
    import resource
    import signal
    import subprocess
    import sys
    from pathlib import Path

    assert _chat(chat_folder, monkeypatch, capsys, "hello")[0] == 0

    def full_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a refused write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (1, 1))

    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "chat", "--data-dir", str(chat_folder)],
        input="hello again\n",
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=full_disk,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "UWC_TRACING": "0"},
    )
    line = one_line(proc.stderr)
    assert proc.returncode == 1 and "checkpoints.db" in line and "disk" in line and "uwc.db" not in line


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_steps_pair_with_their_calls_by_id_after_a_crash_mid_turn(make_copilot):
    cp = make_copilot(ScriptedModel(_script()))
    t = cp.new_thread()
    config = cp._config(t.id)
    # A turn whose model asked for a tool and then the process died: the call was checkpointed, never run.
    cp.graph.update_state(
        config,
        {"messages": [HumanMessage("first"), tool_call("get_limits", {"naics": "722511", "lob": "auto"}, 99)]},
        as_node="agent",
    )
    cp.send(t.id, "21 trucks in Texas: auto?")
    answers = [m for m in cp.history(t.id) if m["role"] == "assistant"]
    assert [s["tool"] for s in answers[-1]["steps"]] == ["check_appetite", "record_finding"]
    assert all(s["tool_call_id"] for s in answers[-1]["steps"])


@pytest.mark.parametrize(
    "message,expected",
    [
        ("database is locked", "busy"),
        ("database or disk is full", "disk is full"),
        ("disk I/O error", "disk is full or failing"),
        ("attempt to write a readonly database", "read-only"),
        ("file is not a database", "uwc seed"),
        ("database disk image is malformed", "uwc seed"),
        ("unable to open database file", "uwc seed"),
        ("no such table: appetite", "uwc seed"),
    ],
)
def test_database_errors_read_as_one_line_saying_what_to_run(message, expected):
    text = database_problem(sqlite3.OperationalError(message), "var")
    assert expected in text and "\n" not in text and "`var`" in text
    assert database_problem(ValueError("x")) is None


@pytest.mark.parametrize(
    "store,remedy", [("uwc.db", "run `uwc seed`"), ("checkpoints.db", "mv "), ("conversations.db", "mv ")]
)
def test_a_damaged_store_gets_its_own_remedy(store, remedy, tmp_path):
    from core.faults import naming_store

    with pytest.raises(sqlite3.DatabaseError) as caught, naming_store(tmp_path / store):
        raise sqlite3.DatabaseError("file is not a database")
    text = database_problem(caught.value, tmp_path)
    assert remedy in text and f"`{tmp_path / store}`" in text and "\n" not in text


def test_a_corrupt_database_is_one_line_in_the_cli(tmp_path, capsys):
    from app.cli import main as uwc

    (tmp_path / "uwc.db").write_bytes(b"this is not a database" * 100)
    (tmp_path / "chroma").mkdir()
    code = uwc(["tool", "run_sql", "--args", '{"query": "SELECT 1"}', "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code != 0 and "uwc seed" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_model_errors_are_redacted_before_they_are_shown_or_stored(make_copilot):
    from graph.llm import ModelError

    class Leaky:
        is_llm, name = True, "leaky"

        def invoke(self, messages, tools, on_token=None):
            raise ModelError("proxy http://bob:PROXYPASS123@10.0.0.1:8080 said: bad key sk-proj-abcdefghijklmnop1234")

    cp = make_copilot(Leaky())
    t = cp.new_thread()
    r = cp.send(t.id, "hello, my key is gsk_abcdefghijklmnopqrstu")
    stored = json.dumps([m.model_dump() for m in cp.graph.get_state(cp._config(t.id)).values["messages"]])
    stored += json.dumps(cp.graph.get_state(cp._config(t.id)).values["events"])
    for secret in ("PROXYPASS123", "sk-proj-abcdefghijklmnop1234", "gsk_abcdefghijklmnopqrstu"):
        assert secret not in r.answer and secret not in stored
    assert "[REDACTED]" in r.answer


KEYS = {
    "openai": "sk-proj-Abcdefghijklmnopqrstuvwx123456",
    "anthropic": "sk-ant-api03-Abcdefghijklmnopqrstuvwx-123456",
    "openrouter": "sk-or-v1-0123456789abcdef0123456789abcdef",
    "groq": "gsk_Abcdefghijklmnopqrstuvwx123456",
    "huggingface": "hf_Abcdefghijklmnopqrstuvwx123456",
    "aws_access_key": "AKIAIOSFODNN7EXAMPLE",
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "google": "AIzaSyA-abcdefghijklmnopqrstuvwxyz12345",
    "xai": "xai-Abcdefghijklmnopqrstuvwx123456",
    "github": "ghp_Abcdefghijklmnopqrstuvwx123456",
    "gitlab": "glpat-Abcdefghijklmnopqrst",
    "replicate": "r8_Abcdefghijklmnopqrstuvwx123456",
    "perplexity": "pplx-Abcdefghijklmnopqrstuvwx123456",
    "fireworks": "fw_Abcdefghijklmnopqrstuvwx123456",
    "cerebras": "csk-Abcdefghijklmnopqrstuvwx123456",
    "nvidia": "nvapi-Abcdefghijklmnopqrstuvwx123456",
    "mistral": "Xq9sK2mP7vL4nR8tY3wZ6bC1dF5gH0jA",
    "azure_hex": "0123456789abcdef0123456789abcdef",
    "together_hex": "a" * 16 + "0123456789abcdef" * 3,
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "slack": "xoxb-1234567890-abcdefghij",
}


@pytest.mark.parametrize("name", KEYS)
def test_each_key_format_is_redacted(name):
    key = KEYS[name]
    for text in (f"error: invalid key {key} given", f'{{"api_key": "{key}"}}', f"Authorization: Bearer {key}"):
        out = redact(text)
        assert key not in out and "[REDACTED]" in out


@pytest.mark.parametrize(
    "text",
    ["http://alice:s3cret@proxy.local:3128/v1", "postgresql://uwc:hunter2@db:5432/uwc", "x-api-key: abc123def"],
)
def test_userinfo_and_header_echoes_are_redacted(text):
    out = redact(text)
    assert "s3cret" not in out and "hunter2" not in out and "abc123def" not in out


def test_ordinary_text_is_left_alone():
    text = "NAICS 722511 Full-Service Restaurants in TX; APP-0042; thread 85c65ff37dd8; call_check_appetite_1"
    assert redact(text) == text
    path = "/tmp/pytest-of-root/pytest-12/test_binary_files_are_one_lin0/blob.bin"
    assert redact(f"cannot read {path}") == f"cannot read {path}"


def test_cassettes_redact_every_format(tmp_path):
    from graph.cassette import Cassette, request_key

    path = tmp_path / "c.jsonl"
    cassette = Cassette(path, "record")
    request = {"model": "openai/x", "messages": [{"role": "user", "content": "hi " + KEYS["groq"]}]}
    cassette.record(request, {"content": " ".join(KEYS.values())})
    line = path.read_text()
    assert not any(key in line for key in KEYS.values())
    assert json.loads(line)["key"] == request_key(request)  # replay still finds it


def test_logs_are_redacted(caplog):
    import logging

    from core.redact import install_log_redaction

    install_log_redaction()
    with caplog.at_level(logging.ERROR):
        try:
            raise RuntimeError(f"upstream said {KEYS['openai']}")
        except RuntimeError:
            logging.getLogger("uwc.test").exception("call failed with %s", KEYS["groq"])
    assert KEYS["openai"] not in caplog.text and KEYS["groq"] not in caplog.text


def test_search_works_from_a_read_only_data_folder(seeded, monkeypatch):
    """Chroma writes even to read: a read-only index folder is read from a private copy."""
    import retrieval.index as ix
    from retrieval.embeddings import make_embedding

    opened = []
    real_client = ix._client
    monkeypatch.setattr(ix, "_writable", lambda path: False)
    monkeypatch.setattr(ix, "_client", lambda path: opened.append(path) or real_client(path))
    collection = ix.open_collection(seeded["dir"] / "chroma", ix.GUIDELINES, make_embedding("local"))
    assert opened and opened[0] != seeded["dir"] / "chroma" and opened[0].name == "chroma"
    assert collection.query(query_texts=["vehicles"], n_results=1)["ids"][0]


def test_writability_is_probed_not_guessed(tmp_path):
    import retrieval.index as ix

    (tmp_path / "chroma.sqlite3").write_bytes(b"")
    assert ix._writable(tmp_path)
    assert not ix._writable(tmp_path / "missing")


def test_seed_removes_leftovers_of_killed_builds(tmp_path):
    import os

    from seed_db.seed import remove_leftovers

    db = tmp_path / "uwc.db"
    dead = tmp_path / ".uwc.db.building-999999999"  # no such process
    live = tmp_path / f".uwc.db.building-{os.getpid()}"  # a build still running: left alone
    dead.write_bytes(b"x")
    live.write_bytes(b"x")
    (tmp_path / "chroma.building").mkdir()
    (tmp_path / "chroma.old").mkdir()
    removed = remove_leftovers(f"sqlite:///{db}", tmp_path / "chroma")
    assert not dead.exists() and live.exists()
    assert not (tmp_path / "chroma.building").exists() and not (tmp_path / "chroma.old").exists()
    assert len(removed) == 3


def test_a_build_is_complete_only_when_its_index_is(tmp_path, seeded):
    import shutil

    from seed_db import seed

    data_dir = tmp_path / "var"
    shutil.copytree(seeded["dir"], data_dir)
    url = f"sqlite:///{data_dir / 'uwc.db'}"
    assert seed.is_current(url, data_dir / "chroma")
    marker = data_dir / "chroma" / seed.MARKER
    marker.write_text('{"inputs_sha256": "an older build"}')  # killed after the database, before the index
    assert not seed.is_current(url, data_dir / "chroma")
    marker.unlink()
    assert not seed.is_current(url, data_dir / "chroma")
