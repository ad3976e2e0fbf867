"""Red team, the decision record and its export: tampering through the app's own connection, a forged record
appended with a correct hash, the PostgreSQL owner granting itself UPDATE back, and export paths that escape the
chosen folder (``..``, absolute, symlink, hard link, FIFO).

Run: ``PYTHONPATH=. python -m bench.redteam.records`` (each attack prints held/BROKEN and one line of evidence).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import text

from bench.redteam import Outcome, attack

AREA = "records"
ROOT = str(Path(__file__).resolve().parents[2])


def _store(folder: Path, n: int = 3):
    from graph.records import RecordStore

    store = RecordStore(folder / "conversations.db")
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


def _forge(conn, store, kind: str, user: str, role: str, body_obj: dict) -> None:
    """Append a record exactly as ``RecordStore`` would, with plain SQL on the app's own connection."""
    from graph.records import _now, canonical_body, record_hash

    seq, prev = conn.execute(text("SELECT seq, hash FROM decision_record_head WHERE id = 1")).one()
    body, at = canonical_body(body_obj), _now()
    digest = record_hash(seq + 1, kind, at, user, role, "T1", None, "R-forged", body, prev)
    conn.execute(
        text(
            "INSERT INTO decision_record (seq, kind, at, user_name, role, thread_id, submission_id, referral_id, "
            "body, prev_hash, hash) VALUES (:s, :k, :a, :u, :r, 'T1', NULL, 'R-forged', :b, :p, :h)"
        ),
        dict(s=seq + 1, k=kind, a=at, u=user, r=role, b=body, p=prev, h=digest),
    )
    conn.execute(text("UPDATE decision_record_head SET seq = :s, hash = :h WHERE id = 1"), dict(s=seq + 1, h=digest))


@attack(AREA, "forge a senior's approval record with the app's login (INSERT only, hash recomputed)")
def forged_approval() -> Outcome:
    """No trigger is dropped: the chain's hash has no key, so anyone with the app's INSERT right can extend it."""
    with tempfile.TemporaryDirectory() as tmp:
        store = _store(Path(tmp))
        try:
            with store.engine.connect() as c:
                c.exec_driver_sql("BEGIN IMMEDIATE")
                _forge(
                    c, store, "approval", "sam", "senior", {"decision": "approved", "note": "ok", "message_id": "m2"}
                )
                c.exec_driver_sql("COMMIT")
            report = store.verify()
            kinds = [(r.kind, r.user) for r in store.records()]
            held = not report.ok
            return Outcome(held, f"verify ok={report.ok} with {report.count} records; last {kinds[-1]} was forged")
        finally:
            store.close()


@attack(AREA, "PostgreSQL: the app's login (the tables' owner) grants itself UPDATE and disables the trigger")
def pg_owner_takes_update_back() -> Outcome:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from graph.records import RecordStore
    from tests.pg import fresh_database

    with fresh_database("uwc_rt_rec") as url:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        role = "uwc_rt_app"
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
            c.exec_driver_sql(f"CREATE ROLE {role} LOGIN NOSUPERUSER PASSWORD 'rt'")
            c.exec_driver_sql(f"GRANT ALL ON SCHEMA public TO {role}")
        app_url = make_url(url).set(username=role, password="rt").render_as_string(hide_password=False)
        try:
            store = RecordStore(app_url)  # the app's own login runs the migration, as `uwc serve` does
            for i in range(3):
                store.append("determination", user="jo", role="junior", thread_id="T1", body={"i": i})
            steps = []
            try:
                with store.engine.begin() as c:
                    c.exec_driver_sql("UPDATE decision_record SET role='senior' WHERE seq=2")
                steps.append("plain UPDATE went through")
            except Exception as exc:
                steps.append(f"plain UPDATE refused ({type(exc).__name__})")
            try:
                with store.engine.begin() as c:
                    c.exec_driver_sql("GRANT UPDATE, DELETE ON decision_record TO CURRENT_USER")
                    c.exec_driver_sql("ALTER TABLE decision_record DISABLE TRIGGER decision_record_no_change")
                    c.exec_driver_sql("UPDATE decision_record SET role='senior' WHERE seq=2")
                steps.append("GRANT + DISABLE TRIGGER + UPDATE went through as the app's login")
                changed = True
            except Exception as exc:
                steps.append(f"owner route refused: {' '.join(str(exc).split())[:100]}")
                changed = False
            report = store.verify()
            store.close()
            steps.append(f"verify ok={report.ok} ({report.problem})")
            outcome = Outcome(not changed, "; ".join(steps))
        finally:
            admin.dispose()
    from tests.pg import ADMIN_URL

    cleanup = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
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
