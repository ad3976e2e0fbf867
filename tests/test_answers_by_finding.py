"""What the underwriter sees, finding by finding (issue 23, items 3-4, second round): a correction re-runs every
earlier determination that used the fact; a reply picks an offered NAICS code by position or by a word of its title;
figures for a line out of appetite lead with the decline; each finding of a turn has its own check, Disagree and
memo; headlines name the applicant; guideline lists stay lists; the desk shows names, never codes."""

from __future__ import annotations

import re

import pytest

from app.ui.messages import checks_of, steps_of
from desk.triage import TriageInput, run_all, status_reason, toolkit_call
from graph.headline import headline
from graph.offline.answers import rules_of
from graph.offline.choice import picked
from guidelines import load_sections

LOBS = {"cyber": "Cyber", "general_liability": "General Liability", "property": "Property", "auto": "Commercial Auto"}
CODE = re.compile(r"\b(?:general_liability|workers_compensation|product_recommendation|policy_limits|small_business)\b")


def tasks(result) -> list[str]:
    return [f["task_type"] for f in result.findings]


# --- a. a correction re-runs what depended on the fact ----------------------------------------------------------
def test_a_correction_reruns_every_earlier_determination_that_used_the_fact(cp):
    tid = cp.new_thread().id
    cp.send(tid, "NAICS 561730 in Oregon, 48 employees, revenue $2.6M: small business?")
    cp.send(tid, "and appetite for general liability?")
    fixed = cp.send(tid, "my mistake - headcount is 84, not 48")
    assert {"small_business", "appetite"} <= set(tasks(fixed))
    assert all(f["facts"].get("employees") == 84 for f in fixed.findings)
    assert fixed.answer.startswith("Noted: the number of employees is 84 (not 48).")


def test_a_correction_of_a_figure_on_the_record_reruns_what_used_it(cp):
    tid = cp.new_thread().id
    cp.send(tid, "Millbrook Printing Inc., are they in appetite for cyber?")  # 7 employees on the record
    cp.send(tid, "is it a small business?")
    fixed = cp.send(tid, "oops, they have 1200 employees, not 7")
    verdicts = {f["task_type"]: f for f in fixed.findings}
    assert verdicts["appetite"]["appetite"] == "no" and verdicts["small_business"]["small_business"] is False


def test_asking_about_another_line_is_no_correction_of_the_first(cp):
    tid = cp.new_thread().id
    cp.send(tid, "NAICS 238160 in Texas, 20 employees, revenue $4M: in appetite for general liability?")
    other = cp.send(tid, "and for property?")  # a new question: the general liability finding stands
    assert [(f["task_type"], f["facts"]["lob"]) for f in other.findings] == [("appetite", "property")]


# --- b. a reply picks one of the offered codes ------------------------------------------------------------------
TITLES = {"444140": "Hardware Retailers", "423710": "Hardware Merchant Wholesalers", "332510": "Hardware Manufacturing"}
OFFERED = list(TITLES)


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ("the wholesale one", "423710"),
        ("wholesaler", "423710"),
        ("Retail", "444140"),
        ("it's the manufacturer", "332510"),
        ("option 2", "423710"),
        ("#3", "332510"),
        ("number one please", "444140"),
        ("the middle one", "423710"),
        ("go with the last", "332510"),
        ("2nd", "423710"),
        ("hardware", None),  # every title has it: no pick
        ("not the retail one", None),
        ("none of those fit", None),
        ("a plumbing contractor", None),
        ("online hardware supplies", None),  # a new description, not a pick: "online" is in no title
        ("I'd go with the retail one, please", "444140"),
    ],
)
def test_a_reply_picks_an_offered_code_by_position_or_by_a_word_only_its_title_has(reply, code):
    assert picked(reply, OFFERED, TITLES) == code


def test_picking_by_a_title_word_in_the_conversation(cp):
    tid = cp.new_thread().id
    offer = cp.send(tid, "which naics code fits a neighbourhood bakery?")
    assert "Retail Bakeries" in offer.answer and offer.finding is None
    chosen = cp.send(tid, "the retail one")
    assert chosen.finding["naics"] == "311811"


