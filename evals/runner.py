"""Run task conversations between the copilot and a simulated underwriter, in parallel, grade them, and write
the run folder.

``run_to_folder`` is the one way an evaluation runs (``uwc eval`` and the MCP ``run_eval_tasks`` only parse and
print): it names the run folder, builds the worker copilots, records the run's metadata and writes its files.
Each conversation gets its own thread id. Each worker thread gets its own ``Copilot`` (``worker_copilot``: its
own SQLite checkpoints and conversations in the run folder, never the shared PostgreSQL store) because one SQLite
checkpointer connection is not safe for parallel writers; the read-only ``Toolkit`` is shared.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import shutil
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.vocabulary import COUNT_FACTS, MONEY_FACTS, millions
from evals.grading import grade, parse_answer
from evals.simulator import facts_asked
from evals.tasks import Task

MAX_TURNS = 20
# Answers the grader cannot read (no finding, no determination in words, no question the underwriter can
# answer) before a conversation is ended: a model that keeps writing what nobody reads would run to MAX_TURNS.
MAX_UNREADABLE = 3


@dataclass
class Conversation:
    row: dict  # one line of results.jsonl
    transcript: list[dict]


def _invented(result, catalog, said: Sequence[str] = ()) -> set[str]:
    """Products we don't write that this turn named, caught or not: guard events plus a scan of the answer (the
    underwriter's own words quoted back in it are theirs, not an offer)."""
    from graph.build import quoted_back
    from tools.guard import scan_products

    found: set[str] = set()
    for e in result.events:
        if e.get("type") == "guard":
            found.update(e.get("products") or ([e["value"]] if e.get("value") else []))
    answer = result.answer or ""
    found.update(scan_products(answer, catalog, names=quoted_back(answer, said)))
    return found


def _help_text(answer: str) -> bool:
    """The offline model's canned help (what it can do), given instead of an answer."""
    from graph.prompts import OFFLINE_HELP

    return bool(answer) and answer.startswith(OFFLINE_HELP[:40])


def _questions_for(text: str) -> list[str]:
    """The facts a copilot message asks for with a question: sentences ending in "?", quoted titles left out
    (a NAICS title such as "Truck Trailer Manufacturing" offered as a choice does not ask for vehicles)."""
    asked = " ".join(s for s in re.split(r"(?<=[.!?])\s+|\n+", text or "") if s.rstrip().endswith("?"))
    return facts_asked(re.sub(r"[\"“][^\"“”]{1,200}[\"”]", " ", asked)) if asked else []


def opening_facts(task: Task) -> set[str]:
    """Facts the opening already gives, read with the task's own values (never with the product's parser)."""
    from evals.simulator import state_names

    text, app, out = task.opening, task.applicant, set()
    low = text.lower()
    if app.naics and app.naics in text:
        out.add("naics")
    if app.state:
        code = app.state.upper() if len(app.state) == 2 else None
        name = (state_names().get(code or "") or app.state).lower()
        if (code and re.search(rf"\b{code}\b", text)) or name in low:
            out.add("state")
    for fact in COUNT_FACTS:
        value = getattr(app, fact, None)
        if value and re.search(rf"(?<![\d.$]){value}\b(?!\.\d|\s*(?:m|mm|mil|k)\b)", text, re.I):
            out.add(fact)
    for fact in MONEY_FACTS:
        value = getattr(app, fact, None)
        if value:
            short = millions(value)
            if re.search(rf"(?<![\d.]){re.escape(short)}\s*(?:m|mm|mil|million)\b", low) or f"{value // 1000}k" in low:
                out.add(fact)
    return out


def _determined(task: Task, result, catalog) -> bool:
    """The copilot gave its determination: a finding, or a plain answer (no question) the parser can grade."""
    if result.finding:
        return True
    answer = result.answer or ""
    return bool(answer.strip()) and "?" not in answer and parse_answer(task.task_type, answer, catalog) is not None


