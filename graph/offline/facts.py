"""Text to facts for the offline rules model: what an underwriter's plain sentence says about a submission.

``parse(text, catalog, asked)`` reads one underwriter message and returns a ``Parsed``: the task it asks about
(one of the six, or None), the facts it states (NAICS code, what the business does, state, line of business,
revenue, employees, payroll, vehicles, construction), the company name or applicant id it names, whether it
says "I don't know", and the products we do not write that it mentions. ``asked`` is the fact the copilot asked
for last: a bare answer ("4.5M", "32", "Texas", "wood frame") answers it, but only when the sentence names no
other fact ("They run 21 trucks." does not answer a revenue question).

Numbers live in ``numbers.py``, company names and descriptions in ``names.py``.
Everything here is deterministic and uses only the live catalog (LOB synonyms, states, construction phrases,
NAICS titles), never a hard-coded list of the lines we write.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from core.vocabulary import COUNT_FACTS, FACT_NOUNS, FACTS, LINE_TASKS, LOB_SHORTHAND, NUMERIC_FACTS, TOOL_FACTS
from graph.offline import names, numbers
from graph.offline.choice import names_a_position, says_a_pick
from graph.offline.names import expand_abbreviations  # noqa: F401  (part of this module's interface)
from graph.reader import lexicon
from graph.reader.read import CORRECTION_WORDS, COURTESY, DANGLING, JUDGING, VAGUE, as_label_lines, read
from graph.reader.readings import Reading
from retrieval.acronyms import READ_IN_ANY_CASE
from retrieval.normalise import PLACE_CUES
from seed_db.rules import construction_by_materials, materials
from tools.errors import InvalidArgument
from tools.guard import find_mentions

# The questions the offline model asks: for the facts the deciding tools take.
QUESTIONS = {k: FACTS[k].question for k in TOOL_FACTS}
# The same facts asked in other words (a recommendation asks for the line they applied for, to leave it out).
QUESTION_VARIANTS = {
    "requested_lob": ("lob", "Which line of business did they apply for?"),
}

# --- task cues (checked in this order: the more specific nouns first) -------------------------------------
_APPETITE_WEAK = re.compile(
    r"\bok(?:ay)?\s+(?:on|for|with|to write)\b|\b(?:a )?go for\b|\bin or out\b|\b(?:are|is) we (?:still )?(?:good|ok|okay|in|covered)\b"
    r"|\b(?:can|could|would|will) we\b[^.?!]{0,30}\?|\b(?:ok|okay|good|fine)\s*\?|\bwhat do you think\b|\bis (?:a|it a) no\b"
    r"|\bgood for us\b|\b(?:a )?fit for\b|\beligible\b|\bstill work\b|\byes or no\b|\bwork for us\b|\bdoable\b|\bwrite (?:it|this|them)\b"
    r"|\b(?:do|would) we (?:even )?(?:want|like)\b",
    re.I,
)
_TASK_CUES: list[tuple[str, re.Pattern]] = [
    ("deductible", re.compile(r"\bdeduct[ia]bles?\b|\bded\b|\bself[- ]insured retention\b", re.I)),  # "deductable"
    (
        "policy_limits",
        re.compile(
            # (a size, payroll or fleet "limit" is another rule's threshold, not a policy limit)
            r"(?<!size )(?<!sba )(?<!employee )(?<!employees )(?<!headcount )(?<!payroll )(?<!revenue )(?<!fleet )"
            r"(?<!vehicle )\blimits?\b|\bper[- ]occ(?:urrence)?\b|\baggregate\b|\bagg\b|\bhow much (?:\w+ )?(?:coverage|cover)\b"
            # the size of a limit we write, not a size threshold ("the SBA size limit")
            r"|\b(?:what|which) size (?:of )?limits? (?:can|could|do|would|should|will) we\b",
            re.I,
        ),
    ),
    (
        "product_recommendation",
        re.compile(
            r"\bwhat else\b|\bother (?:lines?|products?|coverages?|policies|lobs?)\b|\b(?:cross|x)[- ]?sell|\bup[- ]?sell|\brecommend"
            r"|\bwhat (?:can|could|should|else can|else could) we (?:also )?(?:offer|sell|write|quote|pitch)\b"
            r"|\b(?:what|which) (?:of (?:our|the|your) )?(?:other )?(?:lines|products|coverages|policies|lobs)\b|\banything (?:else )?(?:we|to|you|u|you guys|y'?all) (?:can |could )?(?:offer|sell|write|quote)"
            r"|\bbesides\b|\badditional (?:lines?|coverages?|products?)\b|\bround out\b"
            # what to sell beside a line they have: "what would you pair with their GL", "what goes well with BOP"
            r"|\b(?:pair|pairs|paired|pairing|bundle|bundled|bundling)\s+(?:(?:it|that|this|them|well)\s+)?with\b|\bgoes\s+(?:well\s+)?with\b"
            r"|\b(?:goes|go|sell|write|offer)\s+(?:well\s+)?alongside\b"
            r"|\banything else\s*(?:\?|$)"  # "<business> has GL with us - anything else?"
            # "can you write anything more for them", "anything else they could buy from us"
            r"|\b(?:offer|write|sell|quote) anything (?:else|more)\b|\bget anything (?:else|more) from (?:you|us)\b"
            r"|\banything (?:else|more)\b[^.?!\n]{0,25}\b(?:offer|write|sell|quote|buy)\b",
            re.I,
        ),
    ),
    (
        "appetite",
        re.compile(
            r"\bappetite\b|\b(?:can|could|do|would|will|should|may) we (?:still |even |ever |\w+ly )?(?:write|cover|insure|take on|take|quote|accept|bind|offer|provide|sell|do)\b"
            r"|\b(?:able|allowed|willing) to (?:write|cover|insure|offer|quote|take on)\b|\bwe'?d (?:write|cover|insure|offer|take|accept|quote)\b"
            r"|\b(?:good|right|viable) candidate\b|\bfalls? (?:within|inside|outside)\b|\bunderwriting guidelines\b"
            r"|\beligible for\b(?! (?:a |the )?(?:small|sba))|\b(?:a |good |right )fit\b|\bwithin (?:our )?(?:guidelines|guide)\b|\bwritable\b|\bacceptable risk\b",
            re.I,
        ),
    ),
    (
        "small_business",
        re.compile(
            r"\bsmall[- ]business\b|\bcounts? as (?:a )?small\b|\b(?:qualify|qualifies|considered|classed|classified) as (?:a )?small\b"
            r"|\b(?:considered|deemed) (?:as )?(?:a )?small\b|\bsize standards?\b|\bsba\b|\b(?:is|are) (?:it|this|that|this one|that one|the business|the company|they|these guys) (?:still )?small\b"
            r"|\bsize (?:test|check)\b|\bcheck (?:the |their |its )?size\b|\btoo (?:big|large)\b|\bsmall enough\b|\bsmall under\b"
            r"|\bsmall for (?:us|our|the sba|sba|you)\b|\bsmall\s*\?|\bsmall (?:biz|co|company|firm|business)\b|\bsmall or not\b"
            r"|\b(?:big|large) or small\b"
            # a figure or the trade it is small for: "are 40 staff small?", "is $6M small for a bakery?"
            r"|\b(?:is|are) \$?\d[^.?!\n]{0,25} small\b|\bsmall for (?:a|an)\b[^.?!\n]{0,40}\?",
            re.I,
        ),
    ),
    (
        "classification",
        re.compile(
            # (not "NAICS 722511", "naics on the app is 722320": the code stated, a few words on)
            r"\bnaics\b(?![^.?!\n\d]{0,30}\d{2}[\s-]?\d{4})|\bclassif|\bindustry code\b|\bclass code\b"
            r"|^\W*(?:naics|code)\s+(?:for|of)\b|\b(?:in|to|for) (?:the )?20(?:12|17|22)(?:(?: edition| code| naics)\W*$|\s*\?)"
            r"|\b20(?:12|17) (?:naics )?code\b[^?]*\?"
            # "... code?" after a description asks for the business's code (not a ZIP, area or class code)
            r"|(?<!zip )(?<!postal )(?<!area )(?<!class )(?<!promo )\bcodes?\s*\?"
            # "code pls" ending a pasted form, "pls code it": the code asked for in a word of request
            r"|(?<!zip )(?<!postal )(?<!area )(?<!promo )\bcode\W{0,2}\s*(?:please|pls|plz|pl[sz]e?)\b"
            r"|\b(?:please|pls|plz)\W{0,2}\s*(?:code|classify)\b"
            r"|(?<!zip )(?<!postal )(?<!area )(?<!promo )\bcode (?:or|vs\.?|versus) [^.?!\n]{0,30}\?"  # "X code or Y?"
            r"|\bwhat (?:industry|kind of business|type of business|sector)\b|\bindustry[- ]wise\b"
            r"|\b(?:coded|classed) (?:it |them |this |the \w+ )?as\b"
            r"|\bhow (?:would|do|should|will) (?:you|we|i) (?:code|class)\b|\b(?:code|class) (?:it|them|this|this one) as\b"  # "the app coded it as a gym": is that right?
            r"|\b(?:need|want|get|give me|looking for) (?:a |the |their )?(?:naics |industry )?code\b"
            r"|\b(?:what|which)(?:'s| is| are)? (?:the |their |its |a )?(?:right |correct |best |new |current )?(?:20[12][27] )?(?:industry |class |naics )?codes?\b"
            # "class" alone is the trade's word for the code ("which class for a roofer?"), not a building's class
            r"|\b(?:what|which)(?:'?s| is)? (?:your |the |their |its |a )?(?:right |correct |best )?class\b"
            r"(?! of construction| [1-6]\b| (?:i{1,3}|iv|v)\b)(?![^.?!\n]{0,30}\b(?:construction|buildings?|bldgs?|iso|roof|walls?)\b)"
            r"|(?<!construction )(?<!iso )(?<!building )(?<!bldg )(?<!fire )(?<!protection )\bclass\s*\?",
            re.I,
        ),
    ),
    ("appetite", _APPETITE_WEAK),
]

_UNKNOWN = re.compile(
    r"\b(?:i\s+)?(?:don'?t|do not|dont|doesn'?t|does not)\s+know\b|\bnot sure\b|\bno idea\b|\bunknown\b|\bunsure\b"
    r"|\bno clue\b|\bcan'?t say\b|\bcannot say\b|\b(?:can'?t|cannot|couldn'?t) tell you\b|\bnot known\b|\b(?:don'?t|do not) have (?:that|it|this|those|the)\b"
    r"|\bnot (?:provided|given|available|stated|listed|in the submission)\b|\bn/a\b|\b(?:they|it|the broker) didn'?t say\b"
    r"|\bno information\b|\bnot specified\b|\bhaven'?t (?:got|been told)\b|\bwaiting (?:on|for)\b|\bto follow\b"
    # the paper that would say it is missing: "no vehicle schedule attached", "no payroll info yet"
    r"|\bno (?:[\w-]+ ){0,2}(?:schedules?|list|listing|info|count|figures?|numbers?|details|data)"
    r" (?:attached|given|provided|included|sent|on file|yet|available)\b"
    # not sent yet, or kept back: "still waiting", "broker hasnt sent payroll", "they won't say"
    r"|\bstill waiting\b|\b(?:hasn'?t|haven'?t|has not|have not|didn'?t|did not) (?:sent|send|given"
    r"|provided|shared|received|gotten|included|listed)\b|\b(?:won'?t|wouldn'?t|will not|would not|refuse to) (?:say"
    r"|share|tell|give|disclose)\b|\b(?:don'?t|do not) have\b[^,.;!?]*\byet\b"
    # a form's field left empty: "they left that blank", "blank on the acord", "none given", "app doesn't say"
    r"|\bleft (?:\w+ )?blank\b|\b(?:is|was|were|are) blank\b|\bblank (?:on|in) (?:the |their )?(?:app|application|acord"
    r"|submission|form|sheet|supp)\b|\b(?:none|never|wasn'?t|weren'?t|was not|not) (?:given|disclosed|shared|filled (?:in|out)"
    r"|included|said|listed)\b|\b(?:app|application|acord|submission|form|broker) (?:doesn'?t|does not|didn'?t|did not)"
    r" (?:say|show|list|have|include)\b|\b(?:left off|missing from) (?:the |their )?(?:app|application|acord|submission"
    r"|form)\b|\bnot (?:on|in) (?:there|the file)\b|\bcould(?:n'?t| not) say\b|\bbeats me\b|\bguess is as good as\b"
    # not known until someone asks: "need to check with the agent", "to be confirmed"
    r"|\b(?:need|have|has) to (?:check|ask|confirm)\b|\bchecking (?:with|on)\b|\bto be (?:confirmed|determined)\b"
    r"|\bwill find out\b|\b(?:didn'?t|did not) (?:include|list|give|provide|share|mention)\b|\bunclear\b"
    r"|\b(?:can'?t|cannot|couldn'?t|could not|don'?t|do not) (?:find|see) (?:it|one|that|any)\b|\bno record of\b|\bno (?:info|data|figure|number|answer)(?: (?:on|for|about) (?:that|it|this|those))?\s*(?:$|[,.;!])",
    re.I,
)
# A question about what a rule or a word means: answered from the guidelines, never with a determination.
_DEFINITION = re.compile(
    r"\bwhat (?:does|do) [\w' -]{1,40} mean\b|\bwhat(?:'s| is) (?:the )?(?:meaning|definition) of\b|\bdefine\b"
    r"|\b(?:explain|summari[sz]e) (?:the |our )?(?:rule|rules|guideline|guidelines|section)\b|\bguidelines? (?:say|on|about)\b"
    # a question about the rules in general, not about this applicant ("... for contractors generally?")
    r"|\b(?:generally|in general|general question|as a rule|is there a rule|do we have a rule|any rule)\b"
    # what an underwriter may do by authority: "how much a senior may write", "my binding authority"
    r"|\b(?:a |my |our )?(?:junior|senior)(?: uw| underwriter)?s? (?:can|may|is allowed to|are allowed to) "
    r"(?:bind|write|quote|approve|sign)\b|\b(?:my|binding|underwriting) authority\b"
    r"|\b(?:can|may) (?:a |my |our )?(?:junior|senior)(?: uw| underwriter)?s? (?:bind|write|quote|approve|sign)\b",
    re.I,
)
_HEADER = re.compile(r"\b(?:fwd?|fw|original message|forwarded message)\b", re.I)
# A header line of a forwarded e-mail that names no applicant (a person, an address, a date); a Subject may name it
_HEADER_LINE = re.compile(r"^[ \t>-]*(?:from|sent|date|to|cc|bcc|fwd?|fw)[ \t]*:.*$|^[ \t>-]*-{3,}.*$", re.I | re.M)


# A subject line: it names the account in shorthand ("Riverbend AL - GL/PL": an assisted living, not Alabama)
_SUBJECT_LINE = re.compile(r"^[ \t>]*(?:subject|re|fwd?|fw)[ \t]*:.*$", re.I | re.M)


def _state_in_body(text: str, catalog, asked: str | None) -> str | None:
    """The state the message names, its body's before its subject line's: a subject abbreviates, the body says where
    the business is."""
    lenient, where_only = asked == "state", asked not in (None, "state")
    body = _SUBJECT_LINE.sub(lambda m: " " * len(m.group()), text)
    if body != text and (st := state_fact(body, catalog, lenient=lenient, where_only=where_only)) is not None:
        return st
    return state_fact(text, catalog, lenient=lenient, where_only=where_only)


def _in_header(text: str, company: str) -> bool:
    """The name is a header's word, or every place it occurs is an e-mail header line."""
    if _HEADER.search(company) or company.lower().strip(" :") in ("re", "date", "from", "sent", "subject", "to", "cc"):
        return True
    spots = [m.start() for m in re.finditer(re.escape(company), text)]
    lines = [(m.start(), m.end()) for m in _HEADER_LINE.finditer(text)]
    return bool(spots) and bool(lines) and all(any(a <= s < b for a, b in lines) for s in spots)


