"""The regression set (evals/regression/tasks.jsonl) passes with the offline model; promotion validates its tasks."""

from __future__ import annotations

import pytest

from app.cli import main
from core.settings import Settings
from evals.promote import REGRESSION_SET, promote, task_from_thread
from evals.runner import run_conversation
from evals.simulator import ScriptedUnderwriter
from evals.tasks import TaskFileError, load_tasks

TASKS = load_tasks(REGRESSION_SET)


@pytest.fixture(scope="module")
def copilot(tmp_path_factory, toolkit):
    from graph.copilot import Copilot

    cp = Copilot(Settings(data_dir=tmp_path_factory.mktemp("regression"), model="offline"), toolkit=toolkit)
    yield cp
    cp.close()


@pytest.mark.parametrize("task", TASKS, ids=[t.id for t in TASKS])
def test_regression_task_passes_with_the_offline_model(copilot, task):
    conversation = run_conversation(copilot, task, ScriptedUnderwriter(task))
    assert conversation.row["correct"], conversation.row


def test_a_conversation_is_promoted_with_its_finding_and_facts(copilot, tmp_path):
    thread = copilot.new_thread()
    copilot.send(thread.id, "What deductible for auto, NAICS 484121?")
    out = tmp_path / "regression.jsonl"
    line = promote(task_from_thread(copilot, thread.id), copilot.toolkit.ctx.catalog, out)
    assert line["task_type"] == "deductible" and line["expected"] == {"deductible": 5000}
    assert line["applicant"]["naics"] == "484121" and line["applicant"]["lob"] == "auto"
    assert [t.id for t in load_tasks(out)] == [f"regression-{thread.id}"]
    with pytest.raises(TaskFileError, match="already in"):
        promote(task_from_thread(copilot, thread.id), copilot.toolkit.ctx.catalog, out)


def test_an_expected_answer_that_does_not_fit_the_task_type_is_refused_with_the_field(copilot, tmp_path):
    thread = copilot.new_thread()
    copilot.send(thread.id, "What deductible for auto, NAICS 484121?")
    out = tmp_path / "regression.jsonl"
    with pytest.raises(TaskFileError, match="expected"):
        promote(task_from_thread(copilot, thread.id, expected={"appetite": "yes"}), copilot.toolkit.ctx.catalog, out)
    with pytest.raises(TaskFileError, match="expected.lobs"):
        promote(
            task_from_thread(copilot, thread.id, expected={"lobs": ["umbrella"]}, task_type="product_recommendation"),
            copilot.toolkit.ctx.catalog,
            out,
        )
    assert not out.exists()


def test_uwc_eval_promote_refuses_readably(seeded, tmp_path, capsys):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(seeded["dir"], data, ignore=shutil.ignore_patterns("telemetry.db*", "conversations.db*"))
    assert main(["eval", "promote", "nope", "--data-dir", str(data)]) == 2
    assert "no conversation with id 'nope'" in capsys.readouterr().err
    assert main(["eval", "promote", "--data-dir", str(data)]) == 2
    assert main(["eval", "promote", "x", "--expected", "[1]", "--data-dir", str(data)]) == 2
    assert "JSON object" in capsys.readouterr().err


def test_the_page_form_explains_every_refusal(copilot, tmp_path):
    from evals.promote import promote_from_page

    out = tmp_path / "regression.jsonl"
    assert "conversation id" in promote_from_page(copilot, "", path=out).message
    assert "No conversation" in promote_from_page(copilot, "nope", path=out).message
    thread = copilot.new_thread()
    copilot.send(thread.id, "What deductible for auto, NAICS 484121?")
    assert "not valid JSON" in promote_from_page(copilot, thread.id, "{", path=out).message
    refused = promote_from_page(copilot, thread.id, '{"naics": "12"}', path=out)
    assert not refused.ok and "expected" in refused.message
    assert promote_from_page(copilot, thread.id, path=out).ok
