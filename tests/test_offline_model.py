"""The offline rules model end to end: the real graph (Copilot -> agent -> guarded tools -> answer guard) over the
session's seeded data, driven the way an underwriter types. Expected values are worked out by hand from the
guidelines (guidelines/*.md); assertions are on structure (tools, arguments, finding fields), not on wording."""

from __future__ import annotations

import json
import sqlite3

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from core.settings import get_settings
from graph import prompts
from graph.copilot import Copilot
from graph.offline import OfflineRulesModel
from graph.offline.facts import QUESTIONS, parse


@pytest.fixture
def cp(seeded, toolkit):
    copilot = Copilot(get_settings(data_dir=seeded["dir"]), toolkit=toolkit)
    yield copilot
    copilot.close()


def chat(cp, *texts):
    """One new thread; every message sent in turn; the TurnResults, each checked for the model's invariants."""
    tid = cp.new_thread().id
    results = [cp.send(tid, t) for t in texts]
    for r in results:
        _check_turn(r)
    return results


def _check_turn(r) -> None:
    calls = [(s["tool"], repr(sorted(s["arguments"].items()))) for s in r.steps]
    assert len(calls) == len(set(calls)), f"a tool was called twice with the same arguments: {calls}"
    assert r.answer and r.error is None
    assert not r.notices, f"the answer guard had to intervene: {r.notices}"
    if r.finding is not None:
        assert r.steps[-1]["tool"] == "record_finding" and r.steps[-1]["ok"]
        assert r.finding["citations"] and all(f"[{c}]" in r.answer for c in r.finding["citations"])


def args(r, tool: str) -> list[dict]:
    return [s["arguments"] for s in r.steps if s["tool"] == tool]


def is_question(r, fact: str) -> bool:
    return r.finding is None and r.answer.endswith(QUESTIONS[fact])


# --- the six tasks --------------------------------------------------------------------------------------


def test_deductible_auto_for_long_haul_trucker_is_5000(cp):
    (r,) = chat(cp, "What deductible would we offer for commercial auto on NAICS 484121?")
    assert args(r, "get_deductible") == [{"naics": "484121", "lob": "auto"}]
    assert r.finding["task_type"] == "deductible" and r.finding["deductible"] == 5000
    assert r.finding["citations"] == ["deductibles-auto-transport"]
    assert "$5,000" in r.answer


def test_limits_vague_opening_then_one_fact_per_answer(cp):
    """Cyber for a commercial bank (prefix 52): $3M per occurrence / $5M aggregate [limits-cyber-high-exposure]."""
    first, second, third = chat(
        cp, "What should I quote for limits on this one?", "It's a commercial bank, NAICS 522110.", "Cyber."
    )
    assert first.steps == [] and is_question(first, "description")  # what it does, not a code, comes first
    assert second.steps == [] and is_question(second, "lob")  # the code was given: no classification needed
    assert args(third, "get_limits") == [{"naics": "522110", "lob": "cyber"}]
    assert (third.finding["per_occurrence"], third.finding["aggregate"]) == (3_000_000, 5_000_000)
    assert third.finding["task_type"] == "policy_limits" and "limits-cyber-high-exposure" in third.finding["citations"]


def test_appetite_bed_and_breakfast_in_maine_wood_frame_property_is_no(cp):
    """721191 property is Qualified under the hospitality construction rule: Type I or II only; wood frame is V."""
    turns = chat(
        cp,
        "Is this one in appetite for us?",
        "They run a six-room bed-and-breakfast inn in an old Victorian house.",
        "the 721191 one",
        "Maine",
        "property",
        "About $900k.",
        "wood frame, two stories",
    )
    opening, described, picked, state, lob, revenue, construction = turns
    assert is_question(opening, "description") and opening.steps == []
    assert args(described, "classify_business") and "721191" in described.answer and described.finding is None
    assert picked.steps == [] and is_question(picked, "state")
    assert is_question(state, "lob")
    assert args(lob, "check_appetite") == [{"naics": "721191", "state": "ME", "lob": "property"}]
    assert is_question(lob, "annual_revenue")  # the small-business test comes first
    assert args(revenue, "check_appetite")[0]["annual_revenue"] == 900_000 and is_question(revenue, "construction")
    final = args(construction, "check_appetite")[0]
    assert final == {
        "naics": "721191",
        "state": "ME",
        "lob": "property",
        "annual_revenue": 900_000,
        "construction": "wood frame",
    }
    f = construction.finding
    assert f["task_type"] == "appetite" and f["appetite"] == "no"
    assert "property-hospitality-construction" in f["citations"]
    assert f["facts"]["naics"] == "721191" and f["facts"]["state"] == "ME"
    assert construction.answer.startswith("No")


def test_appetite_trucker_with_21_vehicles_is_declined(cp):
    """Auto is Qualified for transportation; more than 20 vehicles declines it [auto-qualified]."""
    (r,) = chat(cp, "Is NAICS 484121 in Texas in appetite for commercial auto? They have 21 trucks and revenue of $8M.")
    assert args(r, "check_appetite") == [
        {"naics": "484121", "state": "TX", "lob": "auto", "annual_revenue": 8_000_000, "vehicles": 21}
    ]
    assert r.finding["appetite"] == "no" and "auto-qualified" in r.finding["citations"]


def test_appetite_restaurant_in_ohio_workers_comp_is_declined(cp):
    """Ohio is a monopolistic workers compensation state: No, whatever the size [monopolistic-states]."""
    opening, unsure, r = chat(
        cp, "Can we write workers' comp for a table service restaurant in Ohio?", "I don't know.", "no idea"
    )
    assert args(opening, "classify_business") and opening.finding is None  # the candidates to pick from
    assert unsure.steps == [] and is_question(unsure, "naics")  # none picked: the code, once
    assert args(r, "check_appetite") == [{"naics": "722511", "state": "OH", "lob": "workers_compensation"}]
    assert r.finding["appetite"] == "no" and "monopolistic-states" in r.finding["citations"]
    assert "Assuming NAICS 722511" in r.answer  # it says what it assumed