_NO = re.compile(r"^\W*(?:no|nope|nah|not really|negative|no,? (?:i|we) don'?t)\b", re.I)  # "no" to a yes/no question
_REQUEST = re.compile(
    r"\b(?:wants?|wanted|needs?|needed|asking|asked|asks|looking for|appl(?:y|ied|ying)|request\w*|quot\w+|interested|shopping|seeking)\b",
    re.I,
)

# --- states --------------------------------------------------------------------------------------------
_AMBIGUOUS_CODES = {
    "OK",
    "ID",
    "HI",
    "OH",
    "ME",
    "OR",
    "IN",
    "MD",
    "CT",
    "PA",
    "LA",
    "CO",
    "DE",
    "AL",
    "MA",
    "GA",
    "MT",
    "SC",
}
_ENGLISH_CODES = {
    "or",
    "me",
    "in",
    "hi",
    "ok",
    "oh",
    "id",
    "de",
    "co",
    "pa",
    "ma",
    "la",
    "al",
    "so",
    "do",
    "is",
    "it",
    "to",
    "am",
    "as",
}


@dataclass
class Parsed:
    text: str
    task: str | None = None
    facts: dict = field(default_factory=dict)
    unknown: bool = False
    company: str | None = None
    applicant_id: str | None = None
    not_written: list[str] = field(default_factory=list)  # display names of products we do not write
    unknown_facts: set = field(default_factory=set)  # facts the message says nobody knows ("no idea on payroll")
    tasks: list[str] = field(default_factory=list)  # every task asked, in order (two questions in one message)
    intent: str | None = None  # guidelines, why, smalltalk or off_topic (set by the intent classifier)
    invalid: dict = field(default_factory=dict)  # fact -> the figure as typed, when it cannot be a real value
    reading: Reading | None = None  # what the reader read, each value with its span (graph/reader)
    task_lines: dict = field(default_factory=dict)  # task -> the line its own clause names, when several are asked
    each_line: bool = False  # asks of every line just asked about ("deductibles for both?")
    supposed: dict = field(default_factory=dict)  # facts of a what-if ("what if it had 60 staff?"): never stated


# A question asked of each line the last question named: "deductibles for both?", "limits on all three".
_EACH_LINE = re.compile(
    r"\b(?:both|each\s+(?:of\s+(?:them|those|these)|line|one)|all\s+(?:of\s+)?(?:them|those|these|three|four|five|six)"
    r"|(?:all|every)\s+(?:the\s+)?lines|either\s+(?:one|line))\b",
    re.I,
)
# A question about facts supposed, not stated: "what if it had 60 staff", "suppose revenue doubles", "hypothetically",
# "if they had 30 trucks would it change"; a condition in the present ("if they have payroll, send it") states
# nothing either way and is not one.
_WHAT_IF = re.compile(
    r"\b(?:what\s+(?:about\s+)?if|suppose|supposing|hypothetically|hypothetical|in\s+theory|say\s+(?:it|they)\s+had)\b"
    r"|(?:^|[.;!?,]\s*)(?:and\s+|but\s+)?if\s+(?:it|they|the\s+(?:business|insured|applicant|client|company))\s+"
    r"(?:had|were|was|grew|went|got|doubled|hit|added)\b",
    re.I,
)


def _norm_text(text: str) -> str:
    text = (text or "").replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return as_label_lines(text)  # a pasted table's two-cell rows are label lines, for the rules as for the reader


def detect_task(text: str) -> str | None:
    t = _norm_text(text)
    for task, pattern in _TASK_CUES:
        if pattern.search(t):
            return task
    return None


def task_clauses(text: str) -> dict[str, str]:
    """Each task a message asks, in the order asked, with the clause that first asks it."""
    t = _norm_text(text)
    parts = [
        p
        for p in re.split(
            r"(?<=\?)|;|\s(?:and also|also|plus|and then|and|&)\s(?=(?:what|which|how|is|are|can|could|do|does|would|will|whats|what's)\b)"
            # "limits n ded", "limits + deductible": two questions joined before the second one's noun
            # or before a line's name and that noun ("deductible for property and GL limits?")
            r"|\s(?:and|n|&|\+|plus)\s(?=(?:the |a |our |their )?(?:[\w&'-]+\s){0,2}(?:limits?|deduct[ia]bles?|ded|naics|appetite)\b)",
            t,
            flags=re.I,
        )
        if p.strip()
    ]
    found: dict[str, str] = {}
    for part in parts:
        task = detect_task(part)
        if task and task not in found:
            found[task] = part
    return found


def detect_tasks(text: str) -> list[str]:
    """Every task a message asks, in the order asked: "can we do comm auto, and what deductible would it be?"
    is an appetite check, then a deductible. Split on question marks and on "and"/"also" between clauses."""
    return list(task_clauses(text))


def task_lines(text: str, reading: Reading, catalog) -> dict[str, str]:
    """The line each question of a message names in its own clause, when it asks two or more ("deductible for
    property and GL limits?": the deductible of property, the limits of GL). A clause naming several lines ("limits
    and deductibles for property and auto") gives none: each of its lines is asked of every question."""
    clauses = task_clauses(text)
    if len(clauses) < 2:
        return {}
    out: dict[str, str] = {}
    for task, part in clauses.items():
        start = text.find(part)
        if task not in LINE_TASKS or start < 0:
            continue
        named = {str(r.value) for r in reading.lines if start <= r.span.start < start + len(part)}
        if not named and (line := lob_fact(part, catalog)) is not None:
            named = {line}  # a line the tagger left ("whats the auto deductable"), as the rules read it
        if len(named) == 1:
            out[task] = named.pop()
    return out


