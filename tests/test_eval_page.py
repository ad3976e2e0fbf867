"""The Evaluation page (app/views/evaluation.py), headless with AppTest over run folders written by the harness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from evals.metrics import summarize

# Every test here drives the Evaluation page through AppTest: left out of `make test-fast`.
pytestmark = pytest.mark.integration

PAGE = str(Path(__file__).resolve().parents[1] / "app" / "views" / "evaluation.py")


def write_run(runs: Path, name: str, correct: list[bool], model: str) -> None:
    rows = [
        {
            "id": f"t{i}",
            "task_type": ("appetite", "deductible", "classification")[i % 3],
            "trial": 1,
            "correct": c,
            "predicted": None,
            "expected": {},
            "ended": "finding",
            "turns": 3,
            "tool_calls": 2,
            "tool_errors": int(not c),
            "guard_events": 0,
            "invented_products": [],
            "tokens": 0,
            "cost_usd": 0.0,
        }
        for i, c in enumerate(correct)
    ]
    d = runs / name
    d.mkdir(parents=True)
    (d / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (d / "summary.json").write_text(
        json.dumps(summarize(rows, {"model": model, "user": "scripted", "wall_seconds": 1.5}))
    )


def run() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_no_runs_says_how_to_make_one(data_dir):
    at = run()
    assert any("uwc eval" in i.value for i in at.info)


def test_one_run_with_figures_charts_and_failures(data_dir):
    write_run(data_dir / "runs", "20250101-000000", [True, True, False, True, False, True], "offline")
    at = run()
    assert at.selectbox[0].options and "offline" in at.selectbox[0].options[0]
    values = {m.label: m.value for m in at.metric}
    assert values["Accuracy"] == "66.7%" and values["Tool error rate"] == "33.3%"
    assert at.get("vega_lite_chart")  # altair charts by task type
    assert any("Failures (2)" in h.value for h in at.subheader)
    assert any("Only one run" in i.value for i in at.info)


def test_two_runs_side_by_side(data_dir):
    write_run(data_dir / "runs", "20250101-000000", [True, False, False, False], "offline")
    write_run(data_dir / "runs", "20250102-000000", [True, True, True, False], "openai/gpt-4.1-mini")
    at = run()
    compare = at.dataframe[-1].value
    acc = compare[compare["metric"] == "accuracy"].iloc[0]
    assert list(acc)[1:] == ["25.0%", "75.0%", "+50.0 pts"]
    assert len(at.get("vega_lite_chart")) >= 3
