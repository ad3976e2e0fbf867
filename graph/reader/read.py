"""``read(text, catalog, asked)``: the one way any underwriter text becomes readings.

The tagger proposes spans; this module decides, and holds what no model is trusted with:
- a number becomes a fact only through a cue naming that fact (a noun or unit beside it, the label of its line),
  as the reply to the question just asked, or as the correction of a figure that had one;
- a phone number, ZIP code, year, street number, date or six-digit code is never a count or an amount;
- a statement that a fact is unknown removes that fact and changes nothing else (no figure in its clause counts);
- a figure after "not" that follows another figure ("9 not 6", "8M, not 6M") is the one being replaced: never read,
  and no statement that the fact is unknown;
- every fact carries the span it came from;
- any input (huge, binary-looking, mixed language) gives readings or nothing, never an exception.
"""

from __future__ import annotations

import logging
import re

from core.vocabulary import FACT_NOUNS, FACTS
from graph.reader import lexicon, tagger
from graph.reader.readings import FactReading, HowRead, Reading, Span
from graph.reader.tokens import Token, chunks, clean, tokenize
from graph.reader.values import MONEY_UNITS, NUMBER_WORDS, count, identifier, money, number

log = logging.getLogger(__name__)

FIGURES = {"REV": "annual_revenue", "PAY": "annual_payroll", "TIV": "total_insured_value", "EMP": "employees",
           "VEH": "vehicles"}  # fmt: skip
_SAME_KIND = {f: [o for o in FIGURES.values() if o != f and FACTS[o].kind == FACTS[f].kind] for f in FIGURES.values()}
_CLAUSE_END = {",", ";", ".", "?", "!", "(", ")", "|", "but", "while", "although"}
_HEADER_WORDS = re.compile(r"\b(?:fwd?|fw|re|original|message|forwarded|from|sent|subject|to|cc|date)\b|@|-{3,}", re.I)
_FACT_NOUN_RE = {
    k: re.compile(rf"\b(?:{v}|{'|'.join(sorted(lexicon.cues().get(k, ()), key=len, reverse=True)) or v})\b", re.I)
    for k, v in FACT_NOUNS.items()
}


def _groups(tokens: list[Token], labels: list[str]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for i, lab in enumerate(labels):
        if lab == "O":
            continue
        kind = lab[2:]
        if lab.startswith("I-") and out and out[-1][2] == kind and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1, kind)
        else:
            out.append((i, i + 1, kind))
    return out


def _clauses(text: str, tokens: list[Token]) -> list[tuple[int, int]]:
    """For each token, the token range of its clause: cut at punctuation, "but" and line ends (one pass)."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for j, tok in enumerate(tokens):
        newline = j > 0 and "\n" in text[tokens[j - 1].end : tok.start]
        dash = tok.text in ("-", "—", "–", "--") and j > 0 and tokens[j - 1].end < tok.start  # " - ", not "long-haul"
        if j > start and (newline or dash or tok.text.lower() in _CLAUSE_END):
            bounds.append((start, j))
            start = j
    bounds.append((start, len(tokens)))
    out: list[tuple[int, int]] = []
    for a, b in bounds:
        out += [(a, b)] * (b - a)
    return out


def _span(text: str, tokens: list[Token], a: int, b: int) -> Span:
    return Span(tokens[a].start, tokens[b - 1].end, text[tokens[a].start : tokens[b - 1].end])


def _cue(
    text: str, tokens: list[Token], a: int, b: int, fact: str, line_head: list[str], clauses: list[tuple[int, int]]
) -> Span | None:
    """The word near the figure (same clause, up to four tokens either side) or the line's label naming ``fact``."""
    words = lexicon.cues().get(fact, frozenset())
    ca, cb = clauses[a]
    # "13 beds and a van": the number's phrase ends at a conjunction or preposition; no cue is looked for past it
    right = []
    for j in range(b, min(cb, b + 4)):
        if tokens[j].text.lower() in _PHRASE_END:
            break
        right.append(j)
    for j in [*right, *range(a - 1, max(ca, a - 5) - 1, -1)]:
        lw = tokens[j].text.lower()
        if lw in words or (lw in ("value", "values") and fact == "total_insured_value"):
            return _span(text, tokens, j, j + 1)
    head = line_head[a]
    if head and head in words:
        return Span(0, 0, head)
    return None


