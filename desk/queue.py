"""Triage as a durable workflow on DBOS Transact: each step of ``desk/triage.py`` is a checkpointed DBOS step, the
workflow runs from a queue per model (concurrency per worker, a rate limit for LLM quotas), and its state lives in
the engine's system database: a SQLite file in the data folder by default, PostgreSQL when ``UWC_DATABASE_URL`` is.

A worker killed mid-workflow is recovered from its last finished step (the outputs of finished steps are read back,
their tool calls are not made again); a transient fault is retried with backoff; a step that still fails ends the
submission ``failed`` with a readable reason, and ``retry`` forks the workflow from that step. A submission is one
workflow id, so enqueuing it twice runs it once. Why DBOS, and not Huey: docs/desk.md.

Who calls what: intake (any process) ``enqueue(TriageInput)`` and ``retry(submission_id)`` through a ``Desk`` (DBOS's
client, no worker needed); ``desk/worker.py`` calls ``launch`` in each worker process.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dbos import DBOS, DBOSClient, SetWorkflowID, SQLAlchemyDatasource

from core.redact import redact_error
from desk import results
from desk.triage import STEP_FUNCTIONS, STEPS, TransientFault, TriageInput, result_of, status_reason, toolkit_call

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from core.settings import Settings

APP_NAME = "uwc-desk"
WORKFLOW = "desk.triage"
# Transient faults (an outage, a timeout) are retried: 4 attempts, waiting 0.25 s then doubling (0.25, 0.5, 1 s);
# the model layer (graph/llm.py) already waits out a provider's Retry-After inside one call.
RETRY_ATTEMPTS, RETRY_INTERVAL, RETRY_BACKOFF = 4, 0.25, 2.0
MAX_RECOVERY_ATTEMPTS = 5  # a submission that kills its worker this often ends failed instead of looping
FAILED_STATES = ("ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED", "CANCELLED")

StatusCallback = Callable[[str, str, str], None]  # submission_id, status, reason


class DeskError(Exception):
    """A desk operation that cannot be done (unknown submission, not failed); the message is for a person."""


class StepFailed(Exception):
    """A triage step that failed for good; the message is the reason the desk shows."""


# --- where a submission's engine lives ------------------------------------------------------------------------
def engine_url(settings: Settings) -> str:
    """The engine's system database: ``UWC_DATABASE_URL`` when it is PostgreSQL, else ``desk.db`` in the data folder."""
    from core.database import is_postgres, libpq_url

    if settings.database_url and is_postgres(settings.database_url):
        return libpq_url(settings.database_url)
    return f"sqlite:///{(settings.data_dir / 'desk.db').resolve()}"


def queue_name(model: str) -> str:
    """One queue per model, so each model's quota is its own: ``triage-offline``, ``triage-openai-gpt-4-1-mini``."""
    return "triage-" + re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")


def results_engine(url: str) -> Engine:
    from sqlalchemy import create_engine

    from core.database import normalize_url

    if url.startswith("sqlite"):
        from sqlalchemy import event

        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _wal(dbapi_conn, _):
            # Write-ahead logging (kept in the file, so DBOS's own connections use it too): readers no longer wait
            # for writers, which took the embedded engine from 2 to 10 triaged per second (bench.desk).
            dbapi_conn.execute("PRAGMA journal_mode=WAL")

        return engine
    return create_engine(normalize_url(url), pool_pre_ping=True, pool_size=4)


# --- the worker side: the workflow and its steps ----------------------------------------------------------------
def _unlaunched(*_: Any) -> dict:
    raise RuntimeError("the desk worker was not launched")


@dataclass
class Runtime:
    """What the steps of this worker process use: the tools' context and list, the results table, the hooks."""

    context: Any  # tools.context.ToolContext
    tools: tuple
    engine: Engine
    on_status: list[StatusCallback] = field(default_factory=list)
    before_step: Callable[[str, str], None] | None = None  # tests inject faults here: (submission_id, step)
    datasource: Any = None  # dbos.SQLAlchemyDatasource over the engine's database, for the transactional finish
    finish: Callable[[dict, dict, str], dict] = _unlaunched

    def call(self):
        from tools.toolkit import Toolkit

        # A Toolkit per step: its event list then lives as long as the step, not as long as the worker.
        return toolkit_call(Toolkit(self.context, self.tools))


_runtime: Runtime | None = None


def runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("no desk worker is running in this process (desk.queue.launch)")
    return _runtime


def _make_step(name: str):
    def run(inp: dict, state: dict) -> dict:
        rt = runtime()
        if rt.before_step is not None:
            rt.before_step(inp["submission_id"], name)
        out = STEP_FUNCTIONS[name](TriageInput.from_dict(inp), state, rt.call())
        results.count_run(rt.engine, inp["submission_id"], name)  # last, so a crash before it leaves no count
        return out

    run.__name__ = run.__qualname__ = f"triage_{name}"
    return DBOS.step(
        name=f"triage.{name}",
        retries_allowed=True,
        max_attempts=RETRY_ATTEMPTS,
        interval_seconds=RETRY_INTERVAL,
        backoff_rate=RETRY_BACKOFF,
        should_retry=lambda e: isinstance(e, TransientFault),
    )(run)


DURABLE_STEPS = {name: _make_step(name) for name in STEPS}


@DBOS.step(name="triage.status")
def _status(submission_id: str, status: str, reason: str, workflow_id: str) -> None:
    rt = runtime()
    results.set_status(rt.engine, submission_id, status, reason, workflow_id)
    for callback in rt.on_status:
        callback(submission_id, status, reason)


def _finish(inp: dict, state: dict, workflow_id: str) -> dict:
    """Store the result and its status in the transaction that records this step as done (a DBOS datasource
    transaction): a worker killed around it leaves the result written once or not at all."""
    rt = runtime()
    result = result_of(TriageInput.from_dict(inp), state).as_dict()
    reason = status_reason(result)
    session = rt.datasource.sql_session()
    results.save_result(session, inp["submission_id"], result, reason)
    session.execute(
        results.triage_result.update()
        .where(results.triage_result.c.submission_id == inp["submission_id"])
        .values(workflow_id=workflow_id)
    )
    return {"status": result["status"], "reason": reason, "score": result["score"]["total"]}


@DBOS.step(name="triage.notify")
def _notify(submission_id: str, status: str, reason: str) -> None:
    for callback in runtime().on_status:
        callback(submission_id, status, reason)


