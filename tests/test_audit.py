"""What a turn writes to the decision record, `uwc audit verify/export`, and the underwriting memo PDF."""

from __future__ import annotations

import json

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
    assert appetite["task_type"] == "appetite" and appetite["verdict"] == {"appetite": r.steps[-3]["result"]["appetite"]}
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
    assert records[0].user == "local" and records[0].role is None and records[0].thread_id == tid
    assert cp.records.verify().ok


def test_a_fact_from_the_applicant_record_names_it(cp):
    tid = cp.new_thread().id
    r = cp.send(tid, "What deductible for auto on Wayfarer Heavy Haul?")
    (record,) = r.records
    app_id = record.body["applicant_id"]
    assert app_id and record.submission_id == app_id
    assert record.body["facts"]["naics"]["source"] == f"applicant record {app_id}"
    assert record.body["facts"]["lob"]["source"].startswith("user message ")


def test_a_turn_without_a_finding_writes_nothing(cp):
    tid = cp.new_thread().id
    r = cp.send(tid, "Hi there!")
    assert r.records == [] and list(cp.records.records()) == []


def test_a_record_that_cannot_be_written_leaves_the_answer_with_a_notice(cp, monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(cp.records, "append", refuse)
    tid = cp.new_thread().id
    r = cp.send(tid, "Is NAICS 484121 in Texas in appetite for commercial auto? They have 21 trucks and revenue of $8M.")
    assert r.finding is not None and r.answer and r.records == []
    assert "disk full" in r.record_error and any("not written to the decision record" in n for n in r.notices)


def test_records_stay_in_the_conversations_store_of_the_data_folder(cp):
    cp.send(cp.new_thread().id, "What deductible would we offer for commercial auto on NAICS 484121?")
    store = RecordStore(cp.settings.conversations_path)
    assert store.verify().count == 1
    store.close()

