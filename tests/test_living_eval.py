"""The living evaluation: each run against the previous run of the same task file, drops flagged on the page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from evals.living import find_drops, previous_run
from evals.metrics import summarize

PAGE = str(Path(__file__).resolve().parents[1] / "app" / "views" / "evaluation.py")


def rows(correct: list[bool]) -> list[dict]:
    return [
        {
            "id": f"t{i}",
            "task_type": ("appetite", "deductible")[i % 2],
            "trial": 1,
            "correct": c,
            "tool_errors": 0,
            "guard_events": 0,
            "invented_products": [],
            "turns": 2,
            "tool_calls": 2,
        }
        for i, c in enumerate(correct)
    ]


def test_drops_are_found_and_improvements_are_not():
    before = summarize(rows([True, True, True, True]))
    after = summarize(rows([True, False, True, True]))  # one deductible task lost
    drops = {d["metric"] for d in find_drops(before, after)}
    assert drops == {"accuracy", "accuracy: deductible", "pass^1"}
    assert find_drops(after, before) == []


def test_the_previous_run_is_the_newest_older_run_of_the_same_task_file():
    runs = [("c", {"tasks_file": "a.jsonl"}), ("b", {"tasks_file": "other.jsonl"}), ("a", {"tasks_file": "a.jsonl"})]
    assert previous_run(runs, "c") == "a"
    assert previous_run(runs, "a") is None and previous_run(runs, "b") is None


def write_run(data_dir: Path, name: str, correct: list[bool]) -> None:
    d = data_dir / "runs" / name
    d.mkdir(parents=True)
    rs = rows(correct)
    (d / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rs))
    (d / "summary.json").write_text(json.dumps(summarize(rs, {"model": "offline", "tasks_file": "suite.jsonl"})))


@pytest.mark.integration
def test_the_evaluation_page_flags_a_drop_against_the_previous_run(data_dir):
    write_run(data_dir, "20250101-000000", [True, True, True, True])
    write_run(data_dir, "20250102-000000", [True, False, True, True])
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("drop(s) against the previous run" in e.value and "deductible" in e.value for e in at.error)
