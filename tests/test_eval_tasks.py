"""Task files: a valid file loads; every kind of bad line is refused with its line number and field."""

from __future__ import annotations

import json

import pytest

from evals.tasks import TaskFileError, check_against_catalog, dump_tasks, load_tasks

GOOD = {
    "id": "t1",
    "task_type": "appetite",
    "applicant": {
        "company_name": "Acme",
        "description": "Makes widgets.",
        "state": "TX",
        "lob": "auto",
        "annual_revenue": 4500000,
        "employees": 32,
        "annual_payroll": None,
        "vehicles": 3,
        "construction": "wood frame",
        "naics": "332510",
    },
    "opening": "Can we write auto for Acme?",
    "expected": {"appetite": "yes"},
}


def write(tmp_path, *objs, raw: list[str] | None = None):
    path = tmp_path / "tasks.jsonl"
    lines = [json.dumps(o) for o in objs] + (raw or [])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def with_(**changes):
    task = json.loads(json.dumps(GOOD))
    for dotted, value in changes.items():
        target = task
        *parents, last = dotted.split("__")
        for p in parents:
            target = target[p]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value
    return task


def test_a_valid_file_loads_with_nulls_and_every_task_type(tmp_path):
    others = [
        {
            **GOOD,
            "id": "t2",
            "task_type": "product_recommendation",
            "expected": {"lobs": ["property", "general liability"]},
        },
        {**GOOD, "id": "t3", "task_type": "small_business", "expected": {"small_business": False}},
        {
            **GOOD,
            "id": "t4",
            "task_type": "policy_limits",
            "expected": {"per_occurrence": 3000000, "aggregate": 5000000},
        },
        {**GOOD, "id": "t5", "task_type": "deductible", "expected": {"deductible": 5000}},
        {
            **GOOD,
            "id": "t6",
            "task_type": "classification",
            "applicant": {"description": "Makes widgets.", "state": "Texas"},
            "expected": {"naics": "492210"},
        },
    ]
    tasks = load_tasks(write(tmp_path, GOOD, *others))
    assert [t.task_type for t in tasks] == [
        "appetite",
        "product_recommendation",
        "small_business",
        "policy_limits",
        "deductible",
        "classification",
    ]
    assert (
        tasks[0].applicant.annual_payroll is None and tasks[5].applicant.employees is None
    )  # null and omitted = unknown
    assert tasks[3].expected.verdict() == {"per_occurrence": 3000000, "aggregate": 5000000}
    out = tmp_path / "again.jsonl"
    dump_tasks(tasks, out)
    assert [t.model_dump() for t in load_tasks(out)] == [t.model_dump() for t in tasks]


@pytest.mark.parametrize(
    "task, field",
    [
        (with_(colour="red"), "colour"),
        (with_(applicant__vat_number="123"), "applicant.vat_number"),
        (with_(expected__appetite="maybe"), "expected.appetite"),
        (with_(opening=KeyError), "opening"),
        (with_(id=KeyError), "id"),
        (with_(task_type="premium"), "task_type"),
        (with_(expected={"deductible": 500}), "expected"),
        (with_(expected={"appetite": "yes", "deductible": 500}), "deductible"),
        (with_(applicant__employees="many"), "applicant.employees"),
        (with_(applicant__naics="4841"), "applicant.naics"),
        (with_(task_type="small_business", expected={"small_business": "yes"}), "expected.small_business"),
    ],
)
def test_bad_task_is_refused_with_line_and_field(tmp_path, task, field):
    path = write(tmp_path, {**GOOD, "id": "ok"}, task)
    with pytest.raises(TaskFileError) as err:
        load_tasks(path)
    message = str(err.value)
    assert "line 2" in message and field in message


def test_malformed_json_duplicate_ids_and_empty_files_are_refused(tmp_path):
    with pytest.raises(TaskFileError, match="line 2"):
        load_tasks(write(tmp_path, GOOD, raw=['{"id": "t2", ']))
    with pytest.raises(TaskFileError, match=r"line 2.*'id'.*line 1"):
        load_tasks(write(tmp_path, GOOD, GOOD))
    with pytest.raises(TaskFileError, match="line 1"):
        load_tasks(write(tmp_path, raw=['["not", "an", "object"]']))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(TaskFileError, match="no tasks"):
        load_tasks(empty)
    with pytest.raises(TaskFileError, match="no such file"):
        load_tasks(tmp_path / "missing.jsonl")


def test_expected_lines_must_be_lines_we_write(tmp_path, catalog):
    tasks = load_tasks(
        write(tmp_path, {**GOOD, "task_type": "product_recommendation", "expected": {"lobs": ["property", "umbrella"]}})
    )
    with pytest.raises(TaskFileError, match="umbrella"):
        check_against_catalog(tasks, catalog)


def test_a_binary_file_is_refused_in_one_line(tmp_path):
    """A database in the data folder named as a task file (run_eval_tasks over MCP reads files there)."""
    path = tmp_path / "checkpoints.db"
    path.write_bytes(b"SQLite format 3\x00\xb2\xff\n" + bytes(range(256)))
    with pytest.raises(TaskFileError, match=r"line 1: not UTF-8 text \(byte 16\)"):
        load_tasks(path)