def _unreadable(task: Task, result, catalog) -> bool:
    """An answer the grader cannot read: no finding, no determination it parses, no question for a fact."""
    answer = result.answer or ""
    return not result.finding and parse_answer(task.task_type, answer, catalog) is None and not _questions_for(answer)


def run_conversation(
    copilot,
    task: Task,
    user,
    trial: int = 1,
    catalog=None,
    max_turns: int = MAX_TURNS,
    judge=None,
    max_unreadable: int = MAX_UNREADABLE,
    given: set[str] | None = None,
    thread_id: str | None = None,
) -> Conversation:
    """Hold one conversation until the copilot's determination, ``max_unreadable`` answers the grader cannot
    read, or the turn cap; grade it. ``given``: the facts the opening states, when the task's author says so (else
    read from the task's own values); ``thread_id``: go on in that conversation (a follow-up question)."""
    from graph.copilot import InputRejected

    catalog = catalog if catalog is not None else copilot.toolkit.ctx.catalog
    start = time.perf_counter()
    thread = copilot.threads.get(thread_id) if thread_id else copilot.new_thread(title=f"eval {task.id} #{trial}")
    transcript: list[dict] = []
    finding, final_text, ended, error = None, "", "turn_cap", None
    turns = tool_calls = tool_errors = guard_events = tokens = 0
    cost = 0.0
    invented: set[str] = set()
    error_kinds: list[str] = []
    checks: list[dict] = []  # the online checks of the findings recorded (graph/online_checks.py)
    message = user.opening()
    given = set(given) if given is not None else opening_facts(task)
    reasked, help_answers, unreadable = set(), 0, 0
    invented_citations: list[str] = []
    findings: list[dict] = []
    try:
        for _ in range(max_turns):
            transcript.append({"role": "underwriter", "text": message})
            try:
                result = copilot.send(thread.id, message)
            except InputRejected as exc:
                ended, error = "input_rejected", f"the underwriter's message was refused: {exc}"
                break
            turns += 1
            tool_calls += len(result.steps)
            failed = [s for s in result.steps if not s["ok"] and s.get("error_kind") != "guard_rejected"]
            tool_errors += len(failed)
            error_kinds += [s.get("error_kind") or "error" for s in failed]
            guard_events += sum(1 for e in result.events if e.get("type") == "guard")
            for e in result.events:
                if e.get("type") == "model":
                    tokens += (e.get("input_tokens") or 0) + (e.get("output_tokens") or 0)
                    cost += e.get("cost_usd") or 0.0
            invented |= _invented(result, catalog, [t["text"] for t in transcript if t["role"] == "underwriter"])
            invented_citations += [
                i for e in result.events if e.get("type") == "citation" for i in e.get("unknown", [])
            ]
            transcript.append(
                {
                    "role": "copilot",
                    "text": result.answer,
                    "tools": [
                        {
                            "tool": s["tool"],
                            "arguments": s["arguments"],
                            "ok": s["ok"],
                            **({"error": s["result"].get("error")} if not s["ok"] else {}),
                        }
                        for s in result.steps
                    ],
                    **({"finding": result.finding} if result.finding else {}),
                    **({"notices": result.notices} if result.notices else {}),
                }
            )
            final_text = result.answer or ""
            if result.check:
                checks.append(result.check)
            findings += [s["result"] for s in result.steps if s["tool"] == "record_finding" and s["ok"]]
            if result.finding:  # several questions in one message: grade the finding of the task's type
                finding = next((f for f in reversed(findings) if f.get("task_type") == task.task_type), result.finding)
            help_answers += _help_text(final_text)
            now = _questions_for(final_text)
            reasked |= {f for f in now if f in given}
            if result.error:
                ended, error = "model_error", result.error
                break
            if _determined(task, result, catalog):
                ended = "finding" if result.finding else "answer"
                break
            unreadable += _unreadable(task, result, catalog)
            if unreadable >= max_unreadable:
                ended = "unreadable"
                break
            message = user.reply(final_text)
            given |= set(getattr(user, "revealed", []))
    except Exception as exc:  # a bug in the copilot or the simulator: recorded, the run goes on
        ended, error = "crash", f"{type(exc).__name__}: {exc}"
        transcript.append({"role": "error", "text": traceback.format_exc(limit=6)})
    g = grade(task, finding, final_text, catalog, judge)
    usage = user.usage
    row = {
        "id": task.id,
        "task_type": task.task_type,
        "trial": trial,
        "correct": g.correct,
        "predicted": g.predicted,
        "expected": task.expected.verdict(),
        "graded_by": g.source,
        "ended": ended,
        "turns": turns,
        "tool_calls": tool_calls,
        "tool_errors": tool_errors,
        "tool_error_kinds": error_kinds,
        "guard_events": guard_events,
        "reasked": sorted(reasked),
        "help_text": help_answers > 0,
        "invented_products": sorted(invented),
        "invented_citations": invented_citations,
        "unreadable_answers": unreadable,
        "tokens": tokens,
        "cost_usd": round(cost, 6),
        "user_tokens": usage["tokens"],
        "user_cost_usd": round(usage["cost_usd"], 6),
        "seconds": round(time.perf_counter() - start, 3),
        "thread_id": thread.id,
        "error": error,
        "findings_checked": len(checks),
        "check_status": [c["status"] for c in checks],
        "check_mismatches": [m for c in checks for m in c["mismatches"]],
    }
    return Conversation(row, transcript)