def test_appetite_yes_with_every_check_cited(cp):
    """Roofing contractor (238160, $19M standard) in Florida, WC Qualified on payroll ($1.1M <= $5M): Yes."""
    turns = chat(
        cp,
        "Is this one a good fit for workers comp?",
        "Roofing contractor",
        "238160",
        "Florida",
        "$2.5 million",
        "payroll is around 1.1 million",
    )
    assert is_question(turns[4], "annual_payroll")
    last = turns[-1]
    assert args(last, "check_appetite") == [
        {
            "naics": "238160",
            "state": "FL",
            "lob": "workers_compensation",
            "annual_revenue": 2_500_000,
            "annual_payroll": 1_100_000,
        }
    ]
    assert last.finding["appetite"] == "yes"
    assert {"small-business-rule", "workers-compensation-qualified"} <= set(last.finding["citations"])


def test_i_dont_know_gives_qualified_and_is_not_asked_again(cp):
    opening, revenue, unknown = chat(
        cp, "Can we write commercial auto for NAICS 484121 in Texas?", "Annual revenue is about $4.5M.", "I don't know."
    )
    assert is_question(opening, "annual_revenue")
    assert is_question(revenue, "vehicles")
    assert args(unknown, "check_appetite") == [
        {"naics": "484121", "state": "TX", "lob": "auto", "annual_revenue": 4_500_000}
    ]
    assert unknown.finding["appetite"] == "qualified" and "auto-qualified" in unknown.finding["citations"]
    assert unknown.finding["facts"]["unknown"] == ["vehicles"]
    assert QUESTIONS["vehicles"] not in unknown.answer


def test_a_question_left_unanswered_twice_counts_as_unknown(cp):
    opening, first, second = chat(cp, "Can we write GL for NAICS 541511?", "uh", "hmm")
    assert is_question(opening, "state") and is_question(first, "state")
    assert second.finding is None and QUESTIONS["state"] not in second.answer and second.steps == []


def test_small_business_bucket_with_bare_answers(cp):
    """722511 has an $11.5M receipts standard: $4.5M is small."""
    opening, described, picked, revenue = chat(
        cp,
        "Can you check if this one is in the small business bucket?",
        "A sit-down restaurant with waiters.",
        "the first one",
        "4.5M",
    )
    assert is_question(opening, "description")
    assert args(described, "classify_business") and described.answer.index("722511") < described.answer.index(";")
    assert args(picked, "check_small_business") == [{"naics": "722511"}] and is_question(picked, "annual_revenue")
    assert args(revenue, "check_small_business") == [{"naics": "722511", "annual_revenue": 4_500_000}]
    assert revenue.finding["task_type"] == "small_business" and revenue.finding["small_business"] is True
    assert revenue.finding["citations"][:2] == ["small-business-rule", "size-standards"]


def test_small_business_employee_standard_asks_for_employees(cp):
    """311919 is measured by employees (1,250): 32 is small; 1,251 is not."""
    opening, answer = chat(cp, "Does NAICS 311919 count as small?", "32")
    assert is_question(opening, "employees")
    assert args(answer, "check_small_business") == [{"naics": "311919", "employees": 32}]
    assert answer.finding["small_business"] is True
    (big,) = chat(cp, "Is NAICS 311919 a small business? They have 1,251 employees.")
    assert big.finding["small_business"] is False and big.answer.startswith("Not a small business")


def test_small_business_unknown_figure_records_nothing(cp):
    opening, unknown = chat(cp, "Does NAICS 722511 count as small?", "not sure")
    assert is_question(opening, "annual_revenue")
    assert unknown.finding is None and "cannot be determined" in unknown.answer


def test_recommendations_exclude_the_requested_line(cp):
    """722511 in Texas, small ($2M): property Qualified (masonry = Type III, accepted), BOP Qualified ($2M <= $5M),
    GL, auto and cyber Yes; workers compensation is the line already requested."""
    opening, r = chat(
        cp,
        "What else could we offer a table service restaurant in Texas besides workers comp? "
        "Revenue $2M, 20 employees, payroll of $600k, masonry building.",
        "I don't know.",
        "not on the app",
    )[0::2]
    assert args(opening, "classify_business")  # no code: the description in the question is classified
    (call,) = args(r, "recommend_lobs")
    assert call["naics"] == "722511" and call["state"] == "TX" and call["exclude_lob"] == "workers_compensation"
    assert (call["annual_revenue"], call["employees"], call["annual_payroll"], call["construction"]) == (
        2_000_000,
        20,
        600_000,
        "masonry",
    )
    assert r.finding["task_type"] == "product_recommendation"
    assert r.finding["lobs"] == ["auto", "bop", "cyber", "general_liability", "property"]
    assert "product-recommendations" in r.finding["citations"]


def test_recommendations_in_a_monopolistic_state_never_list_workers_comp(cp):
    (r,) = chat(
        cp,
        "Which other lines can we offer NAICS 541511 in Ohio besides GL? Revenue is $5M, 20 employees, "
        "payroll of $2M, 2 vehicles, steel frame building.",
    )
    assert args(r, "recommend_lobs")[0]["exclude_lob"] == "general_liability"
    assert r.finding["lobs"] == ["auto", "bop", "cyber", "property"]


def test_classification_from_a_description(cp):
    offered, r = chat(cp, "What NAICS code fits a sit-down restaurant with waiters?", "722511")
    (call,) = args(offered, "classify_business")
    assert "restaurant" in call["description"] and offered.finding is None  # a fragment: the candidates first
    assert r.finding["task_type"] == "classification" and r.finding["naics"] == "722511"
    assert r.finding["citations"] == ["classification-naics"]


@pytest.mark.parametrize(
    ("question", "trade"),
    [
        ("which naics is a dog groomer?", "dog groomer"),
        ("naics for a florist pls", "florist"),
        ("code for tattoo parlor?", "tattoo parlor"),
    ],
)
def test_a_code_asked_for_a_trade_named_in_the_question_classifies_that_trade(cp, question, trade):
    (r,) = chat(cp, question)
    assert [c["description"] for c in args(r, "classify_business")] == [trade]  # never "What does the business do?"


