"""The triage of one submission as steps, pure and typed: each step reads the input and the earlier steps' outputs
and calls tools through one ``ToolCall`` (the product's ``Toolkit.call``, so the guard and argument checks apply).

``desk/queue.py`` runs each step as a durable step; ``run_all`` runs them in a row (tests, the bench's reference
run). Outputs are plain JSON dicts, so an engine can checkpoint them; the same input always gives the same output.
The offline rules decide here (the tools do); an LLM could plan the same calls behind ``ToolCall`` later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from core.vocabulary import FACT_WORDS, FACTS, TASK_LABELS
from graph.determination import rule_chain
from seed_db.authority import SUBMISSION_FLAGS, check_authority, load_authority

ToolCall = Callable[[str, dict], dict]  # tool name, arguments -> the tool's result ({"error", "hint"} when refused)
State = dict[str, dict]  # step name -> that step's output, for the steps done so far

STEPS = ("read", "classify", "small_business", "appetite", "other_lines", "limits", "missing", "score")
FIGURES = ("annual_revenue", "employees", "annual_payroll", "vehicles", "construction")
APPETITE_FIT = {"yes": 1.0, "qualified": 0.5, "no": 0.0}
# How much each part weighs in the score; age is added when the desk sorts (``priority``): it grows while waiting.
WEIGHTS = {"appetite_fit": 0.4, "completeness": 0.2, "size": 0.2, "age": 0.2}
AGE_FULL_DAYS = 5.0  # a submission this old gets the whole age part


class TransientFault(Exception):
    """A tool failed for a reason that may pass (an outage, a timeout): the step is retried."""


@dataclass(frozen=True)
class TriageInput:
    submission_id: str
    facts: dict[str, object]  # keyed by core.vocabulary FACTS (and the submission flag ``renewal``)
    lines: list[str]  # the lines of business requested, as written
    description: str | None = None  # what the business does, for classification when there is no NAICS code
    line_names: dict[str, str] = field(default_factory=dict)  # line code -> the catalog's name, for triage's words

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TriageInput:
        return cls(
            str(data["submission_id"]),
            dict(data.get("facts") or {}),
            list(data.get("lines") or []),
            data.get("description"),
            dict(data.get("line_names") or {}),
        )

    def line_name(self, code: object) -> str:
        """A line as the underwriter reads it: the catalog's name, never the code ("general_liability")."""
        return self.line_names.get(str(code)) or str(code).replace("_", " ")


@dataclass
class TriageResult:
    submission_id: str
    status: str  # ready | needs_info | referred
    naics: str | None
    facts: dict[str, Any]
    lines: list[str]  # the requested lines we write, as our line codes
    findings: list[dict]  # as record_finding returned them, in step order, each with its ``rules_applied``
    steps: dict[str, dict]  # each step's output
    missing: list[str]  # fact keys, in the order the copilot asks them
    score: dict  # {"total", "parts": {appetite_fit, completeness, size}, "weights"}
    needs_referral: bool = False
    referral_reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def toolkit_call(toolkit: Any) -> ToolCall:
    """A ``ToolCall`` over the one tool boundary; an outage or a timeout raises ``TransientFault`` (retried)."""

    def call(name: str, args: dict) -> dict:
        event = toolkit.call(name, args)
        if not event.ok and event.error_kind in ("internal", "timeout"):
            raise TransientFault(f"{name}: {event.result.get('error')}")
        return event.result

    return call


# --- the steps ---------------------------------------------------------------------------------------------------
def read(inp: TriageInput, state: State, call: ToolCall) -> dict:
    """The facts the triage uses (the vocabulary's, set) and the lines requested, as written; the tools that take a
    line name it in our catalog or refuse it (the product guard)."""
    facts = {k: v for k, v in inp.facts.items() if (k in FACTS or k in SUBMISSION_FLAGS) and v not in (None, "")}
    lines = [str(x).strip() for x in inp.lines if str(x).strip()]
    return {"facts": facts, "lines": list(dict.fromkeys(lines)), "description": inp.description}


def classify(inp: TriageInput, state: State, call: ToolCall) -> dict:
    facts = state["read"]["facts"]
    if facts.get("naics"):
        return {"naics": str(facts["naics"]), "source": "given", "findings": []}
    description = state["read"]["description"]
    if not description or len(description.strip()) < 3:
        return {"naics": None, "source": None, "findings": [], "needs": ["naics"]}
    result = call("classify_business", {"description": description, "k": 3})
    candidates = result.get("candidates") or []
    if not candidates:
        return {"naics": None, "source": None, "findings": [], "needs": ["naics"], "error": result.get("error")}
    top = candidates[0]
    finding = _record(
        call,
        "classification",
        f"Classified as {top['naics']} {top['title']} from the description.",
        result.get("sections", ["classification-naics"]),
        {"naics": top["naics"]},
        {"description": description},
        rule_chain("classify_business", result),
    )
    return {"naics": top["naics"], "source": "classified", "candidates": candidates, "findings": [finding]}


