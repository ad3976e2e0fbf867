"""Human labels for what the pages show: tools, arguments, lines of business, fact values.

Fact labels, task labels and money come from ``core/vocabulary.py``; line-of-business names from the catalog in
the database (``resources.lob_names``), so no code such as ``workers_compensation`` reaches the screen.
"""

from __future__ import annotations

from app import resources
from core.vocabulary import COUNT_FACTS, FACT_LABELS, LINE_FIELDS, MONEY_FACTS, MONEY_VERDICTS, TASK_LABELS, count, usd

TOOL_LABELS = {
    "find_applicant": "Applicant lookup",
    "check_appetite": "Appetite check",
    "check_small_business": "Small-business test",
    "recommend_lobs": "Other lines",
    "get_limits": "Limits",
    "get_deductible": "Deductible",
    "classify_business": "NAICS classification",
    "get_naics": "NAICS lookup",
    "search_guidelines": "Guideline search",
    "get_guideline_section": "Guideline section",
    "record_finding": "Finding recorded",
    "run_sql": "Database query",
    "list_tables": "Database tables",
    "describe_table": "Table columns",
    "calculate": "Calculation",
}
# Argument and result fields beyond the applicant facts of the vocabulary.
FIELD_LABELS = {
    **FACT_LABELS,
    "exclude_lob": "Except",
    "requested_lob": "Requested line",
    "lobs": "Lines",
    "name_or_id": "Applicant",
    "query": "Query",
    "section_id": "Section",
    "code": "Code",
    "expression": "Expression",
    "task_type": "Question",
    "summary": "Summary",
    "citations": "Cited",
    "k": "Results",
    "table": "Table",
    "unknown": "Not known",
    "per_occurrence": "Per occurrence",
    "aggregate": "Aggregate",
    "deductible": "Deductible",
    "small_business": "Small business",
    "appetite": "Appetite",
    "company_name": "Company",
    "naics_code": "NAICS",
}
LOB_FIELDS = (*LINE_FIELDS, "requested_lob", "excluded")  # and an applicant's line, recommend_lobs' left-out one
DOLLAR_FIELDS = (*MONEY_FACTS, *MONEY_VERDICTS)


def tool_label(name: object) -> str:
    name = str(name or "tool")
    return TOOL_LABELS.get(name) or name.replace("_", " ").capitalize()


def field_label(key: object) -> str:
    key = str(key)
    return FIELD_LABELS.get(key) or key.replace("_", " ").capitalize()


def lob_name(code: object) -> str:
    """The catalog's name for a line code ("workers_compensation" -> "Workers Compensation")."""
    if code is None or code == "":
        return "—"
    try:
        names = resources.lob_names()
    except Exception:  # no database: still never show a bare code
        names = {}
    return names.get(str(code)) or str(code).replace("_", " ").title()


def value_text(key: object, value: object) -> str:
    """A field's value as a person reads it: dollars, counts, line and task names, yes/no, lists."""
    key = str(key)
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(key, v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{field_label(k)} {value_text(k, v)}" for k, v in value.items())
    if key in LOB_FIELDS:
        return lob_name(value)
    if key == "task_type":
        return TASK_LABELS.get(str(value), str(value).replace("_", " "))
    if key == "unknown":
        return field_label(value)
    if key in DOLLAR_FIELDS:
        return usd(value)
    if key in COUNT_FACTS:
        return count(value)
    return str(value)


def fields_text(values: dict | None, skip: tuple[str, ...] = ()) -> str:
    """``{"lob": "auto", "annual_revenue": 2000000}`` -> "Line Commercial Auto · Revenue $2,000,000"."""
    if not isinstance(values, dict):
        return ""
    return " · ".join(
        f"{field_label(k)} {value_text(k, v)}" for k, v in values.items() if k not in skip and v not in (None, "", [])
    )
