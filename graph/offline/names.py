"""Company names and business descriptions in an underwriter's sentence. Used by ``facts.py``.

A company name is a run of capitalised words ('Harbor Lights', 'Castillo's Gas & Go', 'Wayfarer Heavy Haul') that
is not a state, a line of business or an ordinary word. A single capitalised word counts only when the sentence
names it as the company ('for Harlow', 'Is Willowbend ...'), so a city in a description ('from Bismarck') is
never looked up. A description is what the business does: a descriptive sentence ('they run a bed-and-breakfast',
'Aerofab Components makes aircraft parts') or a noun phrase with at least two telling words ('a full-service
restaurant'); a lone noun ('this quarry', 'this carrier') is too vague to classify.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from functools import cache

from graph.reader import lexicon
from graph.reader.read import COURTESY, PROCESS_WORDS, ROLES, table_rows
from graph.reader.tokens import tokenize
from graph.reader.values import identifier
from retrieval.acronyms import READ_IN_ANY_CASE, trade_meaning
from retrieval.normalise import sign_off_at
from tools.guard import find_mentions

_SUFFIXES = {
    "llc",
    "inc",
    "co",
    "corp",
    "corporation",
    "ltd",
    "company",
    "lp",
    "llp",
    "pllc",
    "pc",
    "plc",
    "group",
    "holdings",
}
_CONNECTORS = {"&", "and", "of", "de", "del", "la", "le", "the", "on"}
STOP = (
    set(
        """
i i'm i've i'd i'll im ive can could would should will shall may might must what what's whats which who whom whose how
is are was were be been being do does did done have has had having the a an this that these those they they're theyre
their them it it's its we we're our us you your yours please hi hello hey thanks thank yes no ok okay sure also and
but so now next then not sorry well just let let's lets tell check give find look any some other besides
here there for in on at of to from with about by if or as into over under up out after before again also quick
annual revenue revenues employees employee payroll vehicles vehicle trucks naics sba lob lobs type i ii iii iv v
small business businesses limits limit deductible deductibles appetite cyber auto property general liability workers
worker's workers' comp compensation commercial bop business owner's owners owner policy policies gl wc cgl insurance
coverage line lines code codes classification industry state states size standard standards dollars usd million
thousand per occurrence aggregate fit eligible write quote offer recommend anything else everything nothing
new york north south east west carolina dakota virginia hampshire jersey mexico rhode island district columbia city
county usa us america american wood frame masonry steel concrete construction building buildings story stories
monday tuesday wednesday thursday friday saturday sunday january february march april june july august september
october november december pennyroyal mutual applicant submission insured client account broker underwriter copilot
app id number mr mrs ms dr sir madam team folks guys umbrella excess epli d&o e&o crime surety flood earthquake
need needs want wants size we've we'll we'd they've they'll they'd you're you've you'll it'll there's here's that's
qualified declined decline mean means meaning rule rules guideline guidelines
own alone itself standalone separately
thoughts thought ideas idea advice opinion opinions suggestions suggestion feedback
both either neither each
""".split()
    )
    | COURTESY
    | ROLES
    | PROCESS_WORDS
)
_CUE_BEFORE_SINGLE = {
    "for",
    "about",
    "named",
    "called",
    "is",
    "does",
    "check",
    "re",
    "regarding",
    "sell",
    "offer",
    "classify",
    "fits",
}
_NO_COMPANY_BEFORE = {
    "a",
    "an",
    "in",
    "at",
    "near",
    "to",
    "into",
    "outside",
    "downtown",
    "of",
    "old",
    "from",
    "around",
    "across",
    "between",
}
_NO_SINGLE_BEFORE = {"on", "with", "by"}
APP_ID = re.compile(r"\bAPP[- ]?(\d{1,4})\b", re.I)
_COMPANY_VERB_AFTER = (
    r"(?:'s\b|\s*[,:(\u2014\u2013-]|\s+(?:is|are|was|wants|want|needs|need|has|have|asks|asked|requested|requests|"
    r"applied|runs|operates|owns|does|do|makes|would|could|can|should|qualify|qualifies|count|counts|fit|fits|"
    r"gets|got|get|says|said|just|also|only|currently|already|in appetite|in or out)\b|\s*\?|\s*$)"
)
_ABBREV_DOT = {"inc", "co", "corp", "ltd", "st", "mr", "mrs", "ms", "dr", "jr", "bros"}

# --- descriptions ----------------------------------------------------------------------------------
GENERIC = set(
    """
