"""Simulated underwriters: they open with the task's question and reveal the applicant's facts only when asked.

``ScriptedUnderwriter`` is deterministic (no LLM): it reads the copilot's question in plain English, answers at
most two facts per turn in plain sentences and says "I don't know." for unknown facts and for questions it
cannot read. ``LLMUnderwriter`` plays the same part through a litellm model (``graph/llm.py``). There is no
private protocol: the copilot sees exactly what a person could have typed.
"""

from __future__ import annotations

import csv
import random
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from core.vocabulary import millions, usd
from evals.tasks import Task

MAX_FACTS_PER_TURN = 2
DONT_KNOW = "I don't know."

# Fact -> what a person might say when asking for it. Matched on the lower-cased question, earliest first.
TOPICS: dict[str, str] = {
    "annual_revenue": r"\b(?:revenues?|sales|receipts|turnover|gross income|top[- ]line|annual income|earn(?:s|ings)?|"
    r"how much (?:money )?(?:do|does) (?:they|it|the \w+) (?:make|bring in|take in|gross))\b",
    "employees": r"\b(?:employ(?:s|ees?|ed)?|staff(?:ing|ed)?|head ?count|workforce|ftes?|full[- ]time|"
    r"how many (?:people|workers|persons|hands)|people (?:work|are employed|on (?:the )?payroll))\b",
    "annual_payroll": r"\b(?:payroll|wages?|salar(?:y|ies)|total pay)\b",
    "vehicles": r"\b(?:vehicles?|fleet|trucks?|cars?|vans?|autos|automobiles?|tractors?|trailers?)\b",
    "construction": r"\b(?:buildings?|construction|constructed|built|structure|frame|fire[- ]resistive|masonry|"
    r"premises|what (?:is|are) (?:the|their) (?:walls|roof))\b",
    "state": r"\b(?:state|located|location|where|based|headquartered|which city)\b",
    "description": r"(?:what (?:does|do|is) (?:the |this |that |their )?(?:\w+ ){0,3}(?:do|doing)\b|"
    r"\bdescri(?:be|ption)\b|\boperations?\b|what (?:kind|type|sort) of (?:business|company|work|operation)|"
    r"\bnature of (?:the |their )?business\b|\bline of work\b|\bbusiness activit|\bwhat (?:they|it) do(?:es)?\b|"
    r"\bindustry\b|what (?:do|does) (?:they|it|the \w+) (?:make|sell|offer|manufacture|provide))",
    "naics": r"\b(?:naics|sic|industry code|classification code|class code|code)\b",
    "lob": r"(?:\b(?:which|what) (?:line|lines|lob|lobs|coverages?|policy|policies|product|products|insurance|"
    r"(?:kind|type|sort) of (?:coverage|insurance|policy))\b|\blines? of business\b|\blobs?\b|"
    r"\b(?:want|need|looking for|asking for|requesting|seeking|apply(?:ing)? for) (?:coverage|insurance|a policy|cover)\b|"
    r"\bcoverage (?:are|is|do|does) (?:they|it) (?:want|need|looking|asking|requesting|seeking)\b)",
    "company_name": r"(?:\bcompany(?:'s)? name\b|\bname of (?:the |this )?(?:company|business|applicant|insured|firm)\b|"
    r"\bbusiness(?:'s)? name\b|\bwhat(?:'s| is) (?:the |their |its )?name\b|\bwho is the (?:applicant|insured|client)\b|"
    r"\b(?:is it|are they|company) called\b|\bnamed\b)",
}
_COMPILED = {fact: re.compile(p) for fact, p in TOPICS.items()}
# Phrases that would trip a fact's pattern without asking for it: masked before matching.
_MASKS = [
    r"workers?['’]?s?['’]? ?comp(?:ensation)?",  # the line, not the staff
    r"work comp",
    r"commercial auto|business auto|auto liability|auto policy|auto coverage",  # the line, not the vehicles
    r"property coverage|building and contents",
]
_MASK = re.compile("|".join(_MASKS))
_QUOTED = re.compile(r"[\"“][^\"“”]{1,200}[\"”]")
_REQUEST = re.compile(
    r"\b(?:please|tell me|let me know|provide|share|give me|send|confirm|need|could you|can you|what|how|which|where|who)\b"
)
LABELS = {
    "annual_revenue": "the annual revenue",
    "employees": "how many employees they have",
    "annual_payroll": "the annual payroll",
    "vehicles": "how many vehicles they have",
    "construction": "how the building is constructed",
    "state": "where they are",
    "description": "what they do",
    "naics": "the NAICS code",
    "lob": "which line they want",
    "company_name": "the company name",
}


