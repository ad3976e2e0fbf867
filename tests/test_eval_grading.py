"""Grading: findings compared deterministically; the text parser reads determinations from plain answers."""

from __future__ import annotations

import pytest

from evals.grading import amounts, grade, parse_answer
from evals.tasks import parse_task


def task(task_type, expected):
    return parse_task({"id": "t", "task_type": task_type, "applicant": {}, "opening": "?", "expected": expected})


@pytest.mark.parametrize(
    "text, verdict",
    [
        ("Yes — Acme is in appetite for commercial auto [appetite-guide].", "yes"),
        ("We can write general liability for them.", "yes"),
        ("No — 21 vehicles is over the limit of 20 for auto [auto-qualified].", "no"),
        ("This one is out of appetite: wood frame is Type V.", "no"),
        ("We decline property for this bed-and-breakfast.", "no"),
        ("It's not in appetite for workers compensation in Ohio.", "no"),
        ("Qualified — it depends on the payroll, which you don't know.", "qualified"),
        ("Auto is Qualified here: decided by the number of vehicles.", "qualified"),
    ],
)
def test_appetite_text(text, verdict):
    assert parse_answer("appetite", text) == {"appetite": verdict}


@pytest.mark.parametrize(
    "text, small",
    [
        ("Yes, $4.5M is at or below the SBA standard of $34.0M: small.", True),
        ("Acme is a small business under the SBA standard.", True),
        ("No — 1,200 employees exceeds the standard of 500: not small.", False),
        ("The company is not a small business.", False),
        ("They do not qualify as a small business.", False),
    ],
)
def test_small_business_text(text, small):
    assert parse_answer("small_business", text) == {"small_business": small}


@pytest.mark.parametrize(
    "text, limits",
    [
        (
            "You should offer a per-incident policy limit of $3.0 million and an aggregate limit of $5.0 million.",
            (3_000_000, 5_000_000),
        ),
        ("Offer $1M per occurrence / $2M aggregate [limits-standard].", (1_000_000, 2_000_000)),
        ("Limits: $5,000,000 aggregate, $3,000,000 each occurrence.", (3_000_000, 5_000_000)),
    ],
)
def test_limits_text(text, limits):
    assert parse_answer("policy_limits", text) == {"per_occurrence": limits[0], "aggregate": limits[1]}


@pytest.mark.parametrize(
    "text, amount",
    [
        ("You should offer a $5000.0 deductible.", 5000),
        ("The deductible is $1,000 for auto [deductibles].", 1000),
        ("For revenue of $4.5M the deductible would be $500.", 500),
    ],
)
def test_deductible_text(text, amount):
    assert parse_answer("deductible", text) == {"deductible": amount}


def test_naics_and_nothing_readable():
    assert parse_answer("classification", "The NAICS code for this company is 484230.") == {"naics": "484230"}
    assert parse_answer("classification", "Best fit: 722511 (Full-Service Restaurants).") == {"naics": "722511"}
    assert parse_answer("classification", "I need more detail about what they do.") is None
    assert parse_answer("appetite", "What is the building's construction") is None
    assert parse_answer("deductible", "") is None
    assert amounts("$3.0 million and $500 and $2.5M and $10k") == [
        (3_000_000, 0, 12),
        (500, 17, 21),
        (2_500_000, 26, 31),
        (10_000, 36, 40),
    ]


def test_recommendation_text_uses_the_catalog(catalog):
    assert parse_answer("product_recommendation", "No other LOBs are in appetite for this company.", catalog) == {
        "lobs": []
    }
    got = parse_answer(
        "product_recommendation",
        "Other LOBs in appetite: general liability, workers compensation and property.",
        catalog,
    )
    assert got == {"lobs": ["general_liability", "property", "workers_compensation"]}
    got = parse_answer(
        "product_recommendation", "We could also offer cyber and a BOP. We do not write auto for them.", catalog
    )
    assert got == {"lobs": ["bop", "cyber"]}


def test_finding_is_graded_before_text(catalog):
    t = task("product_recommendation", {"lobs": ["General Liability", "property"]})
    g = grade(
        t, {"task_type": "product_recommendation", "lobs": ["property", "general_liability"]}, "whatever", catalog
    )
    assert g.correct and g.source == "finding"  # sets, in catalog codes
    g = grade(
        t, {"task_type": "product_recommendation", "lobs": ["property"]}, "general liability and property", catalog
    )
    assert not g.correct and g.source == "finding"  # the finding wins over the text
    g = grade(t, {"task_type": "appetite", "appetite": "yes"}, "", catalog)
    assert not g.correct and g.predicted["task_type"] == "appetite"  # a finding of the wrong task type


def test_text_grading_and_exact_comparisons():
    assert grade(task("classification", {"naics": "484230"}), None, "NAICS 484230 fits.").correct
    assert not grade(task("classification", {"naics": "484230"}), None, "NAICS 484220 fits.").correct
    assert grade(
        task("policy_limits", {"per_occurrence": 1000000, "aggregate": 2000000}),
        {"task_type": "policy_limits", "per_occurrence": 1000000, "aggregate": 2000000},
        "",
    ).correct
    assert not grade(
        task("deductible", {"deductible": 500}), {"task_type": "deductible", "deductible": 1000}, ""
    ).correct
    g = grade(task("appetite", {"appetite": "no"}), None, "Let me check.")
    assert (g.correct, g.predicted, g.source) == (False, None, "none")


def test_optional_judge_is_asked_only_when_the_parser_reads_nothing():
    asked = []

    def judge(task_type, text):
        asked.append(text)
        return {"appetite": "no"}

    t = task("appetite", {"appetite": "no"})
    assert grade(t, None, "No — declined.", judge=judge).source == "text" and not asked
    g = grade(t, None, "Let me check.", judge=judge)
    assert g.correct and g.source == "judge" and asked == ["Let me check."]