def _line_heads(text: str, tokens: list[Token]) -> list[str]:
    """The label word of a "Label: value" line for each token ("employees" in "# Employees: 38")."""
    out = [""] * len(tokens)
    head = ""
    for i, tok in enumerate(tokens):
        if i == 0 or "\n" in text[tokens[i - 1].end : tok.start]:
            colon = next((j for j in range(i, min(len(tokens), i + 5)) if tokens[j].text in (":", "-", "=")), None)
            label = [t.text.lower() for t in tokens[i:colon] if t.kind == "word"] if colon else []
            head = label[-1] if label else ""
        out[i] = head
    return out


def read(text: object, catalog=None, asked: str | None = None) -> Reading:
    """Everything a text says, each reading with its span. ``asked``: the fact the copilot asked for just before.
    Never raises: input it cannot read gives an empty reading (logged)."""
    try:
        return _read(clean(text), catalog, asked if asked in FACTS else None)
    except Exception:  # noqa: BLE001 - the reader's promise: readings or nothing, never an exception
        log.exception("reader failed; returning no readings")
        return Reading(text=clean(text) if isinstance(text, str) else "")


def _read(text: str, catalog, asked: str | None) -> Reading:
    r = Reading(text=text)
    tokens = tokenize(text)
    if not tokens:
        return r
    feats = tagger.features(text, tokens, asked)
    labels: list[str] = []
    for a, b in chunks(text, tokens):
        labels += tagger.tag_features(feats[a:b])
    groups = _groups(tokens, labels)
    heads = _line_heads(text, tokens)
    clauses = _clauses(text, tokens)
    codes = lexicon.state_codes()

    rejected = _rejected_figures(tokens, groups)
    # unknown statements first: their clauses give no figure, and their facts are removed
    dead: set[int] = set()
    for a, b, kind in groups:
        if kind != "UNK" or a in rejected:
            continue
        ca, cb = clauses[a]
        clause = text[tokens[ca].start : tokens[cb - 1].end]
        named = [k for k, rx in _FACT_NOUN_RE.items() if rx.search(clause)]
        for fact in named or ([asked] if asked else []):
            r.unknown[fact] = _span(text, tokens, a, b)
        r.says_unknown = r.says_unknown or not named
        dead.update(range(ca, cb))

    last_figure: dict[str, FactReading] = {}
    for a, b, kind in groups:
        span = _span(text, tokens, a, b)
        if kind == "CORR":
            r.corrections.append(span)
            continue
        if any(i in dead for i in range(a, b)) or a in rejected:
            continue
        if kind in FIGURES:
            fact = FIGURES[kind]
            if any(identifier(tokens, i, codes) for i in range(a, b)):
                continue  # a phone number, ZIP, year, street number or code is never a figure
            words = [t.text for t in tokens[a:b]]
            marked = any(
                t.text.startswith("$") or re.search(r"\d(?:mm|mil|bn|[kmb])$", t.text, re.I) for t in tokens[a:b]
            ) or any(
                t.text.lower() in ("million", "thousand", "billion", "grand", "dollars", "usd") for t in tokens[a:b]
            )
            cue = _cue(text, tokens, a, b, fact, heads, clauses)
            if cue is None:
                # the tagger chose the kind of figure; the word beside it decides which one ("revenue ... 4.1M")
                for other in _SAME_KIND[fact]:
                    if other_cue := _cue(text, tokens, a, b, other, heads, clauses):
                        fact, cue = other, other_cue
                        break
            how: HowRead | None = "cue" if cue and cue.end else "label" if cue else None
            if how is None and fact == "annual_revenue" and marked and not _other_money(tokens, clauses[a]):
                # an amount with a currency sign or unit: revenue, unless the question asked was another amount
                if asked in ("annual_payroll", "total_insured_value"):
                    fact = asked
                how = "cue"
            if (
                how is None
                and asked == fact
                and not _counts_something_else(tokens, b, fact)
                and (marked or FACTS[fact].kind != "money" or _at_least(words, 1000))
            ):
                how = "reply"  # a bare "4.5" to the revenue question is not read as $4.5M: it may be anything
            if how is None and last_figure and r.corrections and 0 <= span.start - r.corrections[-1].end <= 12:
                # "12 trucks... actually 30": a bare figure right after a correction cue replaces the last figure
                fact = max(last_figure.values(), key=lambda f: f.span.start).fact
                how = "correction"
            if how is None:
                continue
            value = money(words) if FACTS[fact].kind == "money" else count(words)
            if value is None:
                continue
            reading = FactReading(fact, value, FACTS[fact].unit, span, how, cue if cue and cue.end else None)
            r.facts[fact] = last_figure[fact] = reading  # the last statement wins: a correction follows its figure
        elif kind == "NAICS":
            digits = re.sub(r"\D", "", span.text)
            if len(digits) == 6 and not any(t.kind in ("phone", "date") for t in tokens[a:b]):
                r.facts.setdefault("naics", FactReading("naics", digits, "", span, "named"))
        elif kind == "STATE":
            low = span.text.lower().strip(".")
            code = lexicon.states().get(low) or (low.upper() if low.upper() in codes else None)
            if (
                code
                and span.text.islower()
                and low in _ENGLISH_CODES
                and not _after_city(groups, a)
                and len(tokens) > 1
            ):
                code = None  # "in or out", "ok": a lower-case code that is an English word needs a city before it
            if code:
                r.facts.setdefault("state", FactReading("state", code, "", span, "named"))
        elif kind == "CITY" and r.city is None:
            r.city = FactReading("city", span.text, "", span, "named")
            j = b + 1 if b < len(tokens) and tokens[b].text == "," else b
            after = tokens[j].text if j < len(tokens) else ""
            if after.upper() in codes and (after.isupper() or lexicon.cities().get(span.text.lower()) == after.upper()):
                # "denver co": a known city and then its state's code, which the tagger may have read as "company"
                r.facts.setdefault(
                    "state", FactReading("state", after.upper(), "", _span(text, tokens, j, j + 1), "named")
                )
        elif kind == "DESC":
            r.facts.setdefault("description", FactReading("description", span.text, "", span, "named"))
        elif kind == "COMPANY" and r.company is None and not _HEADER_WORDS.search(span.text):
            r.company = FactReading("company", span.text, "", span, "named")
        elif kind == "LOB":
            code = _lob_code(span.text, catalog)
            if code:
                r.lines.append(FactReading("lob", code, "", span, "named"))
        elif kind == "CONS":
            r.facts.setdefault("construction", FactReading("construction", span.text, "", span, "named"))
    if (
        asked is not None
        and asked in FIGURES.values()
        and asked not in r.facts
        and not r.unknown
        and not r.says_unknown
    ):
        _bare_reply(r, text, tokens, asked)
    if "state" not in r.facts and (asked in (None, "state")):
        _city_and_its_state(r, text, tokens)
    if asked == "state" and "state" not in r.facts and not r.unknown and not r.says_unknown:
        _place_reply(r, text, tokens)
    if r.lines:
        r.facts["lob"] = r.lines[0]
    for fact in r.unknown:
        r.facts.pop(fact, None)
    return r


