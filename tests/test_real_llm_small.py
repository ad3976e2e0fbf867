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
    made = []

    def make(i):
        cp = Copilot(settings.model_copy(update={"data_dir": folder / f"w{i}"}), toolkit=toolkit)
        made.append(cp)
        return cp

    convs = run_eval(tasks, make, ScriptedUnderwriter, catalog=toolkit.ctx.catalog)
    return convs


def test_every_replayed_task_runs_a_deciding_tool_and_shows_no_json(replayed):
    from bench.real_llm import shows_json

    for c in replayed:
        tools = [t["tool"] for turn in c.transcript for t in turn.get("tools") or [] if t["ok"]]
        assert set(tools) - {"record_finding", "find_applicant"}, c.row["id"]
        for turn in c.transcript:
            if turn["role"] == "copilot":
                assert not shows_json(turn["text"] or "", []), turn["text"]
                assert c.row["ended"] != "error"


def test_the_recorded_accuracy_holds_on_replay(replayed):
    expected = json.loads((REAL / "tasks.json").read_text())["correct"]
    assert sorted(c.row["id"] for c in replayed if c.row["correct"]) == sorted(expected)
