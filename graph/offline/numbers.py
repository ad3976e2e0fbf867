"""Numbers in an underwriter's sentence: money (revenue, payroll) and counts (employees, vehicles).

A number is money only with a money marker: a currency sign, a unit ("4.5M", "900k", "two million") or a
revenue/payroll word in the same clause ("revenue is 4.5"). A number followed by its own noun ("21 trucks",
"150-bed", "90 seats") is a count of that noun, never money. Used by ``facts.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from core.vocabulary import FACT_NOUNS
from tools import catalog as norm
from tools.errors import InvalidArgument

_NUMBER_WORDS = {
    "zero": 0,
    "no": 0,
    "none": 0,
    "one": 1,
    "a single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a dozen": 12,
    "dozen": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
}
_NUM_WORD_RE = "|".join(sorted((re.escape(w) for w in _NUMBER_WORDS), key=len, reverse=True))
MONEY_RE = re.compile(
    r"(?P<cur>\$)?\s?(?P<num>\d[\d,]*(?:\.\d+)?|\.\d+)\s*(?P<unit>k|thousand|mm|m|mil|million|bn|b|billion)?(?![\w$])",
    re.I,
)
_INT = rf"(?P<n>\d[\d,]*|{_NUM_WORD_RE})"
_APPROX = r"(?:about |around |roughly |approximately |approx\.? |some |over |under |nearly |almost |just under |just over |~)?"
_EMPLOYEE_NOUN = (
    r"(?:full[- ]time |part[- ]time |total |fte )?(?:employees|employee|emps|emp|staff|people|workers|employes|ftes|fte|"
    r"team members|w-2 employees|headcount|on staff|[a-z]+ on (?:staff|payroll))"
)
EMPLOYEES = [
    re.compile(rf"\b{_APPROX}{_INT}\s+{_EMPLOYEE_NOUN}\b", re.I),
    re.compile(rf"\b(?:staff|team|workforce|headcount|crew) (?:of|is|=|:)\s*{_APPROX}{_INT}\b", re.I),
    re.compile(rf"\bemploy(?:s|ing)?\s+{_APPROX}{_INT}\b", re.I),
    re.compile(
        rf"\b(?:employees|employee count|number of employees|headcount)\s*(?:is|are|of|=|:|total(?:s)?)?\s*{_APPROX}{_INT}\b",
        re.I,
    ),
]
_VEHICLE_NOUN = (
    r"(?:[a-z]+[- ])?(?:vehicles?|trucks?|vans?|cars?|autos|tractors?|trailers?|rigs?|buses|bus|power units|units|"
    r"limos?|limousines?|cabs?|taxis?|taxicabs?|pickups?|sedans?|suvs?|ambulances?|semis?|box trucks?|dump trucks?)"
)
VEHICLES = [
    re.compile(rf"\b{_APPROX}{_INT}\s+(?:[a-z-]+\s+){{0,2}}?{_VEHICLE_NOUN}\b", re.I),
    re.compile(rf"\bfleet (?:of|is|=|:|size (?:is|of)?)\s*{_APPROX}{_INT}\b", re.I),
    re.compile(
        rf"\b(?:vehicles|vehicle count|number of vehicles|trucks)\s*(?:is|are|of|=|:|total(?:s)?)?\s*{_APPROX}{_INT}\b",
        re.I,
    ),
]
NO_VEHICLES = re.compile(
    r"\b(?:no|zero|without(?: any)?|not? any|(?:do|does|did)(?:n'?t| not) (?:have|own|run|operate|use) any)\s+(?:\w+\s+)?"
    r"(?:vehicles?|trucks?|cars?|vans?|autos|fleet)\b"
    # "no auto body work", "no truck rentals": a service the business does not do, not a count of its vehicles
    r"(?!\s+(?:repairs?|wash(?:es)?|body|dealers?\w*|sales|services?|rentals?|parts|detailing|towing|stops?))"
    # "no vehicle schedule attached", "no fleet info given": a paper missing, the count unknown (not none)
    r"(?!\s+(?:schedules?|lists?|listing|info\w*|counts?|numbers?|details?|data|records?|given|listed|provided"
    r"|mentioned|attached|specified|stated|on (?:file|the app)))",
    re.I,
)
REVENUE_KW = re.compile(
    r"\b(?:revenues?|rev|sales|receipts|turnover|top[- ]line|gross(?:es|ing)?|income|billings?|volume)\b", re.I
)
_REVENUE_VERB = re.compile(
    r"\b(?:makes?|making|made|brings? in|bringing in|does|doing|earns?|earning|generates?|generating|a year|per year|annually|per annum|/yr|yearly)\b",
    re.I,
)
PAYROLL_KW = re.compile(r"\b(?:payroll|wages|salaries|remuneration)\b", re.I)
INSURED_VALUE_KW = re.compile(rf"\b(?:{FACT_NOUNS['total_insured_value']})\b", re.I)
_CLAUSE_SPLIT = re.compile(
    r",(?!\d{3}(?:\D|$))|;|(?<!\d)\.(?!\d)|[!?]|\s(?:and|but|while|plus|with|although|though)\s|\s[-—–]\s", re.I
)
# Words that may follow an amount of money ("$4.5M a year", "4,500,000 in revenue", "900k and 12 people").
_AFTER_MONEY_OK = re.compile(
    r"(?:\s*(?:$|[.,;:!?)]|dollars?\b|usd\b|a year\b|per\b|annual\w*\b|in\b|of\b|and\b|or\b|but\b|last\b|this\b|each\b|"
    r"gross\b|net\b|total\b|revenue\b|sales\b|payroll\b|receipts\b|yearly\b|so\b|on\b|right\b|exactly\b|even\b|flat\b|"
    r"roughly\b|or so\b|give or take\b|ish\b|-ish\b))",
    re.I,
)
_WORD_AMOUNT = re.compile(
    rf"\b(?P<w>{_NUM_WORD_RE}|half a|a half|a)\s+(?P<unit>million|thousand|hundred thousand)\b", re.I
)
_SERVED = re.compile(
    r"\b(?:town|city|village|county|community|population|market|area|region|serv\w+|residents)\s+(?:of\s+)?(?:about |around |roughly |some |over |nearly |almost )?$",
    re.I,
)
_CAPITALISED_MIDSENTENCE = re.compile(r"(?<=[a-z,] )[A-Z]")


def to_int(word: str) -> int | None:
    w = word.lower().replace(",", "").strip()
    if w in _NUMBER_WORDS:
        return _NUMBER_WORDS[w]
    try:
        return norm.count(w, "count")
    except InvalidArgument:
        return None


def _kw(pattern: re.Pattern, text: str) -> bool:
    """A keyword used as a word, not a capitalised place or name mid-sentence ('in Billings')."""
    for m in pattern.finditer(text):
        if m.group(0)[0].isupper() and _CAPITALISED_MIDSENTENCE.match(text, m.start()):
            continue
        return True
    return False


def is_revenue_clause(text: str) -> bool:
    return _kw(REVENUE_KW, text)


def is_payroll_clause(text: str) -> bool:
    return _kw(PAYROLL_KW, text)


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


def clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE_SPLIT.split(text) if c and c.strip()]


def amount_words(text: str) -> str:
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


def _counts_something(text: str, m: re.Match) -> bool:
    """The number is followed by a noun of its own ('21 trucks', '150-bed', '90 seats'): a count, not money."""
    if m["cur"] or m["unit"]:
        return False
    rest = text[m.end() :]
    if re.match(r"-[a-z]", rest, re.I):
        return True
    return not _AFTER_MONEY_OK.match(rest)


def money_marked(text: str, m: re.Match, keyword: bool) -> bool:
    """A currency sign or unit on the number, or a revenue/payroll word in the clause, and no noun of its own."""
    if _counts_something(text, m):
        return False
    return bool(m["cur"] or m["unit"] or keyword)


def first_money(text: str) -> int | None:
    """The first amount of money in a text ('about $4.5M', '4.5 million', '900k', 'revenue is 4,500,000')."""
    t = amount_words(text)
    keyword = is_revenue_clause(t) or is_payroll_clause(t)
    for m in MONEY_RE.finditer(t):
        if not money_marked(t, m, keyword):
            continue
        value = _money_from(m)
        if value is not None:
            return value
    return None


def first_count(text: str) -> int | None:
    """A bare count ('32', 'about 25', 'none'): a number that counts nothing else and is not money."""
    if NO_VEHICLES.search(text) or re.fullmatch(r"\s*(?:none|zero|no|nope|0)\W*", text, re.I):
        return 0
    m = re.search(
        rf"(?<![\w.$]){_INT}(?![\w.%$]|,\d|\s*(?:k|m|mm|million|thousand|bn|billion|dollars|percent)\b)", text, re.I
    )
    if m is None or m["n"].lower() in ("no",):
        return None
    rest = text[m.end() :]
    if re.match(r"\s*-?\s*[a-z]", rest, re.I) and not re.match(
        r"\s*(?:or so|ish|give or take|total|in total|roughly|exactly|at most|at least|right now|now|today|currently|of them|and\b|but\b)",
        rest,
        re.I,
    ):
        return None  # "3 locations", "150-bed": a count of something else
    return to_int(m["n"])


def money_facts(text: str) -> dict:
    """annual_revenue / annual_payroll / total_insured_value stated with their keyword (or a revenue verb and a money unit) in one clause."""
    out: dict = {}
    lone: list[int] = []  # amounts with a unit or a $ in a clause that names no figure: "rev 22M ... about 11M"
    for clause in clauses(amount_words(text)):
        if INSURED_VALUE_KW.search(clause):  # what the property is insured for, never revenue
            for m in MONEY_RE.finditer(clause):
                if money_marked(clause, m, keyword=True) and (value := _money_from(m)) is not None:
                    out["total_insured_value"] = value
                    break
            continue
        is_payroll = is_payroll_clause(clause)
        is_revenue = is_revenue_clause(clause) and not is_payroll
        if not (is_payroll or is_revenue):
            has_cur = re.search(r"\$\s?\d|\d\s*(?:k|m|mm|million|thousand|bn|billion)\b", clause, re.I)
            is_revenue = bool(has_cur and _REVENUE_VERB.search(clause)) and not EMPLOYEES[0].search(clause)
        if not (is_payroll or is_revenue):
            if not EMPLOYEES[0].search(clause) and not re.search(r"\b(?:limit|deductible|ded|occ|agg)", clause, re.I):
                for m in MONEY_RE.finditer(clause):
                    if (m["cur"] or m["unit"]) and money_marked(clause, m, keyword=True):
                        if (value := _money_from(m)) is not None and value >= 10_000:
                            lone.append(value)
            continue
        for m in MONEY_RE.finditer(clause):
            if not money_marked(clause, m, keyword=True):
                continue
            if (
                not m["cur"]
                and not m["unit"]
                and re.fullmatch(r"\d{6}", m["num"])
                and re.search(r"naics|code", clause, re.I)
            ):
                continue
            value = _money_from(m)
            if value is not None:
                key = "annual_payroll" if is_payroll else "annual_revenue"
                out[key] = value  # the last statement wins: a correction follows what it corrects
                break
    if lone and ("annual_revenue" not in out or _corrects(text)):
        out["annual_revenue"] = lone[-1]
    return out


def _corrected_counts(text: str, out: dict) -> None:
    """'12 trucks... actually 30': a bare number after a correction cue replaces the count just before it."""
    for key, (patterns, _) in COUNTS.items():
        for pat in patterns:
            for m in pat.finditer(text):
                fix = _FIXED_COUNT.match(text, m.end())
                if fix and (n := to_int(fix["n"])) is not None:
                    out[key] = n


_FIXED_COUNT = re.compile(
    r"[\s.,;:!-]{0,8}(?:no,?\s*|wait,?\s*)?(?:actually|i mean|make that|sorry|oops|correction:?|rather)[\s,:-]{1,4}"
    r"(?P<n>\d[\d,]*)(?![\d.,]*\s*(?:k|m|mm|mil|million|%|percent|\$))\b",
    re.I,
)

_CORRECTION = re.compile(r"\b(?:actually|oops|sorry|correction|i mean|make that|scratch that|not \S+ but)\b", re.I)


def _corrects(text: str) -> bool:
    """The message corrects itself: a later, unlabelled amount replaces the labelled one."""
    return bool(_CORRECTION.search(text))


def _served(text: str, m: re.Match) -> bool:
    """'a town of about 9,000 people': the people it serves, not its staff."""
    return bool(re.search(r"\bpeople\b", m.group(0), re.I) and _SERVED.search(text[: m.start()]))


def _not_a_fleet(text: str, m: re.Match) -> bool:
    """'90 units' (apartments) is not a fleet; 'power units', 'vehicle units', 'truck units' are."""
    word = m.group(0).lower()
    return bool(re.search(r"\bunits\b", word) and not re.search(r"power units|vehicle|truck", word))


# Each count: its patterns, most specific first, and the matches that count something else.
COUNTS: dict[str, tuple[list[re.Pattern], Callable[[str, re.Match], bool]]] = {
    "employees": (EMPLOYEES, _served),
    "vehicles": (VEHICLES, _not_a_fleet),
}


def _count(text: str, patterns: list[re.Pattern], other: Callable[[str, re.Match], bool]) -> int | None:
    """The first pattern that reads a count decides, and its last mention wins ("12 trucks... actually 30")."""
    for pat in patterns:
        found = None
        for m in pat.finditer(text):
            if not other(text, m) and (n := to_int(m["n"])) is not None:
                found = n
        if found is not None:
            return found
    return None


def count_facts(text: str) -> dict:
    """employees / vehicles stated with their noun ("42 emps", "a fleet of 9"); "no vehicles" is 0 vehicles."""
    out: dict = {}
    for key, (patterns, other) in COUNTS.items():
        if (n := _count(text, patterns, other)) is not None:
            out[key] = n
    if NO_VEHICLES.search(text):
        out["vehicles"] = 0
    _corrected_counts(text, out)
    return out