def small_business(inp: TriageInput, state: State, call: ToolCall) -> dict:
    naics, facts = state["classify"]["naics"], state["read"]["facts"]
    if not naics:
        return {"small_business": None, "findings": [], "needs": ["naics"]}
    args = {"naics": naics, **_given(facts, ("annual_revenue", "employees"))}
    result = call("check_small_business", args)
    if result.get("status") != "decided":
        return {"small_business": None, "findings": [], "needs": result.get("needs", []), "reason": _why(result)}
    finding = _record(
        call,
        "small_business",
        result["reason"],
        result["sections"],
        {"small_business": result["small_business"]},
        {**args},
        rule_chain("check_small_business", result),
    )
    return {"small_business": result["small_business"], "findings": [finding]}


def appetite(inp: TriageInput, state: State, call: ToolCall) -> dict:
    naics, facts = state["classify"]["naics"], state["read"]["facts"]
    per_line: dict[str, dict] = {}
    findings, needs, not_written = [], [], []
    if not naics or not facts.get("state"):
        gaps = [k for k in ("naics", "state") if not _has(k, naics, facts)]
        return {"lines": per_line, "not_written": [], "findings": [], "needs": gaps}
    for line in state["read"]["lines"]:
        args = {"naics": naics, "state": facts["state"], "lob": line, **_given(facts, FIGURES)}
        result = call("check_appetite", args)
        if result.get("appetite") not in APPETITE_FIT:  # refused: a product we do not write, or a bad fact
            not_written.append({"line": line, "reason": _why(result)})
            continue
        lob = args["lob"] = result["lob"]
        per_line[lob] = {"appetite": result["appetite"], "status": result.get("status"), "reason": result["reason"]}
        needs += result.get("needs", [])
        verdict = {"appetite": result["appetite"]}
        rules = rule_chain("check_appetite", result)
        findings.append(_record(call, "appetite", result["reason"], result["sections"], verdict, args, rules))
    return {"lines": per_line, "not_written": not_written, "findings": findings, "needs": needs}


def other_lines(inp: TriageInput, state: State, call: ToolCall) -> dict:
    naics, facts, requested = state["classify"]["naics"], state["read"]["facts"], list(state["appetite"]["lines"])
    if not naics or not facts.get("state"):
        return {"offer": [], "findings": [], "needs": [k for k in ("naics", "state") if not _has(k, naics, facts)]}
    args = {"naics": naics, "state": facts["state"], **_given(facts, FIGURES)}
    if requested:
        args["exclude_lob"] = requested[0]
    result = call("recommend_lobs", args)
    if "recommended" not in result:
        return {"offer": [], "findings": [], "reason": _why(result)}
    offer = [r["lob"] for r in result["recommended"] if r["lob"] not in requested]
    pending = [p["lob"] for p in result.get("need_facts", []) if p["lob"] not in requested]
    names = [r.get("name") or inp.line_name(r["lob"]) for r in result["recommended"] if r["lob"] not in requested]
    summary = result.get("reason") or (
        f"Also in appetite: {', '.join(names)}." if names else "No other line is in appetite on these facts."
    )
    rules = rule_chain("recommend_lobs", result)
    finding = _record(call, "product_recommendation", summary, result["sections"], {"lobs": offer}, args, rules)
    return {"offer": offer, "pending": pending, "findings": [finding], "needs": result.get("needs", [])}


def limits(inp: TriageInput, state: State, call: ToolCall) -> dict:
    naics, facts = state["classify"]["naics"], state["read"]["facts"]
    per_line: dict[str, dict] = {}
    findings: list[dict] = []
    if not naics:
        return {"lines": per_line, "findings": findings}
    for line in state["read"]["lines"]:
        lim = call("get_limits", {"naics": naics, "lob": line})
        if "per_occurrence" not in lim:  # a product we do not write: the appetite step says so
            continue
        lob = lim["lob"]
        ded = call("get_deductible", {"naics": naics, "lob": lob})
        base = {"naics": naics, "lob": lob, **({"state": facts["state"]} if facts.get("state") else {})}
        per_line[lob] = {k: lim[k] for k in ("per_occurrence", "aggregate")} | {"deductible": ded["deductible"]}
        findings.append(
            _record(
                call,
                "policy_limits",
                lim["reason"],
                lim["sections"],
                {"per_occurrence": lim["per_occurrence"], "aggregate": lim["aggregate"]},
                base,
                rule_chain("get_limits", lim),
            )
        )
        verdict = {"deductible": ded["deductible"]}
        rules = rule_chain("get_deductible", ded)
        findings.append(_record(call, "deductible", ded["reason"], ded["sections"], verdict, base, rules))
    return {"lines": per_line, "findings": findings}


def missing(inp: TriageInput, state: State, call: ToolCall) -> dict:
    """What an underwriter must still ask: what a tool said it needs, and what no tool could run without."""
    facts = state["read"]["facts"]
    wanted = {n for s in STEPS[:6] if s in state for n in state[s].get("needs", [])}
    if not state["classify"]["naics"]:
        wanted.add("naics" if not state["read"]["description"] else "description")
    if not facts.get("state"):
        wanted.add("state")
    if not state["read"]["lines"]:
        wanted.add("lob")
    ordered = [k for k in FACTS if k in wanted]
    return {"missing": ordered, "questions": [FACTS[k].question for k in ordered]}


