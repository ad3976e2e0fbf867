"""Acronyms spelled out as the texts that use them define them: "Certified public accountants (CPAs)" teaches that
"CPA" is a certified public accountant, so a description that says "CPA firm" is matched by the words of the code.

Found the way Schwartz and Hearst find abbreviation definitions: an acronym in brackets after words whose initials
spell it, right to left ("and", "of", "for" may come between). Only acronyms typed in capitals are spelled out in a
query: "PET scans" is positron emission tomography, "pet groomer" is not.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable

# The trades' standard abbreviations as they are typed, spelled out in the words the NAICS texts use for the activity:
# the one table of them (the classifier spells them out, the offline model reads a description's shorthand with it).
# Where a NAICS text defines one too, the trade's meaning wins ("DME": durable medical equipment, not distance
# measuring equipment). Typed in lower case, those in _WORDS_IN_LOWER are words ("it", "pt"), not a trade.
TRADE_ABBREVIATIONS = {
    "3PL": "third-party logistics warehousing",
    "SaaS": "software publisher, software as a service",
    "PaaS": "platform as a service",
    "IaaS": "infrastructure as a service",
    "MSP": "managed computer services provider",
    "IT": "information technology computer",
    "PT": "physical therapy",
    "OT": "occupational therapy",
    "GC": "general contractor",
    "HOA": "homeowners association",
    "LTL": "less-than-truckload trucking",
    "FTL": "truckload trucking",
    "OTR": "over-the-road long-distance trucking",
    "E&P": "oil and gas exploration and production",
    "CNC": "computer numerically controlled machining",
    "EMS": "emergency medical services ambulance",
    "B&B": "bed-and-breakfast inn",
    "HVAC": "heating and air-conditioning",
    "CPA": "certified public accountant",
    "DDS": "dentist",
    "DMD": "dentist",
    "DME": "durable medical equipment",
    "SNF": "skilled nursing facility",
    "ALF": "assisted living facility",
    "ASC": "ambulatory surgery center",
    "QSR": "quick-service restaurant",
    "RV": "recreational vehicle",
    "PI": "private investigation",
    "AD": "advertising",
    "DJ": "disc jockey",
    "TV": "television",
}
# Trades' abbreviations of a practitioner or service that no NAICS text defines, typed in capitals or not
# ("LCSW private practice", "nemt provider"): spelled out like the ones above.
TRADE_ABBREVIATIONS |= {
    "NEMT": "non-emergency medical special needs transportation",
    "LCSW": "licensed clinical social worker, mental health practitioner",
    "LMSW": "licensed social worker, mental health practitioner",
    "LPC": "licensed professional counselor, mental health practitioner",
    "LMHC": "licensed mental health counselor, mental health practitioner",
    "LMFT": "licensed marriage and family therapist, mental health practitioner",
    "MFT": "marriage and family therapist, mental health practitioner",
    "PsyD": "psychologist, mental health practitioner",
    "DVM": "veterinarian",
    "DPM": "podiatrist",
    "CRNA": "nurse anesthetist",
    "SLP": "speech-language pathologist",
    "BCBA": "behavior analyst",
    "TPA": "third party administrator",
    "MGA": "managing general agency, insurance",
    "FBO": "fixed base operator airport",
    "MRO": "maintenance, repair and overhaul",
    "PCB": "printed circuit board",
    # a contractor delivering a marketplace's parcels on the last mile in its own vans (a delivery service partner)
    "DSP": "courier parcel delivery service",
    "BHPH": "used car dealer with in-house financing",
}
# Words people shorten as they type a submission ("svcs", "mfrs", "eng firm", "resi"), read as the words NAICS
# writes. Only cuts that are no English word in lower case ("res", "dist", "tech", "vet" mean other things too).
SHORT_WORDS = {
    "svc": "service",
    "svcs": "services",
    "srvc": "service",
    "srvcs": "services",
    "mfr": "manufacturer",
    "mfrs": "manufacturers",
    "mfg": "manufacturing",
    "mfgr": "manufacturer",
    "mfgrs": "manufacturers",
    "eng": "engineering",
    "engr": "engineer",
    "engrs": "engineers",
    "engg": "engineering",
    "biz": "business",
    "resi": "residential",
    "resid": "residential",
    "comml": "commercial",
    "comm'l": "commercial",
    "coml": "commercial",
    "indust": "industrial",
    "photog": "photographer",
    "photogs": "photographers",
    "stn": "station",
    "thru": "through",
    "mgmt": "management",
    "mgmnt": "management",
    "maint": "maintenance",
    "equip": "equipment",
    "whse": "warehouse",
    "distrib": "distribution",
    "distr": "distribution",
    "constr": "construction",
    "contr": "contractor",
    "ctr": "center",
    "ctrs": "centers",
    "dept": "department",
    "assn": "association",
    "rep": "representative",
    "reps": "representatives",
    "acctg": "accounting",
    "mktg": "marketing",
    "insur": "insurance",
    "mech": "mechanical",
    "elec": "electrical",
    "plbg": "plumbing",
    "htg": "heating",
    "mfd": "manufactured",
    "veh": "vehicle",
    "transpo": "transportation",
    "govt": "government",
    "muni": "municipal",
    "pharma": "pharmaceutical",
    "peds": "pediatric",
    "hosp": "hospital",
    "lndscp": "landscaping",
    "intl": "international",
    "natl": "national",
    "fab": "fabrication",
}
# Trade names people use for a kind of business ("a CrossFit box", "Airbnb host", "Kumon center"): written before the
# name, in brackets after it, as the words NAICS uses for that kind ("fitness gym (CrossFit) box": the name's clause
# ends at the bracket, ``retrieval.business_words.head_clause``). Marks and chains whose name says little of the trade.
TRADE_NAMES = {
    "crossfit": "fitness gym",
    "orangetheory": "fitness gym",
    "f45": "fitness gym",
    "anytime fitness": "fitness gym",
    "planet fitness": "fitness gym",
    "jazzercise": "fitness exercise studio",
    "zumba": "fitness exercise studio",
    "barre": "fitness exercise studio",
    "airbnb": "short-term vacation rental lodging",
    "vrbo": "short-term vacation rental lodging",
    "uber": "taxi and ridesharing",
    "lyft": "taxi and ridesharing",
    "doordash": "courier delivery",
    "grubhub": "courier delivery",
    "instacart": "courier delivery",
    "etsy": "online retailer",
    "ebay": "online retailer",
    "shopify": "online retailer",
    "kumon": "tutoring",
    "mathnasium": "tutoring",
    "sylvan": "tutoring",
    "servpro": "water and fire damage restoration, remediation",
    "servicemaster": "water and fire damage restoration, remediation",
    "molly maid": "house cleaning",
    "merry maids": "house cleaning",
    "chem-dry": "carpet cleaning",
    "stanley steemer": "carpet cleaning",
    "roto-rooter": "plumbing and drain cleaning",
    "jiffy lube": "automotive oil change and lubrication",
    "valvoline": "automotive oil change and lubrication",
    "u-haul": "truck rental",
    "great clips": "hair salon",
    "supercuts": "hair salon",
    "h&r block": "tax preparation",
    "jackson hewitt": "tax preparation",
    "porta potty": "portable toilet rental",
    "porta-potty": "portable toilet rental",
    "porta john": "portable toilet rental",
    "porta-john": "portable toilet rental",
    "kona ice": "mobile food truck",
    "buy here pay here": "used car dealer with in-house financing",
}
_TRADE_NAME = re.compile(
    rf"(?<![\w'&-])({'|'.join(map(re.escape, sorted(TRADE_NAMES, key=len, reverse=True)))})(?![\w'&-])", re.I
)
# A maker's representative sells the makers' lines on commission without owning the goods: a wholesale trade agent,
# whatever it sells ("manufacturers' rep", "mfr's agent"); read as such, not as a maker.
_MAKERS_AGENT = re.compile(
    r"(?<![\w-])(?:manufacturer|mfr|mfgr)(?:s'?|'s)?\s+(?:sales\s+)?(?:rep|representative|agent|agency)(?:s|'s)?(?![\w'-])",
    re.I,
)
_SHORT = re.compile(
    rf"(?<![\w'&-])({'|'.join(map(re.escape, sorted(SHORT_WORDS, key=len, reverse=True)))})(?![\w'&-])", re.I
)


def lengthen(text: str) -> str:
    """``text`` with the words people shorten (``SHORT_WORDS``) written out ("civil eng firm" -> "civil engineering
    firm"), a trade name read as its trade (``TRADE_NAMES``), a manufacturers' representative as the wholesale trade
    agent it is, in any case."""
    text = _MAKERS_AGENT.sub("wholesale trade agent (manufacturers' representative)", text)
    text = _TRADE_NAME.sub(lambda m: f"{TRADE_NAMES[m.group(1).lower()]} ({m.group(1)})", text)
    return _SHORT.sub(lambda m: SHORT_WORDS[m.group(1).lower()], text)


_WORDS_IN_LOWER = frozenset({"IT", "PT", "OT"})
# "PI" before a lawyer is personal injury, not an investigator
_PERSONAL_INJURY = re.compile(r"\s+(?:law|attorneys?|lawyers?)\b", re.I)
# Every abbreviation that names its trade typed in any case, lower-cased ("gc", "msp", "b&b")
READ_IN_ANY_CASE = frozenset(a.lower() for a in TRADE_ABBREVIATIONS if a not in _WORDS_IN_LOWER)


def trade_meaning(abbreviation: str, after: str = "") -> str:
    """What a trade's abbreviation (any case; a key of ``TRADE_ABBREVIATIONS`` lower-cased) says the business does,
    given the text right after it ("PI attorney": personal injury)."""
    key = abbreviation.lower()
    if key == "pi" and _PERSONAL_INJURY.match(after):
        return "personal injury"
    return TRADE_ABBREVIATIONS[_LOWER[key]]


_LOWER = {a.lower(): a for a in TRADE_ABBREVIATIONS}
_TYPED = re.compile(rf"(?<![\w&])({'|'.join(map(re.escape, TRADE_ABBREVIATIONS))})(?:s|'s)?(?![\w&])")
_ACRONYM = re.compile(rf"{_TYPED.pattern}|\b([A-Z][A-Z&]{{1,7}})(?:s|'s)?\b")
_IN_BRACKETS = re.compile(r"\(([A-Za-z&]{2,8}?)(?:s|'s)?\)")
_JOINERS = frozenset({"and", "of", "the", "for", "or", "&"})
_WORD = re.compile(r"[A-Za-z][A-Za-z-]*|&")


def defined_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """Lower-case acronym -> the words that define it, the first definition found in ``texts``."""
    out: dict[str, str] = {}
    for text in texts:
        for m in _IN_BRACKETS.finditer(text):
            acronym = m.group(1)
            if sum(c.isupper() for c in acronym) < 2 or acronym.lower() in out:
                continue  # "(except ...)", "(e.g.)": a word in brackets is not an acronym
            letters = [c.lower() for c in acronym if c.isalpha()]
            before = _WORD.findall(text[: m.start()])
            words: list[str] = []
            while before and letters:
                word = before.pop()
                if word.lower() in _JOINERS and words:
                    words.insert(0, word)
                elif word[0].lower() == letters[-1]:
                    words.insert(0, word)
                    letters.pop()
                else:
                    break
            if not letters:
                out[acronym.lower()] = " ".join(words).lower()
    return out


_LOWER_ACRONYM = re.compile(r"(?<![\w&'-])([a-z]{2,8})(?:s|'s)?(?![\w&'-])")


def spell_out(text: str, acronyms: dict[str, str], words: Container[str] = ()) -> str:
    """``text`` with each acronym typed in capitals ("CPA", "CPAs", "RV's") put after its definition, in brackets, as
    the NAICS texts write them ("certified public accountant (CPA) firm"): the definition stands where the acronym
    stood, so a name that is an acronym keeps its head noun and its first clause its words ("commercial general
    contractor (GC), ..."; after it, the bracket would end the name at "commercial GC"). The definition is the trade's
    own as typed (``TRADE_ABBREVIATIONS``), else the one ``acronyms`` gives (lower case -> definition). Typed in lower
    case ("gc", "ltl"), an acronym is spelled out too when it is none of ``words`` (the words a text may mean:
    "it" and "pt" stay), the trade's of any length, a defined one of three letters or more."""

    letters = [c for c in text if c.isalpha()]
    shouted = sum(c.isupper() for c in letters) > len(letters) / 2  # "IT" is a word in a text typed in capitals

    def add(m: re.Match) -> str:
        if m.group(1) is not None and not shouted:
            return f"{trade_meaning(m.group(1), m.string[m.end() :])} ({m.group(0)})"
        definition = acronyms.get((m.group(1) or m.group(2)).lower())
        return f"{definition} ({m.group(0)})" if definition else m.group(0)

    def add_lower(m: re.Match) -> str:
        a = m.group(1)
        if a in words or (a not in _LOWER and len(a) < 3):
            return m.group(0)
        definition = trade_meaning(a, m.string[m.end() :]) if a in _LOWER else acronyms.get(a)
        return f"{definition} ({m.group(0)})" if definition else m.group(0)

    text = _ACRONYM.sub(add, text)
    return _LOWER_ACRONYM.sub(add_lower, text) if words else text
