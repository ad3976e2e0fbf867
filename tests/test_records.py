"""The decision record (graph/records.py): append-only by construction, hash-chained, verified, safe under
concurrent writers and kill -9, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from graph.audit_key import from_values
from graph.records import GENESIS, RECORD_KINDS, RecordRefused, RecordStore, record_hash
from tests.pg import fresh_database, pg_url  # noqa: F401  (a fixture)

KEY_TEXT = "test-decision-record-key-0123456789abcdef"
KEY = from_values(KEY_TEXT)

ROOT = Path(__file__).resolve().parents[1]
WRITER = """
import sys
from graph.audit_key import from_values
from graph.records import RecordStore
store = RecordStore(sys.argv[1], key=from_values(sys.argv[4]))
i = 0
while True:
    r = store.append("determination", user=sys.argv[2], role="junior", body={"n": i, "pad": "x" * 300},
                     thread_id="t" + str(i % 3))
    print(r.seq, flush=True)
    i += 1
    if int(sys.argv[3]) and i >= int(sys.argv[3]):
        break
"""
SQLITE_TRIGGERS = (
    "decision_record_no_update",
    "decision_record_no_delete",
    "decision_record_at_end",
    "decision_record_head_forward",
    "decision_record_head_no_delete",
    "decision_record_keyed",
)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'conversations.db'}"
        return
    request.applymarker(pytest.mark.slow)
    with fresh_database("uwc_test_records") as url:
        yield url


def fill(store: RecordStore, n: int = 6) -> list:
    kinds = RECORD_KINDS
    return [
        store.append(
            kinds[i % len(kinds)],
            user=f"user{i}",
            role="junior" if i % 2 else None,
            body={"n": i, "text": "é ✓ 😀", "nested": {"b": [1, 2.5, None]}},
            thread_id=f"thread{i % 2}",
            submission_id=f"APP-{i:04d}",
            referral_id="ref1" if i == 3 else None,
        )
        for i in range(n)
    ]


def test_records_chain_and_verify(store_url):
    store = RecordStore(store_url, key=KEY)
    try:
        assert store.verify().ok and store.verify().count == 0
        made = fill(store)
        assert [r.seq for r in made] == [1, 2, 3, 4, 5, 6]
        assert made[0].prev_hash == GENESIS and all(b.prev_hash == a.hash for a, b in zip(made, made[1:], strict=False))
        assert [r.at for r in made] == sorted(r.at for r in made)
        for r in made:  # the hash is the documented HMAC of the canonical JSON of every field, ``alg`` included
            fields = {k: v for k, v in r.as_dict().items() if k != "hash"}
            text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            import hashlib
            import hmac

            assert r.alg == KEY.alg and hmac.new(KEY.current, text.encode(), hashlib.sha256).hexdigest() == r.hash
        report = store.verify()
        assert report.ok and report.count == 6 and report.head_seq == 6 and report.head_hash == made[-1].hash
        assert list(store.records()) == made
        assert [r.seq for r in store.records(thread_id="thread1")] == [2, 4, 6]
        assert [r.seq for r in store.records(submission_id="APP-0002")] == [3]
        assert [r.seq for r in store.records(referral_id="ref1")] == [4]
        assert [r.seq for r in store.records(kind="approval")] == [3]
        assert [r.seq for r in store.records(since=made[4].at)] == [5, 6]
        assert list(store.records(thread_id="nope")) == []
    finally:
        store.close()


def test_a_bad_record_is_refused_before_it_is_written(tmp_path):
    store = RecordStore(tmp_path / "c.db", key=KEY)
    with pytest.raises(RecordRefused, match="unknown record kind"):
        store.append("verdict", user=None, role=None, body={})
    with pytest.raises(RecordRefused, match="not JSON"):
        store.append("determination", user=None, role=None, body={"x": float("nan")})
    with pytest.raises(RecordRefused, match="JSON object"):
        store.append("determination", user=None, role=None, body=["x"])  # type: ignore[arg-type]
    assert store.verify().count == 0
    store.close()


def _exec(store_url: str, sql: str) -> None:
    if store_url.startswith("sqlite"):
        with sqlite3.connect(store_url.removeprefix("sqlite:///")) as c:
            c.execute(sql)
        return
    import psycopg

    with psycopg.connect(store_url.replace("+psycopg", ""), autocommit=True) as c:
        c.execute(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE decision_record SET kind = 'approval' WHERE seq = 2",
        "UPDATE decision_record SET body = '{}'",
        "DELETE FROM decision_record WHERE seq = 6",
        "DELETE FROM decision_record",
        "DELETE FROM decision_record_head",
        "UPDATE decision_record_head SET seq = 5",
        "UPDATE decision_record_head SET seq = 7, hash = 'x'",
        "INSERT INTO decision_record (seq, kind, at, body, prev_hash, hash) VALUES (9, 'approval', 'x', '{}', 'a', 'b')",
    ],
)
def test_the_database_refuses_to_change_or_delete_a_record(store_url, sql):
    store = RecordStore(store_url, key=KEY)
    fill(store)
    with pytest.raises(Exception, match="append-only|head|extend the chain|permission denied|must be keyed"):
        _exec(store_url, sql)
    assert store.verify().ok and store.verify().count == 6
    store.close()


def test_postgres_truncate_is_refused_and_privileges_are_revoked_for_the_app_role(pg_url):  # noqa: F811
    """As a non-superuser role that owns the database (what a deployment gives the app), UPDATE, DELETE and
    TRUNCATE fail on privileges before the trigger is even reached."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    from tests.pg import ADMIN_URL

    role = f"uwc_app_{uuid.uuid4().hex[:8]}"
    name = make_url(pg_url).database
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'")
        admin.execute(f'ALTER DATABASE "{name}" OWNER TO {role}')
    try:
        app_url = make_url(pg_url).set(username=role, password="pw").render_as_string(hide_password=False)
        store = RecordStore(app_url, key=KEY)
        fill(store, 3)
        for sql in ("UPDATE decision_record SET kind = 'x'", "DELETE FROM decision_record", "TRUNCATE decision_record"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                _exec(app_url, sql)
        with pytest.raises(psycopg.Error, match="append-only"):
            _exec(pg_url, "TRUNCATE decision_record")  # the superuser: the trigger holds
        assert store.verify().ok
        store.close()
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f"DROP ROLE IF EXISTS {role}")


