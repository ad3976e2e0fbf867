"""Evaluation tasks: one JSON object per line, validated strictly before anything runs.

A task is a conversation to hold with the copilot: the simulated underwriter opens with ``opening``, knows the
``applicant`` facts (``null`` = does not know) and the grader compares the copilot's determination with
``expected``. Unknown or missing fields, a verdict that does not fit the task type, a duplicate id or a bad
line refuse the whole file with ``TaskFileError`` naming the line and the field: never a partial score.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.vocabulary import TASKS, TaskType


def _six_digits(v: str | None) -> str | None:
    if v is not None and not re.fullmatch(r"\d{6}", v):
        raise ValueError('must be a six-digit 2022 NAICS code as text, e.g. "492210"')
    return v


NaicsCode = Annotated[str | None, AfterValidator(_six_digits)]


class TaskFileError(ValueError):
    """A task file that cannot be used; the message names the file, the line and the field."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class Applicant(Strict):
    """What the underwriter knows. Every fact may be null (= "I don't know"); omitted facts count as null."""

    company_name: str | None = None
    description: str | None = None
    state: str | None = None
    lob: str | None = None
    annual_revenue: int | None = Field(None, ge=0)
    employees: int | None = Field(None, ge=0)
    annual_payroll: int | None = Field(None, ge=0)
    vehicles: int | None = Field(None, ge=0)
    construction: str | None = None
    naics: NaicsCode = None

    @field_validator("company_name", "description", "state", "lob", "construction")
    @classmethod
    def _not_blank(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("is blank: use null when the underwriter does not know it")
        return v


APPLICANT_FACTS = tuple(Applicant.model_fields)  # the facts a task may give, as the task file names them


class Expected(Strict):
    appetite: Literal["yes", "no", "qualified"] | None = None
    lobs: list[str] | None = None
    small_business: bool | None = None
    per_occurrence: int | None = Field(None, gt=0)
    aggregate: int | None = Field(None, gt=0)
    deductible: int | None = Field(None, ge=0)
    naics: NaicsCode = None

    @field_validator("small_business", mode="before")
    @classmethod
    def _real_bool(cls, v):
        if v is not None and not isinstance(v, bool):
            raise ValueError("must be true or false")
        return v

    def verdict(self) -> dict:
        return self.model_dump(exclude_none=True)


class Task(Strict):
    id: str = Field(min_length=1, max_length=200)
    task_type: TaskType
    applicant: Applicant
    opening: str = Field(min_length=1, max_length=4000)
    expected: Expected

    @model_validator(mode="after")
    def _expected_fits_task_type(self) -> Task:
        need = TASKS[self.task_type].verdict
        given = set(self.expected.verdict())
        missing = [f for f in need if f not in given]
        if missing:
            raise ValueError(
                f"expected: a {self.task_type} task needs {', '.join(need)} (missing {', '.join(missing)})"
            )
        extra = sorted(given - set(need))
        if extra:
            raise ValueError(
                f"expected: {', '.join(extra)} does not belong to a {self.task_type} task (it takes {', '.join(need)})"
            )
        return self


def _describe(err) -> str:  # a pydantic ErrorDetails
    loc = ".".join(str(p) for p in err["loc"] if p != "__root__") or "task"
    if err["type"] == "missing":
        return f"missing field {loc!r}"
    if err["type"] == "extra_forbidden":
        return f"unknown field {loc!r}"
    if err["type"] == "value_error":
        return f"{loc + ': ' if loc != 'task' else ''}{err['msg'].removeprefix('Value error, ')}"
    return f"field {loc!r}: {err['msg']} (got {err.get('input')!r})"


def parse_task(obj: object, where: str = "task") -> Task:
    """One task from a decoded JSON value; raises ``TaskFileError`` with ``where`` and the field."""
    if not isinstance(obj, dict):
        raise TaskFileError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    try:
        return Task.model_validate(obj)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors()[:5])
        raise TaskFileError(f"{where}: {problems}") from None


def load_tasks(path: Path | str) -> list[Task]:
    """Every task of a JSONL file, or ``TaskFileError`` for the first bad line (blank lines are skipped)."""
    path = Path(path)
    if not path.is_file():
        raise TaskFileError(f"{path}: no such file")
    tasks: list[Task] = []
    seen: dict[str, int] = {}
    with path.open("rb") as fh:  # bytes: a binary file (a database in the data folder) is one line of refusal
        for n, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise TaskFileError(
                    f"{path}, line {n}: not UTF-8 text (byte {exc.start}); a task file is JSONL"
                ) from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TaskFileError(f"{path}, line {n}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            task = parse_task(obj, f"{path}, line {n}")
            if task.id in seen:
                raise TaskFileError(f"{path}, line {n}: field 'id': {task.id!r} repeats the id of line {seen[task.id]}")
            seen[task.id] = n
            tasks.append(task)
    if not tasks:
        raise TaskFileError(f"{path}: no tasks (the file is empty)")
    return tasks


def check_against_catalog(tasks: list[Task], catalog, source: str = "tasks") -> None:
    """Refuse expected line-of-business names the catalog does not know (they could never be graded right)."""
    for task in tasks:
        for lob in task.expected.lobs or []:
            if catalog.find_lob(lob) is None:
                raise TaskFileError(
                    f"{source}, task {task.id!r}: field 'expected.lobs': {lob!r} is not a line we write "
                    f"({', '.join(catalog.lobs)})"
                )


def dump_tasks(tasks: list[Task], path: Path | str) -> None:
    """Write tasks as JSONL (every field, nulls included, so the file documents what is unknown)."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for t in tasks:
            obj = t.model_dump()
            obj["expected"] = t.expected.verdict()
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
