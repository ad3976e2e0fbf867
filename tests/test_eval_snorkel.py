"""The SnorkelUnderwrite importer on hand-made rows in the dataset's two column shapes (tests/data/snorkel_rows.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from evals.snorkel import SnorkelImportError, import_file, norm_column, task_type_of
from evals.tasks import load_tasks

FIXTURE = Path(__file__).parent / "data" / "snorkel_rows.jsonl"


@pytest.fixture(scope="module")
def report(catalog):
    return import_file(FIXTURE, catalog)


def by_id(report):
    return {t.id: t for t in report.tasks}


def test_reference_answers_become_expected_fields(report):
    tasks = by_id(report)
    assert tasks["snorkel-101"].task_type == "policy_limits"
    assert tasks["snorkel-101"].expected.verdict() == {"per_occurrence": 3_000_000, "aggregate": 5_000_000}
    assert tasks["snorkel-102"].expected.verdict() == {"deductible": 5000}
    assert [tasks[f"snorkel-{i}"].expected.appetite for i in (103, 104, 105)] == ["yes", "no", "qualified"]
    assert tasks["snorkel-106"].expected.verdict() == {"lobs": []}
    assert sorted(tasks["snorkel-107"].expected.lobs) == ["general_liability", "property", "workers_compensation"]
    assert (
        tasks["snorkel-108"].expected.small_business is False and tasks["snorkel-109"].expected.small_business is True
    )
    assert tasks["snorkel-110"].expected.verdict() == {"naics": "484230"}


def test_applicant_facts_and_opening_come_from_the_row(report):
    t = by_id(report)["snorkel-102"]
    a = t.applicant
    assert (a.company_name, a.state, a.lob, a.annual_revenue, a.employees, a.annual_payroll, a.vehicles) == (
        "Lone Star Freight Lines",
        "Texas",
        "auto",
        4500000,
        32,
        1720000,
        18,
    )
    assert a.construction.startswith("Non-combustible") and a.naics is None
    assert t.opening == "What policy deductible should I offer this company for this LOB?"  # the first underwriter turn


def test_the_older_snake_case_shape_and_json_text_traces(report):
    t = by_id(report)["snorkel-346"]
    assert t.task_type == "deductible" and t.expected.deductible == 500
    assert (
        t.applicant.company_name == "Copper Kettle Bakery" and t.applicant.annual_payroll is None
    )  # column absent: unknown
    assert t.opening == "What deductible should we quote for this LOB?"


def test_duplicates_and_unconvertible_rows_are_reported_not_dropped_silently(report):
    assert report.duplicates == 1  # the same company task answered by another model
    assert len(report.tasks) == 11
    assert any("row 12" in s and "reference" in s for s in report.skipped)
    assert any("row 13" in s and "Premium" in s for s in report.skipped)


def test_parquet_reads_the_same(catalog, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [json.loads(line) for line in FIXTURE.read_text().splitlines()][:11]  # one column shape in a table
    for r in rows:
        r["trace"] = json.dumps(r["trace"]) if not isinstance(r["trace"], str) else r["trace"]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "rows.parquet")
    report = import_file(tmp_path / "rows.parquet", catalog)
    assert len(report.tasks) == 10 and report.duplicates == 1


def test_tolerant_names():
    assert norm_column("Company Name") == norm_column("company_name") == norm_column(" COMPANY-NAME ") == "company_name"
    assert task_type_of("Appetite Check") == task_type_of("appetite_determination") == "appetite"
    assert task_type_of("lob_recommendation") == task_type_of("Product Recommendations") == "product_recommendation"
    assert task_type_of("Business Classification") == task_type_of("naics_classification") == "classification"
    assert (
        task_type_of("limits_recommendation") == "policy_limits"
        and task_type_of("small_business_eligibility") == "small_business"
    )


def test_cli_import_writes_a_task_file_the_loader_accepts(seeded_db, tmp_path, capsys):
    out = tmp_path / "snorkel.jsonl"
    code = main(["eval", "--import-snorkel", str(FIXTURE), "--out", str(out), "--data-dir", str(seeded_db["dir"])])
    captured = capsys.readouterr()
    assert code == 0 and "11 task(s)" in captured.out and "row 12" in captured.err
    assert len(load_tasks(out)) == 11
    no_out = ["eval", "--import-snorkel", str(FIXTURE), "--data-dir", str(seeded_db["dir"])]
    assert main(no_out) == 2  # --out is required
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"task": "Premium", "reference answer": "x"}\n')
    with pytest.raises(SnorkelImportError):
        import_file(empty, None)
