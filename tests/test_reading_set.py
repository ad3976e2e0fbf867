"""The reading-set harness (evals/reading_set.py): rows graded by the independent reference, re-asks counted against
what the row's author says the opening states, false facts found in the tools' arguments."""

import json

import pytest

from core.settings import get_settings
from evals.reading_set import Expectations, ReadingRow, RowUnderwriter, false_facts, load_rows, run_row
from graph.copilot import Copilot

GUARDS = {
    "id": "t-guards",
    "task_type": "appetite",
    "applicant": {
        "description": "Security guard services",
        "state": "TX",
        "lob": "general liability",
        "annual_revenue": 5_000_000,
        "employees": 75,
        "vehicles": 4,
        "naics": "561612",
    },
    "opening": "GL for a security guard outfit out of Dallas TX, 75 staff, revenue 5M. in or out?",
    "replies": {"annual_payroll": "payroll unknown", "vehicles": "4 cars"},
    "said": ["employees", "annual_revenue", "state", "lob", "description"],
    "then": [{"user": "and the GL deductible?", "task_type": "deductible"}],
}


@pytest.fixture
def cp(seeded, toolkit):
    copilot = Copilot(get_settings(data_dir=seeded["dir"]), toolkit=toolkit)
    yield copilot
    copilot.close()


def test_the_reference_grades_each_question_of_a_row():
    row = ReadingRow.model_validate(GUARDS)
    ex = Expectations()
    assert ex.task(row, "appetite", row.opening).expected.appetite == "no"  # 75 employees: over 50 for guards
    assert ex.task(row, "deductible", "x").expected.deductible is not None
    classify = ex.task(row.model_copy(update={"task_type": "classification"}), "classification", "code?")
    assert classify.applicant.naics is None and classify.expected.naics == "561612"


def test_the_reference_knows_the_iso_class_names_and_a_recommendation_with_no_line_named():
    ex = Expectations()
    hotel = {"naics": "721110", "employees": 20, "lob": "property", "construction": "masonry non-combustible"}
    app = {**GUARDS["applicant"], **hotel}
    row = ReadingRow.model_validate({**GUARDS, "applicant": app})
    assert ex.task(row, "appetite", "x").expected.appetite == "yes"  # a hotel's property: Type I or II only
    framed = ReadingRow.model_validate({**GUARDS, "applicant": {**app, "construction": "frame"}})
    assert ex.task(framed, "appetite", "x").expected.appetite == "no"
    unnamed = ReadingRow.model_validate({**GUARDS, "applicant": {**app, "lob": None}})
    offered = ex.task(unnamed, "product_recommendation", "what can we write?").expected.lobs
    named = ex.task(row, "product_recommendation", "what else?").expected.lobs
    assert set(named) <= set(offered) and "property" not in named


def test_a_tool_argument_nobody_said_is_a_false_fact():
    row = ReadingRow.model_validate(GUARDS)
    said = [{"tools": [{"tool": "check_appetite", "arguments": {"employees": 75, "state": "tx"}}]}]
    assert false_facts(row, said) == []
    wrong = [{"tools": [{"tool": "check_appetite", "arguments": {"employees": 0, "annual_payroll": 280_000}}]}]
    assert false_facts(row, wrong) == ["employees=0", "annual_payroll=280000"]


def test_a_follow_up_naming_another_line_is_graded_for_that_line():
    ex = Expectations()
    row = ReadingRow.model_validate({**GUARDS, "then": [{"user": "and auto limits?", "task_type": "policy_limits"}]})
    same = ex.task(row, "policy_limits", "and limits?").expected.verdict()
    other = ex.task(row, "policy_limits", "and cyber limits?", lob="cyber").expected
    assert ex.task(row, "policy_limits", "and limits?", lob="general liability").expected.verdict() == same
    assert other.per_occurrence is not None and row.then[0].lob is None


def test_a_state_given_by_name_is_the_same_fact_as_its_code():
    row = ReadingRow.model_validate({**GUARDS, "applicant": {**GUARDS["applicant"], "state": "Rhode Island"}})
    assert false_facts(row, [{"tools": [{"tool": "check_appetite", "arguments": {"state": "RI"}}]}]) == []
    assert false_facts(row, [{"tools": [{"tool": "check_appetite", "arguments": {"state": "NY"}}]}]) == ["state=NY"]


def test_the_underwriter_answers_with_the_rows_words_and_never_invents():
    user = RowUnderwriter(ReadingRow.model_validate(GUARDS))
    assert user.reply("How many vehicles do they have?") == "4 cars"
    assert user.reply("What is their annual payroll?") == "payroll unknown"
    assert user.reply("What construction is the building?") == "don't know"
    assert set(user.revealed) == {"vehicles", "annual_payroll"}


def test_unreadable_rows_are_reported_not_fatal(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(GUARDS) + "\n{not json\n" + json.dumps({"id": "x"}) + "\n", encoding="utf-8")
    rows, bad = load_rows(path)
    assert [r.id for r in rows] == ["t-guards"] and len(bad) == 2


@pytest.mark.integration
def test_a_row_and_its_follow_up_are_held_in_one_conversation(cp):
    out = run_row(cp, ReadingRow.model_validate(GUARDS), Expectations())
    assert out["questions"] == 2 and out["error"] is None
    assert out["false_facts"] == []
