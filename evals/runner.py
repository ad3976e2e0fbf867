"""Run task conversations between the copilot and a simulated underwriter, in parallel, and grade them.

Each conversation gets its own thread id. Each worker thread gets its own ``Copilot`` (built by the factory
it is given, usually with its own checkpoint file in the run folder) because one SQLite checkpointer
connection is not safe for parallel writers; the read-only ``Toolkit`` is shared.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from core.vocabulary import COUNT_FACTS, MONEY_FACTS, millions
from evals.grading import grade, parse_answer
from evals.simulator import facts_asked
from evals.tasks import Task

MAX_TURNS = 20


@dataclass
class Conversation:
    row: dict  # one line of results.jsonl
    transcript: list[dict]


def _invented(result, catalog) -> set[str]:
    """Products we don't write that this turn named, caught or not: guard events plus a scan of the answer."""
    from tools.guard import scan_products

    found: set[str] = set()
    for e in result.events:
        if e.get("type") == "guard":
            found.update(e.get("products") or ([e["value"]] if e.get("value") else []))
    found.update(scan_products(result.answer or "", catalog))
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


def run_conversation(
    copilot, task: Task, user, trial: int = 1, catalog=None, max_turns: int = MAX_TURNS, judge=None
) -> Conversation:
    """Hold one conversation until the copilot's determination or the turn cap; grade it."""
    from graph.copilot import InputRejected

    catalog = catalog if catalog is not None else copilot.toolkit.ctx.catalog
    start = time.perf_counter()
    thread = copilot.new_thread(title=f"eval {task.id} #{trial}")
    transcript: list[dict] = []
    finding, final_text, ended, error = None, "", "turn_cap", None
    turns = tool_calls = tool_errors = guard_events = tokens = 0
    cost = 0.0
    invented: set[str] = set()
    error_kinds: list[str] = []
    checks: list[dict] = []  # the online checks of the findings recorded (graph/online_checks.py)
    message = user.opening()
    given, reasked, help_answers = opening_facts(task), set(), 0
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
            invented |= _invented(result, catalog)
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
