"""Red team, the decision record and its export: tampering through the app's own connection, a record forged and
appended at the head by someone with the database but not the key (hashed as the chain's own, or by the unkeyed
scheme of old records), the PostgreSQL app login taking the owner's rights back after `uwc seed` with an owner,
and export paths that escape the chosen folder (``..``, absolute, symlink, hard link, FIFO).

The attacks run against older code too (a store without a key is opened as it was then), so the same script shows
what an older version let through.

Run: ``PYTHONPATH=. python -m bench.redteam.records`` (each attack prints held/BROKEN and one line of evidence).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import text

from bench.redteam import Outcome, attack

AREA = "records"
ROOT = str(Path(__file__).resolve().parents[2])
KEY = "the-red-team's-operator-key-0123456789"  # the operator's: the attacks never use it to forge
GUESS = b"a guess at the operator's key, as long as one"


def _record_store(url):
    from graph.records import RecordStore

    try:
        from graph.audit_key import from_values
    except ImportError:  # code from before the keyed chain
        return RecordStore(url)
    return RecordStore(url, key=from_values(KEY))


def _store(folder: Path, n: int = 3):
    store = _record_store(folder / "conversations.db")
    for i in range(n):
        store.append("determination", user="jo", role="junior", thread_id="T1", body={"message_id": f"m{i}"})
    return store


def _sqlite_statement(sql: str) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        store = _store(Path(tmp))
        try:
            with store.engine.connect() as c:
                c.exec_driver_sql(sql)
            return Outcome(False, f"{sql!r} went through the app's connection; verify: {store.verify().problem}")
        except Exception as exc:
            return Outcome(True, f"{sql!r} refused: {' '.join(str(exc).split())[:120]}")
        finally:
            store.close()


@attack(AREA, "UPDATE a record through the app's SQLite connection")
def update_record() -> Outcome:
    return _sqlite_statement("UPDATE decision_record SET role='senior' WHERE seq=1")


@attack(AREA, "DELETE the last record through the app's SQLite connection")
def delete_record() -> Outcome:
    return _sqlite_statement("DELETE FROM decision_record WHERE seq=3")


@attack(AREA, "move the head back (hide the last record) through the app's SQLite connection")
def head_back() -> Outcome:
    return _sqlite_statement("UPDATE decision_record_head SET seq=2")


@attack(AREA, "drop the triggers with the app's SQLite connection, then edit a record: verify must name it")
def drop_triggers_then_edit() -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        store = _store(Path(tmp))
        try:
            with store.engine.connect() as c:
                c.exec_driver_sql("DROP TRIGGER decision_record_no_update")
                c.exec_driver_sql("UPDATE decision_record SET role='senior' WHERE seq=2")
            report = store.verify()
            return Outcome(not report.ok and report.first_bad_seq == 2, f"verify: ok={report.ok} {report.problem}")
        finally:
            store.close()


def _forge(conn, kind: str, user: str, role: str, body_obj: dict, *, unkeyed: bool = False) -> str:
    """Append a record exactly as ``RecordStore`` would, with plain SQL on the app's own connection and what the
    database shows: the head, and the ``alg`` every record names (its key id). Without the key the hash is an HMAC
    under a guess, or (``unkeyed``) the plain sha256 of records written before the key."""
    from graph.records import _now, canonical_body, record_hash

    seq, prev = conn.execute(text("SELECT seq, hash FROM decision_record_head WHERE id = 1")).one()
    body, at = canonical_body(body_obj), _now()
    fields = (seq + 1, kind, at, user, role, "T1", None, "R-forged", body, prev)
    keyed = "alg" in {row[1] for row in conn.exec_driver_sql("PRAGMA table_info(decision_record)")}
    alg = None
    if keyed and not unkeyed:
        alg = conn.execute(text("SELECT alg FROM decision_record ORDER BY seq DESC LIMIT 1")).scalar()
    digest = record_hash(*fields, alg, GUESS) if alg else record_hash(*fields)
    values = dict(s=seq + 1, k=kind, a=at, u=user, r=role, b=body, p=prev, h=digest)
    columns = "seq, kind, at, user_name, role, thread_id, submission_id, referral_id, body, prev_hash, hash"
    if keyed:
        columns, values["alg"] = columns + ", alg", alg
    placeholders = ":s, :k, :a, :u, :r, 'T1', NULL, 'R-forged', :b, :p, :h" + (", :alg" if keyed else "")
    conn.execute(text(f"INSERT INTO decision_record ({columns}) VALUES ({placeholders})"), values)
    conn.execute(text("UPDATE decision_record_head SET seq = :s, hash = :h WHERE id = 1"), dict(s=seq + 1, h=digest))
    return alg or "unkeyed sha256"


def _forged_approval(unkeyed: bool) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        store = _store(Path(tmp))
        try:
            try:
                with store.engine.connect() as c:
                    c.exec_driver_sql("BEGIN IMMEDIATE")
                    body = {"decision": "approved", "note": "ok", "message_id": "m2"}
                    how = _forge(c, "approval", "sam", "senior", body, unkeyed=unkeyed)
                    c.exec_driver_sql("COMMIT")
            except Exception as exc:
                return Outcome(True, f"the database refused the forged record: {' '.join(str(exc).split())[:110]}")
            report = store.verify()
            kinds = [(r.kind, r.user) for r in store.records()]
            return Outcome(
                not report.ok,
                f"forged {kinds[-1]} ({how}); verify ok={report.ok} with {report.count} records: {report.problem}",
            )
        finally:
            store.close()


@attack(AREA, "forge a senior's approval with the app's login (INSERT only, hashed as the chain's, no key)")
def forged_approval() -> Outcome:
    """No trigger is dropped: the attacker may INSERT and sees every record's key id, but not the key."""
    return _forged_approval(unkeyed=False)


