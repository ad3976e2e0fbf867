"""Text to facts for the offline rules model: what an underwriter's plain sentence says about a submission.

``parse(text, catalog, asked)`` reads one underwriter message and returns a ``Parsed``: the task it asks about
(one of the six, or None), the facts it states (NAICS code, what the business does, state, line of business,
revenue, employees, payroll, vehicles, construction), the company name or applicant id it names, whether it
says "I don't know", and the products we do not write that it mentions. ``asked`` is the fact the copilot asked
for last: a bare answer ("4.5M", "32", "Texas", "wood frame") answers it.

Everything here is deterministic and uses only the live catalog (LOB synonyms, states, construction phrases,
NAICS titles), never a hard-coded list of the lines we write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tools import catalog as norm
from tools.errors import InvalidArgument
from tools.guard import find_mentions

TASKS = ("appetite", "product_recommendation", "small_business", "policy_limits", "deductible", "classification")

# One question per fact, in plain words (the copilot asks them one at a time).
QUESTIONS = {
    "description": "What does the business do?",
    "state": "Which state is the business in?",
    "lob": "Which line of business are they asking about?",
    "annual_revenue": "What is the applicant's annual revenue?",
    "employees": "How many employees do they have?",
    "annual_payroll": "What is their total annual payroll?",
    "vehicles": "How many vehicles does the business have?",
    "construction": "What is the building's construction (e.g. wood frame, masonry, steel, concrete)?",
}
FACT_WORDS = {
    "description": "what the business does", "state": "the state", "lob": "the line of business",
    "annual_revenue": "annual revenue", "employees": "the number of employees", "annual_payroll": "annual payroll",
    "vehicles": "the number of vehicles", "construction": "the building's construction", "total_assets": "total assets",
    "naics": "the NAICS code",
}

# --- task cues (checked in this order: the more specific nouns first) -------------------------------------
_TASK_CUES: list[tuple[str, re.Pattern]] = [
    ("deductible", re.compile(r"\bdeductibles?\b|\bself[- ]insured retention\b", re.I)),
    ("policy_limits", re.compile(r"\blimits?\b|\bper[- ]occurrence\b|\baggregate\b|\bhow much (?:coverage|cover)\b", re.I)),
    ("product_recommendation", re.compile(
        r"\bwhat else\b|\bother (?:lines?|products?|coverages?|policies|lobs?)\b|\bcross[- ]?sell|\bup[- ]?sell|\brecommend"
        r"|\bwhat (?:can|could|should|else can|else could) we (?:also )?(?:offer|sell|write|quote|pitch)\b"
        r"|\b(?:what|which) (?:lines|products|coverages|policies|lobs)\b|\banything else (?:we|to) (?:can |could )?(?:offer|sell|write)"
        r"|\bbesides\b|\badditional (?:lines?|coverages?|products?)\b|\bround out\b", re.I)),
    ("appetite", re.compile(
        r"\bappetite\b|\b(?:can|could|do|would|will|should|may) we (?:still )?(?:write|cover|insure|take on|take|quote|accept|bind|offer|provide|sell)\b"
        r"|\b(?:able|allowed|willing) to (?:write|cover|insure|offer|quote|take on)\b|\bwe'?d (?:write|cover|insure|offer|take|accept|quote)\b"
        r"|\b(?:good|right|viable) candidate\b|\bfalls? (?:within|inside|outside)\b|\bunderwriting guidelines\b"
        r"|\beligible for\b|\b(?:a |good |right )fit\b|\bwithin (?:our )?(?:guidelines|guide)\b|\bwritable\b|\bacceptable risk\b", re.I)),
    ("small_business", re.compile(
        r"\bsmall[- ]business\b|\bcounts? as (?:a )?small\b|\b(?:qualify|qualifies|considered|classed|classified) as (?:a )?small\b"
        r"|\bsize standards?\b|\bsba\b|\b(?:is|are) (?:it|this|this one|that one|the business|the company|they|these guys) (?:still )?small\b"
        r"|\bsize test\b|\btoo (?:big|large)\b|\bsmall enough\b|\bsmall under\b|\bsmall\s*\?", re.I)),
    ("classification", re.compile(
        r"\bnaics\b(?!\s*(?:code\s*)?(?:is\s*|of\s*|=\s*|:\s*|#\s*)?\d)|\bclassif|\bindustry code\b|\bclass code\b"
        r"|\bwhat (?:industry|kind of business|type of business|sector)\b|\bindustry[- ]wise\b"
        r"|\b(?:what|which)(?:'s| is| are)? (?:the |their |its |a )?(?:right |correct |best |new |current )?(?:20[12][27] )?(?:industry |class |naics )?codes?\b", re.I)),
]

_UNKNOWN = re.compile(
    r"\b(?:i\s+)?(?:don'?t|do not|dont|doesn'?t|does not)\s+know\b|\bnot sure\b|\bno idea\b|\bunknown\b|\bunsure\b"
    r"|\bno clue\b|\bcan'?t say\b|\bcannot say\b|\bnot known\b|\b(?:don'?t|do not) have (?:that|it|this|those|the)\b"
    r"|\bnot (?:provided|given|available|stated|listed|in the submission)\b|\bn/a\b|\b(?:they|it|the broker) didn'?t say\b"
    r"|\bno information\b|\bnot specified\b|\bhaven'?t (?:got|been told)\b", re.I)

# --- numbers -------------------------------------------------------------------------------------------
_NUMBER_WORDS = {
    "zero": 0, "no": 0, "none": 0, "one": 1, "a single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a dozen": 12, "dozen": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
}
_NUM_WORD_RE = "|".join(sorted((re.escape(w) for w in _NUMBER_WORDS), key=len, reverse=True))
_MONEY_RE = re.compile(
    r"(?P<cur>\$)?\s?(?P<num>\d[\d,]*(?:\.\d+)?|\.\d+)\s*(?P<unit>k|thousand|mm|m|mil|million|bn|b|billion)?(?![\w$])", re.I)
_INT = rf"(?P<n>\d[\d,]*|{_NUM_WORD_RE})"
_APPROX = r"(?:about |around |roughly |approximately |approx\.? |some |over |under |nearly |almost |just under |just over |~)?"
_EMPLOYEE_NOUN = r"(?:full[- ]time |part[- ]time |total |fte )?(?:employees|employee|staff|people|workers|employes|ftes|fte|team members|w-2 employees|headcount|on staff)"
_EMPLOYEES = [
    re.compile(rf"\b{_APPROX}{_INT}\s+{_EMPLOYEE_NOUN}\b", re.I),
    re.compile(rf"\b(?:staff|team|workforce|headcount|crew) (?:of|is|=|:)\s*{_APPROX}{_INT}\b", re.I),
    re.compile(rf"\bemploy(?:s|ing)?\s+{_APPROX}{_INT}\b", re.I),
    re.compile(rf"\b(?:employees|employee count|number of employees|headcount)\s*(?:is|are|of|=|:|total(?:s)?)?\s*{_APPROX}{_INT}\b", re.I),
]
_VEHICLE_NOUN = (r"(?:[a-z]+[- ])?(?:vehicles?|trucks?|vans?|cars?|autos|tractors?|trailers?|rigs?|buses|bus|power units|units|"
                 r"limos?|limousines?|cabs?|taxis?|taxicabs?|pickups?|sedans?|suvs?|ambulances?|semis?|box trucks?|dump trucks?)")
_VEHICLES = [
    re.compile(rf"\b{_APPROX}{_INT}\s+(?:[a-z-]+\s+){{0,2}}?{_VEHICLE_NOUN}\b", re.I),
    re.compile(rf"\bfleet (?:of|is|=|:|size (?:is|of)?)\s*{_APPROX}{_INT}\b", re.I),
    re.compile(rf"\b(?:vehicles|vehicle count|number of vehicles|trucks)\s*(?:is|are|of|=|:|total(?:s)?)?\s*{_APPROX}{_INT}\b", re.I),
]
_NO_VEHICLES = re.compile(
    r"\b(?:no|zero|without(?: any)?|not? any|(?:do|does|did)(?:n'?t| not) (?:have|own|run|operate|use) any)\s+(?:\w+\s+)?"
    r"(?:vehicles?|trucks?|cars?|vans?|autos|fleet)\b", re.I)
_REVENUE_KW = re.compile(r"\b(?:revenues?|sales|receipts|turnover|top[- ]line|gross(?:es|ing)?|income|billings?|volume)\b", re.I)
_REVENUE_VERB = re.compile(r"\b(?:makes?|making|made|brings? in|bringing in|does|doing|earns?|earning|generates?|generating|a year|per year|annually|per annum|/yr|yearly)\b", re.I)
_PAYROLL_KW = re.compile(r"\b(?:payroll|wages|salaries|remuneration)\b", re.I)
_CLAUSE_SPLIT = re.compile(r",(?!\d{3}(?:\D|$))|;|(?<!\d)\.(?!\d)|[!?]|\s(?:and|but|while|plus|with|although|though)\s|\s[-—–]\s", re.I)

# --- states --------------------------------------------------------------------------------------------
_AMBIGUOUS_CODES = {"OK", "ID", "HI", "OH", "ME", "OR", "IN", "MD", "CT", "PA", "LA", "CO", "DE", "AL", "MA", "GA", "MT", "SC"}
_ENGLISH_CODES = {"or", "me", "in", "hi", "ok", "oh", "id", "de", "co", "pa", "ma", "la", "al", "so", "do", "is", "it", "to", "am", "as"}

# --- company names -------------------------------------------------------------------------------------
_SUFFIXES = {"llc", "inc", "co", "corp", "corporation", "ltd", "company", "lp", "llp", "pllc", "pc", "plc", "group", "holdings"}
_CONNECTORS = {"&", "and", "of", "de", "del", "la", "le", "the", "on"}
_STOP = set("""
i i'm i've i'd i'll im ive can could would should will shall may might must what what's whats which who whom whose how
is are was were be been being do does did done have has had having the a an this that these those they they're theyre
their them it it's its we we're our us you your yours please hi hello hey thanks thank yes no ok okay sure also and
but so now next then great good not sorry well just let let's lets tell check give find look any some other besides
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
""".split())
_CUE_BEFORE_SINGLE = {"for", "about", "from", "named", "called", "is", "does", "check", "with", "re", "regarding"}
_NO_COMPANY_BEFORE = {"a", "an", "in", "on", "at", "near", "to", "into", "outside", "downtown", "of", "old"}
_WORK_ON = {"working", "work", "check", "checking", "quote", "quoting", "look", "looking", "info", "submission", "details", "question", "help", "update"}
_APP_ID = re.compile(r"\bAPP[- ]?(\d{1,4})\b", re.I)
_COMPANY_VERB_AFTER = r"(?:'s\b|\s*[,:\u2014\u2013-]|\s+(?:is|are|was|wants|want|needs|need|has|have|asks|asked|requested|requests|applied|runs|operates|does|do|makes|would|could|can|should|qualify|qualifies|count|counts|fit|fits)\b|\s*\?|\s*$)"
_ABBREV_DOT = {"inc", "co", "corp", "ltd", "st", "mr", "mrs", "ms", "dr", "jr", "bros"}

# --- descriptions --------------------------------------------------------------------------------------
_GENERIC = set("""
one ones business businesses company companies client clients account accounts applicant applicants submission
submissions insured risk risks small fit good right line lines policy policies deductible deductibles limit limits
code codes naics bucket question questions quote quotes firm lob lobs look check couple few lot bit way problem thing
things prospect new same other another size standard sba appetite building buildings construction frame wood masonry
steel concrete story stories state fund fleet staff team payroll revenue sales headcount workforce total annual about
around roughly approximately over under year years month months single big large medium tiny guy guys folks one's
quick moment second minute coverage coverages insurance umbrella excess product products deal case file renewal
customer customers name id number figure figures details information info answer help update total property auto cyber
uh um umm hmm hm er erm ah oh okay yeah yep yup nope nah sure well right fine thanks thank hello hi hey sorry what why
general liability workers comp compensation bop owner's owners commercial gl wc cgl type i ii iii iv v industry
""".split())
_DESC_STOP = (
    r"(?=\s+(?:in|based|located|out of|headquartered|asking|looking|wanting|wants|want|needs|need|requesting|seeking|for|is|are|was|"
    r"has|have|can|could|would|should|will|do|does|did|we|they|it|to|and (?:they|we|it|their|its|the)|that (?:wants|needs|is asking|asks)|"
    r"with (?:about |around |roughly |approximately |some |over |under |just |no |only )?(?:\$|\d|one|two|three|four|five|six|seven|eight|nine|ten|a dozen|twenty))\b"
    r"|\s*[,;.?!(]|\s+[-—–]\s|\s*$)")
_DESC_PATTERNS = [
    re.compile(rf"\b(?:they(?:'re| are)|it(?:'s| is)|(?:the )?(?:business|company|client|insured|applicant|account|prospect)(?:'s| is)|this(?: one)? is|that(?: one)? is|we have|we've got|i have|i've got|got|there's)\s+(?:an?|the)\s+(?P<d>.+?){_DESC_STOP}", re.I),
    re.compile(rf"\b(?:they|it|the business|the company|the client|the insured|the applicant|which|who)\s+(?P<d>(?:runs?|operates?|owns?|makes?|manufactures?|produces?|sells?|provides?|builds?|installs?|repairs?|fixes|does|do|offers?|hauls?|designs?|bakes?|serves?|grows?|rents?|leases?|distributes?|transports?|cleans?|delivers?)\s+.+?){_DESC_STOP}", re.I),
    re.compile(rf"\b(?:an?|this|that)\s+(?P<d>[^,.;?!]+?){_DESC_STOP}", re.I),
]
_ABBREVIATIONS = [(re.compile(r"\bb\s?&\s?b'?s?\b", re.I), "bed-and-breakfast inn"), (re.compile(r"\bhvac\b", re.I), "heating and air-conditioning")]


@dataclass
class Parsed:
    text: str
    task: str | None = None
    facts: dict = field(default_factory=dict)
    unknown: bool = False
    company: str | None = None
    applicant_id: str | None = None
    not_written: list[str] = field(default_factory=list)  # display names of products we do not write


def _norm_text(text: str) -> str:
    return (text or "").replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')


def detect_task(text: str) -> str | None:
    t = _norm_text(text)
    for task, pattern in _TASK_CUES:
        if pattern.search(t):
            return task
    return None


def says_unknown(text: str) -> bool:
    return bool(_UNKNOWN.search(_norm_text(text)))


def _to_int(word: str) -> int | None:
    w = word.lower().replace(",", "").strip()
    if w in _NUMBER_WORDS:
        return _NUMBER_WORDS[w]
    try:
        return norm.count(w, "count")
    except InvalidArgument:
        return None


def _money_from(m: re.Match, assume_millions: bool = True) -> int | None:
    num, unit = m["num"], (m["unit"] or "")
    try:
        value = norm.money(f"{num}{unit}", "amount")
    except InvalidArgument:
        return None
    if not unit and value < 1000 and assume_millions:  # "revenue is 4.5" -> $4.5M
        try:
            value = norm.money(f"{num}M", "amount")
        except InvalidArgument:
            return None
    return value


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE_SPLIT.split(text) if c and c.strip()]


_WORD_AMOUNT = re.compile(rf"\b(?P<w>{_NUM_WORD_RE}|half a|a half|a)\s+(?P<unit>million|thousand|hundred thousand)\b", re.I)


def _amount_words(text: str) -> str:
    """'two million' -> '2 million', 'half a million' -> '0.5 million', 'a million' -> '1 million'."""
    def repl(m: re.Match) -> str:
        w = m["w"].lower()
        n = 0.5 if w in ("half a", "a half") else 1 if w == "a" else _NUMBER_WORDS.get(w)
        if not n:
            return m.group(0)
        if m["unit"].lower() == "hundred thousand":
            return f"{int(n * 100)} thousand"
        return f"{n:g} {m['unit']}"
    return _WORD_AMOUNT.sub(repl, text)


def first_money(text: str) -> int | None:
    """The first dollar amount in a text ('about $4.5M', '4.5 million', '900k', '4,500,000', 'two million')."""
    for m in _MONEY_RE.finditer(_amount_words(_norm_text(text))):
        value = _money_from(m)
        if value is not None:
            return value
    return None


def first_count(text: str) -> int | None:
    t = _norm_text(text)
    if _NO_VEHICLES.search(t) or re.fullmatch(r"\s*(?:none|zero|no|nope|0)\W*", t, re.I):
        return 0
    m = re.search(rf"(?<![\w.$]){_INT}(?![\w.]|,\d)", t, re.I)
    if m and m["n"].lower() not in ("no",):
        return _to_int(m["n"])
    return None


def money_facts(text: str) -> dict:
    """annual_revenue / annual_payroll stated with their keyword in the same clause."""
    out: dict = {}
    for clause in _clauses(_amount_words(_norm_text(text))):
        is_payroll = bool(_PAYROLL_KW.search(clause))
        is_revenue = bool(_REVENUE_KW.search(clause)) and not is_payroll
        if not (is_payroll or is_revenue):
            has_cur = re.search(r"\$\s?\d|\d\s*(?:k|m|mm|million|thousand|bn|billion)\b", clause, re.I)
            is_revenue = bool(has_cur and _REVENUE_VERB.search(clause)) and not _EMPLOYEES[0].search(clause)
        if not (is_payroll or is_revenue):
            continue
        for m in _MONEY_RE.finditer(clause):
            after = clause[m.end():m.end() + 24].lower()
            if re.match(r"\s*(?:employees|staff|people|workers|vehicles|trucks|vans|cars|units|locations|stores|seats|rooms|years|%|percent)", after):
                continue
            if not m["cur"] and not m["unit"] and re.fullmatch(r"\d{6}", m["num"]) and re.search(r"naics|code", clause, re.I):
                continue
            value = _money_from(m)
            if value is not None:
                key = "annual_payroll" if is_payroll else "annual_revenue"
                out.setdefault(key, value)
                break
    return out


def count_facts(text: str) -> dict:
    t = _norm_text(text)
    out: dict = {}
    for pat in _EMPLOYEES:
        m = pat.search(t)
        if m and (n := _to_int(m["n"])) is not None:
            out["employees"] = n
            break
    if _NO_VEHICLES.search(t):
        out["vehicles"] = 0
    else:
        for pat in _VEHICLES:
            for m in pat.finditer(t):
                word = m.group(0).lower()
                if re.search(r"\b(?:units)\b", word) and not re.search(r"power units|vehicle|truck", word):
                    continue  # "90 units" (apartments) is not a fleet
                n = _to_int(m["n"])
                if n is not None:
                    out["vehicles"] = n
                    break
            if "vehicles" in out:
                break
    return out


def naics_fact(text: str) -> str | None:
    """A six-digit code named as such ('NAICS 722511', 'code 484121') or standing alone."""
    t = _norm_text(text)
    m = re.search(r"\b(?:naics|code|class)\b[^\d$]{0,20}?(\d{2}[\s-]?\d{4}|\d{6})\b", t, re.I)
    if m:
        return re.sub(r"\D", "", m[1])
    for m in re.finditer(r"(?<![\d$.,])(\d{6})(?![\d,]|\s*(?:k|m|mm|million|dollars|usd)\b)", t, re.I):
        before = t[max(0, m.start() - 30):m.start()]
        if not _REVENUE_KW.search(before) and not _PAYROLL_KW.search(before):
            return m[1]
    return None


def state_fact(text: str, catalog, lenient: bool = False) -> str | None:
    """A state named in full ('Texas', 'new york') or by an upper-case code ('TX'); a lower-case code only after
    'in'/'state' (and not an English word), or when the whole answer is the code (``lenient``)."""
    t = _norm_text(text)
    low = t.lower()
    names = sorted(((name.lower(), code) for code, name in catalog.states.items()), key=lambda x: -len(x[0]))
    extra = [("district of columbia", "DC"), ("washington dc", "DC"), ("washington, dc", "DC"), ("washington d.c.", "DC")]
    best: tuple[int, str] | None = None
    for name, code in extra + names:
        m = re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", low)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), code)
            low = low[:m.start()] + " " * len(name) + low[m.end():]  # "west virginia" hides "virginia"
    if lenient:
        bare = re.sub(r"[^A-Za-z]", "", t)
        if len(bare) == 2 and bare.upper() in catalog.states:
            return bare.upper()
    shouting = t.isupper()
    for m in re.finditer(r"(?<![\w'])([A-Za-z]{2})(?![\w'])", t):
        code = m[1].upper()
        if code not in catalog.states:
            continue
        before = t[max(0, m.start() - 12):m.start()].lower()
        after_cue = bool(re.search(r"\b(?:in|state(?: is|:)?|state of|located in|based in)\s*$", before))
        if m[1].isupper() and not shouting:
            ok = code not in _AMBIGUOUS_CODES or after_cue
        else:
            ok = after_cue and m[1].lower() not in _ENGLISH_CODES
        if ok and (best is None or m.start() < best[0]):
            best = (m.start(), code)
            break
    return best[1] if best else None


def _mask(text: str, spans) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(a, min(b, len(chars))):
            chars[i] = " "
    return "".join(chars)


_LOB_EXCLUDE_AFTER = {
    "auto": r"\s+(?:repair|body|parts|dealers?|dealership|mechanics?|shop|glass|detailing|sales|service|services|care|electric\w*|wash|upholstery|salvage|suppl\w+|rental\w*|transport\w*|hauler|towing)\b",
    "property": r"\s+(?:management|managers?|developers?|development|maintenance|owners?|is|has|was|sits|itself|damage|line|lines|tax|taxes|manager)\b",
    "cyber": r"\s+(?:security|consult\w*|firm|company)\b",
    "network security": r"\s+(?:firm|company|consult\w*|services|business|provider)\b",
    "liability": r"\s+(?:limits?)\b",
}


def lob_fact(text: str, catalog) -> str | None:
    """The first line of business the text names (catalog synonyms), ignoring products we do not write and
    ordinary uses of the words ('auto repair shop', 'the property is wood frame', 'a fleet of 25')."""
    t = _norm_text(text)
    spans = [(m.start, m.end) for m in find_mentions(t, catalog)]
    low = _mask(t, spans).lower().replace("-", " ")
    names = dict(catalog.synonyms)
    for code, name in catalog.lobs.items():
        names[name.lower()] = code
        names[code.replace("_", " ")] = code
    hits = []
    for syn in sorted(names, key=len, reverse=True):
        pat = re.escape(syn.replace("-", " ")).replace("'", "'?").replace(r"\ ", r"\s+")
        for m in re.finditer(rf"(?<![\w']){pat}(?![\w])", low):
            if any(a <= m.start() < b for a, b, _ in hits):
                continue
            rest = low[m.end():]
            if syn in _LOB_EXCLUDE_AFTER and re.match(_LOB_EXCLUDE_AFTER[syn], rest):
                continue
            if syn == "property" and re.search(r"(?:the|their|this|that|its|rental|residential)\s+$", low[:m.start()]) and re.match(r"\s+(?:is|has|was|in|at|on|itself|\w+ed)\b", rest):
                continue
            if syn == "fleet" and not (re.match(r"\s+(?:coverage|insurance|policy|auto|liability)", rest) or re.search(r"(?:for|cover|insure|insuring|covering)\s+(?:the |their |its )?$", low[:m.start()])):
                continue
            if syn in ("commercial vehicle", "truck insurance") and re.search(r"\d\s*$", low[:m.start()]):
                continue
            hits.append((m.start(), m.end(), names[syn]))
    if not hits:
        return None
    return min(hits)[2]


_AMBIGUOUS_CONSTRUCTION = {"masonry", "frame", "glulam", "tilt-up", "tilt up"}
_BUILDING_CONTEXT = re.compile(r"\b(?:building|buildings|construction|constructed|built|walls?|structure|roof|stor(?:y|ies)|floors?|premises|type|frame|class)\b", re.I)


def construction_fact(text: str, catalog, asked: bool = False) -> str | None:
    """A construction phrase the catalog knows ('wood frame', 'Type II', 'non-combustible steel'), as typed."""
    t = _norm_text(text)
    low = " " + re.sub(r"\s+", " ", t.lower()) + " "
    best = None
    for phrase in catalog.construction_phrases:
        m = re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", low)
        if m and (best is None or len(phrase) > len(best)):
            best = phrase
    if best is None:
        m = re.search(r"\btype\s+(i{1,3}|iv|v|[1-5])\b", t, re.I)
        if m:
            return f"Type {m[1].upper()}"
        return None
    if best in _AMBIGUOUS_CONSTRUCTION and not asked:
        rest = low.replace(best, " ", 1)
        if not _BUILDING_CONTEXT.search(rest):
            return None
    try:
        catalog.construction(best)
    except InvalidArgument:
        return None
    return best


def applicant_id(text: str) -> str | None:
    m = _APP_ID.search(text or "")
    return f"APP-{int(m[1]):04d}" if m else None


def company_name(text: str, catalog=None, strict: bool = False) -> str | None:
    """A company name: a run of capitalised words (with '&', 'of', possessives, 'LLC'...) that is not a state,
    a line of business or an ordinary word, e.g. 'Harbor Lights' in 'Can you check if Harbor Lights is in appetite?'."""
    t = _norm_text(text)
    stop = set(_STOP)
    if catalog is not None:
        for name in catalog.states.values():
            stop.update(name.lower().split())
        for syn in catalog.synonyms:
            stop.update(syn.lower().split())
    tokens = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[A-Za-z0-9][A-Za-z0-9'&.\-]*|&", t)]
    def adjacent(j: int, i: int) -> bool:
        if not re.fullmatch(r"[ \t]+", t[tokens[j][1]:tokens[i][0]]):
            return False
        prev_tok = tokens[j][2]
        return not prev_tok.endswith(".") or prev_tok.rstrip(".").lower() in _ABBREV_DOT

    runs: list[list[int]] = []
    current: list[int] = []
    for i, (_a, _b, tok) in enumerate(tokens):
        word = tok.rstrip(".'")
        is_cap = bool(word) and (word[0].isupper() or re.fullmatch(r"\d+-[A-Za-z]+", word) is not None)
        if _APP_ID.fullmatch(word):
            is_cap = False
        if current and not adjacent(current[-1], i):
            runs.append(current)
            current = []
        if is_cap or (current and word.lower() in _CONNECTORS):
            current.append(i)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    for run in runs:
        words = [tokens[i][2].rstrip(".,'") for i in run]
        lo, hi = 0, len(words)
        while lo < hi and (words[lo].lower() in stop or words[lo].lower() in _CONNECTORS or words[lo].lower().endswith("'s") and words[lo].lower()[:-2] in stop):
            lo += 1
        while hi > lo and (words[hi - 1].lower() in stop or words[hi - 1].lower() in _CONNECTORS):
            hi -= 1
        core = words[lo:hi]
        if not core:
            continue
        content = [w for w in core if w.lower() not in stop and w.lower() not in _CONNECTORS and w.lower() not in _SUFFIXES]
        if not content:
            continue
        first = run[lo]
        prev_words = re.findall(r"[A-Za-z']+", t[:tokens[first][0]])
        prev = prev_words[-1].lower() if prev_words else ""
        prev2 = prev_words[-2].lower() if len(prev_words) > 1 else ""
        if prev in _NO_COMPANY_BEFORE and not (prev == "on" and prev2 in _WORK_ON):
            continue
        has_suffix = core[-1].lower() in _SUFFIXES
        start, end = tokens[run[lo]][0], tokens[run[hi - 1]][1]
        sentence_start = re.search(r"(?:^|[.!?:;]\s*|\n\s*)$", t[:start]) is not None
        follows = t[end:end + 30].lower()
        if sentence_start and not has_suffix and not re.match(_COMPANY_VERB_AFTER, follows):
            continue  # "Full-service Italian restaurant..." starts a sentence but is no name
        if strict and not (has_suffix or prev in _CUE_BEFORE_SINGLE):
            continue
        if len(core) >= 2 or has_suffix or prev in _CUE_BEFORE_SINGLE:
            return t[start:end].rstrip(".,'")
    return None


def description_fact(text: str, catalog=None) -> str | None:
    """What the business does, when a sentence says it ('they run a bed-and-breakfast', 'a restaurant in Ohio')."""
    t = _norm_text(text)
    if catalog is not None:
        t = _mask(t, [(m.start, m.end) for m in find_mentions(t, catalog)])
    for pat in _DESC_PATTERNS:
        for m in pat.finditer(t):
            d = re.sub(r"\s+", " ", m["d"]).strip(" ,.-")
            if (digit := re.search(r"\d", d)) is not None:  # "trucking company with a fleet of 25 trucks"
                cut = max(d.rfind(" with ", 0, digit.start()), d.rfind(" and ", 0, digit.start()), d.rfind(",", 0, digit.start()))
                d = d[:cut].strip(" ,.-") if cut > 0 else ""
            if _is_description(d, catalog):
                return d
    return None


def _content_words(text: str, catalog=None) -> list[str]:
    words = re.findall(r"[a-z][a-z'&-]*", _norm_text(text).lower())
    states = {w for name in (catalog.states.values() if catalog else []) for w in name.lower().split()}
    return [w for w in words if w not in _GENERIC and w not in _STOP and w not in states and len(w) > 2]


def _is_description(d: str, catalog=None) -> bool:
    if not d or len(d) > 300 or re.search(r"\d", d):
        return False
    if detect_task(d) is not None:
        return False
    core = re.sub(r"\b(?:policy|policies|coverage|insurance|quote|line|lines|of business)\b", " ", d.lower()).strip()
    if catalog is not None and (catalog.find_lob(core) or catalog.find_lob(re.sub(r"\s+", " ", core))):
        return False
    return bool(_content_words(d, catalog))


def bare_description(text: str, catalog=None) -> str | None:
    """The whole answer as the description (it answers "What does the business do?"), when it says anything."""
    t = re.sub(r"\s+", " ", _norm_text(text)).strip()
    if says_unknown(t) or not _content_words(t, catalog) or len(t) > 2000:
        return None
    return t


def expand_abbreviations(description: str) -> str:
    for pat, repl in _ABBREVIATIONS:
        description = pat.sub(repl, description)
    return description


def not_written(text: str, catalog) -> list[str]:
    names: list[str] = []
    for m in find_mentions(_norm_text(text), catalog):
        if m.name not in names:
            names.append(m.name)
    return names


def parse(text: str, catalog, asked: str | None = None) -> Parsed:
    """Everything one underwriter message says. ``asked``: the fact the copilot asked for just before it."""
    t = _norm_text(text)
    p = Parsed(text=t, task=detect_task(t), unknown=says_unknown(t), not_written=not_written(t, catalog))
    p.applicant_id = applicant_id(t)
    # While answering a question, only an unmistakable name counts (a suffix like LLC, or "for Acme").
    p.company = None if p.applicant_id else company_name(t, catalog, strict=asked is not None)
    f = p.facts
    f.update(money_facts(t))
    f.update(count_facts(t))
    if (code := naics_fact(t)) is not None:
        f["naics"] = code
    if (st := state_fact(t, catalog, lenient=asked == "state")) is not None:
        f["state"] = st
    if (lob := lob_fact(t, catalog)) is not None:
        f["lob"] = lob
    if (c := construction_fact(t, catalog, asked=asked == "construction")) is not None:
        f["construction"] = c
    if (d := description_fact(t, catalog)) is not None:
        f["description"] = d
    # A bare answer answers the question asked last.
    if asked and asked not in f and not p.unknown:
        value = None
        if asked in ("annual_revenue", "annual_payroll"):
            value = first_money(t)
        elif asked in ("employees", "vehicles"):
            value = first_count(t)
        elif asked == "description":
            value = bare_description(t, catalog)
        if value is not None:
            f[asked] = value
    elif asked == "description" and "description" in f and not p.unknown:
        # The whole answer says more than the clause we picked out: classify on all of it.
        whole = bare_description(t, catalog)
        if whole:
            f["description"] = whole
    return p
