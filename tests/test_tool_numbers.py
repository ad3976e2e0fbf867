"""Every numeric tool argument refuses a number that is not one (NaN, Infinity), a negative or an absurd one with
a clear tool error naming the argument, never "failed unexpectedly"."""

from __future__ import annotations

import json

import pytest

BAD = [float("nan"), float("inf"), float("-inf"), -1, "NaN", "Infinity", "-1", 1e300, "1e400"]
CALLS = [
    ("check_small_business", {"naics": "722511"}, "annual_revenue"),
    ("check_small_business", {"naics": "722511"}, "employees"),
    ("check_appetite", {"naics": "722511", "state": "OH", "lob": "property"}, "annual_revenue"),
    ("check_appetite", {"naics": "722511", "state": "OH", "lob": "auto"}, "vehicles"),
    ("recommend_lobs", {"naics": "722511", "state": "OH"}, "annual_payroll"),
    (
        "record_finding",
        {"task_type": "deductible", "summary": "x", "citations": [], "naics": "722511"},
        "deductible",
    ),
    ("search_guidelines", {"query": "wood frame"}, "k"),
    ("classify_business", {"description": "a restaurant"}, "k"),
]


@pytest.mark.parametrize("tool,arguments,name", CALLS, ids=[f"{t}-{n}" for t, _, n in CALLS])
@pytest.mark.parametrize("value", BAD, ids=repr)
def test_a_number_that_is_not_one_is_a_clear_tool_error(toolkit, tool, arguments, name, value):
    event = toolkit.call(tool, {**arguments, name: value})
    assert not event.ok and event.error_kind != "internal", event.result
    assert name in event.result["error"] and "unexpectedly" not in event.result["error"], event.result


def test_nan_from_a_model_s_json_arguments_is_refused(toolkit):
    """Python's JSON reader takes NaN and Infinity: a model's arguments may carry them."""
    arguments = json.loads('{"naics": "722511", "annual_revenue": NaN}')
    event = toolkit.call("check_small_business", arguments)
    assert not event.ok and "annual_revenue" in event.result["error"] and "finite" in event.result["error"]