# a minus sign is against its number ("-5 employees"); a dash with a space after it is a separator ("Revenue - 5M",
# "8 -- 20 power units")
# ("SUB-4f6e96fbc1" is an id, not 6 x 10^96: a figure inside a word is none)
_ABSURD = re.compile(r"(?<![\w.\-–—])-\$?\d[\d,.]*|(?<![\w.])\d+\s*(?:\^|\*\*|e\+?)\s*\d+(?!\w)", re.I)
MAX_FIGURE = {"annual_revenue": 10**12, "annual_payroll": 10**12, "employees": 10**7, "vehicles": 10**6}


def invalid_figures(text: str, facts: dict, asked: str | None) -> dict:
    """Figures no business can have: negative ("-5 employees"), written as powers ("revenue 10^15"), or beyond any
    real business. Each is tied to the fact named in its clause (else the one asked for)."""
    out: dict = {}
    t = _norm_text(text)
    for clause in re.split(r"[,;]|\s[-—–]\s|\band\b", t):
        m = _ABSURD.search(clause)
        if not m:
            continue
        fact = next(
            (f for f in NUMERIC_FACTS if re.search(rf"\b(?:{FACT_NOUNS[f]})\b", clause, re.I)),
            asked if asked in NUMERIC_FACTS else None,
        )
        if fact:
            out[fact] = m.group(0).strip()
    for fact, limit in MAX_FIGURE.items():
        if isinstance(facts.get(fact), int) and facts[fact] > limit:
            out.setdefault(fact, f"{facts[fact]:,}")
    return out


def unknown_facts(text: str) -> set[str]:
    """Facts the message says nobody knows: a "don't know" cue and a fact's noun in the same clause
    ("no idea on the vehicle count, broker didn't say", "payroll not on the app", "headcount unknown")."""
    out: set[str] = set()
    t = _norm_text(text)
    for clause in re.split(r"[,;.!?]|\s[-—–]\s|\band\b|\bbut\b", t):
        if not (_UNKNOWN.search(clause) or _NOT_ON_APP.search(clause)):
            continue
        for fact, nouns in FACT_NOUNS.items():
            if re.search(rf"\b(?:{nouns})\b", clause, re.I):
                out.add(fact)
    return out


_NOT_ON_APP = re.compile(r"\bnot on (?:the )?(?:app|application|submission|sheet)\b|\bmissing\b|\b(?:tbd|unk)\b", re.I)


def says_unknown(text: str) -> bool:
    return bool(_UNKNOWN.search(_norm_text(text)))


def first_money(text: str) -> int | None:
    return numbers.first_money(_norm_text(text))


def first_count(text: str) -> int | None:
    return numbers.first_count(_norm_text(text))


def money_facts(text: str) -> dict:
    return numbers.money_facts(_norm_text(text))


def count_facts(text: str) -> dict:
    return numbers.count_facts(_norm_text(text))


# Words that ask whether a code is the right one ("is that 713940?", "713940 or something else?", "611620 right?")
_DOUBT = re.compile(
    r"\b(?:is (?:that|it|this)|are we sure|right|correct|or something else|or (?:is it|should it be|another)"
    r"|should (?:it|that|we) (?:be|use)|would (?:it|that) be|does (?:that|it) fit|fits?|accurate|wrong)\b",
    re.I,
)


def code_doubted(text: str, code: str) -> bool:
    """The sentence that gives a code asks whether it is the right one: a question, with a word of doubt."""
    for sentence in re.findall(r"[^.!?\n]*[.!?\n]?", text):
        if code in sentence:
            return sentence.rstrip().endswith("?") and bool(_DOUBT.search(sentence))
    return False


def naics_fact(text: str) -> str | None:
    """A six-digit code named as such ('NAICS 722511', 'code 484121') or standing alone."""
    t = _norm_text(text)
    m = re.search(r"\b(?:naics|code|class)\b[^\d$]{0,20}?(\d{2}[\s-]?\d{4}|\d{6})\b", t, re.I)
    if m:
        return re.sub(r"\D", "", m[1])
    for m in re.finditer(r"(?<![\d$.,])(\d{6})(?!\d|,\d|\s*(?:k|m|mm|million|dollars|usd)\b)", t, re.I):
        before = t[max(0, m.start() - 30) : m.start()]
        if not numbers.REVENUE_KW.search(before) and not numbers.PAYROLL_KW.search(before):
            return m[1]
    return None


# Old-style abbreviations people still type with a full stop ("Mass.", "Calif.").
_STATE_ABBREVIATIONS = {
    "mass": "MA",
    "calif": "CA",
    "penn": "PA",
    "fla": "FL",
    "tex": "TX",
    "ariz": "AZ",
    "conn": "CT",
    "mich": "MI",
    "minn": "MN",
    "wis": "WI",
    "tenn": "TN",
    "colo": "CO",
    "okla": "OK",
}

_STREET_BEFORE = re.compile(r"\b(?:st|ave|rd|blvd|street|avenue|road|dr|drive|way|hwy|pkwy|ln|ct|pl)\.?\s+$", re.I)
_WHERE_CUE = re.compile(
    r"\b(?:in|based in|located in|out of|headquartered in|state of|state is|state:)\s+"
    r"(?:(?:rural|western|eastern|northern|southern|central|upstate|downstate|north|south|east|west)\s+)?$",
    re.I,
)


def _inside_city_name(low: str, m: re.Match) -> bool:
    nxt = re.match(r"[ \t]+([a-z]+)", low[m.end() :])
    return bool(nxt) and (nxt[1] == "city" or f"{m[0]} {nxt[1]}" in lexicon.cities())  # type: ignore[index]


# After a state's code, a number no ZIP code looks like ("00481-22", "4471902"): the code labels an identifier.
_IDENTIFIER_AFTER = re.compile(r"\s?(?!\d{5}(?:-\d{4})?(?!\d))(?:\d+-\d+|\d{6,})")
_ID_LABEL = re.compile(r"\b(?:client|customer|tax|account|member|policy|federal|employer|reference|user|ref)\s*$")


def _labels_identifier(t: str, start: int, end: int) -> bool:
    """The state's code at ``t[start:end]`` labels an identifier: "Client ID 00481-22", "Tax ID" (a ZIP after a code
    keeps it a state)."""
    return (
        bool(_IDENTIFIER_AFTER.match(t[end:]))
        or t[start:end].upper() == "ID"
        and bool(_ID_LABEL.search(t[:start].lower()))
    )


def state_fact(text: str, catalog, lenient: bool = False, where_only: bool = False) -> str | None:
    """A state named in full ('Texas', 'new york') or by an upper-case code ('TX'); a lower-case code only after
    'in'/'state' (and not an English word), or when the whole answer is the code (``lenient``). ``where_only`` (an
    answer about something else, e.g. what the business does): only a state said to be where the business is
    ('in rural South Dakota'), not a place it serves ('around Kansas City', 'ships to Texas')."""
    t = _norm_text(text)
    low = t.lower()
    names = sorted(((name.lower(), code) for code, name in catalog.states.items()), key=lambda x: -len(x[0]))
    extra = [
        ("district of columbia", "DC"),
        ("washington dc", "DC"),
        ("washington, dc", "DC"),
        ("washington d.c.", "DC"),
    ]
    best: tuple[int, str] | None = None
    for name, code in extra + names:
        # "Kansas City", "Michigan City", "Virginia Beach": a state's name inside a city's names no state by itself
        m = next(
            (m for m in re.finditer(rf"(?<![\w]){re.escape(name)}(?![\w])", low) if not _inside_city_name(low, m)),
            None,
        )
        if m and where_only and (not _WHERE_CUE.search(t[: m.start()]) or re.match(r"\s+[A-Z]", t[m.end() :])):
            continue
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), code)
            low = low[: m.start()] + " " * len(name) + low[m.end() :]  # "west virginia" hides "virginia"
    if best is None or where_only:
        # "Portland OR", "Columbus, Ohio" is handled above; "Raleigh NC": a place name then the code
        # the first such pair that names a state: "Re: New BOP - ..., Bath ME 04530" is past a pair that names none
        m = next(
            (
                m
                for m in re.finditer(
                    r"(?<![\w'])(?:[A-Z][a-z]+\.?\s){0,2}[A-Z][a-z]+\.?(?:\s|,\s?)([A-Z]{2})(?![\w'])", t
                )
                if m[1] in catalog.states
                and not _STREET_BEFORE.search(t[: m.start(1)])
                and not _labels_identifier(t, m.start(1), m.end(1))
            ),
            None,
        )
        if m and (best is None or m.start(1) < best[0]):
            best = (m.start(1), m[1])
    for abbr, code in _STATE_ABBREVIATIONS.items():
        m = re.search(rf"(?<![\w]){abbr}\.(?=\s|,|\?|$)", t, re.I)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), code)
    if lenient:
        bare = re.sub(r"[^A-Za-z]", "", t)
        if len(bare) == 2 and bare.upper() in catalog.states:
            return bare.upper()
    shouting = t.isupper()
    for m in re.finditer(r"(?<![\w'])([A-Za-z]{2})(?![\w'])", t):
        code = m[1].upper()
        if code not in catalog.states:
            continue
        before = t[max(0, m.start() - 12) : m.start()].lower()
        if _STREET_BEFORE.search(before):
            continue  # "88 Elm St NE": a street's quadrant, not Nebraska
        if re.match(r"[-#/]?\d", t[m.end() :]) or before.endswith("#"):
            continue  # "policy #TX-0098812", "WA123": a code's letters, not a state
        if _labels_identifier(t, m.start(1), m.end(1)):
            continue
        nxt = re.match(r",\s?([A-Z]{2})(?![\w'])", t[m.end() :])
        if nxt and nxt[1] in catalog.states:
            continue  # "LA, CA": a city's short name, then its state
        after_cue = bool(re.search(r"\b(?:in|state(?: is|:)?|state of|located in|based in)\s*$", before))
        if m[1].isupper() and not shouting:
            ok = code not in _AMBIGUOUS_CODES or after_cue
        else:
            ok = after_cue and m[1].lower() not in _ENGLISH_CODES
        if ok and where_only and not after_cue:
            continue
        if ok and (best is None or m.start() < best[0]):
            best = (m.start(), code)
            break
    return best[1] if best else None


_LOB_EXCLUDE_AFTER = {
    "auto": r"\s+(?:repair|body|parts|dealers?|dealership|mechanics?|shop|glass|detailing|sales|service|services|care|electric\w*|wash|upholstery|salvage|suppl\w+|rental\w*|transport\w*|hauler|towing)\b",
    # "the property is brick" is the building; "property is with us / is placed with you" the line held
    "property": r"\s+(?:management|managers?|developers?|development|maintenance|owners?|(?:is|was)(?!\s+(?:with|placed|written|bound|quoted)\b)|has|sits|itself|damage|lines|tax|taxes|manager)\b",
    "cyber": r"\s+(?:security|consult\w*|firm|company)\b",
    "network security": r"\s+(?:firm|company|consult\w*|services|business|provider)\b",
    "liability": r"\s+(?:limits?)\b",
    "comp": r"\s*(?:and|&|/|\+)\s*coll",  # "comp and collision": an auto coverage, not workers comp
}


