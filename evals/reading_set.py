"""Reading sets: conversations written by people who have not read the reader, scored on how they are read.

A row is one applicant as an underwriter knows it, the first message as they typed it (a chat line or a pasted
broker e-mail), how they answer each question the copilot may ask (``replies``, in their own words), which facts
the opening already states (``said``) and which they say nobody knows (``unknown``); optionally follow-up questions
later in the same conversation (``then``). The expected answer of every question is computed by the independent
reference (``evals/suite/reference.py``) from the row's ``applicant``; nothing here reads text with the product's
code. The rows live outside the repository when they are held out (see docs/evaluation.md).

Scored per conversation: correct (every question of the row), a fact asked again after it was given (re-ask), a
fact the copilot used that the underwriter never said or said otherwise (false fact), the help text given instead
of an answer.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evals.simulator import facts_asked, questions_in
from evals.tasks import Applicant, Expected, Task, TaskType

REFERENCE = Path(__file__).resolve().parent / "suite" / "reference.py"
# Facts whose value the copilot may only have from the underwriter: a tool argument with another value is false.
CHECKED = ("annual_revenue", "employees", "annual_payroll", "vehicles", "state")
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
NO_REPLY = "don't know"


class FollowUp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str = Field(min_length=1)
    task_type: TaskType
    # the line the follow-up asks about when it names another than the applicant's ("and cyber limits?"); its
    # expected answer is computed for that line
    lob: str | None = None


class ReadingRow(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1)
    kind: Literal["chat", "paste", "other"] | str = "chat"
    task_type: TaskType
    applicant: Applicant
    opening: str = Field(min_length=1)
    replies: dict[str, str] = Field(default_factory=dict)
    said: list[str] = Field(default_factory=list)
    unknown: list[str] = Field(default_factory=list)
    then: list[FollowUp] = Field(default_factory=list)
    tricky: str = ""


def load_rows(path: Path) -> tuple[list[ReadingRow], list[str]]:
    """The rows of a JSONL file, and one line per row that could not be read (kept apart, never fatal)."""
    rows, bad = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(ReadingRow.model_validate(json.loads(line)))
        except (ValueError, ValidationError) as exc:
            bad.append(f"{path.name}:{n}: {str(exc).splitlines()[0]}")
    return rows, bad


def _reference():
    spec = importlib.util.spec_from_file_location("uwc_reference", REFERENCE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Expectations:
    """The reference's answers, computed once per run."""

    ref: object = field(default_factory=_reference)

    def __post_init__(self) -> None:
        self.standards = self.ref.load_size_standards()  # type: ignore[attr-defined]

    def task(self, row: ReadingRow, task_type: str, opening: str, suffix: str = "", lob: str | None = None) -> Task:
        app = row.applicant.model_dump() | ({"lob": lob} if lob else {})
        draft = {"task_type": task_type, "applicant": app, "expected": None}
        if task_type == "classification":
            draft["expected"] = {"naics": app["naics"]}
            app = {**app, "naics": None}  # the underwriter does not know the code they ask for
        expected = self.ref.expected_for(draft, self.standards)  # type: ignore[attr-defined]
        return Task(
            id=row.id + suffix,
            task_type=task_type,  # type: ignore[arg-type]
            applicant=Applicant(**app),
            opening=opening[:4000],
            expected=Expected(**expected),
        )


@dataclass
class RowUnderwriter:
    """Answers the copilot's questions with the row's own replies; a code among listed candidates when the row's
    code is listed, else the row's words for the business. Never invents: a fact with no reply is not known."""

    row: ReadingRow
    revealed: list[str] = field(default_factory=list)
    first: str | None = None

    def opening(self) -> str:
        return self.first or self.row.opening

    def reply(self, copilot_text: str) -> str:
        truth = self.row.applicant.model_dump()
        listed = _CODE.findall(questions_in(copilot_text))
        if len(listed) > 1:
            code = truth.get("naics")
            if code in listed:
                return f"{code}"
            return self.row.replies.get("description") or NO_REPLY
        asked = facts_asked(copilot_text)[:2]
        if not asked:
            return NO_REPLY
        self.revealed += [f for f in asked if f in self.row.replies]  # answered, even if only "no idea"
        return ", ".join(self.row.replies.get(f) or NO_REPLY for f in asked)

    @property
    def usage(self) -> dict:
        return {"tokens": 0, "cost_usd": 0.0}


