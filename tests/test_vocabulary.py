"""The vocabulary's tables (core/vocabulary.py) against the code that uses them: every task's deciding tool takes
the facts the table hands it, ``decisive_call`` builds the one call both the offline model and the online checks
make, and a fact no rule decides on yet (total insured value) is read, recorded and shown."""

from __future__ import annotations

from typing import get_args

import pytest

from app.ui.facts import NUMBERS, sentence
from core.decisive import CLASSIFY_DEPTH, ToolCall, decisive_call
from core.settings import get_settings
from core.vocabulary import FACTS, TASK_TYPES, TASKS, TaskType
from graph.copilot import Copilot
from graph.offline.facts import parse
from tools.all import default_tools

SPECS = {s.name: s for s in default_tools()}


def test_the_task_type_literal_names_the_tables_types_in_order():
    assert get_args(TaskType) == TASK_TYPES


@pytest.mark.parametrize("task", TASK_TYPES)
def test_each_deciding_tool_takes_the_facts_the_table_gives_it(task):
    spec = TASKS[task]
    takes = set(SPECS[spec.tool].args_model.model_fields)
    assert set(spec.needs) | set(spec.figures) <= takes
    assert not spec.leaves_out_line or "exclude_lob" in takes
    assert set(spec.verdict) <= set(SPECS["record_finding"].args_model.model_fields)
    assert all(f in FACTS for f in (*spec.needs, *spec.figures))


def test_decisive_call_needs_every_fact_its_tool_cannot_run_without():
    assert decisive_call("appetite", {"naics": "722511", "state": "TX"}) is None
    assert decisive_call("appetite", {"naics": "722511", "state": "TX", "lob": ""}) is None
    call = decisive_call(
        "appetite", {"lob": "auto", "naics": "484121", "state": "TX", "vehicles": 21, "employees": None, "x": 1}
    )
    assert call == ToolCall("check_appetite", {"naics": "484121", "state": "TX", "lob": "auto", "vehicles": 21})
    assert list(call.args) == ["naics", "state", "lob", "vehicles"]  # the order the tool lists them


def test_decisive_call_leaves_out_the_line_applied_for_and_bounds_a_classification():
    rec = decisive_call("product_recommendation", {"naics": "722511", "state": "OH", "lob": "property"})
    assert rec == ToolCall("recommend_lobs", {"naics": "722511", "state": "OH", "exclude_lob": "property"})
    none_left_out = decisive_call("product_recommendation", {"naics": "722511", "state": "OH"})
    assert none_left_out == ToolCall("recommend_lobs", {"naics": "722511", "state": "OH"})
    cls = decisive_call("classification", {"description": "x" * 5000, "naics": "722511"})
    assert cls is not None and cls.tool == "classify_business"
    assert cls.args == {"description": "x" * 2000, "k": CLASSIFY_DEPTH}


def test_a_total_insured_value_is_stored_as_itself_never_as_revenue(catalog):
    facts = parse("Is 722511 in Texas in appetite for property? TIV is $5M.", catalog).facts
    assert facts.get("total_insured_value") == 5_000_000 and "annual_revenue" not in facts
    both = parse("Revenue 2.1M and a total insured value of $12 million.", catalog).facts
    assert both["annual_revenue"] == 2_100_000 and both["total_insured_value"] == 12_000_000


@pytest.mark.parametrize("key", list(NUMBERS))
def test_every_figure_the_facts_panel_sends_reads_back_as_that_fact(catalog, key):
    value = 4_500_000 if FACTS[key].kind == "money" else 12
    assert parse(sentence(key, value, {}), catalog).facts == {key: value}


def test_a_finding_records_the_total_insured_value_and_the_panel_shows_it(seeded, toolkit, tmp_path):
    cp = Copilot(get_settings(data_dir=seeded["dir"]), toolkit=toolkit)
    try:
        tid = cp.new_thread().id
        r = cp.send(tid, "Limits for property on NAICS 722511? The total insured value is $3,500,000.")
        assert r.finding and r.finding["task_type"] == "policy_limits"
        assert r.finding["facts"]["total_insured_value"] == 3_500_000
        assert [s["arguments"] for s in r.steps if s["tool"] == "get_limits"] == [
            {"naics": "722511", "lob": "property"}
        ]
        assert cp.known_facts(tid)["total_insured_value"] == 3_500_000
    finally:
        cp.close()
