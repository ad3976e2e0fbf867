"""Feedback becomes a test: a reviewed conversation turned into a regression task (the living evaluation).

``task_from_thread`` reads a conversation — its first underwriter message (the opening), the applicant facts the
copilot established, the latest finding — and ``promote`` appends the task to the regression set
(``evals/regression/tasks.jsonl``) once the reviewer's ``expected`` answer passes the same validation as every
task file (``evals/tasks.py``): an expected answer that does not fit the task type is refused with the field.
``make test`` runs the regression set (``tests/test_regression_set.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.vocabulary import VERDICT_FIELDS
from evals.tasks import APPLICANT_FACTS, TaskFileError, check_against_catalog, load_tasks, parse_task

REGRESSION_SET = Path(__file__).parent / "regression" / "tasks.jsonl"
# Facts as the tools name them -> the task file's applicant keys.
FACT_NAMES = {"company": "company_name", "exclude_lob": "lob"}


class PromoteError(ValueError):
    """The conversation cannot become a task; the message says why (and which field)."""


def _applicant(facts: dict) -> dict:
    out: dict = dict.fromkeys(APPLICANT_FACTS)
    for key, value in facts.items():
        key = FACT_NAMES.get(key, key)
        if key in out and value not in (None, "") and out[key] is None:
            out[key] = value
    return out


def task_from_thread(
    copilot, thread_id: str, expected: dict | None = None, task_type: str | None = None, task_id: str | None = None
) -> dict:
    """The task a conversation becomes (not yet validated). ``expected`` defaults to the latest finding's verdict."""
    history = copilot.history(thread_id)  # raises ThreadNotFound
    opening = next((m["content"] for m in history if m["role"] == "user"), None)
    if not opening:
        raise PromoteError(f"conversation {thread_id!r} has no underwriter message yet")
    finding = next((m["finding"] for m in reversed(history) if m.get("finding")), None)
    if finding is None and expected is None:
        raise PromoteError(
            f"conversation {thread_id!r} recorded no finding: give the expected answer (--expected JSON and --task-type)"
        )
    facts = {**copilot.known_facts(thread_id), **((finding or {}).get("facts") or {})}
    task_type = task_type or (finding or {}).get("task_type")
    if expected is None:
        expected = {k: v for k, v in (finding or {}).items() if k in VERDICT_FIELDS}
    return {
        "id": task_id or f"regression-{thread_id}",
        "task_type": task_type,
        "applicant": _applicant(facts),
        "opening": opening,
        "expected": expected,
    }


def promote(task: dict, catalog, path: Path = REGRESSION_SET) -> dict:
    """Validate ``task`` as a task file line would be and append it to the regression set; returns the task."""
    checked = parse_task(task, f"task {task.get('id')!r}")  # TaskFileError names the field
    check_against_catalog([checked], catalog, "the promoted task")
    path = Path(path)
    if path.is_file() and path.read_text(encoding="utf-8").strip():
        existing = {t.id for t in load_tasks(path)}
        if checked.id in existing:
            raise TaskFileError(f"field 'id': {checked.id!r} is already in {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    line = checked.model_dump()
    line["expected"] = checked.expected.verdict()
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return line


@dataclass
class Promoted:
    ok: bool
    message: str


def promote_from_page(copilot, thread_id: str, expected_json: str = "", path: Path = REGRESSION_SET) -> Promoted:
    """The Monitoring page's form: every failure is a sentence, never an exception."""
    from graph.threads import ThreadNotFound

    if not thread_id:
        return Promoted(False, "Give the conversation id.")
    expected = None
    if expected_json:
        try:
            expected = json.loads(expected_json)
        except json.JSONDecodeError as exc:
            return Promoted(False, f"The expected answer is not valid JSON: {exc.msg}.")
        if not isinstance(expected, dict):
            return Promoted(False, 'The expected answer must be a JSON object, e.g. {"deductible": 5000}.')
    try:
        line = promote(task_from_thread(copilot, thread_id, expected), copilot.toolkit.ctx.catalog, path)
    except ThreadNotFound:
        return Promoted(False, f"No conversation with id {thread_id!r}.")
    except (PromoteError, TaskFileError) as exc:
        return Promoted(False, f"Not added: {exc}")
    return Promoted(True, f"Added {line['id']} ({line['task_type']}, expected {json.dumps(line['expected'])}).")