# US states and DC by name, written out here (not the product's table) so the grader stays independent: a row may
# give its truth as "Rhode Island" and a tool call "RI"; both are the same fact.
_STATE_NAMES = dict(
    pair.split(" ", 1)[::-1]
    for pair in (
        "AL Alabama|AK Alaska|AZ Arizona|AR Arkansas|CA California|CO Colorado|CT Connecticut|DE Delaware|"
        "DC District of Columbia|FL Florida|GA Georgia|HI Hawaii|ID Idaho|IL Illinois|IN Indiana|IA Iowa|KS Kansas|"
        "KY Kentucky|LA Louisiana|ME Maine|MD Maryland|MA Massachusetts|MI Michigan|MN Minnesota|MS Mississippi|"
        "MO Missouri|MT Montana|NE Nebraska|NV Nevada|NH New Hampshire|NJ New Jersey|NM New Mexico|NY New York|"
        "NC North Carolina|ND North Dakota|OH Ohio|OK Oklahoma|OR Oregon|PA Pennsylvania|RI Rhode Island|"
        "SC South Carolina|SD South Dakota|TN Tennessee|TX Texas|UT Utah|VT Vermont|VA Virginia|WA Washington|"
        "WV West Virginia|WI Wisconsin|WY Wyoming|PR Puerto Rico"
    )
    .upper()
    .split("|")
)


def _state(value) -> str:
    text = " ".join(str(value).split()).upper()
    return _STATE_NAMES.get(text, text)


def false_facts(row: ReadingRow, transcript: list[dict]) -> list[str]:
    """Facts a tool was called with that the underwriter never gave or gave otherwise, as "fact=value"."""
    truth = row.applicant.model_dump()
    out: list[str] = []
    for turn in transcript:
        for call in turn.get("tools") or []:
            args = call.get("arguments") or {}
            for fact in CHECKED:
                if fact not in args or args[fact] is None:
                    continue
                value, want = args[fact], truth.get(fact)
                if fact == "state":
                    wrong = want is None or _state(value) != _state(want)
                else:
                    wrong = want is None or not _close(value, want)
                if wrong and f"{fact}={value}" not in out:
                    out.append(f"{fact}={value}")
    return out


def _close(value, want) -> bool:
    try:
        v, w = float(value), float(want)
    except (TypeError, ValueError):
        return False
    return abs(v - w) <= max(0.01 * abs(w), 0.5)


def run_row(copilot, row: ReadingRow, expectations: Expectations) -> dict:
    """One row: the opening's question, then each follow-up on the same thread; every question graded. Every
    question's expected answer is computed before the conversation starts (a row the reference cannot grade raises
    before anything runs)."""
    from evals.runner import run_conversation

    tasks = [expectations.task(row, row.task_type, row.opening)] + [
        expectations.task(row, f.task_type, f.user, suffix=f"#then{i}", lob=f.lob) for i, f in enumerate(row.then, 1)
    ]
    user = RowUnderwriter(row)
    first = run_conversation(copilot, tasks[0], user, given=set(row.said))
    parts = [first]
    for follow, task in zip(row.then, tasks[1:], strict=True):
        user.first = follow.user
        given = set(row.said) | set(user.revealed)
        parts.append(run_conversation(copilot, task, user, given=given, thread_id=first.row["thread_id"]))
    transcript = [t for p in parts for t in p.transcript]
    return {
        "id": row.id,
        "kind": row.kind,
        "task_type": row.task_type,
        "correct": all(p.row["correct"] for p in parts),
        "questions": len(parts),
        "questions_correct": sum(p.row["correct"] for p in parts),
        "reasked": sorted({f for p in parts for f in p.row["reasked"]}),
        "false_facts": false_facts(row, transcript),
        "help_text": any(p.row["help_text"] for p in parts),
        "ended": [p.row["ended"] for p in parts],
        "error": next((p.row["error"] for p in parts if p.row["error"]), None),
    }


def summarize(results: list[dict], unreadable: list[str]) -> dict:
    n = len(results) or 1
    return {
        "conversations": len(results),
        "correct": round(sum(r["correct"] for r in results) / n, 3),
        "questions_correct": f"{sum(r['questions_correct'] for r in results)}/{sum(r['questions'] for r in results)}",
        "reask_rate": round(sum(bool(r["reasked"]) for r in results) / n, 3),
        "false_fact_rate": round(sum(bool(r["false_facts"]) for r in results) / n, 3),
        "help_text_rate": round(sum(r["help_text"] for r in results) / n, 3),
        "errors": sum(bool(r["error"]) for r in results),
        "rows_not_read": len(unreadable),
    }


def run_set(copilot, path: Path) -> tuple[dict, list[dict]]:
    rows, unreadable = load_rows(path)
    expectations = Expectations()
    results = []
    for row in rows:
        try:
            results.append(run_row(copilot, row, expectations))
        # the reference cannot grade it (a line it does not know, a product we do not write): reported apart
        except (ValueError, KeyError, AssertionError, AttributeError, TypeError, ValidationError) as exc:
            unreadable.append(f"{row.id}: not gradable ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})")
    return summarize(results, unreadable), results