def test_classification_of_an_older_code(cp):
    (r,) = chat(cp, "What is the 2022 code for 2017 NAICS 511210?")
    assert args(r, "get_naics") == [{"code": "511210"}]
    assert r.finding["naics"] == "513210"


# --- applicants, scope, products we do not write -------------------------------------------------------


def test_applicant_found_by_name_uses_the_record(cp, seeded):
    with sqlite3.connect(seeded["db"]) as db:
        row = db.execute(
            "SELECT id, company_name, naics_code, state FROM applicant a WHERE state IN ('OH','ND','WA','WY') "
            "AND requested_lob = 'workers_compensation' "
            "AND (SELECT COUNT(*) FROM applicant b WHERE lower(b.company_name) LIKE '%' || lower(a.company_name) || '%') = 1 "
            "ORDER BY id LIMIT 1"
        ).fetchone()
    app_id, name, naics, state = row
    first, follow_up = chat(cp, f"Can you check if {name} is in appetite for us?", "What deductible would they get?")
    assert args(first, "find_applicant") == [{"name_or_id": name}]
    (check,) = args(first, "check_appetite")
    assert (check["naics"], check["state"], check["lob"]) == (naics, state, "workers_compensation")
    assert first.finding["appetite"] == "no" and "monopolistic-states" in first.finding["citations"]
    assert first.finding["facts"]["applicant_id"] == app_id and app_id in first.answer
    # the next question reuses the record: no second lookup
    assert args(follow_up, "find_applicant") == []
    assert args(follow_up, "get_deductible") == [{"naics": naics, "lob": "workers_compensation"}]
    assert follow_up.finding["deductible"] == 500


def test_unknown_company_falls_back_to_asking_for_the_code_then_what_it_does(cp):
    first, second, third = chat(
        cp,
        "Is Zyzzyva Quantum Widgets Corp in appetite for property?",
        "No idea.",
        "They run a bed and breakfast in Maine",
    )
    (lookup,) = first.steps
    assert lookup["tool"] == "find_applicant" and lookup["ok"] and lookup["result"]["applicant"] is None
    assert is_question(first, "description")
    assert second.steps == [] and is_question(second, "naics")
    assert args(third, "classify_business") and "721191" in third.answer


def test_a_greeting_gets_the_help_text(cp, toolkit):
    catalog = toolkit.ctx.catalog
    expected = prompts.OFFLINE_HELP.format(insurer=catalog.insurer, lobs=", ".join(catalog.lobs.values()))
    (r,) = chat(cp, "Hi there!")
    assert r.answer == expected and r.steps == [] and r.finding is None


def test_umbrella_is_declined_and_the_question_carries_on(cp):
    first, second, third = chat(
        cp,
        "Can we write an umbrella policy for a full-service restaurant in Texas?",
        "General liability then.",
        "the first one",
    )
    assert "products-not-written" in first.answer and "do not write" in first.answer
    assert first.finding is None and first.answer.endswith("?") and first.steps == []
    assert args(second, "classify_business") and second.finding is None
    assert all("umbrella" not in str(s["arguments"]).lower() for r in (first, second, third) for s in r.steps)
    assert args(third, "check_appetite")[0]["lob"] == "general_liability"


def test_umbrella_alongside_a_line_we_write(cp):
    (r,) = chat(cp, "Do we write umbrella and GL for NAICS 541511 in Texas? Revenue is $3M.")
    assert "products-not-written" in r.answer
    assert args(r, "check_appetite") == [
        {"naics": "541511", "state": "TX", "lob": "general_liability", "annual_revenue": 3_000_000}
    ]
    assert r.finding["appetite"] == "yes"


# --- openings that used to get the help text, vague words, the NAICS question, the requested line ----------


@pytest.mark.parametrize(
    "opening, task",
    [
        ("Are we OK on property?", "appetite"),
        ("Is this one a go for the property line?", "appetite"),
        ("Is it a fit for cyber?", "appetite"),
        ("Bastion Guard Group, GL. In or out?", "appetite"),
        ("Is Brightpath Systems small for us?", "small_business"),
        ("Meridian Retail Properties, size check please.", "small_business"),
        ("Size check on this biotech research lab please.", "small_business"),
    ],
)
def test_openings_are_recognised_and_answered_with_a_question(cp, opening, task):
    (r,) = chat(cp, opening)
    assert r.answer != prompts.OFFLINE_HELP.format(
        insurer=cp.toolkit.ctx.catalog.insurer, lobs=", ".join(cp.toolkit.ctx.catalog.lobs.values())
    )
    assert r.finding is None and "?" in r.answer
    # (a name that says the trade, "Bastion Guard Group", has its codes offered after the lookup finds nothing)
    assert [s["tool"] for s in r.steps] in (
        [],
        ["find_applicant"],
        ["classify_business"],
        ["find_applicant", "classify_business"],
    )
    assert parse(opening, cp.toolkit.ctx.catalog).task == task


# (a trade named in one word, "quarry", "barbershop", is a description since issue 23; "carrier" and "farm" say too little)
@pytest.mark.parametrize("opening", ["Is this carrier small?", "What else can we write for this farm?"])
def test_a_lone_noun_in_the_opening_is_not_classified(cp, opening):
    first, second = chat(cp, opening, "I don't know.")
    assert first.steps == [] and is_question(first, "description")
    assert second.steps == [] and is_question(second, "naics")


def test_classification_of_a_vague_noun_asks_what_the_business_does(cp):
    first, second = chat(
        cp, "Can you classify this contractor?", "They install ceramic tile and terrazzo floors in new homes."
    )
    assert first.steps == [] and is_question(first, "description")
    assert args(second, "classify_business") and second.finding["naics"] == "238340"