# --- tampering (triggers dropped first, as someone with the file or a superuser could) --------------------------
FIELDS = (
    "seq",
    "kind",
    "at",
    "user_name",
    "role",
    "thread_id",
    "submission_id",
    "referral_id",
    "body",
    "prev_hash",
    "hash",
    "alg",
)


@pytest.fixture(scope="module")
def sqlite_six(tmp_path_factory):
    """A SQLite store of six records with its triggers dropped, copied by each example."""
    path = tmp_path_factory.mktemp("records") / "six.db"
    store = RecordStore(path, key=KEY)
    fill(store)
    store.close()
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for t in SQLITE_TRIGGERS:
            c.execute(f"DROP TRIGGER {t}")
        c.execute("PRAGMA journal_mode=DELETE")
    return path


def _copy(source: Path) -> tuple[Path, str]:
    folder = Path(tempfile.mkdtemp(prefix="uwc-tamper-"))
    shutil.copy(source, folder / "c.db")
    return folder, f"sqlite:///{folder / 'c.db'}"


def _verify(url: str):
    store = RecordStore(url, key=KEY)
    try:
        return store.verify()
    finally:
        store.close()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seq=st.integers(1, 6),
    field=st.sampled_from(FIELDS),
    text=st.text(min_size=0, max_size=12),
    number=st.integers(-3, 10**6),
    null=st.booleans(),
)
def test_changing_any_field_of_any_record_is_detected(sqlite_six, seq, field, text, number, null):
    folder, url = _copy(sqlite_six)
    try:
        with sqlite3.connect(folder / "c.db") as c:
            old = c.execute(f"SELECT {field} FROM decision_record WHERE seq = ?", [seq]).fetchone()[0]
            nullable = field in ("user_name", "role", "thread_id", "submission_id", "referral_id", "alg")
            if field == "seq":
                assume(not 1 <= number <= 6)
                new: object = number
            elif field == "body":
                new = json.dumps({"n": text}, separators=(",", ":"), ensure_ascii=False)
            elif null and nullable:
                new = None
            else:
                new = text
            assume(new != old)
            c.execute(f"UPDATE decision_record SET {field} = ? WHERE seq = ?", [new, seq])
        report = _verify(url)
        assert not report.ok and report.problem
        assert report.first_bad_seq == seq or field == "seq"
        assert report.first_bad_seq is not None and 1 <= report.first_bad_seq <= 6
    finally:
        shutil.rmtree(folder)


