"""Run-level figures from per-conversation rows: accuracy, pass^k, error and invention rates, cost."""

from __future__ import annotations

from collections import defaultdict
from math import comb

from core.vocabulary import TASK_TYPES


def pass_hat_k(correct_by_task: dict[str, list[bool]], k: int) -> float:
    """tau-bench's pass^k: the mean over tasks of C(c, k) / C(n, k), with c correct trials out of n.

    The chance that k trials drawn without replacement from a task's n trials are all correct; tasks with
    fewer than k trials are left out.
    """
    values = [comb(sum(trials), k) / comb(len(trials), k) for trials in correct_by_task.values() if len(trials) >= k]
    return sum(values) / len(values) if values else 0.0


def _mean(xs) -> float:
    xs = list(xs)
    return sum(xs) / len(xs) if xs else 0.0


def _share(rows, pred) -> float:
    return _mean(1.0 if pred(r) else 0.0 for r in rows)


def summarize(rows: list[dict], meta: dict | None = None) -> dict:
    """The summary.json of a run: every figure the issue names, plus the same by task type."""
    by_task: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        by_task[r["id"]].append(bool(r["correct"]))
    trials = max((r["trial"] for r in rows), default=0)
    types = [t for t in TASK_TYPES if any(r["task_type"] == t for r in rows)]
    per_type = {}
    for t in types:
        rs = [r for r in rows if r["task_type"] == t]
        per_type[t] = {
            "conversations": len(rs),
            "correct": sum(bool(r["correct"]) for r in rs),
            "accuracy": _share(rs, lambda r: r["correct"]),
            "tool_error_rate": _share(rs, lambda r: r["tool_errors"] > 0),
            "invented_product_rate": _share(rs, lambda r: r["invented_products"]),
            "mean_turns": _mean(r["turns"] for r in rs),
            "mean_tool_calls": _mean(r["tool_calls"] for r in rs),
        }
    error_kinds: dict[str, int] = defaultdict(int)
    for r in rows:
        for k in r.get("tool_error_kinds", []):
            error_kinds[k] += 1
    graded_by: dict[str, int] = defaultdict(int)
    for r in rows:
        graded_by[r.get("graded_by", "none")] += 1
    copilot_cost = sum(r.get("cost_usd", 0.0) for r in rows)
    user_cost = sum(r.get("user_cost_usd", 0.0) for r in rows)
    return {
        **(meta or {}),
        "tasks": len(by_task),
        "trials": trials,
        "conversations": len(rows),
        "accuracy": _share(rows, lambda r: r["correct"]),
        "accuracy_by_task_type": {t: v["accuracy"] for t, v in per_type.items()},
        "pass_hat_k": {str(k): pass_hat_k(by_task, k) for k in range(1, trials + 1)},
        "tool_error_rate": _share(rows, lambda r: r["tool_errors"] > 0),
        "tool_errors_by_kind": dict(error_kinds),
        "invented_product_rate": _share(rows, lambda r: r["invented_products"]),
        "reask_rate": _share(rows, lambda r: r.get("reasked")),  # asked again for a fact already given
        "help_text_rate": _share(rows, lambda r: r.get("help_text")),  # got the canned help instead of an answer
        "guard_event_rate": _share(rows, lambda r: r["guard_events"] > 0),
        "mean_turns": _mean(r["turns"] for r in rows),
        "mean_tool_calls": _mean(r["tool_calls"] for r in rows),
        "turn_cap_reached": sum(1 for r in rows if r.get("ended") == "turn_cap"),
        "ended_unreadable": sum(1 for r in rows if r.get("ended") == "unreadable"),
        "invented_citations": sum(len(r.get("invented_citations") or []) for r in rows),
        "conversation_errors": sum(1 for r in rows if r.get("error")),
        "graded_by": dict(graded_by),
        # online checks (graph/online_checks.py): findings re-verified, and those whose check found a mismatch
        "findings_checked": sum(r.get("findings_checked", 0) for r in rows),
        "findings_mismatched": sum(s == "mismatch" for r in rows for s in r.get("check_status", [])),
        "findings_unverifiable": sum(s == "unverifiable" for r in rows for s in r.get("check_status", [])),
        "total_tokens": sum(r.get("tokens", 0) for r in rows),
        "copilot_cost_usd": copilot_cost,
        "user_cost_usd": user_cost,
        "total_cost_usd": copilot_cost + user_cost,
        "by_task_type": per_type,
    }
