"""Facts from a draft submission, each with its source and snippet.

Two ways in, in this order: a form field, a column or a ``Label: value`` line whose label is known maps straight
to a fact through the vocabulary (``core.vocabulary.FACTS``: its key, label and nouns); free text goes through the
chat's own fact reader (``graph.offline.facts.parse``, whose figures, codes and places come from the trained
reader ``graph.reader``), a sentence at a time, so each fact keeps the sentence it was read from. A labelled value
beats one read from prose. Lines labelled as something that is not a fact (ZIP, phone, FEIN, policy number...) are
never handed to the reader, so their digits never become a count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.vocabulary import COUNT_FACTS, FACTS, MONEY_FACTS
from desk.drafts import Draft
from desk.limits import MAX_FACT_TEXT_CHARS
from desk.submission import ReadFact, Source
from graph.offline.facts import lob_fact, parse, state_fact
from tools import catalog as norm
from tools.errors import InvalidArgument

MAX_SENTENCE = 400  # characters handed to the reader at once (a run-on line is cut, not skipped)

# Form and column labels beyond the vocabulary's own words: the shapes of an ACORD 125/130 and of account lists.
_ALIASES = {
    "company": "applicant|applicant name|named insured|insured|insured name|company|company name|business name|account|account name|name of applicant|legal name",
    "description": "nature of business|description of operations|business description|description|operations|what the business does|business",
    "lines": "lines requested|lines of business|lines|coverages requested|coverage requested|coverages|coverage|line of business|line|lob|lobs|products requested",
    "naics": "naics|naics code|naics 2022|industry code",
    "state": "state|st|location state|mailing state|state of operation|primary state",
    "address": "address|mailing address|location address|street address|premises address",
    "annual_revenue": "annual revenue|revenue|gross revenue|gross sales|annual sales|sales|receipts|annual receipts",
    "employees": "employees|number of employees|no of employees|total employees|full time employees|employee count|headcount",
    "annual_payroll": "annual payroll|payroll|total payroll|estimated payroll",
    "vehicles": "vehicles|number of vehicles|no of vehicles|vehicle count|fleet size|power units|owned vehicles",
    "construction": "construction|construction type|building construction|construction class",
    "total_insured_value": "tiv|total insured value|total insured values|insured value",
    "total_assets": "total assets|assets",
}
# Labelled lines that are never facts: their digits are kept as text and never read as a figure.
_NOT_FACTS = re.compile(
    r"^(?:zip|zip code|postal code|postcode|phone|telephone|tel|fax|mobile|cell|fein|ein|tax id|sic|sic code|"
    r"policy number|policy no|producer code|agency code|license|license no|date|effective date|expiration date|"
    r"proposed eff date|dob|email|e mail|website|web|to|from|cc|subject|sent|re|ref|account number|account no|"
    r"submission id|quote number|years in business|year established|year started|fax number|phone number)$"
)
# A sign-off line: what follows is the sender's signature (the broker's address and phone), never the applicant's.
_SIGN_OFF = re.compile(
    r"^\s*(?:thanks|thank you|many thanks|regards|best|best regards|kind regards|warm regards|sincerely|cheers|"
    r"respectfully|all the best)\s*[,.!]?\s*$",
    re.I,
)
# The state of a postal address: "…, Denver, CO 80216", "Denver CO 80216-1234", "…, Denver, CO" at the end.
# Without a ZIP only after a comma: "88 Elm St NE" is a street's quadrant, not Nebraska.
_POSTAL_STATE = re.compile(
    r"(?:[\s,]\s*([A-Z]{2})\.?\s+\d{5}(?:-\d{4})?|,\s*([A-Z]{2})\.?)\s*(?:,?\s*(?:USA?|United States))?\s*$"
)
# A labelled figure: the one figure the label names, then its unit or a remark ("2 tow trucks", "$4.1M (2025)").
_QUALIFIER = re.compile(r"^(?:approx\.?|approximately|about|around|roughly|circa|est\.?|estimated|~)\s*", re.I)
_REMARK = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_LEADING_MONEY = re.compile(
    r"^(\$?\s*(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:\s*(?:k|thousand|mm|m|mil|million|bn|b|billion)(?![a-z]))?)(.*)$", re.I
)
_LEADING_COUNT = re.compile(r"^(\d[\d,]*(?:\.0+)?)(?![\d.])(.*)$")
_NOT_A_YEAR = re.compile(
    r"\b(?:per|a|/)\s*(?:month|mo|week|wk|day|quarter)\b|\bmonthly\b|\bweekly\b|\bquarterly\b", re.I
)
_AMBIGUOUS_NOUNS = {"units", "cars"}  # a column "Units" in a list of landlords counts apartments, not vehicles
_LABELLED_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 ()#./&'_-]{0,40}?)\s*[:=]\s*(\S.*)$")


def _norm_label(label: str) -> str:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", label)  # a field named "AnnualRevenue"
    low = re.sub(r"[_\-./#()]+", " ", spaced.lower())
    low = re.sub(r"[^a-z0-9 ]", "", low)
    return re.sub(r"\s+", " ", low).strip()


def _label_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for key, fact in FACTS.items():
        for word in (key, key.replace("_", " "), fact.label, re.sub(r"^the ", "", fact.words)):
            table[_norm_label(word)] = key
    for key, words in _ALIASES.items():
        for word in words.split("|"):
            table[_norm_label(word)] = key
    return table


LABELS = _label_table()


def label_key(label: str) -> str | None:
    """The fact a form field or column label names ("Annual Revenue ($)" -> annual_revenue), or None."""
    low = _norm_label(label)
    if low in LABELS:
        return LABELS[low]
    low = re.sub(r"\b(?:usd|in usd|dollars)\b", "", low).strip()
    if low in LABELS:
        return LABELS[low]
    for key, fact in FACTS.items():  # the vocabulary's nouns ("fleet", "staff", "headcount"), the whole label
        if low in _AMBIGUOUS_NOUNS:
            break
        if fact.nouns and fact.kind in ("money", "count") and re.fullmatch(rf"(?:{fact.nouns})", low):
            return key
    return None


def is_not_a_fact(label: str) -> bool:
    return bool(_NOT_FACTS.match(_norm_label(label)))


@dataclass
class FactsRead:
    facts: list[ReadFact]
    lines_requested: list[str]
    description: str | None
    company: str | None
    notes: list[str]


def read_facts(draft: Draft, catalog) -> FactsRead:
    out = FactsRead([], [], None, None, [])
    have: dict[str, ReadFact] = {}

    def keep(key: str, value, source: Source, snippet: str, how: str) -> None:
        if key not in have:
            have[key] = ReadFact(key, value, source, _clip(snippet), how)

    fields = list(draft.fields)
    prose: list[tuple[str, Source]] = []
    for part in draft.text:  # "NAICS: 332710" in an e-mail is a labelled field, not a sentence
        for line in part.text.splitlines():
            if _SIGN_OFF.match(line):
                break  # the signature below speaks of the sender (the broker), not of the applicant
            m = _LABELLED_LINE.match(line)
            if m and (label_key(m[1]) or is_not_a_fact(m[1])):
                fields.append((m[1].strip(), m[2].strip(), part.source))
            elif line.strip():
                prose.append((line, part.source))
    if draft.fields and all(p.source.row is not None for p in draft.text):
        prose = []  # an account row's text is its own cells: already read as fields
    for label, value, source in fields:
        key = label_key(label)
        if key is None or is_not_a_fact(label):
            continue
        snippet = f"{label}: {value}"
        if key == "lines":
            for lob in _lines(value, catalog):
                if lob not in out.lines_requested:
                    out.lines_requested.append(lob)
            if out.lines_requested:
                keep("lob", out.lines_requested[0], source, snippet, "field")
            continue
        if key == "address":
            if st := postal_state(value, catalog) or state_fact(value, catalog):
                keep("state", st, source, snippet, "field")
            continue
        try:
            normalised = _field_value(key, value, catalog)
        except InvalidArgument as exc:
            out.notes.append(f"{source.where()}: {label!r} not read: {exc}")
            continue
        if normalised is not None:
            keep(key, normalised, source, snippet, "field")
    left = MAX_FACT_TEXT_CHARS
    for sentence, source in _sentences(prose):
        left -= len(sentence)
        if left < 0:  # the reader's CPU grows with the text: a long file's facts come from its beginning
            out.notes.append(f"facts were read from the first {MAX_FACT_TEXT_CHARS:,} characters of its text")
            break
        parsed = parse(sentence, catalog)
        for key, value in parsed.facts.items():
            if key in FACTS and value not in (None, ""):
                keep(key, value, source, sentence, "text")
        if _asks_for(sentence):  # every line it asks for ("general liability and commercial auto"), not the first
            read_lines = parsed.reading.lines if parsed.reading else []
            for code in [str(x) for x in (parsed.facts.get("lob"), *(r.value for r in read_lines)) if x]:
                if code in catalog.lobs and code not in out.lines_requested:
                    out.lines_requested.append(code)
        if parsed.company and "company" not in have:
            keep("company", parsed.company[:500], source, sentence, "text")  # as a field's, at most 500
    out.facts = list(have.values())
    out.description = str(have["description"].value) if "description" in have else None
    out.company = str(have["company"].value) if "company" in have else None
    return out


def postal_state(address: str, catalog) -> str | None:
    """The two-letter state where a postal address puts it (after the city, before the ZIP), or None."""
    m = _POSTAL_STATE.search(address.strip())
    code = m and (m[1] or m[2])
    return code if code in catalog.states else None


def _field_value(key: str, value: str, catalog) -> str | int | None:
    value = value.strip()
    if not value or value.lower() in ("n/a", "na", "none", "-", "tbd", "unknown"):
        return None
    if key in MONEY_FACTS:
        if _NOT_A_YEAR.search(value):
            raise InvalidArgument(f"{FACTS[key].label} must be a yearly amount, got {value!r}")
        return norm.money(_figure(value, _LEADING_MONEY, FACTS[key].label), FACTS[key].label)
    if key in COUNT_FACTS:
        return norm.count(_figure(value, _LEADING_COUNT, FACTS[key].label), FACTS[key].label)
    if key == "naics":
        return catalog.naics(re.sub(r"^\D*", "", value)[:7])
    if key == "state":
        try:
            return catalog.state(value)
        except InvalidArgument:
            if found := state_fact(value, catalog, lenient=True):
                return found
            raise
    if key == "construction":
        catalog.construction(value)  # raises when no construction class fits
        return value[:200]
    return " ".join(value.split())[:500]  # description, company


def _figure(value: str, leading: re.Pattern, label: str) -> str:
    """The figure a labelled value begins with; the words after it are its unit or a remark ("2 tow trucks",
    "$4.1M (2025)", "8 full time"). Another figure outside brackets ("38 FT + 4 PT", "8-10") leaves no single
    figure: refused, for a person to read."""
    bare = _QUALIFIER.sub("", value.strip())
    m = leading.match(bare)
    if not m:
        return value  # the normaliser refuses it with its own reason
    if re.search(r"\d", _REMARK.sub(" ", m[2])):
        raise InvalidArgument(f"{label}: {value!r} has more than one figure")
    return m[1]


def _lines(value: str, catalog) -> list[str]:
    out = []
    for piece in re.split(r"[,;/+&\n]|\band\b", value):
        piece = piece.strip(" .-*\t")
        if not piece:
            continue
        lob = catalog.find_lob(piece) or lob_fact(piece, catalog)
        if lob and lob not in out:
            out.append(lob)
    return out


_REQUEST_WORDS = re.compile(
    r"\b(?:quotes?|quoting|renewal|renewing|request|requesting|looking for|needs?|wants?|seeking|applying|apply|submit|submitting|coverage|cover|line|lines|policy)\b",
    re.I,
)


def _asks_for(sentence: str) -> bool:
    return bool(_REQUEST_WORDS.search(sentence))


def _sentences(lines: list[tuple[str, Source]]):
    """Lines joined into paragraphs (a PDF wraps sentences across lines), then split into sentences, each with
    the source of the line it starts on."""
    para: list[str] = []
    src: Source | None = None

    def flush():
        text = " ".join(" ".join(para).split())
        for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])", text):
            for i in range(0, len(s), MAX_SENTENCE):
                if s[i : i + MAX_SENTENCE].strip():
                    yield s[i : i + MAX_SENTENCE], src

    for line, source in lines:
        if src is not None and source != src:
            yield from flush()
            para = []
        src = source
        para.append(line)
        if not line.strip() or re.search(r"[.!?:]\s*$", line) is None and len(line) < 40:
            yield from flush()  # a short line without a full stop ends its paragraph (a heading, a signature)
            para = []
    if para:
        yield from flush()


def _clip(text: str, limit: int = 240) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