def _fleet_is_the_line(before: str, rest: str) -> bool:
    """'They want fleet', 'on the fleet', 'fleet coverage': the auto line; 'a fleet of 25', 'its own fleet': vehicles."""
    if re.match(r"\s+(?:coverage|insurance|policy|auto|liability)", rest) or re.search(
        r"(?:for|cover|insure|insuring|covering)\s+(?:the |their |its )?$", before
    ):
        return True
    if re.match(
        r"\s*(?:of|size|sizes|is|are|has|have|was|were|count|includes|consists|numbers|totals|runs|\d"
        r"|info\w*|schedules?|lists?|details)\b",  # "no fleet info given": the vehicles, not the line
        rest,
    ):
        return False
    return not re.search(r"(?:\d|\bown)[\s-]*(?:[a-z]+[\s-]+)?$", before)


# After a line's name, what makes it a word about that line rather than the line asked for.
_OF_THE_LINE = r"\s+(?:claims?|loss(?:es)?|loss runs?|class(?:\s+code)?|codes?)\b"


def lob_fact(text: str, catalog) -> str | None:
    """The first line of business the text names (catalog synonyms), ignoring products we do not write and
    ordinary uses of the words ('auto repair shop', 'the property is wood frame', 'a fleet of 25')."""
    t = _norm_text(text)
    spans = [(m.start, m.end) for m in find_mentions(t, catalog)]
    low = names.mask(t, spans).lower().replace("-", " ")
    words = dict(catalog.synonyms)
    for code, name in catalog.lobs.items():
        words[name.lower()] = code
        words[code.replace("_", " ")] = code
    for short, code in LOB_SHORTHAND.items():
        if code in catalog.lobs:
            words.setdefault(short, code)
    hits: list[tuple[int, int, str]] = []
    for syn in sorted(words, key=len, reverse=True):
        pat = re.escape(syn.replace("-", " ")).replace("'", "'?").replace(r"\ ", r"\s+")
        for m in re.finditer(rf"(?<![\w']){pat}(?![\w])", low):
            if any(a <= m.start() < b for a, b, _ in hits):
                continue
            rest = low[m.end() :].split("\n", 1)[0]  # a line's end ends the phrase ("lines: property" / "code?")
            if syn in _LOB_EXCLUDE_AFTER and re.match(_LOB_EXCLUDE_AFTER[syn], rest):
                continue
            if re.match(_OF_THE_LINE, rest):
                continue  # "handles property claims", "GL class code: 91111": words about a line, not the line asked
            if (
                syn == "property"
                and re.search(r"(?:the|their|this|that|its|rental|residential)\s+$", low[: m.start()])
                and re.match(r"\s+(?:is|has|was|in|at|on|itself|(?!ded\b)\w+ed)\b", rest)  # "the property ded" asks
            ):
                continue
            if syn == "fleet" and not _fleet_is_the_line(low[: m.start()], rest):
                continue
            if _in_identifier(t, m.start(), m.end()):
                continue  # "policy 44-GL-1187734", "pol # WC 0091288": a policy number, not a line asked about
            if syn in ("commercial vehicle", "truck insurance") and re.search(r"\d\s*$", low[: m.start()]):
                continue
            hits.append((m.start(), m.end(), words[syn]))
    if not hits:
        return None
    return min(hits)[2]


# A line's letters inside a policy or account number: joined by a hyphen to digits on either side, or followed by a
# number of five or more digits ("GL-2231187", "44-GL-118", "WC 0091288").
_ID_BEFORE = re.compile(r"\d[-/]$")
_ID_AFTER = re.compile(r"^(?:[-/]?\d|\s?#?\s?\d{5,})")


def _in_identifier(text: str, start: int, end: int) -> bool:
    return bool(_ID_BEFORE.search(text[max(0, start - 2) : start]) or _ID_AFTER.match(text[end : end + 12]))


_AMBIGUOUS_CONSTRUCTION = {"masonry", "frame", "glulam", "tilt-up", "tilt up"}
# the building by its kind too: "frame barns", "sheds are metal", "bldgs"
_BUILDING_CONTEXT = re.compile(
    r"\b(?:building|buildings|bldgs?|construction|constructed|built|walls?|structures?|roof|stor(?:y|ies)|floors?"
    r"|premises|type|frame|class|barns?|sheds?|outbuildings?)\b",
    re.I,
)
# Beside a bare material ("steel", "metal", "brick"), the words that make it the building's: "steel building", "bldg
# is metal", "brick walls". A material anywhere else is what the business makes or works ("sheet metal shop",
# "fabricates structural steel for buildings").
_NEAR_BUILDING = re.compile(
    r"\b(?:buildings?|bldgs?|construction|constructed|built|walls?|structures?|roof|frame|premises|type|class)\b", re.I
)
# the trade's shorthand for a building: "metal bldgs" is the catalog's "metal building"
_BLDG = re.compile(r"\bbldg(s?)\b")


_BUILDING_PART = {"walls", "wall", "roof", "roofs", "floors", "floor", "deck", "joists", "joist", "frame", "trusses",
                  "truss", "construction", "building", "bldg", "structure", "exterior", "interior"}  # fmt: skip


def _by_materials(text: str, asked: bool) -> str | None:
    """No phrase of the catalog's names the building, but its materials or its ISO class do ("block walls with wood
    joists", "JM"): the words from the first material to the last part of the building they make, as typed, over
    the comma-separated parts that go on naming materials ("CMU walls, wood truss roof"). Outside a reply to the
    construction question, a part must name a part of the building ("walls", "roof", "construction") beside its
    material, and a class's initials must be in capitals."""

    def keys(part: str) -> list[str]:
        return [re.sub(r"[^a-z0-9-]", "", w.lower()) for w in part.split()]

    def material(part: str) -> bool:
        return any(
            construction_by_materials(k) and (asked or len(k) > 3 or w.isupper())
            for k, w in zip(keys(part), part.split(), strict=True)
        )

    for clause in re.split(r"[.;!?\n|]|\s-\s", text):
        parts = clause.split(",")
        start = next((i for i, p in enumerate(parts) if material(p) and (asked or set(keys(p)) & _BUILDING_PART)), None)
        if start is None:
            continue
        stop = start + 1
        while stop < len(parts) and material(parts[stop]):
            stop += 1
        words = ",".join(parts[start:stop]).split()
        ks = keys(" ".join(words))
        if construction_by_materials(" ".join(ks)) is None:
            continue
        first = next(i for i, k in enumerate(ks) if construction_by_materials(k) or k == "iso" or k in _BUILDING_PART)
        last = max(i for i, k in enumerate(ks) if construction_by_materials(k) or k in _BUILDING_PART)
        return " ".join(words[first : last + 1]).strip(",") or None
    return None


def construction_fact(text: str, catalog, asked: bool = False) -> str | None:
    """A construction phrase the catalog knows ('wood frame', 'Type II', 'non-combustible steel'), as typed."""
    t = _norm_text(text)
    low = _BLDG.sub(r"building\1", " " + re.sub(r"\s+", " ", t.lower()) + " ")
    best = None
    where = None
    for phrase in catalog.construction_phrases:
        # "stick-built" or "stick built", "non-combustible" or "non combustible": the hyphen is optional; "metal
        # buildings", "brick walls": a phrase in the plural is the same phrase
        pattern = r"[- ]?".join(re.escape(w) for w in re.split(r"[- ]", phrase))
        m = re.search(rf"(?<![a-z]){pattern}(?:s|es)?(?![a-z])", low)
        if m and (best is None or len(phrase) > len(best)):
            best, where = phrase, m
    if best is None:
        m = re.search(r"\btype\s+(i{1,3}|iv|v|[1-5])\b", t, re.I)
        if m:
            return f"Type {m[1].upper()}"
        return _by_materials(t, asked)
    if (mixed := _by_materials(t, asked)) is not None and mixed != best and len(materials(mixed)) > 1:
        try:  # "walls are brick, roof is wood frame": the materials together say more than one phrase of them
            if catalog.construction(mixed) != catalog.construction(best):
                return mixed
        except InvalidArgument:
            pass
    if best in _AMBIGUOUS_CONSTRUCTION and not asked:
        rest = low.replace(best, " ", 1)
        if not _BUILDING_CONTEXT.search(rest):
            return None
    if where is not None and re.fullmatch(r"[a-z]+", best) and best not in _AMBIGUOUS_CONSTRUCTION and not asked:
        near = low[max(0, where.start() - 25) : where.end() + 25]  # a few words either side
        if not _NEAR_BUILDING.search(near.replace(best, " ")):
            return None
    try:
        catalog.construction(best)
    except InvalidArgument:
        return None
    return best


def company_name(text: str, catalog=None, strict: bool = False) -> str | None:
    return names.company_name(_norm_text(text), catalog, strict)


def applicant_id(text: str) -> str | None:
    return names.applicant_id(text)


def description_fact(text: str, catalog=None) -> str | None:
    return names.description_fact(_norm_text(text), catalog, detect_task, lob_fact)


def bare_description(text: str, catalog=None) -> str | None:
    return names.bare_description(_norm_text(text), catalog, says_unknown)


def _is_place(name: str, catalog) -> bool:
    words = name.replace(",", " ").split()
    last = words[-1] if words else ""
    return (len(last) == 2 and last.upper() in catalog.states and last.isupper()) or state_fact(
        words[-1] if words else "", catalog
    ) is not None


def not_written(text: str, catalog) -> list[str]:
    found: list[str] = []
    for m in find_mentions(_norm_text(text), catalog):
        if m.name not in found:
            found.append(m.name)
    return found


def _requested_lob(text: str, catalog) -> str | None:
    """A line named as what they want ('they want WC', 'General liability then.'), in an answer to some other
    question; a line in a longer sentence about the business ('sells auto and home insurance') does not count."""
    for sentence in re.split(r"(?<=[.!?;])\s+", text):
        lob = lob_fact(sentence, catalog)
        if lob and (_REQUEST.search(sentence) or len(re.findall(r"[\w'&]+", sentence)) <= 5):
            return lob
    return None


# A reply to "Which NAICS code fits best: A; B; C?" that picks by place, says none fits, or only agrees.
_NONE_FIT = re.compile(
    r"^\W*(?:none|neither|nothing|no)\b(?:\s+(?:of\s+)?(?:those|them|these|the\s+\w+))?(?:\s+(?:fits?|match(?:es)?|works?|"
    r"(?:are|is)\s+(?:right|it|correct)))?\W*",
    re.I,
)
_YES_NO = re.compile(r"\W*(?:yes|yeah|yep|sure|ok|okay|no|nope|nah)?\W*", re.I)

