"""Kinds of writing the reader and the offline model had read wrong (round 12, tune set a), one test per kind, each
message written for these tests: a scale word the tagger left outside a figure, a total said after the people it
counts, a sender's signature, a city's short name right after the trade, the trade a code question asks of, the line
the client already has with us, and a follow-up naming a line with the figures for it."""

from __future__ import annotations

import re

import pytest

from graph.offline.facts import parse
from graph.offline.names import company_name
from graph.reader.read import read
from retrieval.normalise import sign_off_at
from tests.test_offline_model import chat, cp  # noqa: F401  (cp: a fixture)


def figures(text: str, asked: str | None = None) -> dict:
    return {k: v.value for k, v in read(text, None, asked).facts.items() if k in ("employees", "vehicles",
            "annual_revenue", "annual_payroll")}  # fmt: skip


# --- a figure with its scale word apart: "14 hundred k" is 1.4M, never 1,400 -------------------------------------
@pytest.mark.parametrize(
    ("text", "asked", "expected"),
    [
        ("turnover near 14 hundred k", None, {"annual_revenue": 1_400_000}),
        ("maybe 6 hundred k", "annual_revenue", {"annual_revenue": 600_000}),
        ("wages about 7 hundred thousand, 15 on staff", None, {"annual_payroll": 700_000, "employees": 15}),
        ("gross sales 640 k", None, {"annual_revenue": 640_000}),  # a spaced unit ending the text: read, no failure
    ],
)
def test_a_scale_word_after_the_figure_is_part_of_it(text, asked, expected):
    assert figures(text, asked) == expected


# --- a total said right after the people or vehicles it counts -------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ski rental shop, mostly temps, 22 total", {"employees": 22}),
        ("a few full timers plus part timers - 31 total", {"employees": 31}),
        ("florist with vans and box trucks, 7 total", {"vehicles": 7}),
    ],
)
def test_a_total_after_the_people_or_vehicles_it_counts_is_their_count(text, expected):
    assert figures(text) == expected


def test_a_total_after_a_count_still_replaces_the_count():
    assert figures("3 cooks, 2 servers, 9 total") == {"employees": 9}


# --- the sender's signature under a closing word is never the applicant --------------------------------------------
def test_the_name_under_a_closing_word_is_the_sender_not_the_applicant():
    mail = "Subject: new one\n\nDog grooming salon in Boise ID, revenue 400k.\nGL ok?\nCheers\nMarta, Sagebrush Agency"
    assert sign_off_at(mail) == mail.index("Cheers")
    assert company_name(mail) is None
    assert sign_off_at("thanks, is Sagebrush Dental in appetite?") is None  # one line: a chat message, no signature
    assert company_name("Subject: quote\n\nIs Juniper Ridge Dental LLC in appetite for GL?\nthanks") == (
        "Juniper Ridge Dental LLC"
    )


# --- a city's short name right after the trade -------------------------------------------------------------------
def test_a_citys_short_name_after_the_trade_is_where_and_the_trade_what(catalog):
    p = parse("roofer jax, 3 trucks, auto?", catalog, None)
    assert p.facts.get("state") == "FL" and p.facts.get("description") == "roofer"
    assert p.facts.get("vehicles") == 3


# --- the trade a code question asks of ---------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["code for a locksmith?", "naics for an upholsterer? mostly boats"])
def test_a_code_question_for_a_trade_gives_the_trade(catalog, text):
    p = parse(text, catalog, None)
    assert p.task == "classification" and p.facts.get("description") in ("locksmith", "upholsterer")


# --- the line the client already has with us ---------------------------------------------------------------------
def test_a_line_said_to_be_with_us_is_the_line_they_have(catalog):
    p = parse("Property is placed with you on a tile store in Omaha NE. Anything else we could write?", catalog, None)
    assert p.facts.get("lob") == "property"
    assert parse("the property is brick, GL?", catalog, None).facts.get("lob") == "general_liability"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("we have the GL on a little shoe store in tulsa, what else could we write for them", "general_liability"),
        (
            "we have the GL on a pizza place in Tulsa OK, NAICS 722511, what else could we offer them",
            "general_liability",
        ),
    ],
)
def test_the_line_they_have_beside_a_question_without_a_mark_is_no_appetite_question(cp, text, line):  # noqa: F811
    turns = chat(cp, text)
    if turns[-1].finding is None and (codes := re.findall(r"\b\d{6}\b", turns[-1].answer)):
        turns = chat(cp, text, codes[0])  # the codes offered: the first picked
    assert not [f for t in turns for f in t.findings if f["task_type"] == "appetite"]
    steps = [s for t in turns for s in t.steps if s["tool"] == "recommend_lobs"]
    assert steps and {s["arguments"].get("exclude_lob") for s in steps} == {line}


# --- a follow-up naming a line with its figures, after a question about no line ------------------------------------
@pytest.mark.parametrize(
    ("follow_up", "line"),
    [("and property - brick bldg", "property"), ("ok and auto w/ 4 vans", "auto")],
)
def test_a_line_with_its_figures_after_a_size_question_asks_appetite_for_it(cp, follow_up, line):  # noqa: F811
    _, r = chat(cp, "NAICS 541940 in Oregon, revenue 3.1M: are they small?", follow_up)
    assert [(f["task_type"], f["facts"]["lob"]) for f in r.findings] == [("appetite", line)]
