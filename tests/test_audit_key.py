"""The decision record's key (graph/audit_key.py): where it comes from, how it is kept, how a store of records
written before it keeps verifying, and how an operator rotates it."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from core import redact
from graph.audit_key import AuditKeyError, from_file, from_values, load_key, rotate_file
from graph.records import RecordStore, record_hash
from tests.pg import pg_url  # noqa: F401  (a fixture)

KEY = from_values("key-of-the-audit-tests-0123456789abcdef")


def test_a_key_file_is_made_once_private_and_registered_for_redaction(tmp_path):
    path = tmp_path / "data" / "audit.key"
    key = from_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert from_file(path) == key  # made once: the next load reads the same key
    text = key.current.decode()
    assert len(text) >= 32 and redact.redact(f"echoed: {text}") == f"echoed: {redact.MARK}"
    assert text not in key.alg  # a record names its key by an id that tells nothing of it


def test_a_key_file_others_can_read_or_a_short_key_is_refused(tmp_path):
    path = tmp_path / "audit.key"
    from_file(path)
    path.chmod(0o644)
    with pytest.raises(AuditKeyError, match="readable by others: chmod 600"):
        from_file(path)
    with pytest.raises(AuditKeyError, match="shorter than 32"):
        from_values("short")


def test_the_environment_key_comes_first_and_is_registered(tmp_path, monkeypatch):
    from core.settings import get_settings

    monkeypatch.setenv("UWC_AUDIT_KEY", "an-environment-key-of-more-than-32-chars")
    monkeypatch.setenv("UWC_AUDIT_OLD_KEYS", "a-retired-key-of-more-than-32-characters")
    key = load_key(get_settings(data_dir=tmp_path))
    assert key.current == b"an-environment-key-of-more-than-32-chars" and len(key.by_alg()) == 2
    assert not (tmp_path / "audit.key").exists()
    assert redact.MARK in redact.redact("a-retired-key-of-more-than-32-characters")


def test_a_sqlite_store_signs_with_the_key_file_beside_it_and_postgres_needs_one(tmp_path):
    store = RecordStore(tmp_path / "conversations.db")
    record = store.append("determination", user="u", role="junior", body={})
    assert record.alg == from_file(tmp_path / "audit.key").alg
    store.close()
    with pytest.raises(AuditKeyError, match="needs its key"):
        RecordStore("postgresql://nobody@127.0.0.1:1/none")


def _old_store(path: Path, n: int) -> None:
    """A conversations store at revision 0004 with ``n`` records written by the unkeyed scheme of then."""
    from tests.conftest import old_store

    with old_store(path, "0004"):
        pass
    with sqlite3.connect(path) as c:
        prev = "0" * 64
        for seq in range(1, n + 1):
            row = [seq, "determination", f"2026-01-0{seq}T00:00:00+00:00", "jo", "junior", "t", None, None, "{}", prev]
            prev = record_hash(*row)
            c.execute("INSERT INTO decision_record VALUES (?,?,?,?,?,?,?,?,?,?,?)", [*row, prev])
            c.execute("UPDATE decision_record_head SET seq = ?, hash = ? WHERE id = 1", [seq, prev])


def test_an_old_unkeyed_chain_still_verifies_and_is_continued_keyed(tmp_path):
    """Nothing written before the key is rewritten: its records verify as they were, new ones are keyed, and from
    the epoch on an unkeyed record is refused by the database and, were the trigger dropped, named by verify."""
    path = tmp_path / "conversations.db"
    _old_store(path, 3)
    store = RecordStore(path, key=KEY)
    report = store.verify()
    assert report.ok and report.count == 3 and report.unkeyed == 3 and store.keyed_from() == 4
    store.append("approval", user="sam", role="senior", body={"decision": "approved"})
    report = store.verify()
    assert report.ok and report.count == 4 and report.unkeyed == 3
    assert [r.alg for r in store.records()] == [None, None, None, KEY.alg]
    head_seq, head_hash = store.head()
    row = [5, "approval", "2030-01-01T00:00:00+00:00", "mallory", "senior", "t", None, None, "{}", head_hash]
    forged = record_hash(*row)
    with sqlite3.connect(path) as c, pytest.raises(sqlite3.DatabaseError, match="must be keyed"):
        c.execute("INSERT INTO decision_record VALUES (?,?,?,?,?,?,?,?,?,?,?,NULL)", [*row, forged])
    with sqlite3.connect(path) as c:
        c.execute("DROP TRIGGER decision_record_keyed")
        c.execute("INSERT INTO decision_record VALUES (?,?,?,?,?,?,?,?,?,?,?,NULL)", [*row, forged])
        c.execute("UPDATE decision_record_head SET seq = 5, hash = ? WHERE id = 1", [forged])
    report = store.verify()
    assert not report.ok and report.first_bad_seq == 5 and "not keyed" in report.problem
    store.close()


def test_rotating_the_key_file_keeps_every_record_verifiable(tmp_path):
    key_path = tmp_path / "audit.key"
    store = RecordStore(tmp_path / "conversations.db", key=from_file(key_path))
    store.append("determination", user="u", role="junior", body={"n": 1})
    store.close()
    old = from_file(key_path)
    new = rotate_file(key_path)
    assert new.current != old.current and new.retired == (old.current,)
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    store = RecordStore(tmp_path / "conversations.db", key=new)
    store.append("determination", user="u", role="junior", body={"n": 2})
    assert store.verify().ok and [r.alg for r in store.records()] == [old.alg, new.alg]
    store.close()
    alone = from_values(new.current.decode())  # the retired key lost: what it signed can no longer be checked
    store = RecordStore(tmp_path / "conversations.db", key=alone)
    report = store.verify()
    assert not report.ok and report.first_bad_seq == 1 and "not configured" in report.problem
    store.close()


def test_uwc_audit_rotate_key_and_verify(tmp_path, capsys, monkeypatch):
    from app.cli import main

    monkeypatch.delenv("UWC_AUDIT_KEY")  # the key file in the data folder

    assert main(["audit", "verify", "--data-dir", str(tmp_path)]) == 0
    assert (tmp_path / "audit.key").exists()
    assert main(["audit", "rotate-key", "--data-dir", str(tmp_path)]) == 0
    assert "1 retired key(s)" in capsys.readouterr().out
    (tmp_path / "audit.key").chmod(0o640)
    assert main(["audit", "verify", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "chmod 600" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_postgres_records_are_keyed_and_an_appended_forgery_is_named(pg_url):  # noqa: F811
    import psycopg

    store = RecordStore(pg_url, key=KEY)
    for i in range(3):
        store.append("determination", user="jo", role="junior", body={"i": i})
    assert store.verify().ok and store.keyed_from() == 1
    seq, prev = store.head()
    row = [seq + 1, "approval", "2030-01-01T00:00:00+00:00", "mallory", "senior", "t", None, None, "{}", prev]
    alg = KEY.alg  # the id is in every record: copying it does not give the key
    forged = record_hash(*row, alg, b"not the key, but as long as one would be")
    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as c:
        c.execute(
            "INSERT INTO decision_record VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", [*row, forged, alg]
        )  # the app's login may INSERT: the triggers let a record that extends the chain in
        c.execute("UPDATE decision_record_head SET seq = %s, hash = %s WHERE id = 1", [seq + 1, forged])
    report = store.verify()
    assert not report.ok and report.first_bad_seq == seq + 1 and "under the key" in report.problem
    store.close()


def test_a_process_with_another_key_is_refused_before_it_writes(tmp_path):
    """Replicas each making a key file of their own would sign one chain with keys none of the others holds."""
    RecordStore(tmp_path / "conversations.db", key=KEY).append("determination", user="u", role=None, body={})
    other = RecordStore(tmp_path / "conversations.db", key=from_values("another-process-key-0123456789abcdef"))
    with pytest.raises(AuditKeyError, match="give every process the same key"):
        other.check_key()
    other.close()
    rotated = from_values("another-process-key-0123456789abcdef", KEY.current.decode())  # the old one kept
    store = RecordStore(tmp_path / "conversations.db", key=rotated)
    store.check_key()
    store.close()


def test_a_key_file_that_cannot_be_made_is_one_line(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")  # refused even to root, unlike a read-only folder
    with pytest.raises(AuditKeyError, match="cannot create the decision record's key file .* UWC_AUDIT_KEY"):
        from_file(tmp_path / "a-file" / "audit.key")
