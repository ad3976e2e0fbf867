"""The product's vocabulary, defined once: task types, fact keys, their labels and questions, money formatting.

The tools, the offline model, the UI and the evaluation harness import these names; adding a fact or a task type
touches this module and the code that uses it, nothing else. (Deliberate exception: the evaluation's independent
reference, ``evals/suite/reference.py``, keeps its own copy so the product is never graded against itself.)
"""

from __future__ import annotations

from typing import Literal

# --- task types: the six questions a junior underwriter asks ---------------------------------------------------
TaskType = Literal[
    "appetite", "product_recommendation", "small_business", "policy_limits", "deductible", "classification"
]
TASK_TYPES: tuple[str, ...] = (
    "appetite",
    "product_recommendation",
    "small_business",
    "policy_limits",
    "deductible",
    "classification",
)
TASK_LABELS = {
    "appetite": "Appetite check",
    "product_recommendation": "Other lines to offer",
    "small_business": "Small-business test",
    "policy_limits": "Policy limits",
    "deductible": "Deductible",
    "classification": "Business classification",
}

# --- facts about an applicant -------------------------------------------------------------------------------
# Ordered as the copilot would ask them.
FACT_KEYS: tuple[str, ...] = (
    "naics",
    "description",
    "state",
    "lob",
    "annual_revenue",
    "employees",
    "annual_payroll",
    "vehicles",
    "construction",
    "total_assets",
)
# Short labels for tables, cards and the facts panel.
FACT_LABELS = {
    "naics": "NAICS",
    "description": "Business",
    "state": "State",
    "lob": "Line",
    "annual_revenue": "Revenue",
    "employees": "Employees",
    "annual_payroll": "Payroll",
    "vehicles": "Vehicles",
    "construction": "Construction",
    "total_assets": "Total assets",
    "company": "Company",
    "applicant_id": "Applicant",
}
# The same facts inside a sentence ("it depends on annual payroll").
FACT_WORDS = {
    "naics": "the NAICS code",
    "description": "what the business does",
    "state": "the state",
    "lob": "the line of business",
    "annual_revenue": "annual revenue",
    "employees": "the number of employees",
    "annual_payroll": "annual payroll",
    "vehicles": "the number of vehicles",
    "construction": "the building's construction",
    "total_assets": "total assets",
}
# One question per fact, in plain words (the copilot asks them one at a time).
FACT_QUESTIONS = {
    "naics": "Do you know the business's NAICS code?",
    "description": "What does the business do? (A NAICS code works too, if the application has one.)",
    "state": "Which state is the business in?",
    "lob": "Which line of business are they asking about?",
    "annual_revenue": "What is the applicant's annual revenue?",
    "employees": "How many employees do they have?",
    "annual_payroll": "What is their total annual payroll?",
    "vehicles": "How many vehicles does the business have?",
    "construction": "What is the building's construction (e.g. wood frame, masonry, steel, concrete)?",
    "total_assets": "What are the applicant's total assets?",
}
# Shorthand underwriters type for a line, beyond the catalog's synonyms (mapped to catalog codes).
LOB_SHORTHAND = {
    "prop": "property",
    "comm auto": "auto",
    "comm. auto": "auto",
    "commercial vehicles": "auto",
    "general liab": "general_liability",
    "gen liab": "general_liability",
    "gen liability": "general_liability",
    "workers' comp": "workers_compensation",
    "work comp": "workers_compensation",
    "work comp.": "workers_compensation",
    "cyber cover": "cyber",
    "businessowners": "bop",
}
# Fact words, to tell which fact an "I don't know" is about ("no idea on payroll", "headcount unknown").
FACT_NOUNS = {
    "annual_revenue": r"revenue|rev|sales|receipts|top line",
    "employees": r"employees|emps|headcount|staff|ftes?|employee count",
    "annual_payroll": r"payroll|wages",
    "vehicles": r"vehicles?|vehicle count|fleet|trucks|vans|cars|units",
    "construction": r"construction|building|bldg|walls|roof",
    "state": r"state|location",
    "naics": r"naics|code",
}
MONEY_FACTS: tuple[str, ...] = ("annual_revenue", "annual_payroll", "total_assets")
COUNT_FACTS: tuple[str, ...] = ("employees", "vehicles")
NUMERIC_FACTS: tuple[str, ...] = ("annual_revenue", "annual_payroll", "employees", "vehicles")


# --- money -----------------------------------------------------------------------------------------------------
def usd(value: object, missing: str = "—") -> str:
    """Whole dollars with separators ("$4,500,000"); text other than a number is returned as it is."""
    if value is None:
        return missing
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"${value:,.0f}"
    return str(value)


def usd_short(value: float) -> str:
    """Millions with one decimal above $1M ("$4.5M"), whole dollars below."""
    return f"${value / 1e6:,.1f}M" if value >= 1e6 else f"${value:,.0f}"


def count(value: object, missing: str = "—") -> str:
    """A count with separators ("1,250"), or ``missing``."""
    if value is None:
        return missing
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
