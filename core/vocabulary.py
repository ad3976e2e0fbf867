"""The product's vocabulary, defined once: one record per task type and per fact, and money formatting.

The tools, the offline model, the online checks, the UI and the evaluation harness read these tables; adding a
fact or a task type touches this module and the code that uses it, nothing else. (Deliberate exception: the
evaluation's independent reference, ``evals/suite/reference.py``, keeps its own copy so the product is never
graded against itself.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# --- facts about an applicant -------------------------------------------------------------------------------
FactKind = Literal["code", "text", "place", "line", "choice", "money", "count"]


@dataclass(frozen=True)
class Fact:
    label: str  # short: tables, cards, the facts panel
    words: str  # inside a sentence ("it depends on annual payroll")
    question: str  # asked of the underwriter, one at a time
    kind: FactKind
    unit: str = ""  # "USD" for money; what a count counts
    nouns: str = ""  # the words an underwriter uses for it, to tell which fact an "I don't know" is about


# Ordered as the copilot would ask them.
FACTS: dict[str, Fact] = {
    "naics": Fact("NAICS", "the NAICS code", "Do you know the business's NAICS code?", "code", nouns=r"naics|code"),
    "description": Fact(
        "Business",
        "what the business does",
        "What does the business do? (A NAICS code works too, if the application has one.)",
        "text",
    ),
    "state": Fact("State", "the state", "Which state is the business in?", "place", nouns=r"state|location"),
    "lob": Fact("Line", "the line of business", "Which line of business are they asking about?", "line"),
    "annual_revenue": Fact(
        "Revenue",
        "annual revenue",
        "What is the applicant's annual revenue?",
        "money",
        "USD",
        r"revenue|rev|sales|receipts|top line",
    ),
    "employees": Fact(
        "Employees",
        "the number of employees",
        "How many employees do they have?",
        "count",
        "employees",
        r"employees|emps|headcount|staff|ftes?|employee count",
    ),
    "annual_payroll": Fact(
        "Payroll", "annual payroll", "What is their total annual payroll?", "money", "USD", r"payroll|wages|pr"
    ),
    "vehicles": Fact(
        "Vehicles",
        "the number of vehicles",
        "How many vehicles does the business have?",
        "count",
        "vehicles",
        r"vehicles?|vehicle count|fleet|trucks|vans|cars|units",
    ),
    "construction": Fact(
        "Construction",
        "the building's construction",
        "What is the building's construction (e.g. wood frame, masonry, steel, concrete)?",
        "choice",
        nouns=r"construction|building|bldg|walls|roof",
    ),
    # No rule decides on it yet: the reader stores it, the facts panel shows it and a finding records it.
    "total_insured_value": Fact(
        "Total insured value",
        "the total insured value",
        "What is the total insured value of the property (buildings, contents and equipment)?",
        "money",
        "USD",
        r"total insured values?|insured values?|tiv",
    ),
    "total_assets": Fact("Total assets", "total assets", "What are the applicant's total assets?", "money", "USD"),
}
FACT_KEYS: tuple[str, ...] = tuple(FACTS)
# Labels of what a finding or the facts panel shows beyond the facts asked for.
FACT_LABELS = {k: f.label for k, f in FACTS.items()} | {"company": "Company", "applicant_id": "Applicant"}
MONEY_FACTS: tuple[str, ...] = tuple(k for k, f in FACTS.items() if f.kind == "money")
COUNT_FACTS: tuple[str, ...] = tuple(k for k, f in FACTS.items() if f.kind == "count")
# The figures an underwriter names in words (and the offline reader reads): money first, then counts.
NUMERIC_FACTS: tuple[str, ...] = tuple(k for k in (*MONEY_FACTS, *COUNT_FACTS) if FACTS[k].nouns)
FACT_WORDS = {k: f.words for k, f in FACTS.items()}
FACT_NOUNS = {k: f.nouns for k, f in FACTS.items() if f.nouns}


# --- task types: the six questions a junior underwriter asks ---------------------------------------------------
TaskType = Literal[
    "appetite", "product_recommendation", "small_business", "policy_limits", "deductible", "classification"
]
SIZE_FIGURES = ("annual_revenue", "employees")  # what the SBA size standards measure
RULE_FIGURES = (*SIZE_FIGURES, "annual_payroll", "vehicles", "construction")  # and the qualification rules


@dataclass(frozen=True)
class Task:
    label: str
    tool: str  # the tool whose result decides it
    needs: tuple[str, ...]  # facts that tool cannot run without, in the order they are asked
    figures: tuple[str, ...]  # facts it takes when known: a rule may turn on them
    verdict: tuple[str, ...]  # the finding's fields that carry the determination
    one_line: bool = False  # about one line of business: a finding names the line
    leaves_out_line: bool = False  # the line applied for is asked (not needed) and left out of the answer


TASKS: dict[str, Task] = {
    "appetite": Task(
        "Appetite check", "check_appetite", ("naics", "state", "lob"), RULE_FIGURES, ("appetite",), one_line=True
    ),
    "product_recommendation": Task(
        "Other lines to offer", "recommend_lobs", ("naics", "state"), RULE_FIGURES, ("lobs",), leaves_out_line=True
    ),
    "small_business": Task(
        "Small-business test", "check_small_business", ("naics",), SIZE_FIGURES, ("small_business",)
    ),
    "policy_limits": Task(
        "Policy limits", "get_limits", ("naics", "lob"), (), ("per_occurrence", "aggregate"), one_line=True
    ),
    "deductible": Task("Deductible", "get_deductible", ("naics", "lob"), (), ("deductible",), one_line=True),
    "classification": Task("Business classification", "classify_business", ("description",), (), ("naics",)),
}
TASK_TYPES: tuple[str, ...] = tuple(TASKS)
TASK_LABELS = {k: t.label for k, t in TASKS.items()}
VERDICT_FIELDS: tuple[str, ...] = tuple(f for t in TASKS.values() for f in t.verdict)
MONEY_VERDICTS = ("per_occurrence", "aggregate", "deductible")  # the verdict fields in whole dollars
LINE_TASKS: tuple[str, ...] = tuple(k for k, t in TASKS.items() if t.one_line)
# Facts some deciding tool takes, in the order of FACTS: the ones the copilot may ask for.
TOOL_FACTS: tuple[str, ...] = tuple(
    k for k in FACTS if any(k in t.needs + t.figures or (k == "lob" and t.leaves_out_line) for t in TASKS.values())
)
# Tool arguments and finding fields that name lines of business (checked by the product guard).
LINE_FIELDS = ("lob", "exclude_lob", "lobs")


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
    "comp": "workers_compensation",  # alone, underwriters mean workers comp (auto "comp" is a coverage, not a line)
    "cyber cover": "cyber",
    "businessowners": "bop",
}


# --- money -----------------------------------------------------------------------------------------------------
def usd(value: object, missing: str = "—") -> str:
    """Whole dollars with separators ("$4,500,000"); text other than a number is returned as it is."""
    if value is None:
        return missing
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"${value:,.0f}"
    return str(value)


def usd_short(value: float) -> str:
    """Millions with one decimal above $1M ("$4.5M"), two when the second is not 0 ("$1.25M", never rounded to a
    figure nobody said), whole dollars below."""
    if value < 1e6:
        return f"${value:,.0f}"
    two = f"{value / 1e6:,.2f}"
    return f"${two[:-1] if two.endswith('0') else two}M"


def millions(value: float) -> str:
    """Millions as people shorten them, up to three decimals: 8200000 -> "8.2", 11000000 -> "11"."""
    return f"{value / 1e6:.3f}".rstrip("0").rstrip(".")


def count(value: object, missing: str = "—") -> str:
    """A count with separators ("1,250"), or ``missing``."""
    if value is None:
        return missing
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


# How facts are said back (the read-back line, a recap): the figures first, then where and what
# ("75 employees · revenue $5.0M · TX · security guards").
READ_ORDER = (
    *(k for k, f in FACTS.items() if f.kind == "count"),
    *(k for k, f in FACTS.items() if f.kind == "money"),
    *(k for k, f in FACTS.items() if f.kind not in ("count", "money", "text")),
    *(k for k, f in FACTS.items() if f.kind == "text"),
)


def shown(fact: str, value: object, lobs: dict[str, str] | None = None) -> str:
    """A fact's value as the read-back line and the recap say it ("75 employees", "revenue $5.0M", "TX")."""
    spec = FACTS.get(fact)
    if spec is None:
        return str(value)
    if spec.kind == "count" and isinstance(value, int):
        return f"{count(value)} {spec.unit}"
    if spec.kind == "money" and isinstance(value, (int, float)):
        return f"{spec.label.lower()} {usd_short(value)}"
    if spec.kind == "line":
        return (lobs or {}).get(str(value)) or str(value).replace("_", " ")
    if spec.kind == "code":
        return f"NAICS {value}"
    return str(value)