_REJECTING = {"not", "instead of", "rather than"}


def _rejected_figures(tokens: list[Token], groups: list[tuple[int, int, str]]) -> set[int]:
    """The first token of each figure a correction replaces: one right after "not" (or "instead of", "rather than"),
    with a figure before it, unless a word after it names another fact ("employees is 9 not 6", "1.1M, not 800k").
    The tagger may read "not 6" as a statement that the figure is unknown; either way the figure before it stands."""
    out: set[int] = set()
    last = ""  # the fact of the last figure
    cues = lexicon.cues()
    for a, b, kind in groups:
        if last and (kind in FIGURES or kind == "UNK"):
            start = a + 1 if kind == "UNK" and tokens[a].text.lower() == "not" else a
            before = " ".join(t.text.lower() for t in tokens[max(0, start - 2) : start])
            after_not = start > a or any(before.endswith(w) for w in _REJECTING)
            word_after = tokens[b].text.lower() if b < len(tokens) else ""
            # "12 trucks, not 5 employees" names another figure: it stands
            names_other = any(word_after in words for fact, words in cues.items() if fact != last)
            if after_not and not names_other and start < b and tokens[start].text[:1] in "$0123456789":
                out.add(a)
                continue
        if kind in FIGURES:
            last = FIGURES[kind]
    return out


_ENGLISH_CODES = {"or", "in", "me", "hi", "ok", "oh", "id", "de", "co", "pa", "ma", "la", "al", "ne", "wa", "mo", "so"}


def _after_city(groups: list[tuple[int, int, str]], a: int) -> bool:
    return any(kind == "CITY" and a - 2 <= end <= a for _, end, kind in groups)


_FILLER = {"about", "around", "roughly", "approx", "approximately", "~", "maybe", "like", "ish", "-ish", ".", "!",
           "or", "so", "give", "take", "i", "think", "est", "estimated"}  # fmt: skip


