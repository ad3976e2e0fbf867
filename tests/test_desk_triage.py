"""The desk's background triage: the steps (pure), the durable workflow on DBOS (SQLite and PostgreSQL), a worker
killed mid-workflow, transient faults retried, a failed submission and its retry."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desk import results
from desk.triage import TransientFault, TriageInput, run_all, toolkit_call

REPO = Path(__file__).resolve().parents[1]
MACHINE_SHOP = TriageInput(
    "sub-1",
    {
        "naics": "332710",
        "state": "TX",
        "annual_revenue": 3_200_000,
        "employees": 22,
        "annual_payroll": 1_100_000,
        "vehicles": 3,
        "construction": "masonry walls with wood joists",
    },
    ["property", "workers comp", "D&O"],
)
NO_FIGURES = TriageInput("sub-2", {"naics": "722511", "state": "NC"}, ["general liability"])
BIG = TriageInput("sub-3", {"naics": "423610", "state": "GA", "annual_revenue": 14_000_000, "employees": 40}, ["gl"])


def _settings(data_dir: Path):
    from core.settings import Settings

    return Settings(data_dir=data_dir, embedding_model="local", database_url=None, reader_url=None)


def wait_for(engine, ids, done=("ready", "needs_info", "referred", "failed"), bound=120.0) -> dict:
    """Poll until every submission has a final status (the bound only stops a hung test)."""
    end = time.monotonic() + bound
    while time.monotonic() < end:
        status = results.statuses(engine)
        if all(status.get(i, ("",))[0] in done for i in ids):
            return {i: status[i][0] for i in ids}
        time.sleep(0.1)
    raise AssertionError(f"not triaged: {results.statuses(engine)}")


# --- the steps --------------------------------------------------------------------------------------------------
def test_steps_decide_through_the_tools_and_are_deterministic(db_toolkit):
    first = run_all(MACHINE_SHOP, toolkit_call(db_toolkit)).as_dict()
    assert first == run_all(MACHINE_SHOP, toolkit_call(db_toolkit)).as_dict()
    assert first["naics"] == "332710" and first["lines"] == ["property", "workers_compensation"]
    assert first["steps"]["appetite"]["not_written"][0]["line"] == "D&O"  # the product guard refused it
    tasks = [f["task_type"] for f in first["findings"]]
    assert (
        tasks
        == ["small_business", "appetite", "appetite", "product_recommendation"] + ["policy_limits", "deductible"] * 2
    )
    assert all("not_recorded" not in f for f in first["findings"])  # each went through record_finding
    assert first["steps"]["small_business"]["small_business"] is True
    assert set(first["score"]["parts"]) == {"appetite_fit", "completeness", "size"}
    assert first["missing"] == []


def test_missing_facts_and_referrals(db_toolkit):
    gaps = run_all(NO_FIGURES, toolkit_call(db_toolkit))
    assert gaps.status == "needs_info" and "annual_revenue" in gaps.missing
    big = run_all(BIG, toolkit_call(db_toolkit))
    assert big.needs_referral and big.status == "referred"
    assert any("10,000,000" in r for r in big.referral_reasons)


def test_classifies_a_description_without_a_code(toolkit):
    inp = TriageInput(
        "sub-4", {"state": "OH", "employees": 12}, ["bop"], "a family restaurant serving sit-down dinners"
    )
    result = run_all(inp, toolkit_call(toolkit))
    assert result.naics and result.naics.startswith("7225")
    assert result.findings[0]["task_type"] == "classification"


def test_a_tool_outage_is_a_transient_fault():
    class Down:
        def call(self, name, args):
            from tools.toolkit import ToolEvent

            return ToolEvent(
                name, args, False, {"error": "get_limits failed unexpectedly (db gone)"}, 0, [], "internal"
            )

    with pytest.raises(TransientFault):
        toolkit_call(Down())("get_limits", {})


# --- the workflow -----------------------------------------------------------------------------------------------
@pytest.fixture
def worker(seeded_db, tmp_path):
    """A triage worker in this process over a fresh engine database; yields (Desk, Runtime)."""
    from desk import queue

    url = f"sqlite:///{tmp_path / 'desk.db'}"
    desk = queue.Desk(url)
    rt = queue.launch(_settings(seeded_db["dir"]), url, queue.WorkerOptions(concurrency=2))
    try:
        yield desk, rt
    finally:
        queue.shutdown()
        desk.close()


def test_workflow_end_to_end_on_sqlite(worker, db_toolkit):
    desk, rt = worker
    seen: list[tuple[str, str]] = []
    rt.on_status.append(lambda sid, status, reason: seen.append((sid, status)))
    for inp in (MACHINE_SHOP, NO_FIGURES, BIG, MACHINE_SHOP):  # the same submission twice runs once
        desk.enqueue(inp)
    assert wait_for(desk.engine, ["sub-1", "sub-2", "sub-3"]) == {
        "sub-1": "ready",
        "sub-2": "needs_info",
        "sub-3": "referred",
    }
    stored = desk.result("sub-1")["result"]
    assert stored == run_all(MACHINE_SHOP, toolkit_call(db_toolkit)).as_dict()  # the engine changes nothing
    runs = results.step_runs(desk.engine)
    assert set(runs.values()) == {1} and len(runs) == 3 * 9  # 8 steps and the finish, each once
    assert ("sub-2", "triaging") in seen and ("sub-2", "needs_info") in seen


def test_transient_faults_are_retried(worker):
    desk, rt = worker
    faults = {"n": 0}

    def flaky(sid, step):
        if step == "appetite" and faults["n"] < 2:
            faults["n"] += 1
            raise TransientFault("the database went away")

    rt.before_step = flaky
    desk.enqueue(NO_FIGURES)
    assert wait_for(desk.engine, ["sub-2"]) == {"sub-2": "needs_info"}
    assert faults["n"] == 2 and results.step_runs(desk.engine)[("sub-2", "appetite")] == 1


def test_a_failing_step_ends_failed_with_a_reason_and_retry_runs_it_again(worker):
    desk, rt = worker
    attempts: list[str] = []

    def down(sid, step):
        if step == "other_lines":
            attempts.append(step)
            raise TransientFault("recommend_lobs failed unexpectedly (connection refused)")

    rt.before_step = down
    desk.enqueue(NO_FIGURES)
    assert wait_for(desk.engine, ["sub-2"]) == {"sub-2": "failed"}
    row = desk.result("sub-2")
    assert row["reason"].startswith("the other lines step failed") and "connection refused" in row["reason"]
    assert len(attempts) == 4  # the first try and three retries, with backoff
    rt.before_step = None
    new_id = desk.retry("sub-2")
    assert new_id == "triage-sub-2-retry2"
    assert wait_for(desk.engine, ["sub-2"], done=("needs_info",)) == {"sub-2": "needs_info"}
    runs = results.step_runs(desk.engine)
    assert runs[("sub-2", "read")] == 1 and runs[("sub-2", "appetite")] == 1  # finished steps were not run again
    assert runs[("sub-2", "other_lines")] == 1 and runs[("sub-2", "finish")] == 1
    with pytest.raises(Exception, match="has not failed"):
        desk.retry("sub-2")


# --- a worker killed mid-workflow ------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_worker_killed_mid_workflow_resumes_from_its_last_finished_step(seeded_db, tmp_path):
    from desk import queue

    url = f"sqlite:///{tmp_path / 'desk.db'}"
    desk = queue.Desk(url)
    marker = tmp_path / "paused"
    env = {**os.environ, "PYTHONPATH": str(REPO), "UWC_DATA_DIR": str(seeded_db["dir"]), "DESK_PAUSE_FILE": str(marker)}
    command = [sys.executable, "-m", "tests.desk_pausing_worker", "--url", url, "--data-dir", str(seeded_db["dir"])]
    try:
        desk.enqueue(MACHINE_SHOP)
        first = subprocess.Popen(command, env=env)
        end = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < end:
            time.sleep(0.1)
        assert marker.exists(), "the worker never reached the appetite step"
        before = results.step_runs(desk.engine)
        assert before == {("sub-1", s): 1 for s in ("read", "classify", "small_business")}
        first.send_signal(signal.SIGKILL)
        first.wait()
        second = subprocess.Popen(command, env=env)  # the same executor: DBOS recovers its workflow
        try:
            assert wait_for(desk.engine, ["sub-1"]) == {"sub-1": "ready"}
        finally:
            second.terminate()
            second.wait(30)
        runs = results.step_runs(desk.engine)
        assert set(runs.values()) == {1} and len(runs) == 9  # nothing before the kill ran again
    finally:
        desk.close()


# --- PostgreSQL -------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_workflow_on_postgres(seeded_db):
    from desk import queue
    from tests.pg import fresh_database

    with fresh_database("uwc_desk") as url:
        desk = queue.Desk(url)
        queue.launch(_settings(seeded_db["dir"]), url, queue.WorkerOptions(concurrency=2))
        try:
            for inp in (MACHINE_SHOP, NO_FIGURES, NO_FIGURES):
                desk.enqueue(inp)
            assert wait_for(desk.engine, ["sub-1", "sub-2"]) == {"sub-1": "ready", "sub-2": "needs_info"}
            assert set(results.step_runs(desk.engine).values()) == {1}
        finally:
            queue.shutdown()
            desk.close()


# --- the command ------------------------------------------------------------------------------------------------
def test_desk_worker_command_refuses_in_one_line(tmp_path, capsys):
    from app.cli import main

    assert main(["desk", "worker", "--workers", "0"]) == 2
    assert main(["desk", "worker", "--data-dir", str(tmp_path / "empty")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "uwc desk: --workers must be between 1 and 64, got 0",
        "uwc desk: no seeded data: run `uwc seed` (or `make run`) first",
    ]


def test_each_model_has_its_queue_with_its_limits(seeded_db, tmp_path):
    """An LLM's quota is the queue's: workflows at once per worker, and starts per period across workers."""
    from dbos import DBOS

    from desk import queue

    assert queue.queue_name("openai/gpt-4.1-mini") == "triage-openai-gpt-4-1-mini"
    settings = _settings(seeded_db["dir"]).model_copy(update={"model": "openai/gpt-4.1-mini"})
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    queue.launch(settings, url, queue.WorkerOptions(concurrency=3, rate_limit=(30, 60.0)))
    try:
        registered = DBOS.retrieve_queue("triage-openai-gpt-4-1-mini")
        assert registered is not None
        assert registered.worker_concurrency == 3 and registered.limiter == {"limit": 30, "period": 60.0}
    finally:
        queue.shutdown()


@pytest.mark.slow
def test_uwc_desk_worker_runs_supervised_workers_until_sigterm(seeded_hashing, tmp_path):
    """The command itself: two worker processes over the data folder's embedded engine, stopped by SIGTERM (the
    kills and restarts are `python -m bench.desk`'s)."""
    from desk import queue

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "uwc.db").symlink_to(seeded_hashing["db"])
    (data_dir / "chroma").symlink_to(seeded_hashing["dir"] / "chroma")
    env = {**os.environ, "PYTHONPATH": str(REPO), "UWC_DATA_DIR": str(data_dir), "UWC_DESK_CONCURRENCY": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "desk", "worker", "--workers", "2"], env=env)
    desk = queue.Desk(queue.engine_url(_settings(data_dir)))
    try:
        for inp in (MACHINE_SHOP, NO_FIGURES, BIG):
            desk.enqueue(inp)
        assert wait_for(desk.engine, ["sub-1", "sub-2", "sub-3"]) == {
            "sub-1": "ready",
            "sub-2": "needs_info",
            "sub-3": "referred",
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        desk.close()
