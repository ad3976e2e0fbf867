"""Online checks ("who watches the watchmen"): every recorded finding is re-verified after its turn.

Two checks, both independent of the model that produced the finding:

1. **Tool**: the decisive tool for the task type is re-run through the toolkit boundary on the finding's facts
   (completed by the facts the conversation's tool calls established) and its verdict compared with the finding's.
2. **Answer**: the answer the underwriter read is checked against the finding: the verdict it states, the dollar
   amounts, the lines of business and the NAICS code it names.

A ``CheckResult`` is ``ok``, ``mismatch`` (each mismatch says where, which field, what the finding said and what
was found) or ``unverifiable`` (the facts were too few to re-run the tool). The copilot stores every result, the
finding card flags mismatches and the Monitoring page counts them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from core.decisive import decisive_call
from core.per_message import Folded
from core.vocabulary import FACTS, TASKS, TOOL_FACTS
from tools.applicants import applicant_of

# Facts taken from the conversation's tool calls: a classification is re-run only on the finding's own description.
FACT_ARGS = tuple(k for k in TOOL_FACTS if FACTS[k].kind != "text")


@dataclass
class CheckResult:
    status: str  # ok | mismatch | unverifiable
    tool: str | None = None
    mismatches: list[dict] = field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def facts_from_steps(steps: list[dict]) -> dict:
    """The applicant facts the conversation's successful tool calls used (arguments and applicant records); of a
    conversation's events, only its tool calls are read."""
    return dict(_facts_from_steps(steps))


def _add_step_facts(facts: dict, e: dict) -> None:
    if e.get("type", "tool") != "tool" or not e.get("ok") or e.get("tool") == "record_finding":
        return
    facts.update({k: v for k, v in (e.get("arguments") or {}).items() if k in FACT_ARGS + ("exclude_lob",)})
    if app := applicant_of(e):
        facts.update({"naics": app.get("naics_code"), "state": app.get("state")})


# Each check reads every earlier step of the conversation: the facts after the steps it read last are kept.
_facts_from_steps = Folded(dict, _add_step_facts, dict)


def _tool_mismatches(task: str, finding: dict, result: dict) -> list[dict]:
    def diff(name: str, said, found) -> dict:
        return {"where": "tool", "field": name, "finding": said, "found": found}

    if task == "appetite":
        return (
            []
            if finding.get("appetite") == result.get("appetite")
            else [diff("appetite", finding.get("appetite"), result.get("appetite"))]
        )
    if task == "product_recommendation":
        found = sorted(r["lob"] for r in result.get("recommended", []))
        return [] if sorted(finding.get("lobs") or []) == found else [diff("lobs", finding.get("lobs"), found)]
    if task == "small_business":
        if result.get("status") != "decided":
            return []
        return (
            []
            if finding.get("small_business") == result.get("small_business")
            else [diff("small_business", finding.get("small_business"), result.get("small_business"))]
        )
    if task in ("policy_limits", "deductible"):
        names = TASKS[task].verdict
        return [diff(n, finding.get(n), result.get(n)) for n in names if finding.get(n) != result.get(n)]
    codes = [c["naics"] for c in result.get("candidates", [])]
    return [] if finding.get("naics") in codes else [diff("naics", finding.get("naics"), f"not in top {len(codes)}")]


# --- the answer text ------------------------------------------------------------------------------------------
_AMOUNT = re.compile(r"\$\s?(\d[\d,]*(?:\.\d+)?)\s*(million|mm|m|thousand|k)?\b", re.I)
_UNIT = {"million": 1_000_000, "mm": 1_000_000, "m": 1_000_000, "thousand": 1_000, "k": 1_000}
_NOT_APPETITE = re.compile(
    r"\b(?:not|isn't|is not|out of|outside (?:of )?(?:our )?)\s*(?:in )?(?:our )?appetite\b", re.I
)
_QUALIFIED = re.compile(r"\bqualified\b", re.I)
_IN_APPETITE = re.compile(r"\b(?:is|are|it's|be|falls?|within)\s+(?:in|within)?\s*(?:our )?appetite\b", re.I)
_LEADING = re.compile(r"\s*\**(yes|no)\b", re.I)
_VERDICTS = ((_NOT_APPETITE, "no"), (_QUALIFIED, "qualified"), (_IN_APPETITE, "yes"))
_NOT_SMALL = re.compile(r"\b(?:not|isn't|is not|no longer|does not count as|doesn't count as)\s+(?:a\s+)?small\b", re.I)
_SMALL = re.compile(r"\b(?:is|as|counts as|qualifies as)\s+(?:a\s+)?small(?:\s+business)?\b", re.I)


