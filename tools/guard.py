"""The product guard's answer scanner: which insurance products named in a text are offered but not written.

A lexicon of commercial-lines (and personal-lines) products we might be tempted to offer, each with the
phrases people use for it. A mention counts only when the text offers, recommends, quotes or asks about
selling it: a clause that declines it ("we don't write umbrella"), negates it ("no need for EPLI") or reports
what someone asked ("you asked about 'D&O'") does not. Products the live catalog writes are never flagged,
so adding a line to the catalog is enough to stop flagging it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# product id -> (display name, patterns). Patterns are matched case-insensitively on word boundaries.
_ADD = r"(?:write|offer|add|quote|sell|include|bind|recommend|suggest|need|want|get|consider)s?"
LEXICON: dict[str, tuple[str, list[str]]] = {
    "umbrella": ("umbrella", [r"(?<!under the )umbrella(?!\s+(?:of|term)\b)"]),
    "excess_liability": (
        "excess liability",
        [r"excess (?:liability|coverage|policy|policies|layer|insurance|limits?)", r"follow[- ]form excess"],
    ),
    "epli": ("employment practices liability (EPLI)", [r"epli", r"employment practices(?: liability)?"]),
    "directors_and_officers": (
        "directors and officers (D&O)",
        [r"d\s?&\s?o", r"d and o", r"directors(?:'|’)? (?:and|&) officers"],
    ),
    "professional_liability": (
        "professional liability / E&O",
        [r"professional liability", r"e\s?&\s?o", r"errors (?:and|&) omissions", r"(?:medical )?malpractice"],
    ),
    "inland_marine": ("inland marine", [r"inland marine"]),
    "builders_risk": ("builders risk", [r"builders?(?:'|’)?s?(?:'|’)? risk"]),
    "crime": (
        "commercial crime",
        [
            r"commercial crime",
            r"crime (?:coverage|insurance|policy|policies|cover)",
            r"employee dishonesty",
            rf"{_ADD} (?:commercial )?crime",
        ],
    ),
    "fidelity_bond": ("fidelity bond", [r"fidelity (?:bonds?|coverage|insurance)"]),
    "liquor_liability": ("liquor liability", [r"liquor liability", r"dram shop"]),
    "surety_bond": (
        "surety bond",
        [
            r"surety bonds?",
            r"performance bonds?",
            r"bid bonds?",
            r"payment bonds?",
            r"surety(?! carrier| company| insurer)",
        ],
    ),
    "product_recall": ("product recall", [r"product recall"]),
    "fiduciary_liability": ("fiduciary liability", [r"fiduciary (?:liability|coverage|insurance|policy)"]),
    "pollution_liability": (
        "pollution liability",
        [
            r"pollution (?:liability|legal liability|coverage|insurance|policy)",
            r"environmental (?:liability|impairment|coverage|insurance)",
        ],
    ),
    "flood": ("flood", [r"flood (?:insurance|coverage|policy|policies|cover)", r"nfip", rf"{_ADD} flood"]),
    "earthquake": (
        "earthquake",
        [r"earthquake (?:insurance|coverage|policy|policies|cover)", r"quake cover", rf"{_ADD} (?:an? )?earthquake"],
    ),
    "homeowners": (
        "homeowners",
        [r"homeowners?(?:'|’)?s?(?:'|’)? (?:insurance|policy|policies|coverage)", r"home insurance"],
    ),
    "personal_auto": ("personal auto", [r"personal auto", r"private passenger auto (?:policy|insurance)"]),
    "life_insurance": ("life insurance", [r"life insurance", r"term life", r"whole life", r"life policy"]),
    "health_insurance": (
        "health insurance",
        [
            r"health insurance",
            r"group health",
            r"medical insurance",
            r"health (?:plan|coverage|benefits?) (?:for|policy)",
        ],
    ),
    "renters": ("renters insurance", [r"renters?(?:'|’)? (?:insurance|policy|coverage)"]),
    "key_person": (
        "key person insurance",
        [r"key (?:person|man|employee|executive) (?:insurance|coverage|life|policy)"],
    ),
    "trade_credit": (
        "trade credit insurance",
        [r"trade credit", r"credit insurance", r"accounts receivable insurance"],
    ),
    "event_cancellation": ("event cancellation", [r"event cancell?ation"]),
    "aviation": (
        "aviation",
        [
            r"aviation (?:insurance|liability|coverage|policy)",
            r"aircraft (?:liability|hull|insurance)",
            r"drone (?:liability|insurance)",
        ],
    ),
    "ocean_marine": (
        "ocean marine / cargo",
        [
            r"ocean marine",
            r"(?:marine )?cargo (?:insurance|coverage|policy)",
            r"marine cargo",
            r"hull (?:insurance|coverage)",
        ],
    ),
    "kidnap_ransom": ("kidnap and ransom", [r"kidnap(?:ping)? (?:and|&) ransom", r"k\s?&\s?r"]),
    "garage_keepers": ("garagekeepers", [r"garage ?keepers?(?:'|’)?"]),
    "contractors_equipment": ("contractors' equipment", [r"contractors?(?:'|’)? equipment", r"equipment floater"]),
    "media_liability": ("media liability", [r"media liability"]),
    "warranty": ("warranty insurance", [r"(?:extended )?warranty (?:program|coverage|insurance|contracts?|plan)s?"]),
    "pet_insurance": ("pet insurance", [r"pet insurance"]),
    "travel_insurance": ("travel insurance", [r"travel insurance"]),
    "disability_insurance": (
        "disability insurance",
        [r"disability (?:insurance|coverage|income|policy)", r"(?:short|long)[- ]term disability"],
    ),
}
_COMPILED = {pid: [re.compile(rf"(?<![\w&]){p}(?![\w&])", re.I) for p in pats] for pid, (_, pats) in LEXICON.items()}

# A clause that declines, negates or reports a request does not offer what it names.
_DECLINE = re.compile(
    r"\b(?:not|never|no|none|cannot|can't|can’t|won't|won’t|don't|don’t|doesn't|doesn’t|isn't|isn’t|aren't|aren’t|without|"
    r"decline[sd]?|declining|exclud\w*|outside|neither|nor|unavailable|instead of|rather than|refer\w* \w+ elsewhere|"
    r"asked (?:about|for)|requested|request for|mentioned|inquired|wanted to know|elsewhere|another (?:carrier|insurer)|"
    r"other (?:carriers?|insurers?)|not (?:a )?(?:product|line)s? we)\b",
    re.I,
)
_CLAUSE_SPLIT = re.compile(
    r"(?<=[.!?;:])\s+|\s*[;—–]\s*|,?\s+\b(?:but|however|although|though|whereas|while)\b,?\s+", re.I
)
_QUOTED = re.compile(r"[\"“”'‘’]([^\"“”‘’]{1,60})[\"“”'‘’]")


@dataclass(frozen=True)
class Mention:
    product: str
    name: str
    start: int
    end: int
    text: str
    offered: bool


def _written(catalog) -> set[str]:
    """Lexicon products the catalog writes (by a synonym or display name): never flagged."""
    if catalog is None:
        return set()
    names = set(getattr(catalog, "synonyms", {})) | {n.lower() for n in getattr(catalog, "lobs", {}).values()}
    return {pid for pid, pats in _COMPILED.items() if any(p.fullmatch(n) for n in names for p in pats)}


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _CLAUSE_SPLIT.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    return [(a, b) for a, b in spans if b > a]


def find_mentions(text: str, catalog=None) -> list[Mention]:
    """Every product mention not in the catalog, with whether its clause offers it."""
    if not text:
        return []
    skip = _written(catalog)
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(text)]
    clauses = _clauses(text)
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for pid, pats in _COMPILED.items():
        if pid in skip:
            continue
        for pat in pats:
            for m in pat.finditer(text):
                if any(a <= m.start() < b for a, b in taken):
                    continue
                taken.append((m.start(), m.end()))
                a, b = next(((a, b) for a, b in clauses if a <= m.start() < b), (0, len(text)))
                in_quotes = any(qa <= m.start() and m.end() <= qb for qa, qb in quoted)
                offered = not in_quotes and not _DECLINE.search(text[a:b])
                found.append(Mention(pid, LEXICON[pid][0], m.start(), m.end(), m.group(0), offered))
    return sorted(found, key=lambda x: x.start)


def scan_products(text: str, catalog=None, mentions_only: bool = False) -> list[str]:
    """Product ids the text offers (or, with ``mentions_only``, merely names) that we do not write, in order."""
    out: list[str] = []
    for m in find_mentions(text, catalog):
        if (mentions_only or m.offered) and m.product not in out:
            out.append(m.product)
    return out