def test_a_code_given_instead_of_a_description_is_used_without_classifying(cp):
    first, second, third = chat(
        cp, "What deductible should we offer?", "The NAICS code is 485310.", "They want commercial auto."
    )
    assert first.steps == [] and is_question(first, "description")
    assert second.steps == [] and is_question(second, "lob")
    assert args(third, "classify_business") == [] and args(third, "get_deductible") == [
        {"naics": "485310", "lob": "auto"}
    ]
    assert third.finding["deductible"] == 5000


def test_a_description_is_classified_and_the_candidate_picked(cp):
    turns = chat(cp, "Need a deductible for this account.", "They run a taxi and ridesharing company.", "1", "auto")
    opening, described, picked, lob = turns
    assert is_question(opening, "description") and opening.steps == []
    assert args(described, "classify_business") and described.answer.startswith("Which NAICS code fits")
    assert is_question(picked, "lob")
    assert QUESTIONS["naics"] not in " ".join(r.answer for r in turns)  # never needed the code itself
    assert lob.finding["deductible"] == 5000


def test_recommendations_ask_for_the_line_applied_for_and_leave_it_out(cp):
    turns = chat(
        cp,
        "What else can we sell them?",
        "The NAICS code is 541511.",
        "It's in Texas.",
        "They want general liability.",
        "Annual revenue is $5,000,000.",
    )
    opening, code, state, lob, revenue = turns
    assert is_question(opening, "description") and is_question(code, "state")
    assert state.finding is None and state.answer.endswith("Which line of business did they apply for?")
    calls = [c for r in turns for c in args(r, "recommend_lobs")]
    assert calls and all(c["exclude_lob"] == "general_liability" for c in calls)
    assert revenue.finding is not None and "general_liability" not in revenue.finding["lobs"]


def test_recommendations_when_the_line_applied_for_is_unknown_leave_nothing_out(cp):
    turns = chat(cp, "What else can we sell them?", "The NAICS code is 541511.", "It's in Texas.", "I don't know.")
    calls = args(turns[-1], "recommend_lobs")
    assert calls and all("exclude_lob" not in c for c in calls)


def test_a_count_does_not_answer_the_revenue_question(cp):
    opening, trucks, revenue = chat(
        cp, "Is NAICS 484121 small?", "They run 21 trucks.", "Annual revenue is $30,000,000."
    )
    assert is_question(opening, "annual_revenue")
    assert trucks.finding is None and is_question(trucks, "annual_revenue")
    assert args(revenue, "check_small_business")[-1] == {"naics": "484121", "annual_revenue": 30_000_000}


def test_a_fact_given_after_a_cannot_answer_finishes_the_check(cp):
    opening, unknown, later = chat(cp, "Does NAICS 722511 count as small?", "not sure", "$4.5M")
    assert unknown.finding is None
    assert later.finding["small_business"] is True


def test_an_unknown_company_is_looked_up_once_and_found_nowhere(cp):
    r, declined = chat(cp, "What deductible for auto on Quillmarsh Harbor Ferries?", "none of those")
    lookup, named = r.steps
    assert lookup["arguments"] == {"name_or_id": "Quillmarsh Harbor Ferries"} and lookup["ok"]
    assert lookup["result"]["applicant"] is None
    # the name says the trade: its codes are offered to pick from, never assumed; turned down, we ask what it does
    assert named["tool"] == "classify_business" and "Which NAICS code" in r.answer and r.finding is None
    assert declined.steps == [] and is_question(declined, "description")


def test_a_seeded_company_named_after_on_is_found(cp):
    (r,) = chat(cp, "What deductible for auto on Wayfarer Heavy Haul?")
    assert args(r, "find_applicant") == [{"name_or_id": "Wayfarer Heavy Haul"}]
    assert r.finding["deductible"] == 5000


def test_a_product_we_do_not_write_alone_gets_the_lines_we_write_and_a_question(cp):
    (r,) = chat(cp, "Do we write EPLI?")
    assert r.steps == [] and r.finding is None and "products-not-written" in r.answer and r.answer.endswith("?")


# --- determinism and statelessness ---------------------------------------------------------------------

SCRIPT = (
    "Is this one in appetite for us?",
    "They run a six-room bed-and-breakfast inn in an old Victorian house.",
    "Maine",
    "property",
    "About $900k.",
    "wood frame, two stories",
    "What else could we offer them?",
)


def _transcript(results):
    return [
        (r.answer, [(s["tool"], s["arguments"]) for s in r.steps], r.finding and {k: v for k, v in r.finding.items()})
        for r in results
    ]


def test_the_same_script_gives_the_same_conversation(cp):
    assert _transcript(chat(cp, *SCRIPT)) == _transcript(chat(cp, *SCRIPT))


def test_a_restart_between_turns_changes_nothing(cp, seeded, toolkit):
    """Stateless: a new process (new Copilot over the same checkpoints) continues the thread identically."""
    expected = _transcript(chat(cp, *SCRIPT))
    tid = cp.new_thread().id
    results = [cp.send(tid, t) for t in SCRIPT[:3]]
    cp.close()
    again = Copilot(get_settings(data_dir=seeded["dir"]), toolkit=toolkit)
    try:
        results += [again.send(tid, t) for t in SCRIPT[3:]]
    finally:
        again.close()
    assert _transcript(results) == expected


