"""Kinds of writing the reader misread (round 13, tune set b), one test per kind, each message written for these
tests: a correction whose number carries its own noun, the count of a practice's licensed people taken for its
headcount, and an agency's gross billings taken for its revenue."""

from __future__ import annotations

import pytest

from graph.offline.facts import parse
from graph.reader.read import read


def figures(text: str, asked: str | None = None) -> dict:
    return {k: v.value for k, v in read(text, None, asked).facts.items() if k in ("employees", "vehicles",
            "annual_revenue", "annual_payroll")}  # fmt: skip


# --- a correction followed by a number with a noun of its own corrects that noun's figure only ------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("electrician, 9 vans, 20 staff -- oops, 11 vans", {"vehicles": 11, "employees": 20}),
        ("20 staff, 9 vans. sorry, 11 vans", {"vehicles": 11, "employees": 20}),
        ("20 staff - sorry, 23", {"employees": 23}),  # a bare number still restates the figure before it
    ],
)
def test_a_correction_with_its_own_noun_leaves_the_other_figure(text, expected):
    assert figures(text) == expected


# --- the licensed people of a practice are a part of its staff, never its headcount -----------------------------
@pytest.mark.parametrize(
    "text",
    [
        "cyber for a law office in Ohio, 14 lawyers, revenue 6M",
        "veterinary clinic, Physicians: 4",
        "family practice with 5 physicians and their support staff",
    ],
)
def test_a_count_of_practitioners_is_no_headcount(text):
    assert "employees" not in figures(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dental office: 3 dentists, 17 employees in all", {"employees": 17}),
        ("two-lawyer shop: 2 attorneys, no staff", {"employees": 2}),  # nobody else works there
        ("45 roofers, 3M revenue", {"employees": 45, "annual_revenue": 3_000_000}),  # a crew is the business
    ],
)
def test_a_headcount_beside_practitioners_stands(text, expected):
    assert figures(text) == expected


def test_practitioners_given_as_the_answer_to_the_headcount_question_are_the_answer():
    assert figures("6 doctors", asked="employees") == {"employees": 6}


# --- gross billings pass through an agency: not its receipts ------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("media buying agency in CA, gross billings of $9M, 12 staff", {"employees": 12}),
        ("marketing shop, gross billings 9M, revenue 1.8M", {"annual_revenue": 1_800_000}),
        ("temp staffing firm, billings of 4M", {"annual_revenue": 4_000_000}),  # billings alone are its receipts
    ],
)
def test_gross_billings_are_no_revenue(text, expected):
    assert figures(text) == expected


# --- a party the applicant works for or sells to, named by what it is: its figures are its own -------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("drywall sub in NV, about 3M a year; the builder they work for does 150M", {"annual_revenue": 3_000_000}),
        (
            "bakery, 12 staff, 1M. their biggest customer has 4,000 employees",
            {"employees": 12, "annual_revenue": 1_000_000},
        ),
        (
            "the client has 25 employees and 4M in sales",
            {"employees": 25, "annual_revenue": 4_000_000},
        ),  # the applicant
    ],
)
def test_the_figures_of_a_party_they_deal_with_are_not_theirs(text, expected):
    assert figures(text) == expected


# --- money paid out to subcontractors is neither payroll nor receipts ---------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("framing crew, payroll 700k and another 450k paid to subs", {"annual_payroll": 700_000}),
        ("payroll 650k, 200k to 1099 guys", {"annual_payroll": 650_000}),
        ("sales 2.5M, 600k subbed out", {"annual_revenue": 2_500_000}),
        ("supplier, revenue 3M to contractors mostly", {"annual_revenue": 3_000_000}),  # sold to them, not paid out
    ],
)
def test_money_paid_to_subcontractors_is_no_figure_of_the_business(text, expected):
    assert figures(text) == expected


# --- a projection never replaces what the business has done --------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sales forecast 5M for next year, 3.8M this year", {"annual_revenue": 3_800_000}),
        ("revenue 900k last year, budgeting 1.3M", {"annual_revenue": 900_000}),
        ("startup, expected revenue 400k", {"annual_revenue": 400_000}),  # all there is: it stands
        ("receipts 4.1M in 2023 and 4.6M in 2024", {"annual_revenue": 4_600_000}),  # a later year still replaces
    ],
)
def test_a_projected_amount_never_replaces_an_actual_one(text, expected):
    assert figures(text) == expected