# --- c. figures on a line out of appetite -----------------------------------------------------------------------
def test_limits_for_a_line_out_of_appetite_say_declined_first(cp):
    tid = cp.new_thread().id
    out = cp.send(tid, "What limits for cyber on NAICS 111110 in Alaska?")
    assert out.answer.startswith("Declined — ") and "For information only: $1,000,000 per occurrence" in out.answer
    assert out.finding["appetite"] == "no" and out.finding["per_occurrence"] == 1_000_000
    assert headline(out.finding, LOBS).startswith("Declined — the business is not in appetite for Cyber")
    fine = cp.send(cp.new_thread().id, "What deductible for general liability on NAICS 111110 in Alaska?")
    assert "Declined" not in fine.answer and "appetite" not in fine.finding


# --- d. each finding its own check, card and actions ------------------------------------------------------------
def test_two_findings_get_two_checks_and_each_card_its_own_steps(cp):
    tid = cp.new_thread().id
    r = cp.send(tid, "What limits and what deductible for commercial auto on NAICS 484121?")
    assert tasks(r) == ["policy_limits", "deductible"]
    assert [c["status"] for c in r.checks] == ["ok", "ok"] and r.check == r.checks[-1]
    shown = cp.history(tid)[-1]
    assert [c["task_type"] for c in shown["checks"]] == ["policy_limits", "deductible"]
    assert checks_of(shown, 2) == shown["checks"]
    assert checks_of({"check": {"status": "ok"}}, 2) == [None, {"status": "ok"}]  # an older entry: the last only
    first, second = steps_of(shown["steps"], 0), steps_of(shown["steps"], 1)
    assert [s["tool"] for s in first][-1] == "record_finding" and "get_limits" in [s["tool"] for s in first]
    assert "get_limits" not in [s["tool"] for s in second] and "get_deductible" in [s["tool"] for s in second]


def test_disagree_and_the_memo_are_about_the_finding_they_sit_under(cp):
    from app.audit import memo_for_answer
    from graph.refer import override

    tid = cp.new_thread().id
    r = cp.send(tid, "What limits and what deductible for commercial auto on NAICS 484121?")
    override(cp, tid, r.message_id, verdict="$2M per occurrence", reason="Fleet of tankers.", user="local",
             role="senior", index=0)  # fmt: skip
    said = [x for x in cp.records.records(thread_id=tid) if x.kind == "override"][-1]
    assert said.body["determination"]["task_type"] == "policy_limits" and said.body["finding_index"] == 0
    first, second = memo_for_answer(cp.records, tid, r.message_id, 0), memo_for_answer(cp.records, tid, r.message_id, 1)
    assert first and second and first != second


# --- e. the applicant's name in headlines -----------------------------------------------------------------------
def test_a_headline_names_the_applicant_the_conversation_knows():
    limits = {
        "task_type": "policy_limits",
        "per_occurrence": 1_000_000,
        "aggregate": 2_000_000,
        "facts": {"lob": "cyber"},
    }
    assert headline(limits, LOBS) == "$1,000,000 per occurrence / $2,000,000 aggregate for Cyber"
    assert headline(limits, LOBS, name="Quarry Lane Bakers LLC").endswith("for Cyber on Quarry Lane Bakers LLC")
    small = {"task_type": "small_business", "small_business": True, "facts": {}}
    assert headline(small, name="Quarry Lane Bakers LLC") == "Small business — Quarry Lane Bakers LLC"
    assert headline(small) == "The business is a small business"


def test_the_history_carries_the_name_a_lookup_found(cp):
    tid = cp.new_thread().id
    cp.send(tid, "Millbrook Printing Inc., are they in appetite for cyber?")
    assert cp.history(tid)[-1]["company"] == "Millbrook Printing Inc."


# --- f. guideline lists stay lists ------------------------------------------------------------------------------
def test_a_guideline_list_is_said_as_a_list():
    sections = {s.id: s for s in load_sections()}
    said = rules_of(sections["referral-triggers"].text)
    items = [line for line in said.splitlines() if line.startswith("- ")]
    assert len(items) >= 3 and any("no SBA size standard" in i for i in items)
    table = rules_of(sections["auto-qualified"].text)  # a table's rows are items too
    assert sum(line.startswith("- ") for line in table.splitlines()) >= 2
    authority = rules_of(sections["authority-levels"].text)
    after = authority.split("\n\n")  # a paragraph after a list is not read as part of its last item
    assert len(after) >= 2 and not after[1].startswith("- ")


def test_a_guideline_answer_keeps_its_lists(cp):
    r = cp.send(cp.new_thread().id, "what do our guidelines say about sending a file up to a senior underwriter?")
    assert r.answer.startswith("From the guidelines:") and "\n- " in r.answer


