"""Deterministic grading: the recorded finding against ``expected``; without a finding, the final text.

Lines of business compare as sets of catalog codes, NAICS codes exactly, amounts as whole dollars.
``parse_answer`` reads a determination out of plain text (the copilot's final answer, or a benchmark's
reference answer); it returns None when the text states no determination it can read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.vocabulary import MONEY_VERDICTS, TASKS

_NUM = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
_MONEY = re.compile(rf"\$\s?{_NUM}\s*(million|mm|m|thousand|k)?(?![\w])", re.I)
_UNITS = {"million": 1_000_000, "mm": 1_000_000, "m": 1_000_000, "thousand": 1_000, "k": 1_000}


@dataclass(frozen=True)
class Grade:
    correct: bool
    predicted: dict | None  # the verdict fields read, or None when nothing could be read
    source: str  # "finding", "text" or "none"


def amounts(text: str) -> list[tuple[int, int, int]]:
    """Dollar amounts in a text: (value, start, end). '$3.0 million' -> 3000000, '$5,000' -> 5000."""
    out = []
    for m in _MONEY.finditer(text or ""):
        whole, frac, unit = m.group(1).replace(",", ""), m.group(2) or "", (m.group(3) or "").lower()
        value = float(f"{whole}.{frac}" if frac else whole) * _UNITS.get(unit, 1)
        out.append((int(round(value)), m.start(), m.end()))
    return out


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text or "") if s.strip()]


_NEG = re.compile(
    r"\b(?:not|no|isn't|aren't|doesn't|don't|cannot|can't|won't|declined?|declining|outside|out of|"
    r"neither|nor|except|excluding|unavailable|ineligible)\b|n't\b",
    re.I,
)


def _plain(sentence: str) -> str:
    """Lower case, straight quotes, guideline citations ("[auto-qualified]") removed."""
    return re.sub(r"\[[^\]]*\]", " ", sentence.lower().replace("’", "'"))


def _appetite(text: str) -> str | None:
    for s in _sentences(text):
        t = _plain(s)
        lead = re.match(r"^\W*(yes|no|qualified)\b", t)
        if lead:
            return lead.group(1)
        if re.search(r"\bqualified\b|\bdepends on\b|\brefer(?:ral|red)?\b(?! to the)|\bsubject to\b|\bconditional", t):
            if not re.search(r"\bnot qualified\b|\bdisqualif", t):
                return "qualified"
        if re.search(
            r"\bnot (?:in|within) (?:our |the )?appetite\b|\bout(?:side)? (?:of )?(?:our |the )?appetite\b|"
            r"\bdeclin\w*|\b(?:can't|cannot|can not|won't|will not|don't|do not|shouldn't|should not) (?:write|offer|quote)\b|"
            r"\bnot eligible\b|\bineligible\b|\bnot a (?:fit|risk we)",
            t,
        ):
            return "no"
        if re.search(
            r"\b(?:with)?in (?:our |the )?appetite\b|\b(?:can|could|should|will|would|'d) "
            r"(?:happily )?(?:write|offer|quote)\b|\beligible\b",
            t,
        ):
            return "yes"
    return None


def _small_business(text: str) -> bool | None:
    for s in _sentences(text):
        t = _plain(s)
        if re.search(
            r"\bnot (?:a |considered (?:a )?|classified as (?:a )?)?small\b|\bisn't (?:a )?small\b|\bexceeds?\b|"
            r"\btoo (?:large|big)\b|\b(?:does not|doesn't|do not|don't) (?:qualify|count|meet)\b|\bnot eligible\b|"
            r"\bover the\b.*\bstandard",
            t,
        ):
            return False
        if re.search(
            r"\b(?:is|are|counts? as|qualif(?:y|ies) as|considered|classified as) (?:a )?small\b|\bsmall business\b|"
            r"^\W*yes\b|\bat or below\b|\bwithin the\b.*\bstandard|\bbelow the\b.*\bstandard|\bmeets?\b",
            t,
        ):
            return True
    return None


_AGG = r"aggregate"
_PER = r"per[- ](?:occurrence|incident|claim|event)|each (?:occurrence|incident|claim)|occurrence"


def _label(after: str, before: str) -> str | None:
    """What an amount is: named right after it ("$1M per occurrence"), else by the last name before it."""
    m = re.match(rf"^\s*(?:[\w-]+\s+)?({_AGG}|{_PER})", after)
    if m:
        return "aggregate" if re.match(_AGG, m.group(1)) else "per_occurrence"
    last = None
    for m in re.finditer(rf"{_AGG}|{_PER}", before):
        last = "aggregate" if re.match(_AGG, m.group(0)) else "per_occurrence"
    return last


def _limits(text: str) -> dict | None:
    found = amounts(text)
    if not found:
        return None
    low = text.lower()
    got: dict[str, int] = {}
    for i, (value, start, end) in enumerate(found):
        nxt = found[i + 1][1] if i + 1 < len(found) else len(low)
        prev = found[i - 1][2] if i else 0
        label = _label(low[end:nxt], low[prev:start])
        if label and label not in got:
            got[label] = value
    if len(got) < 2:
        values = [v for v, _, _ in found]
        if len(values) < 2:
            return None
        return {"per_occurrence": min(values[:2]), "aggregate": max(values[:2])}
    return {"per_occurrence": got["per_occurrence"], "aggregate": got["aggregate"]}


def _deductible(text: str) -> dict | None:
    """The amount after the word "deductible" in its sentence, else the last one before it; else the first amount."""
    for s in _sentences(text):
        low = s.lower()
        at = low.find("deductible")
        if at < 0:
            continue
        found = amounts(s)
        after = [v for v, start, _ in found if start > at]
        before = [v for v, start, _ in found if start < at]
        if after or before:
            return {"deductible": after[0] if after else before[-1]}
    found = amounts(text)
    return {"deductible": found[0][0]} if found else None


def _naics(text: str) -> dict | None:
    m = re.search(r"naics(?: code)?\D{0,30}?(\d{6})(?!\d)", text or "", re.I) or re.search(
        r"(?<!\d)(\d{6})(?!\d)", text or ""
    )
    return {"naics": m.group(1)} if m else None


def _lobs(text: str, catalog) -> dict | None:
    if catalog is None:
        return None
    low = (text or "").lower().replace("’", "'")
    if re.search(
        r"\bno (?:other )?(?:lines?|lobs?|products?)\b|\bnone\b|\bnothing else\b|\bno additional\b|\bnot (?:a )?small\b",
        low,
    ):
        found_any = False
    else:
        found_any = True
    names = sorted(
        {
            **{s: c for s, c in catalog.synonyms.items()},
            **{c.replace("_", " "): c for c in catalog.lobs},
            **{n.lower(): c for c, n in catalog.lobs.items()},
        }.items(),
        key=lambda kv: -len(kv[0]),
    )
    codes: set[str] = set()
    for s in _sentences(low):
        for clause in re.split(r"[;:]|\bbut\b|\bhowever\b|\bwhile\b|\bwhereas\b", s):
            if _NEG.search(clause):
                continue
            taken: list[tuple[int, int]] = []
            for name, code in names:
                if len(name) <= 2 and name not in ("gl", "wc"):
                    continue
                for m in re.finditer(rf"(?<![\w']){re.escape(name)}(?![\w'])", clause):
                    if any(a <= m.start() < b for a, b in taken):
                        continue
                    taken.append((m.start(), m.end()))
                    codes.add(code)
    if codes:
        return {"lobs": sorted(codes)}
    return {"lobs": []} if not found_any else None


_QUOTED = re.compile(r"\"[^\"]{0,300}\"|“[^”]{0,300}”")


def stated(text: str) -> str:
    """What a text states: without quoted examples ("Ask e.g. \"Is X in appetite?\"") and without its questions."""
    text = _QUOTED.sub(" ", text or "")
    return " ".join(s for s in _sentences(text) if not s.rstrip().rstrip(")]").endswith("?"))


def parse_answer(task_type: str, text: str, catalog=None) -> dict | None:
    """The verdict a plain-text answer states for a task type, or None when it states none we can read."""
    text = stated(text)
    if not text.strip():
        return None
    if task_type == "appetite":
        v = _appetite(text)
        return {"appetite": v} if v else None
    if task_type == "small_business":
        small = _small_business(text)
        return {"small_business": small} if small is not None else None
    if task_type == "policy_limits":
        return _limits(text)
    if task_type == "deductible":
        return _deductible(text)
    if task_type == "classification":
        return _naics(text)
    if task_type == "product_recommendation":
        return _lobs(text, catalog)
    raise ValueError(f"unknown task type {task_type!r}")


def normalize_lobs(values, catalog) -> list[str]:
    out = set()
    for v in values or []:
        code = catalog.find_lob(v) if catalog is not None else None
        out.add(code or str(v).strip().lower().replace(" ", "_"))
    return sorted(out)


def verdict_fields(task_type: object) -> tuple[str, ...]:
    """The fields that carry a task type's determination (none for a type we do not know)."""
    spec = TASKS.get(str(task_type))
    return spec.verdict if spec else ()