# A reply to "Which line?" that names none in particular.
_ANY_LINE = re.compile(
    r"\W*(?:any(?:thing|one|\s+line|\s+of\s+them)?|whatever|every(?:thing|\s+line)|all(?:\s+of\s+them|\s+lines)?"
    r"|none(?:\s+yet)?|no(?:ne|thing)?\s+(?:line|particular|specific|preference)|open"
    r"|not\s+(?:asking|sure)\b[^?]*)\b",
    re.I,
)

CHAT_LINE = 300  # longer, or on several lines, is a pasted e-mail or form: its signature's city may be the broker's


# The short forms people write the first word of a place with ("st paul", "ft. worth", "mt vernon"): one spelling
# each, so that the gazetteer's "Saint Paul" and "St. Louis" are found however they are typed.
_PLACE_PREFIX = re.compile(r"\b(?:(saint|st)|(fort|ft)|(mount|mt))\.?(?=\s)")


def _place_key(name: str) -> str:
    """A place's name in one spelling: lower case, "saint"/"st." as "st", "fort"/"ft." as "ft", "mount"/"mt." as
    "mt", spaces single."""
    low = " ".join(name.lower().split())
    return _PLACE_PREFIX.sub(lambda m: "st" if m[1] else "ft" if m[2] else "mt", low)


