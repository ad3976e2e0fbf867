"""``read(text, catalog, asked)``: the one way any underwriter text becomes readings.

The tagger proposes spans; this module decides, and holds what no model is trusted with:
- a number becomes a fact only through a cue naming that fact (a noun or unit beside it, the label of its line),
  as the reply to the question just asked, or as the correction of a figure that had one; a number the tagger left
  unlabelled is read too when its noun stands right beside it ("9 vans", "headcount is about two hundred"),
  and a number followed by a plural noun of its own counts that noun ("6 box trucks, 14 trailers": 6 vehicles);
- a form's labelled line says what it says: "Operations: ..." is the description, whatever the tagger made of it;
- a phone number, ZIP code, year, street number, date or six-digit code is never a count or an amount;
- a statement that a fact is unknown removes that fact and changes nothing else (no figure in its clause counts);
- a figure in a clause about another party (the parent company, a sister company, the prior carrier) is not the
  applicant's: never read;
- a state code followed by ", " and another state ("LA, CA") is a city's abbreviation, not the state;
- a figure given as a bound ("under $2M", "more than 50", "at least 30") or as the figure a change started from
  ("down from 4M") is not the figure: never read; nor is an amount in a clause about the cover ("a 1M umbrella");
- "units" counts vehicles only as power, truck or tractor units (a motel's 48 units are rooms);
- a figure of a part or of a shorter time ("20 employees each", "50k a month", "12 per shift") is not the fact;
- a count said to be the total ("6 doctors, 20 staff (26 total)") replaces the part it follows;
- a figure after "not" that follows another figure ("9 not 6", "8M, not 6M") is the one being replaced: never read,
  and no statement that the fact is unknown;
- a correction that says the figure before it was another party's ("wait, that's the parent co") removes that
  figure, and a bare number later in its sentence is the applicant's; a figure given again after a reporting verb
  ("about 30? the broker said 31") replaces the rough one;
- kinds of vehicle or of staff counted one after another ("4 sedans, 2 SUVs, 1 limo") are one whole, their sum; a
  count of the whole said first stands over its kinds; one more said in words after a count ("plus a receptionist")
  is counted;
- a doubt said of the question asked, then a figure for it ("not sure, maybe 2M") is an estimate that answers it;
- a count inside brackets right after another figure is a part of that total ("Fleet: 14 (9 tractors, 5 pickups)"),
  never the fact; one more said in words before "and" is counted with it ("the owner and 5 employees": 6);
- a bare amount under 100 answering a money question is millions, as "revenue is 2.7" is; 100-999 is not read;
- a place after "in" and then a state's code ending the phrase is the state, the code in any case ("in Branson mo,");
- a description never ends on a word that leads to more ("HVAC co w/"), and a line's name alone is no description;
  a company name never spans lines (a signature block run together);
- every fact carries the span it came from;
- any input (huge, binary-looking, mixed language) gives readings or nothing, never an exception.
"""

from __future__ import annotations

import logging
import re
from functools import cache

from core.vocabulary import COUNT_FACTS, FACT_NOUNS, FACTS
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