def verdict_of(task_type: str, finding: dict) -> dict:
    return {f: finding.get(f) for f in verdict_fields(task_type)}


def matches(task_type: str, predicted: dict | None, expected: dict, catalog=None) -> bool:
    if not predicted:
        return False
    for f in verdict_fields(task_type):
        got, want = predicted.get(f), expected.get(f)
        if f == "lobs":
            if got is None or set(normalize_lobs(got, catalog)) != set(normalize_lobs(want, catalog)):
                return False
        elif f == "naics":
            if got is None or str(got).strip() != str(want):
                return False
        elif f in MONEY_VERDICTS:
            try:
                if got is None or want is None or int(round(float(got))) != int(want):
                    return False
            except (TypeError, ValueError):
                return False
        elif got != want:
            return False
    return True


def grade(task, finding: dict | None, final_text: str, catalog=None, judge=None) -> Grade:
    """Grade one conversation: the recorded finding when there is one, else the final text.

    A finding of another task type is wrong (its verdict fields are not this task's). ``judge`` (optional, off
    by default) is a function (task_type, text) -> verdict dict or None, asked only when the text parser reads
    nothing.
    """
    expected = task.expected.verdict()
    if finding:
        predicted = verdict_of(task.task_type, finding)
        if predicted.get("lobs") is not None:
            predicted["lobs"] = normalize_lobs(predicted["lobs"], catalog)
        if finding.get("task_type") != task.task_type:
            return Grade(
                False,
                {
                    "task_type": finding.get("task_type"),
                    **{k: v for k, v in finding.items() if k in verdict_fields(finding.get("task_type"))},
                },
                "finding",
            )
        return Grade(matches(task.task_type, predicted, expected, catalog), predicted, "finding")
    parsed = parse_answer(task.task_type, final_text, catalog)
    source = "text"
    if parsed is None and judge is not None:
        parsed, source = judge(task.task_type, final_text), "judge"
    if parsed is None:
        return Grade(False, None, "none")
    return Grade(matches(task.task_type, parsed, expected, catalog), parsed, source)


JUDGE_PROMPT = """Read an insurance underwriting copilot's final answer and extract the determination it states.
Task type: {task_type}. Reply with ONLY a JSON object with these keys: {fields}
(appetite: "yes"|"no"|"qualified"; lobs: list of line-of-business names; small_business: true|false;
per_occurrence, aggregate, deductible: whole dollars; naics: six-digit string).
If the answer states no determination, reply with null.

Answer:
{text}"""


def llm_judge(model):
    """A judge over a model with ``invoke(messages, tools)`` (a LiteLLMModel): (task_type, text) -> verdict | None."""
    import json

    from langchain_core.messages import HumanMessage

    def judge(task_type: str, text: str) -> dict | None:
        if not text or not text.strip():
            return None
        prompt = JUDGE_PROMPT.format(task_type=task_type, fields=", ".join(verdict_fields(task_type)), text=text[:4000])
        reply = model.invoke([HumanMessage(prompt)], [])
        raw = (reply.content or "").strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()
        try:
            verdict = json.loads(raw)
        except json.JSONDecodeError:
            return None
        if not isinstance(verdict, dict):
            return None
        return {k: verdict.get(k) for k in verdict_fields(task_type)}

    return judge
