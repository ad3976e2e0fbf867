"""Import rows of the public SnorkelUnderwrite dataset (snorkelai/Multi-Turn-Insurance-Underwriting) as tasks.

Reads Parquet or JSON lines. Column names are matched loosely (case, spaces, underscores): "company name",
"Company_Name" and "company_name" are one column. Each row's first underwriter turn of the trace becomes
the opening; the reference answer is read by the same text parser that grades answers. Rows are keyed by
the dataset's task id when it has one, so the same task answered by several models is imported once.
Rows that cannot be converted are reported one by one, never dropped silently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from evals.grading import parse_answer
from evals.tasks import Task, TaskFileError

# Our field -> the dataset's column names (normalised: lower case, one underscore between words).
COLUMNS = {
    "task": ("task", "task_type"),
    "company_name": ("company_name",),
    "description": ("company_description", "description"),
    "annual_revenue": ("annual_revenue", "revenue"),
    "employees": ("number_of_employees", "employees", "num_employees"),
    "annual_payroll": ("total_payroll", "annual_payroll", "payroll"),
    "vehicles": ("number_of_vehicles", "vehicles", "num_vehicles"),
    "construction": ("building_construction", "construction"),
    "state": ("state",),
    "lob": ("lob", "line_of_business"),
    "reference": ("reference_answer", "reference", "answer"),
    "trace": ("trace", "conversation", "messages"),
    "task_id": ("company_task_id", "task_id"),
    "row_id": ("primary_id", "id"),
}
TASK_NAMES = [  # (pattern on the normalised task name, our task type), first match wins
    (r"appetite", "appetite"),
    (r"product|lob_rec|recommendation_of_lob|other_lob", "product_recommendation"),
    (r"small|eligib|size", "small_business"),
    (r"limit", "policy_limits"),
    (r"deductible", "deductible"),
    (r"naics|classif", "classification"),
]


class SnorkelImportError(ValueError):
    pass


@dataclass
class ImportReport:
    tasks: list[Task] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "row N: reason"
    duplicates: int = 0


def norm_column(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def read_rows(path: Path | str) -> list[dict]:
    """Rows of a Parquet file or a JSON-lines file, with normalised column names."""
    path = Path(path)
    if not path.is_file():
        raise SnorkelImportError(f"{path}: no such file")
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            import pyarrow.parquet as pq

            rows = pq.read_table(path).to_pylist()
        except Exception as exc:
            raise SnorkelImportError(f"{path}: cannot read Parquet ({type(exc).__name__}: {exc})") from None
    else:
        rows = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SnorkelImportError(
                    f"{path}, line {n}: not valid JSON ({exc.msg}); expected JSON lines or a .parquet file"
                ) from None
            if not isinstance(obj, dict):
                raise SnorkelImportError(f"{path}, line {n}: expected a JSON object per line")
            rows.append(obj)
    return [{norm_column(k): v for k, v in r.items()} for r in rows]


def _get(row: dict, name: str):
    for col in COLUMNS[name]:
        if col in row and row[col] is not None and not (isinstance(row[col], float) and row[col] != row[col]):
            return row[col]
    return None


def task_type_of(name: str) -> str | None:
    key = norm_column(name or "")
    return next((t for pattern, t in TASK_NAMES if re.search(pattern, key)), None)


def opening_of(trace) -> str | None:
    """The first underwriter turn of a trace (a list of messages, or that list as JSON text)."""
    if isinstance(trace, str):
        try:
            trace = json.loads(trace)
        except json.JSONDecodeError:
            return None
    if not isinstance(trace, (list, tuple)):
        return None
    for m in trace:
        if not isinstance(m, dict):
            continue
        who = f"{m.get('role', '')} {m.get('type', '')}".lower()
        if re.search(r"\b(user|human|underwriter)\b", who):
            text = m.get("content")
            if isinstance(text, list):  # content blocks
                text = " ".join(b.get("text", "") for b in text if isinstance(b, dict))
            if isinstance(text, str) and text.strip():
                return text.strip()
    return None


def _int(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(round(float(str(value).replace(",", "").replace("$", ""))))
    except ValueError:
        return None


def expected_of(task_type: str, reference: str, catalog) -> dict | None:
    """The expected verdict a reference answer states, in our task format."""
    if task_type == "appetite":
        low = reference.lower()
        if re.search(r"\bqualified\b", low) and not re.search(r"\bnot qualified\b", low):
            return {"appetite": "qualified"}
    if task_type == "small_business":
        low = reference.lower()
        if re.search(r"\b(?:not|isn't|is not|does not|doesn't)\b[^.]*\bsmall\b|\bnot a small\b|\bexceeds\b", low):
            return {"small_business": False}
    return parse_answer(task_type, reference, catalog)


def import_rows(rows: list[dict], catalog, id_prefix: str = "snorkel") -> ImportReport:
    from evals.tasks import parse_task

    report = ImportReport()
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        where = f"row {n}"
        task_type = task_type_of(_get(row, "task") or "")
        if task_type is None:
            report.skipped.append(f"{where}: unknown task {_get(row, 'task')!r}")
            continue
        reference = _get(row, "reference")
        if not isinstance(reference, str) or not reference.strip():
            report.skipped.append(f"{where}: no reference answer")
            continue
        expected = expected_of(task_type, reference, catalog)
        if expected is None:
            report.skipped.append(f"{where}: cannot read the {task_type} reference answer {reference[:120]!r}")
            continue
        opening = opening_of(_get(row, "trace"))
        if opening is None:
            report.skipped.append(f"{where}: the trace has no underwriter turn to open with")
            continue
        key = _get(row, "task_id")
        key = str(key) if key is not None else str(_get(row, "row_id") if _get(row, "row_id") is not None else n)
        task_id = f"{id_prefix}-{key}"
        if task_id in seen:
            report.duplicates += 1
            continue
        seen.add(task_id)
        applicant = {
            "company_name": _get(row, "company_name"),
            "description": _get(row, "description"),
            "state": _get(row, "state"),
            "lob": _get(row, "lob"),
            "annual_revenue": _int(_get(row, "annual_revenue")),
            "employees": _int(_get(row, "employees")),
            "annual_payroll": _int(_get(row, "annual_payroll")),
            "vehicles": _int(_get(row, "vehicles")),
            "construction": _get(row, "construction"),
            "naics": None,
        }
        applicant = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in applicant.items()}
        try:
            task = parse_task(
                {
                    "id": task_id,
                    "task_type": task_type,
                    "applicant": applicant,
                    "opening": opening,
                    "expected": expected,
                },
                where,
            )
        except TaskFileError as exc:
            report.skipped.append(str(exc))
            continue
        report.tasks.append(task)
    return report


def import_file(path: Path | str, catalog) -> ImportReport:
    report = import_rows(read_rows(path), catalog)
    if not report.tasks:
        detail = "; ".join(report.skipped[:3]) or "the file has no rows"
        raise SnorkelImportError(f"{path}: no row could be converted ({detail})")
    return report