@attack(AREA, "forge an approval hashed by the unkeyed scheme of old records (a downgrade)")
def forged_unkeyed_approval() -> Outcome:
    """Records written before the key still verify unkeyed: one appended after them must not."""
    return _forged_approval(unkeyed=True)


@attack(AREA, "PostgreSQL: after `uwc seed` with an owner, the app's login takes the owner's rights back")
def pg_owner_takes_update_back() -> Outcome:
    """`uwc seed` runs as the owner (UWC_OWNER_URL) and the app as its own login (UWC_DATABASE_URL), as docs/audit.md
    tells an operator; the app's login then tries every way an owner has to change a record."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from tests.pg import ADMIN_URL, fresh_database

    role = f"uwc_rt_app_{uuid.uuid4().hex[:8]}"  # roles are per server: two runs at once must not share one
    steps: list[str] = []
    cleanup = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with cleanup.connect() as c:
        c.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        c.exec_driver_sql(f"CREATE ROLE {role} LOGIN NOSUPERUSER PASSWORD 'rt-app-login'")
    try:
        with fresh_database("uwc_rt_rec") as url, tempfile.TemporaryDirectory() as data:
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.exec_driver_sql(f"GRANT ALL ON SCHEMA public TO {role}")  # what the app needs for its own tables
            app_url = make_url(url).set(username=role, password="rt-app-login").render_as_string(hide_password=False)
            env = {**os.environ, "PYTHONPATH": ROOT, "UWC_TRACING": "0", "UWC_DATABASE_URL": app_url}
            env |= {"UWC_OWNER_URL": url, "UWC_AUDIT_KEY": KEY}
            seed = subprocess.run(
                [sys.executable, "-m", "app.cli", "seed", "--no-index", "--data-dir", data],
                capture_output=True, text=True, timeout=120, env=env,
            )  # fmt: skip
            steps.append(f"uwc seed exit {seed.returncode}")
            store = _record_store(app_url)  # the app: opens (and on old code migrates) the store as its login
            for i in range(3):
                store.append("determination", user="jo", role="junior", thread_id="T1", body={"i": i})
            changed = []
            update = "UPDATE decision_record SET role='senior' WHERE seq=2"
            for statements in (
                [update],
                [
                    "GRANT UPDATE, DELETE ON decision_record TO CURRENT_USER",
                    "ALTER TABLE decision_record DISABLE TRIGGER decision_record_no_change",
                    update,
                ],
                [
                    "CREATE OR REPLACE FUNCTION uwc_decision_record_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RETURN NEW; END $$",
                    update,
                ],
                ["ALTER TABLE decision_record OWNER TO CURRENT_USER"],
                ["DROP TABLE decision_record_head"],
            ):
                try:
                    with store.engine.begin() as c:
                        for statement in statements:
                            c.exec_driver_sql(statement)
                    changed.append(statements[0][:40])
                except Exception as exc:
                    steps.append(f"refused: {' '.join(str(getattr(exc, 'orig', exc)).split())[:50]}")
            try:
                steps.append(f"verify ok={store.verify().ok}")
            except Exception as exc:  # the head table dropped: nothing left to verify against
                steps.append(f"verify could not run ({type(exc).__name__})")
            store.close()
            admin.dispose()
            if changed:
                steps.insert(0, f"went through as the app's login: {', '.join(changed)}")
            outcome = Outcome(not changed, "; ".join(steps))
    finally:
        with cleanup.connect() as c:  # the role owned only objects of the database just dropped
            c.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        cleanup.dispose()
    return outcome


@attack(AREA, "memo PDF: a junior's override reason with line breaks fakes an approval entry")
def memo_fake_approval_lines() -> Outcome:
    """The reason is the junior's own text, stored as it was typed; the memo lays it out with its line breaks, in
    the same font as the records' own lines."""
    import io

    from pypdf import PdfReader

    from app.memo import memo_pdf

    fake = (
        "roof replaced\nApproval #9    2026-01-05 10:00:00 UTC by sam (senior)\n  decision    approved\n  note    fine"
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = _store(Path(tmp), n=1)
        try:
            store.append(
                "override",
                user="jo",
                role="junior",
                thread_id="T1",
                body={"message_id": "m0", "override": {"verdict": "yes", "reason": fake}},
            )
            pdf = memo_pdf(list(store.records()))
        finally:
            store.close()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    lines = [line for line in text.splitlines() if line.strip().startswith(("Approval #", "decision"))]
    return Outcome(not lines, f"memo text lines that look like an approval: {lines}")


# --- export ---------------------------------------------------------------------------------------------------------
def _export(out: str, cwd: Path, data: Path, timeout: float = 20) -> subprocess.CompletedProcess | None:
    env = {**os.environ, "PYTHONPATH": ROOT, "UWC_TRACING": "0"}
    try:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", "audit", "export", "--data-dir", str(data), "--out", out,
             "--format", "jsonl"],
            cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None