def run_eval(
    tasks: list[Task],
    make_copilot: Callable[[int], object],
    make_user: Callable[[Task], object],
    *,
    trials: int = 1,
    concurrency: int = 1,
    catalog=None,
    max_turns: int = MAX_TURNS,
    judge=None,
    on_done: Callable[[Conversation], None] | None = None,
) -> list[Conversation]:
    """Every task x trial, ``concurrency`` at a time; results in task order, then trial order.

    ``make_copilot(worker_index)`` is called once per worker thread; every copilot made is closed at the end.
    """
    if trials < 1 or concurrency < 1:
        raise ValueError("trials and concurrency must be at least 1")
    jobs = [(i, task, trial) for trial in range(1, trials + 1) for i, task in enumerate(tasks)]
    local = threading.local()
    made: list = []
    counter = itertools.count()
    lock = threading.Lock()

    def copilot():
        if not hasattr(local, "copilot"):
            with lock:
                index = next(counter)
            local.copilot = make_copilot(index)
            with lock:
                made.append(local.copilot)
        return local.copilot

    def work(job):
        i, task, trial = job
        return i, trial, run_conversation(copilot(), task, make_user(task), trial, catalog, max_turns, judge)

    out: dict[tuple[int, int], Conversation] = {}
    try:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eval") as pool:
            futures = [pool.submit(work, job) for job in jobs]
            try:
                for fut in as_completed(futures):
                    i, trial, conv = fut.result()
                    out[(i, trial)] = conv
                    if on_done:
                        on_done(conv)
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
    finally:
        for cp in made:
            try:
                cp.close()
            except Exception:
                pass
    return [out[k] for k in sorted(out)]


class RunRefused(ValueError):
    """What the run was given cannot be run (nothing ran): one readable line."""


class CannotStart(RuntimeError):
    """A worker copilot could not be built (a model string, a cassette, a store): one readable line."""


@dataclass
class Run:
    out: Path  # the run folder
    summary: dict  # summary.json


def worker_copilot(settings, toolkit, data_dir: Path):
    """A copilot whose conversations, checkpoints and checks stay in ``data_dir`` (SQLite), never in a shared
    PostgreSQL store: an evaluation's or a replay's conversations are not anybody's conversations."""
    from core.faults import start_problem
    from graph.copilot import Copilot

    try:
        return Copilot(settings.model_copy(update={"data_dir": Path(data_dir), "database_url": None}), toolkit=toolkit)
    except Exception as exc:
        raise CannotStart(start_problem(exc, settings.data_dir)) from None


