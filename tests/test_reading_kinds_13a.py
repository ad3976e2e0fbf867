"""Kinds of writing where the reader stored a figure the underwriter never gave, or missed one they gave (round 13,
tune set a), one test per kind, each message written for these tests: the figure a change came to, corrections
said without a correction word of the reader's, a bare correction in a later message, more ways of naming another
party's business, a part of a group, groups of people of one size, a form's year behind a dotted leader, a chat
line opening on the line asked of, and a question of what to sell beside a line."""

from __future__ import annotations

import pytest

from graph.offline.conversation import Conversation
from graph.offline.facts import detect_task, parse
from graph.reader.read import read, restated_figure

FIGURES = ("employees", "vehicles", "annual_revenue", "annual_payroll")


def figures(text: str, asked: str | None = None) -> dict:
    return {k: v.value for k, v in read(text, None, asked).facts.items() if k in FIGURES}


# --- the figure a change came to replaces the one before the change ----------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("delivery outfit with 14 vans; they got rid of 3 last spring, so 11 now", {"vehicles": 11}),
        ("crew was 20 people in 2022, now down to 16", {"employees": 16}),
        ("30 employees, took on 4 more, so 34", {"employees": 34}),
        ("sales 3M, then lost a big account so now about 2.4M", {"annual_revenue": 2_400_000}),
        ("14 vans, so 2 locations", {"vehicles": 14}),  # the number after "so" counts another noun
        ("14 vans, so 300 stops a day", {"vehicles": 14}),  # nor one far from the figure's size
    ],
)
def test_the_figure_a_change_came_to_stands(text, expected):
    assert figures(text) == expected


# --- corrections said without "sorry" or "actually" ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("florist, 5 employees, no 7", {"employees": 7}),
        ("florist, sales 800k - no, 850k", {"annual_revenue": 850_000}),
        ("florist with 5 employees. my bad, it is 7", {"employees": 7}),
        ("florist, 5 employees, scratch that, 7", {"employees": 7}),
        ("florist, 5 employees, no claims in 3 years", {"employees": 5}),  # a "no" that corrects nothing
    ],
)
def test_a_correction_without_a_correction_word(text, expected):
    assert figures(text) == expected


def test_a_bare_correction_is_of_the_earlier_figure_of_its_size():
    assert restated_figure("oops, 7", {"employees": 5, "annual_revenue": 800_000}) == ("employees", 7)
    assert restated_figure("sorry, it was 950", {"employees": 5, "annual_revenue": 800_000}) == (
        "annual_revenue",
        950_000,
    )
    assert restated_figure("sorry, 40", {"employees": 5}) is None  # of no earlier figure's size
    assert restated_figure("7", {"employees": 5}) is None  # no correction word: no correction
    assert restated_figure("sorry, 6", {"employees": 5, "vehicles": 4}) is None  # of two figures' size: neither


def test_a_later_message_corrects_an_earlier_figure_by_a_bare_number(catalog):
    conv = Conversation(catalog)
    conv.on_human("is a florist in Vermont with 5 employees ok for a BOP?", None)
    assert conv.stated["employees"] == 5
    conv.on_human("oops, 7", None)
    assert conv.stated["employees"] == 7


# --- another party's business, however it is named ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("framing sub, 9 employees; the owner also runs another company with 35 staff", {"employees": 9}),
        ("framing sub, the builder they work for has 300 employees, 9 on their own crew", {"employees": 9}),
        ("framing sub, 9 employees, their main customer is a developer with 120 employees", {"employees": 9}),
        ("framing sub, 9 employees; his brother owns a bigger shop with 40 guys", {"employees": 9}),
        ("framing sub, the owner and his son run it with 9 employees", {"employees": 9}),  # a relative at work
    ],
)
def test_another_partys_figures_are_not_the_applicants(text, expected):
    assert figures(text) == expected


def test_a_line_labelled_with_another_party_is_theirs():
    text = "Insured: Pine Ridge Landscaping\nEmployees: 8\nPrior carrier: Granite Mutual, 12 employees listed in error"
    assert figures(text) == {"employees": 8}


# --- some of a group is not the group -----------------------------------------------------------------------------
def test_some_of_a_group_named_after_it_is_a_part():
    assert figures("bakery, 9 employees, 3 of the employees work nights") == {"employees": 9}
    assert figures("courier, 12 vans, 4 of them rented") == {"vehicles": 12}


# --- groups of people of one size ---------------------------------------------------------------------------------
def test_groups_of_one_size_are_their_product():
    assert figures("painting contractor running 3 crews of 4 painters") == {"employees": 12}
    assert figures("3 crews of 4", "employees") == {"employees": 12}
    assert figures("25 employees, sent out in 3 crews of 4") == {"employees": 25}  # a headcount said stands