def _export_setup(tmp: Path) -> tuple[Path, Path]:
    data, cwd = tmp / "data", tmp / "cwd"
    cwd.mkdir()
    _store(data).close()
    return data, cwd


def _refused(proc, what: str) -> Outcome:
    if proc is None:
        return Outcome(False, f"{what}: `uwc audit export` hung (killed after the timeout)")
    err = proc.stderr.strip()
    ok = proc.returncode != 0 and "Traceback" not in err and len(err.splitlines()) == 1
    return Outcome(ok, f"{what}: exit {proc.returncode}: {(err or proc.stdout.strip())[:160]}")


@attack(AREA, "export --out ../outside")
def export_dotdot() -> Outcome:
    with tempfile.TemporaryDirectory() as t:
        data, cwd = _export_setup(Path(t))
        return _refused(_export("../outside", cwd, data), "..")


@attack(AREA, "export --out /tmp/<abs>")
def export_absolute() -> Outcome:
    with tempfile.TemporaryDirectory() as t:
        data, cwd = _export_setup(Path(t))
        return _refused(_export(str(Path(t) / "abs"), cwd, data), "absolute")


@attack(AREA, "export --out link (a symlink to a folder outside)")
def export_symlink_dir() -> Outcome:
    with tempfile.TemporaryDirectory() as t:
        data, cwd = _export_setup(Path(t))
        (Path(t) / "outside").mkdir()
        (cwd / "link").symlink_to(Path(t) / "outside")
        return _refused(_export("link", cwd, data), "symlinked folder")


@attack(AREA, "export --out out where out/records.jsonl is a symlink to a file outside")
def export_symlink_file() -> Outcome:
    with tempfile.TemporaryDirectory() as t:
        data, cwd = _export_setup(Path(t))
        victim = Path(t) / "victim.txt"
        victim.write_text("precious\n")
        (cwd / "out").mkdir()
        (cwd / "out" / "records.jsonl").symlink_to(victim)
        outcome = _refused(_export("out", cwd, data), "symlinked file")
        intact = victim.read_text() == "precious\n"
        return Outcome(outcome.held and intact, f"{outcome.detail}; outside file intact={intact}")


@attack(AREA, "export --out out where out/records.jsonl is a hard link to a file outside")
def export_hardlink_file() -> Outcome:
    with tempfile.TemporaryDirectory() as t:
        data, cwd = _export_setup(Path(t))
        victim = Path(t) / "victim.txt"
        victim.write_text("precious\n")
        (cwd / "out").mkdir()
        os.link(victim, cwd / "out" / "records.jsonl")
        proc = _export("out", cwd, data)
        after = victim.read_text()
        intact = after == "precious\n"
        detail = f"exit {proc.returncode if proc else 'hung'}; the file outside the folder now starts {after[:60]!r}"
        return Outcome(intact, detail)


@attack(AREA, "export --out out where out/records.jsonl is a FIFO (nobody reads it)")
def export_fifo() -> Outcome:
    with tempfile.TemporaryDirectory() as t:
        data, cwd = _export_setup(Path(t))
        (cwd / "out").mkdir()
        os.mkfifo(cwd / "out" / "records.jsonl")
        return _refused(_export("out", cwd, data, timeout=15), "FIFO")


if __name__ == "__main__":
    from bench.redteam import ATTACKS

    wanted = sys.argv[1:]
    for a in [a for a in ATTACKS if a.area == AREA and (not wanted or a.run.__name__ in wanted)]:
        o = a.run()
        print(f"{'held  ' if o.held else 'BROKEN'} {a.name}: {o.detail}")