@pytest.mark.parametrize(
    ("sql", "first_bad", "words"),
    [
        ("DELETE FROM decision_record WHERE seq = 3", 3, "record 3 missing"),
        ("DELETE FROM decision_record WHERE seq IN (2, 3)", 2, "records 2 to 3 missing"),
        ("DELETE FROM decision_record WHERE seq = 6", 6, "missing at the end"),
        ("DELETE FROM decision_record WHERE seq = 1", 1, "record 1 missing"),
        # moved: two records swap places (their seq values)
        (
            "UPDATE decision_record SET seq = 100 WHERE seq = 2; UPDATE decision_record SET seq = 2 WHERE seq = 4;"
            "UPDATE decision_record SET seq = 4 WHERE seq = 100",
            2,
            "changed",
        ),
        # inserted at the end (a copy of the last record, not hashed) without moving the head
        (
            "INSERT INTO decision_record SELECT 7, kind, at, user_name, role, thread_id, submission_id, referral_id, "
            "body, hash, hash, alg FROM decision_record WHERE seq = 6",
            7,
            "record 7 was changed",
        ),
    ],
)
def test_deleted_moved_and_inserted_records_are_detected(sqlite_six, sql, first_bad, words):
    folder, url = _copy(sqlite_six)
    try:
        with sqlite3.connect(folder / "c.db") as c:
            c.executescript(sql)
        report = _verify(url)
        assert not report.ok and report.first_bad_seq == first_bad and words in report.problem
    finally:
        shutil.rmtree(folder)


def _append_forged(path: Path, alg: str | None, key: bytes | None) -> None:
    """Record 7 appended at the head as the app would, the head moved to it (triggers dropped): only the key differs."""
    with sqlite3.connect(path) as c:
        (last,) = c.execute("SELECT hash FROM decision_record WHERE seq = 6").fetchone()
        row = [7, "approval", "2030-01-01T00:00:00+00:00", "mallory", "senior", "t", None, None, "{}", last]
        digest = record_hash(*row, alg, key)
        c.execute("INSERT INTO decision_record VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", [*row, digest, alg])
        c.execute("UPDATE decision_record_head SET seq = 7, hash = ? WHERE id = 1", [digest])


@pytest.mark.parametrize(
    ("alg", "key", "words"),
    [
        (None, None, "record 7 is not keyed"),  # hashed by the old, unkeyed scheme
        (KEY.alg, b"a guess at the key, long enough to pass as one", "does not match its hash under the key"),
        ("hmac-sha256:0123456789abcdef", b"the forger's own key, long enough to pass", "not configured"),
        ("sha256", b"k" * 32, "unknown algorithm"),
    ],
)
def test_a_record_appended_at_the_head_without_the_key_is_detected(sqlite_six, alg, key, words):
    """Someone with the database but not the key appends a record and moves the head to it: verify names it."""
    folder, url = _copy(sqlite_six)
    try:
        _append_forged(folder / "c.db", alg, key)
        report = _verify(url)
        assert not report.ok and report.first_bad_seq == 7 and words in report.problem, report
    finally:
        shutil.rmtree(folder)