@lru_cache(maxsize=1)
def state_names() -> dict[str, str]:
    """Two-letter code -> name, from the committed reference data (no database needed)."""
    import seed_db

    path = Path(seed_db.__file__).parent / "data" / "states.csv"
    with path.open(encoding="utf-8") as fh:
        return {row["code"]: row["name"] for row in csv.DictReader(fh)}


def questions_in(text: str) -> str:
    """The part of a copilot message that asks something: its questions, else its requests."""
    sentences = re.split(r"(?<=[.!?])\s+|\n+", text or "")
    asked = [s for s in sentences if s.rstrip().endswith("?")]
    if not asked:
        asked = [s for s in sentences if _REQUEST.search(s.lower())]
    return " ".join(asked)


def facts_asked(text: str) -> list[str]:
    """The facts a copilot message asks for, in the order it asks them."""
    q = questions_in(text).lower().replace("’", "'")
    q = _QUOTED.sub(lambda m: " " * len(m.group(0)), q)  # a quoted title or example asks for nothing
    q = _MASK.sub(lambda m: " " * len(m.group(0)), q)
    hits = []
    for fact, pattern in _COMPILED.items():
        m = pattern.search(q)
        if m:
            hits.append((m.start(), fact))
    return [fact for _, fact in sorted(hits)]


def _money(n: int) -> str:
    return usd(n)


def _lower_first(s: str) -> str:
    return s[:1].lower() + s[1:] if len(s) > 1 and not s[:2].isupper() else s


def say(fact: str, value) -> str:
    """One fact as a plain sentence."""
    if value is None:
        return f"I don't know {LABELS[fact]}."
    if fact == "annual_revenue":
        return f"Annual revenue is {_money(value)}."
    if fact == "annual_payroll":
        return f"Annual payroll is {_money(value)}."
    if fact == "employees":
        return f"They have {value:,} employee{'s' if value != 1 else ''}."
    if fact == "vehicles":
        return f"They have {value:,} vehicle{'s' if value != 1 else ''}." if value else "They have no vehicles."
    if fact == "construction":
        return f"The building is {_lower_first(value.strip().rstrip('.'))}."
    if fact == "state":
        name = state_names().get(value.strip().upper(), value.strip())
        return f"It's in {name}."
    if fact == "description":
        return value.strip()  # the submission's own words, as a person would read them out
    if fact == "naics":
        return f"The NAICS code is {value}."
    if fact == "lob":
        return f"They want {value.strip()}."
    if fact == "company_name":
        return f"The company is {value.strip()}."
    raise KeyError(fact)


class Underwriter(Protocol):
    """What the runner talks to: the scripted, natural and LLM underwriters all are one."""

    def opening(self) -> str: ...

    def reply(self, copilot_text: str) -> str: ...

    @property
    def usage(self) -> dict: ...


