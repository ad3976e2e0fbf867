"""Read-back: what the copilot read from each underwriter message, said back in one line before its answer.

"Reading: 75 employees · revenue $5.0M · TX · security guards": every fact the message states (through the fact
reader's seam, ``graph.offline.facts.parse`` and its ``Parsed.facts``), with the text it came from, so a misread
figure is seen on the turn it was read and corrected in one click (``correction``), whichever model answers.
A message is read with the question asked just before it, as the offline model reads it ("280k" after the payroll
question is payroll).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from core.vocabulary import FACTS, shown, usd_short
from core.vocabulary import READ_ORDER as ORDER
from graph.state import kind, meta

PREFIX = "Reading: "
GUIDELINE_TOOLS = {"search_guidelines", "get_guideline_section"}
CACHE_SIZE = 2048  # messages whose readings a copilot keeps (the page re-reads the conversation on every rerun)


@dataclass(frozen=True)
class Reading:
    """One fact read from a message: its key and value, as shown, and the text it came from."""

    fact: str
    value: object
    shown: str  # "75 employees", "revenue $5.0M", "TX"
    source: str  # the words it was read from, when the reader says; else the whole message
    unknown: bool = False  # the message says nobody knows it ("no idea on payroll")


def correction(reading: Reading, lobs: dict[str, str] | None = None) -> str:
    """The message that corrects a reading, pre-filled for the underwriter to change ("correction: employees is 75").
    Worded so the fact reader reads it back as that fact (a test holds it to that)."""
    spec = FACTS.get(reading.fact)
    noun = spec.label.lower() if spec is not None else reading.fact.replace("_", " ")
    if reading.unknown or reading.value is None:
        return f"correction: {noun} is "
    value = reading.value
    if spec is not None and spec.kind == "money" and isinstance(value, (int, float)):
        return f"correction: {noun} is {usd_short(value)}"
    if spec is not None and spec.kind == "line":
        return f"correction: {noun} is {(lobs or {}).get(str(value)) or value}"
    if spec is not None and spec.kind == "text":
        what = str(value)
        return f"correction: it is {what if what.lower().startswith(('a ', 'an ')) else 'a ' + what}"
    return f"correction: {noun} is {value}"


def line(readings: list[Reading]) -> str:
    """ "Reading: 75 employees · revenue $5.0M · TX" ("" when nothing was read)."""
    return PREFIX + " · ".join(r.shown for r in readings) if readings else ""


def read(text: str, catalog, asked: str | None = None) -> list[Reading]:
    """The facts one message states, in the vocabulary's order, then the ones it says nobody knows."""
    parsed = _parsed(text, catalog, asked)
    if parsed is None:
        return []
    spans = getattr(parsed, "spans", None) or {}  # the reader may say where each fact came from
    lobs = dict(getattr(catalog, "lobs", {}) or {})
    out = []
    for fact in ORDER:
        if fact in parsed.facts and parsed.facts[fact] not in (None, ""):
            value = parsed.facts[fact]
            out.append(Reading(fact, value, shown(fact, value, lobs), _source(spans.get(fact), text)))
            if fact == "lob":  # every line the message names ("GL and property?"), not only the first
                out += [Reading(fact, v, shown(fact, v, lobs), src) for v, src in _other_lines(parsed, value)]
    for fact in ORDER:
        if fact in parsed.unknown_facts:
            out.append(Reading(fact, None, f"{FACTS[fact].label.lower()} not known", text.strip(), unknown=True))
    return out


def _other_lines(parsed, first: object) -> list[tuple[str, str]]:
    """The lines a message names after its first, each with the words it was read from."""
    reading = getattr(parsed, "reading", None)
    named: dict[str, str] = {}
    for line in getattr(reading, "lines", None) or []:
        if str(line.value) != str(first):
            named.setdefault(str(line.value), line.span.text)
    return list(named.items())


def _source(span: object, text: str) -> str:
    """The words a fact came from: a (start, end) span of the message or the words themselves, else the message."""
    if isinstance(span, (tuple, list)) and len(span) == 2 and all(isinstance(i, int) for i in span):
        start, end = span
        if 0 <= start < end <= len(text):
            return text[start:end]
    if isinstance(span, str) and span:
        return span
    return text.strip()


def _parsed(text: str, catalog, asked: str | None):
    """The fact reader's reading of one message, or None when it cannot read it (read as saying nothing, never as a
    failed turn)."""
    from graph.offline.reading import read as parse  # the reader's seam, read once per process with the model's

    try:
        return parse(text, catalog, asked)
    except Exception:
        return None


def _turns(messages: list[BaseMessage]) -> Iterator[tuple[HumanMessage, str | None, list[AIMessage]]]:
    """Each underwriter message (a guard's correction is none), the question our answer before it asked, and our
    messages after it up to the next one."""
    from graph.offline.conversation import asked_in

    asked: str | None = None
    turn: tuple[HumanMessage, str | None, list[AIMessage]] | None = None
    for m in messages:
        if isinstance(m, HumanMessage):
            if kind(m) == "guard_correction":
                continue
            if turn is not None:
                yield turn
            turn, asked = (m, asked, []), None
        elif isinstance(m, AIMessage):
            if turn is not None:
                turn[2].append(m)
            if not m.tool_calls:
                asked = asked_in(m)
    if turn is not None:
        yield turn


def by_message(messages: list[BaseMessage], catalog, cache: dict | None = None) -> dict[str, list[Reading]]:
    """The readings of every underwriter message of a conversation, by message id, each read with the question our
    answer before it asked. ``cache``: readings already made, by (text, question), kept between calls."""
    out: dict[str, list[Reading]] = {}
    for m, asked, answers in _turns(messages):
        if not m.id:
            continue
        text = m.content if isinstance(m.content, str) else ""
        if cache is None:
            out[m.id] = read(text, catalog, asked)
        else:
            if (text, asked) not in cache:
                if len(cache) >= CACHE_SIZE:
                    cache.clear()
                cache[(text, asked)] = read(text, catalog, asked)
            out[m.id] = cache[(text, asked)]
        rules_only: bool | None = None  # the turn only consulted the guidelines
        for a in answers:
            if a.tool_calls:
                rules_only = rules_only is not False and {c["name"] for c in a.tool_calls} <= GUIDELINE_TOOLS
            elif meta(a).get("took_nothing"):
                rules_only = True  # the model read the message as a question, no fact of the applicant
        if rules_only:  # a question about the rules: nothing in it was taken as a fact about the applicant
            out[m.id] = []
    return out


def supposed_calls(messages: list[BaseMessage], catalog) -> set[str]:
    """The ids of the tool calls made in answer to a what-if ("what if they had 200 staff?"): the figures they were
    given were supposed, never stated, so nothing shown as known may come from them."""
    out: set[str] = set()
    for m, asked, answers in _turns(messages):
        parsed = _parsed(m.content if isinstance(m.content, str) else "", catalog, asked)
        if parsed is not None and getattr(parsed, "supposed", None):
            out.update(str(c["id"]) for a in answers for c in a.tool_calls if c.get("id"))
    return out
