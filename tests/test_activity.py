"""What a description's verbs say about the sector (``retrieval.activity``), and how the classifier uses it."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.activity import RETAIL, Activity, establishment_test, retailer_test

SHARES = {
    "restaurant": {"72": 1.0},
    "stor": {"44": 0.4, "45": 0.6},
    "part": {"33": 0.7, "42": 0.3},
    "deal": {"44": 0.6, "45": 0.2, "52": 0.2},
}


def _activity() -> Activity:
    from retrieval.normalise import stem

    return Activity(establishment_test(lambda w: SHARES.get(stem(w), {})))


def _with_retailers() -> Activity:
    from retrieval.normalise import stem

    shares = lambda w: SHARES.get(stem(w), {})  # noqa: E731
    return Activity(establishment_test(shares), retailer_test(shares))


@pytest.mark.parametrize(
    ("text", "sectors"),
    [
        # a retailer's name speaks before the customers it also sells to
        ("tile store; sells to contractors and homeowners", RETAIL),
        ("outdoor gear retailer, ships to schools and clubs", RETAIL),
        ("pet stores in three malls", RETAIL),
        # a verb of making speaks first, customers speak when the name is no retailer's
        ("fudge store that makes its own candy", ("31", "32", "33")),
        ("sells bulk nuts to grocery stores", ("42",)),
        ("used car dealer, sells to other dealers", ("42",)),  # a dealer may be a securities dealer
    ],
)
def test_a_retailers_name_says_retail(text, sectors):
    assert _with_retailers().sectors(text) == sectors


@pytest.mark.parametrize(
    ("text", "sectors"),
    [
        ("welds and fabricates trailer hitches", ("31", "32", "33")),
        ("pie shop, everything baked in house", ("31", "32", "33")),
        ("crew that installs gutters on houses", ("23",)),
        ("bonded warehouse - stores imported furniture for retailers", ("493",)),
        ("distributor of plumbing fittings", ("42",)),
        ("family rents out the old dairy barn for receptions", ("5311",)),  # a lessor of the building
        ("leases out warehouse space to a moving company", ("5311",)),  # the space let, not goods stored
        ("rents out bounce houses and folding chairs", ()),  # goods rented: no building
        # who owns buildings people rent names itself by them: a lessor, whatever the buildings' words pull to
        ("fourplex owner in the suburbs", ("5311",)),
        ("owns and manages four office buildings downtown", ("5311",)),
        ("residential landlord with eleven doors", ("5311",)),
        ("landlord of two strip centers", ("5311",)),
        # what grows or raises what it sells is a farm, whoever buys it
        ("greenhouse growing bedding plants for garden centers, sells wholesale", ("11",)),
        ("raises broilers under contract for a processor", ("11",)),
        # roasting and distilling make the goods (NAICS: coffee roasting is coffee manufacturing), whoever buys them
        ("roasts coffee and sells to restaurants and cafes", ("31", "32", "33")),
        ("craft distiller, sells its gin wholesale to bars", ("31", "32", "33")),
        ("sells bulk nuts to grocery stores", ("42",)),
        # a maker that sells to businesses is classified by the making
        ("makes candles, sells to gift stores", ("31", "32", "33")),
    ],
)
def test_the_verbs_name_the_kind_of_activity(text, sectors):
    assert _activity().sectors(text) == sectors


@pytest.mark.parametrize(
    "text",
    [
        "corner deli, pies from a wholesale bakery that bakes them daily",  # the supplier's kind
        "brewery selling its ales through two distributors",  # the channel's kind
        "cabinet shop working for kitchen remodelers and installers",  # the clients' kind
        "pottery studio, also installs a few tile backsplashes",  # a side line
        "sells spare parts to hobbyists",  # customers that are no businesses
        "pet stores in three malls",  # the shops' noun, not the verb "stores"
        "espresso bar brewing coffee",  # brewing is what cafes do too
        "frame shop; nothing is fabricated here, others install the frames",  # denied, or done by others
        "a toolmaker's sales office",  # a possessive names another's business
        "rental property owners association, 60 members",  # a club of owners, no lessor
        "taqueria that owns its building",  # a business in its own building lets nothing
        "landlord-tenant law practice",  # a trade that serves landlords
        "owns and operates a bakery with rental space upstairs",
        "fast-growing payroll software company",  # a business that grows, not one that grows crops
        "cidery that grows its own apples",  # its own supplies: the kind is its name's
        "cidery growing apples in its own orchard, presses and bottles them",
        "farm stand selling locally grown sweet corn",  # goods grown by others
    ],
)
def test_what_is_no_kind_of_the_business_itself_names_none(text):
    assert _activity().sectors(text) == ()


def test_a_practitioners_name_speaks_before_the_verbs():
    def practice(text: str) -> tuple[str, ...]:
        return ("6213",) if text.startswith("optometrist") else ()

    activity = Activity(establishment_test(lambda w: {}), practice=practice)
    assert activity.sectors("optometrist who makes custom contact lenses") == ("6213",)
    assert activity.sectors("lens lab that makes custom contact lenses") == ("31", "32", "33")


def test_the_verbs_move_a_first_code_of_another_sector_and_leave_one_of_theirs(toolkit):
    from tools.naics import naics_classifier

    classifier = naics_classifier(toolkit.ctx)
    ids = classifier.index.ids
    score = np.zeros(len(ids))
    construction = ids.index(next(c for c in ids if c.startswith("23")))
    score[construction] = 1.0
    # "installs": the first code is of the sector named, so nothing moves
    assert classifier.by_activity("installs doors", score) is score
    moved = classifier.by_activity("fabricates doors", score)
    maker = [i for i, c in enumerate(ids) if c.startswith(("31", "32", "33"))]
    assert (moved[maker] > score[maker]).all() and moved[construction] == score[construction]


def test_a_first_code_whose_title_names_the_verb_stays_first(toolkit):
    """A verb's word in the first code's own title ("distribution" of a power utility's) says it is of that kind."""
    from tools.naics import naics_classifier

    classifier = naics_classifier(toolkit.ctx)
    ids = classifier.index.ids
    titled = next(c for c in ids if not c.startswith("42") and "Distribution" in classifier.titles[c])
    score = np.zeros(len(ids))
    score[ids.index(titled)] = 1.0
    assert classifier.by_activity("power distribution to member households", score) is score
    other = next(c for c in ids if not c.startswith("42") and "Distribut" not in classifier.titles[c])
    score = np.zeros(len(ids))
    score[ids.index(other)] = 1.0
    assert classifier.by_activity("power distribution to member households", score) is not score
