"""The harness end to end with scripted models: right answers score 1, wrong ones 0, pass^k on a hand example,
one copilot per worker, every figure in results.jsonl / summary.json / report.md, and the `uwc eval` command."""

from __future__ import annotations

import json
import re

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from app.cli import main
from core.settings import get_settings
from evals.metrics import pass_hat_k
from evals.report import write_run
from evals.runner import run_eval
from evals.simulator import ScriptedUnderwriter
from evals.tasks import parse_task
from graph.copilot import Copilot
from graph.state import current_turn, kind
from tests.fakes import OpenAIServer, ScriptedModel, tool_call, tool_results

APPLICANT = {
    "company_name": "Acme Diner",
    "description": "A sit-down diner.",
    "state": "TX",
    "lob": "general liability",
    "annual_revenue": 4500000,
    "employees": 32,
    "annual_payroll": 1720000,
    "vehicles": 3,
    "construction": "wood frame",
    "naics": "722511",
}
RIGHT = {
    "appetite": {"appetite": "yes"},
    "product_recommendation": {"lobs": ["property", "general_liability"]},
    "small_business": {"small_business": True},
    "policy_limits": {"per_occurrence": 1000000, "aggregate": 2000000},
    "deductible": {"deductible": 500},
    "classification": {"naics": "722511"},
}
WRONG = {
    "appetite": {"appetite": "no"},
    "product_recommendation": {"lobs": ["cyber"]},
    "small_business": {"small_business": False},
    "policy_limits": {"per_occurrence": 3000000, "aggregate": 5000000},
    "deductible": {"deductible": 5000},
    "classification": {"naics": "722513"},
}
TASKS = [
    parse_task(
        {
            "id": f"{t}-1",
            "task_type": t,
            "applicant": APPLICANT,
            "opening": f"[{t}-1] Quick question about Acme Diner.",
            "expected": v,
        }
    )
    for t, v in RIGHT.items()
]


def answering(verdicts: dict, ask_first: bool = True):
    """A model that asks for the revenue once, then records the verdict for the task named in the opening."""

    def decide(messages):
        humans = [m for m in messages if isinstance(m, HumanMessage) and kind(m) != "guard_correction"]
        task_type = re.search(r"\[(\w+)-\d+\]", humans[0].content).group(1)
        if ask_first and len(humans) == 1:
            return AIMessage("What is the applicant's annual revenue?")
        if not tool_results(current_turn(messages)):
            return tool_call(
                "record_finding",
                {
                    "task_type": task_type,
                    "summary": "determined",
                    "citations": ["small-business-rule"],
                    **verdicts[task_type],
                },
                len(humans),
            )
        return AIMessage("Here is my determination, recorded as a finding.")

    return decide


@pytest.fixture
def copilots(tmp_path, db_toolkit):
    made = []

    def factory(model_for):
        def make(i):
            cp = Copilot(get_settings(data_dir=tmp_path / f"w{i}"), model=model_for(), toolkit=db_toolkit)
            made.append(cp)
            return cp

        make.made = made
        return make

    return factory


def test_right_answers_score_one(copilots, db_toolkit, tmp_path):
    convs = run_eval(
        TASKS, copilots(lambda: ScriptedModel(answering(RIGHT))), ScriptedUnderwriter, catalog=db_toolkit.ctx.catalog
    )
    assert [c.row["correct"] for c in convs] == [True] * 6
    assert all(c.row["turns"] == 2 and c.row["tool_calls"] == 1 and c.row["graded_by"] == "finding" for c in convs)
    assert (
        convs[0].transcript[1]["role"] == "copilot" and "4,500,000" in convs[0].transcript[2]["text"]
    )  # the simulator answered
    summary = write_run(tmp_path / "run", convs, {"model": "scripted"})
    assert summary["accuracy"] == 1.0 and summary["pass_hat_k"] == {"1": 1.0}
    assert set(summary["accuracy_by_task_type"]) == set(RIGHT) and summary["tool_error_rate"] == 0.0
    assert (
        summary["mean_turns"] == 2.0 and summary["mean_tool_calls"] == 1.0 and summary["invented_product_rate"] == 0.0
    )