# --- the parser on its own ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, asked, expected",
    [
        ("Annual revenue is about $4.5M.", "annual_revenue", {"annual_revenue": 4_500_000}),
        ("4.5 million", "annual_revenue", {"annual_revenue": 4_500_000}),
        (
            "revenue of 4,500,000 and staff of 32, payroll 1.2 million",
            None,
            {"annual_revenue": 4_500_000, "employees": 32, "annual_payroll": 1_200_000},
        ),
        ("Sales are 900k a year, 3 vans, 12 people", None, {"annual_revenue": 900_000, "vehicles": 3, "employees": 12}),
        ("They have 32 employees.", None, {"employees": 32}),
        ("about 25", "vehicles", {"vehicles": 25}),
        ("They run a fleet of 25 trucks", None, {"vehicles": 25}),
        ("no vehicles", None, {"vehicles": 0}),
        ("It's in Texas.", "state", {"state": "TX"}),
        ("tx", "state", {"state": "TX"}),
        ("Is this in or out of appetite? Tell me", None, {}),
        ("They're based in OR", None, {"state": "OR"}),
        ("A B&B in ME", None, {"state": "ME"}),  # a lone noun is too vague to classify: ask what they do
        ("They run a B&B in ME", None, {"state": "ME", "description": "run a B&B"}),
        ("wood frame, two stories", "construction", {"construction": "wood frame"}),
        ("The building is Type II", None, {"construction": "type ii"}),
        ("workers' comp", "lob", {"lob": "workers_compensation"}),
        ("WC please", "lob", {"lob": "workers_compensation"}),
        ("GL", "lob", {"lob": "general_liability"}),
        ("They want a BOP", None, {"lob": "bop"}),
        ("an auto repair shop", None, {"description": "auto repair shop"}),
        ("NAICS 722511", None, {"naics": "722511"}),
        # a bare number answers the asked fact only when the sentence names no other fact; money under 100 is millions
        ("They run 21 trucks.", "annual_revenue", {"vehicles": 21}),
        ("4.5", "annual_revenue", {"annual_revenue": 4_500_000}),  # as "revenue is 4.5" reads
        ("450", "annual_revenue", {}),  # thousands or millions: not read
        ("revenue is 4.5", "annual_revenue", {"annual_revenue": 4_500_000}),
        ("3 locations", "employees", {}),
        (
            "Golden Meadows Care Center is a 150-bed skilled nursing home in Billings.",
            "description",
            {"description": "Golden Meadows Care Center is a 150-bed skilled nursing home in Billings."},
        ),
        # catalog synonyms in short sentences; a fleet of vehicles is not the line
        ("They want fleet.", "lob", {"lob": "auto"}),
        ("fleet", "lob", {"lob": "auto"}),
        ("Gulf Coast Grocery Supply wants us on the fleet.", None, {"lob": "auto"}),
        ("Their fleet is 12 trucks", None, {"vehicles": 12}),
        # a line in a description is what the business does, not what they applied for
        (
            "An independent agency selling farm, auto and business insurance.",
            "description",
            {"description": "An independent agency selling farm, auto and business insurance."},
        ),
        ("General liability then.", "naics", {"lob": "general_liability"}),
        # a lone noun is too vague to classify; a descriptive sentence or a phrase with two telling words is not
        ("Is this quarry ok?", None, {}),
        ("Is this carrier small?", None, {}),
        (
            "Can we write workers' comp for a full-service restaurant?",
            None,
            {"lob": "workers_compensation", "description": "full-service restaurant"},
        ),
        ("Aerofab Components makes aircraft parts.", None, {"description": "makes aircraft parts"}),
        ("It's an old heavy timber building.", None, {"construction": "heavy timber"}),
        ("Roofing contractor", "naics", {"description": "Roofing contractor"}),
    ],
)
def test_parse_facts(toolkit, text, asked, expected):
    assert parse(text, toolkit.ctx.catalog, asked).facts == expected


@pytest.mark.parametrize(
    "text, task",
    [
        ("Can you check if this one is in the small business bucket?", "small_business"),
        ("What should I quote for limits on this one?", "policy_limits"),
        ("What deductible do you recommend?", "deductible"),
        ("What else can we offer them?", "product_recommendation"),
        ("Is this a fit for property?", "appetite"),
        ("Do we write GL for them?", "appetite"),
        ("Are they eligible for cyber?", "appetite"),
        ("What's the industry code?", "classification"),
        ("Is NAICS 722511 in appetite for BOP?", "appetite"),
        ("What is the weather like today?", None),
        ("Are we OK on property?", "appetite"),
        ("Is Brightpath Systems small for us?", "small_business"),
        ("Meridian Retail Properties, size check please.", "small_business"),
        ("Which NAICS fits this one?", "classification"),
    ],
)
def test_parse_task(toolkit, text, task):
    assert parse(text, toolkit.ctx.catalog).task == task


def test_parse_company_names(toolkit):
    catalog = toolkit.ctx.catalog
    assert parse("Can you check if Harbor Lights is in appetite for us?", catalog).company == "Harbor Lights"
    assert parse("Is Castillo's Gas & Go eligible for GL?", catalog).company == "Castillo's Gas & Go"
    assert parse("What about APP-42?", catalog).applicant_id == "APP-0042"
    assert parse("Is this restaurant in Ohio in appetite for Workers Comp?", catalog).company is None
    assert parse("Full-service Italian restaurant in Austin.", catalog, asked="description").company is None
    assert parse("What deductible for auto on Wayfarer Heavy Haul?", catalog).company == "Wayfarer Heavy Haul"
    assert parse("Can we write Greenway Hauling's auto?", catalog).company == "Greenway Hauling"
    assert parse("Bulwark wants GL. What limits?", catalog).company == "Bulwark"
    assert parse("Is Harlow eligible for GL?", catalog).company == "Harlow"
    # places and ordinary nouns are not companies
    assert (
        parse(
            "Badlands Express Trucking hauls freight long distance from Bismarck to the Upper Midwest.",
            catalog,
            asked="description",
        ).company
        is None
    )
    assert parse("Dealer wants auto on 35 vehicles.", catalog).company is None
    assert parse("We've got a bakery in Ohio that wants a BOP.", catalog).company is None
    assert parse("Is this one in appetite for Texas auto?", catalog).company is None


# --- the natural-language set (evals/natural/): conversations typed the way underwriters type ---------------

HELDOUT_FLOOR = 0.95  # the goal for conversations not tuned on
HELDOUT_REASK = 0.05  # the target; measured 0.04 (1 of 27) without looking at which


