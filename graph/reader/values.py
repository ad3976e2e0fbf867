"""A tagged span to a typed value: money in whole dollars, a count, a NAICS code, a state code.

Also what a number token *is* before any model speaks: a phone number, a ZIP code, a year, a street number or a
six-digit code, which ``read`` never lets become a count or an amount.
"""

from __future__ import annotations

import re

from graph.reader.tokens import Token

_SMALL = {
    "zero": 0, "one": 1, "a": 1, "an": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1_000, "k": 1_000, "grand": 1_000, "million": 10**6, "mil": 10**6,
           "mm": 10**6, "m": 10**6, "billion": 10**9, "bn": 10**9, "b": 10**9}  # fmt: skip
NUMBER_WORDS = set(_SMALL) | set(_TENS) | {"hundred", "thousand", "million", "billion", "half", "point"}
MONEY_UNITS = {"k", "m", "mm", "mil", "million", "thousand", "grand", "bn", "b", "billion"}
_NUM = re.compile(r"^\$?(?P<n>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?P<u>mm|mil|bn|[kmb])?$", re.I)
MAX_MONEY = 10**12
MAX_COUNT = 10**7


def number(words: list[str]) -> tuple[float, bool] | None:
    """The number a span says ("1.5 million", "$4.2mm", "seventy-five", "half a million", "2,400,000") and whether
    it carries a money marker ($ or a unit such as k, M, million). None when the span holds no number."""
    total = 0.0
    current: float | None = None
    marked = False
    seen = False
    place = 0.0  # after "point": the place of the next spoken digit ("four point three million" is 4.3 million)
    for raw in words:
        w = raw.lower().strip(".").replace("~", "")
        if w == "point" and seen and current is not None and not place:
            place = 0.1
            continue
        if place:
            if w in _SMALL and _SMALL[w] < 10 and w not in ("a", "an", "single"):
                current = (current or 0.0) + _SMALL[w] * place
                place /= 10
                continue
            if not (w in _SCALES and w != "hundred"):
                return None  # "four point something": not a number this reader will guess at
            place = 0.0
        if (
            not w
            or w in {"-", "and", "about", "around", "approx", "roughly", "usd", "dollars", "$", "a", "an"}
            and (w != "a" and w != "an" or current is not None or seen)
        ):
            marked = marked or w in {"usd", "dollars", "$"}
            continue
        if m := _NUM.match(w):
            marked = marked or w.startswith("$") or bool(m["u"])
            value = float(m["n"].replace(",", ""))
            if m["u"]:
                value *= _SCALES[m["u"].lower()]
            current = (current or 0) + value if current is not None and current < 100 and value < 100 else value
            seen = True
        elif w in _SMALL:
            current = (current or 0) + _SMALL[w]
            seen = True
        elif w in _TENS:
            current = (current or 0) + _TENS[w]
            seen = True
        elif w == "half":
            current = 0.5
            seen = True
        elif w in _SCALES and seen:
            marked = marked or w in MONEY_UNITS
            scale = _SCALES[w]
            if scale == 100:
                current = (current or 1) * 100
            else:
                total += (current if current is not None else 1) * scale
                current = None
        elif "-" in w and all(p in _SMALL or p in _TENS for p in w.split("-")):  # seventy-five
            current = (current or 0) + sum(_SMALL.get(p, 0) + _TENS.get(p, 0) for p in w.split("-"))
            seen = True
        else:
            continue  # a word inside the span that is not part of the number ("over", "~")
    if not seen:
        return None
    return total + (current or 0), marked


def money(words: list[str]) -> int | None:
    """Whole dollars; a bare small figure said of a money fact is millions ("revenue is 4.5")."""
    got = number(words)
    if got is None:
        return None
    value, marked = got
    if not marked and value < 1000:
        value *= 10**6
    value = round(value)
    return value if 0 < value <= MAX_MONEY else None


def count(words: list[str]) -> int | None:
    got = number(words)
    if got is None:
        return None
    value, marked = got
    if marked or value != int(value):
        return None  # "$40", "5M" or "2.5" counts nothing
    return int(value) if 0 <= value <= MAX_COUNT else None


# --- identifiers: numbers that are never a count or an amount -------------------------------------------
_STREET = re.compile(
    r"^(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|way|hwy|highway|pkwy|parkway|ct|court|pl|place"
    r"|suite|ste|cir|circle|ter|terrace|trl|trail|pike)\.?$",
    re.I,
)
_YEAR_BEFORE = re.compile(
    r"^(?:since|in|est|established|founded|year|yr|fy|circa|from|to|through|thru|of|opened|started|built|incorporated"
    r"|eff|effective|dated|on|jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april"
    r"|june|july|august|september|october|november|december)\.?$",
    re.I,
)
_CODE_BEFORE = re.compile(
    r"^(?:naics|code|class|sic|no|number|policy|pol|zip|ref|claim|account|acct|fein|ein)\.?$", re.I
)


def identifier(tokens: list[Token], i: int, states: frozenset[str]) -> str | None:
    """What kind of identifier token ``i`` is (phone, date, zip, year, street, code, id), or None for a number that
    may be a figure. Decided from the token and its neighbours only, before and apart from the tagger."""
    tok = tokens[i]
    if tok.kind in ("phone", "date", "email", "url", "id"):
        return tok.kind
    if tok.kind != "num":
        return None
    t = tok.text
    if t.startswith("$") or not t[-1].isdigit():
        return None  # "$2,024" or "2024k": marked as money
    digits = t.replace(",", "")
    prev = [tokens[j].text for j in range(max(0, i - 3), i)]
    after = tokens[i + 1].text if i + 1 < len(tokens) else ""
    after2 = tokens[i + 2].text if i + 2 < len(tokens) else ""
    if "." in digits:
        return None
    before = [p for p in prev[-3:] if p not in (":", "#", "-", ".")]  # "NAICS: 332710", "Policy #: 4471"
    if before and _CODE_BEFORE.match(before[-1]) and not (prev and prev[-1] == ","):
        return "code"
    if len(digits) == 6 and "," not in t:
        return "code"  # a NAICS code, a policy or account number: six bare digits are never a figure
    if len(digits) in (5, 9) and "," not in t and (prev and (prev[-1].upper() in states or prev[-1].lower() == "zip")):
        return "zip"
    if len(digits) == 5 and "," not in t and re.match(r"^-\d{4}$", after or "x"):
        return "zip"
    if len(digits) == 4 and "," not in t and 1900 <= int(digits) <= 2099:
        if prev and (_YEAR_BEFORE.match(prev[-1]) or prev[-1] in ("'", "/", "-")):
            return "year"
        if after in ("/", "-") or re.match(r"^(?:fy|calendar|year|tax|policy|renewal)$", after, re.I):
            return "year"
    if after and after[:1].isupper() and (_STREET.match(after2) or _STREET.match(after)):
        return "street"  # 1200 Main St
    return None
