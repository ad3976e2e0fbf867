"""NAICS codes a description states, for classification (``classify_business``): a pasted line often carries the
code the agent or a filing gave ("NAICS 2017: 454110", "| 238160 |"), in an edition that may be an old one.

A six-digit number is a code only when nothing says it is another number: a number labelled "NAICS" is stated; a bare
one is a candidate the caller takes only when the words agree. A number labelled as another kind (a DOT or MC number,
a licence, permit, policy, account or phone number, a ZIP), one inside a longer run of digits or joined to letters
("EC13004482"), a year or a ZIP (not six digits) is none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "NAICS 238160", "naics code: 238160", "NAICS (2017) 454110", "2017 NAICS #454110", "NAICS-2017 454110"
_LABELLED = re.compile(
    r"\bnaics\b(?:[\s:#=()-]|\bcodes?\b|\b(?:19|20)\d\d\b|\bedition\b|\bwas\b|\bis\b|\bof\b){0,8}?(?<!\d)(\d{6})(?![\d-])",
    re.IGNORECASE,
)
# "238160 (NAICS)", "454110 naics"
_LABEL_AFTER = re.compile(r"(?<![\w#-])(\d{6})(?![\d-])\s*[(\[]?\s*naics\b", re.IGNORECASE)
# The edition a code is said to be of: a year of an edition near the word NAICS ("2017 NAICS", "NAICS (2012)")
_EDITION = re.compile(r"\b(2012|2017|2022)\b")
_BARE = re.compile(r"(?<![\w#/.$-])(\d{6})(?![\w/.-])(?!,\d)")
# Words that make the number after them another kind of number
_OTHER_NUMBER = re.compile(
    r"(?:\b(?:us)?dot|\bmc|\blic(?:ense|ence)?|\bpermit|\bpolicy|\bpol|\bacct|\baccount|\bphone|\bph|\btel|\bfax"
    r"|\bzip|\bfein|\bein|\btax\s*id|\bid|\bno|\bnumber|\bsic|\breg(?:istration)?|\bcert(?:ificate)?|\bclaim"
    r"|\bunit|\bsuite|\bste|\bbox)\W{0,4}$|[#$]\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class StatedCode:
    code: str
    labelled: bool  # said to be a NAICS code; else a bare six-digit number
    edition: str | None  # "2012", "2017" or "2022" when the text says which


def stated_codes(text: str) -> list[StatedCode]:
    """The six-digit numbers ``text`` may give as NAICS codes, labelled ones first, each once."""
    found: dict[str, StatedCode] = {}
    for pattern in (_LABELLED, _LABEL_AFTER):
        for m in pattern.finditer(text):
            around = text[max(m.start() - 12, 0) : m.end() + 12]
            edition = next((y for y in _EDITION.findall(around) if y != m.group(1)[:4]), None)
            found.setdefault(m.group(1), StatedCode(m.group(1), True, edition))
    for m in _BARE.finditer(text):
        if m.group(1) in found or _OTHER_NUMBER.search(text[max(m.start() - 16, 0) : m.start()]):
            continue
        found[m.group(1)] = StatedCode(m.group(1), False, None)
    return list(found.values())


_NAICS_WORD = re.compile(
    r"(?:\b(?:2012|2017|2022)\s+)?\bnaics\b(?:[\s-]*(?:\(?(?:2012|2017|2022)\)?|codes?|edition))*[\s:#=]*",
    re.IGNORECASE,
)


def without_codes(text: str) -> str:
    """``text`` without the codes it labels "NAICS" and the label itself ("NAICS 2017: 454110 - web shop" ->
    " - web shop"): the words of a filing, not of the business."""
    for pattern in (_LABELLED, _LABEL_AFTER):
        text = pattern.sub(" ", text)
    return _NAICS_WORD.sub(" ", text)