# --- g. the desk names lines and questions ----------------------------------------------------------------------
def test_triage_words_name_lines_and_questions_never_codes(db_toolkit):
    names = dict(db_toolkit.ctx.catalog.lobs)
    big = TriageInput(
        "sub-g1", {"naics": "332710", "state": "TX", "annual_revenue": 12_500_000, "employees": 30}, ["gl"], None, names
    )
    result = run_all(big, toolkit_call(db_toolkit)).as_dict()
    said = [status_reason(result), *result["referral_reasons"], *(f["summary"] for f in result["findings"])]
    assert result["referral_reasons"] and not any(CODE.search(s) for s in said), said
    assert any(r.startswith("Appetite check (General Liability)") for r in result["referral_reasons"])
    gaps = run_all(TriageInput("sub-g2", {"naics": "722511", "state": "NC"}, ["property"], None, names),
                   toolkit_call(db_toolkit)).as_dict()  # fmt: skip
    assert status_reason(gaps).startswith("missing ") and "annual_revenue" not in status_reason(gaps)


def test_the_referral_memo_names_lines(catalog):
    from graph.referral_memo import build_memo
    from seed_db.authority import AuthorityCheck

    finding = {"task_type": "product_recommendation", "lobs": ["general_liability", "cyber"], "summary": "x"}
    memo = build_memo(
        finding=finding,
        facts=[{"fact": "lob", "value": "workers_compensation", "source": "form"}],
        rules=[],
        check=AuthorityCheck("junior"),
        missing=[],
        user="local",
        at="2026-12-07T06:00:00",
        catalog=catalog,
    )
    shown = " ".join(memo["case"]) + " " + " ".join(f["shown"] for f in memo["facts"])
    assert not CODE.search(shown) and "General Liability" in shown and "Workers" in shown


def test_a_finding_a_later_message_corrected_is_marked_stale_until_it_is_run_again():
    from app.ui.answer import rerun_question
    from graph.copilot import mark_stale
    from graph.readback import Reading

    def answer(findings, readings=()):
        return {"role": "assistant", "findings": findings, "readings": list(readings)}

    limits = {"task_type": "policy_limits", "facts": {"lob": "cyber", "employees": 30, "company": "Fenwick Tile"}}
    sb = {"task_type": "small_business", "facts": {"employees": 30, "company": "Fenwick Tile"}}
    fixed = Reading("employees", 300, "300 employees", "300 staff")
    history = [answer([limits, sb]), {"role": "user"}, answer([], [fixed])]
    mark_stale(history)
    assert history[0]["stale"] == [{"employees": 300}, {"employees": 300}]
    history += [answer([{**sb, "facts": {**sb["facts"], "employees": 300}}])]  # the small-business test redone
    mark_stale(history)
    assert history[0]["stale"] == [{"employees": 300}, {}]
    assert rerun_question(limits, LOBS) == "What limits should we offer for Cyber?"
    other = [answer([sb]), answer([{"task_type": "small_business", "facts": {"company": "Oak Yard"}}], [fixed])]
    mark_stale(other)  # another applicant's figures do not make the first one's findings stale
    assert other[0]["stale"] == [{}]


def test_the_offline_model_leaves_nothing_stale(cp):
    tid = cp.new_thread().id
    for text in ("NAICS 561730 in Oregon, 48 employees, revenue $2.6M: small business?", "headcount is 84, not 48"):
        cp.send(tid, text)
    assert all(not any(s) for m in cp.history(tid) for s in m.get("stale") or [])


def _stale_card() -> None:
    import streamlit as st

    from app.ui import messages

    finding = {"task_type": "small_business", "small_business": True, "summary": "Small.", "facts": {"employees": 30}}
    message = {"role": "assistant", "id": "m1", "content": "Small.", "steps": [], "finding": finding,
               "findings": [finding], "stale": [{"employees": 300}]}  # fmt: skip
    messages.render_answer_body(message, {}, on_rerun=lambda text: st.session_state.update(sent=text))


def test_a_stale_finding_says_so_on_its_card_with_a_button_that_runs_it_again():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_stale_card, default_timeout=60).run()
    assert not at.exception
    assert "employees 300 (it used 30)" in at.warning[0].value
    at.button(key="rerun-m1-0").click().run()
    assert at.session_state["sent"] == "Is it a small business?"


