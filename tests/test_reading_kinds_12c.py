"""Kinds of writing where the reader stored a figure the underwriter never gave as the applicant's (round 12, tune
set c), one test per kind, each message written for these tests: an amount no word names after a named revenue, a
form line whose label names some other money, an aside in brackets, a quoted earlier message, the sender's
signature, a form line counting trailers, a count said to be the total after its kinds, and a subject line's
shorthand that looks like a state's code."""

from __future__ import annotations

import pytest

from graph.offline.facts import parse
from graph.reader.read import read


def figures(text: str, asked: str | None = None) -> dict:
    return {k: v.value for k, v in read(text, None, asked).facts.items() if k in ("employees", "vehicles",
            "annual_revenue", "annual_payroll")}  # fmt: skip


# --- an amount no noun names is the revenue only when the message names none ------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Gross sales 3.4M, 20 on staff. A burst pipe last spring set them back $41k.",
            {"annual_revenue": 3_400_000, "employees": 20},
        ),
        ("Turnover: $7.5M\nTooling spend: $380,000\nEmployees: 44", {"annual_revenue": 7_500_000, "employees": 44}),
        ("bakery, roughly $900k, 6 employees", {"annual_revenue": 900_000, "employees": 6}),  # no other: revenue
        ("sales were 2.2M in 2023 and 2.6M in 2024", {"annual_revenue": 2_600_000}),  # a series by year still moves
    ],
)
def test_an_unnamed_amount_never_replaces_a_named_revenue(text, expected):
    assert figures(text) == expected


def test_a_form_line_labelled_with_other_money_is_no_revenue():
    text = "Insured: Birchwood Cabinetry\nSubcontracted cost: $275,000\nEmployees: 14\nState: VT"
    assert figures(text) == {"employees": 14}
    assert figures("Bldg: $2.6M\nStaff: 7") == {"employees": 7}
    assert figures("Summary: $1.3M, 8 staff") == {"annual_revenue": 1_300_000, "employees": 8}  # a label of no money


# --- a figure in brackets or on a quoted line never replaces the message's own -----------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Staff: 9\nAccountant: Ridge & Co (a separate firm, 60 people)", {"employees": 9}),
        ("Revenue: $5M (the catering arm alone did 1.1M revenue)", {"annual_revenue": 5_000_000}),
        ("payroll is 800k now, 13 employees\n> payroll 650k, 10 emps", {"annual_payroll": 800_000, "employees": 13}),
        ("> From the agent: 11 employees, sales 2M", {"employees": 11, "annual_revenue": 2_000_000}),  # all quoted
    ],
)
def test_an_aside_or_a_quoted_message_never_replaces_a_figure(text, expected):
    assert figures(text) == expected


# --- the sender's signature is the broker's firm, never the applicant ---------------------------------------------
def test_figures_in_the_senders_signature_are_not_read():
    text = (
        "New one: a bakery in Dayton, two shops, wants GL.\n\nPriya Sethi\n"
        "Ohio Valley Brokerage, 120 staff statewide\n937-555-0144\n\nappetite?"
    )
    assert "employees" not in figures(text)
    # a second block that is the applicant's own form keeps its figures
    form = "New sub below.\n\nInsured: Lark Bakery\nPhone: 937-555-0101\nEmployees: 12"
    assert figures(form) == {"employees": 12}


# --- a form line that counts trailers counts no vehicle ----------------------------------------------------------
def test_a_trailers_line_counts_no_vehicles():
    assert figures("Trailers: 30 dry vans\nDrivers: 11") == {"employees": 11}
    assert figures("Power units: 9 tractors\nTrailers: 30 dry vans\nDrivers: 11") == {"vehicles": 9, "employees": 11}


# --- a count said to be the total after a kind of staff is the whole ----------------------------------------------
def test_a_total_after_a_kind_is_the_whole():
    assert figures("3 dentists, 17 total staff, revenue 2.4M") == {"employees": 17, "annual_revenue": 2_400_000}
    assert figures("3 dentists, 14 hygienists")["employees"] == 17  # kinds with no total said: their sum