@pytest.mark.integration
@pytest.mark.parametrize("part, floor, reask", [("tune", 0.97, 0.05), ("heldout", HELDOUT_FLOOR, HELDOUT_REASK)])
def test_natural_conversation_set(cp, part, floor, reask):
    """Expected answers come from evals/suite/reference.py; the held-out part was written before tuning."""
    from pathlib import Path

    from evals.metrics import summarize
    from evals.runner import run_conversation
    from evals.simulator import NaturalUnderwriter
    from evals.tasks import load_tasks

    tasks = load_tasks(Path(__file__).resolve().parent.parent / "evals" / "natural" / f"{part}.jsonl")
    rows = [run_conversation(cp, t, NaturalUnderwriter(t)).row for t in tasks]
    s = summarize(rows)
    wrong = [r["id"] for r in rows if not r["correct"]]
    assert s["accuracy"] >= floor, f"{part}: {s['accuracy']:.3f} correct; wrong: {wrong}"
    assert s["reask_rate"] <= reask, [r["id"] for r in rows if r["reasked"]]
    assert s["help_text_rate"] == 0.0, [r["id"] for r in rows if r["help_text"]]
    assert s["tool_error_rate"] == 0.0 and s["invented_product_rate"] == 0.0


def test_two_lines_in_one_question_are_both_answered_after_a_code_is_picked(cp):
    """Found trying the page: the second line was forgotten once the reply picked one of the offered codes."""
    first, second = chat(cp, "bakery in fargo nd, 12 staff, 1.1M sales, brick building. wc and property ok?", "2")
    assert not args(first, "check_appetite")  # the codes are offered first
    lines = [a["lob"] for a in args(second, "check_appetite")]
    assert "workers_compensation" in lines and "property" in lines


def test_a_description_has_a_word_of_three_letters(catalog):
    """The tool refuses shorter ones; "a go" is no trade, and the turn asks what the business does instead."""
    assert "description" not in parse("Is this one a go for the property line?", catalog).facts
    assert parse("gl for a bar in austin tx", catalog).facts["description"] == "bar"


def test_a_figure_after_the_limit_it_names_is_no_revenue(catalog):
    """Found trying the page: "higher limits, like 5M?" replaced the motel's revenue."""
    assert "annual_revenue" not in parse("can we give them higher limits, like 5M?", catalog).facts
    assert parse("limits? they did 3M last year", catalog).facts["annual_revenue"] == 3_000_000


def test_a_question_instead_of_a_code_pick_is_no_description(catalog):
    """Found trying the page: a follow-up typed while the codes were offered became what the business does."""
    assert "description" not in parse("what about property on its own?", catalog, "naics_choice").facts
    assert parse("its a taco truck", catalog, "naics_choice").facts.get("description")


@pytest.mark.integration
def test_bundled_suite_with_the_scripted_underwriter(cp):
    """The 224 tasks of evals/suite/ as `uwc eval` runs them: a reader change once cost 14 of them unnoticed
    (the description reply read as "not known"), so the suite's own figure is held here, not only in the docs."""
    from pathlib import Path

    from evals.metrics import summarize
    from evals.runner import run_conversation
    from evals.simulator import ScriptedUnderwriter
    from evals.tasks import load_tasks

    tasks = load_tasks(Path(__file__).resolve().parent.parent / "evals" / "suite" / "tasks.jsonl")
    rows = [run_conversation(cp, t, ScriptedUnderwriter(t)).row for t in tasks]
    s = summarize(rows)
    assert s["accuracy"] >= 0.97, [r["id"] for r in rows if not r["correct"]]
    assert s["tool_error_rate"] == 0.0 and s["invented_product_rate"] == 0.0 and s["help_text_rate"] == 0.0


# --- understanding people as they write --------------------------------------------------------------------


def test_naming_another_line_we_write_asks_the_same_question_for_it(cp):
    first, second, third = chat(
        cp, "is APP-0042 in appetite for property", "what about general liability?", "and for umbrella?"
    )
    assert [a["lob"] for a in args(second, "check_appetite")] == ["general_liability"]
    assert second.finding["facts"]["lob"] == "general_liability" and "for General Liability" in second.answer
    assert "Noted" not in second.answer  # a question about another line corrects nothing: the property finding stands
    assert not args(third, "check_appetite") and "products-not-written" in third.answer


def test_a_product_we_do_not_write_never_borrows_the_applicants_line(cp):
    (r,) = chat(cp, "Is APP-0042 in appetite for umbrella?")
    assert r.finding is None and not args(r, "check_appetite")
    assert "products-not-written" in r.answer


def test_a_decline_after_a_finding_does_not_record_it_again(cp):
    first, second = chat(cp, "Deductible for commercial auto, NAICS 484121?", "and can we write them an umbrella?")
    assert first.finding["deductible"] == 5000
    assert second.finding is None and second.steps == [] and "products-not-written" in second.answer


def test_two_questions_in_one_message_get_two_findings(cp):
    (r,) = chat(cp, "taxi co in Georgia, naics 485310, 12 cabs, rev 3M: can we do comm auto, and what deductible?")
    kinds = [s["arguments"]["task_type"] for s in r.steps if s["tool"] == "record_finding"]
    assert kinds == ["appetite", "deductible"]
    assert "$5,000" in r.answer and r.answer.startswith("Yes")


def test_an_unknown_fleet_is_never_zero_vehicles(cp):
    (r,) = chat(cp, "trucker in Texas, naics 484121, rev ~8.2mm, comm auto ok? no idea on the vehicle count")
    assert "vehicles" not in args(r, "check_appetite")[0]
    assert r.finding["appetite"] == "qualified"


def test_a_correction_replaces_the_figure_and_redoes_the_answer(cp):
    first, second = chat(
        cp, "BOP for a restaurant in NJ, naics 722511, rev 5.2M?", "oops, annual revenue is about 4.1M"
    )
    assert first.finding["appetite"] == "no"
    assert args(second, "check_appetite")[0]["annual_revenue"] == 4_100_000 and second.finding["appetite"] == "yes"


def test_a_correction_is_acknowledged_with_the_value_it_replaces(cp):
    first, second = chat(
        cp, "taxi co in Ohio, naics 485310, 14 cabs - what deductible for comm auto?", "sorry, 41 cabs"
    )
    assert "Noted" not in first.answer
    assert "41 (not 14)" in second.answer and second.finding["deductible"] == first.finding["deductible"]