# --- a line's letters inside a policy number name no line -------------------------------------------------------
def test_a_policy_number_names_no_line(catalog):
    from graph.offline.facts import lob_fact

    assert lob_fact("Expiring policy: 17-WC-440921, renews in May", catalog) is None
    assert lob_fact("their pol # GL 7781203 is with another carrier", catalog) is None
    assert lob_fact("need WC for a framer", catalog) == "workers_compensation"


# --- people paid on a 1099 are contractors: the form's number is no count, and they are no employees --------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("payroll 480k, another 90k to 1099 helpers", {"annual_payroll": 480_000}),
        ("4 W-2 employees and 7 on a 1099", {"employees": 4}),
        ("9 employees plus 2 1099 installers", {"employees": 9}),
        ("a plant of 1,099 employees", {"employees": 1_099}),  # written as a count, it is one
    ],
)
def test_contractors_on_a_1099_are_no_employees(text, expected):
    assert figures(text) == expected


# --- a size said before the trade is no part of what the business does ---------------------------------------------
@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("GL on a 6 chair barber shop in Tulsa", "barber shop"),
        ("cyber for a 120 bed rehab hospital in Ohio, 300 staff", "rehab hospital"),
        ("we insure a 2 doc chiropractic office in Utah", "chiropractic office"),
    ],
)
def test_a_size_before_the_trade_is_left_out_of_the_description(catalog, text, description):
    assert parse(text, catalog).facts.get("description") == description


# --- a code question names the business it asks about ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("naics for a pickleball club? members book courts by the hour", "pickleball club"),
        ("what naics would a cat cafe be under", "cat cafe"),
        ("which code does a tattoo studio fall under?", "tattoo studio"),
    ],
)
def test_a_code_question_describes_the_business_it_names(catalog, text, description):
    assert parse(text, catalog).facts.get("description") == description


# --- a first message with a line and the applicant's figures asks whether we write it ------------------------------
def test_a_first_message_of_a_line_and_figures_asks_the_appetite(cp):
    tid = cp.new_thread().id
    r = cp.send(tid, "property quote, joisted masonry, 1.9M in rents, Boise ID")
    assert r.finding is None and r.answer.startswith("What does the business do?")  # the appetite's first need


@pytest.fixture
def cp(seeded, toolkit):
    from core.settings import get_settings
    from graph.copilot import Copilot

    copilot = Copilot(get_settings(data_dir=seeded["dir"]), toolkit=toolkit)
    yield copilot
    copilot.close()


# --- a state corrected in the same message is the state said after the correction --------------------------------
@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("GL for a florist in Iowa -- oops, they're in Nebraska, 4 staff", "NE"),
        ("pet groomer in Georgia, actually make that South Carolina", "SC"),
        ("dry cleaner in Utah, sorry for the wait, the agent in Idaho just sent it", "UT"),  # no correction of theirs
    ],
)
def test_a_corrected_state_is_the_one_said_after_the_correction(catalog, text, state):
    assert parse(text, catalog).facts.get("state") == state


# --- a year a loss happened in asks for no code --------------------------------------------------------------------
def test_a_year_at_the_end_of_a_message_asks_no_code(catalog):
    assert parse("cyber for a clinic in Iowa, 12 staff. a phishing claim in 2022.", catalog).task is None
    assert parse("and what would it be in 2017?", catalog).task == "classification"  # the edition asked about


# --- words about the insurance describe no business; the trade said after them does --------------------------------
def test_the_insurance_words_are_no_description(catalog):
    p = parse("expiring carrier is Acuity, pol # GL 5512090. GL for a bakery in WI, 5 staff", catalog)
    assert p.facts.get("description") == "bakery" and p.facts.get("lob") == "general_liability"
    assert "description" not in parse("they are at 1,000 with the incumbent carrier", catalog).facts


# --- people joined to a word for staff by "and" are the headcount ---------------------------------------------------
def test_a_kind_of_people_and_staff_is_the_headcount():
    assert figures("charter school, 900 pupils, 85 faculty and staff") == {"employees": 85}
    assert figures("8 box trucks and office, 1.5M") == {"vehicles": 8, "annual_revenue": 1_500_000}  # still trucks
    assert figures("4 branches and staff") == {}  # places, not people