def test_wrong_answers_score_zero_and_are_listed_with_transcripts(copilots, db_toolkit, tmp_path):
    convs = run_eval(
        TASKS, copilots(lambda: ScriptedModel(answering(WRONG))), ScriptedUnderwriter, catalog=db_toolkit.ctx.catalog
    )
    assert not any(c.row["correct"] for c in convs)
    assert convs[1].row["predicted"] == {"lobs": ["cyber"]}
    out = tmp_path / "run"
    summary = write_run(out, convs, {"model": "scripted"})
    assert summary["accuracy"] == 0.0 and all(v == 0.0 for v in summary["accuracy_by_task_type"].values())
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 6
    for field in (
        "id",
        "task_type",
        "trial",
        "correct",
        "predicted",
        "expected",
        "turns",
        "tool_calls",
        "tool_errors",
        "guard_events",
        "invented_products",
        "tokens",
        "cost_usd",
        "seconds",
    ):
        assert field in rows[0]
    report = (out / "report.md").read_text()
    assert report.count("### ") == 6 and "annual revenue" in report  # every failure, with its transcript
    for png in ("accuracy_by_task_type.png", "errors_by_task_type.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png in report


def test_text_answer_without_a_finding_is_graded_by_the_parser(copilots, db_toolkit):
    def decide(messages):
        return AIMessage("Yes — Acme Diner is in appetite for general liability [sector-appetite].")

    convs = run_eval(
        TASKS[:1], copilots(lambda: ScriptedModel(decide)), ScriptedUnderwriter, catalog=db_toolkit.ctx.catalog
    )
    assert convs[0].row["correct"] and convs[0].row["graded_by"] == "text" and convs[0].row["turns"] == 1


def test_turn_cap_tool_errors_and_invented_products_are_counted(copilots, db_toolkit, tmp_path):
    def decide(messages):
        if not tool_results(current_turn(messages)):
            return tool_call("get_limits", {"naics": "bad", "lob": "auto"}, len(messages))
        return AIMessage("You might also want an umbrella policy. What is the revenue?")

    convs = run_eval(
        TASKS[:1],
        copilots(lambda: ScriptedModel(decide)),
        ScriptedUnderwriter,
        catalog=db_toolkit.ctx.catalog,
        max_turns=3,
    )
    row = convs[0].row
    assert row["ended"] == "turn_cap" and row["turns"] == 3 and not row["correct"]
    assert row["tool_errors"] == 3 and "umbrella" in row["invented_products"] and row["guard_events"] >= 1
    summary = write_run(tmp_path / "run", convs, {})
    assert summary["tool_error_rate"] == 1.0 and summary["invented_product_rate"] == 1.0


def _one_task_answered_by(copilots, db_toolkit, text: str, **kwargs):
    """The first task, run against a model that answers every call with the same text."""
    return run_eval(
        TASKS[:1],
        copilots(lambda: ScriptedModel(lambda m: AIMessage(text))),
        ScriptedUnderwriter,
        catalog=db_toolkit.ctx.catalog,
        **kwargs,
    )


def test_answers_the_grader_cannot_read_end_the_conversation_after_three(copilots, db_toolkit, tmp_path):
    """The real model's shown JSON, as the copilot once passed it on: no finding, no verdict, no question."""
    shown = '{"task_type": "appetite", "summary": "We need more information.", "appetite": null}'
    convs = _one_task_answered_by(copilots, db_toolkit, shown)
    row = convs[0].row
    assert row["ended"] == "unreadable" and row["turns"] == 3 and row["unreadable_answers"] == 3
    summary = write_run(tmp_path / "run", convs, {})
    assert summary["ended_unreadable"] == 1
    assert "answers the grader cannot read | 1" in (tmp_path / "run" / "report.md").read_text()


def test_questions_for_facts_are_not_unreadable(copilots, db_toolkit):
    convs = _one_task_answered_by(copilots, db_toolkit, "How many employees does it have?", max_turns=5)
    assert convs[0].row["ended"] == "turn_cap" and convs[0].row["unreadable_answers"] == 0


def test_invented_citations_are_counted(copilots, db_toolkit, tmp_path):
    said = "Yes — Acme Diner is in appetite for general liability [sector-appetite] [diner-gl-approved]."
    convs = _one_task_answered_by(copilots, db_toolkit, said)
    assert convs[0].row["invented_citations"] == ["diner-gl-approved"] and convs[0].row["correct"]
    assert write_run(tmp_path / "run", convs, {})["invented_citations"] == 1


def test_trials_run_in_parallel_on_separate_threads_and_copilots(copilots, db_toolkit, tmp_path):
    factory = copilots(lambda: ScriptedModel(answering(RIGHT)))
    convs = run_eval(TASKS, factory, ScriptedUnderwriter, trials=3, concurrency=2, catalog=db_toolkit.ctx.catalog)
    assert len(convs) == 18 and all(c.row["correct"] for c in convs)
    assert [(c.row["id"], c.row["trial"]) for c in convs[:3]] == [
        ("appetite-1", 1),
        ("appetite-1", 2),
        ("appetite-1", 3),
    ]
    assert len({c.row["thread_id"] for c in convs}) == 18  # one thread per conversation
    assert 1 <= len(factory.made) <= 2 and len({id(cp.checkpointer) for cp in factory.made}) == len(factory.made)
    summary = write_run(tmp_path / "run", convs, {})
    assert summary["trials"] == 3 and summary["pass_hat_k"] == {"1": 1.0, "2": 1.0, "3": 1.0}


def test_pass_hat_k_on_a_hand_example():
    # n = 4 trials; task a: 3 right, b: 1 right, c: 4 right.
    trials = {"a": [True, True, True, False], "b": [False, True, False, False], "c": [True] * 4}
    assert pass_hat_k(trials, 1) == pytest.approx((3 / 4 + 1 / 4 + 1) / 3)
    assert pass_hat_k(trials, 2) == pytest.approx((3 / 6 + 0 + 1) / 3)  # C(3,2)/C(4,2), C(1,2)=0
    assert pass_hat_k(trials, 3) == pytest.approx((1 / 4 + 0 + 1) / 3)
    assert pass_hat_k(trials, 4) == pytest.approx(1 / 3)
    assert pass_hat_k({"x": [True, False]}, 3) == 0.0  # no task has 3 trials


def _server_script(verdict_by_type: dict):
    """An OpenAI-compatible script: the copilot records the verdict; the simulated underwriter (no tools) just talks."""

    def script(body):
        if not body.get("tools"):
            return {"content": "Annual revenue is $4,500,000."}
        msgs = body["messages"]
        first = next(m["content"] for m in msgs if m["role"] == "user")
        task_type = re.search(r"\[(\w+)-\d+\]", first).group(1)
        users = [m for m in msgs if m["role"] == "user"]
        if len(users) == 1 and msgs[-1]["role"] == "user":
            return {"content": "What is the annual revenue?"}
        if msgs[-1]["role"] == "user":
            return {
                "tool_calls": [
                    (
                        "record_finding",
                        {
                            "task_type": task_type,
                            "summary": "s",
                            "citations": ["small-business-rule"],
                            **verdict_by_type[task_type],
                        },
                    )
                ]
            }
        return {"content": "Recorded."}

    return script


def _write_tasks(path, tasks):
    path.write_text("".join(json.dumps({**t.model_dump(), "expected": t.expected.verdict()}) + "\n" for t in tasks))
    return path


@pytest.mark.integration
def test_uwc_eval_command_writes_a_run_and_prints_a_summary(seeded, tmp_path, monkeypatch, capsys):
    tasks = _write_tasks(tmp_path / "tasks.jsonl", TASKS)
    with OpenAIServer(_server_script(RIGHT)) as server:
        monkeypatch.setenv("UWC_API_BASE", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        code = main(
            [
                "eval",
                "--tasks",
                str(tasks),
                "--model",
                "openai/scripted",
                "--user",
                "llm:openai/sim",
                "--trials",
                "2",
                "--concurrency",
                "2",
                "--data-dir",
                str(seeded["dir"]),
                "--out",
                str(tmp_path / "run"),
            ]
        )
    out = capsys.readouterr().out
    assert code == 0 and "pass^2" in out and "100.0%" in out
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    for key in (
        "tasks",
        "trials",
        "accuracy",
        "accuracy_by_task_type",
        "pass_hat_k",
        "tool_error_rate",
        "invented_product_rate",
        "mean_turns",
        "mean_tool_calls",
        "total_cost_usd",
    ):
        assert key in summary
    assert (
        summary["tasks"] == 6
        and summary["trials"] == 2
        and summary["accuracy"] == 1.0
        and summary["model"] == "openai/scripted"
    )
    rows = [json.loads(x) for x in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 12 and all(r["tokens"] > 0 and r["user_tokens"] > 0 for r in rows)  # the LLM underwriter spoke
    assert (tmp_path / "run" / "report.md").is_file()


def test_uwc_eval_refuses_a_bad_task_file_before_running(seeded, tmp_path, capsys):
    bad = tmp_path / "tasks.jsonl"
    bad.write_text(json.dumps({**TASKS[0].model_dump(), "expected": {"appetite": "yes"}}) + "\n" + '{"id": "x"}\n')
    code = main(["eval", "--tasks", str(bad), "--data-dir", str(seeded["dir"]), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and "line 2" in err and "task_type" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()
    code = main(["eval", "--tasks", str(bad), "--user", "robot", "--data-dir", str(seeded["dir"])])
    assert code == 2


def test_uwc_eval_compare_prints_two_runs_side_by_side(tmp_path, capsys):
    from evals.metrics import summarize

    def run(name, correct):
        rows = [
            {
                "id": f"t{i}",
                "task_type": "appetite" if i % 2 else "deductible",
                "trial": 1,
                "correct": c,
                "turns": 2,
                "tool_calls": 1,
                "tool_errors": 0,
                "guard_events": 0,
                "invented_products": [],
                "tokens": 0,
                "cost_usd": 0.0,
            }
            for i, c in enumerate(correct)
        ]
        d = tmp_path / name
        d.mkdir()
        (d / "summary.json").write_text(json.dumps(summarize(rows, {"model": name})))
        return d

    a, b = run("run-a", [True, False, False, False]), run("run-b", [True, True, True, False])
    assert main(["eval", "--compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "run-a" in out and "run-b" in out and "25.0%" in out and "75.0%" in out and "+50.0" in out
    assert "accuracy: appetite" in out and "accuracy: deductible" in out
    assert main(["eval", "--compare", str(a), str(tmp_path / "nope")]) == 2
    assert main(["eval"]) == 2  # no mode