@DBOS.workflow(name=WORKFLOW, max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def triage_workflow(inp: dict) -> dict:
    sid, wid = inp["submission_id"], DBOS.workflow_id or ""
    _status(sid, "triaging", "", wid)
    state: dict[str, dict] = {}
    step = STEPS[0]
    try:
        for step in STEPS:
            state[step] = DURABLE_STEPS[step](inp, state)
        step = "finish"
        done = runtime().finish(inp, state, wid)
    except Exception as exc:
        reason = f"the {step.replace('_', ' ')} step failed: {_one_line(exc)}"
        _status(sid, "failed", reason, wid)
        raise StepFailed(reason) from None
    _notify(sid, done["status"], done["reason"])
    return done


def _one_line(exc: BaseException) -> str:
    # DBOS wraps a step that ran out of retries; the last error underneath is what a person needs.
    errors = getattr(exc, "errors", None)
    inner = errors[-1] if isinstance(errors, list) and errors else exc
    return redact_error(inner, 300)


@dataclass(frozen=True)
class WorkerOptions:
    executor_id: str = "local"  # a restarted worker with the same id recovers what it was doing
    concurrency: int = 4  # workflows at once in this process
    rate_limit: tuple[int, float] | None = None  # at most N workflows started per P seconds, across workers


def launch(
    settings: Settings,
    url: str,
    options: WorkerOptions,
    on_status: list[StatusCallback] | None = None,
    before_step: Callable[[str, str], None] | None = None,
) -> Runtime:
    """Start DBOS in this process as a triage worker: recover this executor's unfinished workflows, then take
    submissions from the model's queue. ``shutdown`` stops it."""
    global _runtime
    from tools.all import default_tools
    from tools.context import open_context

    engine = results_engine(url)
    results.ensure_tables(engine)
    _runtime = Runtime(open_context(settings), default_tools(), engine, list(on_status or []), before_step)
    DBOS(
        config={
            "name": APP_NAME,
            "system_database_url": url,
            "executor_id": options.executor_id,
            "log_level": "WARNING",
            "max_executor_threads": max(8, options.concurrency * 2),
        }
    )
    # The datasource exists only once its URL is known, so its transaction is bound here, before DBOS recovers.
    _runtime.datasource = SQLAlchemyDatasource.create(url, engine=engine)
    isolation = "SERIALIZABLE" if url.startswith("sqlite") else "READ COMMITTED"  # SQLite knows no other
    _runtime.finish = _runtime.datasource.transaction(name="triage.finish", isolation_level=isolation)(_finish)
    DBOS.launch()
    limiter = {"limit": options.rate_limit[0], "period": options.rate_limit[1]} if options.rate_limit else None
    DBOS.register_queue(
        queue_name(settings.model),
        worker_concurrency=options.concurrency,
        limiter=limiter,  # type: ignore[arg-type]
        polling_interval_sec=0.1,
        on_conflict="always_update",
    )
    return _runtime


def shutdown() -> None:
    global _runtime
    DBOS.destroy(workflow_completion_timeout_sec=0)
    if _runtime is not None:
        _runtime.engine.dispose()
    _runtime = None


# --- the caller side: enqueue, retry, read -------------------------------------------------------------------
class Desk:
    """Enqueue, retry and read triage from any process (the app, intake, the bench) through DBOS's client; no
    worker needs to run in the caller's process."""

    def __init__(self, url: str, model: str = "offline"):
        DBOS.migrate(url)  # the client never creates the engine's tables itself
        self.url, self.queue = url, queue_name(model)
        self.engine = results_engine(url)
        results.ensure_tables(self.engine)
        self.client = DBOSClient(system_database_url=url, application_name=APP_NAME)

    def enqueue(self, inp: TriageInput) -> str:
        """Queue a submission's triage; a submission already queued or triaged is not run again. Returns the
        workflow id."""
        workflow_id = f"triage-{inp.submission_id}"
        options = {"workflow_name": WORKFLOW, "queue_name": self.queue, "workflow_id": workflow_id}
        self.client.enqueue(options, inp.as_dict())  # type: ignore[arg-type]
        return workflow_id

    def retry(self, submission_id: str) -> str:
        """Run a failed submission's triage again from the step that failed (the steps before it are not run
        again). Returns the new workflow id."""
        row = results.load(self.engine, submission_id)
        workflow_id = (row or {}).get("workflow_id") or f"triage-{submission_id}"
        try:
            status = self.client.retrieve_workflow(workflow_id).get_status().status
            # The failed status is written just before the workflow raises: give the engine a moment to record it.
            end = time.monotonic() + 10
            while status == "PENDING" and (row or {}).get("status") == "failed" and time.monotonic() < end:
                time.sleep(0.05)
                status = self.client.retrieve_workflow(workflow_id).get_status().status
        except Exception:
            raise DeskError(f"no triage of submission {submission_id!r}") from None
        if status not in FAILED_STATES:
            raise DeskError(f"submission {submission_id!r} has not failed (its triage is {status.lower()})")
        steps = self.client.list_workflow_steps(workflow_id)
        failed = [s["function_id"] for s in steps if s["error"] is not None and s["function_name"] != "triage.status"]
        start = failed[0] if failed else 0
        attempt = 2 + sum(1 for _ in self.client.list_workflows(workflow_id_prefix=f"triage-{submission_id}-retry"))
        new_id = f"triage-{submission_id}-retry{attempt}"
        with SetWorkflowID(new_id):
            self.client.fork_workflow(workflow_id, start, queue_name=self.queue)
        results.set_status(self.engine, submission_id, "triaging", f"retry {attempt - 1}", new_id)
        return new_id

    def result(self, submission_id: str) -> dict | None:
        return results.load(self.engine, submission_id)

    def close(self) -> None:
        self.client.destroy()
        self.engine.dispose()


def open_desk(settings: Settings) -> Desk:
    return Desk(engine_url(settings), settings.model)


def enqueue(inp: TriageInput, settings: Settings | None = None) -> str:
    """Queue one submission's triage (see ``Desk.enqueue``); opens and closes a client."""
    desk = open_desk(settings or _settings())
    try:
        return desk.enqueue(inp)
    finally:
        desk.close()


def retry(submission_id: str, settings: Settings | None = None) -> str:
    """Run a failed submission's triage again from its failed step (see ``Desk.retry``)."""
    desk = open_desk(settings or _settings())
    try:
        return desk.retry(submission_id)
    finally:
        desk.close()


def _settings() -> Settings:
    from core.settings import get_settings

    return get_settings()