def test_a_record_rewritten_with_a_matching_hash_breaks_the_next_link(sqlite_six):
    """Someone who holds the key recomputes a changed record's hash: the next record no longer follows it."""
    folder, url = _copy(sqlite_six)
    try:
        with sqlite3.connect(folder / "c.db") as c:
            row = list(c.execute("SELECT * FROM decision_record WHERE seq = 3").fetchone())
            row[8] = '{"n":99}'
            digest = record_hash(*row[:10], row[11], KEY.current)
            c.execute("UPDATE decision_record SET body = ?, hash = ? WHERE seq = 3", [row[8], digest])
        report = _verify(url)
        assert not report.ok and report.first_bad_seq == 4 and "does not follow record 3" in report.problem
    finally:
        shutil.rmtree(folder)


def test_postgres_tampering_with_each_field_is_detected(pg_url):  # noqa: F811
    import psycopg

    store = RecordStore(pg_url, key=KEY)
    fill(store)
    conn = psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True)
    try:
        conn.execute("ALTER TABLE decision_record DISABLE TRIGGER USER")  # a superuser can; verify still sees it
        for field in FIELDS:
            (old,) = conn.execute(f"SELECT {field} FROM decision_record WHERE seq = 3").fetchone()
            new = 99 if field == "seq" else '{"n":3}' if field == "body" else "tampered"
            conn.execute(f"UPDATE decision_record SET {field} = %s WHERE seq = 3", [new])
            report = store.verify()
            assert not report.ok and report.first_bad_seq == 3, (field, report)
            conn.execute(f"UPDATE decision_record SET {field} = %s WHERE seq = {new if field == 'seq' else 3}", [old])
            assert store.verify().ok, field
        conn.execute("DELETE FROM decision_record WHERE seq = 6")
        report = store.verify()
        assert not report.ok and report.first_bad_seq == 6 and "missing at the end" in report.problem
    finally:
        conn.close()
        store.close()