def score(inp: TriageInput, state: State, call: ToolCall) -> dict:
    """Appetite fit, completeness and size, each 0 to 1, weighted; the findings a junior may not decide alone."""
    verdicts = [v["appetite"] for v in state["appetite"]["lines"].values() if v.get("appetite")]
    fit = sum(APPETITE_FIT[v] for v in verdicts) / len(verdicts) if verdicts else 0.0
    completeness = max(0.0, 1.0 - 0.25 * len(state["missing"]["missing"]))
    small = state["small_business"]["small_business"]
    size = 0.5 if small is None else float(small)
    parts = {"appetite_fit": round(fit, 3), "completeness": round(completeness, 3), "size": size}
    total = round(sum(WEIGHTS[k] * v for k, v in parts.items()), 3)
    facts = state["read"]["facts"]
    reasons: list[str] = []
    authority = load_authority()
    for finding in _findings(state):
        on = {**facts, **finding.get("facts", {})}
        for trigger in check_authority(authority, finding, on, "junior").triggers:
            line = f" ({inp.line_name(on['lob'])})" if finding["task_type"] == "appetite" and on.get("lob") else ""
            task = TASK_LABELS.get(finding["task_type"], str(finding["task_type"]).replace("_", " "))
            reason = f"{task}{line}: {trigger.reason} [{trigger.section}]"
            reasons += [reason] if reason not in reasons else []
    return {"total": total, "parts": parts, "weights": WEIGHTS, "needs_referral": bool(reasons), "reasons": reasons}


STEP_FUNCTIONS: dict[str, Callable[[TriageInput, State, ToolCall], dict]] = {
    "read": read,
    "classify": classify,
    "small_business": small_business,
    "appetite": appetite,
    "other_lines": other_lines,
    "limits": limits,
    "missing": missing,
    "score": score,
}


def result_of(inp: TriageInput, state: State) -> TriageResult:
    """The typed result from every step's output."""
    sc, gaps = state["score"], state["missing"]["missing"]
    status = "referred" if sc["needs_referral"] else "needs_info" if gaps else "ready"
    return TriageResult(
        inp.submission_id,
        status,
        state["classify"]["naics"],
        state["read"]["facts"],
        list(state["appetite"]["lines"])
        or [f["facts"]["lob"] for f in _findings(state) if f["task_type"] == "deductible"],
        _findings(state),
        dict(state),
        gaps,
        {k: sc[k] for k in ("total", "parts", "weights")},
        sc["needs_referral"],
        sc["reasons"],
    )


def status_reason(result: dict) -> str:
    """The one line the queue shows for a triaged submission: why it is referred, else what is missing (in words)."""
    if result.get("referral_reasons"):
        return "; ".join(result["referral_reasons"])
    missing = [FACT_WORDS.get(m, str(m).replace("_", " ")) for m in result.get("missing") or []]
    return f"missing {', '.join(missing)}" if missing else ""


def run_all(inp: TriageInput, call: ToolCall) -> TriageResult:
    """Every step in a row, without an engine."""
    state: State = {}
    for name in STEPS:
        state[name] = STEP_FUNCTIONS[name](inp, state, call)
    return result_of(inp, state)


def priority(result: dict, age_days: float) -> float:
    """The desk's sort key: the stored score plus the age part, which grows while the submission waits."""
    return round(result["score"]["total"] + WEIGHTS["age"] * min(1.0, max(0.0, age_days) / AGE_FULL_DAYS), 3)


# --- helpers -----------------------------------------------------------------------------------------------------
def _record(
    call: ToolCall, task_type: str, summary: str, sections: list[str], verdict: dict, facts: dict, rules: list[dict]
) -> dict:
    """Record one determination through ``record_finding`` (validated against the live data); what it returns is
    the finding, or, when it refuses, the determination with the refusal beside it. ``rules``: the deciding tool's
    rule chain, kept beside the finding (``rules_applied``), so the submission's page and a referral's memo show
    which rules gave each determination."""
    args = {"task_type": task_type, "summary": summary, "citations": list(sections), **verdict, "facts": facts}
    result = call("record_finding", args)
    if "error" in result:
        result = {
            "task_type": task_type,
            **verdict,
            "summary": summary,
            "facts": facts,
            "not_recorded": result["error"],
        }
    return {**result, "rules_applied": rules}


def _given(facts: dict, keys: tuple[str, ...]) -> dict:
    return {k: facts[k] for k in keys if facts.get(k) not in (None, "")}


def _has(key: str, naics: str | None, facts: dict) -> bool:
    return bool(naics) if key == "naics" else bool(facts.get(key))


def _why(result: dict) -> str:
    return str(result.get("error") or result.get("reason") or result.get("question") or "no determination")


def _findings(state: State) -> list[dict]:
    return [f for s in STEPS if s in state for f in state[s].get("findings", [])]
