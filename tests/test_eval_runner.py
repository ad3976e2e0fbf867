"""One way an evaluation runs (``evals.runner.run_to_folder``): started from `uwc eval` or from the MCP tool
``run_eval_tasks``, it keeps its conversations out of the shared store and writes the same run folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.mcp_server import EvalTools
from core.settings import Settings
from evals.runner import CannotStart, run_to_folder
from evals.tasks import load_tasks
from graph.threads import ThreadStore
from tests.pg import pg_seeded  # noqa: F401

REGRESSION = Path(__file__).resolve().parents[1] / "evals" / "regression" / "tasks.jsonl"
PER_RUN = {"run", "started_at", "wall_seconds"}  # what differs between any two runs


def _files(run: Path) -> set[str]:
    """The run folder's files (SQLite's transient -wal/-shm/-journal files and the per-conversation writer locks,
    named by thread id, left out)."""
    return {
        str(p.relative_to(run))
        for p in run.rglob("*")
        if p.is_file() and not p.name.endswith(("-wal", "-shm", "-journal", ".lock"))
    }


def _thread_ids(run: Path) -> list[str]:
    return [json.loads(line)["thread_id"] for line in (run / "results.jsonl").read_text().splitlines()]


def _stored(target) -> set[str]:
    store = ThreadStore(target)
    try:
        return {t.id for t in store.list()}
    finally:
        store.close()


def test_cli_and_mcp_runs_keep_out_of_the_shared_store_and_write_the_same_folder(
    seeded_db,
    pg_seeded,  # noqa: F811
    tmp_path,
    monkeypatch,
    capsys,
):
    from tests.conftest import open_toolkit

    data = tmp_path / "data"
    data.mkdir()
    tasks = data / "tasks.jsonl"
    tasks.write_text("".join(REGRESSION.read_text().splitlines(keepends=True)[:2]))
    shared = pg_seeded["url"]  # the shared store (and the insurer data) on PostgreSQL
    monkeypatch.setenv("UWC_DATABASE_URL", shared)
    argv = ["eval", "--tasks", str(tasks), "--model", "offline", "--data-dir", str(seeded_db["dir"])]
    assert main([*argv, "--out", str(tmp_path / "cli")]) == 0, capsys.readouterr().err
    cli = tmp_path / "cli"

    settings = Settings(data_dir=data, database_url=shared, model="offline")
    toolkit = open_toolkit(seeded_db["dir"], database_url=shared)
    ok, result = EvalTools(settings, toolkit).call("run_eval_tasks", {"tasks_file": str(tasks)})
    assert ok, result
    mcp = settings.runs_dir / result["run"]

    ran = {run: set(_thread_ids(run)) for run in (cli, mcp)}
    assert not (ran[cli] | ran[mcp]) & _stored(shared)  # the shared store holds no evaluation conversation
    for run in (cli, mcp):  # each conversation is in its run folder instead
        assert ran[run] == _stored(run / "workers" / "w0" / "conversations.db") and len(ran[run]) == 2
    assert _files(cli) == _files(mcp)
    a, b = (json.loads((run / "summary.json").read_text()) for run in (cli, mcp))
    assert {k: v for k, v in a.items() if k not in PER_RUN} == {k: v for k, v in b.items() if k not in PER_RUN}


def test_a_copilot_that_cannot_start_leaves_no_run_folder(db_toolkit, tmp_path):
    settings = Settings(data_dir=tmp_path, model="openai/gpt-4o-mini", replay=tmp_path / "no-such-cassette.yaml")
    with pytest.raises(CannotStart, match="cannot start the copilot"):
        run_to_folder(settings, db_toolkit, load_tasks(REGRESSION)[:1], tasks_file="regression")
    assert not settings.runs_dir.exists() or not any(settings.runs_dir.iterdir())