def _bare_reply(r: Reading, text: str, tokens: list[Token], asked: str) -> None:
    """A message that is only a figure ("1,251", "about 30", "$280k") answers the question asked, whatever the
    tagger said: the reply-to-the-question path of the invariant, kept in code."""
    idx = [i for i, t in enumerate(tokens) if t.text.lower() not in _FILLER]
    if not idx or idx != list(range(idx[0], idx[-1] + 1)) or len(idx) > 3:
        return
    words = [tokens[i].text for i in idx]
    if not all(tokens[i].kind == "num" or words[k].lower() in NUMBER_WORDS | MONEY_UNITS for k, i in enumerate(idx)):
        return  # "3 locations" counts something else
    if any(identifier(tokens, i, lexicon.state_codes()) for i in idx) or number(words) is None:
        return
    value = money(words) if FACTS[asked].kind == "money" else count(words)
    marked = bool(number(words)[1])  # type: ignore[index]
    if value is None or (FACTS[asked].kind == "money" and not marked and not _at_least(words, 1000)):
        return
    r.facts[asked] = FactReading(asked, value, FACTS[asked].unit, _span(text, tokens, idx[0], idx[-1] + 1), "reply")


def _city_and_its_state(r: Reading, text: str, tokens: list[Token]) -> None:
    """A known city followed by the code of the state the gazetteer puts it in ("denver co", "boise, id"): two
    independent signals agreeing, so it holds in any case, where the tagger alone may read "co" as "company"."""
    cities, codes = lexicon.cities(), lexicon.state_codes()
    for i in range(len(tokens)):
        for k in (3, 2, 1):
            if i + k >= len(tokens):
                continue
            name = " ".join(t.text.lower() for t in tokens[i : i + k])
            j = i + k + 1 if tokens[i + k].text == "," and i + k + 1 < len(tokens) else i + k
            code = tokens[j].text.upper()
            if name in cities and code in codes and cities[name] == code and tokens[j].kind == "word":
                r.facts["state"] = FactReading("state", code, "", _span(text, tokens, j, j + 1), "named")
                if r.city is None:
                    r.city = FactReading(
                        "city", _span(text, tokens, i, i + k).text, "", _span(text, tokens, i, i + k), "named"
                    )
                return


def _place_reply(r: Reading, text: str, tokens: list[Token]) -> None:
    """A reply to "Which state?" that is a place and nothing else ("denver co", "boise, id", "new mexico"): the last
    words are a state, whatever comes before them is a known city. A reply binds to the question asked."""
    words = [t for t in tokens if t.text not in (",", ".", "!")]
    states = lexicon.states()
    for k in (2, 1):
        if len(words) < k:
            continue
        tail = " ".join(t.text.lower() for t in words[-k:])
        code = states.get(tail) or (tail.upper() if k == 1 and tail.upper() in lexicon.state_codes() else None)
        head = " ".join(t.text.lower() for t in words[:-k])
        if code and (not head or head in lexicon.cities()):
            r.facts["state"] = FactReading("state", code, "", _span(text, words, len(words) - k, len(words)), "reply")
            return


_PHRASE_END = {"and", "with", "plus", "&", "for", "but", "or", "in", "at", "to", "from", "while", "including"}
_AFTER_REPLY = {"or", "so", "ish", "total", "in", "and", "but", "now", "today", "currently", "right", "roughly", "max",
                "i", "we", "they", "per", "a", "at", "last", "this", "give", "maybe", "tops", "dollars", "usd"}  # fmt: skip


def _counts_something_else(tokens: list[Token], b: int, fact: str) -> bool:
    """A number followed by a noun of its own ("3 locations", "40 seats") counts that noun, not the fact asked."""
    if b >= len(tokens) or tokens[b].kind != "word":
        return False
    low = tokens[b].text.lower()
    return low not in _AFTER_REPLY and low not in lexicon.cues().get(fact, frozenset()) and low not in MONEY_UNITS


def _other_money(tokens: list[Token], clause: tuple[int, int]) -> bool:
    """The clause names money that is not the business's: a limit, a deductible, assets managed, a job's price."""
    return any(tokens[j].text.lower() in lexicon.OTHER_MONEY for j in range(*clause))


def _at_least(words: list[str], n: int) -> bool:
    got = number(words)
    return got is not None and got[0] >= n


def _lob_code(phrase: str, catalog) -> str | None:
    key = re.sub(r"\s+", " ", phrase.lower().replace("-", " ")).strip(" .")
    code = lexicon.lob_phrases().get(key)
    if code is None and catalog is not None:
        code = catalog.find_lob(key)
    return code