@dataclass
class ScriptedUnderwriter:
    """Deterministic: the same copilot message always gets the same reply."""

    task: Task
    revealed: list[str] = field(default_factory=list)

    def opening(self) -> str:
        return self.task.opening

    def reply(self, copilot_text: str) -> str:
        asked = facts_asked(copilot_text)[:MAX_FACTS_PER_TURN]
        if not asked:
            return DONT_KNOW
        facts = self.task.applicant.model_dump()
        self.revealed += [f for f in asked if facts.get(f) is not None]
        return " ".join(say(f, facts.get(f)) for f in asked)

    @property
    def usage(self) -> dict:
        return {"tokens": 0, "cost_usd": 0.0}


# Natural phrasings per fact (the underwriter's own shorthand); one is picked per reply by the seeded generator.
_NATURAL: dict[str, list] = {
    "annual_revenue": [
        lambda v: f"rev ~{millions(v)}mm" if v >= 1_000_000 else f"rev ~${v // 1000}k",
        lambda v: f"${millions(v)}M in sales" if v >= 1_000_000 else f"${v // 1000}k in sales",
        lambda v: f"about {millions(v)} mil revenue" if v >= 1_000_000 else f"about {v // 1000}k revenue",
        lambda v: f"revenue is ${v:,}",
    ],
    "annual_payroll": [
        lambda v: f"payroll {millions(v)}M" if v >= 1_000_000 else f"payroll ${v // 1000}k",
        lambda v: f"${v:,} payroll",
        lambda v: f"payroll's about {millions(v)} mil" if v >= 1_000_000 else f"payroll's about {v // 1000}k",
    ],
    "employees": [
        lambda v: f"{v} emps",
        lambda v: f"{v} FTEs",
        lambda v: f"{v} on staff",
        lambda v: f"{v} employees",
    ],
    "vehicles": [
        lambda v: f"{v} trucks" if v else "no vehicles",
        lambda v: f"a fleet of {v}" if v else "they don't own any vehicles",
        lambda v: f"{v} vehicles" if v else "zero vehicles",
    ],
    "construction": [lambda v: f"bldg is {v.strip().lower()}", lambda v: f"{v.strip().lower()} construction"],
    "state": [lambda v: f"they're in {state_names().get(v.upper(), v)}", lambda v: f"located in {v}"],
    "description": [lambda v: v.strip()],
    "naics": [lambda v: f"naics {v}", lambda v: f"code is {v}", lambda v: f"({v}) per the app"],
    "lob": [lambda v: f"they want {v.strip()}", lambda v: f"{v.strip()}"],
    "company_name": [lambda v: f"it's {v.strip()}"],
}
_NATURAL_UNKNOWN = [
    "no idea on {label}",
    "broker didn't say ({label})",
    "{label}: not on the app",
    "n/a on {label}, sorry",
]
_NATURAL_LABELS = {
    "annual_revenue": "revenue",
    "employees": "headcount",
    "annual_payroll": "payroll",
    "vehicles": "the vehicle count",
    "construction": "construction",
    "state": "the state",
    "description": "what they do",
    "naics": "the code",
    "lob": "the line",
    "company_name": "the name",
}
_VOLUNTEER = ("state", "annual_revenue", "employees", "annual_payroll", "vehicles")
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@dataclass
class NaturalUnderwriter(ScriptedUnderwriter):
    """Types the way underwriters do: shorthand figures ("8.2mm", "42 emps"), varied unknowns ("no idea on
    payroll"), sometimes a second fact nobody asked for yet, and picks the matching candidate when the copilot
    lists NAICS codes. Seeded by the task id, so every run replays the same conversation."""

    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.rng = random.Random(zlib.crc32(self.task.id.encode()))

    def _say(self, fact: str, value) -> str:
        if value is None:
            return self.rng.choice(_NATURAL_UNKNOWN).format(label=_NATURAL_LABELS[fact])
        return self.rng.choice(_NATURAL[fact])(value)

    def reply(self, copilot_text: str) -> str:
        facts = self.task.applicant.model_dump()
        listed = _CODE.findall(questions_in(copilot_text))
        if len(listed) > 1:  # "Which fits: 484121 ..., 484122 ...?": pick from the list like a person would
            code = facts.get("naics")
            return f"the {code} one" if code in listed else "none of those"
        asked = facts_asked(copilot_text)[:MAX_FACTS_PER_TURN]
        if not asked:
            return "not sure what you need"
        parts = [self._say(f, facts.get(f)) for f in asked]
        self.revealed += [f for f in asked if facts.get(f) is not None]
        if len(asked) == 1 and self.rng.random() < 0.3:
            extra = [f for f in _VOLUNTEER if f not in self.revealed and facts.get(f) is not None]
            if extra:
                f = self.rng.choice(extra)
                parts.append(self._say(f, facts[f]))
                self.revealed.append(f)
        return ", ".join(parts)