# --- concurrent writers and kill -9 -------------------------------------------------------------------------
def _writer(url: str, name: str, count: int | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", WRITER, url, name, str(count or 0), KEY_TEXT]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.slow
def test_concurrent_writers_never_fork_the_chain(store_url):
    RecordStore(store_url, key=KEY).close()  # migrated once, so the writers race on appends only
    writers = [_writer(store_url, f"w{i}", 40) for i in range(3)]
    outputs = [w.communicate(timeout=120) for w in writers]
    assert all(w.returncode == 0 for w in writers), [o[1][-500:] for o in outputs]
    store = RecordStore(store_url, key=KEY)
    report = store.verify()
    assert report.ok and report.count == 120
    by_writer = {name: sum(1 for r in store.records() if r.user == name) for name in ("w0", "w1", "w2")}
    assert by_writer == {"w0": 40, "w1": 40, "w2": 40}
    store.close()


@pytest.mark.slow
def test_kill_9_during_writes_loses_no_committed_record(store_url):
    RecordStore(store_url, key=KEY).close()
    rng = random.Random(28)
    committed: set[int] = set()
    for round_ in range(5):
        w = _writer(store_url, f"k{round_}")
        assert w.stdout is not None
        for _ in range(rng.randint(1, 60)):
            line = w.stdout.readline()
            assert line, w.stderr.read() if w.stderr else ""
            committed.add(int(line))
        os.kill(w.pid, signal.SIGKILL)  # mid-append, most likely: the writer never pauses
        w.wait()
        for line in w.stdout.read().split():  # printed before the kill landed
            committed.add(int(line))
        w.stdout.close()
        if w.stderr:
            w.stderr.close()
    store = RecordStore(store_url, key=KEY)
    report = store.verify()
    assert report.ok, report.problem
    stored = {r.seq for r in store.records()}
    assert committed <= stored and stored == set(range(1, report.count + 1))
    store.close()


def test_an_old_store_is_upgraded_keeping_its_conversations(tmp_path):
    """A conversations store at revision 0002 (threads, feedback) gains the record tables and keeps its rows."""
    from graph.threads import ThreadStore
    from tests.conftest import old_store

    path = tmp_path / "conversations.db"
    with old_store(path, "0002") as conn:
        conn.exec_driver_sql(
            "INSERT INTO thread (id, title, created_at, updated_at) VALUES ('t1', 'Old', '2026-01-01', '2026-01-01')"
        )
    store = RecordStore(path, key=KEY)
    store.append("determination", user=None, role=None, body={}, thread_id="t1")
    assert store.verify().ok
    threads = ThreadStore(path)
    assert threads.get("t1").title == "Old"
    threads.close()
    store.close()


def test_a_current_store_is_opened_without_alembic(tmp_path):
    """The newest revision is read from the migration files as Alembic reads it; a store already there is opened
    (threads and records) without importing Alembic, and a new one is still built by it."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from graph.threads import MIGRATIONS, head_revisions

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert head_revisions() == set(ScriptDirectory.from_config(cfg).get_heads())
    opens = (
        "import sys\nfrom graph.records import RecordStore\nfrom graph.threads import ThreadStore\n"
        f"ThreadStore({str(tmp_path / 'c.db')!r}).close(); RecordStore({str(tmp_path / 'c.db')!r}).close()\n"
        "print('alembic' in sys.modules)"
    )
    run = lambda: subprocess.run(  # noqa: E731
        [sys.executable, "-c", opens], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert run() == ["True"]  # built
    assert run() == ["False"]  # opened


def test_a_conversations_applicant_is_read_once(tmp_path, monkeypatch):
    """What a conversation is about is set when it is created: a turn's record and referral ask for it without a
    query each (none in the process that created it, one in another); an unknown conversation is still
    ``ThreadNotFound``."""
    from graph.threads import ThreadNotFound, ThreadStore

    creator = ThreadStore(tmp_path / "c.db")
    about, plain = creator.create("From the desk", applicant_id="SUB-0001"), creator.create("New conversation")
    store = ThreadStore(tmp_path / "c.db")  # another process's
    reads: list[str] = []
    for s in (creator, store):
        real = s._row
        monkeypatch.setattr(s, "_row", lambda tid, owner, real=real: reads.append(tid) or real(tid, owner))
    assert [creator.applicant_of(about.id), creator.applicant_of(plain.id)] == ["SUB-0001", None]
    assert reads == []
    assert [store.applicant_of(about.id), store.applicant_of(plain.id)] == ["SUB-0001", None]
    assert [store.applicant_of(about.id), store.applicant_of(plain.id)] == ["SUB-0001", None]
    assert reads == [about.id, plain.id]
    with pytest.raises(ThreadNotFound):
        store.applicant_of("nope")
    store.close()
    creator.close()


def test_a_batch_is_appended_whole_or_not_at_all(tmp_path):
    store = RecordStore(tmp_path / "c.db", key=KEY)
    made = store.append_many([{"kind": "determination", "user": "u", "body": {"i": i}} for i in range(3)])
    assert [r.seq for r in made] == [1, 2, 3] and made[1].prev_hash == made[0].hash
    with pytest.raises(RecordRefused):
        store.append_many([{"kind": "determination", "body": {}}, {"kind": "nope", "body": {}}])
    assert store.verify().count == 3 and store.verify().ok
    store.close()


def test_a_store_stamped_past_0003_without_the_record_gets_its_tables(tmp_path):
    """For a while 0004 (referrals) followed 0002 directly: a store upgraded then has no record tables."""
    path = tmp_path / "conversations.db"
    RecordStore(path, key=KEY).close()
    with sqlite3.connect(path) as c:
        c.execute("DROP TABLE decision_record")  # its triggers go with it
        c.execute("DROP TABLE decision_record_head")
    store = RecordStore(path, key=KEY)
    fill(store, 2)
    assert store.verify().ok and store.verify().count == 2
    with pytest.raises(Exception, match="append-only"):
        _exec(f"sqlite:///{path}", "DELETE FROM decision_record")
    store.close()