@cache
def _clear_cities() -> dict[str, str]:
    """The gazetteer's cities whose name alone says the state (keyed by ``_place_key``): the most populous place of
    that name has at least four times the people of the next ("portland" is Oregon, "columbus" Ohio); "kansas
    city", "springfield", "charleston" or "aurora" name places in several states as large, and say none of them.
    (Kept out of the lexicon: its source is part of what the tagger was trained from.)"""
    places: dict[str, list[tuple[int, str]]] = {}
    with open(lexicon.DATA / "us_places.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):  # in the source's order: of two places as populous, the first
            places.setdefault(_place_key(row["name"]), []).append((int(row["population"]), row["state"]))
    out = {}
    for name, found in places.items():
        top = sorted(found, key=lambda p: -p[0])
        if len(top) == 1 or top[0][0] >= 4 * top[1][0]:
            out[name] = top[0][1]
    # the names people use for a big city or its boroughs ("atl", "indy", "queens"): each says one state
    with open(Path(__file__).resolve().parent / "data" / "city_short_names.csv", newline="", encoding="utf-8") as f:
        out.update({_place_key(row["short"]): row["state"] for row in csv.DictReader(f)})
    return out


def _known_city(name: str, as_typed: str) -> str | None:
    """The state of a city whose name alone says it (``_clear_cities``). A city named by words of the NAICS texts
    counts only when capitalised ("in mobile homes", "commerce"): every word of it, or its plural, a NAICS word
    ("labor union" names Labor Unions, not Union, NJ; "daytona beach" is a city)."""
    if as_typed.islower() and all({w, w + "s", w + "es"} & lexicon.naics_words() for w in name.split()):
        return None
    return _clear_cities().get(_place_key(name))


MAX_TRADE_WORDS = 6  # "AV production rental co nashville": a trade's name and a city, not a sentence


def _edge_code(word: str) -> str | None:
    """A state's code ending a trade's short name ("roofer fl", "dentist NM"), unless it is an English word ("in",
    "or") or a name's initials; the codes come from the lexicon's states."""
    low = word.lower().strip(".")
    if len(low) != 2 or low in _ENGLISH_CODES:
        return None
    return low.upper() if low.upper() in lexicon.state_codes() else None


# Codes that are also a profession's letters ("md office", "a DC's practice", "va clinic"): never read inside a
# description as a state
_TITLE_CODES = {"md", "ct", "va", "ms", "nd", "dc", "pa", "do", "rn"}


def _code_inside(description: str) -> tuple[str, str] | None:
    """A state's code inside what the business does, after the trade's name and before what it does next
    ("propane dealer vt delivers to homes"): the state, and the description without it. Not the first word, not a
    profession's letters, and only before a word no NAICS text uses (a verb, not "md practice")."""
    words = description.split()
    for i in range(1, len(words)):
        code = _edge_code(words[i])
        if code is None or words[i].lower() in _TITLE_CODES or not _names_trade(words[:i]):
            continue
        nxt = words[i + 1].lower().strip(",.") if i + 1 < len(words) else ""
        if nxt and nxt in lexicon.naics_words():
            continue
        return code, " ".join(words[:i] + words[i + 1 :])
    return None


def _city_at_edge(description: str) -> tuple[str, str] | None:
    """A city at the start or the end of what the business does, no "in" needed ("plumber tulsa", "pittsburgh law
    firm"): its state, and the description without it. The first clause only, when it is a short name of a trade (a
    sentence about the business names its places with "in", "near", read elsewhere); something must be left."""
    head, sep, rest = description.partition(",")
    words = head.split()
    if len(words) > MAX_TRADE_WORDS:
        return None
    if len(words) > 1 and (code := _edge_code(words[-1])) is not None:
        return code, (" ".join(words[:-1]) + sep + rest).strip(" ,")  # "roofer fl": a state's code, no "in" typed
    for n in (3, 2, 1):
        if len(words) <= n:
            continue
        # at the start, only before a word in lower case: "Coldwater Mechanical", "Sunrise Terrace" are names
        edges = [(words[-n:], words[:-n])] + ([(words[:n], words[n:])] if words[n][:1].islower() else [])
        for name, left in edges:
            typed = " ".join(name).strip(".")
            if (st := _known_city(typed.lower(), typed)) is not None:
                return st, (" ".join(left) + sep + rest).strip(" ,")
    return None


_PREFIX_BEFORE = re.compile(r"\b(saint|st|fort|ft|mount|mt)\.?[ \t]+$", re.I)


def _city_name(city, text: str) -> str:
    """The tagged city's name, with the short first word the tagger may leave out before it ("ft. worth" is Fort
    Worth, not Worth; "Saint Petersburg" is not Petersburg)."""
    name = str(city.value).strip().lower()
    if (m := _PREFIX_BEFORE.search(text, 0, city.span.start)) and not _PREFIX_BEFORE.search(name + " "):
        return f"{m[1].lower()} {name}"
    return name


# A clause about a place the business is not yet, or not mainly: "opening a second location in Ogden UT next year",
# "moving to Spokane WA in the spring", "plus a satellite office in Moline IL"
_OTHER_PLACE = re.compile(
    r"\b(?:(?:second|2nd|third|3rd|another|new|additional|satellite|future|planned)\s+(?:location|spot|store|shop|office"
    r"|branch|site|unit|facility|restaurant|clinic|yard)s?|(?:expanding|expand|moving|relocating|relocate|move)\s+"
    r"(?:\w+\s+)?(?:to|into)|will\s+(?:be\s+)?(?:open|opening|move|moving)\b)",
    re.I,
)


# Where the business is said only to work: the state only when nothing else says where it is
_SERVES = re.compile(
    r"\b(?:works?|working|jobs|projects|serves?|serving|operates?|operating|covers?|ships?|delivers?|travels?|does work)"
    r"(?:\s+\w+){0,2}?\s+(?:in|to|across|throughout|into)\b",
    re.I,
)
# A place's name as the style of a thing: "Texas-style BBQ", "New York style pizza"
_STYLE = re.compile(r"\b([A-Za-z]+(?:\s[A-Za-z]+)?)(?:-|\s)style\b", re.I)


def _without_other_places(text: str, serves: bool = True) -> str:
    """The text with each clause about another or a future place of the business blanked out (same length), so
    that a state named there is never taken for where the business is; so too a place's name said as a style, and,
    with ``serves``, the places it only works in ("works in Arkansas too")."""
    out = text
    for m in _STYLE.finditer(text):
        out = out[: m.start(1)] + " " * (m.end(1) - m.start(1)) + out[m.end(1) :]
    found = list(_OTHER_PLACE.finditer(text)) + (list(_SERVES.finditer(text)) if serves else [])
    for m in found:
        start = max(text.rfind(c, 0, m.start()) for c in ",.;!?\n(") + 1
        ends = [i for i in (text.find(c, m.end()) for c in ",.;!?\n)") if i >= 0]
        end = min(ends) if ends else len(text)
        out = out[:start] + " " * (end - start) + out[end:]
    return out


def _state_of_city(reading: Reading, text: str, company: str | None = None) -> str | None:
    """The state of a city a chat line names where a business is ("a deli in tulsa", "out of Lubbock"), when the
    gazetteer knows it (the most populous place of that name: "columbus" is Ohio). Not for pasted text, where a city
    may be the sender's, nor for a word of the company's name ("Keystone School Bus" is no place in Florida)."""
    if len(text) > CHAT_LINE or text.count("\n") > 1:
        return _place_in_body(text, company) or _city_of_first_line(reading, text, company)
    if company and reading.city is not None and str(reading.city.value).lower() in company.lower():
        reading = Reading(text=reading.text)  # the same reading without the city the name holds
    tagged = reading.city is not None and _known_city(_city_name(reading.city, text), reading.city.span.text)
    if tagged and reading.city and reading.city.span.start == 0:
        after = text[reading.city.span.end :].split()
        if after and after[0].lower().strip(".,!?'") in names.STOP | {"all", "everyone", "everything", "things"}:
            tagged = None  # "Hope you're well", "Hope all is well": a greeting's verb, not Hope, Arkansas
    if tagged and not (reading.city and reading.city.span.start == 0 and reading.city.span.text.islower()):
        return tagged
    # a lower-case first word the tagger took for a city ("linden insurance services in hattiesburg") yields to a place
    # said with a word of place; it stands when there is none
    desc = reading.facts.get("description")
    after_desc = -1  # "window washing crew tacoma, gl?": a place right after what the business does, no "in" needed
    if desc is not None and desc.how != "label" and (m := re.match(r"[ ,]+", text[desc.span.end :])):
        after_desc = desc.span.end + m.end()
    words = [(m.group(0), m.group(0).lower(), m.start()) for m in re.finditer(r"[A-Za-z][A-Za-z.']*", text)]
    for i in range(1, len(words)):
        if words[i - 1][1] not in PLACE_CUES and words[i - 1][1] != "of" and words[i][2] != after_desc:
            continue
        for n in (3, 2, 1):
            name = " ".join(w for _, w, _ in words[i : i + n]).rstrip(".")
            if i + n <= len(words) and (st := _known_city(name, words[i][0])):
                return st
    return tagged or None


# Where a pasted message's body ends and its sender's lines begin: a "--" line, a closing word, a phone-app footer
# (not a forwarding marker, "----- Forwarded message -----": the forwarded body follows it).
_SIGN_OFF = re.compile(
    r"^\s*(?:--+[ \t]*$|_{3,}|thanks?\b|thank you|regards|best\b|cheers|sent from|sincerely)", re.I | re.M
)
_LABEL_START = re.compile(r"^\s*[A-Za-z][\w -]{0,20}:")  # "From:", "Subject:", "Insured name:"


def _city_of_first_line(reading: Reading, text: str, company: str | None) -> str | None:
    """A city the tagger read in a paste's first line when that line is the underwriter's own words before what they
    pasted ("Fort Wayne machine shop, wants property. SOV below"), not a header or a label line."""
    city, first = reading.city, text.split("\n", 1)[0]
    if city is None or city.span.end > len(first) or _LABEL_START.match(first):
        return None
    if company and str(city.value).lower() in company.lower():
        return None
    return _known_city(_city_name(city, text), city.span.text)


def _place_in_body(text: str, company: str | None) -> str | None:
    """In pasted text, a city whose name alone says its state, after a word of place ("apartments in Milwaukee"),
    before the sender's sign-off: a signature's or header's city is said with no such word."""
    body = text[: m.start()] if (m := _SIGN_OFF.search(text)) else text
    words = [(m.group(0), m.group(0).lower()) for m in re.finditer(r"[A-Za-z][A-Za-z.']*", body)]
    for i in range(1, len(words)):
        if words[i - 1][1] not in PLACE_CUES or not words[i][0][:1].isupper():
            continue
        for n in (3, 2, 1):
            name = " ".join(w for _, w in words[i : i + n]).rstrip(".")
            if (
                i + n <= len(words)
                and not (company and name in company.lower())
                and (st := _known_city(name, words[i][0]))
            ):
                return st
    return None


_FORM_LINE = re.compile(r"^[ \t>*•-]*[A-Za-z#][\w#/&'. -]{0,40}[ \t]*:[ \t]*\S[^\n]*$", re.M)


def _without_name(text: str, company: str) -> str:
    """The text with each mention of the company's name blanked (same length: offsets stay those of the text)."""
    return re.sub(re.escape(company), lambda m: " " * len(m[0]), text, flags=re.I)


def _labelled(reading: Reading, fact: str) -> bool:
    got = reading.facts.get(fact)
    return got is not None and got.how == "label"


def _without_form_lines(text: str) -> str:
    """A pasted form without its "Label: value" lines: "Limits requested: 1M/2M" on an application is data, and the
    question is the line the underwriter wrote ("Please advise on appetite."). Chat lines are kept whole."""
    if text.count("\n") < 2:
        return text
    return _FORM_LINE.sub("", text)


_WORD3 = re.compile(r"[^\W\d_]{3,}")
_PHRASE_BREAK = re.compile(r"[,.;:!?()\n|]|\s[-–—/]\s|\s-|-\s")
# What a submission's subject does in the sentence, not what the business does: the phrase ends before it.
_BE = {"is", "are", "was", "were", "am", "isn't", "aren't"}
_ASKING_VERBS = {"need", "needs", "want", "wants", "looking", "seeking", "asking", "asks", "requests", "requesting",
                 "is", "are", "was", "were", "has", "have", "had", "says", "said", "would", "will", "can", "could"}  # fmt: skip
_QUESTION_WORDS = {"what", "whats", "what's", "how", "which", "who", "where", "when", "why", "whether", "if", "any",
                   "anything", "else", "about"}  # fmt: skip
_BEING_BEFORE = re.compile(r"\b(?:is|are|was|were)\s+(?:[\w-]+\s+){0,2}$", re.I)
_LEADING = {"a", "an", "the", "my", "our", "this", "that", "its", "it's", "is", "are", "for", "on", "re", "new", "got",
            "does", "do", "would", "will"}  # fmt: skip
# a business named by a word for any outfit and what it does: "an outfit that does X", "a crew who installs Y"
_RELATIVE = re.compile(r"\b(?P<noun>[A-Za-z]+)[ \t]+(?:that|who|which)[ \t]+\S.*", re.I)


def _trade_phrases(text: str, reading: Reading, catalog, company: str | None) -> str | None:
    """When no rule or tag found what the business does, the phrases left once every fact, place and line read is
    taken out (and the company's name: ``Conversation.trade_in_name`` reads that), each kept when its last word (an
    English phrase's head) is a word NAICS uses to name a trade; at most two, in order. The classifier then offers
    its codes to choose from: nothing is assumed from it."""
    spans = [(m.start, m.end) for m in find_mentions(text, catalog)] if catalog is not None else []
    for got in [*reading.facts.values(), *reading.lines, reading.city]:
        if got is not None:
            spans.append((got.span.start, got.span.end))
            if got.cue is not None and got.cue.end:
                spans.append((got.cue.start, got.cue.end))
                if 0 <= got.cue.start - got.span.end <= 25:  # "4 delivery vans": the kind of van is no trade
                    spans.append((got.span.start, got.cue.end))
    if company and (at := text.find(company)) >= 0:
        spans.append((at, at + len(company)))  # a name says the trade through the name: offered, never assumed
    if (cons := reading.facts.get("construction")) is not None and _BEING_BEFORE.search(text, 0, cons.span.start):
        # "The sheds are steel": the subject of what the building is made of is the building, not the trade
        spans.append((max(text.rfind(c, 0, cons.span.start) for c in ".!?;\n") + 1, cons.span.start))
    masked = list(text)
    for a, b in spans:
        masked[a:b] = "," * (b - a)
    kept: list[str] = []
    for part in _PHRASE_BREAK.split("".join(masked)):
        if (rel := _RELATIVE.search(part)) and rel["noun"].lower() in VAGUE:
            words = rel[0].split()
            while words and words[-1].lower() in DANGLING:
                words.pop()
            if len(words) <= 8 and _names_any_trade(words[2:]) and detect_task(" ".join(words)) is None:
                kept.append(" ".join(words))  # "which class for a firm that paints bridges": the trade, asked of
                continue
        words = part.split()
        asking = [i for i, w in enumerate(words) if w.lower().strip("'") in _QUESTION_WORDS]
        # "what about the trucks": a question about the business, not what it does; but "what naics is a bakery",
        # "naics for a bakery", "deductible for trucking co": what follows "a" or "an" after the question's words
        # (or "for" after a task's) is the business it asks about
        after = ("a", "an") if asking else ("a", "an", "for")
        if asking or detect_task(part) is not None:
            article = [i for i, w in enumerate(words) if w.lower() in after and i > (asking or [-1])[-1]]
            if not article:
                continue
            words = words[article[-1] + 1 :]
        while words and words[-1].lower().strip("'.") in COURTESY:
            words.pop()  # "code for a commercial bakery pls"
        verb = next((i for i, w in enumerate(words) if w.lower() in _ASKING_VERBS | JUDGING), len(words))
        words = words[:verb]  # "Acme Haulers wants ...": the phrase before what they ask for
        while words and words[-1].lower() in DANGLING:
            words.pop()  # "title agency in": a phrase ends on what it names
        while words and words[0].lower() in _LEADING:
            words.pop(0)
        digit = next((i for i, w in enumerate(words) if any(ch.isdigit() for ch in w)), len(words))
        tail = words[digit + 1 :]
        if tail and not any(any(ch.isdigit() for ch in w) for w in tail) and _names_trade(tail):
            if detect_task(" ".join(tail)) is None:
                kept.append(" ".join(tail))  # "limits for route 66 diner": a number in a name, then its trade
            continue
        words = words[:digit]  # "skating rink 3 sheets": what it is, before what it counts
        while words and words[-1].lower() in DANGLING:
            words.pop()
        if not words or len(words) > 6:
            continue
        if _names_trade(words) and detect_task(" ".join(words)) is None:
            kept.append(" ".join(words))
    return ", ".join(kept[:2]) or None


_NEXT_WORD = re.compile(r"[ \t]+([A-Za-z][A-Za-z'-]*)\b")


def _whole_trade(text: str, desc):
    """The tagger's description with the trade words next to it that it left out: after it ("skating" then "rink"),
    at most two, in lower case, before any figure or punctuation; before it, the one opening the sentence in capitals
    ("Cider" then "press"), or one in lower case or a trade's shorthand ("commercial GC")."""
    start, end, added = desc.span.start, desc.span.end, 0
    while added < 2 and (m := _NEXT_WORD.match(text, end)):
        if not _leaves_trade(m[1], opens=False) or m[1].lower() in JUDGING:
            break  # a trade's word in lower case, or its shorthand in any ("residential" then "GC")
        end, added = m.end(), added + 1
    if (m := _WORD_BEFORE.search(text, 0, start)) and _leaves_trade(m[1], opens=_OPENS.search(text, 0, m.start(1))):
        start, added = m.start(1), added + 1
    elif (m := _JOINED_BEFORE.search(text, 0, start)) and _names_trade(m[1].split()):
        start, added = m.start(1), added + 1  # "Espresso bar w/ pastries": what goes with the trade is no trade alone
    if not added:
        return desc
    span = dataclasses.replace(desc.span, start=start, end=end, text=text[start:end])
    return dataclasses.replace(desc, value=span.text, span=span)


# a phrase opening its sentence or clause, then a word joining what comes with it ("Taco stand w/ ", "bakery and ")
_JOINED_BEFORE = re.compile(
    r"(?:^|[.!?;:,\n][ \t]*)([A-Za-z][\w'&-]*(?:[ \t]+[A-Za-z][\w'&-]*){0,3})[ \t]+(?:w/|with|and|&|\+|plus)[ \t]*$"
)
_WORD_BEFORE = re.compile(r"\b([A-Za-z][A-Za-z'-]*)[ \t]+$")
_OPENS = re.compile(r"(?:^|[.!?]\s+|\n\s*)$")


def _leaves_trade(word: str, opens) -> bool:
    """A word the tagger left beside a description that belongs to it: a trade's word in lower case (or capitalised
    when it opens the sentence), or a trade's shorthand in any case."""
    if word.lower() in READ_IN_ANY_CASE:
        return True
    return (word.islower() or (bool(opens) and word.istitle())) and _trade_word(word.lower())


_LINE_LABEL = re.compile(r"^[ \t>*•-]*[A-Za-z#][\w#/&'. -]{0,40}?(?=[ \t]*:[ \t]*\S)", re.M)


def _body_trades(text: str, company: str | None) -> Iterator[tuple[int, str]]:
    """The clauses of a message's body (past any e-mail header lines) that are a short noun phrase naming a trade by
    its head word ("Sail loft, repairs only.", "... LLC, 4 Main St. MSP, revenue 3M"), with their place among the
    body's clauses; not the company's name, an address or a question."""
    body = _HEADER_LINE.sub("", _SUBJECT.sub("", text)).strip()
    # a line saying a figure is not known ("Budget: unknown, waiting on the board") names no trade in any clause
    body = "\n".join("" if says_unknown(line) or _NOT_ON_APP.search(line) else line for line in body.split("\n"))
    body = _LINE_LABEL.sub("", body)  # "Mgmt fee revenue: $9.8M": a label names the figure after it, not a trade
    for i, clause in enumerate(re.split(r"[,.;:!?()|\n]|\s[-–—]\s", body)):
        words = clause.split()
        if any(w.lower() in _ASKING_VERBS for w in words):
            continue  # "Sheds are steel", "Acme needs GL": a sentence, not a noun phrase naming the trade
        place = next((j for j, w in enumerate(words) if j and w.lower() in _WHERE_WORDS), len(words))
        words = words[:place]  # "flatbed hauler out of Omaha": what they do, before where
        phrase = " ".join(words)
        if not 1 <= len(words) <= 4 or any(ch.isdigit() for ch in phrase) or detect_task(phrase) is not None:
            continue
        if words[0].lower() in _QUESTION_WORDS | _LEADING | names.STOP or (company and phrase in company):
            continue
        if _names_trade(words):
            yield i, phrase


_PARTICIPLE_AFTER = {"from", "by", "to", "into", "in", "at", "off", "below", "above", "over", "out"}
_WHERE_WORDS = {"in", "out", "from", "based", "located", "near", "at", "serving", "around"}
_SUBJECT = re.compile(r"^[ \t>-]*(?:subject|re)[ \t]*:.*$", re.I | re.M)
_BRACKET = re.compile(r"[ \t]*\([ \t]*(?P<inner>[^()\n\d]{2,60}?)[ \t]*\)")
_OTHER_NAME = re.compile(r"^(?:dba|d/b/a|aka|fka|formerly|also|f/k/a|a/k/a|the)\b", re.I)


def _gloss(text: str, company: str) -> str | None:
    """The words in brackets right after the company's name when they name a trade ("Acme Co (ad agency)"), not
    another name of it ("(dba Acme Signs)")."""
    for at in re.finditer(re.escape(company), text):
        if m := _BRACKET.match(text, at.end()):
            inner = m["inner"].strip(" ,.;:")
            if not _OTHER_NAME.match(inner) and _names_any_trade(inner.split()):
                return inner
    return None


def _trade_word(word: str) -> bool:
    """A word NAICS names a trade with that is neither ours ("broker", "policy") nor a generic one ("business"); a
    trade's agent noun counts as its activity does ("roofer", "framers": roofing, framing)."""
    if word in READ_IN_ANY_CASE:
        return True  # "GC", "MSP": a trade's shorthand
    if word in names.GENERIC or word in names.STOP:
        return False
    words = names.trade_words()
    stem = word[:-1] if word.endswith("ers") else word
    if len(word) > 5 and word.endswith("e") and word[:-1] + "al" in words:
        return True  # "architecture", "agriculture": the noun of NAICS's adjective ("Architectural Services")
    return word in words or (len(stem) > 4 and stem.endswith("er") and stem[:-2] + "ing" in words)


def _names_any_trade(words: list[str]) -> bool:
    """Some word of the phrase names a trade (an answer to our question may say it anywhere)."""
    return any(_trade_word(w.lower().strip("'.,;:!?")) for w in words)


def _names_trade(words: list[str]) -> bool:
    """The phrase's last word (its head) names a trade; a word of our own trade ("broker", "agent") only after one
    that does ("customs broker")."""
    low = [w.lower().strip("'.,;:!?") for w in words]
    if len(low) > 1 and _edge_code(low[-1]) is not None:
        low = low[:-1]  # "roofer fl": the trade, then where (``_city_at_edge`` reads the code)
    for n in (3, 2, 1):
        if len(low) > n and _known_city(" ".join(low[-n:]), " ".join(words[-n:]).strip("'.,;:!?")):
            low = low[:-n]  # "welder el paso", "roofer indy": the trade, then a city that says its state
            break
    verb = [len(w) > 4 and w.endswith("ed") and not w.endswith("eed") for w in low]
    if low and (verb[-1] or (len(low) > 1 and verb[0] and low[1] in _PARTICIPLE_AFTER)):
        return False  # "pasted", "copied from the sheet": a verb's participle and what follows name no trade
    named = [_trade_word(w) for w in low]
    if low and low[-1] in VAGUE:  # "another carrier", "the contractor": a word for any outfit needs its trade
        return any(named[:-1])
    return bool(low) and (named[-1] or (low[-1] in names.trade_words() and any(named[:-1])))


# Words that open another business and cannot be a reply to our question (unlike "I have", "got": "I have no idea",
# "got 12 trucks"): another business even while a question about the last one is open.
_ACCOUNT = r"(?:one|acct|account|business|submission|risk|applicant|insured|client|prospect)"
_ANOTHER_BUSINESS = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|and|now|so|alright|right)\W+)?(?:(?:i'?m\s+|we'?re\s+)?switching(?:\s+(?:gears|accounts?|accts?))?"
    rf"|moving on|next(?: one| up)|(?:a )?(?:new|different|another|next) {_ACCOUNT})\b",
    re.I,
)