USER_PROMPT = """You are a junior commercial underwriter at {insurer}, talking to your AI underwriting copilot about one applicant.
Your question to the copilot was: "{opening}"

What you know about the applicant (and nothing else):
{facts}

How to behave:
- Answer only what the copilot asks, in one or two short plain sentences, like a busy colleague.
- Reveal at most two facts per reply, and only the ones asked for.
- If asked about anything not listed above, or listed as unknown, say "I don't know."
- Never invent facts, never answer your own question, never mention these instructions.
- If the copilot has given its answer and asks nothing, reply "Thanks."
"""


def facts_text(task: Task) -> str:
    lines = []
    for fact, value in task.applicant.model_dump().items():
        label = fact.replace("_", " ")
        lines.append(f"- {label}: {'unknown' if value is None else value}")
    return "\n".join(lines)


@dataclass
class LLMUnderwriter:
    """The underwriter played by an LLM through graph/llm.py (the only litellm caller)."""

    task: Task
    model: Any  # a LiteLLMModel (or anything with invoke(messages, tools))
    insurer: str = "the insurer"
    history: list = field(default_factory=list)

    def opening(self) -> str:
        from langchain_core.messages import AIMessage

        self.history = [AIMessage(self.task.opening)]
        return self.task.opening

    def reply(self, copilot_text: str) -> str:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        system = SystemMessage(
            USER_PROMPT.format(insurer=self.insurer, opening=self.task.opening, facts=facts_text(self.task))
        )
        self.history.append(HumanMessage(copilot_text or "(no answer)"))
        message = self.model.invoke([system] + self.history, [])
        text = (message.content or "").strip() or DONT_KNOW
        self.history.append(AIMessage(text))
        return text

    @property
    def usage(self) -> dict:
        calls = getattr(self.model, "usage", [])
        return {
            "tokens": sum((c.get("prompt_tokens") or 0) + (c.get("completion_tokens") or 0) for c in calls),
            "cost_usd": sum(c.get("cost_usd") or 0.0 for c in calls),
        }


def parse_user_spec(spec: str) -> tuple[str, str | None]:
    """'scripted' or 'llm:<model>' -> (kind, model); ValueError with what is valid otherwise."""
    spec = (spec or "").strip()
    if spec in ("scripted", "natural"):
        return spec, None
    if spec.startswith("llm:") and spec[4:].strip():
        return "llm", spec[4:].strip()
    raise ValueError(
        f"--user {spec!r}: use 'scripted', 'natural' or 'llm:<litellm model>', e.g. llm:openai/gpt-4.1-mini"
    )


def user_factory(spec: str, api_base: str | None = None, insurer: str = "the insurer") -> Callable[[Task], Underwriter]:
    """A function task -> a fresh simulated underwriter for one conversation."""
    kind, model = parse_user_spec(spec)
    if kind == "scripted" or model is None:
        return ScriptedUnderwriter
    if kind == "natural":
        return NaturalUnderwriter

    def make(task: Task) -> LLMUnderwriter:
        from graph.llm import LiteLLMModel

        return LLMUnderwriter(task, LiteLLMModel(model, api_base=api_base, stream=False), insurer)

    return make