# --- a subject line's shorthand never outranks the state the body names -------------------------------------------
def test_the_body_names_the_state_before_the_subject(catalog):
    text = "Subject: Pinecrest PA - GL\n\nPinecrest Physician Associates, Dayton OH, 22 staff.\n\nappetite?"
    assert parse(text, catalog).facts["state"] == "OH"
    only_subject = "Subject: New BOP - Quarry Cafe, Bath ME\n\n14 employees, revenue 900k. appetite?"
    assert parse(only_subject, catalog).facts["state"] == "ME"


# --- another party named as theirs, an earlier owner, the sender's own office: never the applicant's figures -------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Staff: 15. Their property management firm has 55 people.", {"employees": 15}),
        ("glass shop, 7 employees; the former owner ran it with 19 employees", {"employees": 7}),
        ("deli, 5 staff. the seller grossed 1.9M", {"employees": 5}),
        ("cidery, 9 staff, its distributor has 450 employees", {"employees": 9}),
        ("Sales 6M. Our brokerage has 30 employees.", {"annual_revenue": 6_000_000}),
        ("soap maker, 22 staff, their co-packer runs 210 workers", {"employees": 22}),
        # the applicant itself may be any of these trades
        ("property management company, 16 employees, 2.1M revenue", {"employees": 16, "annual_revenue": 2_100_000}),
        ("their company has 40 employees and 3M sales", {"employees": 40, "annual_revenue": 3_000_000}),
    ],
)
def test_another_partys_figures_are_not_the_applicants(text, expected):
    assert figures(text) == expected


# --- money paid out (a premium, a loss's cost, a fund) is no revenue ---------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "nail salon, 6 staff, expiring prem $7,800",
        "print shop in Akron, 9 employees. A flood in 2021 cost them $62k.",
        "staffing firm, 30 internal staff, backed by a $250M fund",
    ],
)
def test_money_paid_out_or_held_is_no_revenue(text):
    assert "annual_revenue" not in figures(text)


# --- a reply's earlier message below it is older: the reply's own figures stand -----------------------------------
def test_the_figures_of_an_earlier_message_below_a_reply_do_not_replace_the_replys():
    reply = "Payroll: 1.3M\nStaff: 26\n\n-----Original Message-----\nFrom: Sam Ortiz\nPayroll: 1.1M\nStaff: 21"
    assert figures(reply) == {"annual_payroll": 1_300_000, "employees": 26}
    wrote = "new count is 26 staff\n\nOn Tue, Apr 8, 2025 at 9:14 AM Sam Ortiz <sam@x.com> wrote:\n21 staff"
    assert figures(wrote) == {"employees": 26}
    forwarded = "Fwd: new one\n\n---------- Forwarded message ---------\nFrom: Sam Ortiz <sam@x.com>\n\nStaff: 21"
    assert figures(forwarded) == {"employees": 21}  # a forward with nothing above it: its figures are the facts


# --- a figure after "now" and an estimate's words replaces the earlier year's -------------------------------------
def test_now_then_an_estimate_replaces_the_past_figure():
    assert figures("receipts were 6M back in 2018, now roughly 4.2M") == {"annual_revenue": 4_200_000}


def test_a_price_paid_for_the_business_is_no_revenue():
    assert "annual_revenue" not in figures("dog groomer, 4 staff. The buyer paid $450k for the shop in 2021.")


# --- a year in brackets after an amount is the year it is for, never the amount again -----------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gross receipts: $4.4M (2024)", {"annual_revenue": 4_400_000}),
        ("Gross receipts: $4.4M (2024) / $3.9M (2023)", {"annual_revenue": 4_400_000}),
        ("Gross receipts: $3.9M (2023) / $4.4M (2024)", {"annual_revenue": 4_400_000}),
    ],
)
def test_a_year_in_brackets_is_no_figure(text, expected):
    assert figures(text) == expected


# --- kinds of vehicle on form lines of their own are one fleet --------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Equipment\nDump trucks: 7\nTrailers: 9\nPickups: 4", 11),  # trailers count none
        ("Dump trucks: 7\nDrivers: 9\nPickups: 4", 11),  # another line between, same block
        ("Autos: 15\nDump trucks: 7\nPickups: 4", 15),  # the whole said first stands
        ("Dump trucks: 7\nTrailers: 9", 7),
        ("Qty | Kind\n7 | dump trucks\n9 | trailers\n4 | pickups", 11),  # the count first, then its kind
    ],
)
def test_kinds_of_vehicle_on_their_own_lines_are_summed(text, expected):
    assert figures(text)["vehicles"] == expected