@contextlib.contextmanager
def private_copilot(settings, toolkit) -> Iterator:
    """A worker copilot in a temporary folder, closed and deleted on exit (replays keep no conversation)."""
    with tempfile.TemporaryDirectory(prefix="uwc-replay-") as tmp:
        copilot = worker_copilot(settings, toolkit, Path(tmp))
        try:
            yield copilot
        finally:
            copilot.close()


def _claim_folder(runs_dir: Path, name: str) -> Path:
    """A new folder under ``runs_dir`` named ``name`` (``name-2``, ``name-3``… when taken), created atomically."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        out = runs_dir / (name if n == 1 else f"{name}-{n}")
        try:
            out.mkdir()
            return out
        except FileExistsError:
            n += 1


def run_to_folder(
    settings,
    toolkit,
    tasks: list[Task],
    *,
    tasks_file: str,
    user: str = "scripted",
    out: Path | None = None,
    tag: str = "",
    trials: int = 1,
    concurrency: int = 1,
    max_turns: int = MAX_TURNS,
    judge: str | None = None,
    on_start: Callable[[str], None] | None = None,
    on_done: Callable[[Conversation], None] | None = None,
) -> Run:
    """Hold every task x trial with ``settings.model`` and write the run folder (``evals/report.py``).

    ``out`` must be new or empty (runs are never overwritten); by default a new ``<runs dir>/<timestamp>[-tag]``.
    Refused before anything runs: ``RunRefused`` (an expected line the catalog does not know, an unknown ``user``,
    a used ``out``, a count below 1) and ``CannotStart`` (the first worker copilot cannot be built).
    ``on_start(label)`` is called with the copilot's label once the first worker is built (the run starts),
    ``on_done`` after each conversation.
    """
    from evals.grading import llm_judge
    from evals.report import write_run
    from evals.simulator import user_factory
    from evals.tasks import check_against_catalog

    if trials < 1 or concurrency < 1 or max_turns < 1:
        raise RunRefused("trials, concurrency and max turns must be at least 1")
    catalog = toolkit.ctx.catalog
    try:
        check_against_catalog(tasks, catalog, tasks_file)
        make_user = user_factory(user, settings.api_base, catalog.insurer)
    except ValueError as exc:  # TaskFileError, an unknown kind of underwriter
        raise RunRefused(str(exc)) from None
    if out is not None and out.exists() and any(out.iterdir()):
        raise RunRefused(f"the run folder {out} is not empty: choose a new one (runs are never overwritten)")
    grader = None
    if judge:
        from graph.llm import LiteLLMModel

        grader = llm_judge(LiteLLMModel(judge, api_base=settings.api_base, stream=False))
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    claimed = out is None
    if out is None:
        out = _claim_folder(settings.runs_dir, f"{stamp}-{tag}" if tag else stamp)
    try:  # the first worker now: a model that cannot be built fails before the run starts
        spare = [worker_copilot(settings, toolkit, out / "workers" / "w0")]
    except CannotStart:
        if claimed:
            shutil.rmtree(out, ignore_errors=True)
        raise
    if on_start:
        on_start(spare[0].label)

    def factory(i: int):
        return spare.pop() if i == 0 and spare else worker_copilot(settings, toolkit, out / "workers" / f"w{i}")

    start = time.perf_counter()
    try:
        conversations = run_eval(
            tasks,
            factory,
            make_user,
            trials=trials,
            concurrency=concurrency,
            catalog=catalog,
            max_turns=max_turns,
            judge=grader,
            on_done=on_done,
        )
    finally:
        for cp in spare:  # never taken (no task)
            cp.close()
    meta = {
        "run": out.name,
        "model": settings.model,
        "user": user,
        "tasks_file": tasks_file,
        "concurrency": concurrency,
        "max_turns": max_turns,
        "judge": judge,
        "started_at": stamp,
        "wall_seconds": round(time.perf_counter() - start, 2),
    }
    return Run(out, write_run(out, conversations, meta))
