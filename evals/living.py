"""The living evaluation: each run against the previous run of the same task file, with its drops flagged.

``previous_run`` finds the run to compare with; ``find_drops`` lists every figure that got worse: accuracy overall,
by task type and pass^k falling, tool errors, invented products or online-check mismatches rising.
"""

from __future__ import annotations

from core.vocabulary import TASK_TYPES

WORSE_WHEN_HIGHER = ("tool_error_rate", "invented_product_rate", "findings_mismatched")


def previous_run(runs: list[tuple[str, dict]], name: str) -> str | None:
    """The newest run older than ``name`` over the same task file (``runs`` newest first, as ``list_runs``)."""
    names = [n for n, _ in runs]
    if name not in names:
        return None
    tasks_file = dict(runs)[name].get("tasks_file")
    for older, summary in runs[names.index(name) + 1 :]:
        if summary.get("tasks_file") == tasks_file:
            return older
    return None


def find_drops(previous: dict, current: dict, tolerance: float = 0.0) -> list[dict]:
    """Figures worse in ``current`` than in ``previous`` by more than ``tolerance``: {metric, before, after}."""
    pairs: list[tuple[str, float | None, float | None, bool]] = [
        ("accuracy", previous.get("accuracy"), current.get("accuracy"), False)
    ]
    for t in TASK_TYPES:
        before = previous.get("accuracy_by_task_type", {}).get(t)
        after = current.get("accuracy_by_task_type", {}).get(t)
        pairs.append((f"accuracy: {t}", before, after, False))
    for k, after in current.get("pass_hat_k", {}).items():
        pairs.append((f"pass^{k}", previous.get("pass_hat_k", {}).get(k), after, False))
    for key in WORSE_WHEN_HIGHER:
        pairs.append((key, previous.get(key), current.get(key), True))
    drops = []
    for metric, before, after, higher_is_worse in pairs:
        if before is None or after is None:
            continue
        change = (after - before) if higher_is_worse else (before - after)
        if change > tolerance:
            drops.append({"metric": metric, "before": before, "after": after})
    return drops
