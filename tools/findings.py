"""``record_finding``: the copilot's structured determination, validated against the live data.

The graph copies a successful result into the conversation state; the UI shows it as a card and the
evaluation harness grades it.
"""

from __future__ import annotations

from typing import Literal

from core.vocabulary import MONEY_VERDICTS, TASKS, TaskType
from tools import catalog as norm
from tools.context import ToolContext
from tools.errors import InvalidArgument
from tools.spec import tool


@tool
def record_finding(
    ctx: ToolContext,
    task_type: TaskType,
    summary: str,
    citations: list[str],
    appetite: Literal["yes", "no", "qualified"] | None = None,
    lobs: list[str] | None = None,
    small_business: bool | None = None,
    per_occurrence: int | None = None,
    aggregate: int | None = None,
    deductible: int | None = None,
    naics: str | None = None,
    facts: dict | None = None,
) -> dict:
    """Record your determination once you have answered one of the six questions. Call it exactly once per
    answer, after the checks, with the verdict field(s) of the task type: appetite -> appetite; product
    recommendation -> lobs (our line codes, [] when none); small business -> small_business; policy limits ->
    per_occurrence and aggregate; deductible -> deductible; classification -> naics.

    Args:
        task_type: appetite, product_recommendation, small_business, policy_limits, deductible or classification
        summary: one or two sentences: the determination and the reason
        citations: guideline section ids the answer rests on, e.g. ["auto-qualified"]
        appetite: yes, no or qualified
        lobs: line-of-business codes recommended
        small_business: true when small under the SBA standard
        per_occurrence: per-occurrence limit in dollars
        aggregate: aggregate limit in dollars
        deductible: deductible in dollars
        naics: six-digit 2022 NAICS code
        facts: the applicant facts the answer used (naics, state, lob, revenue, ...)
    """
    values = {
        "appetite": appetite,
        "lobs": lobs,
        "small_business": small_business,
        "per_occurrence": per_occurrence,
        "aggregate": aggregate,
        "deductible": deductible,
        "naics": naics,
    }
    verdict = TASKS[task_type].verdict
    missing = [f for f in verdict if values[f] is None]
    if missing:
        raise InvalidArgument(
            f"a {task_type} finding needs {', '.join(missing)}",
            f"{task_type} findings carry: {', '.join(verdict)}",
        )
    if naics is not None:
        values["naics"] = ctx.catalog.naics(naics)
    if lobs is not None:
        values["lobs"] = sorted({ctx.catalog.lob(x) for x in lobs})
    for name in MONEY_VERDICTS:
        if values[name] is not None:
            values[name] = norm.money(values[name], name)
    from tools.guidelines import sections_by_id

    known = sections_by_id(ctx)
    unknown = [c for c in citations if c.strip("[]") not in known]
    if unknown:
        raise InvalidArgument(
            f"unknown guideline section(s): {', '.join(unknown)}", "cite ids returned by the tools or search_guidelines"
        )
    return {
        "task_type": task_type,
        **{k: v for k, v in values.items() if v is not None},
        "summary": summary,
        "facts": facts or {},
        "citations": [c.strip("[]") for c in citations],
    }
