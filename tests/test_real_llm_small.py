"""Real traffic of Qwen2.5-Coder-1.5B-Instruct (llama.cpp, ``../shared/real-llm/``) under UWC_PROFILE=small and
json steps, recorded by ``python -m bench.real_llm --profile small --tool-calling json --record DIR`` and replayed
here through the real model layer (``UWC_REPLAY``: no server). The tasks are the bundled suite's; the underwriter is
the scripted one, so every request the copilot makes is the one recorded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.runner import run_eval
from evals.simulator import ScriptedUnderwriter
from evals.tasks import load_tasks

REAL = Path(__file__).parent / "data" / "real_llm" / "small"
CASSETTE = REAL / "tasks.cassette.jsonl"
MODEL = "openai/qwen2.5-coder-1.5b-instruct"


def _recorded_task_ids() -> list[str]:
    return json.loads((REAL / "tasks.json").read_text())["tasks"]


@pytest.fixture(scope="module")
def replayed(toolkit, tmp_path_factory):
    from core.settings import get_settings
    from graph.copilot import Copilot

    suite = {t.id: t for t in load_tasks(Path("evals/suite/tasks.jsonl"))}
    tasks = [suite[i] for i in _recorded_task_ids()]
    folder = tmp_path_factory.mktemp("small-replay")
    settings = get_settings(
        data_dir=folder,
        model=MODEL,
        api_base="http://127.0.0.1:8081/v1",
        context_tokens=8192,
        tool_calling="json",
        profile="small",
        replay=CASSETTE,
        tracing=False,
    )
    turns: list = []

    class Watched:
        """The copilot, keeping every turn's result (its events) for the assertions."""

        def __init__(self, cp):
            self.cp = cp

        def __getattr__(self, name):
            return getattr(self.cp, name)

        def send(self, *args, **kwargs):
            result = self.cp.send(*args, **kwargs)
            turns.append(result)
            return result

    def make(i):
        return Watched(Copilot(settings.model_copy(update={"data_dir": folder / f"w{i}"}), toolkit=toolkit))

    convs = run_eval(tasks, make, ScriptedUnderwriter, catalog=toolkit.ctx.catalog)
    return convs, turns


def test_every_replayed_task_runs_a_deciding_tool_and_shows_no_json(replayed):
    from bench.real_llm import shows_json

    for c in replayed[0]:
        tools = [t["tool"] for turn in c.transcript for t in turn.get("tools") or [] if t["ok"]]
        assert set(tools) - {"record_finding", "find_applicant"}, c.row["id"]
        for turn in c.transcript:
            if turn["role"] == "copilot":
                assert not shows_json(turn["text"] or "", []), turn["text"]
                assert c.row["ended"] != "error"


def test_the_recorded_accuracy_holds_on_replay(replayed):
    expected = json.loads((REAL / "tasks.json").read_text())["correct"]
    assert sorted(c.row["id"] for c in replayed[0] if c.row["correct"]) == sorted(expected)


def test_the_harness_asked_by_code_and_checked_the_models_answers(replayed):
    """What the real model did that the harness had to mend: facts asked without a model call (turns whose only
    model call is none), and answers that did not state the tool's determination rewritten from its result."""
    turns = replayed[1]
    asked_by_code = [t for t in turns if not any(e["type"] == "model" for e in t.events) and "?" in t.answer]
    checked = [e for t in turns for e in t.events if e["type"] == "harness"]
    assert asked_by_code and checked
    assert any(e["rewritten"] for e in checked)
    for e in checked:
        if not e["rewritten"]:
            assert e["model_answer"]  # the model's own words were kept