one ones user users business businesses company companies client clients account accounts applicant applicants submission
option options alternative alternatives possibility choice choices structure structures bldg bldgs premises
submissions insured risk risks small fit good right line lines policy policies deductible deductibles limit limits
code codes naics bucket question questions quote quotes firm lob lobs look check couple few lot bit way problem thing
things prospect new same other another size standard sba appetite building buildings construction frame wood masonry
steel concrete story stories state fund fleet staff team payroll revenue sales headcount workforce total annual about
around roughly approximately over under year years month months single big large medium tiny guy guys folks one's
quick moment second minute coverage coverages insurance umbrella excess product products deal case file renewal
customer customers name id number figure figures details information info answer help update total property auto cyber
uh um umm hmm hm er erm ah oh okay yeah yep yup nope nah sure well right fine thanks thank hello hi hey sorry what why
general liability workers comp compensation bop owner's owners commercial gl wc cgl type i ii iii iv v industry
group outfit operation operations place entity organization organisation enterprise venture concern
please still also just really very old main local
carrier carriers insurer insurers incumbent expiring prior previous current premium premiums
""".split()
)
_DESC_STOP = (
    r"(?=\s+(?:in|based|located|out of|headquartered|asking|looking|wanting|wants|want|needs|need|requesting|seeking|for|is|are|was|"
    r"has|have|can|could|would|should|will|do|does|did|we|they|it|to|and (?:they|we|it|their|its|the)|that (?:wants|needs|is asking|asks)|"
    r"small|please|ok|okay|good|in appetite|eligible|still|count|counts|qualify|qualifies|get|gets|got|be|"
    r"falls? (?:under|into|in)|go(?:es)? under|come under|belongs?|"
    r"with (?:about |around |roughly |approximately |some |over |under |just |no |only )?(?:\$|\d|one|two|three|four|five|six|seven|eight|nine|ten|a dozen|twenty))\b"
    r"|\s*[,;.?!(]|\s+[-—–]\s|\s*$)"
)
_BUSINESS_VERB = (
    r"(?:runs?|operates?|owns?|makes?|manufactures?|produces?|sells?|provides?|builds?|installs?|repairs?|fixes|does|do|"
    r"offers?|hauls?|designs?|bakes?|serves?|grows?|rents?|leases?|distributes?|transports?|cleans?|delivers?|"
    r"teaches|trains?|brews?|raises?|breeds?|develops?|writes?|publishes|prints?|imports?|exports?|wholesales?|"
    r"retails?|stores?|warehouses?|processes|mines?|drills?|farms?|treats?|cares? for|collects?|recycles?|"
    r"fabricates?|machines?|assembles?|paints?|frames?|roofs?|plumbs?|landscapes?|caters?|hosts?|houses?|manages?)"
)
# (pattern, strong): a strong pattern is a descriptive sentence; a weak one a noun phrase that must say enough.
_DESC_PATTERNS = [
    (
        re.compile(
            rf"\b(?:they(?:'re| are)|it(?:'s| is)|(?:the )?(?:business|company|client|insured|applicant|account|prospect)(?:'s| is)|this(?: one)? is|that(?: one)? is|we have|we've got|i have|i've got|got|there's)\s+(?:an?|the)\s+(?P<d>.+?){_DESC_STOP}",
            re.I,
        ),
        True,
    ),
    (
        re.compile(
            rf"\b(?:they|it|the business|the company|the client|the insured|the applicant|which|who)\s+(?P<d>{_BUSINESS_VERB}\s+.+?){_DESC_STOP}",
            re.I,
        ),
        True,
    ),
    (
        re.compile(rf"(?:^|[.!?]\s+)(?P<s>(?:[A-Z0-9][\w'&.-]*\s+){{1,5}})(?P<d>{_BUSINESS_VERB}\s+.+?){_DESC_STOP}"),
        True,
    ),
    # a form's or e-mail's line opening on what the business does, no subject ("Manages ~2,400 apartment units for
    # third-party owners"): its counts are left out below
    (
        re.compile(
            rf"(?:^|\n)[ \t>*•-]*(?-i:(?=[A-Z]))(?P<d>{_BUSINESS_VERB}\s+[^\n]+?)(?:{_DESC_STOP}|(?=[ \t]*\n))", re.I
        ),
        True,
    ),
    (re.compile(rf"\b(?:an?|this|that)\s+(?P<d>[^,.;?!]+?){_DESC_STOP}", re.I), False),
]
_LINE_VERB = len(_DESC_PATTERNS) - 2  # the pattern above: its figures are dropped, not cut at
_COUNTED = re.compile(r"(?:~|\b(?:about|approx\.?|over|around|some)\s+)?(?<![\w$])\d[\d,.]*\+?(?![\w%$])", re.I)
_NOT_A_BUSINESS = re.compile(
    r"\b(?:building|buildings|structure|location|premises|place|site|property|one|account|submission|line|policy|number|figure|question)\s*$",
    re.I,
)
# A trade's shorthand in a description ("MSP in Dayton", "commercial gc", "B & B"), spelled out in the classifier's
# words before a description is classified: the one table, retrieval.acronyms.
_SHORTHAND = re.compile(
    r"(?<![\w&])(?:b\s?&\s?b|" + "|".join(map(re.escape, sorted(READ_IN_ANY_CASE, key=len, reverse=True))) + r")"
    r"(?='?s?(?![\w&]))",
    re.I,
)


def mask(text: str, spans) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(a, min(b, len(chars))):
            chars[i] = " "
    return "".join(chars)


def applicant_id(text: str) -> str | None:
    m = APP_ID.search(text or "")
    return f"APP-{int(m[1]):04d}" if m else None


def _tokens(t: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[A-Za-z0-9][A-Za-z0-9'&.\-]*|&", t)]


def _runs(t: str, tokens) -> list[list[int]]:
    """Runs of adjacent capitalised words (with connectors and numbers inside: 'Channel 44 Broadcasting Group')."""

    def adjacent(j: int, i: int) -> bool:
        if not re.fullmatch(r" {1,2}", t[tokens[j][1] : tokens[i][0]]):  # a tab or a wider gap parts two columns
            return False
        prev_tok = tokens[j][2]
        return not prev_tok.endswith(".") or prev_tok.rstrip(".").lower() in _ABBREV_DOT

    def capitalised(i: int) -> bool:
        word = tokens[i][2].rstrip(".'")
        if APP_ID.fullmatch(word):
            return False
        return bool(word) and (word[0].isupper() or re.fullmatch(r"\d+-[A-Za-z]+", word) is not None)

    runs: list[list[int]] = []
    current: list[int] = []
    for i, (_a, _b, tok) in enumerate(tokens):
        word = tok.rstrip(".'")
        if current and not adjacent(current[-1], i):
            runs.append(current)
            current = []
        inner_number = (
            bool(current) and word.isdigit() and i + 1 < len(tokens) and adjacent(i, i + 1) and capitalised(i + 1)
        )
        if capitalised(i) or inner_number or (current and word.lower() in _CONNECTORS):
            current.append(i)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


# A form's name line, its label then ":" or a column's gap ("Name        Acme Roofing LLC").
_NAME_LABEL = re.compile(
    r"^[ \t>*\-•]*(?:named insured|insured(?: name)?|applicant(?: name)?|company(?: name)?|business name|account"
    r"(?: name)?|client|dba|legal name|name)(?:[ \t]*[:\-–—][ \t]*|\t[ \t]*| {3,})(?P<name>[A-Z0-9][^\n|:\t]{1,80})$",
    re.I | re.M,
)
# An e-mail header line that names a person, an address or a date, never the applicant (a Subject may name it)
_PERSON_OR_DATE_LINE = re.compile(r"^[ \t>]*(?:from|sent|date|to|cc|bcc|reply-to)[ \t]*:.*$", re.I | re.M)
_SUBJECT_LINE = re.compile(r"^[ \t>]*subject[ \t]*:.*$", re.I | re.M)
# A legal form ends a full name ("... LLC"); a shorthand in a subject line rarely carries one
_LEGAL_FORMS = {"llc", "inc", "co", "corp", "corporation", "ltd", "company", "lp", "llp", "pllc", "pc", "plc"}
# A verb that agrees with a plural subject: "Barns are ...", "Kennels have ...": a plural noun, not a company
_LIST_AFTER = re.compile(r"\s*,\s*[a-z][\w'-]*(?:\s+[a-z][\w'-]*)?\s*,\s*[a-z]")  # ", parts, repairs"
_PLURAL_VERB = re.compile(r"\s+(?:are|were|have|don't|aren't|weren't)\b", re.I)


def _street_spans(t: str) -> list[tuple[int, int]]:
    """Where a street address runs ("455 Madison Ave"): from a house number to its street's words, as the reader's
    own identifier check finds it (a number, then capitalised words and a street type)."""
    toks = tokenize(t)
    codes = lexicon.state_codes()
    out = []
    for i, tok in enumerate(toks):
        if identifier(toks, i, codes) == "street":
            end = next((toks[j].end for j in (i + 2, i + 1) if j < len(toks) and _street_word(toks[j].text)), tok.end)
            out.append((tok.start, end))
    return out


def _street_word(word: str) -> bool:
    toks = tokenize(f"1 A {word}")
    return len(toks) == 3 and identifier(toks, 0, frozenset()) == "street"


def company_name(text: str, catalog=None, strict: bool = False) -> str | None:
    """A company name: a run of capitalised words (with '&', 'of', possessives, 'LLC'...) that is not a state,
    a line of business or an ordinary word, e.g. 'Harbor Lights' in 'Can you check if Harbor Lights is in appetite?'.
    ``strict`` (an answer to a question): only a name with a suffix (LLC, Co., Group) or a cue ('for X')."""
    t = text
    if m := _NAME_LABEL.search(t):  # "Named Insured: Acme Roofing LLC": a form says which words are the name
        return m["name"].strip(" .,;")
    if (cell := _name_cell(t)) is not None:
        return cell
    found = _names(t, catalog, strict)
    first = next(found, None)
    if first is None:
        return None
    name, at = first
    if not any(a <= at < b for a, b in _spans(_SUBJECT_LINE, t)):
        return name
    # A subject's shorthand ("Auto - Redfern HVAC") gives way to the body's full name that shares a word with it: its
    # legal name ("Redfern Heating & Cooling LLC") or the same name said in full ("Redfern HVAC Services")
    said = {w.lower() for w in name.split()}
    for other, _ in found:
        words = other.split()
        legal = words[-1].lower().rstrip(".") in _LEGAL_FORMS and said & {w.lower() for w in words[:-1]}
        if legal or (other.startswith(name + " ") and len(words) > len(said)):
            return other
    return name


_NAME_HEADS = {"insured", "named insured", "insured name", "name", "company", "company name", "applicant", "business name",
               "account", "account name", "legal name", "dba"}  # fmt: skip


def _table_head(t: str) -> tuple[tuple[int, int], list[tuple[str, str]]] | None:
    """A table pasted in the text (the reader's ``table_rows``: "Insured | City | ST" or tab-separated): where its
    header row is, and each header (in lower case) with its cell in the row under it."""
    rows = table_rows(t)
    if len(rows) < 2:
        return None
    (start, head, cells), (_, row, below) = rows[0], rows[1]
    under = [(head[a:b].strip().lower(), row[c:d].strip()) for (a, b), (c, d) in zip(cells, below, strict=False)]
    return (start, start + len(head)), under


def _name_cell(t: str) -> str | None:
    """The cell under a table's name column."""
    table = _table_head(t)
    for head, cell in table[1] if table else []:
        if head in _NAME_HEADS and cell[:1].isupper():
            return cell
    return None


def _spans(pattern: re.Pattern, t: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(t)]


def _names(t: str, catalog, strict: bool) -> Iterator[tuple[str, int]]:
    """Every run that reads as a company name, in order, with where it starts."""
    table = _table_head(t)
    no_name = _spans(_PERSON_OR_DATE_LINE, t) + _street_spans(t) + ([table[0]] if table else [])
    if (signed := sign_off_at(t)) is not None:
        no_name.append((signed, len(t)))  # the sender's name and firm under "Thanks,": the broker, not the applicant
    subjects = _spans(_SUBJECT_LINE, t)
    stop = set(STOP)
    if catalog is not None:
        for name in catalog.states.values():
            stop.update(name.lower().split())
        for syn in catalog.synonyms:
            stop.update(syn.lower().split())
    tokens = _tokens(t)
    for run in _runs(t, tokens):
        words = [tokens[i][2].rstrip(".,'") for i in run]
        low = [w.lower() for w in words]
        lo, hi = 0, len(words)
        while lo < hi and (
            low[lo] in stop
            or low[lo] in _CONNECTORS
            or low[lo].endswith("'s")
            and low[lo][:-2] in stop
            or low[lo].isdigit()
        ):
            lo += 1
        while hi > lo and (low[hi - 1] in stop or low[hi - 1] in _CONNECTORS or low[hi - 1].isdigit()):
            hi -= 1
        core = words[lo:hi]
        if not core:
            continue
        content = [
            w
            for w in core
            if w.lower() not in stop and w.lower() not in _CONNECTORS and w.lower() not in _SUFFIXES and not w.isdigit()
        ]
        if not content:
            continue
        first = run[lo]
        prev_words = re.findall(r"[A-Za-z']+", t[: tokens[first][0]])
        prev = prev_words[-1].lower() if prev_words else ""
        has_suffix = core[-1].lower() in _SUFFIXES
        multi = len(content) >= 2 or has_suffix
        if prev in _NO_COMPANY_BEFORE or (prev in _NO_SINGLE_BEFORE and not multi):
            continue
        start, end = tokens[run[lo]][0], tokens[run[hi - 1]][1]
        if not multi and any(re.fullmatch(r"[ \t>]*subject[ \t]*:[ \t]*", t[a:start], re.I) for a, _ in subjects):
            continue  # "Subject: Renewal - ...": the subject's topic word; a name there has more words
        if any(a <= start < b or start <= a < end for a, b in no_name):
            continue  # "Date: Thu, ...", "455 Madison Ave": a header's person or date, a street, never the applicant
        if re.match(r"\s*:", t[end:]) and (start == 0 or "\n" in t[max(0, start - 4) : start]):
            continue  # "Address:", "Requesting:": a form's label, not a name
        sentence_start = re.search(r"(?:^|[.!?:;]\s*|\n\s*)$", t[:start]) is not None
        follows = t[end : end + 30].lower()
        if sentence_start and not has_suffix and not re.match(_COMPANY_VERB_AFTER, follows):
            continue  # "Full-service Italian restaurant..." starts a sentence but is no name
        if sentence_start and len(core) == 1 and _PLURAL_VERB.match(t, end):
            continue  # "Sheds are steel": a plural noun opens the sentence; a company takes "is"
        if sentence_start and len(core) == 1 and core[0].endswith("s") and _LIST_AFTER.match(t, end):
            continue  # "Bikes, parts, repairs": a list of what they sell opens the sentence
        if sentence_start and len(core) == 1 and re.match(r"\s*,", t[end:]) and _trade_noun(core[0]):
            continue  # "Tannery, hides only." or "Bikes, parts, repairs": a trade or its goods, then more about it
        if strict and not (has_suffix or prev in _CUE_BEFORE_SINGLE):
            continue
        found = re.sub(r"'s$", "", t[start:end].rstrip(".,")).rstrip("'")  # "Greenway Hauling's auto"
        if multi:
            yield found, start
            continue
        cue = prev in _CUE_BEFORE_SINGLE or sentence_start  # a sentence start was checked for a verb after it above
        if cue and not _common_noun(content[0].lower(), catalog) and content[0].lower() not in READ_IN_ANY_CASE:
            yield found, start  # (a trade's shorthand alone, "GC" or "MSP", says what it does, not who it is)


_VOCAB: dict[int, tuple] = {}


def _common_noun(word: str, catalog) -> bool:
    """A word of the NAICS titles ('Dealer', 'Agency', 'Hospital'): an ordinary noun, not a one-word company name."""
    if catalog is None:
        return False
    key = id(catalog)
    if key not in _VOCAB or _VOCAB[key][0] is not catalog:
        words = {w for title in catalog.naics_titles.values() for w in re.findall(r"[a-z]+", title.lower())}
        _VOCAB[key] = (catalog, frozenset(words))
    vocab = _VOCAB[key][1]
    w = word.rstrip("'s").lower() if word.lower().endswith("'s") else word.lower()
    return any(form in vocab for form in (w, w + "s", w + "es", w[:-1] if w.endswith("s") else w))


def _trade_noun(word: str) -> bool:
    """A word the trades are named with ("Kennels", "Laundromat"), in any number."""
    w = word.lower()
    return any(form in trade_words() for form in (w, w[:-1] if w.endswith("s") else w + "s"))


def content_words(text: str, catalog=None, extra_stop=()) -> list[str]:
    words = re.findall(r"[a-z0-9][a-z0-9'&-]*", text.lower())
    states = {w for name in (catalog.states.values() if catalog else []) for w in name.lower().split()}
    return [
        w
        for w in words
        if w in READ_IN_ANY_CASE  # "PI firm", "GC": the shorthand says what they do
        or (
            w[0].isalpha()
            and w not in GENERIC
            and w not in STOP
            and w not in states
            and w not in extra_stop
            and len(w) > 2
        )
    ]


def _usable(d: str, strong: bool, catalog, detect_task, lob_fact) -> bool:
    if not d or len(d) > 300 or re.search(r"\d", d):
        return False
    if detect_task(d) is not None or _NOT_A_BUSINESS.search(d):
        return False
    if catalog is not None:
        core = re.sub(
            r"\b(?:policy|policies|coverage|insurance|quote|line|lines|of business)\b", " ", d.lower()
        ).strip()
        if catalog.find_lob(core) or catalog.find_lob(re.sub(r"\s+", " ", core)) or lob_fact(d, catalog):
            return False
    words = set(content_words(d, catalog))
    return len(words) >= (1 if strong else 2)


def description_fact(text: str, catalog, detect_task, lob_fact) -> str | None:
    """What the business does, when a sentence says it ('they run a bed-and-breakfast', 'a full-service restaurant')."""
    t = text
    if catalog is not None:
        t = mask(t, [(m.start, m.end) for m in find_mentions(t, catalog)])
    uncounted = _COUNTED.sub(lambda m: " " * len(m[0]), t)  # "Manages ~2,400 units": what, without how many
    for n, (pat, strong) in enumerate(_DESC_PATTERNS):
        for m in pat.finditer(uncounted if n == _LINE_VERB else t):
            d = re.sub(r"\s+", " ", m["d"]).strip(" ,.-")
            if "s" in m.groupdict() and m["s"] and all(w.lower() in STOP for w in m["s"].split()):
                continue  # "What do you think": no name before the verb
            if (digit := re.search(r"\d", d)) is not None:  # "trucking company with a fleet of 25 trucks"
                cut = max(
                    d.rfind(" with ", 0, digit.start()),
                    d.rfind(" and ", 0, digit.start()),
                    d.rfind(",", 0, digit.start()),
                )
                d = d[:cut].strip(" ,.-") if cut > 0 else ""
            if _usable(d, strong, catalog, detect_task, lob_fact):
                return d
    return None


# The business a code question names ("naics for a coworking space? they rent desks"): what the question asks about
_CODE_QUESTION = re.compile(
    rf"\b(?:naics|class(?:ification)?|class code)(?:\s+codes?)?\s+(?:for|of|on)\s+(?:an?|this|that)\s+"
    rf"(?P<d>[^,.;?!\n]+?){_DESC_STOP}",
    re.I,
)


def code_question_trade(text: str, catalog, detect_task, lob_fact) -> str | None:
    """The business a question for its code names, as it is named there ("what naics for a coworking space?"); a
    sentence after it that says what they do adds to it but never stands in for it."""
    m = _CODE_QUESTION.search(text)
    if m is None:
        return None
    d = re.sub(r"\s+", " ", m["d"]).strip(" ,.-")
    return d if _usable(d, False, catalog, detect_task, lob_fact) else None


def bare_description(text: str, catalog=None, says_unknown=None) -> str | None:
    """The whole answer as the description (it answers "What does the business do?"), when it says anything."""
    t = re.sub(r"\s+", " ", text).strip()
    if (says_unknown and says_unknown(t)) or not content_words(t, catalog) or len(t) > 2000:
        return None
    return t


def expand_abbreviations(description: str) -> str:
    return _SHORTHAND.sub(
        lambda m: trade_meaning(re.sub(r"\s", "", m[0]), m.string[m.end() :].removeprefix("'").removeprefix("s")),
        description,
    )


@cache
def trade_words() -> frozenset[str]:
    """Every word the NAICS titles, illustrative examples and Census index entries use to name a trade (three letters
    or more), and each one's singular: a word that can say what a business does ("propane", "surveyors")."""
    words = set(lexicon.naics_words())
    with open(lexicon.DATA / "naics_2022_index_entries.csv", newline="") as f:
        for r in csv.DictReader(f):
            words.update(w for w in re.findall(r"[a-z]+", r["entry"].lower()) if len(w) > 2)
    return frozenset(words | {w[:-1] for w in words if w.endswith("s") and len(w) > 4})