def test_the_owner_opening_a_reply_is_counted():
    assert figures("owner plus 4", "employees") == {"employees": 5}


# --- a form's year behind a dotted leader -------------------------------------------------------------------------
def test_a_year_behind_a_dotted_leader_is_no_count():
    text = "Insured ...... Pine Ridge Landscaping\nFounded ...... 2009\nReceipts ...... 640k"
    assert figures(text) == {"annual_revenue": 640_000}


# --- a chat line opening on the line asked of ---------------------------------------------------------------------
def test_an_amount_after_a_line_and_a_business_is_the_revenue():
    assert figures("WC - pet groomer in Reno NV, 4 staff, 310k") == {"employees": 4, "annual_revenue": 310_000}
    assert figures("Property: building 1.8M, contents 400k") == {}  # a form line's amounts are the line's


# --- what to sell beside a line -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["what pairs well with their BOP for a bike shop?", "bike shop has GL with us, what goes well with it?"],
)
def test_what_to_pair_with_a_line_asks_what_to_offer(text):
    assert detect_task(text) == "product_recommendation"


# --- a sentence about someone is no description -------------------------------------------------------------------
def test_a_sentence_opening_on_someone_is_no_description():
    assert "description" not in read("oops they traded in 2 of them").facts
    assert read("oops, a tile store in Reno NV").facts["description"].value == "tile store"


# --- money held is no money taken in ------------------------------------------------------------------------------
def test_an_amount_in_what_the_business_owns_is_no_revenue():
    assert figures("tile installer, 7 employees, about 900k in tools and trucks") == {"employees": 7}
    assert figures("gift shop, 250k of stock on hand, 3 employees, 700k") == {"employees": 3, "annual_revenue": 700_000}
    assert figures("gift shop, 700k in sales, 3 employees") == {"annual_revenue": 700_000, "employees": 3}


# --- a place the business is not yet is not where it is -----------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("bike shop in Boise, 5 staff, GL? they add a new store in Ogden UT in the fall", "ID"),
        ("bike shop in Tulsa OK, relocating to Kansas next year, GL?", "OK"),
        ("bike shop, main store in Tucson AZ plus a satellite store in Las Cruces NM, GL?", "AZ"),
    ],
)
def test_a_future_or_second_place_is_not_the_state(catalog, text, state):
    assert parse(text, catalog, None).facts["state"] == state


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("sign shop in Tulsa OK, does work in Arkansas too, GL?", "OK"),  # where it only works yields
        ("sign shop, works all over Oregon, GL?", "OR"),  # unless nothing else says where it is
        ("GL for a Kansas City style BBQ place in Omaha NE", "NE"),  # a place as a style is no place
        ("GL for a Texas-style smokehouse in Memphis TN", "TN"),
    ],
)
def test_where_it_works_or_a_style_yields_to_where_it_is(catalog, text, state):
    assert parse(text, catalog, None).facts["state"] == state


# --- an investor's figures are not the applicant's ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("machine shop, sales 8.5M, 60 staff. private equity group bought in last year, their portfolio cos do 1.2B",
         {"annual_revenue": 8_500_000, "employees": 60}),
        ("revenue 4M; the VC firm's other holdings are way bigger, 30M+", {"annual_revenue": 4_000_000}),
        ("hedge fund manager, 30 employees, 12M revenue", {"annual_revenue": 12_000_000, "employees": 30}),
    ],
)  # fmt: skip
def test_an_investors_figures_are_not_the_applicants(text, expected):
    assert figures(text) == expected


# --- contractors and a part counted within the headcount are not the headcount -------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("landscaper, 7 employees; mowing in summer goes to a 1099 crew of 3", {"employees": 7}),
        ("12 on staff and they sub the electrical to a contract team of 5", {"employees": 12}),
        ("85 employees. A second office in Erie has 11 people (included in the 85).", {"employees": 85}),
        ("Staff: 22 (incl. 3 part-time)", {"employees": 22}),
    ],
)  # fmt: skip
def test_contractors_and_parts_counted_within_are_not_the_headcount(text, expected):
    assert figures(text) == expected


# --- a bracketed aside inside a fleet listed by kind -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("autos: 5 box trucks (2017-2021 Isuzu NPR) + 3 cargo vans", {"vehicles": 8}),
        ("4 dump trucks (leased) and 1 pickup", {"vehicles": 5}),
        ("11 trucks (8 tractors, 3 pickups)", {"vehicles": 11}),  # a breakdown in brackets stays a breakdown
    ],
)
def test_a_fleet_listed_by_kind_runs_on_across_an_aside(text, expected):
    assert figures(text) == expected
