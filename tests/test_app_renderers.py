"""Every renderer (steps, finding card, notices, history, live turn) handles every result shape every tool returns.

The tools come from the product's list (``tools.all.default_tools()``), so a new tool fails ``test_every_tool_has_examples`` until it has examples here.
Each tool is called through the real boundary for a success, an empty result and an error; each result is then
also rendered with its fields set to null, emptied, and replaced by non-dict values. Nothing may raise.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tools.all import default_tools

# tool -> argument sets: the first succeeds with content, the others give empty or edge results.
EXAMPLES: dict[str, list[dict]] = {
    "find_applicant": [{"name_or_id": "APP-0138"}, {"name_or_id": "Blue Heron Motel"}, {"name_or_id": "Harbor"}],
    "check_appetite": [
        {
            "naics": "721110",
            "state": "TX",
            "lob": "property",
            "annual_revenue": 1_000_000,
            "construction": "wood frame",
        },
        {"naics": "721110", "state": "TX", "lob": "property"},
        {"naics": "521110", "state": "TX", "lob": "cyber"},
        {"naics": "722511", "state": "OH", "lob": "workers_compensation"},
    ],
    "check_small_business": [
        {"naics": "722511", "annual_revenue": 2_000_000},
        {"naics": "722511"},
        {"naics": "522110"},
    ],
    "recommend_lobs": [
        {"naics": "722511", "state": "TX", "annual_revenue": 1_000_000, "construction": "concrete"},
        {"naics": "722511", "state": "TX", "annual_revenue": 90_000_000},
        {"naics": "722511", "state": "TX"},
    ],
    "get_limits": [{"naics": "524210", "lob": "cyber"}, {"naics": "722511", "lob": "property"}],
    "get_deductible": [{"naics": "484121", "lob": "auto"}, {"naics": "722511", "lob": "bop"}],
    "classify_business": [{"description": "full-service restaurant with a bar"}, {"description": "zzz qqq xxx"}],
    "get_naics": [{"code": "722511"}, {"code": "515120"}],
    "search_guidelines": [{"query": "wood frame hotel property"}, {"query": "zz"}],
    "get_guideline_section": [{"section_id": "auto-qualified"}],
    "record_finding": [
        {"task_type": "appetite", "summary": "No.", "citations": ["auto-qualified"], "appetite": "no", "facts": {}},
        {"task_type": "product_recommendation", "summary": "None.", "citations": [], "lobs": []},
        {
            "task_type": "policy_limits",
            "summary": "x",
            "citations": ["limits-standard"],
            "per_occurrence": 1,
            "aggregate": 2,
        },
        {
            "task_type": "classification",
            "summary": "x",
            "citations": [],
            "naics": "722511",
            "facts": {"unknown": ["naics"]},
        },
    ],
    "run_sql": [
        {"query": "SELECT code, display_name FROM line_of_business"},
        {"query": "SELECT code FROM line_of_business WHERE code = 'none'"},
    ],
    "list_tables": [{}],
    "describe_table": [{"table": "applicant"}],
    "calculate": [{"expression": "4500000 / 12"}],
}
BROKEN = [  # errors every tool can return: unknown arguments, a product we don't write
    ("check_appetite", {"naics": "722511", "state": "TX", "lob": "umbrella"}),
    ("get_naics", {"code": "999999"}),
    ("get_guideline_section", {"section_id": "no-such-section"}),
    ("run_sql", {"query": "DROP TABLE applicant"}),
    ("calculate", {"expression": "import os"}),
]


def test_every_tool_has_examples(toolkit):
    assert set(EXAMPLES) == {s.name for s in default_tools()} == {s.name for s in toolkit.list()}


def _variants(event: dict) -> list[dict]:
    """The event itself, then its result with null fields, empty containers, and non-dict results."""
    out = [event]
    result = event["result"]
    if isinstance(result, dict):
        out.append({**event, "result": {k: None for k in result}})
        out.append(
            {
                **event,
                "result": {
                    k: [] if isinstance(v, list) else {} if isinstance(v, dict) else v for k, v in result.items()
                },
            }
        )
        for key, value in result.items():  # one nested level nulled: rows of lists, applicants, rules
            if isinstance(value, list) and value and isinstance(value[0], dict):
                out.append({**event, "result": {**result, key: [{k: None for k in value[0]}]}})
            elif isinstance(value, dict):
                out.append({**event, "result": {**result, key: {k: None for k in value}}})
    out += [{**event, "result": None}, {**event, "result": "plain text"}, {**event, "result": []}]
    out.append({k: v for k, v in event.items() if k not in ("arguments", "duration_ms")})
    return out


@pytest.fixture(scope="module")
def shapes(toolkit) -> list[dict]:
    events = []
    for name, arg_sets in EXAMPLES.items():
        for args in arg_sets:
            events.append({"type": "tool", **toolkit.call(name, args).as_dict()})
        events.append({"type": "tool", **toolkit.call(name, {"no_such_argument": 1}).as_dict()})  # error shape
    events += [{"type": "tool", **toolkit.call(name, args).as_dict()} for name, args in BROKEN]
    assert all(not e["ok"] for e in events[-len(BROKEN) :])
    return [v for e in events for v in _variants(e)]


def render_all(path: str) -> None:
    import json

    from app import resources
    from app.ui import finding, messages, steps

    sections = resources.sections_by_id()
    events = json.loads(open(path).read())
    for i, event in enumerate(events):
        result = event.get("result")
        message = {
            "role": "assistant",
            "id": f"m{i}",
            "content": "Yes — in appetite for Property: small; guide Yes. [auto-qualified] [no-such-id]",
            "steps": [event],
            "finding": result if event.get("tool") == "record_finding" and isinstance(result, dict) else None,
            "notices": ["'umbrella' is not a product we write — removed from the answer."],
            "kind": [None, "error", "limit", "stopped"][i % 4],
        }
        messages.render_answer_body(message, sections)
        steps.short_result(event)
        if isinstance(result, dict):
            finding.render_finding({**result, "task_type": result.get("task_type")}, [event], sections, key=f"f{i}")


@pytest.fixture
def data_dir(seeded_data_dir):  # the pages over the seeded database and index
    return seeded_data_dir


@pytest.mark.integration
def test_every_result_shape_renders(shapes, data_dir, tmp_path):
    path = tmp_path / "shapes.json"
    path.write_text(json.dumps(shapes, default=str))
    at = AppTest.from_function(render_all, args=(str(path),), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    tools_seen = {s.get("tool") for s in shapes}
    assert tools_seen == {s.name for s in default_tools()}
    print(f"\nrenderer test: {len(shapes)} tool-result shapes over {len(tools_seen)} tools")
    Path(data_dir / "shapes.count").write_text(str(len(shapes)))
    # no bare code reaches the step labels: lines of business by name
    labels = " ".join(e.label for e in at.expander)
    assert "workers_compensation" not in labels and "general_liability" not in labels
    assert "Not in our submissions" in " ".join(m.value for m in at.markdown)  # find_applicant's applicant: null


def test_short_result_of_an_applicant_not_on_file(call, data_dir):
    from app.ui.steps import short_result

    event = call("find_applicant", {"name_or_id": "Blue Heron Motel"}).as_dict()
    assert event["result"]["applicant"] is None
    assert short_result(event).startswith("Not in our submissions")
