"""What the verbs of a description say about the sector of the business, for classification (``classify_business``).

NAICS sorts establishments by what they do: one that makes goods is a manufacturer whoever buys them; one that
installs or builds on a site is a contractor, whatever it installs; one that sells to other businesses or
distributes is a wholesaler; one that stores others' goods for a fee is a warehouse. A description's objects (the
goods made, the buildings worked on, the customers) pull the similarity towards the industries of those objects: a
shop that fabricates steel beams for buildings scores near the contractors who erect them. The verbs say which kind
of activity it is; the classifier uses them to move a first candidate of the wrong kind (``tools.naics``).

The kinds are tried in order and the first one found speaks: a business that makes what it sells is classified by
the making (the NAICS rule that the activity adding the value decides), one that installs what it buys is a
contractor. Without such a verb, a name whose head noun is a retailer's ("paint store") says retail, whoever buys
there: a store that sells to contractors as well is still a store. Last, customers are businesses when the Census
index names establishments with that noun ("restaurants", "stores", "contractors"): ``establishment`` is given that
test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from retrieval.business_words import head_clause, head_noun

# A verb said of the business, in its usual forms; a noun of the same letters ("stores", "building") is told apart by
# what stands before it where that matters.
# (brewing and baking are left out: a cafe brews coffee and bakes its pastries, and stays a cafe)
# roasting coffee or nuts and distilling spirits make the goods (Coffee and Tea Manufacturing, Distilleries): a roaster
# that sells wholesale is no wholesaler
_MAKES = (
    r"makes?|maker|makers|making|bakes|baked|baking|manufactur\w*|fabricat\w*|molds|molding"
    r"|roasts|roasting|roaster|roasters|roastery|distills|distilling|distiller|distillers|distillery"
)
_INSTALLS = r"install(?:s|ing|ed|er|ers)?|remodel(?:s|ing|ed|er|ers)?|renovat(?:es|ing|ed)|erects?"
# "stores" is a verb where a clause starts ("- stores goods", "that stores"); after a word it is the shops' noun
_STORES = r"(?:^|[-,;:(]\s*|\b(?:that|which|who|they|it|we)\s+)(?:stores|stor(?:ing|ed))\b|\bwarehous(?:es|ing)\b"
_DISTRIBUTES = r"distribut(?:es|ing|ion|or|ors)|wholesal\w*|imports?|importing|importer|exports?|exporting|exporter"
_SELLS_TO = r"(?:sells?|selling|sold|supplies|supplying|delivers?|delivering|delivered)\b[^.;:]{0,40}?\bto\s+"

# "rents out their barn", "leases out warehouse space": a lessor of the building (not a rental of goods: "rents out
# party tents" names no building; nor "houses", which may be bounce houses)
_LETS = (
    r"\b(?:rents?|renting|rented|leases?|leasing|leased|lets)\s+out\s+(?:(?:their|its|a|an|the|our|his|her|some|space"
    r"|in|part|of)\s+)*(?:[a-z]+\s+){0,2}(?:barns?|halls?|buildings?|space|spaces|venues?|propert(?:y|ies)|warehouses?"
    r"|offices?|storefronts?|units|apartments|rooms|land|lots?|acreage|farmland)\b"
)

# Who owns buildings to let them names itself by the buildings it owns ("duplex owner", "landlord of a strip mall",
# "owns two office buildings"): a lessor of real estate, though the buildings' words pull towards their builders. Only
# buildings people let (not a warehouse or farmland, which the owner may well use itself); "property owners'
# association" is a club of owners, no lessor.
_LET_BUILDINGS = (
    r"(?:apartment\s+(?:buildings?|complex(?:es)?)|apartments|duplex(?:es)?|fourplex(?:es)?|triplex(?:es)?"
    r"|rental\s+(?:houses|homes|propert(?:y|ies)|units)|office\s+buildings?|strip\s+(?:malls?|centers?)"
    r"|(?:commercial|residential|rental)\s+(?:buildings?|propert(?:y|ies)))"
)
_OWNS_TO_LET = (
    rf"\b{_LET_BUILDINGS}\s+(?:owner|landlord|lessor)s?\b(?!['\u2019]|\s+(?:association|assn|club)s?\b)"
    rf"|\b(?:owns?|owning)\s+(?:and\s+(?:rents?|leases?|manages?|operates?)\s+)?(?:[a-z0-9-]+\s+){{0,3}}?"
    rf"{_LET_BUILDINGS}\b"
    r"|\b(?:commercial|residential)\s+(?:landlord|lessor)s?\b|\b(?:landlord|lessor)s?\s+(?:of|for)\b"
)

# A business that grows or raises what it sells is a farm, whoever it sells to ("wholesale nursery growing shrubs",
# "raises hogs for a packer"), or a maker when it makes something of it too (the making comes first). Not "grown",
# which describes goods (a grocer's "locally grown produce"), nor what grows its own supplies (a winery its grapes, a
# cafe its herbs: the kind is its name's), nor a business that is growing ("fast-growing", "growing company") or
# raises money.
_GROWS = (
    r"(?<![-\w])(?<!fast[- ])(?<!rapidly )(?<!quickly )"
    r"(?:grows|growing|grower|growers|raises|raising|cultivat(?:es|ing|ion))\b"
    r"(?!\s+(?:business|company|firm|list|number|team|clientele|customer|money|funds|capital)\w*"
    r"|\s+(?:\w+\s+){0,3}?(?:its|their|our|his|her)\s+own\b)"
)

# (the kind, the sectors or subsectors it names, the verbs that say it)
KINDS: tuple[tuple[str, tuple[str, ...], re.Pattern], ...] = (
    ("manufacturing", ("31", "32", "33"), re.compile(rf"\b(?:{_MAKES})\b", re.IGNORECASE)),
    ("construction", ("23",), re.compile(rf"\b(?:{_INSTALLS})\b", re.IGNORECASE)),
    # ("leases out warehouse space": no warehouse)
    ("letting", ("5311",), re.compile(rf"{_LETS}|{_OWNS_TO_LET}", re.IGNORECASE)),
    ("farming", ("11",), re.compile(_GROWS, re.IGNORECASE)),
    ("warehousing", ("493",), re.compile(_STORES, re.IGNORECASE)),
    ("wholesale", ("42",), re.compile(rf"\b(?:{_DISTRIBUTES})\b", re.IGNORECASE)),
)
_CUSTOMERS = re.compile(
    rf"\b{_SELLS_TO}(?:(?:the|other|local|their|its|a|an|small|big|large)\s+)*([a-z]+)(?:\s+([a-z]+))?", re.IGNORECASE
)
# Customers that are businesses by the word itself, whatever the index entries end in
BUSINESSES = frozenset(
    "businesses companies firms retailers contractors dealers manufacturers builders shops stores restaurants".split()
)


# Where a description names its suppliers ("bought from a wholesale bakery", "buys from growers"): their kind is not
# the business's, so that part is not read for it (up to the end of its clause).
# The same for the channel it sells through ("sold through distributors", "to wholesalers"): a maker's, not its kind.
_SUPPLIERS = re.compile(
    r"\b(?:from|bought|buys?|buying|purchas\w*|sourced)\b[^.,;:()]*"
    r"|\b(?:through|via|to|for)\s+(?:[a-z]+\s+){0,2}?(?:distributors?|wholesalers?|importers?)\b",
    re.IGNORECASE,
)


# Whom the work is for ("for homebuilders and remodelers", "for local fabricators"): the clients' kind, not its own.
_CLIENTS = re.compile(r"\bfor\s[^.,;:()]*", re.IGNORECASE)
# A verb said to be done sometimes or to some of the goods names a side line, not the kind ("also installs some"); one
# denied, or said of others, is no activity of the business ("nothing is made here", "others install it").
_NOT_ITS_OWN = re.compile(
    r"\b(?:also|sometimes|occasionally|some|a few|not|no|nothing|never|none|others?|someone else)\b|n't\b",
    re.IGNORECASE,
)


RETAIL = ("44", "45")


@dataclass(frozen=True)
class Activity:
    """The sectors a description's verbs name, the first kind found (after a practitioner's office its name names:
    ``practice``, ``retrieval.business_words.HeadNouns.practice``); ``establishment(word)`` says whether a noun
    names businesses (a customer of that noun makes the seller a wholesaler); ``retailer(noun)`` whether a name's
    head noun (``retrieval.business_words.head_noun``) names a retail establishment."""

    establishment: Callable[[str], bool]
    retailer: Callable[[str], bool] = lambda noun: False
    # the industry group of a practitioner's office named by the description's head word, or ()
    practice: Callable[[str], tuple[str, ...]] = lambda description: ()

    def sectors(self, description: str) -> tuple[str, ...]:
        # a practitioner's name speaks first: what a podiatrist makes or a dentist fits is the practice's work
        if office := self.practice(description):
            return office
        description = _SUPPLIERS.sub(" ", description)
        own = _CLIENTS.sub(" ", description)
        for _, sectors, verbs in KINDS:
            # a possessive names another's business ("a toolmaker's sales office")
            found = (
                own[max(m.start() - 14, 0) : m.end() + 8]
                for m in verbs.finditer(own)
                if own[m.end() : m.end() + 1] != "'"
            )
            if any(not _NOT_ITS_OWN.search(around) for around in found):
                return sectors
        noun = head_noun(head_clause(description))
        if noun and self.retailer(noun):
            return RETAIL
        for m in _CUSTOMERS.finditer(description):
            # "sells to convenience stores": the noun may come second
            if any(w and self.establishment(w.lower()) for w in m.groups()):
                return ("42",)
        return ()


def establishment_test(sectors_of: Callable[[str], dict[str, float]]) -> Callable[[str], bool]:
    """A noun names businesses when the index entries that end in it are mostly not makers or wholesalers of it
    ("restaurants", "hospitals", "stores"; not "parts" or "boxes"); ``sectors_of(noun)``: sector -> share of the
    entries ending in it (``retrieval.business_words.HeadNouns``)."""

    def test(word: str) -> bool:
        if word in BUSINESSES:
            return True
        shares = sectors_of(word)
        made = sum(shares.get(s, 0.0) for s in ("31", "32", "33"))
        return bool(shares) and made < 0.6 and shares.get("42", 0.0) <= 0.5

    return test


def retailer_test(sectors_of: Callable[[str], dict[str, float]], share: float = 0.9) -> Callable[[str], bool]:
    """A head noun names a retailer when at least ``share`` of the index entries that end in it are retail (sectors
    44 and 45, one NAICS sector: "stores", "auctions"; not "dealers", a fifth of them securities dealers), or it is
    the word itself ("retailer", stemmed "retail")."""

    def test(noun: str) -> bool:
        shares = sectors_of(noun)
        return noun == "retail" or sum(shares.get(s, 0.0) for s in RETAIL) >= share

    return test
