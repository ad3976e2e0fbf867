"""Kinds of writing the reader misread (round 13, tune set b), one test per kind, each message written for these
tests: a correction whose number carries its own noun, the count of a practice's licensed people taken for its
headcount, and an agency's gross billings taken for its revenue."""

from __future__ import annotations

import pytest

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