def amounts_in(text: str) -> set[int]:
    """Dollar amounts written in a text ("$1,000,000", "$1M", "$2 million", "$5,000")."""
    out = set()
    for m in _AMOUNT.finditer(text):
        value = float(m[1].replace(",", "")) * _UNIT.get((m[2] or "").lower(), 1)
        out.add(round(value))
    return out


def _stated_appetite(text: str) -> str | None:
    """The verdict the answer states first (a leading yes/no, else the earliest appetite phrase): later mentions
    are usually the reasons ("the guide marks it Qualified; the payroll rule decides it")."""
    lead = _LEADING.match(text)
    if lead:
        return lead[1].lower()
    found = [(m.start(), verdict) for pat, verdict in _VERDICTS for m in [pat.search(text)] if m]
    return min(found)[1] if found else None


def stated_verdict(task: str, answer: str, catalog) -> bool:
    """The answer states a determination of ``task`` that can be read (right or wrong)."""
    if task == "appetite":
        return _stated_appetite(answer) is not None
    if task == "small_business":
        return bool(_NOT_SMALL.search(answer) or _SMALL.search(answer))
    if task in ("policy_limits", "deductible"):
        return bool(amounts_in(answer))
    if task == "product_recommendation":
        lowered = answer.lower()
        return any(name in lowered for code in catalog.lobs for name in _lob_names(code, catalog))
    if task == "classification":
        return bool(re.search(r"\b\d{6}\b", answer))
    return False


def answer_mismatches(task: str, finding: dict, answer: str, catalog) -> list[dict]:
    def diff(name: str, said, found) -> dict:
        return {"where": "answer", "field": name, "finding": said, "found": found}

    if not answer.strip():
        return []
    if task == "appetite":
        stated = _stated_appetite(answer)
        return (
            [diff("appetite", finding.get("appetite"), stated)] if stated not in (None, finding.get("appetite")) else []
        )
    if task == "small_business":
        small: bool | None = False if _NOT_SMALL.search(answer) else (True if _SMALL.search(answer) else None)
        said = finding.get("small_business")
        return [diff("small_business", said, small)] if small is not None and small != said else []
    if task in ("policy_limits", "deductible"):
        names = TASKS[task].verdict
        written = amounts_in(answer)
        return [diff(n, finding.get(n), sorted(written)) for n in names if finding.get(n) not in written]
    if task == "product_recommendation":
        lowered = answer.lower()
        missing = [
            code for code in finding.get("lobs") or [] if not any(name in lowered for name in _lob_names(code, catalog))
        ]
        return [diff("lobs", finding.get("lobs"), f"not named: {', '.join(missing)}")] if missing else []
    if task == "classification":
        codes = set(re.findall(r"\b\d{6}\b", answer))
        return (
            [diff("naics", finding.get("naics"), sorted(codes))] if codes and finding.get("naics") not in codes else []
        )
    return []


def _lob_names(code: str, catalog) -> list[str]:
    names = [code.replace("_", " "), str(catalog.lobs.get(code, code)).lower()]
    names += [syn for syn, c in catalog.synonyms.items() if c == code]
    return names


def verify_finding(toolkit, finding: dict, answer: str, steps: list[dict] | None = None) -> CheckResult:
    """Re-verify one finding: the decisive tool on its facts, and the answer text against it. ``steps``: the
    conversation's events (its tool calls complete the finding's facts)."""
    task = finding.get("task_type")
    if task not in TASKS:
        return CheckResult("unverifiable", note=f"unknown task type {task!r}")
    facts = {**facts_from_steps(steps or []), **{k: v for k, v in (finding.get("facts") or {}).items() if v}}
    tool = TASKS[task].tool
    mismatches = answer_mismatches(task, finding, answer or "", toolkit.ctx.catalog)
    call = decisive_call(task, facts)
    note = ""
    if call is None:
        note = f"too few facts to re-run {tool}"
    else:
        event = toolkit.call(*call)
        if event.ok:
            mismatches = _tool_mismatches(task, finding, event.result) + mismatches
        else:
            note = f"{tool} refused the finding's facts: {event.result.get('error', '')}"[:300]
    if mismatches:
        return CheckResult("mismatch", tool, mismatches, note)
    return CheckResult("ok" if call is not None and not note else "unverifiable", tool, [], note)