# A size said before the trade, after "a" and at most one word ("a 40-bed nursing home", "a new 4 story office
# bldg", "a 3 doc practice"): how big, in the trade's own unit, not what the business does.
_SIZE_BEFORE_TRADE = re.compile(
    r"\b((?:a|an)\s+(?:[a-z]+\s+)?)\d{1,4}[- ]?(?:docs?|doctors?|physicians?|dentists?|lawyers?|attorneys?|providers?"
    r"|chairs?|beds?|stor(?:y|ies|eys?)|units?|rooms?|keys?|seats?|tables?|bays?|lanes?|pumps?|doors?|screens?|holes?"
    r"|slips?|sites?|pads?|courts?|acres?|locations?|stores?|person|man)\s+(?=[a-z])",
    re.I,
)


def _without_sizes(text: str) -> str:
    return _SIZE_BEFORE_TRADE.sub(r"\1", text)


_OTHER_SIDE = re.compile(
    r"\b(?:broker|agent|agency|carrier|insurer|office|hq|headquarters|parent|customers?|clients?)\b", re.I
)
_CORRECTING = re.compile(
    r"\b(?:sorry|actually|correction|oops|wait|i mean|i meant|my bad|scratch that|make that)\b", re.I
)


def _state_after_correction(text: str, catalog, first: str) -> str | None:
    """Another state named after a correction word that follows the state read ("in Ohio - sorry, they're in
    Indiana", "TX, wait no, OK"): the state corrected to."""
    for m in _CORRECTING.finditer(text):
        if state_fact(text[: m.start()], catalog) != first:
            continue  # the correction comes before the state read: it corrects something else
        after = re.split(r"[.!?\n]", text[m.end() : m.end() + 50], maxsplit=1)[0]
        if re.match(r"\s*(?:for|about|to)\b", after) or _OTHER_SIDE.search(after):
            continue  # "sorry for the delay", "the broker in Ohio": no state of the business corrected
        later = state_fact(after, catalog)
        if later is not None and later != first:
            return later
    return None


def another_business(text: str) -> bool:
    """The message opens another business than the one being discussed, whatever question was open."""
    return bool(_ANOTHER_BUSINESS.search(text))