def _with_scale(
    tokens: list[Token], labels: list[str], groups: list[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    """A figure's span takes the scale word the tagger left outside it: "11 hundred k" is 1.1M, never 1,100."""
    out = []
    for a, b, kind in groups:
        if (
            kind in FIGURES
            and b < len(tokens)
            and labels[b] == "O"
            and tokens[b].text.lower() in MONEY_UNITS
            and (tokens[b - 1].kind == "num" or tokens[b - 1].text.lower() in NUMBER_WORDS)
        ):
            b += 1
        out.append((a, b, kind))
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


def _joined(tokens: list[Token], i: int) -> bool:
    """Tokens i-1, i and i+1 are one hyphenated word: a hyphen with a word right against it on each side."""
    return (
        0 < i < len(tokens) - 1
        and tokens[i].text == "-"
        and tokens[i - 1].kind == tokens[i + 1].kind == "word"
        and tokens[i - 1].end == tokens[i].start
        and tokens[i].end == tokens[i + 1].start
    )


def _whole_words(tokens: list[Token], a: int, b: int) -> tuple[int, int]:
    """A span of tokens widened so that it neither starts nor ends inside a hyphenated word."""
    while a >= 2 and _joined(tokens, a - 1):
        a -= 2
    while b + 1 < len(tokens) and _joined(tokens, b):
        b += 2
    return a, b


def _span(text: str, tokens: list[Token], a: int, b: int) -> Span:
    return Span(tokens[a].start, tokens[b - 1].end, text[tokens[a].start : tokens[b - 1].end])


def _cue(
    text: str, tokens: list[Token], a: int, b: int, fact: str, line_head: list[str], clauses: list[tuple[int, int]]
) -> Span | None:
    """The word near the figure (same clause, up to four tokens either side) or the line's label naming ``fact``."""
    words = lexicon.cues().get(fact, frozenset())
    ca, cb = clauses[a]
    # "13 beds and a van": the number's phrase ends at a conjunction or preposition; no cue is looked for past it
    right: list[int] = []
    for j in range(b, min(cb, b + 4)):
        if tokens[j].text.lower() in _PHRASE_END or tokens[j].text in _FIELD_ENDS:
            break
        if tokens[j].text.lower() == "on" and any(tokens[i].kind == "word" for i in right):
            break  # "40 beds on staff floors": the number counted its own noun; "40 on staff" has none
        right.append(j)
    left = []  # "30 employees / $900K payroll / $3M sales": a slash or bar ends a field, its noun stays in it
    for j in range(a - 1, max(ca, a - 5) - 1, -1):
        if tokens[j].text in _FIELD_ENDS:
            break
        left.append(j)
    for j in [*right, *left]:
        lw = re.sub(r"['’]s$", "", tokens[j].text.lower())  # "payroll's about 1.8M": the noun, possessive or "is"
        if lw in ("unit", "units") and not _units_are_vehicles(tokens, j):
            continue  # "48 units" of a motel are rooms; "12 power units" are vehicles
        if lw in words or (lw in ("value", "values") and fact == "total_insured_value"):
            return _span(text, tokens, j, j + 1)
    head = line_head[a]
    if head and head in words:
        return Span(0, 0, head)
    return None


# Words that say a fact is unknown by themselves; the rest of lexicon.NOT_KNOWING ("know", "sure", "given") only
# with a negation ("don't know", "not sure", "never given").
_UNKNOWING = {"unknown", "unsure", "n/a", "na", "tbd", "unk", "dunno", "idk", "missing", "pending", "waiting", "yet",
              "check", "checking", "confirm", "confirming", "ask", "asking", "?"}  # fmt: skip
_NEGATIONS = {"no", "not", "nobody", "none", "never", "nothing", "without", "dont", "didnt", "doesnt", "cant", "wont",
              "havent", "hasnt", "isnt", "wasnt", "arent", "couldnt", "wouldnt", "aint", "nope", "neither", "nor"}  # fmt: skip
_FIELD_ENDS = {"/", "|"}
_BEING = {"is", "are", "was", "were", "has", "had", "goes", "went", "sits", "stays", "renews"}


def _line_heads(text: str, tokens: list[Token]) -> list[str]:
    """The label word of a "Label: value" line for each token ("employees" in "# Employees: 38")."""
    out = [""] * len(tokens)
    head = ""
    for i, tok in enumerate(tokens):
        if i == 0 or "\n" in text[tokens[i - 1].end : tok.start] or tokens[i - 1].text == "|":  # a field after "|"
            # "Revenue: ...", "Annual Sales ...... $3.1M": a colon, a dash or a run of dots ends the label
            colon = next(
                (
                    j
                    for j in range(i, min(len(tokens), i + 5))
                    if tokens[j].text in (":", "-", "=")
                    or tokens[j].text == "."
                    and j + 2 < len(tokens)
                    and tokens[j + 1].text == tokens[j + 2].text == "."
                ),
                None,
            )
            label = [t.text.lower() for t in tokens[i:colon] if t.kind == "word"] if colon else []
            head = label[-1] if label else ""
            if head in ("unit", "units"):  # "Power Units: 12" are vehicles; "Units: 80" of a motel are rooms
                head = "vehicles" if len(label) > 1 and label[-2] in _UNIT_KINDS else ""
        out[i] = head
    return out


def read(text: object, catalog=None, asked: str | None = None) -> Reading:
    """Everything a text says, each reading with its span. ``asked``: the fact the copilot asked for just before.
    Never raises: input it cannot read gives an empty reading (logged)."""
    try:
        whole = as_label_lines(clean(text))
        rows = table_rows(whole)
        r = _read(_plain_figures(_without(whole, rows[1:])), catalog, asked if asked in FACTS else None)
        r.text = whole
        if len(rows) == 2:
            _table_row(r, catalog, rows)
        return r
    except Exception:  # noqa: BLE001 - the reader's promise: readings or nothing, never an exception
        log.exception("reader failed; returning no readings")
        return Reading(text=clean(text) if isinstance(text, str) else "")


_GLUED_HEDGE = re.compile(r"(?<=\d)-?ish\b", re.I)


def _plain_figures(text: str) -> str:
    """A figure with a hedge glued on ("30ish mil", "40-ish") read as the figure: the hedge becomes spaces, so every
    span still points at the text as typed."""
    return _GLUED_HEDGE.sub(lambda m: " " * len(m[0]), text)


_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$")


# "Revenue (2024)        $17,500,000": a label of a few words, three or more spaces, its value
_ALIGNED = re.compile(r"^[ \t]*([A-Za-z#][\w#/&'.()-]*(?: [\w#/&'.()-]+){0,3})(?= {3,}| *\t)[ \t]+\S")


def _aligned(line: str) -> re.Match | None:
    """A label and its value set apart by spaces or one tab; not a row of a table of more cells."""
    m = _ALIGNED.match(line)
    return m if m and "|" not in line and "\t" not in line[m.end(1) :].strip() else None


def _cells(line: str) -> list[tuple[int, int]]:
    """The cells of a pasted table's row (by "|" or tabs) as (start, end) of their text; [] for any other line."""
    sep = "|" if line.count("|") >= 2 else "\t" if line.count("\t") >= 2 else None
    if sep is None:
        return []
    out, at = [], 0
    for part in line.split(sep):
        lead = len(part) - len(part.lstrip())
        if part.strip():
            out.append((at + lead, at + lead + len(part.strip())))
        at += len(part) + 1
    return out


def table_rows(text: str) -> list[tuple[int, str, list[tuple[int, int]]]]:
    """A pasted table's header row and its rows of values, each (where the line starts, the line, its cells): a row
    of three or more cells with no figure but a year, then the rows of as many cells right under it; [] if none."""
    start, rows = 0, []
    for line in text.split("\n"):
        rows.append((start, line, _cells(line)))
        start += len(line) + 1
    for i, (_, head, cells) in enumerate(rows):
        if len(cells) < 3 or any(_figure_in(head[a:b]) for a, b in cells):
            continue
        body = rows[i + 1 :]
        n = next((k for k, row in enumerate(body) if len(row[2]) != len(cells)), len(body))
        if n:
            return [rows[i], *body[:n]]
    return []


def _figure_in(cell: str) -> bool:
    return bool(re.search(r"\d", re.sub(r"(?:19|20)\d\d", "", cell)))  # a year beside a label is no figure


def _without(text: str, rows: list) -> str:
    """The text with those rows blanked, character for character: an amount in a table's cell is read under its
    column's header or not at all (a building's value is no revenue)."""
    chars = list(text)
    for start, line, _ in rows:
        chars[start : start + len(line)] = " " * len(line)
    return "".join(chars)


def _table_row(r: Reading, catalog, rows: list) -> None:
    """A pasted table of a header row and ONE row of values ("| Firm | Location | Staff | 2024 revenue |" then the
    applicant's row): each value read under its column's header, as a "label: value" line would be, its span the
    cell's. Facts the text's own reading has stand."""
    text = r.text
    (_, head, hcells), (vs, values, vcells) = rows
    lines, where = [], []
    for (ha, hb), (va, vb) in zip(hcells, vcells, strict=True):
        lines.append(f"{head[ha:hb]}: {values[va:vb]}")
        where.append((vs + va, vs + vb))
    synthetic = "\n".join(lines)
    offsets, at = [], 0
    for line, (va, vb) in zip(lines, where, strict=True):
        offsets.append((at + len(line) - (vb - va), at + len(line), va))
        at += len(line) + 1
    under = _read(synthetic, catalog, None)
    named = [] if r.lines else under.lines  # ("Line | Property": the line the row names, when the text names none)
    readings: list[tuple[str, FactReading]] = [*under.facts.items(), *(("lob", line) for line in named)]
    for fact, reading in readings:
        if fact in r.facts and not (fact == "lob" and reading in named) or fact in r.unknown:
            continue
        cell = next(((a, b, va) for a, b, va in offsets if a <= reading.span.start < b), None)
        if cell is None:
            continue  # (a value read from a header's words alone)
        a, b, va = cell
        span = Span(va, va + (b - a), text[va : va + (b - a)])
        got = FactReading(fact, reading.value, reading.unit, span, "label", span)
        if fact == "lob":
            r.lines.append(got)
        r.facts.setdefault(fact, got)


def facts_named(text: str) -> list[str]:
    """The facts a text names by their nouns, in the vocabulary's order ("what revenue did I give you?" -> revenue)."""
    return [k for k, rx in _FACT_NOUN_RE.items() if rx.search(text)]


def as_label_lines(text: str) -> str:
    """Two-cell rows of a pasted table as "label: value" lines, character for character (spans keep their place):
    "| Headcount | 240 |" and "headcount<TAB>240" read as "Headcount: 240"; a markdown table's rule line is blank.
    Rows of more cells are left as they are (a spreadsheet's row of many values has no label per value). A block of
    two or more lines whose label is set apart from its value by a run of spaces ("Location      Herkimer, NY") reads
    the same way."""
    out = []
    lines = text.split("\n")
    aligned = sum(bool(_aligned(line)) for line in lines) >= 2
    for line in lines:
        if aligned and (m := _aligned(line)):
            line = line[: m.end(1)] + ":" + line[m.end(1) + 1 :]
            out.append(line)
            continue
        if _TABLE_RULE.match(line) and "-" in line:
            out.append(" " * len(line))
            continue
        bare = line.strip()
        if bare.startswith("|") and bare.endswith("|") and bare.count("|") == 3:
            first = line.index("|")
            middle = line.index("|", first + 1)
            last = line.rindex("|")
            if line[first + 1 : middle].strip() and line[middle + 1 : last].strip():
                chars = list(line)
                chars[first], chars[middle], chars[last] = " ", ":", " "
                line = "".join(chars)
        elif line.count("\t") and len([c for c in line.split("\t") if c.strip()]) == 2:
            label = line.split("\t")[0]
            if label.strip() and len(label.split()) <= 4 and ":" not in label:
                line = line.replace("\t", ":", 1)
        out.append(line)
    return "\n".join(out)


def _read(text: str, catalog, asked: str | None) -> Reading:
    r = Reading(text=text)
    tokens = tokenize(text)
    if not tokens:
        return r
    feats = tagger.features(text, tokens, asked)
    labels: list[str] = []
    for a, b in chunks(text, tokens):
        labels += tagger.tag_features(feats[a:b])
    groups = _with_scale(tokens, labels, _groups(tokens, labels))
    heads = _line_heads(text, tokens)
    clauses = _clauses(text, tokens)
    codes = lexicon.state_codes()

    rejected = _rejected_figures(tokens, groups)
    range_ends = _range_ends(tokens)
    in_range: list[tuple[FactReading, int]] = []  # (a range's upper end as read, its lower end's token)
    # unknown statements first: their clauses give no figure, and their facts are removed
    dead: set[int] = set()
    doubted: dict[str, int] = {}  # the question asked -> where the doubt said of it without naming it ends
    for a, b, kind in groups:
        if kind != "UNK" or a in rejected or b - a > _MAX_UNKNOWN:
            continue  # a statement that nobody knows is a few words; a longer span is the tagger's runaway chain
        ca, cb = clauses[a]
        said = [t.text.lower().strip(".,!?") for t in tokens[ca:cb]]
        if not any(w in lexicon.NOT_KNOWING for w in said):
            continue  # "it does not haul freight": a "not" that says nothing of knowing
        if not any(w in _UNKNOWING or w in _NEGATIONS or w.endswith(("n't", "n’t")) for w in said):
            continue  # "I know there's a rule for that": knowing, said without a "not", is no unknown
        clause = text[tokens[ca].start : tokens[cb - 1].end]
        named = facts_named(clause)
        for fact in named or ([asked] if asked else []):
            r.unknown[fact] = _span(text, tokens, a, b)
        if not named and asked:
            doubted[asked] = cb  # "not sure": of the question asked, unless a guess follows
        r.says_unknown = r.says_unknown or not named
        dead.update(range(ca, cb))

    # a correction word the tagger left unlabelled still marks the figure after it as the one that stands
    tagged = {i for a, b, kind in groups if kind == "CORR" for i in range(a, b)}
    r.corrections += [
        _span(text, tokens, i, i + 1)
        for i, t in enumerate(tokens)
        if i not in tagged
        and t.text.lower() in CORRECTION_WORDS
        and i + 1 < len(tokens)
        and tokens[i + 1].kind == "num"
    ]
    elsewhere = _other_party_clauses(tokens, clauses, text) | _signature(text, tokens)
    last_figure: dict[str, FactReading] = {}
    years: dict[str, int] = {}  # the year each figure read so far was said for (0: none)
    lower_name: Span | None = None
    unnamed: set[int] = set()  # where the amounts read as revenue for want of any noun start
    projected: set[int] = set()  # where the amounts said of a time to come start ("projected 2M next year")
    not_written: list | None = None  # the guard's mentions of products we do not write, read at the first line named
    # the lines whose label is a line of business and that describe the business after it ("bop - nail salon, ...")
    described = {_line_of(text, tokens, da).start for da, _db, dk in groups if dk == "DESC"}
    for a, b, kind in groups:
        span = _span(text, tokens, a, b)
        if kind == "CORR":
            r.corrections.append(span)
            r.corrections.sort(key=lambda c: c.start)
            continue
        if any(i in dead for i in range(a, b)) or a in rejected:
            continue
        if kind in FIGURES:
            fact = FIGURES[kind]
            if a in elsewhere or _bound(tokens, a) or _per_part(tokens, b, clauses[a]):
                continue  # "parent company has $200M revenue": another party's figure
            if fact == "annual_revenue" and _net(tokens, a, b, clauses[a]):
                continue  # "net income of 900k": receipts are gross, a net figure is not them
            if FACTS[fact].kind == "money" and _paid_to_others(tokens, b, clauses[a]):
                continue  # "800k paid to subs": money the business pays out to others, neither its receipts nor payroll
            if fact == "annual_revenue" and _gross_billings(tokens, a, b, clauses[a]):
                continue  # "gross billings 6M": the clients' money passed through, not the agency's receipts
            if FACTS[fact].kind == "count" and _in_breakdown(tokens, a) or _part_of_figure(tokens, a):
                continue  # "22 trucks (18 tractors, 4 pickups)", "40 staff including 6 estimators": a part of a total
            if any(_identifier(tokens, i, codes) for i in range(a, b)):
                continue  # a phone number, ZIP, year, street number or code is never a figure
            words = [t.text for t in tokens[a:b]]
            marked = any(
                t.text.startswith("$") or re.search(r"\d(?:mm|mil|bn|[kmb])$", t.text, re.I) for t in tokens[a:b]
            ) or bool((number(words) or (0, False))[1])  # "2.3 mil", "two million", "$4.2mm": a money marker
            if FACTS[fact].kind == "count" and marked:
                fact = "annual_revenue"  # "$2,450,000" counts nothing: its unit makes it an amount, its cue says which
            k = b  # the noun after the number, past its modifiers ("9 seasonal guards")
            while k < min(clauses[a][1], b + 3) and tokens[k].text.lower() in _MODIFIERS:
                k += 1
            at_work = k < len(tokens) and _people_noun(tokens, k, clauses[a][1])
            # "23 coaches on payroll": people, whatever else the noun may count
            on_payroll = fact == "vehicles" and at_work and lexicon.cue_of().get(tokens[k].text.lower()) == "vehicles"
            if on_payroll:
                fact = "employees"
            if FACTS[fact].kind == "money" and not marked and at_work:
                fact = "employees"  # "2 welders on payroll": people counted, never an amount
            cue = _span(text, tokens, k, k + 1) if on_payroll else _cue(text, tokens, a, b, fact, heads, clauses)
            if fact == "vehicles" and cue is not None and _coaches_are_people(tokens, cue.text):
                fact = "employees"  # "15 coaches" of a sports academy teach; a bus line's coaches carry
            if cue is None and not marked and (staffed := _on_staff(tokens, b)) is not None:
                fact, cue = "employees", _span(text, tokens, staffed, staffed + 1)  # "140 on the payroll": people
            if cue is None:
                # the tagger chose the kind of figure; the word beside it decides which one ("revenue ... 4.1M")
                # "headcount is about two hundred forty" tagged as an amount: an unmarked figure may be any kind
                kinds = _SAME_KIND[fact] + ([f for f in FIGURES.values() if f != fact] if not marked else [])
                for other in kinds:
                    if (
                        FACTS[other].kind == "money"
                        and not marked
                        and (at_work or _counts_something_else(tokens, b, other))
                    ):
                        continue  # "2 welders on payroll", "3 stores, payroll 2M": a count of its own noun, no amount
                    if other_cue := _cue(text, tokens, a, b, other, heads, clauses):
                        fact, cue = other, other_cue
                        break
            if cue is None and fact in ("vehicles", "employees"):  # "Drivers: 12", "31 cleaners": people
                people = k if at_work else None
                if people is not None or heads[a] in lexicon.PEOPLE:
                    if "employees" in r.facts and r.facts["employees"].how != "label":
                        continue  # the headcount said with its own noun stands; people never count vehicles
                    fact = "employees"
                    cue = _span(text, tokens, people, people + 1) if people is not None else Span(0, 0, heads[a])
            if (
                cue is not None
                and cue.end
                and cue.end <= span.start
                and FACTS[fact].kind != "money"
                and b < clauses[a][1]
                and _counts_plural_noun(tokens, b, fact)
            ):
                continue  # "6 box trucks, 14 trailers": the second number counts its own noun
            if fact == "vehicles" and heads[a] in _TOWED:
                continue  # "Trailers: 22 dry vans": what a form line counts is its label's, and trailers are towed
            how: HowRead | None = "cue" if cue and cue.end else "label" if cue else None
            ca, cb = clauses[a]
            back = _sentence_start(tokens, ca)
            # an amount of a line ("Property: bldg 2.2M, BPP 750K", "$3M cyber"): the line's value, never a figure
            # (not a chat line that opens on the line asked of, then the business: "GL - tree service, 8 guys, 1.1M")
            lines_amount = marked and (
                (_lob_code(heads[a], None) is not None and _line_of(text, tokens, a).start not in described)
                or _line_after(text, tokens, b)
            )
            before = [c for c in r.corrections if c.end <= span.start]
            latest = max(last_figure.values(), key=lambda f: f.span.start).fact if last_figure else ""
            hedge = a  # "now about 2.5M": the words of an estimate between "now" and its figure
            while hedge > 1 and tokens[hedge - 1].text.lower() in _FILLER - {".", "!", "or", "so"}:
                hedge -= 1
            now = (
                hedge > 0
                and tokens[hedge - 1].text.lower() in ("now", "currently", "today")
                and clauses[a][0] >= hedge - 2
                and not _counts_something_else(tokens, b, latest)  # "12 trucks, now 3 locations"
            )
            if (
                how is None
                and not lines_amount
                and last_figure
                and (now or before and span.start - before[-1].end <= 12)
            ):
                # "12 trucks... actually 30", "80 employees in 2019, now 42": a bare figure right after a correction
                # cue or "now" replaces the last figure, before an unnamed amount is taken for revenue
                fact = max(last_figure.values(), key=lambda f: f.span.start).fact
                how = "correction"
            if (
                how is None
                and FACTS[fact].kind == "money"
                and marked
                and not _other_money(tokens, (back, cb))
                and not lines_amount
                and not _labelled_otherwise(text, span.start)
                and not _held(tokens, b)
            ):
                # an amount with a currency sign or unit and no noun naming it: revenue, unless the question asked
                # was another amount (the tagger's payroll or TIV needs the word that says so)
                fact = asked if asked in ("annual_payroll", "total_insured_value") else "annual_revenue"
                how = "cue"
                if (
                    fact in r.facts
                    and r.facts[fact].span.start not in unnamed
                    and not _year_of(tokens, a, b) >= years.get(fact, 0) > 0  # "receipts 8.1M in 2023 and 8.6M in 2024"
                ):
                    if r.facts[fact].span.start not in projected or _projected(tokens, a, b, clauses[a]):
                        continue  # "Revenue: $19M ... Prior prem $1.02M": an amount no word names never replaces a named one
                unnamed.add(span.start)
            if (
                how is None
                and asked == fact
                and not _counts_something_else(tokens, b, fact)
                and not (FACTS[fact].kind == "money" and _other_money(tokens, clauses[a]))  # "a 1M umbrella"
                and (marked or FACTS[fact].kind != "money" or _at_least(words, 1000) or _millions(words))
            ):
                how = "reply"
            if how is None and lines_amount:
                continue  # nor does it correct the figure before it
            if how is None:
                continue
            value = money(words) if FACTS[fact].kind == "money" else count(words)
            if value is None:
                continue
            reading = FactReading(fact, value, FACTS[fact].unit, span, how, cue if cue and cue.end else None)
            year = _year_of(tokens, a, b)
            if fact in r.facts and how != "correction" and 0 < year < years.get(fact, 0):
                continue  # "2024 revenue $35.2M; 2023 was $33.8M": the latest year's figure stands
            if a in range_ends:
                if range_ends[a] != a:
                    in_range.append((reading, range_ends[a]))  # "between 2 and 2.4M": its ends are no figure
                continue
            held = r.facts.get(fact)
            if held is not None and how != "correction" and _aside(text, span.start) > _aside(text, held.span.start):
                continue  # "Employees: 2 ... (separate entity, 40 staff)", "> 12 emps": an aside never replaces
            if FACTS[fact].kind == "money" and _projected(tokens, a, b, clauses[a]):
                if held is not None and held.span.start not in projected and how != "correction":
                    continue  # "1.4M this year, projecting 2M next year": a hope never replaces what was done
                projected.add(span.start)
            if fact == "employees" and _CONTRACTORS_AFTER.match(text, span.end):
                continue  # "8 on a 1099", "4 1099 contractors": independent contractors, no employees
            if fact == "employees" and _CONTRACTORS_BEFORE.search(text, max(0, span.start - 40), span.start):
                continue  # "a 1099 crew of 4", "subs it to a contract team of 6": contractors, no employees
            if held is not None and how != "correction" and _PART_AFTER.match(text, span.end):
                continue  # "9 people there (included in the 110)": a part of the figure already given
            years[fact] = year
            r.facts[fact] = last_figure[fact] = reading  # the last statement wins: a correction follows its figure
        elif kind == "NAICS":
            digits = re.sub(r"\D", "", span.text)
            if (figure := _named_figure(tokens, a)) is not None and digits.isdigit() and digits.endswith("00"):
                # "revenue is 650000": a round six-digit amount after a figure's noun is that figure (no 2022 code
                # ends in 00; any other six digits may be a code, never an amount)
                fact, cue_at = figure
                value = int(digits)
                cue = _span(text, tokens, cue_at, cue_at + 1)
                r.facts[fact] = last_figure[fact] = FactReading(fact, value, FACTS[fact].unit, span, "cue", cue)
                continue
            prev = tokens[a - 1].text.lower().strip(".#:") if a else ""
            if prev in _OTHER_NUMBERS or (a > 1 and prev == "" and tokens[a - 2].text.lower() in _OTHER_NUMBERS):
                continue  # "MC 778812", "DOT# 334512", "policy no. 447190": another register's number
            if len(digits) == 6 and not any(t.kind in ("phone", "date") for t in tokens[a:b]):
                r.facts.setdefault("naics", FactReading("naics", digits, "", span, "named"))
        elif kind == "STATE":
            low = span.text.lower().strip(".")
            code = lexicon.states().get(low) or (low.upper() if low.upper() in codes else None)
            if (
                code
                and span.text.islower()
                and low in _ENGLISH_CODES
                and not _after_city(groups, a, tokens)
                and not (a > 0 and tokens[a - 1].text.lower() in ("in", "from") and low not in ("me", "so", "or", "in"))
                and len(tokens) > 1
            ):
                code = (
                    None  # "in or out", "ok": a lower-case code that is an English word needs a city or "in" before it
                )
            if code and _state_follows(tokens, b, codes):
                code = None  # "LA, CA": the city's short name, then its state
            if code and span.text.istitle() and len(low) == 2 and b < len(tokens) and tokens[b].text[:1].isupper():
                code = None  # "Port La Belle", "Al Rossi": a word of a name, not a code (codes are in capitals)
            if code == "NE" and a > 0 and tokens[a - 1].text.lower().rstrip(".") in _STREET_WORDS:
                code = None  # "88 Elm St NE": the street's quadrant
            if code:
                r.facts.setdefault("state", FactReading("state", code, "", span, "named"))
        elif kind == "CITY" and r.city is None:
            if span.text.islower() and span.text not in lexicon.cities():
                # a place the gazetteer does not know, in lower case, is no place: the words of what they do
                lower_name = lower_name or span
                continue
            r.city = FactReading("city", span.text, "", span, "named")
            j = b + 1 if b < len(tokens) and tokens[b].text == "," else b
            after = tokens[j].text if j < len(tokens) else ""
            if after.upper() in codes and (after.isupper() or lexicon.cities().get(span.text.lower()) == after.upper()):
                # "denver co": a known city and then its state's code, which the tagger may have read as "company"
                r.facts.setdefault(
                    "state", FactReading("state", after.upper(), "", _span(text, tokens, j, j + 1), "named")
                )
        elif kind == "DESC":
            while a < b - 1 and (tokens[a].kind == "punct" or tokens[a].text.lower() in CORRECTION_WORDS):
                a += 1  # "* sign shop": a bullet is no part of it; nor "wait" of "wait, a sign shop"
            if tokens[a].text.lower() in _SUBJECTS:
                continue  # "he sold 5 of them": a sentence about someone, never what the business does
            while b < len(tokens) and b - a < 8 and tokens[b].text.lower() in _OUTFIT_NOUNS:
                b += 1  # "log" then "hauler": the word for the outfit belongs to what it does
            a, b = _whole_words(tokens, a, b)  # "Full-service restaurant", never "service restaurant"
            b = next((i for i in range(a + 1, b) if _judged_as(tokens, i)), b)  # "kennel count as small?": the question
            while b - 1 > a and tokens[b - 1].text.lower() in DANGLING | COURTESY:
                b -= 1  # "HVAC co w/", "florist pls": a description ends on what it names
            lob_only = _lob_code(_span(text, tokens, a, b).text, None) is not None  # "auto in appetite?": a line
            # "auto is placed elsewhere", "property was quoted": a sentence about a line's cover, not the business
            of_cover = (
                _lob_code(tokens[a].text, None) is not None and a + 1 < b and tokens[a + 1].text.lower() in _BEING
            )
            if (
                tokens[a].kind != "punct"
                and not lob_only
                and not of_cover
                and not (heads[a] and any(i in dead for i in _line_of(text, tokens, a)))  # "Budget: unknown, ..."
                and not _names_no_trade(t.text for t in tokens[a:b])  # "sorry, it is 40", "commercial and residential"
            ):
                span = _span(text, tokens, a, b)
                r.facts.setdefault("description", FactReading("description", span.text, "", span, "named"))
        elif kind == "COMPANY" and r.company is None and not _HEADER_WORDS.search(span.text):
            if not any(c.isupper() for c in span.text):
                # a name is written with capitals; "regional dental practice, ..." in lower case says what they do
                lower_name = lower_name or span
            elif "\n" not in span.text.strip():  # a name is on one line: lines run together are a signature block
                r.company = FactReading("company", span.text, "", span, "named")
        elif kind == "LOB":
            code = _lob_code(span.text, catalog)
            if code and not_written is None:
                not_written = _not_written(text, catalog)
            if code and any(m.start <= span.start and span.end <= m.end for m in not_written or []):
                code = None  # "liability" of "pollution liability": a word of a product we do not write
            if code:
                r.lines.append(FactReading("lob", code, "", span, "named"))
        elif kind == "CONS":
            r.facts.setdefault("construction", FactReading("construction", span.text, "", span, "named"))
    if (
        lower_name is not None
        and "description" not in r.facts
        and _lob_code(lower_name.text, None) is None
        and not _names_no_trade(lower_name.text.split())
    ):
        r.facts["description"] = FactReading("description", lower_name.text, "", lower_name, "named")
    # a span the tagger called unknown that says no such thing ("the broker said 31") hides no figure from the cue rules
    idle = {i for a, b, kind in groups if kind == "UNK" and a not in rejected and a not in dead for i in range(a, b)}
    _untagged_figures(r, text, tokens, groups, dead | elsewhere | set(range_ends), clauses, idle, doubted)
    _point_in_range(r, text, tokens, in_range)
    _restated_in_brackets(r, text, tokens, dead | elsewhere)
    _restated_after_correction(r, text, tokens, dead, elsewhere)
    _figure_after_change(r, text, tokens, dead | elsewhere)
    _fleet_list(r, text, tokens, dead | elsewhere)
    _kinds_by_line(r, text)
    _listed_kinds(r, text, tokens, dead | elsewhere)
    _totals(r, text, tokens, clauses, elsewhere)
    _one_more(r, text, tokens)
    if "naics" not in r.facts:
        _named_code(r, text, tokens)
    _labelled_description(r, text)
    if (
        asked is not None
        and asked in FIGURES.values()
        and asked not in r.facts
        and not r.unknown
        and not r.says_unknown
    ):
        _bare_reply(r, text, tokens, asked)
    _guess_after_doubt(r, text, tokens, asked, doubted)
    if "state" not in r.facts and (asked in (None, "state")):
        _city_and_its_state(r, text, tokens)
    if "state" not in r.facts and (asked in (None, "state")):
        _place_and_code(r, text, tokens)
    if asked == "state" and "state" not in r.facts and not r.unknown and not r.says_unknown:
        _place_reply(r, text, tokens)
    _full_and_part_time(r, text)
    _plus_more_heads(r, text)
    _teams_of(r, text, asked)
    if asked != "employees":  # (given as the answer to the headcount question, it is their answer)
        _practice_heads(r, text)
    if r.lines:
        r.facts["lob"] = r.lines[0]
    for fact in r.unknown:
        r.facts.pop(fact, None)
    return r


_YEAR = re.compile(r"(?:fy|'|’)?((?:19|20)\d\d|\d\d)", re.I)


def _line_of(text: str, tokens: list[Token], a: int) -> range:
    """The tokens of the line token ``a`` is on."""
    start, end = a, a + 1
    while start > 0 and "\n" not in text[tokens[start - 1].end : tokens[start].start]:
        start -= 1
    while end < len(tokens) and "\n" not in text[tokens[end - 1].end : tokens[end].start]:
        end += 1
    return range(start, end)


def _guess_after_doubt(r: Reading, text: str, tokens: list[Token], asked: str | None, doubted: dict[str, int]) -> None:
    """A doubt said of the question asked, then a figure for it ("not sure, maybe 2M", "no idea... maybe 40?"): the
    figure is the underwriter's estimate and answers the question; the doubt says only that it is rough. A doubt
    that names its fact ("no idea on payroll") is not this, nor is a figure said before the doubt."""
    if asked is None or asked not in doubted or asked not in FIGURES.values() or set(r.unknown) != {asked}:
        return
    end = doubted[asked]
    if asked not in r.facts:
        tail = tokens[end:]
        while tail and tail[0].text in (",", ";", ":", "-", "."):
            tail = tail[1:]
        while tail and tail[-1].text in ("?", "!", "."):
            tail = tail[:-1]  # "maybe 40?": the doubt again, not another word
        if not tail or any(t.kind == "word" and t.text.lower() in lexicon.NOT_KNOWING for t in tail):
            return
        _bare_reply(r, text, tail, asked)
    got = r.facts.get(asked)
    if got is not None and got.span.start >= tokens[end - 1].end:
        del r.unknown[asked]
        r.says_unknown = False


def _range_ends(tokens: list[Token]) -> dict[int, int]:
    """The numbers of a range ("between 2 and 2.4M", "2.5-2.9M", "20 to 25 employees"): each end's token -> the
    lower end's token (the lower end maps to itself)."""
    out: dict[int, int] = {}
    for i in range(len(tokens) - 2):
        lo, join, hi = tokens[i], tokens[i + 1].text.lower(), tokens[i + 2]
        if lo.kind != "num" or hi.kind != "num":
            continue
        between = i > 0 and tokens[i - 1].text.lower() == "between"
        if i > 0 and tokens[i - 1].text.lower() in ("from", "was", "went"):
            continue  # "grew from 20 to 25 employees": a change, whose end is the figure now
        dash = join in ("-", "–") and lo.end == tokens[i + 1].start and tokens[i + 1].end == hi.start  # "2.5-2.9M"
        if dash or join == "to" or join == "and" and between:
            low, high = number([lo.text]), number([hi.text])
            if low is None or high is None or low[1] and not high[1]:
                continue
            if (money([lo.text]) or 0) < (money([hi.text]) or 0) if low[1] else low[0] < high[0]:
                out[i], out[i + 2] = i, i
    return out


def _point_in_range(r: Reading, text: str, tokens: list[Token], ranges: list[tuple[FactReading, int]]) -> None:
    """A range given for a figure, then one number inside it in the same sentence ("between 2.5 and 2.9 mil, call it
    2.7", "2-2.4M, 2.2 on the app"): that number, in the range's units, is the figure. With none, a range says no
    figure (the copilot asks rather than take an end for it)."""
    for high, low_at in ranges:
        if high.fact in r.facts or high.fact in r.unknown:
            continue
        low = _in_units_of(tokens[low_at].text, high)
        after = [j for j, t in enumerate(tokens) if t.start >= high.span.end]
        for j in after[:14]:
            if tokens[j].text in ("?", "!") or "\n" in text[tokens[j - 1].end : tokens[j].start]:
                break
            if tokens[j].kind != "num" or _identifier(tokens, j, lexicon.state_codes()):
                continue
            value = _in_units_of(tokens[j].text, high)
            if value is not None and low is not None and low <= value <= int(high.value):
                span = _span(text, tokens, j, j + 1)
                r.facts[high.fact] = FactReading(high.fact, value, high.unit, span, "cue", high.cue)
            break


_EXACT = {"exactly", "exact", "actual", "actually", "precisely", "really", "officially"}


def _restated_in_brackets(r: Reading, text: str, tokens: list[Token], skip: set[int]) -> None:
    """A figure said roughly or as a bound, then the figure itself in brackets with where it comes from ("sales a
    little over 4 mil (4.2 per the P&L)", "about 40 staff (exactly 38)"): the bracket's number, in the outer figure's
    units and of its size, is the figure. A bracket of parts ("(3 vans + 6 trucks)") or of another noun is not."""
    cues = lexicon.cue_of()
    for p, tok in enumerate(tokens):
        if tok.text != "(" or p in skip:
            continue
        outer = next((q for q in range(p - 1, max(-1, p - 4), -1) if tokens[q].kind == "num"), None)
        if outer is None or outer in skip:
            continue
        start = _sentence_start(tokens, outer)
        named = [cues.get(tokens[k].text.lower()) for k in range(outer - 1, max(start, outer - 7) - 1, -1)]
        named += [cues.get(tokens[k].text.lower()) for k in range(outer + 1, p)]
        fact = next((f for f in named if f in FIGURES.values()), None)
        m = p + 1
        while m < len(tokens) and tokens[m].text.lower() in _EXACT | {"~", "about"}:
            m += 1
        if fact is None or m >= len(tokens) or tokens[m].kind != "num" or _identifier(tokens, m, lexicon.state_codes()):
            continue
        after = tokens[m + 1].text.lower() if m + 1 < len(tokens) else ""
        if after != ")" and after not in _SOURCE_OPENERS | {"on", "in", "is"}:
            continue  # "(3 vans + ...)", "(12 employees)": parts or another count, not the figure again
        if FACTS[fact].kind == "money" and re.fullmatch(r"(?:19|20)\d\d", tokens[m].text):
            continue  # "$2.2M (2023)": the year the amount is for, never the amount again in thousands
        said = [t.text for t in tokens[outer:p] if t.kind == "num" or t.text.lower() in MONEY_UNITS]
        was = money(said) if FACTS[fact].kind == "money" else count(said)
        if not was:
            continue
        guess = FactReading(fact, was, FACTS[fact].unit, _span(text, tokens, outer, p), "cue")
        value = _in_units_of(tokens[m].text, guess)
        if value is not None and 2 / 3 <= value / was <= 1.5:
            cue = r.facts[fact].cue if fact in r.facts else None
            r.facts[fact] = FactReading(fact, value, FACTS[fact].unit, _span(text, tokens, m, m + 1), "cue", cue)


def _year_of(tokens: list[Token], a: int, b: int) -> int:
    """The year a figure is said for: a year just before it in its sentence ("2024 revenue $35.2M", "FY23 sales 4M")
    or just after it ("$3.6M in 2024", "(2024)"); 0 when none is."""
    before = range(a - 1, max(-1, a - 4), -1)
    after = range(b, min(len(tokens), b + 3))
    for side, ends in ((before, (")", "/", "|")), (after, ())):
        for i in side:
            t = tokens[i].text
            if t in (".", ";", "?", "!", "\n") or t in ends:
                break  # another sentence's year, or the year of the figure before ("$2.2M (2023) / $1.9M")
            m = _YEAR.fullmatch(t)
            if m and (len(m.group(1)) == 4 or t[:1] in "fF'’"):
                year = int(m.group(1))
                return year if year > 1000 else 2000 + year
    return 0


def _named_figure(tokens: list[Token], a: int) -> tuple[str, int] | None:
    """The figure a noun names right before position ``a``, past linking words ("revenue is", "payroll:"), and where
    the noun is; None when the words before name no figure (or name a code: "NAICS", "code")."""
    k = a - 1
    while k >= 0 and tokens[k].text.lower() in _LINKS and a - k <= 3:
        k -= 1
    if k < 0:
        return None
    fact = lexicon.cue_of().get(tokens[k].text.lower())
    return (fact, k) if fact is not None and fact in FIGURES.values() else None


def _disowns(text: str, tokens: list[Token], i: int) -> bool:
    """The correction word at ``i`` opens a clause pointing back at what was just said as another party's ("no wait,
    that's the parent co", "sorry, those were the prior carrier's"): the figure before is not the applicant's. Not a
    sentence that only names another party ("actually it's owned by a parent company")."""
    return bool(_DISOWNED.match(text, tokens[i].end))


def _restated_after_correction(r: Reading, text: str, tokens: list[Token], dead: set[int], elsewhere: set[int]) -> None:
    """A correction word, then a bare number a few words on in its sentence ("wait no, the audit says 5.0"): the last
    figure said before it, said again in that figure's units, when it is of its size (a third to three times). When
    the correction says the figure before was another party's, that figure goes, and a bare number later in the
    sentence is the applicant's whatever its size ("800 staff - sorry, that's the group; this entity has 180")."""
    read = [f for f in r.facts.values() if f.fact in FIGURES.values()]
    for i, t in enumerate(tokens):
        restates = t.text.lower() in _RESTATING
        if not (restates or t.text.lower() in CORRECTION_WORDS or _corrects(tokens, i)) or i in dead:
            continue
        if restates and not _restating_figure(tokens, i):
            continue
        disowned = _disowns(text, tokens, i)
        if i in elsewhere and not disowned:
            continue
        if i + 1 < len(tokens) and tokens[i + 1].text.lower() == "than":
            continue  # "3.3 million rather than 2.8 million": the figure before it stands
        before = [f for f in read if f.span.end <= t.start]
        if not before:
            continue
        last = max(before, key=lambda f: f.span.start)
        if any(f.span.start > t.start for f in read if f.fact == last.fact):
            continue  # the figure after the correction was read with its own cue
        if disowned and r.facts.get(last.fact) is last:
            del r.facts[last.fact]
            r.corrections.append(_span(text, tokens, i, i + 1))
        for j in range(i + 1, min(len(tokens), i + (25 if disowned else 11))):
            if tokens[j].text in (".", "?", "!", "\n") or tokens[j].text == ";" and not disowned:
                break
            if tokens[j].kind != "num" or (disowned and j in elsewhere):
                continue
            said_no = t.text.lower() == "no" and j <= i + 2  # "no 9": the number after "no" is no register's
            if j in dead | elsewhere or (_identifier(tokens, j, lexicon.state_codes()) and not said_no):
                break
            if any(f.span.start <= tokens[j].start < f.span.end for f in r.facts.values() if f is not last):
                break  # read with a noun of its own ("sorry, 14 trucks"): it corrects that figure, not the last one
            value = _in_units_of(tokens[j].text, last)
            if value is not None and (disowned or 1 / 3 <= value / max(float(last.value), 1) <= 3):
                span = _span(text, tokens, j, j + 1)
                r.facts[last.fact] = FactReading(last.fact, value, last.unit, span, "correction")
                r.corrections.append(_span(text, tokens, i, i + 1))
            break


# Words that give the figure a change came to ("sold 5, so 18", "hired 3 more, now 15", "which leaves 8"), and the
# words that may stand between them and it ("so now just 18", "now it's 15", "now down to 22")
_RESULT_WORDS = {"so", "now", "leaving", "leaves"}
_TO_RESULT = {"now", "really", "actually", "just", "only", "it's", "its", "it", "is", "we're", "they're", "theyre",
              "they", "he", "she", "has", "have", "are", "at", "down", "up", "to", "that's", "thats", "them", "him",
              "her", "us", "with", "about", "around", "~", "we", "were", "left"}  # fmt: skip
# What may follow that figure: nothing, the figure's own noun, or a word of time or of what is left
_AFTER_RESULT = {"now", "total", "left", "remaining", "today", "currently", "altogether", "overall", "in", "all",
                 "after", "since"}  # fmt: skip


def _figure_after_change(r: Reading, text: str, tokens: list[Token], skip: set[int]) -> None:
    """A figure said, then what changed it and the figure it came to ("23 trucks, he sold 5 so 18 now", "12 staff,
    hired 3 more, now 15", "10 vans, which leaves 8"): a bare number after "so", "now" or "leaving" later in the
    message replaces the last figure said before it, when it is of that figure's size (a third to three times). A
    number naming its own other noun ("so 5 locations") is not it; nor is a bound ("now up to 50" is "now", then a
    bound read elsewhere only when it has a noun)."""
    read = [f for f in r.facts.values() if f.fact in FIGURES.values()]
    for i, t in enumerate(tokens):
        if t.text.lower() not in _RESULT_WORDS or i in skip:
            continue
        j = i + 1
        while j < len(tokens) and j - i <= 5 and tokens[j].text.lower() in _TO_RESULT:
            j += 1
        if j >= len(tokens) or tokens[j].kind != "num" or j in skip or _identifier(tokens, j, lexicon.state_codes()):
            continue
        if any(tokens[k].text.lower() == "up" for k in range(i + 1, j)) and t.text.lower() != "now":
            continue  # "so up to 50": a bound, not the figure
        before = [f for f in read if f.span.end <= t.start]
        if not before:
            continue
        last = max(before, key=lambda f: f.span.start)
        if r.facts.get(last.fact) is not last or any(f.span.start > t.start for f in read if f.fact == last.fact):
            continue  # the figure after it was read with its own cue
        nxt = tokens[j + 1].text.lower() if j + 1 < len(tokens) else ""
        fits = (
            not nxt
            or tokens[j + 1].kind == "punct"
            or nxt in _AFTER_RESULT
            or lexicon.cue_of().get(nxt) == last.fact
            or (FACTS[last.fact].kind == "money" and nxt in MONEY_UNITS)
        )
        if not fits:
            continue
        value = _in_units_of(tokens[j].text, last)
        if value is None or not 1 / 3 <= value / max(float(last.value), 1) <= 3:
            continue
        span = _span(text, tokens, j, j + 1)
        r.facts[last.fact] = FactReading(last.fact, value, last.unit, span, "correction")
        r.corrections.append(_span(text, tokens, i, i + 1))
        r.corrections.sort(key=lambda c: c.start)


def restated_figure(text: str, earlier: dict[str, int | float]) -> tuple[str, int] | None:
    """A message that corrects a figure of an earlier one by a bare number alone ("actually 15", "sorry, he sold some,
    it's 18 now", "my bad - 2.5M"): the one earlier figure (fact -> value) the number is of the size of (a third to
    three times), as that figure's units say it; None when no correction word opens it, when no bare number follows,
    or when the number fits no earlier figure or more than one."""
    tokens = tokenize(text)
    at = next((i for i, t in enumerate(tokens) if t.text.lower() in CORRECTION_WORDS or _corrects(tokens, i)), None)
    if at is None:
        return None
    codes = lexicon.state_codes()
    found = [
        j
        for j in range(at + 1, len(tokens))
        if tokens[j].kind == "num"
        and not (_identifier(tokens, j, codes) and not (tokens[at].text.lower() == "no" and j <= at + 2))
        and tokens[j - 1].text.lower() not in ("not", "from", "than", "of", "sold", "hired", "added", "lost")
        and not (j + 1 < len(tokens) and tokens[j + 1].text.lower() in ("of", "more", "less", "fewer", "%", "percent"))
    ]
    if not found:
        return None
    j = next((k for k in found if tokens[k - 1].text.lower() in _RESULT_WORDS | _TO_RESULT), found[0])
    fits = []
    for fact, value in earlier.items():
        if fact not in FIGURES.values() or not isinstance(value, int | float) or value <= 0:
            continue
        said = _in_units_of(tokens[j].text, FactReading(fact, int(value), FACTS[fact].unit, Span(0, 0, ""), "cue"))
        if said is not None and 1 / 3 <= said / value <= 3:
            fits.append((fact, said))
    return fits[0] if len(fits) == 1 else None


def _corrects(tokens: list[Token], i: int) -> bool:
    """Words at ``i`` that take back what was just said without a correction word of their own: "my bad", and a
    "no" between a figure's clause and a bare number ("8 employees, no 9", "2M - no, 2.5M")."""
    word = tokens[i].text.lower()
    if word == "bad":
        return i > 0 and tokens[i - 1].text.lower() == "my"
    if word != "no" or i == 0 or tokens[i - 1].kind != "punct" or tokens[i - 1].text in ("(", "#"):
        return False
    j = i + 1 + (i + 1 < len(tokens) and tokens[i + 1].text in (",", "-", "—", "..."))
    return j < len(tokens) and tokens[j].kind == "num"


# Verbs by which someone gives a figure again ("about 30? the broker said 31"): the figure they give is said again,
# more exactly, when it is bare and of the same size as the one before.
_RESTATING = {"said", "says", "told", "confirmed", "confirms", "quoted", "stated", "reported", "reports"}
_AFTER_RESTATED = {"on", "over", "in", "at", "by", "per", "from", "when", "yesterday", "today"}


def _restating_figure(tokens: list[Token], i: int) -> bool:
    """A reporting verb at ``i`` followed within three words by a bare number that nothing after it makes a count of
    something else ("said 31 on the phone", "told me it's 31"; not "said 5 of them", "said 3 trucks")."""
    for j in range(i + 1, min(len(tokens), i + 5)):
        if tokens[j].kind == "num":
            nxt = tokens[j + 1] if j + 1 < len(tokens) else None
            return nxt is None or nxt.kind == "punct" or nxt.text.lower() in _AFTER_RESTATED | MONEY_UNITS
        if tokens[j].text in (".", "?", "!", ";", ","):
            return False
    return False


def _in_units_of(word: str, last: FactReading) -> int | None:
    """A number as the figure it corrects would say it: "5.0" after "$5.3M" is 5,000,000; a count as it is."""
    if FACTS[last.fact].kind != "money":
        return count([word])
    got, was = number([word]), float(last.value)
    if got is None or got[1] or was < 1000:
        return money([word])  # "$5M", "650k": its own unit says it
    said = got[0]  # a bare "650" after "$600k" is thousands; "5.0" after "$5.3M" millions
    return round(said * min((1, 1_000, 1_000_000), key=lambda m: abs(said * m - was)))


# After a count, words saying the people counted are contractors paid on a 1099, not employees.
_CONTRACTORS_AFTER = re.compile(
    r"\s*(?:[a-z-]+\s+)?(?:(?:are|on|as|via|paid on)\s+(?:an?\s+)?)?(?:1099s?\b|independent contractors?\b|ics\b)", re.I
)
# Before a count, words saying the people counted are contractors: "a 1099 crew of 4", "subbed to a team of 6".
_CONTRACTORS_BEFORE = re.compile(
    r"\b(?:1099|independent|contract|contracted|subcontract(?:ed|or)?|sub(?:bed)?)\s+(?:[a-z-]+\s+)?"
    r"(?:crew|team|outfit|group|company|firm)\s+of\s+(?:about\s+|around\s+|~\s*)?$",
    re.I,
)
# After a count, words saying it is counted within one given before: "9 people (included in the 110)".
_PART_AFTER = re.compile(
    r"[^.;\n(]{0,30}?\(?\s*(?:already\s+)?(?:included|incl\.?|counted|part)\s+(?:in|of|within|among)\b", re.I
)
# The tax forms people are paid on: "1099 drivers" are independent contractors, never 1,099 of them.
_TAX_FORMS = {"1099", "1099s"}
_FORM_AFTER = {"guys", "people", "workers", "contractors", "subs", "drivers", "labor", "basis", "status", "staff",
               "help", "crew", "employees", "techs", "reps", "instructors", "agents", "and", "or", "only", "s"}  # fmt: skip


def _names_a_form(tokens: list[Token], i: int) -> bool:
    """The number at ``i`` is said as the form: after "a", "on", "as", "are", "via" or another form, or before the
    people paid on it ("1099 guys", "1099 contractors") with no comma or digits grouping it as a count."""
    before = tokens[i - 1].text.lower() if i > 0 else ""
    after = tokens[i + 1].text.lower() if i + 1 < len(tokens) else ""
    return before in ("a", "on", "as", "are", "is", "via", "to", "w2", "w-2", "/") or after in _FORM_AFTER


def _identifier(tokens: list[Token], i: int, codes) -> str | None:
    """``values.identifier``, except a short number after a register's word that its own count noun follows ("on
    the policy 41 emps"): a count, not the policy's number."""
    kind = identifier(tokens, i, codes)
    if kind is None and _year_behind_leader(tokens, i):
        return "year"
    if kind is None and tokens[i].text in _TAX_FORMS and _names_a_form(tokens, i):
        return "code"  # "1099 guys", "on a 1099", "W-2 and 1099 staff": the tax form, not a count
    if kind == "code" and len(tokens[i].text) < 5 and i + 1 < len(tokens):
        noun = tokens[i + 1].text.lower()
        if any(noun in lexicon.cues().get(f, ()) for f in COUNT_FACTS):
            return None
    return kind


_YEAR_LABEL = re.compile(
    r"^(?:est|estd|established|founded|since|started|opened|built|incorporated|inc|year|yr|formed|began)\.?$", re.I
)


def _year_behind_leader(tokens: list[Token], i: int) -> bool:
    """A year a form's label gives past a dotted leader ("Est. ........ 2011", "Founded: ..... 1994")."""
    t = tokens[i].text
    if tokens[i].kind != "num" or not (len(t) == 4 and t.isdigit() and 1900 <= int(t) <= 2099):
        return False
    lead = i - 1
    while lead > 0 and i - lead < 40 and tokens[lead].text in (".", ":", "…", "_"):
        lead -= 1
    return i - lead > 2 and bool(_YEAR_LABEL.match(tokens[lead].text))


_SHIFT = r"(?:full|part)[\s-]?time(?:rs?)?|[fp]/?t"
_STAFF = r"(?:\s*(?:employees|emps|ees|staff|workers|people))?"
# "12 FT, 3 PT", "FT 12  PT 2", "12 full-time and 4 part-time staff"
_HEADS = re.compile(
    rf"(?<![\w$.,])(?:(?P<n1>\d{{1,5}})\s*(?P<k1>{_SHIFT})\b(?!\s*(?:ceilings?|tall|long|wide|high|deep|x)\b){_STAFF}|\b(?P<k2>{_SHIFT}){_STAFF}\s*[:=]?\s*(?P<n2>\d{{1,5}}))(?![\w.,]*[kmb%$]\b)",
    re.I,
)


def _full_and_part_time(r: Reading, text: str) -> None:
    """Full-time and part-time heads said apart are one headcount, as the size standards count employees: their sum,
    unless a total is said with its own noun elsewhere ("40 employees (30 FT, 10 PT)")."""
    found = [(m, int(m["n1"] or m["n2"]), (m["k1"] or m["k2"]).lower()[0]) for m in _HEADS.finditer(text)]
    for i, (m, n, kind) in enumerate(found):
        other = next(
            (
                o
                for o in found[i + 1 :]
                if o[2] != kind and o[0].start() - m.end() <= 40 and "\n" not in text[m.end() : o[0].start()]
            ),
            None,
        )
        if other is None:
            continue
        have = r.facts.get("employees")
        if have is not None and not (m.start() <= have.span.start < other[0].end()):
            return  # the total is said apart from its parts
        span = Span(m.start(), other[0].end(), text[m.start() : other[0].end()])
        r.facts["employees"] = FactReading("employees", n + other[1], "employees", span, "cue", span)
        return


# "2 crews of 4", "three teams of 5 guys": groups of people, each of a size
_TEAMS_OF = re.compile(
    r"(?<![\w$.,])(\d{1,3}|two|three|four|five|six|seven|eight|nine|ten)\s+(?:crews?|teams?|squads?|groups?)\s+of\s+"
    r"(\d{1,3}|two|three|four|five|six|seven|eight|nine|ten)(?![\w.,]*[kmb%$]\b)(?!\s*(?:trucks?|vans?|vehicles?))",
    re.I,
)


def _teams_of(r: Reading, text: str, asked: str | None) -> None:
    """Groups of people each of one size ("2 crews of 4 guys") are their product in people, never one group's size;
    unless a headcount is said elsewhere with its own noun."""
    m = _TEAMS_OF.search(text)
    if m is None:
        return
    have = r.facts.get("employees")
    if have is not None and not (m.start() <= have.span.start < m.end()):
        return
    if have is None and asked not in (None, "employees") and not _people_noun_after(text, m.end()):
        return
    n, size = (count([g]) for g in m.groups())
    if not n or not size:
        return
    span = Span(m.start(), m.end(), m.group())
    r.facts["employees"] = FactReading("employees", n * size, "employees", span, "cue", span)


def _people_noun_after(text: str, at: int) -> bool:
    nxt = re.match(r"\s*([A-Za-z]+)", text[at:])
    return nxt is not None and lexicon.cue_of().get(nxt.group(1).lower()) == "employees"


# "44 guards + 4 in the office", "30 techs plus 5 admin": a second group of people added to the headcount
_PLUS_HEADS = re.compile(
    r"^(\s+[A-Za-z][\w-]*){0,2}\s*(?:\+|\bplus\b)\s*(\d{1,5})\b(?![.,]?\d|\s*(?:[kmb%$]|mil))", re.I
)


def _plus_more_heads(r: Reading, text: str) -> None:
    """People added to the headcount right after it, with "+" or "plus", make one headcount (their sum), unless the
    second number counts something else ("40 staff + 6 trucks")."""
    have = r.facts.get("employees")
    if have is None or have.how not in ("cue", "label") or "(" in text[max(0, have.span.start - 40) : have.span.start]:
        return  # (inside brackets, a part of a total said before them)
    m = _PLUS_HEADS.match(text[have.span.end :])
    if m is None:
        return
    if _CONTRACTORS_AFTER.match(text, have.span.end + m.end()):
        return  # "5 employees plus 4 1099 contractors": no more employees
    after = re.match(r"\s*([A-Za-z]+)", text[have.span.end + m.end() :])
    if after and lexicon.cue_of().get(after.group(1).lower(), "employees") != "employees":
        return
    end = have.span.end + m.end()
    span = Span(have.span.start, end, text[have.span.start : end])
    r.facts["employees"] = FactReading("employees", int(have.value) + int(m.group(2)), "employees", span, "cue", span)


# The licensed people of a practice (a law firm's attorneys, a clinic's doctors): a practice always has staff besides
# them, so their count is a part of its headcount, never the whole of it ("22 attorneys", "3 doctors").
_PRACTITIONERS = frozenset({"attorney", "lawyer", "physician", "doctor", "doc", "dentist", "optometrist", "od",
                            "veterinarian", "vet", "surgeon", "cpa", "partner", "pharmacist", "architect",
                            "chiropractor", "provider"})  # fmt: skip
# after the count: nobody else works there ("2 attorneys, no staff", "3 dentists and nobody else")
_NOBODY_ELSE = re.compile(r"^[^.;\n]{0,30}\b(?:no (?:other |support |admin |office )?(?:staff|employees|help)|nobody else"
                          r"|no one else|and that'?s (?:it|all)|only (?:staff|employees))\b", re.I)  # fmt: skip


def _practice_heads(r: Reading, text: str) -> None:
    """A headcount read only from a count of a practice's licensed people is no headcount: the staff besides them
    are not counted ("12 attorneys", "Physicians: 4"), unless the message says there is nobody else. A sum with
    the others ("3 dentists, 14 hygienists") stands."""
    have = r.facts.get("employees")
    if (
        have is None
        or have.cue is None
        or have.how not in ("cue", "label")
        or len(re.findall(r"\d+", have.span.text)) != 1
    ):
        return  # (a sum of kinds of staff counts the others too)
    noun = have.cue.text.lower().rstrip(":").strip()
    if noun.endswith("s") and noun[:-1] in _PRACTITIONERS:
        noun = noun[:-1]
    if noun not in _PRACTITIONERS or _NOBODY_ELSE.match(text[have.span.end :]):
        return
    del r.facts["employees"]


# The words that name an outfit after its trade ("log hauler", "pest company"): a description the tagger ended
# one word early takes them.
_OUTFIT_NOUNS = {"hauler", "haulers", "company", "co", "outfit", "service", "services", "contractor", "contractors",
                 "operator", "carrier", "installer", "dealer", "shop", "store", "business", "firm", "crew", "supplier",
                 "maker", "cleaner", "cleaners", "mover", "movers", "trucker", "grower", "builder", "distributor",
                 "wholesaler", "retailer", "lab", "clinic", "agency", "lender", "chain", "franchise", "operation"}  # fmt: skip
# An outfit named by nothing but these says nothing of what it does ("this carrier", "the contractor"); also read by
# the offline model's descriptions
VAGUE = {"company", "co", "outfit", "service", "services", "contractor", "contractors", "operator", "carrier",
          "business", "firm", "crew", "operation", "shop", "store", "dealer", "supplier", "chain", "franchise"}  # fmt: skip
# Words of our own trade and rules: a phrase of nothing but these ("small business under our guidelines") is the
# question, not what the business does.
_OURS = {"small", "business", "businesses", "guidelines", "guideline", "appetite", "under", "our", "us", "sba", "size",
         "standard", "standards", "rules", "rule", "eligible", "qualify", "qualifies", "risk", "account", "coverage"}  # fmt: skip
# Who a sentence is about when it opens on them: a description never does ("he sold 5", "they added a van")
_SUBJECTS = {"he", "she", "they", "we", "i", "it", "he's", "she's", "they're", "we're", "i'm", "it's"}
# Words that say a message corrects what was said before (also read by the offline model: a correction, no question)
CORRECTION_WORDS = {"actually", "correction", "sorry", "rather", "wait", "oops", "scratch", "misspoke", "typo", "meant"}
_MAX_UNKNOWN = 8  # tokens: "no idea on the vehicle count", "broker didn't say what the payroll is"
# Words a named phrase never ends on, each leading to more ("HVAC co w/", "title agency in", "roofer based"); also
# read by the offline model's descriptions
# Courtesy words a chat line ends on ("code for a florist pls"): no part of what the business does
COURTESY = frozenset({"pls", "plz", "please", "thanks", "thx", "ty", "asap", "thank", "you"})
DANGLING = frozenset({"a", "an", "the", "in", "at", "of", "for", "on", "to", "from", "with", "w", "w/", "/", "-", "and", "&",
                      "or", "by", "near", "out", "based", "located", "that", "which", "who", "incl", "including", "plus",
                      "+"})  # fmt: skip
_STREET_WORDS = {"st", "street", "ave", "avenue", "rd", "road", "blvd", "dr", "drive", "way", "hwy", "pkwy", "ln", "ct",
                 "pl", "ter", "cir"}  # fmt: skip
# Words that point at the applicant already discussed ("that same insured", "this client"): no description.
_REFERENCES = {"same", "account", "insured", "client", "applicant", "one", "this", "that", "the", "them", "it", "risk",
               "submission", "business", "company", "guy", "guys", "place", "deal", "file", "other", "another", "again", "for",
               "on", "as", "before", "above", "a", "an", "new", "-", "—", ",", "full", "whole", "entire", "package",
               "rest", "old", "older", "big", "large", "small", "local", "nice", "good", "great", "busy"}  # fmt: skip

# The people of our own trade ("the broker wants GL"): no description is made of them alone.
# Our own trade's roles and process ("when should a junior refer", "a senior's approval"): no trade; the offline
# model's names read them as stop words too (graph/offline/names.py)
ROLES = frozenset({"junior", "juniors", "senior", "seniors", "senior's"})
PROCESS_WORDS = frozenset({"refer", "referral", "referrals", "referred", "escalate", "escalation", "approval", "approve",
                           "sign-off", "signoff", "authority"})  # fmt: skip
_PARTIES = {"broker", "brokers", "agent", "agents", "agency's", "underwriter", "underwriters", "uw", "producer",
            "csr"} | ROLES  # fmt: skip
# with the words that only lead to them ("who signs off", "should it"); not stop words: "sign shop" is a trade
_PROCESS = PROCESS_WORDS | {"sign", "signs", "off", "should", "must", "need", "needs"}


def _names_no_trade(words) -> bool:
    """Words that say nothing of a trade: a correction's, a question's, our own trade's and process's, and who a
    business serves."""
    none = _REFERENCES | VAGUE | CORRECTION_WORDS | _ASKING | _PARTIES | _PROCESS | _OURS | DANGLING | _MARKETS
    return all(w.lower() in none for w in words)


# Words that ask: no description is made of them alone ("which naics for ...").
# Who a business serves, not what it does: "- commercial and residential" after its trade describes nothing alone.
_MARKETS = {"commercial", "residential", "industrial", "institutional", "municipal", "government", "public", "private",
            "retail", "wholesale", "both", "mostly", "only", "clients", "customers", "accounts", "work", "jobs"}  # fmt: skip
# What a question asks of the business, after naming it: "does a 3-bay garage count as small", "qualify as".
JUDGING = frozenset({"count", "counts", "qualify", "qualifies", "rate", "rates", "classify", "classifies"})


def _judged_as(tokens: list[Token], i: int) -> bool:
    return tokens[i].text.lower() in JUDGING and i + 1 < len(tokens) and tokens[i + 1].text.lower() == "as"


_ASKING = {"which", "what", "whats", "what's", "who", "how", "where", "when", "why", "is", "are", "does", "do", "can"}

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


# A clause naming another party: its figures are that party's ("the parent has 900 employees", "prior carrier had
# them at $300k payroll"), never the applicant's.
_OTHER_PARTY = re.compile(
    r"\b(?:parent|sister|affiliated?|holding|umbrella org(?:anization)?|competitors?|franchisor|sellers?|co\W{0,3}packers?"
    r"|(?:prior|previous|former|old) owners?|(?:prior|previous|expiring|incumbent|old|last) (?:carrier|insurer|policy|broker)"
    # one the applicant deals with, said as theirs: "their mgmt co has 40 staff", "its distributor, 300 employees"
    r"|(?:their|its|the insured's|the client's) (?:landlord|distributor|supplier|vendor|customer|client|gc"
    r"|general contractor|property manager|(?:property )?(?:mgmt|management) (?:co|company|firm)|accountant"
    r"|lender|bank)s?"
    # their biggest buyer, however it is said: "the largest customer does 300M", "one major client has 2,000 staff"
    r"|(?:the|their|its|a|one)\s+(?:of\s+(?:their|its)\s+)?(?:biggest|largest|main|major|top|key|primary|anchor)\s+"
    r"(?:customer|client|account|tenant|buyer|gc|general contractor)s?"
    # the one they work for, said by what it is: "the GC they sub for does 80M", "the hospital it serves"
    r"|(?:the|their|its|a)\s+(?:[\w-]+\s+){0,2}?(?:gc|general contractor|customer|client|company|firm|contractor"
    r"|builder|developer|hospital|chain|retailer|distributor|manufacturer|owner|carrier|shipper)s?\s+"
    r"(?:they|it|the insured|the applicant|the client)\s+(?:work|works|worked|sub|subs|subcontract|subcontracts|sell"
    r"|sells|supply|supplies|deliver|delivers|haul|hauls|serve|serves|service|services)"
    # "their biggest customer", "a main supplier", "the landlord they rent from": one they deal with, however said
    r"|(?:their|its) \w+ (?:landlord|distributor|supplier|vendor|customer|client|gc|general contractor|lender)s?"
    r"|(?:biggest|largest|main|major|top|key|anchor) (?:customers?|clients?|accounts?|tenants?|suppliers?|vendors?)"
    r"|the (?:landlord|distributor|supplier|vendor|customer|gc|general contractor|contractor|builder|developer"
    r"|hospital|school|city|county)s? (?:they|he|she|we|it) (?:\w+)"
    # another business than the applicant, or a relative's: "owner also runs another company with 40 employees"
    r"|(?:another|second|2nd|separate|bigger|larger) (?:company|business|co|firm|entity|llc|outfit|operation|corp"
    r"|location he owns)"
    r"|(?:his|her|their|the owner'?s) (?:other|old) (?:company|business|co|firm|entity|llc|outfit|operation|job)"
    # a relative's own business: "the owner's brother runs a shop with 50 guys" (not "the owner and his son run it")
    r"|(?:owner'?s|his|her|their) (?:brother|sister|wife|husband|son|daughter|dad|father|mom|mother|cousin|uncle"
    r"|friend|buddy)(?: also)? (?:runs|owns|operates|has) (?:a|an|his|her|their|another)\b"
    # the sender's own office: "our agency has 25 employees"
    r"|(?:our|my) (?:agency|brokerage|office|firm|shop|team)"
    # an investor that owns part of it, and the rest it owns: "the PE sponsor's portfolio does 2B"
    r"|(?:pe|private equity|investment|venture|vc|hedge) (?:fund|firm|sponsor|group|investor)s?(?:'s)?"
    r"|(?:fund|sponsor|investor)(?:'s)? portfolio|portfolio (?:revenue|sales|companies|cos))\b",
    re.I,
)


# After a correction word, the figure before it said to be another party's: "wait, that's the parent's count".
_DISOWNED = re.compile(
    r"\W*(?:no\W+)?(?:that|those|this|it)(?:'s|s|\s+(?:is|was|are|were))?\s+(?:(?:for|from|of)\s+)?"
    r"(?:(?:the|their|its|our|a)\s+)?" + _OTHER_PARTY.pattern,
    re.I,
)


# Where an earlier message starts inside this one: "-----Original Message-----", "On Mon, ... wrote:", "From: ..."
_EARLIER_MESSAGE = re.compile(
    r"-{2,}\s*(?:original|forwarded) message\s*-{2,}|^[ \t>]*on\b[^\n]{5,120}\bwrote:[ \t]*$|^[ \t>]*from:[ \t]",
    re.I | re.M,
)


def _aside(text: str, at: int) -> int:
    """How far aside the text at ``at`` stands: one step for each earlier message it is inside (a reply's quoted
    "-----Original Message-----", "On ... wrote:") and one more inside brackets ("(we're 8 people)", "(incl F&B
    3.2M)") or on a quoted line ("> revenue 2.9M"); 0 in the newest message's own words."""
    line_start = text.rfind("\n", 0, at) + 1
    before = text[line_start:at]
    earlier = len(_EARLIER_MESSAGE.findall(text, 0, line_start))
    return earlier + int(before.lstrip().startswith(">") or before.count("(") > before.count(")"))


# The first line of a sender's signature: a person's name, alone or before their title, firm or number.
_SIGNER = re.compile(r"^\s*(?:-+\s*)?[A-Z][a-z]+(?:[ \t]+[A-Z][a-z.]*){0,2}[ \t]*(?:$|[,|@])", re.M)
_FORM_LINE = re.compile(r"^[ \t]*[A-Za-z#][\w #/&.-]{0,25}:", re.M)


def _signature(text: str, tokens: list[Token]) -> set[int]:
    """The tokens of a sender's signature: a block after the body, opening with a person's name and holding a phone
    number or an e-mail, no form line in it ("Dana Whitfield / Peach State Risk, 45 employees / 478-555-0163"). Its
    figures are the broker's firm's, never the applicant's."""
    out: set[int] = set()
    blocks = [m for m in re.finditer(r"[^\n]+(?:\n[ \t]*\S[^\n]*)*", text) if m.group().strip()]
    for m in blocks[1:]:
        block = m.group()
        if block.count("\n") > 3 or _FORM_LINE.search(block) or not _SIGNER.match(block):
            continue
        inside = [i for i, t in enumerate(tokens) if m.start() <= t.start < m.end()]
        if any(tokens[i].kind in ("phone", "email") for i in inside):
            out.update(inside)
    return out


def _other_party_clauses(tokens: list[Token], clauses: list[tuple[int, int]], text: str = "") -> set[int]:
    """The tokens of each clause naming another party, and of each line whose label names one ("Prior carrier: X
    Mutual, 22 employees on their policy", "Parent co - 300 staff"): all of that line is about them."""
    out: set[int] = set()
    for ca, cb in set(clauses):
        if _OTHER_PARTY.search(" ".join(t.text for t in tokens[ca:cb])):
            out.update(range(ca, cb))
    for m in re.finditer(r"^[ \t]*([A-Za-z][\w '&/.-]{0,40}?)[ \t]*(?::|\.{3,}|[ \t]-[ \t])[^\n]*", text, re.M):
        if _OTHER_PARTY.fullmatch(m.group(1).strip()) or _OTHER_PARTY.match(m.group(1).strip()):
            out.update(i for i, t in enumerate(tokens) if m.start() <= t.start < m.end())
    return out


def _state_follows(tokens: list[Token], b: int, codes) -> bool:
    """The token after a comma is a state code or name: the one before was a city's short name ("LA, CA")."""
    if b + 1 >= len(tokens) or tokens[b].text != ",":
        return False
    nxt = tokens[b + 1].text
    return (nxt.isupper() and nxt in codes) or nxt.lower() in lexicon.states()


_OTHER_NUMBERS = {"mc", "dot", "usdot", "policy", "no", "number", "license", "licence", "permit", "claim", "fein", "ein",
                  "account", "acct", "ref", "quote", "invoice", "po", "suite", "unit", "ste", "lic"}  # fmt: skip
_UNIT_KINDS = {"power", "truck", "tractor", "vehicle", "fleet"}
# Words of places people live, stay or store things in: their "units" are rooms, flats or lockers, never vehicles.
_DWELLING_WORDS = {"room", "rooms", "motel", "hotel", "inn", "lodge", "apartment", "apartments", "apt", "apts", "condo",
                   "condos", "storage", "self-storage", "lockers", "residential", "dwelling", "dwellings", "beds",
                   "suites", "tenants", "tenant", "lodging", "housing", "complex", "sqft", "sf"}  # fmt: skip


def _units_are_vehicles(tokens: list[Token], j: int) -> bool:
    """ "units" at ``j`` counts vehicles: power, truck or tractor units, or a text about the auto line that names no
    place of rooms or lockers ("auto - 45 units on the schedule"); a motel's or a storage site's units are not."""
    if j > 0 and tokens[j - 1].text.lower() in _UNIT_KINDS:
        return True
    words, auto = _auto_named(tokens)
    return auto and not any(w in _DWELLING_WORDS for w in words)


_LAST_TEXT: list = [None, [], False]  # the tokens last looked at, their words, whether they name the auto line


def _auto_named(tokens: list[Token]) -> tuple[list[str], bool]:
    """The tokens' words in lower case, and whether they name the auto line; once per text (a long paste may ask
    for every figure beside "units" or "coaches")."""
    if _LAST_TEXT[0] is not tokens:
        words = [t.text.lower() for t in tokens]
        auto = any(_lob_code(" ".join(words[i : i + n]), None) == "auto" for i in range(len(words)) for n in (1, 2))
        _LAST_TEXT[:] = [tokens, words, auto]
    return _LAST_TEXT[1], _LAST_TEXT[2]


# a bound, or the figure a change started from ("down from 4M", "up from 30"): not the figure now
_BOUNDS = ("from", "vs", "vs.", "versus", "compared to", "under", "below", "less than", "fewer than", "more than", "over", "above", "at least", "at most", "up to",
           "<", ">", "<=", ">=", "no more than", "not more than", "upwards of", "north of", "south of")  # fmt: skip


def _bound(tokens: list[Token], a: int) -> bool:
    """The figure at ``a`` is said to be a bound, not a value ("revenue under $2M", "just over 50 employees")."""
    before = " ".join(t.text.lower() for t in tokens[max(0, a - 3) : a])
    return any(before == w or before.endswith(" " + w) for w in _BOUNDS)


_REVENUE_VERBS = {"doing", "does", "did", "grosses", "grossed", "grossing", "bills", "billed", "billing", "generates",
                  "generated", "brings", "bringing", "clears", "makes", "made", "turns", "turning"}  # fmt: skip
_NET = {"net", "profit", "profits", "ebitda", "margin"}


def _net(tokens: list[Token], a: int, b: int, clause: tuple[int, int]) -> bool:
    """The amount is net of something, or a profit: not the gross receipts the revenue is."""
    around = range(max(clause[0], a - 6), min(clause[1], b + 3))
    return any(tokens[j].text.lower() in _NET for j in around)


# Words that say an amount is hoped for, not done: "projected 2M next year", "budgeting 900k", "expecting 3M in 2026"
_PROJECTING = {"projected", "projecting", "projection", "projections", "forecast", "forecasted", "forecasting",
               "expected", "expecting", "expects", "anticipated", "anticipating", "anticipates", "budget", "budgeted",
               "budgeting", "proforma", "pro-forma"}  # fmt: skip


def _projected(tokens: list[Token], a: int, b: int, clause: tuple[int, int]) -> bool:
    """The amount at ``a:b`` is said in its clause to be a projection or of next year: not the receipts or the payroll
    the business has had."""
    words = [t.text.lower() for t in tokens[max(clause[0], a - 4) : min(clause[1], b + 4)]]
    pairs = set(zip(words, words[1:], strict=False))
    return bool(_PROJECTING & set(words)) or bool({("next", "year"), ("next", "yr"), ("pro", "forma")} & pairs)


# Who a business pays for work it does not do itself; "contractors" and "vendors" only after a word of paying ("3M
# to contractors" may be sales to them)
_SUBS = {"subs", "sub", "subcontractors", "subcontractor", "1099s", "1099", "1099'd", "subcontracting"}
_PAID_OUT = {"paid", "going", "goes", "went", "spent", "paying"}


def _paid_to_others(tokens: list[Token], b: int, clause: tuple[int, int]) -> bool:
    """The amount ending at ``b`` is said to go out to others right after it: "800k paid to subs", "300k to 1099
    contractors", "400k subbed out", "250k in sub costs"."""
    words = [t.text.lower() for t in tokens[b : min(clause[1], b + 5)]]
    paid = False
    for k, w in enumerate(words[:4]):
        nxt = words[k + 1] if k + 1 < len(words) else ""
        if w in _PAID_OUT:
            paid = True
        elif w in ("to", "on", "in") and (nxt in _SUBS or paid and nxt in ("contractors", "vendors", "others")):
            return True
        elif w in ("subbed", "subcontracted", "outsourced") or w in ("sub", "subcontract") and nxt in ("costs", "cost",
                                                                                                    "out"):  # fmt: skip
            return True
        elif w not in ("of", "that", "which", "is", "was", "they", "out"):
            return False
    return False


def _gross_billings(tokens: list[Token], a: int, b: int, clause: tuple[int, int]) -> bool:
    """The amount is named as gross billings (an agency's media or a broker's volume, most of it paid on to others),
    by the nearest money noun before or after it: not the receipts the revenue is. Billings alone stand ("a staffing
    firm with 8M in billings")."""
    around = range(max(clause[0], a - 4), min(clause[1], b + 3))
    words = [tokens[j].text.lower() for j in around]
    return any(w in ("billings", "billing", "billed") and k and words[k - 1] == "gross" for k, w in enumerate(words))


def _in_breakdown(tokens: list[Token], a: int) -> bool:
    """The figure at ``a`` is inside brackets opened right after another figure: a breakdown of that total."""
    for p in range(a - 1, max(-1, a - 15), -1):
        if tokens[p].text in (")", "\n"):
            return False
        if tokens[p].text == "(":
            near = [q for q in range(max(0, p - 3), p) if tokens[q].kind == "num"]
            return bool(near) and _same_count(tokens, near[-1], a) or _sums_to_before(tokens, p)
    return False


def _same_count(tokens: list[Token], outside: int, inside: int) -> bool:
    """The figure in brackets may count what the figure before them counts: not when its own noun names a figure
    the noun outside does not ("3 locations (12 employees)")."""
    noun = lambda i: lexicon.cue_of().get(tokens[i + 1].text.lower()) if i + 1 < len(tokens) else None  # noqa: E731
    return noun(inside) is None or noun(inside) == noun(outside)


def _sums_to_before(tokens: list[Token], p: int) -> bool:
    """The whole numbers in the brackets opened at ``p`` add up to a number said earlier in the same sentence: its
    parts ("6 vehicles on the schedule (2 pickups + 4 vans)")."""
    inside = []
    for t in tokens[p + 1 : p + 20]:
        if t.text in (")", "\n"):
            break
        if t.kind == "num":
            inside.append(count([t.text]))
    if len(inside) < 2 or None in inside:
        return False
    for t in reversed(tokens[max(0, p - 15) : p]):
        if t.text in (".", "?", "!", ";", "\n"):
            return False
        if t.kind == "num" and count([t.text]) == sum(inside):  # type: ignore[arg-type]
            return True
    return False


# Words that open a part of the figure just given ("40 staff including 6 estimators", "2M revenue, of which 300k online").
_PART_OPENERS = ("incl", "inc", "including", "includes", "included", "of which", "of whom", "among them", "among whom",
                 "out of which")  # fmt: skip


def _part_of_figure(tokens: list[Token], a: int) -> bool:
    """The figure at ``a`` follows "including" (or "of which", ...) right after another figure in the same sentence:
    it is a part of that figure, never the figure itself, whatever noun it carries."""
    k = a
    while k > 0 and tokens[k - 1].text.lower() in _FILLER - {".", "!"}:
        k -= 1  # "incl about 4"
    for opener in _PART_OPENERS:
        n = len(opener.split())
        if k - n < 1 or " ".join(t.text.lower().rstrip(".") for t in tokens[k - n : k]) != opener.rstrip("."):
            continue
        for j in range(k - n - 1, max(-1, k - n - 9), -1):
            if tokens[j].text in (".", "?", "!", ";", "\n"):
                return False
            if tokens[j].kind == "num" or tokens[j].text.lower() in NUMBER_WORDS - {"a", "an", "point", "and"}:
                return True
        return False
    return False


# Groups of people, not people: "runs six crews in season" says nothing of the headcount.
_TEAMS = {"crews", "teams", "shifts", "squads", "units", "groups"}


def _people_noun(tokens: list[Token], k: int, end: int) -> bool:
    """Token ``k`` names people counted one by one ("45 roofers", "12 nurses+staff"), never teams of them."""
    low = tokens[k].text.lower()
    return low not in _TEAMS and (low in lexicon.PEOPLE or _staff_noun(tokens, k, end))


# Words after a noun that say it counts people ("6 seasonal helpers working", "300 pickers on payroll").
_AT_WORK = ("working", "employed", "on staff", "on payroll", "on the payroll", "on the crew", "on the team")
_ON_PAYROLL = ("employed", "on staff", "on payroll", "on the payroll")  # never said of a vehicle


# Where a business works, counted: "3 locations and staff" counts the places
_PLACES = {"locations", "location", "stores", "store", "branches", "branch", "sites", "site", "offices", "office",
           "shops", "shop", "units", "restaurants", "clinics", "facilities", "warehouses", "yards", "plants"}  # fmt: skip


def _staff_noun(tokens: list[Token], k: int, end: int) -> bool:
    """Token ``k`` (after a number) is a noun for people at work: one joined to a word for staff ("nurses+staff",
    "welders/office", "drivers & office", "faculty and staff") or followed by words saying they work there. Never a noun that names another
    figure ("trucks working")."""
    low = tokens[k].text.lower()
    if tokens[k].kind != "word":
        return False
    if lexicon.cue_of().get(low, "employees") != "employees":
        # a noun of another figure ("coaches", "rigs") counts people only when said to be on the payroll
        return " ".join(t.text.lower() for t in tokens[k + 1 : min(end, k + 4)]).startswith(_ON_PAYROLL)
    staff = lexicon.cues()["employees"] | lexicon.PEOPLE | {"office", "admin", "staff"}
    if k + 2 < end and tokens[k + 1].text in ("/", "+", "&") and tokens[k + 2].text.lower() in staff:
        return True
    if k + 2 < end and tokens[k + 1].text.lower() == "and" and tokens[k + 2].text.lower() == "staff":
        # "85 faculty and staff"; not "3 locations and staff", nor "12 sites and staff of 40"
        return low not in _PLACES and (k + 3 >= end or tokens[k + 3].text.lower() not in ("of", "at", "in"))
    after = [t.text.lower() for t in tokens[k + 1 : min(end, k + 5)]]
    for w in _AT_WORK:
        n = len(w.split())
        if after[:n] == w.split():
            # "on staff" ends its phrase ("40 beds on staff floors" counts beds); "working" may go on ("... there")
            return not w.startswith("on ") or len(after) == n or after[n] in ("there", "now", "and", "total", "+")
    return False


# Words of carrying passengers: with one of them in the text, "coaches" are buses.
_PASSENGER_WORDS = {"bus", "buses", "motorcoach", "motorcoaches", "charter", "charters", "tour", "tours", "transit",
                    "transportation", "passenger", "passengers", "shuttle", "shuttles", "fleet", "vehicles", "drivers",
                    "driver", "coachline", "coachlines", "seats", "seated", "trips", "routes", "dot", "usdot"}  # fmt: skip


def _coaches_are_people(tokens: list[Token], noun: str) -> bool:
    """ "coaches" counts people (a team's or a gym's coaches) unless the text speaks of carrying passengers or names
    the auto line: the noun is a bus only where buses are the subject."""
    if noun.lower() not in ("coach", "coaches"):
        return False
    words, auto = _auto_named(tokens)
    return not auto and not any(w in _PASSENGER_WORDS for w in words)


def _on_staff(tokens: list[Token], b: int) -> int | None:
    """A number with no noun of its own followed by words saying who is at work ("140 on the payroll", "60 on
    staff"): where "payroll" or "staff" is, for the headcount's cue; None otherwise."""
    after = [t.text.lower() for t in tokens[b : b + 3]]
    for phrase in _ON_PAYROLL:
        words = phrase.split()
        if words[0] == "on" and after[: len(words)] == words:
            return b + len(words) - 1
    return None


_PER_YEAR = {"year", "yr", "annum", "annually", "annual"}


def _per_part(tokens: list[Token], b: int, clause: tuple[int, int]) -> bool:
    """The figure is of a part or a shorter time: "20 employees each", "15 per location", "50k a month", or some of a
    group named after it ("3 of the drivers are part-time", "2 of them leased")."""
    after = [t.text.lower() for t in tokens[b : min(clause[1], b + 4)]]
    if len(after) > 1 and after[0] == "of" and after[1] in _GROUP_LEADS:
        return True
    for k, w in enumerate(after):
        nxt = after[k + 1] if k + 1 < len(after) else ""
        if w in ("each", "apiece") or (w in ("per", "a", "every") and nxt in _PERIODS_AND_PARTS):
            return True
        if w == "per" and nxt and nxt not in _PER_YEAR and nxt not in _SOURCE_LEADS:
            return True
    return False


_GROUP_LEADS = {"the", "them", "those", "these", "their", "his", "her", "our", "its", "which", "whom"}
# After "per", the words that open where a figure comes from, not what it is counted by: a determiner or possessive
# ("per the audit", "per last year's return", "per their app"); a rate is "per" and a bare noun ("per store").
_SOURCE_LEADS = {"the", "a", "an", "last", "latest", "most", "recent", "our", "their", "his", "her", "my", "its", "your",
                 "this", "that", "broker", "agent", "insured", "owner", "app", "application", "audit", "auditor",
                 "financials", "p&l", "p", "tax", "taxes", "return", "returns", "submission", "acord", "cpa", "books"}  # fmt: skip


# Kinds of vehicle a fleet is listed by that are no fact's noun alone ("rear loaders", "roll-offs"), and what a fleet
# tows or lifts, listed beside its vehicles but never counted with them (a fleet counts power units).
_FLEET_KINDS = {"roll-offs", "rolloffs", "roll-off", "packers", "flatbeds", "dumps", "sprinters"}
_LOADER_SIDES = {"rear", "side", "front"}
_TOWED = {"trailers", "trailer", "chassis", "containers", "forklifts"}
_LIST_JOINS = {",", "and", "+", "&", "plus"}
_LIST_BREAKS = {".", "?", "!", ";", "(", ")", "|", "/", "--", "—", "–", "=", "but", "with", "incl", "including"}


_WHOLE_FLEET = {"vehicles", "vehicle", "autos", "automobiles", "fleet"}


def _asides_of_no_vehicle(tokens: list[Token]) -> set[int]:
    """The tokens of each bracketed aside on one line that names no vehicle ("(2018-2022 Kenworth T880)"), brackets
    included: a list of a fleet's kinds runs on across it."""
    out: set[int] = set()
    cues = lexicon.cue_of()
    for o, tok in enumerate(tokens):
        if tok.text != "(":
            continue
        for c in range(o + 1, min(len(tokens), o + 16)):
            if tokens[c].text in ("(", "\n") or "\n" in tokens[c].text:
                break
            if tokens[c].text == ")":
                words = [t.text.lower() for t in tokens[o + 1 : c]]
                if not any(cues.get(w) == "vehicles" or w in _FLEET_KINDS or w in _TOWED for w in words):
                    out.update(range(o, c + 1))
                break
    return out


def _fleet_kind(tokens: list[Token], seg: list[int]) -> tuple[str, int] | None:
    """A part of a list with one count in it ("10 tractors", "Trucks: 8"): what it counts ("vehicle", "towed",
    "another" fact's noun, "other") and the number's token; None for a part with no number or more than one."""
    nums = [i for i in seg if tokens[i].kind == "num"]
    if len(nums) != 1 or count([tokens[nums[0]].text]) is None:
        return None
    at = nums[0]
    after = [i for i in seg if i > at and tokens[i].kind == "word"]
    before = [i for i in seg if i < at and tokens[i].kind == "word"]
    words = [tokens[i].text.lower() for i in (after or before)]
    if not words:
        return None
    hyphened = "".join(tokens[i].text.lower() for i in range((after or before)[0], (after or before)[-1] + 1))
    noun = hyphened if hyphened in _FLEET_KINDS else words[-1]
    if noun in _TOWED:
        return "towed", at
    if noun in _WHOLE_FLEET:
        return "whole", at  # "10 vehicles, 4 vans": the count of the whole, the kinds after it its parts
    if (named := _cue_fact(noun)) is not None and named != "vehicles" or _coaches_are_people(tokens, noun):
        return "another", at  # "10 employees": no part of a fleet
    loader = noun == "loaders" and len(words) > 1 and words[-2] in _LOADER_SIDES  # "rear loaders", not "loaders"
    vehicle = (_cue_fact(noun) == "vehicles" and noun not in ("unit", "units")) or noun in _FLEET_KINDS or loader
    return ("vehicle" if vehicle else "other"), at


def _fleet_list(r: Reading, text: str, tokens: list[Token], skip: set[int]) -> None:
    """A fleet listed by kind ("10 tractors, 4 box trucks", "14 rear loaders, 8 roll-offs and 2 pickups", "Tractors
    12, trucks 8") is one count, the sum of its vehicles; what they tow is left out ("6 tractors, 12 trailers" is 6).
    A list with a count of anything unknown in it ("3 locations and 2 vans") is no fleet; another fact's count ends
    the list ("2 vans and 3 cars, 10 employees"); a list inside brackets after a total is its breakdown. It replaces
    only a vehicle count read inside it."""
    codes = lexicon.state_codes()
    runs: list[list[tuple[str, int, int, int]]] = [[]]  # (kind, the number's token, the part's start and end)
    seg: list[int] = []

    def close(joined: bool) -> None:
        got = _fleet_kind(tokens, seg) if seg else None
        if got is not None and not any(i in skip or _identifier(tokens, i, codes) for i in seg if i == got[1]):
            runs[-1].append((*got, tokens[seg[0]].start, tokens[seg[-1]].end))
        elif seg:
            runs.append([])
        if not joined:
            runs.append([])
        seg.clear()

    asides = _asides_of_no_vehicle(tokens)
    for j, tok in enumerate(tokens):
        if j in asides:
            continue  # "7 dump trucks (2018-2022 Kenworth) + 2 pickups": the aside says what they are, the list goes on
        if j and "\n" in text[tokens[j - 1].end : tok.start]:
            close(False)
        low = tok.text.lower()
        if low in _LIST_JOINS:
            close(True)
        elif low in _LIST_BREAKS or tok.text == "-" and not _joined(tokens, j):
            close(False)
        else:
            seg.append(j)
    close(False)
    for run in runs:
        parts: list[list[tuple[str, int, int, int]]] = [[]]
        for item in run:
            if item[0] == "another":
                parts.append([])
            else:
                parts[-1].append(item)
        for part in parts:
            vehicles = [at for kind, at, _, _ in part if kind == "vehicle"]
            if len(vehicles) < 2 or any(item[0] in ("other", "whole") for item in part):
                continue
            first = part[0][1]
            if _in_breakdown(tokens, first) or _part_of_figure(tokens, first):
                continue
            start, end = part[0][2], part[-1][3]
            have = r.facts.get("vehicles")
            if have is not None and not (start <= have.span.start < end):
                continue  # a count said apart from the list stands
            span = Span(start, end, text[start:end])
            total = sum(count([tokens[at].text]) or 0 for at in vehicles)
            r.facts["vehicles"] = FactReading("vehicles", total, "vehicles", span, "cue", span)


_PERIODS_AND_PARTS = {"month", "week", "day", "quarter", "shift", "location", "site", "store", "branch", "unit", "job"}
_TOTAL_WORDS = {"total", "altogether", "combined", "overall"}


def _totals(r: Reading, text: str, tokens: list[Token], clauses, elsewhere: set[int]) -> None:
    """A count said to be the total ("26 total", "26 in total", "total of 26") replaces the count read just before
    it: the parts were read, the whole is the fact."""
    codes = lexicon.state_codes()
    for i, tok in enumerate(tokens):
        if tok.kind != "num" or i in elsewhere or identifier(tokens, i, codes) or tok.text.startswith("$"):
            continue
        after = [t.text.lower() for t in tokens[i + 1 : i + 3]]
        before = [t.text.lower() for t in tokens[max(0, i - 2) : i]]
        if not (after[:1] and after[0] in _TOTAL_WORDS or after[:2] == ["in", "total"] or before == ["total", "of"]):
            continue
        parts = [f for f in r.facts.values() if FACTS[f.fact].kind == "count" and f.span.end <= tok.start
                 and tok.start - f.span.end <= 40 and f.how in ("cue", "label")]  # fmt: skip
        value = count([tok.text])
        last = max(parts, key=lambda f: f.span.end) if parts else None
        if last is not None and value is not None and value > int(last.value):  # a total is more than its part
            r.facts[last.fact] = FactReading(
                last.fact, value, last.unit, _span(text, tokens, i, i + 1), "cue", last.cue
            )
        elif last is None and value is not None and (named := _counted_before(tokens, i)) is not None:
            fact, k = named  # "mostly seasonal lifeguards, 40 total": the total of the people just named
            if fact not in r.facts and fact not in r.unknown:
                r.facts[fact] = FactReading(
                    fact, value, FACTS[fact].unit, _span(text, tokens, i, i + 1), "cue", _span(text, tokens, k, k + 1)
                )


def _counted_before(tokens: list[Token], i: int) -> tuple[str, int] | None:
    """The fact a bare total at ``i`` counts when no count of it was read: the plural noun of people or vehicles
    ending the words just before it (up to four words back, past one comma), and where that noun stands."""
    k = i - 1
    if k >= 0 and tokens[k].text in (",", "-", "\u2014", "\u2013"):
        k -= 1
    if k < 0 or tokens[k].kind != "word" or i - k > 2:
        return None
    low = tokens[k].text.lower()
    if (
        low in lexicon.PEOPLE | lexicon.STAFF_BY_TERM
        or lexicon.cue_of().get(low) == "employees"
        and low in _WHOLE["employees"]
    ):
        return "employees", k
    if lexicon.cue_of().get(low) == "vehicles" and low.endswith("s") and low not in _TOWED:
        return "vehicles", k
    return None


# What joins the kinds of one fleet or one staff listed one after another ("4 sedans, 2 SUVs and 1 limo").
_LIST_JOINS = {",", "and", "+", "&", "plus", "/"}
# The nouns of the whole: a count of these, said with no word of what kind, is all of them, never one kind of them to
# add up with others ("12 vehicles, 4 vans": 12; "6 drivers and 2 office staff": 8).
_WHOLE = {
    "vehicles": {"vehicle", "vehicles", "unit", "units", "autos", "fleet"},
    "employees": {"employees", "employee", "emps", "ees", "staff", "people", "ppl", "workers", "personnel", "ftes",
                  "headcount", "team"},
}  # fmt: skip


_TOWED = {"trailer", "trailers", "chassis"}  # towed, never driven: no vehicle of the fleet (lexicon.py)
_STAFF_KINDS = {"office", "admin", "clerical", "field", "shop", "warehouse"}  # said alone for that part of the staff


def _kind_count(tokens: list[Token], i: int, fact: str, codes) -> tuple[int, int, bool] | None:
    """A count of ``fact`` starting at ``i``: its value, the token after its noun, and whether it counts the whole
    ("12 vehicles", "40 staff") rather than one kind ("2 SUVs", "1 stretch limo", "6 drivers", "2 office staff");
    None when the number counts anything else."""
    if tokens[i].kind != "num" or tokens[i].text.startswith("$") or identifier(tokens, i, codes):
        return None
    value = count([tokens[i].text])
    for k in range(i + 1, min(len(tokens), i + 4)):
        word = tokens[k].text.lower()
        if tokens[k].kind != "word" or value is None:
            return None
        named = lexicon.cue_of().get(word) or lexicon.cue_of().get(word + "s")
        if fact == "employees" and (word in lexicon.PEOPLE or word.rstrip("s") in _ROLES):
            named = "employees"
        ends = k + 1 == len(tokens) or tokens[k + 1].kind == "punct" or tokens[k + 1].text.lower() in _LIST_JOINS
        if fact == "employees" and word in _STAFF_KINDS and ends:
            named = "employees"  # "6 drivers, 2 office": the office staff
        if fact == "vehicles" and word in _TOWED:
            return 0, k + 1, False  # "6 tractors, 4 trailers, 2 vans": in the list, counting no vehicle
        if named == fact or word in _WHOLE[fact]:
            # "24 total staff", "30 staff": the whole, a word saying so between the number and its noun or none
            said_whole = all(tokens[m].text.lower() in _TOTAL_WORDS for m in range(i + 1, k))
            return value, k + 1, word in _WHOLE[fact] and said_whole
        if named is not None:
            return None
    return None


def _listed_kinds(r: Reading, text: str, tokens: list[Token], skip: set[int]) -> None:
    """Kinds of vehicle, or of staff, counted one after another in one phrase ("Fleet: 4 sedans, 2 SUVs, 1 limo",
    "3 pickups and 2 box trucks", "6 drivers and 2 office staff") are one whole: the fact is their sum, never the last
    kind read; a count of the whole said first ("12 vehicles, 4 vans") stands over the kinds after it. Not in
    brackets after a total (a breakdown of it), nor when a count is another party's."""
    codes = lexicon.state_codes()
    for fact in ("vehicles", "employees"):
        got = r.facts.get(fact)
        if got is None or got.how not in ("cue", "label"):
            continue
        counts = {i: c for i in range(len(tokens)) if (c := _kind_count(tokens, i, fact, codes)) is not None}
        at = next((i for i, t in enumerate(tokens) if t.start == got.span.start), None)
        if at not in counts or counts[at][2] or _in_breakdown(tokens, at) or _part_of_figure(tokens, at):
            continue
        run = [at]
        while True:  # back over the counts said before it, each joined to the next
            j = run[0] - 1
            while j >= 0 and tokens[j].text.lower() in _LIST_JOINS:
                j -= 1
            start = next((i for i, c in counts.items() if c[1] == j + 1), None)
            if start is None or j + 1 == run[0]:
                break
            run.insert(0, start)
        while not counts[run[-1]][2]:  # on over the kinds said after it
            j = counts[run[-1]][1]
            if j >= len(tokens) or tokens[j].text.lower() not in _LIST_JOINS:
                break
            while j < len(tokens) and tokens[j].text.lower() in _LIST_JOINS:
                j += 1
            if j not in counts or counts[j][2]:
                break
            run.append(j)
        whole = [i for i in run if counts[i][2]]
        if whole:
            run = [whole[-1]]  # the whole, said before its kinds
        if (len(run) < 2 and not whole) or any(i in skip for i in run):
            continue
        start, end = tokens[run[0]].start, tokens[counts[run[-1]][1] - 1].end
        total = sum(counts[i][0] for i in run)
        r.facts[fact] = FactReading(fact, total, got.unit, Span(start, end, text[start:end]), got.how, got.cue)


_KIND_LINE = re.compile(r"^[ \t*-]*([A-Za-z][A-Za-z -]{0,30}?)[ \t]*[:|][ \t]*(\d{1,4})[ \t]*$", re.M)


_COUNT_FIRST_LINE = re.compile(
    r"^[ \t|]*(\d{1,4})[ \t]*\|[ \t]*([A-Za-z][A-Za-z -]{0,30}?)[ \t|]*$", re.M
)  # "8 | trucks"


def _kinds_by_line(r: Reading, text: str) -> None:
    """Kinds of vehicle counted one to a form line ("Tractors: 10 / Trailers: 24 / Service trucks: 2"): the fleet is
    the sum of those in one block of lines, trailers counting none, never from one line alone; a line counting the
    whole ("Vehicles: 12", "Power units: 12") stands over them."""
    cues = lexicon.cue_of()
    runs: list[list[tuple[int, int, int]]] = []  # (start, end, count) of the kind lines, one run per block
    whole: tuple[int, int, int] | None = None
    lines = [(m.start(), m.start(2), m.end(2), m[1], int(m[2])) for m in _KIND_LINE.finditer(text)]
    lines += [(m.start(), m.start(1), m.end(1), m[2], int(m[1])) for m in _COUNT_FIRST_LINE.finditer(text)]
    for at, a, b, label, n in sorted(lines):
        words = label.lower().split()
        head = words[-1]
        if head in _WHOLE["vehicles"] or (head in ("unit", "units") and len(words) > 1 and words[-2] in _UNIT_KINDS):
            whole = whole or (a, b, n)
            continue
        if head in _TOWED:
            value = 0
        elif cues.get(head) == "vehicles" and head not in ("unit", "units"):
            value = n
        else:
            continue
        if runs and not re.search(r"\n[ \t]*\n", text[runs[-1][-1][1] : at]):
            runs[-1].append((a, b, value))
        else:
            runs.append([(a, b, value)])
    run = max(runs, key=lambda x: sum(1 for *_, v in x if v), default=[])
    if "vehicles" in r.unknown or not run:
        return
    got = r.facts.get("vehicles")
    if whole is not None:
        if got is not None and any(a <= got.span.start < b for a, b, _ in run):  # a kind's line read over the whole
            r.facts["vehicles"] = FactReading(
                "vehicles", whole[2], got.unit, Span(whole[0], whole[1], text[whole[0] : whole[1]]), "cue"
            )
        return
    if sum(1 for *_, v in run if v) < 2:
        return
    start, end = run[0][0], run[-1][1]
    r.facts["vehicles"] = FactReading("vehicles", sum(v for *_, v in run), FACTS["vehicles"].unit,
                                      Span(start, end, text[start:end]), "cue")  # fmt: skip


# One person named by their role ("the owner", "a super"), counted with the figure after them.
_ROLES = {"owner", "owners", "manager", "super", "superintendent", "supervisor", "foreman", "bookkeeper", "receptionist",
          "driver", "partner", "principal", "dispatcher", "gm", "president", "founder", "admin", "secretary",
          "estimator", "mechanic", "chef", "cook", "nurse", "dentist", "doctor", "vet", "pharmacist", "officer"}  # fmt: skip


def _one_more(r: Reading, text: str, tokens: list[Token]) -> None:
    """A count joined by "and" to one more of its kind said in words ("the owner and 3 employees", "a van and 4
    trucks", "9 stylists plus a receptionist") counts that one too: the fact is the whole, never the part beside
    "and"."""
    starts = {t.start: i for i, t in enumerate(tokens)}
    codes = lexicon.state_codes()
    for fact, got in list(r.facts.items()):
        a = starts.get(got.span.start)
        if FACTS[fact].kind != "count" or a is None or got.how not in ("cue", "label", "reply"):
            continue
        one = lexicon.cues().get(fact, frozenset()) | (_ROLES | lexicon.PEOPLE if fact == "employees" else set())
        if (end := _one_after(tokens, a, fact, one, codes)) is not None:
            span = Span(got.span.start, end, text[got.span.start : end])
            r.facts[fact] = FactReading(fact, int(got.value) + 1, got.unit, span, got.how, got.cue)
            continue
        if a < 2 or tokens[a - 1].text.lower() not in ("and", "plus", "+"):
            continue
        for k in (1, 2, 3):  # "a foreman and", "the office manager and"; "owner plus 3" opening its phrase
            head = [t.text.lower() for t in tokens[a - 1 - k : a - 1]] if a - 1 - k >= 0 else []
            opens = k == 1 and (a - 2 == 0 or tokens[a - 3].kind == "punct") and head and head[0] in _ROLES
            if head and (opens or head[0] in ("a", "an", "one", "the")) and {head[-1], head[-1] + "s"} & one:
                start = tokens[a - 1 - k].start
                span = Span(start, got.span.end, text[start : got.span.end])
                r.facts[fact] = FactReading(fact, int(got.value) + 1, got.unit, span, got.how, got.cue)
                break


def _one_after(tokens: list[Token], a: int, fact: str, one: frozenset[str] | set[str], codes) -> int | None:
    """Where "plus a receptionist" (or "and one office manager", "and a van") ends, said right after the count at
    ``a`` and its noun, ending the phrase; None when no one more of its kind follows."""
    counted = _kind_count(tokens, a, fact, codes) if fact in _WHOLE else None
    if counted is None:
        return None
    b = counted[1]
    tail = [t.text.lower() for t in tokens[b : b + 5]]
    for k in (3, 4):
        if (
            len(tail) >= k
            and tail[0] in ("and", "plus", "+")
            and tail[1] in ("a", "an", "one")
            and {tail[k - 1], tail[k - 1] + "s"} & one
            and (b + k == len(tokens) or tokens[b + k].kind == "punct")
        ):
            return tokens[b + k - 1].end
    return None


_ENGLISH_CODES = {"or", "in", "me", "hi", "ok", "oh", "id", "de", "co", "pa", "ma", "la", "al", "ne", "wa", "mo", "so"}


def _after_city(groups: list[tuple[int, int, str]], a: int, tokens: list[Token]) -> bool:
    """A city ends just before ``a``: one the gazetteer knows or written with a capital ("roofing co" is no place)."""
    return any(
        kind == "CITY"
        and a - 2 <= end <= a
        and (
            " ".join(t.text.lower() for t in tokens[start:end]) in lexicon.cities() or tokens[start].text[:1].isupper()
        )
        for start, end, kind in groups
    )


_FILLER = {"about", "around", "roughly", "approx", "approximately", "~", "maybe", "like", "ish", "-ish", ".", "!",
           "or", "so", "give", "take", "i", "think", "est", "estimated", "uh", "um", "umm", "er", "hmm"}  # fmt: skip


def _bare_reply(r: Reading, text: str, tokens: list[Token], asked: str) -> None:
    """A message that is only a figure ("1,251", "about 30", "$280k") answers the question asked, whatever the
    tagger said: the reply-to-the-question path of the invariant, kept in code."""
    idx = [i for i, t in enumerate(tokens) if t.text.lower() not in _FILLER]
    idx = idx[: _source_at(tokens, idx)]  # "140 per the loss control report": where it comes from is no part of it
    named = _names_the_fact(tokens, idx, asked)  # "800,000 top line" after the revenue question: the fact's own noun
    idx = [i for i in idx if i not in named]
    if not idx or idx != list(range(idx[0], idx[-1] + 1)) or len(idx) > 3:
        return
    words = [tokens[i].text for i in idx]
    if not all(tokens[i].kind == "num" or words[k].lower() in NUMBER_WORDS | MONEY_UNITS for k, i in enumerate(idx)):
        return  # "3 locations" counts something else
    if any(identifier(tokens, i, lexicon.state_codes()) for i in idx) or number(words) is None:
        return
    value = money(words) if FACTS[asked].kind == "money" else count(words)
    marked = bool(number(words)[1])  # type: ignore[index]
    if value is None or (
        FACTS[asked].kind == "money" and not marked and not _at_least(words, 1000) and not _millions(words)
    ):
        return
    r.facts[asked] = FactReading(asked, value, FACTS[asked].unit, _span(text, tokens, idx[0], idx[-1] + 1), "reply")


# Words that open where a figure comes from ("per the audit", "according to the broker", "from the P&L").
_SOURCE_OPENERS = {"per", "according", "from", "based", "via"}


def _source_at(tokens: list[Token], idx: list[int]) -> int:
    """The position in ``idx`` where a reply's figure is followed by its source and nothing more of a figure."""
    for n, i in enumerate(idx):
        if n and tokens[i].text.lower() in _SOURCE_OPENERS and tokens[idx[n - 1]].kind == "num":
            if not any(tokens[j].kind == "num" for j in idx[n:]):
                return n
    return len(idx)


def _names_the_fact(tokens: list[Token], idx: list[int], asked: str) -> set[int]:
    """The trailing words of a reply that are only the asked fact's own noun ("top line", "employees")."""
    nouns = FACTS[asked].nouns
    for start in range(len(idx)):
        tail = idx[start:]
        if nouns and re.fullmatch(rf"(?:{nouns})", " ".join(tokens[i].text.lower() for i in tail)):
            return set(tail) if start else set()
    return set()


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


_AT = {"in", "near", "outside", "from", "around"}
_PLACE_END = {",", ".", "?", "!", ";", ")", "-", "—", "|"}


def _place_and_code(r: Reading, text: str, tokens: list[Token]) -> None:
    """ "in Branson mo, ...", "outside Tacoma wa.": a place after "in" (capitalised as typed, or a known city) and then a
    state's code that ends the phrase. The code in any case: the place before it and the phrase's end say it is one,
    where a lone lower-case "mo" or "or" is a word."""
    codes, cities = lexicon.state_codes(), lexicon.cities()
    for i in range(len(tokens) - 2):
        if tokens[i].text.lower() not in _AT:
            continue
        for k in (1, 2):
            j = i + 1 + k  # the code's token
            if j >= len(tokens):
                break
            place = tokens[i + 1 : j]
            name = " ".join(t.text.lower() for t in place)
            if not all(t.kind == "word" for t in place) or not (place[0].text[:1].isupper() or name in cities):
                continue
            code, after = tokens[j], tokens[j + 1].text if j + 1 < len(tokens) else "."
            newline = j + 1 < len(tokens) and "\n" in text[code.end : tokens[j + 1].start]
            if code.kind == "word" and code.text.upper() in codes and (after in _PLACE_END or newline):
                r.facts["state"] = FactReading("state", code.text.upper(), "", _span(text, tokens, j, j + 1), "named")
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


def _counts_plural_noun(tokens: list[Token], b: int, fact: str) -> bool:
    """The number is followed by a plural noun of its own ("34 trailers", "3 locations"), not its fact's."""
    if b >= len(tokens) or tokens[b].kind != "word":
        return False
    low = tokens[b].text.lower()
    if b + 1 < len(tokens) and tokens[b + 1].text == ":":
        return False  # "Full-time employees: 23   Trucks: 4": the next field's label, not this number's noun
    return (
        len(low) > 3
        and low.endswith("s")
        and low not in lexicon.cues().get(fact, frozenset())
        and low not in _AFTER_REPLY | _MODIFIERS
    )


# Labels of a form line that name no figure of the applicant by themselves: their line's amount may still be revenue.
_OPEN_LABELS = {"", "subject", "re", "fw", "fwd", "note", "notes", "comment", "comments", "details", "detail", "info",
                "description", "ops", "operations", "business", "summary", "remarks", "fyi", "question", "q", "size",
                "about", "overview", "financials", "annual", "gross", "est", "estimated", "approx", "total"}  # fmt: skip


_COLON_LABEL = re.compile(r"[ \t>*-]*([A-Za-z#][\w #/&.'-]{0,30}?)[ \t]*:(?!\d)")


def _labelled_otherwise(text: str, at: int) -> bool:
    """The figure at ``at`` is on a form line whose label ("Label: value") names something that is no figure of ours
    ("Subcontracted cost: $650,000", "Bldg: $1.4M", "Prior prem: $88,200"): its amount is that thing's, never revenue
    for want of a noun."""
    line_start = text.rfind("\n", 0, at) + 1
    m = _COLON_LABEL.match(text, line_start)
    if m is None or m.end() > at:
        return False
    head = (re.findall(r"[A-Za-z#]+", m[1]) or [""])[-1].lower()
    return head not in _OPEN_LABELS and lexicon.cue_of().get(head) is None and head not in _cue_variants()


# What a business owns or owes, said as "2M in equipment", "400k of inventory": money held, never money taken in
_HELD = {"equipment", "inventory", "stock", "contents", "tools", "machinery", "vehicles", "trucks", "assets", "debt",
         "receivables", "backlog", "cash", "savings", "reserves", "buildings", "building", "property", "real", "gear",
         "stuff", "materials", "improvements", "renovations", "upgrades"}  # fmt: skip


def _held(tokens: list[Token], b: int) -> bool:
    """The amount ending before ``b`` is followed by what it is in or of, and that is something held: "2M in
    equipment", "500k of their inventory"."""
    if b >= len(tokens) or tokens[b].text.lower() not in ("in", "of"):
        return False
    k = b + 1
    while k < len(tokens) and k - b <= 3 and tokens[k].text.lower() in ("the", "their", "its", "his", "her", "new"):
        k += 1
    return k < len(tokens) and tokens[k].text.lower() in _HELD


def _other_money(tokens: list[Token], clause: tuple[int, int]) -> bool:
    """The clause names money that is not the business's: a limit, a deductible, assets managed, a job's price."""
    return any(tokens[j].text.lower() in lexicon.OTHER_MONEY | _COVER for j in range(*clause))


@cache
def _cue_variants() -> dict[str, str]:
    """What a cue word becomes when typed short or with a letter dropped ("empl", "employe", "revnue"): each such
    form of a cue of six letters or more, when it names one fact only and is no cue or word of another."""
    cues = lexicon.cue_of()
    seen: dict[str, set[str]] = {}
    for word, fact in cues.items():
        if len(word) < 6:
            continue
        forms = {word[:i] + word[i + 1 :] for i in range(len(word))} | {word[:n] for n in range(4, len(word))}
        for form in forms - cues.keys():
            seen.setdefault(form, set()).add(fact)
    return {form: facts.pop() for form, facts in seen.items() if len(facts) == 1}


def _cue_fact(word: str) -> str | None:
    """The fact a word after a number names: a cue, or a cue typed short or with a letter dropped."""
    return lexicon.cue_of().get(word) or _cue_variants().get(word)


def _not_written(text: str, catalog) -> list:
    """The mentions of products we do not write (the guard's reading), none without a catalog."""
    if catalog is None:
        return []
    from tools.guard import find_mentions  # the guard's one reading of product words; imported when first needed

    return find_mentions(text, catalog)


def _sentence_start(tokens: list[Token], ca: int) -> int:
    """Where the sentence of a clause starting at ``ca`` starts, at most ten tokens back: a limit or deductible named
    before the clause is the amount's ("higher limits, like 5M?", "is the ded the usual one (10k)")."""
    back = ca
    while back > max(0, ca - 10) and not {tokens[back - 1].text, tokens[back].text} & {".", "?", "!"}:
        back -= 1
    return back


def _line_after(text: str, tokens: list[Token], b: int) -> bool:
    """An amount right before the name of a line on the same line of text ("asks for $3M cyber", "a 2M GL"): that
    line's limit, not a figure ("$3.1M" then "Property: ..." on the next line is no property limit)."""
    if b >= len(tokens) or (b > 0 and "\n" in text[tokens[b - 1].end : tokens[b].start]):
        return False
    if tokens[b].kind == "punct":
        return False  # "payroll 5.3M. WC ok?": the sentence ends with the amount; the line begins the next
    return any(_lob_code(" ".join(t.text for t in tokens[b : b + n]), None) for n in (1, 2, 3) if b + n <= len(tokens))


# Words of the cover asked for, not of the business (kept here: the tagger's features use lexicon.OTHER_MONEY).
_COVER = {"umbrella", "excess", "coverage", "cover", "policy", "csl", "tower", "layer", "sublimit",
          "prem", "prems", "cost", "costs", "fund", "incurred", "spend", "spent", "paid", "bought", "purchased",
          "purchase", "acquired", "acquisition"}  # fmt: skip
# (the last: money paid out or held, never the business's receipts: "expiring prem $12k", "a fire that cost $85k")


def _millions(words: list[str]) -> bool:
    """A bare amount under 100 ("2.7", "12") answering a money question is millions, as "revenue is 2.7" is; one of
    100-999 may be thousands or millions and is not read."""
    got = number(words)
    return got is not None and not got[1] and 0 < got[0] < 100


def _at_least(words: list[str], n: int) -> bool:
    got = number(words)
    return got is not None and got[0] >= n


def _lob_code(phrase: str, catalog) -> str | None:
    key = re.sub(r"\s+", " ", phrase.lower().replace("-", " ")).strip(" .")
    code = lexicon.lob_phrases().get(key)
    if code is None and catalog is not None:
        code = catalog.find_lob(key)
    return code


# Between a number and the noun that names it: "38 full-time employees", "revenue is about 4.1M", "Fleet: 12".
_MODIFIERS = {"full", "part", "time", "-", "ft", "pt", "field", "office", "seasonal", "total", "w2", "w-2", "union",
              "permanent", "active", "owned", "company", "power", "more"}  # fmt: skip
_LINKS = {"is", "of", ":", "=", "-", "about", "around", "approx", "approximately", "roughly", "~", "at", "was", "are",
          "count", "total", "nearly", "over", "just", "under", "currently", "now", "size", "#", "last", "year", "yr",
          "annual", "annually", "right", "before"}  # fmt: skip


def _untagged_figures(
    r: Reading,
    text: str,
    tokens: list[Token],
    groups,
    dead: set[int],
    clauses,
    idle: frozenset[int] | set[int] = frozenset(),
    doubted: dict[str, int] | None = None,
) -> None:
    """A number the tagger left unlabelled becomes a fact only when the noun naming it stands right beside it:
    after it ("9 vans", "38 full-time staff") or before it with only linking words between ("headcount is about
    two hundred forty"). The same cue invariant as above, for what the model missed; never over a fact already read,
    never for an identifier or inside an unknown statement."""
    covered = ({i for a, b, _ in groups for i in range(a, b)} - set(idle)) | dead
    heads = _line_heads(text, tokens)
    codes = lexicon.state_codes()
    cues = lexicon.cue_of()
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        if i in covered or not (tok.kind == "num" or tok.text.lower() in NUMBER_WORDS - {"a", "an", "point"}):
            i += 1
            continue
        j = i + 1  # the run of one number: "240", "two hundred forty", "four point three million", "2.3 mil"
        while (
            j < n
            and j not in covered
            and (
                tokens[j].text.lower() in NUMBER_WORDS | MONEY_UNITS | {"and"}
                or tokens[j].text == "-"
                and j + 1 < n
                and tokens[j + 1].text.lower() in NUMBER_WORDS
            )
        ):
            j += 1
        while j > i + 1 and tokens[j - 1].text.lower() in ("and", "-"):
            j -= 1
        a, b, i = i, j, j
        if (
            any(_identifier(tokens, k, codes) for k in range(a, b))
            or _bound(tokens, a)
            or _per_part(tokens, b, clauses[a])
            or _part_of_figure(tokens, a)
        ):
            continue
        words = [t.text for t in tokens[a:b]]
        got = number(words)
        if got is None:
            continue
        ca, cb = clauses[a]
        fact = cue_at = None
        k = b
        while k < min(cb, b + 3) and tokens[k].text.lower() in _MODIFIERS:
            k += 1
        if (kind_at := _count_noun_after_kind(tokens, k, cb)) is not None:
            k = kind_at  # "4 delivery vans", "12 yr-round employees": words of what kind, then the count's noun
        if low_k := (tokens[k].text.lower() if k < cb else ""):
            if low_k in ("unit", "units") and not _units_are_vehicles(tokens, k):
                k = cb  # "48 units" of a motel are rooms
        if k < cb and (named := _cue_fact(tokens[k].text.lower())) and (FACTS[named].kind != "money" or got[1]):
            fact, cue_at = named, k  # "9 vans"; "12 mil sales" (an amount with its unit, then its noun); "11 empl"
            if fact == "vehicles" and _coaches_are_people(tokens, tokens[k].text):
                fact = "employees"
        elif k < cb and _people_noun(tokens, k, cb) and "employees" not in r.facts:
            fact, cue_at = "employees", k
        elif not got[1] and (staffed := _on_staff(tokens, b)) is not None:
            fact, cue_at = "employees", staffed
        if fact is None:
            k = a - 1
            while k >= max(ca, a - 5) and tokens[k].text.lower() in _LINKS:
                k -= 1
            before = tokens[k].text.lower() if ca <= k < a else ""
            if before in ("unit", "units") and not _units_are_vehicles(tokens, k):
                pass  # "Units: 520" of a self-storage place or a motel: no vehicles
            elif before in cues:
                fact, cue_at = cues[before], k
            elif before in _REVENUE_VERBS and got[1]:
                fact, cue_at = "annual_revenue", k  # "doing 7mm", "grosses $3M": an amount with its unit
            elif (
                got[1]
                and all(t.kind == "punct" or t.text.lower() in _FILLER for t in tokens[ca:a] + tokens[b:cb])
                and not _other_money(tokens, (_sentence_start(tokens, ca), cb))
                and not _line_after(text, tokens, b)
            ):
                fact, cue_at = "annual_revenue", a  # "..., 3.3M, 15 staff": an amount alone in its clause, as tagged
        if fact is None and a > 0 and tokens[a - 1].text.lower() in ("now", "currently", "today") and b >= cb:
            # "70 employees in 2018, now 41": a bare figure after "now" replaces the figure just before it
            earlier = [f for f in r.facts.values() if f.fact in FIGURES.values() and f.span.end <= tokens[a].start]
            last = max(earlier, key=lambda f: f.span.end) if earlier else None
            if (
                last is not None
                and tokens[a].start - last.span.end <= 30
                and (FACTS[last.fact].kind == "money") == got[1]
            ):
                value = money(words) if FACTS[last.fact].kind == "money" else count(words)
                if value is not None:
                    r.facts[last.fact] = FactReading(
                        last.fact, value, last.unit, _span(text, tokens, a, b), "correction", None
                    )
            continue
        if fact == "vehicles" and heads[a] in _TOWED:
            continue  # "Trailers: 30 dry vans": the line counts what its label names, and trailers are towed
        guess = fact in (doubted or {}) and a >= (doubted or {})[fact]  # "not sure, maybe 2M": an estimate
        if fact is None or fact in r.facts or (fact in r.unknown and not guess) or fact not in FACTS or cue_at is None:
            continue
        if fact == "annual_revenue" and _net(tokens, a, b, (ca, cb)):
            continue
        # a limit's clause ("$1M limits for the revenue"), or a bare "300" that may count anything; with its own noun
        # right beside it only a limit word in that phrase counts ("rev 2M: deductible?" is revenue, then a question)
        near = (min(cue_at, a), min(b + 1, n)) if abs(cue_at - a) <= 3 or cue_at >= b else (ca, cb)
        if FACTS[fact].kind == "money" and (_other_money(tokens, near) or not (got[1] or got[0] >= 1000)):
            continue
        value = money(words) if FACTS[fact].kind == "money" else count(words)
        if value is None:
            continue
        r.facts[fact] = FactReading(
            fact, value, FACTS[fact].unit, _span(text, tokens, a, b), "cue", _span(text, tokens, cue_at, cue_at + 1)
        )


def _count_noun_after_kind(tokens: list[Token], k: int, end: int) -> int | None:
    """Where a count's noun stands after up to three words saying what kind ("delivery vans", "yr-round employees",
    "year round staff"): each a hyphen or a word that is no plural noun, no fact's noun and no linking word."""
    if k >= end or _cue_fact(tokens[k].text.lower()) is not None:
        return None  # its noun stands right after the number
    for n in range(k + 1, min(end, k + 4)):
        low = tokens[n - 1].text.lower()
        if low != "-" and (tokens[n - 1].kind != "word" or low.endswith("s") or low in DANGLING):
            return None
        if (fact := _cue_fact(tokens[n].text.lower())) is not None:
            return n if FACTS[fact].kind == "count" else None
    return None


# A form's line that says what the business does ("Operations: ...", "Nature of business - ..."): its value is the
# description, whatever the tagger made of it; a label is the surest cue a form has.
_DESC_LABEL = re.compile(
    r"^[ \t>*\-•]*(?:description of (?:operations|business)|nature of (?:the )?(?:business|operations)|business "
    r"(?:description|type|activity|activities)|type of (?:business|operations?)|(?:business )?operations|ops|business"
    r"|description|industry|what (?:they|it) do(?:es)?|occupancy|class description|products?(?: ?/ ?services?)?"
    r"|services?)[ \t]*[:=\-–—][ \t]*(?P<value>[^\n]{3,200})$",
    re.I | re.M,
)


def _labelled_description(r: Reading, text: str) -> None:
    m = _DESC_LABEL.search(text)
    if m is None:
        return
    value = re.split(r"\s[|•]\s|\t", m["value"])[0].strip(" .;,")
    if not re.search(r"[A-Za-z]{3,}", value) or re.fullmatch(r"[\d\s().+/:#-]+\w{0,3}", value):
        return  # "Business: 555-0100", "Ops: 24/7": no words saying what they do
    start = m.start("value")
    r.facts["description"] = FactReading("description", value, "", Span(start, start + len(value), value), "label")


def _named_code(r: Reading, text: str, tokens: list[Token]) -> None:
    """Six digits the word "NAICS" names ("2017 NAICS 511210", "naics code: 238220"), when the tagger left them."""
    for i, tok in enumerate(tokens):
        if tok.kind != "num" or not re.fullmatch(r"\d{6}", tok.text):
            continue
        k = i - 1
        while k >= max(0, i - 4) and tokens[k].text.lower() in (":", "#", "-", "=", "code", "is", "no", "no."):
            k -= 1
        if k >= 0 and tokens[k].text.lower() == "naics":
            r.facts["naics"] = FactReading("naics", tok.text, "", _span(text, tokens, i, i + 1), "named")
            return