def test_a_code_then_a_comma_and_a_count_with_its_own_noun(cp):
    (r,) = chat(cp, "security guard company - 561612, Washington state, 75 guards on staff, rev 3.1M. ok for GL?")
    assert args(r, "check_appetite")[0] | {} == {
        "naics": "561612",
        "state": "WA",
        "lob": "general_liability",
        "annual_revenue": 3_100_000,
        "employees": 75,
    }
    assert r.finding["appetite"] == "no"


def test_a_business_in_words_gets_candidates_to_pick_from(cp):
    first, second = chat(cp, "BOP deductible for a barber?", "the first one")  # (not a title word for word)
    assert args(first, "classify_business") and first.finding is None and first.answer.endswith("?")
    assert second.finding is not None and second.finding["deductible"] == 500


def test_a_better_description_after_the_offered_codes_is_classified_not_the_old_first_code_assumed(cp):
    first, second = chat(cp, "auto deductible for a black car outfit?", "chauffeured limousine service")
    assert args(first, "classify_business") and first.answer.startswith("Which NAICS code fits")
    assert args(second, "classify_business") == [{"description": "chauffeured limousine service"}]
    assert QUESTIONS["naics"] not in second.answer and QUESTIONS["description"] not in second.answer


def test_open_questions_are_answered_from_the_guidelines(cp):
    (r,) = chat(cp, "what do the guidelines say on monopolistic states?")
    assert args(r, "search_guidelines") and "[monopolistic-states]" in r.answer


def test_off_topic_gets_a_short_decline_that_says_what_it_can_do(cp, toolkit):
    (r,) = chat(cp, "what's the weather like in Boston tomorrow?")
    assert r.steps == [] and r.finding is None and "appetite" in r.answer and len(r.answer) < 300


def test_an_absurd_figure_is_refused_with_what_is_valid_and_asked_again(cp):
    refused, answer = chat(cp, "Is NAICS 311919 small? they have -5 employees", "1,251")
    assert refused.steps == [] and refused.finding is None and "0 or more" in refused.answer
    assert is_question(refused, "employees")
    assert args(answer, "check_small_business") == [{"naics": "311919", "employees": 1251}]
    (power,) = chat(cp, "Is NAICS 722511 small? revenue 10^15")
    assert power.steps == [] and "10^15" in power.answer and is_question(power, "annual_revenue")


def test_contradictory_figures_in_one_message_take_the_last(cp):
    (r,) = chat(cp, "comm auto for a trucker in TN, naics 484121, rev 9M, 12 trucks... actually 30. ok?")
    assert args(r, "check_appetite")[0]["vehicles"] == 30 and r.finding["appetite"] == "no"


def test_the_second_question_waits_while_the_first_needs_a_fact(cp):
    first, second = chat(
        cp, "can we do comm auto for a taxi co in Georgia, naics 485310, rev 3M, and what limits?", "12 cabs"
    )
    assert first.finding is None and is_question(first, "vehicles")
    kinds = [s["arguments"]["task_type"] for s in second.steps if s["tool"] == "record_finding"]
    assert kinds == ["appetite", "policy_limits"]


def test_a_definition_naming_a_construction_class_is_answered_from_the_guidelines(cp):
    (r,) = chat(cp, "what is a type iii building?")
    assert args(r, "search_guidelines") and r.finding is None


def test_a_size_limit_is_the_size_standard_not_a_policy_limit(cp):
    (r,) = chat(cp, "is their revenue over the sba size limit? naics 541511, rev 30M")
    assert args(r, "check_small_business") and not args(r, "get_limits")
    assert r.finding["task_type"] == "small_business"


def test_the_size_of_a_limit_we_write_is_a_policy_limit(cp):
    (r,) = chat(cp, "what size limit can we write on cyber for naics 541511?")
    assert args(r, "get_limits") and not args(r, "check_appetite")
    assert r.finding["task_type"] == "policy_limits"


def test_a_second_question_without_a_cue_is_read_by_the_classifier(cp):
    (r,) = chat(cp, "GL for a florist in Ohio, naics 459310, rev 2M: deductible? and is the class acceptable")
    kinds = [s["arguments"]["task_type"] for s in r.steps if s["tool"] == "record_finding"]
    assert kinds == ["deductible", "appetite"]


def test_warming_loads_what_reading_a_first_message_needs(cp):
    """``Copilot.warm`` (run while the page loads) leaves the fact reader nothing to load at the first message: its
    tagger's lexicons and the catalog's words are read, and the intent classifier is fitted."""
    from graph.offline import intent
    from graph.reader import lexicon, tagger

    loaded = (tagger._lex, lexicon._insurer, lexicon.cities, lexicon.lob_phrases)
    for f in loaded:
        f.cache_clear()  # as in a new process
    cp.warm()
    assert all(f.cache_info().currsize == 1 for f in loaded)
    assert intent.shared()._weights is not None


class OneCallAMessage(OfflineRulesModel):
    """The offline model as it was: one tool call a message."""

    def calls(self, conv, step, made=0, errors=0):
        return super().calls(conv, step, made, errors)[:1]


def _seen(r) -> dict:
    """What the underwriter sees of a turn: the answer, the findings, every tool call with its result."""
    return {
        "answer": r.answer,
        "notices": r.notices,
        "findings": [{k: v for k, v in f.items() if k != "id"} for f in r.findings],
        "steps": [
            (s["tool"], s["tool_call_id"], s["arguments"], s["ok"], {k: v for k, v in s["result"].items() if k != "id"})
            for s in r.steps
        ],
    }