# --- every question of a message gets its finding; a correction's note leads what it changed ---------------------
@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [
        ("what about property for them? and limits?", [("appetite", "property"), ("policy_limits", "property")]),
        ("property too? what deductible would that carry?", [("appetite", "property"), ("deductible", "property")]),
        ("and how about cyber, and the limits there", [("appetite", "cyber"), ("policy_limits", "cyber")]),
    ],
)
def test_a_line_asked_beside_another_question_gets_its_own_finding(cp, follow_up, expected):
    tid = cp.new_thread().id
    cp.send(tid, "NAICS 238160 in Texas, 20 employees, revenue $4M: in appetite for general liability?")
    both = cp.send(tid, follow_up)
    assert [(f["task_type"], f["facts"]["lob"]) for f in both.findings] == expected
    assert all(f["summary"] in both.answer for f in both.findings)  # each said, in the order asked
    assert "Noted" not in both.answer  # asking about another line corrects nothing


def test_a_line_only_beside_a_question_is_no_question_of_its_own(cp):
    tid = cp.new_thread().id
    cp.send(tid, "NAICS 238160 in Texas, 20 employees, revenue $4M: in appetite for general liability?")
    one = cp.send(tid, "for property, and what deductible?")  # "for property" says which line the question is about
    assert [(f["task_type"], f["facts"]["lob"]) for f in one.findings] == [("deductible", "property")]


def test_the_note_of_a_correction_leads_the_answer_it_changed_once(cp):
    from app.ui.answer import format_answer, layout

    tid = cp.new_thread().id
    cp.send(tid, "NAICS 311811 in NC, 12 employees, revenue 900k: in appetite for GL?")
    turn = cp.send(tid, "whoops, 600 employees, not 12. and which NAICS code is it?")
    assert tasks(turn) == ["classification", "appetite"]  # the new question first, then what the figure changed
    classification, appetite = (f["summary"] for f in turn.findings)
    note = "Noted: the number of employees is 600 (not 12)."
    assert turn.answer.count("Noted") == 1
    assert turn.answer.index(classification) < turn.answer.index(note) < turn.answer.index(appetite)
    laid = layout(turn.answer, turn.findings, LOBS)
    assert laid.parts[0].notes == [] and laid.parts[1].notes == [note]
    assert all("Noted" not in r for p in laid.parts for r in p.reasons)  # a note is no reason of the verdict
    md = format_answer(turn.answer, None, turn.findings, LOBS)
    assert md.count("Noted") == 1 and "- Noted" not in md
    assert md.index("**No — the business is not in appetite") < md.index("Noted") < md.index("- 600 employees")


def test_a_correction_alone_leads_the_reply_with_its_note(cp):
    tid = cp.new_thread().id
    cp.send(tid, "NAICS 311811 in NC, 12 employees, revenue 900k: in appetite for GL?")
    fixed = cp.send(tid, "sorry, it is 600 employees")
    assert (
        fixed.answer.startswith("Noted: the number of employees is 600 (not 12).") and fixed.answer.count("Noted") == 1
    )
    assert "description" not in fixed.findings[0]["facts"]  # "sorry" is no business


def test_a_no_gives_the_rule_that_said_no_not_the_tests_it_passed(cp):
    tid = cp.new_thread().id
    no = cp.send(tid, "NAICS 238160 in Texas, 20 employees, revenue $4M: in appetite for cyber?")
    assert no.finding["appetite"] == "no" and "appetite guide for 238160 in TX: No" in no.answer
    assert "at or below the SBA standard" not in no.answer  # the size test passed: it is no reason for the no


@pytest.mark.parametrize(
    ("said", "noted"),
    [
        ("correction: line of business is Property", True),  # what the read-back chip sends
        ("actually it's property, not GL", True),
        ("The line of business is Property.", True),
        ("how about property, and the deductible", False),
        ("and property?", False),
    ],
)
def test_a_line_is_noted_as_corrected_only_when_the_message_corrects_it(cp, said, noted):
    tid = cp.new_thread().id
    cp.send(tid, "NAICS 238160 in Texas, 20 employees, revenue $4M: in appetite for general liability?")
    turn = cp.send(tid, said)
    assert turn.answer.startswith("Noted: the line of business is Property (not General Liability).") is noted
    assert turn.answer.count("Noted") == int(noted)
