"""Online checks: each recorded finding re-verified by the decisive tool and against the answer text."""

from __future__ import annotations

from langchain_core.messages import AIMessage

from core.settings import Settings
from graph.online_checks import amounts_in, verify_finding
from tests.fakes import ScriptedModel, tool_call, tool_results


def finding(task_type: str, facts: dict, **verdict) -> dict:
    return {"task_type": task_type, "summary": "", "citations": [], "facts": facts, **verdict}


def test_a_right_deductible_passes_and_a_wrong_one_is_caught_by_the_tool(toolkit):
    facts = {"naics": "484121", "lob": "auto"}
    ok = verify_finding(toolkit, finding("deductible", facts, deductible=5000), "A $5,000 deductible.")
    assert ok.status == "ok" and ok.tool == "get_deductible"
    bad = verify_finding(toolkit, finding("deductible", facts, deductible=500), "A $500 deductible.")
    assert bad.status == "mismatch"
    assert bad.mismatches == [{"where": "tool", "field": "deductible", "finding": 500, "found": 5000}]


def test_an_answer_that_contradicts_its_finding_is_caught(toolkit):
    facts = {"naics": "524210", "lob": "cyber"}
    f = finding("policy_limits", facts, per_occurrence=3_000_000, aggregate=5_000_000)
    assert verify_finding(toolkit, f, "Offer $3M per occurrence and $5 million aggregate.").status == "ok"
    wrong = verify_finding(toolkit, f, "Offer $1,000,000 per occurrence and $2,000,000 aggregate.")
    assert wrong.status == "mismatch"
    assert {(m["where"], m["field"]) for m in wrong.mismatches} == {
        ("answer", "per_occurrence"),
        ("answer", "aggregate"),
    }


def test_appetite_verdicts_are_checked_in_the_tool_and_in_the_text(toolkit):
    facts = {
        "naics": "721191",
        "state": "ME",
        "lob": "property",
        "annual_revenue": 900_000,
        "construction": "wood frame",
    }
    tool_says = toolkit.call("check_appetite", facts).result["appetite"]
    other = "yes" if tool_says != "yes" else "no"
    caught = verify_finding(toolkit, finding("appetite", facts, appetite=other), "")
    assert caught.status == "mismatch" and caught.mismatches[0]["found"] == tool_says
    text = (
        "No, this bed-and-breakfast is not in appetite for property."
        if tool_says == "yes"
        else "Yes, it is in appetite."
    )
    said = verify_finding(toolkit, finding("appetite", facts, appetite=tool_says), text)
    assert [m["where"] for m in said.mismatches] == ["answer"]


def test_too_few_facts_is_unverifiable_not_a_mismatch(toolkit):
    result = verify_finding(toolkit, finding("appetite", {"naics": "722511"}, appetite="yes"), "")
    assert result.status == "unverifiable" and "too few facts" in result.note


def test_facts_from_earlier_tool_calls_complete_the_finding(toolkit):
    steps = [{"tool": "get_deductible", "ok": True, "arguments": {"naics": "484121", "lob": "auto"}, "result": {}}]
    result = verify_finding(toolkit, finding("deductible", {}, deductible=5000), "", steps)
    assert result.status == "ok"


def test_money_in_text():
    assert amounts_in("$1M per occurrence, $2,000,000 aggregate, a $500 deductible, $3.5 million") == {
        1_000_000,
        2_000_000,
        500,
        3_500_000,
    }


def test_a_confident_wrong_llm_finding_is_flagged_stored_and_shown_with_the_conversation(seeded, toolkit, tmp_path):
    from app.ui.finding import check_lines
    from graph.copilot import Copilot

    def decide(messages):
        if not tool_results(messages):
            return tool_call(
                "record_finding",
                {
                    "task_type": "deductible",
                    "summary": "A $500 deductible.",
                    "citations": ["deductibles-auto-transport"],
                    "deductible": 500,
                    "facts": {"naics": "484121", "lob": "auto"},
                },
            )
        return AIMessage("The deductible is $500.")

    copilot = Copilot(Settings(data_dir=tmp_path / "d"), model=ScriptedModel(decide), toolkit=toolkit)
    try:
        thread = copilot.new_thread()
        result = copilot.send(thread.id, "Deductible for auto, NAICS 484121?")
        assert result.check["status"] == "mismatch"
        assert result.check["mismatches"][0] == {"where": "tool", "field": "deductible", "finding": 500, "found": 5000}
        answer = copilot.history(thread.id)[-1]
        assert answer["check"]["status"] == "mismatch"
        assert check_lines(answer["check"]) and "5000" in check_lines(answer["check"])[0]
    finally:
        copilot.close()


def test_a_mismatch_whose_rerun_has_no_answer_says_so_rather_than_empty_bold():
    from app.ui.finding import check_lines

    check = {
        "status": "mismatch",
        "tool": "check_appetite",
        "mismatches": [{"where": "tool", "field": "appetite", "finding": "qualified", "found": None}],
    }
    (line,) = check_lines(check)
    assert "****" not in line and "no answer" in line