def test_a_finding_and_the_next_lookup_come_in_one_message_with_the_same_calls_and_answers(seeded, toolkit):
    """A message that changes a fact redoes the earlier findings: each finding recorded and the next question's
    lookup go in one message (one tools step), and every answer, finding and call is what one call a message gave."""
    texts = (
        "What deductible for property for NAICS 722511?",
        "What limits should we offer for general liability?",
        "Is it a small business? Annual revenue is $4,000,000.",
        "Sorry, the NAICS is 484121",
        "And commercial auto, in appetite? It's in Texas with 12 trucks.",
        "Actually the NAICS code is 722511",
    )
    seen, messages = {}, {}
    for batched in (False, True):
        settings = get_settings(data_dir=seeded["dir"])
        model = (OfflineRulesModel if batched else OneCallAMessage)(toolkit.ctx.catalog, cache=settings.cache_path)
        cp = Copilot(settings, model=model, toolkit=toolkit)
        try:
            tid = cp.new_thread().id
            seen[batched] = [_seen(cp.send(tid, t)) for t in texts]
            messages[batched] = cp.graph.get_state(cp._config(tid)).values["messages"]
        finally:
            cp.close()
    assert seen[True] == seen[False]
    redone = seen[True][3]
    assert [s[0] for s in redone["steps"]].count("record_finding") >= 3  # the correction redid the findings
    sizes = {b: [len(m.tool_calls) for m in messages[b] if isinstance(m, AIMessage) and m.tool_calls] for b in seen}
    assert set(sizes[False]) == {1} and max(sizes[True]) == 2
    assert sum(sizes[True]) == sum(sizes[False]) and len(sizes[True]) < len(sizes[False])
    for m in messages[True]:  # a finding recorded goes first, the call after it is the next question's
        if isinstance(m, AIMessage) and len(m.tool_calls) > 1:
            assert [c["name"] for c in m.tool_calls][:-1] == ["record_finding"] * (len(m.tool_calls) - 1)


def test_calls_added_to_a_message_stop_at_the_graphs_caps(seeded, toolkit):
    """Where the graph would stop a turn before the next call (too many calls, or failed results in a row if the
    finding failed too), or what comes next cannot be decided for every outcome, the message holds only the call
    decided."""
    from graph.offline.conversation import read_conversation
    from graph.state import MAX_CONSECUTIVE_ERRORS, MAX_TOOL_CALLS

    settings = get_settings(data_dir=seeded["dir"])
    model = OfflineRulesModel(toolkit.ctx.catalog, cache=settings.cache_path)
    cp = Copilot(settings, model=model, toolkit=toolkit)
    try:
        tid = cp.new_thread().id
        cp.send(tid, "What deductible for property for NAICS 722511?")
        cp.send(tid, "What limits should we offer for general liability?")
        history = cp.graph.get_state(cp._config(tid)).values["messages"]
    finally:
        cp.close()
    conv = read_conversation(history + [HumanMessage("Sorry, the NAICS is 484121")], toolkit.ctx.catalog)
    step = model.decide(conv.fork())
    assert step.tool == "get_limits"  # the question asked last is redone first, then the deductible
    result = toolkit.call(step.tool, step.args, tool_call_id="x1").as_dict()["result"]
    conv.read(AIMessage("", tool_calls=[{"id": "x1", "name": step.tool, "args": step.args, "type": "tool_call"}]))
    conv.read(ToolMessage(json.dumps(result), tool_call_id="x1", name=step.tool))
    lookup = step
    step = model.decide(conv.fork())
    assert step.tool == "record_finding"
    assert [c["name"] for c in model.calls(conv, step)] == ["record_finding", "get_deductible"]
    assert len(model.calls(conv, step, made=MAX_TOOL_CALLS - 1)) == 1
    assert len(model.calls(conv, step, made=MAX_TOOL_CALLS - 2)) == 2
    assert len(model.calls(conv, step, errors=MAX_CONSECUTIVE_ERRORS - 1)) == 1
    assert len(model.calls(conv, step, errors=MAX_CONSECUTIVE_ERRORS - 2)) == 2
    assert len(model.calls(conv, lookup)) == 1  # what follows a lookup depends on what it returns

    def fails(conv):
        raise ValueError("an outcome this reading cannot take")

    model.decide = fails
    assert len(model.calls(conv, step)) == 1  # deciding after an outcome failed: the call waits for its result


def test_asked_for_the_code_of_a_business_its_title_names_it_is_the_answer_not_a_pick(cp):
    (r,) = chat(cp, "naics code for a nail salon?")
    assert r.finding is not None and r.finding["naics"] == "812113" and "Which NAICS code" not in r.answer
    # only a title said in full: a part of one ("bakery": retail or commercial) still offers the codes to pick
    (r,) = chat(cp, "naics code for a bakery?")
    assert r.finding is None and "Which NAICS code fits" in r.answer


def test_a_longer_description_naming_a_suppliers_trade_is_classified_not_taken_by_that_title(cp):
    (r,) = chat(cp, "NAICS for a distributor that buys beer from breweries and resells it wholesale to bars?")
    assert r.finding is not None and r.finding["naics"] != "312120"  # Breweries: their supplier, not them


def test_why_before_any_answer_says_so_in_the_underwriters_terms_not_how_to_configure_a_model(cp):
    (r,) = chat(cp, "why?")
    assert r.answer.startswith("I have not given a determination") and "UWC_MODEL" not in r.answer


@pytest.mark.parametrize(
    "text",
    [
        "would a businessowners policy be an option for them?",
        "are there other alternatives to GL",
        "property - masonry non combustible bldg",
        "fire-resistive structure, can we do property",
    ],
)
def test_a_word_of_the_choice_or_of_the_building_is_no_description(catalog, text):
    assert "description" not in parse(text, catalog).facts


def test_digits_inside_an_id_are_no_absurd_figure(catalog):
    said = parse("ref QX-7a2e51bd09, headcount 22, sales 3.1M", catalog)
    assert said.invalid == {} and said.facts["employees"] == 22


def test_last_year_is_no_pick_of_the_last_code(catalog):
    from graph.offline.choice import picked

    offered = ["561612", "928110", "561621"]
    assert picked("they filed one claim last year, does it matter?", offered, catalog.naics_titles) is None
    assert picked("the last one i think", offered, catalog.naics_titles) == "561621"
