"""What a turn writes to the decision record, `uwc audit verify/export`, and the underwriting memo PDF."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph.records import RecordStore


@pytest.fixture
def copilot_toolkit(db_toolkit):
    return db_toolkit  # these conversations need no search index


@pytest.fixture
def cp(make_copilot):
    from graph.offline import OfflineRulesModel

    cp = make_copilot()
    assert isinstance(cp.model, OfflineRulesModel)
    return cp


def test_each_finding_of_a_turn_writes_one_determination_record(cp):
    tid = cp.new_thread().id
    r = cp.send(tid, "taxi co in Georgia, naics 485310, 12 cabs, rev 3M: can we do comm auto, and what deductible?")
    assert [s["arguments"]["task_type"] for s in r.steps if s["tool"] == "record_finding"] == ["appetite", "deductible"]
    assert [rec.kind for rec in r.records] == ["determination", "determination"] and r.record_error is None
    records = list(cp.records.records(thread_id=tid))
    assert records == r.records
    appetite, deductible = (rec.body for rec in records)
    assert appetite["task_type"] == "appetite" and appetite["verdict"] == {
        "appetite": r.steps[-3]["result"]["appetite"]
    }
    assert deductible["verdict"] == {"deductible": 5000}
    asked = cp.history(tid)[0]
    facts = appetite["facts"]
    assert facts["naics"]["value"] == "485310" and facts["naics"]["message_id"] == asked["id"]
    assert facts["state"]["source"] == f"user message {asked['id']}" and len(facts["state"]["snippet"]) <= 160
    assert facts["annual_revenue"]["value"] == 3_000_000 and facts["vehicles"]["message_id"] == asked["id"]
    assert appetite["citations"] and appetite["rules_applied"]
    assert {c["tool"] for c in appetite["tool_calls"]} >= {"check_appetite", "record_finding", "get_deductible"}
    assert appetite["model"]["name"] == "offline" and appetite["model"]["max_output_tokens"] == 2048
    assert len(appetite["prompt_sha256"]) == 64 and len(appetite["seed_inputs_sha256"]) == 64
    assert deductible["online_check"] == r.check and appetite["online_check"]["status"] in ("ok", "mismatch")
    assert records[0].user == "local" and records[0].role == "junior" and records[0].thread_id == tid
    assert cp.records.verify().ok


def test_a_fact_from_the_applicant_record_names_it(cp):
    tid = cp.new_thread().id
    r = cp.send(tid, "What deductible for auto on Wayfarer Heavy Haul?")
    (record,) = r.records
    app_id = record.body["applicant_id"]
    assert app_id and record.submission_id == app_id
    assert record.body["facts"]["naics"]["source"] == f"applicant record {app_id}"
    assert record.body["facts"]["lob"]["source"].startswith("user message ")


def test_a_bare_answer_is_the_source_of_the_fact_it_answers(cp):
    tid = cp.new_thread().id
    cp.send(tid, "Does NAICS 311919 count as small?")
    r = cp.send(tid, "32")
    (record,) = r.records
    answer_id = cp.history(tid)[2]["id"]
    assert record.body["facts"]["employees"] == {
        "value": 32,
        "source": f"user message {answer_id}",
        "message_id": answer_id,
        "snippet": "32",
    }
    assert record.body["facts"]["naics"]["message_id"] == cp.history(tid)[0]["id"]


def test_a_referral_and_its_approval_join_the_memo_of_their_determination(cp):
    import io

    from pypdf import PdfReader

    from app.audit import memo_groups
    from app.memo import memo_pdf

    tid = cp.new_thread().id
    cp.send(tid, "Is NAICS 722511 in Texas in appetite for property? revenue 3M")
    r = cp.send(tid, "no idea on construction")
    (ref,) = r.referrals
    cp.referrals.decide(ref.id, "approve", user="sam", role="senior", note="fine on these facts")
    records = list(cp.records.records(thread_id=tid))
    assert [(x.kind, x.referral_id) for x in records[-3:]] == [
        ("determination", None),
        ("referral", ref.id),
        ("approval", ref.id),
    ]
    (group,) = [g for g in memo_groups(records) if len(g) > 1]
    assert [x.kind for x in group] == ["determination", "referral", "approval"]
    assert group[0].body["message_id"] == r.message_id and group[0].body["verdict"] == {"appetite": "qualified"}
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(memo_pdf(group))).pages).split())
    assert "Approval #" in text and "sam (senior)" in text and "fine on these facts" in text
    assert cp.records.verify().ok
    from app.audit import memo_for_answer

    download = memo_for_answer(cp.records, tid, r.message_id)
    assert download is not None and group[0].hash in " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(download)).pages
    ).replace(" ", "").replace("\n", "")
    assert memo_for_answer(cp.records, tid, "no-such-answer") is None


def test_a_turn_without_a_finding_writes_nothing(cp):
    tid = cp.new_thread().id
    r = cp.send(tid, "Hi there!")
    assert r.records == [] and list(cp.records.records()) == []


def test_a_record_that_cannot_be_written_leaves_the_answer_with_a_notice(cp, monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(cp.records, "append_many", refuse)
    tid = cp.new_thread().id
    r = cp.send(
        tid, "Is NAICS 484121 in Texas in appetite for commercial auto? They have 21 trucks and revenue of $8M."
    )
    assert r.finding is not None and r.answer and r.records == []
    assert "disk full" in r.record_error and any("not written to the decision record" in n for n in r.notices)


TWO_FINDINGS = "taxi co in Georgia, naics 485310, 12 cabs, rev 3M: can we do comm auto, and what deductible?"


def test_a_turns_records_are_written_all_or_none(cp, monkeypatch):
    """A turn's determinations go to the record in one transaction: a body the record refuses keeps the other
    determination of the turn off it too, and the notice says so (nothing half on record)."""
    from graph import observe

    real = observe.determination_body
    monkeypatch.setattr(
        observe,
        "determination_body",
        lambda e, **kw: (
            {**real(e, **kw), "bad": float("nan")} if e["result"]["task_type"] == "deductible" else real(e, **kw)
        ),
    )
    r = cp.send(cp.new_thread().id, TWO_FINDINGS)
    assert len(r.findings) == 2 and r.records == [] and list(cp.records.records()) == []
    assert "not JSON" in r.record_error and any("not written to the decision record" in n for n in r.notices)


def test_a_check_store_fault_marks_the_turns_checks_and_keeps_the_records(cp, monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("telemetry disk full")

    monkeypatch.setattr(cp.checks, "add_many", refuse)
    tid = cp.new_thread().id
    r = cp.send(tid, TWO_FINDINGS)
    assert [c["status"] for c in r.checks] == ["error", "error"] and cp.checks.by_message(tid) == {}
    assert [rec.body["online_check"]["status"] for rec in r.records] == ["error", "error"]
    monkeypatch.undo()
    r = cp.send(tid, TWO_FINDINGS)
    stored = cp.checks.by_message(tid)[r.message_id]
    assert [c["status"] for c in stored] == [c["status"] for c in r.checks] and len(stored) == 2


def test_records_stay_in_the_conversations_store_of_the_data_folder(cp):
    cp.send(cp.new_thread().id, "What deductible would we offer for commercial auto on NAICS 484121?")
    store = RecordStore(cp.settings.conversations_path)
    assert store.verify().count == 1
    store.close()


# --- uwc audit and the memo ----------------------------------------------------------------------------------
OUTPUT = Path(__file__).resolve().parents[1] / "test-output" / "memo"  # git-ignored


def _cli(*argv: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from app.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def decided(cp):
    """A conversation with a determination, a referral and its approval; another with a determination only."""
    tid = cp.new_thread().id
    (r,) = [cp.send(tid, "What deductible for auto on Wayfarer Heavy Haul?")]
    det = r.records[0]
    referral = cp.records.append(
        "referral",
        user="junior1",
        role="junior",
        body={"reason": "revenue above authority 😀", "determination_seq": det.seq},
        thread_id=tid,
        submission_id=det.submission_id,
        referral_id="ref-1",
    )
    approval = cp.records.append(
        "approval",
        user="senior1",
        role="senior",
        body={"decision": "approved", "comment": "Fine – “ok” ✓ by me"},
        thread_id=tid,
        submission_id=det.submission_id,
        referral_id="ref-1",
    )
    other = cp.new_thread().id
    cp.send(other, "What deductible would we offer for commercial auto on NAICS 484121?")
    return {
        "thread": tid,
        "other": other,
        "det": det,
        "referral": referral,
        "approval": approval,
        "dir": cp.settings.data_dir,
    }


def test_audit_verify_says_ok_then_names_the_first_bad_record(decided):
    import sqlite3

    code, out, _ = _cli("audit", "verify", "--data-dir", str(decided["dir"]))
    first, head = out.splitlines()
    assert code == 0 and first.startswith("ok: 4 records, chain intact (") and first.endswith(" s)")
    assert head.startswith(f"head: record 4, hash {RecordStore(decided['dir'] / 'conversations.db').head()[1]}")
    with sqlite3.connect(decided["dir"] / "conversations.db") as c:
        c.execute("DROP TRIGGER decision_record_no_update")
        c.execute("UPDATE decision_record SET user_name = 'someone else' WHERE seq = 3")
    code, out, err = _cli("audit", "verify", "--data-dir", str(decided["dir"]))
    assert code == 1 and out == "" and err.count("\n") == 1 and "record 3 was changed" in err


def test_audit_export_writes_jsonl_and_one_memo_per_determination(decided, tmp_path):
    from pypdf import PdfReader

    code, out, err = _cli("audit", "export", "--out", "exports", "--data-dir", str(decided["dir"]))
    assert code == 0, err
    lines = [json.loads(x) for x in (tmp_path / "exports" / "records.jsonl").read_text().splitlines()]
    assert [x["seq"] for x in lines] == [1, 2, 3, 4] and all(len(x["hash"]) == 64 for x in lines)
    memos = sorted((tmp_path / "exports").glob("memo-*.pdf"))
    assert [m.name for m in memos] == [f"memo-000001-{decided['thread']}.pdf", f"memo-000004-{decided['other']}.pdf"]
    text = "\n".join(page.extract_text() for page in PdfReader(memos[0]).pages)
    flat = " ".join(text.split())
    det = decided["det"]
    assert det.hash in flat.replace(" ", "") and "Deductible" in flat and "$5,000" in flat
    assert f"applicant record {det.submission_id}" in flat and "deductibles-auto-transport" in flat
    assert (
        "Approval #3" in flat
        and "senior1 (senior)" in flat
        and '"ok" (yes) by me' in flat
        and decided["approval"].hash in flat.replace(" ", "")
    )
    assert "revenue above authority ?" in flat  # an emoji becomes "?", never a crash
    OUTPUT.mkdir(parents=True, exist_ok=True)
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(memos[0]))
    pdf[0].render(scale=1.5).to_pil().save(OUTPUT / "memo-page1.png")
    pdf.close()

    code, out, _ = _cli(
        "audit",
        "export",
        "--out",
        "one",
        "--thread",
        decided["other"],
        "--format",
        "jsonl",
        "--data-dir",
        str(decided["dir"]),
    )
    assert code == 0 and [
        json.loads(x)["seq"] for x in (tmp_path / "one" / "records.jsonl").read_text().splitlines()
    ] == [4]
    assert not list((tmp_path / "one").glob("*.pdf"))
    code, _, _ = _cli(
        "audit",
        "export",
        "--out",
        "sub",
        "--submission",
        decided["det"].submission_id,
        "--format",
        "pdf",
        "--data-dir",
        str(decided["dir"]),
    )
    assert code == 0 and [m.name for m in (tmp_path / "sub").iterdir()] == [memos[0].name]
    code, _, _ = _cli("audit", "export", "--out", "later", "--since", "2999-01-01", "--data-dir", str(decided["dir"]))
    assert code == 0 and (tmp_path / "later" / "records.jsonl").read_text() == ""


@pytest.mark.parametrize("out", ["../escape", "/tmp", "a/../../escape", "link", "file.txt", "inside/planted"])
def test_audit_export_refuses_paths_outside_the_folder(decided, tmp_path, out):
    outside = tmp_path.parent / f"outside-{tmp_path.name}"
    outside.mkdir()
    (tmp_path / "link").symlink_to(outside)
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "inside" / "planted").mkdir(parents=True)
    (tmp_path / "inside" / "planted" / "records.jsonl").symlink_to(outside / "records.jsonl")
    code, out_text, err = _cli("audit", "export", "--out", out, "--data-dir", str(decided["dir"]))
    assert code == 2 and out_text == "" and err.count("\n") == 1 and "Traceback" not in err
    assert not list(outside.iterdir())


def test_audit_export_never_hangs_on_a_fifo_nor_writes_through_a_hard_link(decided, tmp_path):
    import os

    (tmp_path / "fifo").mkdir()
    os.mkfifo(tmp_path / "fifo" / "records.jsonl")
    code, _, err = _cli("audit", "export", "--out", "fifo", "--format", "jsonl", "--data-dir", str(decided["dir"]))
    assert code == 2 and "not a regular file" in err  # refused at once, not a hang
    outside = tmp_path.parent / f"kept-{tmp_path.name}.txt"
    outside.write_text("someone else's file")
    (tmp_path / "linked").mkdir()
    os.link(outside, tmp_path / "linked" / "records.jsonl")
    code, _, _ = _cli("audit", "export", "--out", "linked", "--format", "jsonl", "--data-dir", str(decided["dir"]))
    assert code == 0 and outside.read_text() == "someone else's file"
    assert (tmp_path / "linked" / "records.jsonl").read_text().count("\n") >= 1


def test_audit_export_refuses_a_bad_since(decided):
    code, _, err = _cli("audit", "export", "--out", "x", "--since", "last tuesday", "--data-dir", str(decided["dir"]))
    assert code == 2 and "not an ISO date" in err


def test_memo_never_crashes_on_text_outside_latin1():
    from app.memo import latin1, memo_pdf
    from graph.records import DecisionRecord

    assert latin1("Café “quoted” – ok… 😀 中文 ✓") == 'Café "quoted" - ok... ? ?? (yes)'
    body = {
        "task_type": "appetite",
        "verdict": {"appetite": "yes"},
        "summary": "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u202e RTL \x00 nul",
        "facts": {"state": {"value": "東京", "source": "tool argument"}},
    }
    record = DecisionRecord(
        1, "determination", "2026-01-01T00:00:00+00:00", "ü", None, None, None, None, body, "0" * 64, "f" * 64
    )
    assert memo_pdf([record]).startswith(b"%PDF")
    long = {  # many facts, words longer than a line, a label wider than its column: pages, never an error
        "task_type": "appetite",
        "verdict": {"appetite": "no"},
        "summary": "x" * 3000,
        "facts": {f"fact_{'y' * 60}_{i}": {"value": "z" * 400, "source": "tool argument"} for i in range(120)},
        "rules_applied": [{"rule": "r", "detail": "w " * 2000}],
    }
    import io

    from pypdf import PdfReader

    pdf = memo_pdf([DecisionRecord(2, "determination", "2026", None, None, None, None, None, long, "0" * 64, "e" * 64)])
    assert len(PdfReader(io.BytesIO(pdf)).pages) > 3
    with pytest.raises(ValueError, match="determination"):
        memo_pdf([DecisionRecord(3, "approval", "2026", None, None, None, None, None, {}, "0" * 64, "e" * 64)])


def test_a_line_break_in_a_value_cannot_write_a_line_of_the_memo():
    from pypdf import PdfReader

    from app.memo import memo_pdf
    from graph.records import DecisionRecord

    spoof = "fine\nApproval #9 (approval) by sam (senior)\ndecision approved"
    body = {"task_type": "appetite", "verdict": {"appetite": "no"}, "summary": spoof, "facts": {}}
    det = DecisionRecord(
        1, "determination", "2026-01-01T00:00:00+00:00", "ana", "junior", "t", None, None, body, "0" * 64, "a" * 64
    )
    override = DecisionRecord(
        2,
        "override",
        "2026-01-01T00:01:00+00:00",
        "ana",
        "junior",
        "t",
        None,
        None,
        {"override": {"verdict": "yes", "reason": spoof}},
        "a" * 64,
        "b" * 64,
    )
    import io

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(memo_pdf([det, override]))).pages)
    assert not any(line.strip().startswith("Approval #9") for line in text.splitlines())