def parse(text: str, catalog, asked: str | None = None) -> Parsed:
    """Everything one underwriter message says. ``asked``: the fact the copilot asked for just before it."""
    t = _norm_text(text)
    if asked is not None and another_business(t):
        asked = None  # "another one: a notary office ..." while a code pick is open: a new opening, no reply
    asking = _without_form_lines(t)
    p = Parsed(text=t, task=detect_task(asking) or detect_task(t), unknown=says_unknown(t))
    p.not_written = not_written(t, catalog)
    if asked == "description" and p.not_written and not (_REQUEST.search(t) or "?" in t):
        p.not_written = []  # what the business does names its goods and customers ("sells to homeowners"), no request
    p.tasks = (detect_tasks(asking) or detect_tasks(t)) if p.task else []
    p.each_line = bool(_EACH_LINE.search(t))
    if p.tasks and p.task != p.tasks[0]:
        p.task = p.tasks[0]
    if asked == "naics" and _NO.search(t) and naics_fact(t) is None:
        p.unknown = True  # "No." to "Do you know the business's NAICS code?"
    if asked == "lob" and _ANY_LINE.match(t) and lob_fact(t, catalog) is None:
        p.unknown = True  # "anything", "none yet" to "Which line?": no line in particular, never asked again
    p.applicant_id = applicant_id(t)
    # While answering a question, only an unmistakable name counts (a suffix like LLC, or "for Acme").
    p.company = None if p.applicant_id else company_name(t, catalog, strict=asked is not None)
    if p.company and _is_place(p.company, catalog):
        p.company = None  # "Las Vegas NV", "Columbus, Ohio": a place, not a company
    if asked is not None and p.task and "?" in t and (p.applicant_id or p.company):
        # A new question naming the applicant ("What deductible should we offer APP-0043 for auto?") is read as a
        # question, not as the answer to ours: the line it names counts, and it is not a description.
        asked = None
    f = p.facts
    reading = read(t, catalog, asked)
    p.reading = reading
    p.task_lines = task_lines(t, reading, catalog) if len(p.tasks) > 1 else {}
    # The figures and the code come from the reader alone: each through a cue, a label or the question asked,
    # never from a phone number, ZIP, year or six-digit code (graph/reader/read.py holds those invariants).
    f.update({k: v.value for k, v in reading.facts.items() if k in (*NUMERIC_FACTS, "naics")})
    if p.task is None and "naics" in f and code_doubted(t, str(f["naics"])):
        p.task, p.tasks = "classification", ["classification"]  # "is that 713940 or something else?"
    if "vehicles" not in f and "vehicles" not in reading.unknown and numbers.NO_VEHICLES.search(t):
        f["vehicles"] = 0  # "no vehicles": a count said in words, which the reader leaves to this rule
    where = _without_other_places(t)
    if (st := _state_in_body(where, catalog, asked)) is not None:
        f["state"] = st
    elif (
        "state" in reading.facts
        and asked in (None, "state", "naics", "naics_choice")
        and where[reading.facts["state"].span.start] != " "
    ):
        f["state"] = reading.facts["state"].value  # "savannah GA", "denver co": a place the rules missed
    elif (st := _state_of_city(reading, t, p.company)) is not None and asked in (None, "state"):
        f["state"] = st  # "a deli in tulsa": the gazetteer's state for the city (shown in the read-back to correct)
    elif (st := _state_in_body(_without_other_places(t, serves=False), catalog, asked)) is not None:
        f["state"] = st  # "serves all of Texas": where it works, when nothing says where it is
    if asked is None and "state" in f and (len(t) > CHAT_LINE or t.count("\n") > 1) and (end := _SIGN_OFF.search(t)):
        # a pasted message's body says where the business is; its sender's signature, after it, where the broker is
        body = t[: end.start()]
        if (st := state_fact(body, catalog) or _place_in_body(body, p.company)) is not None:
            f["state"] = st
    if "state" in f and asked in (None, "state") and (fixed := _state_after_correction(t, catalog, str(f["state"]))):
        f["state"] = fixed  # "in Ohio - sorry, they're in Indiana": the state said after the correction
    # In an answer to another question, a line counts only as what they want ("they want WC"), not as what the
    # business does ("sells auto and home insurance").
    # A question asked instead of picking a code ("what about property on its own?", "whats the appetite for GL")
    # describes nothing; the line it names is the one it asks about, kept for when the code is known.
    asks_instead = asked in ("naics", "naics_choice") and ("?" in t or p.task is not None)
    lob = lob_fact(t, catalog) if asked in (None, "lob") or asks_instead else _requested_lob(t, catalog)
    if lob is None and asked in (None, "lob") and _labelled(reading, "lob"):
        lob = str(reading.facts["lob"].value)  # a table's "Line" column ("Line | Property")
    if lob is not None:
        f["lob"] = lob
    if (c := construction_fact(t, catalog, asked=asked == "construction")) is not None:
        f["construction"] = c
    # The tagger's description, unless the rules' one holds it and says more ("sign shop / printer" over "sign shop");
    # the rules' alone when the tagger found none. The tagger reads the whole message, the rules a clause. Both read
    # it without a size said before the trade ("a 40-bed nursing home"): the size is no part of what it does.
    dt = _without_sizes(t)
    dreading = reading if dt == t else read(dt, catalog, asked)
    tagged = dreading.facts.get("description") if asked in (None, "description") and not p.applicant_id else None
    if tagged is not None and tagged.how != "label":
        tagged = _whole_trade(dt, tagged)
    if tagged is not None and tagged.how != "label" and _BE.intersection(str(tagged.value).lower().split()):
        tagged = None  # "all is well": a sentence, never a noun phrase naming what the business does
    # a reply to a question about another fact ("they run vans but no count") says nothing new of the business
    ruled = (
        description_fact(dt, catalog)
        if asked in (None, "description", "naics", "naics_choice") and not asks_instead
        else None
    )
    if tagged is not None and tagged.how == "label" and p.company and p.company.lower() in str(tagged.value).lower():
        p.company = None  # "Business type: Full-service Restaurants": what it does, under its label, is no name
    if tagged is not None and p.company and str(tagged.value).lower() in p.company.lower():
        tagged = None  # "School" in "Keystone School Bus": a word of the name, not what the business does
    if tagged is not None and (tagged.how == "label" or not (ruled and str(tagged.value).lower() in ruled.lower())):
        f["description"] = tagged.value
    elif ruled is not None:
        f["description"] = ruled
    if (
        asked is None
        and (tagged is None or tagged.how != "label")
        and (asked_of := names.code_question_trade(dt, catalog, detect_task, lob_fact)) is not None
        and asked_of.lower() not in str(f.get("description", "")).lower()
    ):
        f["description"] = asked_of  # "naics for a coworking space? they rent desks": the business asked about
    if "description" in f and not _describes(str(f["description"]), catalog):
        del f["description"]  # "current policy", "prior carrier": the insurance's words; the phrases below may name it
    if (
        asked is None
        and (p.task is not None or "lob" in f)  # "title agency in boise - GL?", "roofer in tulsa needs a wc quote"
        and not ({"description", "naics"} & set(f))
        and not p.applicant_id
        and len(t) <= CHAT_LINE
        and t.count("\n") <= 1
        and (rest := _trade_phrases(dt, dreading, catalog, p.company))
    ):
        f["description"] = rest  # "title agency in boise, 6 closers": what is left names a trade
    if (
        "state" not in f
        and "description" in f
        and asked in (None, "state", "description")
        and len(t) <= CHAT_LINE
        and t.count("\n") <= 1
        and (edge := _city_at_edge(str(f["description"]))) is not None
    ):
        f["state"], f["description"] = edge  # "plumber tulsa": where, and what the business does (read back to correct)
    if (
        "state" not in f
        and "description" in f
        and asked in (None, "description")
        and (inner := _code_inside(str(f["description"])))
    ):
        f["state"], f["description"] = inner  # "propane dealer vt delivers to homes": where, inside what they do
    if "description" in f and "\n" in str(f["description"]).strip() and not _labelled(reading, "description"):
        # "question\n\nDry cleaner": a subject's word run into the body; what they do is said on one line
        lines = [ln.strip() for ln in str(f["description"]).splitlines() if _names_any_trade(ln.split())]
        f["description"] = lines[-1] if lines else str(f["description"]).strip().splitlines()[-1].strip()
    if "description" in f and "construction" in f and str(f["description"]).lower() in str(f["construction"]).lower():
        del f["description"]  # "wood walls and a metal roof": the building's words, not what the business does
    if "description" in f and not _WORD3.search(str(f["description"])):
        del f["description"]  # "a go for property": no word of three letters describes a business (nor can the tool)
    if "description" in f and not _describes(str(f["description"]), catalog):
        del f["description"]  # "oh wait, it is el paso": a correction's words and a pronoun describe nothing
    if p.company is None and asked is None and not p.applicant_id and reading.company is not None:
        # the tagger's name where the rules found none ("Birchwood Shuttle Lines needs auto"), its capitalised words
        words = str(reading.company.value).split()
        while words and not words[-1][:1].isupper():
            words.pop()
        name = " ".join(words).rstrip(".,")
        if len(words) >= 2 and not _is_place(name, catalog) and not _in_header(t, name):
            p.company = name
    if p.company and _in_header(t, p.company):
        # "Fwd", "Original Message", "Date": words of an e-mail header, not the applicant; the reader's company
        # (tagged in the subject or the body) stands instead
        p.company = str(reading.company.value) if reading.company else None
    if (
        "lob" in f
        and p.company
        and asked in (None, "lob")
        and (other := lob_fact(_without_name(t, p.company), catalog))
    ):
        f["lob"] = other  # "Harbor Cyber Cafe ... GL requested": a line's word in the name is no line asked for
    if (
        _DEFINITION.search(t)
        and not (set(f) - {"lob", "construction", "description"})
        and not (p.applicant_id or p.company)
    ):
        p.intent, p.task, p.tasks = "guidelines", None, []  # asks what a rule or a word means, not for a verdict
        f.pop("description", None)  # ("is there a rule about building age": the rule asked about, no business)
    p.invalid = invalid_figures(t, f, asked)
    for key in p.invalid:  # refused with what is valid, never used
        f.pop(key, None)
    said_unknown = unknown_facts(t) | set(reading.unknown)
    p.unknown_facts = said_unknown - {"naics"} if asked != "naics" else said_unknown
    for key in p.unknown_facts:  # "no idea on the vehicle count" is never 0 vehicles
        f.pop(key, None)
    if asked == "naics" and (p.unknown or "naics" in p.unknown_facts) and not (set(f) - {"description"}):
        # "dunno the naics, they haul refrigerated freight": the code is not known, the other clauses describe
        unsure = [s.text.strip(" ,.;:!?") for s in reading.unknown.values()]
        told = [
            c
            for c in re.split(r"[,;]|\s[-–—]\s", t)
            if c.strip() and not says_unknown(c) and not any(u and u in c for u in unsure)
        ]
        if told and _names_any_trade(" ".join(told).split()) and (whole := bare_description(", ".join(told), catalog)):
            f["description"] = whole.strip(" ,.;:-")
    # A bare answer answers the question asked last, when the sentence names no other fact.
    if asked and asked not in f and not p.unknown:
        value: int | str | None = None
        others = [k for k in NUMERIC_FACTS if k in f and k != asked]
        if asked in NUMERIC_FACTS:
            value = None  # the reader binds a bare figure to the question (or reads it as the fact it names)
            if asked in COUNT_FACTS and not others and re.fullmatch(r"\s*(?:none|zero|no|nope|0)\W*", t, re.I):
                value = 0
        elif asked == "description":
            value = bare_description(t, catalog)
        elif asks_instead and not _NONE_FIT.match(t):
            pass  # a question asked instead ("what about property on its own?") describes nothing
        elif asked == "naics" and not (set(f) - {"description"}) and "naics" not in p.unknown_facts:
            value = None
            if (
                (whole := bare_description(t, catalog))
                and not re.fullmatch(r"\W*(?:yes|yeah|yep|sure|ok|okay)\W*", t, re.I)
                and _names_trade(whole.split())  # "app left it blank" says no code, and nothing the business does
            ):
                f["description"] = (
                    whole  # "Roofing contractor." answers "Do you know the NAICS code?" with what they do
                )
        elif asked == "naics_choice" and not (set(f) - {"description"}) and not names_a_position(t):
            # no code picked: words about the business answer the choice ("none fit, they rent party tents"): the
            # description changes and the new one is classified, never the old one's first code assumed; a reply
            # that gives another fact instead ("sales are about 2M") says nothing of the business
            rest = _NONE_FIT.sub(" ", t)
            if says_a_pick(rest):
                pass  # "the retail one", "that commercial one": a pick by a word of its title, no description
            elif (whole := bare_description(rest, catalog)) and not _YES_NO.fullmatch(rest):
                f["description"] = whole.strip(" ,.;:-")
        if value is not None:
            f[asked] = value
    elif asked == "description" and "description" in f and not p.unknown and not _labelled(reading, "description"):
        # The whole answer says more than the clause we picked out: classify on all of it.
        whole = bare_description(t, catalog)
        if whole:
            f["description"] = whole
    if asked in (None, "description") and not _labelled(reading, "description"):
        if p.company and (gloss := _gloss(t, p.company)):
            f["description"] = gloss  # "Acme Co (sign shop)": what it does, in brackets after its name
        elif (
            asked is None
            and (first := next(_body_trades(t, p.company), None)) is not None
            and construction_fact(first[1], catalog) is None  # "fire resistive building": how it is built
        ):
            at, said = first
            if "description" not in f:
                f["description"] = said  # "Acme LLC, 4 Main St. MSP, ...": a clause of its own names the trade
            elif at == 0 and "," in str(f["description"]) and said.lower() not in str(f["description"]).lower():
                f["description"] = said  # "Tannery. Hides, leather, belts.": the trade, then a list of its goods
        if "description" in f and not _describes(str(f["description"]), catalog):
            del f["description"]  # "correction: employees is 11": a correction's own word names no trade
    if "description" in f and p.unknown_facts and _NOT_KNOWING.search(str(f["description"])):
        del f["description"]  # "we don't have their sales figure": that nobody knows a fact describes nothing
    if asked is None and _WHAT_IF.search(t):
        # "what if it had 1,300 employees?": a figure supposed is no fact of the applicant; kept apart, never used
        p.supposed = {k: f.pop(k) for k in list(f) if k != "lob"}
    return p


_NOT_KNOWING = re.compile(rf"{_UNKNOWN.pattern}|\b(?:don'?t|do not|doesn'?t|does not) have\b", re.I)


def _describes(text: str, catalog) -> bool:
    """Words that may say what a business does: not only a correction's words and pronouns."""
    return bool([w for w in names.content_words(text, catalog) if w not in CORRECTION_WORDS])
