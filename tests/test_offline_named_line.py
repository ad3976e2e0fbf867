"""The offline model: a later question that names the applicant and a line is a new question, whatever we asked
last; its line wins over the one carried from context (the applicant record's requested line, an earlier line)."""

from __future__ import annotations

import pytest

from tests.test_offline_model import chat, cp  # noqa: F401  (cp: a fixture)


@pytest.mark.parametrize(
    "first",
    ["What deductible?", "What deductible for property on APP-0043?", "What limits should we offer?"],
)
@pytest.mark.parametrize("named", ["APP-0043", "Mayfield Dump Truck Service LLC"])
def test_the_line_named_in_a_later_question_wins(cp, first, named):  # noqa: F811
    *_, r = chat(cp, first, f"What deductible should we offer {named} for auto?")
    assert [s["arguments"] for s in r.steps if s["tool"] == "get_deductible"] == [{"naics": "484220", "lob": "auto"}]
    assert r.finding["task_type"] == "deductible" and r.finding["facts"]["lob"] == "auto"
    assert r.finding["deductible"] == 5000 and "$5,000" in r.answer  # the auto transport rule, not $500 property
