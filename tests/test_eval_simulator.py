"""The scripted underwriter: reads plain-English questions, reveals at most two facts a turn, "I don't know" otherwise."""

from __future__ import annotations

import re

import pytest

from evals.simulator import MAX_FACTS_PER_TURN, NaturalUnderwriter, ScriptedUnderwriter, facts_asked, parse_user_spec
from evals.tasks import parse_task

APPLICANT = {
    "company_name": "Lone Star Freight",
    "description": "Refrigerated trucking between Texas and the Midwest.",
    "state": "TX",
    "lob": "commercial auto",
    "annual_revenue": 4500000,
    "employees": 32,
    "annual_payroll": None,
    "vehicles": 18,
    "construction": "Wood frame",
    "naics": None,
}


@pytest.fixture
def user():
    return ScriptedUnderwriter(
        parse_task(
            {
                "id": "t",
                "task_type": "appetite",
                "applicant": APPLICANT,
                "opening": "Can we write auto for them?",
                "expected": {"appetite": "yes"},
            }
        )
    )


@pytest.mark.parametrize(
    "question, fact",
    [
        ("What is the applicant's annual revenue?", "annual_revenue"),
        ("What were their gross sales last year?", "annual_revenue"),
        ("Do you know their annual receipts?", "annual_revenue"),
        ("What's the turnover?", "annual_revenue"),
        ("How many employees does the applicant have?", "employees"),
        ("How big is the staff?", "employees"),
        ("What's their headcount?", "employees"),
        ("How many people work there?", "employees"),
        ("What is the total annual payroll?", "annual_payroll"),
        ("What do they pay in wages?", "annual_payroll"),
        ("How many vehicles do they run?", "vehicles"),
        ("How large is the fleet?", "vehicles"),
        ("How many trucks do they have?", "vehicles"),
        ("Do they own any cars?", "vehicles"),
        ("What is the building's construction?", "construction"),
        ("How was the building built?", "construction"),
        ("Is the building wood frame, masonry or steel?", "construction"),
        ("Which state are they in?", "state"),
        ("Where is the business located?", "state"),
        ("Could you describe the business?", "description"),
        ("What does the company do?", "description"),
        ("What are their operations?", "description"),
        ("Do you have a NAICS code for them?", "naics"),
        ("Which line of business do they want?", "lob"),
        ("What coverage are they looking for?", "lob"),
        ("Which LOB is this for?", "lob"),
        ("What's the company name?", "company_name"),
        ("What is the name of the business?", "company_name"),
    ],
)
def test_understands_plain_english_questions(question, fact):
    assert facts_asked(question) == [fact]


def test_line_names_do_not_count_as_facts():
    # "workers' comp" is a line, not the staff; "commercial auto" is a line, not the vehicles
    assert facts_asked("Is this for workers' comp or commercial auto?") == []


def test_answers_in_plain_sentences_with_the_facts(user):
    assert "4,500,000" in user.reply("What is their annual revenue?")
    assert "32" in user.reply("How many employees?")
    assert "18" in user.reply("How many trucks in the fleet?")
    assert "wood frame" in user.reply("What's the building's construction?").lower()
    assert "Texas" in user.reply("Which state is it in?")  # codes become names, as a person says them
    assert "Refrigerated trucking" in user.reply("What does the company do?")
    assert "commercial auto" in user.reply("Which line do they want?")
    assert "Lone Star Freight" in user.reply("What's the company name?")


def test_unknown_facts_and_unreadable_questions_get_i_dont_know(user):
    assert "don't know" in user.reply("What is the total payroll?").lower()  # null payroll
    assert "don't know" in user.reply("Do you have a NAICS code?").lower()  # null naics
    assert user.reply("Is the weather nice today?") == "I don't know."
    assert user.reply("") == "I don't know."
    assert "4,500,000" not in user.reply("Thanks, noted.")


def test_at_most_two_facts_per_turn_in_the_order_asked(user):
    reply = user.reply("What's the turnover, the headcount, the payroll and the number of cars?")
    assert "4,500,000" in reply and "32" in reply
    assert "18" not in reply and "payroll" not in reply.lower()
    assert len(facts_asked("What's the turnover, the headcount, the payroll and the number of cars?")) == 4
    two = user.reply("How many employees do they have, and what are the annual sales?")
    assert two.index("32") < two.index("4,500,000")
    assert MAX_FACTS_PER_TURN == 2


def test_only_questions_are_read_not_the_surrounding_statements(user):
    text = (
        "I found Lone Star Freight in Texas with $4.5M revenue and 32 employees. What is the building's construction?"
    )
    reply = user.reply(text)
    assert "wood frame" in reply.lower()
    assert not re.search(r"4,500,000|32 employees|Texas", reply)


def test_is_deterministic(user):
    q = "Which state, and how many vehicles?"
    assert user.reply(q) == user.reply(q) == ScriptedUnderwriter(user.task).reply(q)


def test_user_spec():
    assert parse_user_spec("scripted") == ("scripted", None)
    assert parse_user_spec("llm:openai/gpt-4.1-mini") == ("llm", "openai/gpt-4.1-mini")
    for bad in ("llm:", "robot", ""):
        with pytest.raises(ValueError):
            parse_user_spec(bad)


# --- the natural style ------------------------------------------------------------------------------------


def _natural(task_id: str = "t", **applicant):
    return NaturalUnderwriter(
        parse_task(
            {
                "id": task_id,
                "task_type": "appetite",
                "applicant": {**APPLICANT, **applicant},
                "opening": "comm auto ok?",
                "expected": {"appetite": "yes"},
            }
        )
    )


def test_natural_style_uses_shorthand_and_says_unknowns_in_words():
    replies = {_natural(f"t{i}").reply("What is the applicant's annual revenue?") for i in range(12)}
    assert len(replies) > 1  # varied phrasings, chosen per task
    assert all(re.search(r"4\.5|4,500,000", r) for r in replies)
    unknown = _natural("u").reply("What is their total annual payroll?")
    assert "payroll" in unknown.lower() and not re.search(r"\d", unknown)


def test_natural_style_is_seeded_by_the_task():
    q = "How many vehicles does the business have?"
    assert _natural("same").reply(q) == _natural("same").reply(q)


def test_natural_style_picks_its_code_from_a_list_of_candidates():
    user = _natural(naics="484121")
    question = "Which NAICS code fits best: 484110 General Freight Trucking, Local; 484121 General Freight Trucking?"
    assert user.reply(question) == "the 484121 one"
    assert _natural(naics="722511").reply(question) == "none of those"


def test_natural_style_sometimes_volunteers_a_second_fact():
    volunteered = 0
    for i in range(30):
        user = _natural(f"v{i}")
        reply = user.reply("What is the building's construction?")
        volunteered += len(user.revealed) > 1
        assert "wood frame" in reply.lower()
    assert 0 < volunteered < 30


def test_natural_user_spec():
    assert parse_user_spec("natural") == ("natural", None)
