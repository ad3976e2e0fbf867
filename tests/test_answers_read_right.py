"""Answers that read right (issue 23, items 3-4): typed headlines, one part per finding, follow-ups that do not
repeat the turn, read-back of each message, and guideline rules said as rules. Pure functions on typed data."""

from __future__ import annotations

import pytest

from app.ui.answer import follow_ups, format_answer, layout, sentences
from graph.headline import headline
from graph.offline.answers import rules_of
from graph.readback import Reading, correction, line
from guidelines import load_sections

LOBS = {"auto": "Commercial Auto", "general_liability": "General Liability", "property": "Property", "cyber": "Cyber"}


def test_the_headline_is_the_typed_verdict_and_keeps_a_name_with_a_full_stop():
    facts = {"company": "Sorensen Trucking Inc.", "lob": "auto"}
    assert headline({"task_type": "appetite", "appetite": "yes", "facts": facts}, LOBS) == (
        "Yes — Sorensen Trucking Inc. is in appetite for Commercial Auto"
    )
    assert headline({"task_type": "appetite", "appetite": "no", "facts": {"lob": "cyber"}}, LOBS) == (
        "No — the business is not in appetite for Cyber"
    )
    unknown = {"lob": "auto", "unknown": ["vehicles"]}
    assert "depends on the number of vehicles" in headline({"appetite": "qualified", "facts": unknown}, LOBS)
    assert headline({"deductible": 5000, "facts": facts}, LOBS) == (
        "$5,000 deductible for Commercial Auto on Sorensen Trucking Inc."
    )
    assert headline({"naics": "484110"}, titles={"484110": "General Freight Trucking, Local"}) == (
        "NAICS 484110 General Freight Trucking, Local"
    )


def test_a_recommendation_is_headed_by_the_lines_to_offer_never_by_none():
    four = {"lobs": ["general_liability", "property", "cyber", "auto"], "facts": {"exclude_lob": "bop"}}
    said = headline({"task_type": "product_recommendation", **four}, LOBS)
    assert said.startswith("Lines to offer") and all(name in said for name in LOBS.values())
    empty = headline({"task_type": "product_recommendation", "lobs": [], "facts": {"exclude_lob": "auto"}}, LOBS)
    assert empty == "No other line to offer the business besides Commercial Auto"
    for finding in ({"lobs": []}, {"small_business": False}, {"task_type": "deductible"}, {}):
        assert headline(finding).split()[0] not in ("Noted.", "None.", "Noted:", "None:")


SORENSEN = (
    "Noted: the line of business is Commercial Auto (not General Liability). I found Sorensen Trucking Inc. (APP-0163): "
    "NAICS 484110 General Freight Trucking, Local, Nevada, asking for Commercial Auto. "
)
LIMITS = (
    "$1,000,000 per occurrence / $2,000,000 aggregate for Commercial Auto on Sorensen Trucking Inc. (NAICS 484110 "
    "General Freight Trucking, Local): rule for every line, every code [limits-standard]"
)
DEDUCTIBLE = (
    "$5,000 deductible for Commercial Auto on Sorensen Trucking Inc. (NAICS 484110 General Freight Trucking, "
    "Local): rule for Commercial Auto, NAICS prefix 484 [deductibles-auto-transport]"
)
TWO = [
    {"task_type": "policy_limits", "per_occurrence": 1_000_000, "aggregate": 2_000_000, "summary": LIMITS,
     "citations": ["limits-standard"], "facts": {"lob": "auto"}},
    {"task_type": "deductible", "deductible": 5000, "summary": DEDUCTIBLE,
     "citations": ["deductibles-auto-transport"], "facts": {"lob": "auto"}},
]  # fmt: skip


def test_two_findings_are_two_headlines_and_no_name_is_cut_at_its_full_stop():
    laid = layout(SORENSEN + LIMITS + " " + DEDUCTIBLE, TWO, LOBS)
    assert [p.headline for p in laid.parts] == [
        "$1,000,000 per occurrence / $2,000,000 aggregate for Commercial Auto",
        "$5,000 deductible for Commercial Auto",
    ]
    assert laid.notes[1].startswith("I found Sorensen Trucking Inc. (APP-0163)")  # one note, not cut after "Inc."
    assert laid.parts[0].reasons == ["Rule for every line, every code"]
    assert laid.parts[1].reasons == ["Rule for Commercial Auto, NAICS prefix 484"]
    assert laid.cited == ["limits-standard", "deductibles-auto-transport"]
    md = format_answer(SORENSEN + LIMITS + " " + DEDUCTIBLE, None, TWO, LOBS)
    assert md.count("\n\n**") == 1 and md.startswith("**\\$1,000,000")  # two headlines; the first leads


def test_an_llm_answer_gets_its_headline_from_the_finding_and_keeps_its_words():
    finding = {"task_type": "appetite", "appetite": "no", "summary": "not what the text says", "facts": {"lob": "auto"}}
    text = "Sorensen Trucking Inc. is outside appetite. Vehicles exceed the limit [auto-qualified]."
    md = format_answer(text, {"auto-qualified"}, [finding], LOBS)
    assert md.startswith("**No — the business is not in appetite for Commercial Auto**\n\n")
    assert "Sorensen Trucking Inc. is outside appetite." in md and "(guidelines?section=auto-qualified)" in md


def test_without_a_finding_nothing_is_made_a_headline():
    for text in ("Noted: employees is 41 (not 14). Which state is the business in?", "None of those fit."):
        assert not format_answer(text).startswith("**") and layout(text).parts == []


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Acme Roofing Co. is small. It is in TX.", ["Acme Roofing Co. is small.", "It is in TX."]),
        ("J. Smith LLC. Yes.", ["J. Smith LLC. Yes."]),
        ("Ships to St. Louis. Done.", ["Ships to St. Louis.", "Done."]),
    ],
)
def test_sentences_never_end_at_an_abbreviation(text, expected):
    assert sentences(text) == expected


def test_follow_ups_never_offer_what_the_turn_answered():
    for task in ("appetite", "product_recommendation", "small_business", "policy_limits", "deductible"):
        asked = follow_ups({"task_type": task})
        assert asked and len(asked) == len(set(asked))
    assert "What other lines can we offer?" not in follow_ups({"task_type": "product_recommendation"})
    answered = follow_ups([{"task_type": "appetite"}, {"task_type": "product_recommendation"}])
    assert "What other lines can we offer?" not in answered and answered


def test_the_read_back_line_and_its_corrections():
    readings = [
        Reading("employees", 75, "75 employees", "75 emps"),
        Reading("annual_revenue", 5_000_000, "revenue $5.0M", "rev 5M"),
        Reading("state", "TX", "TX", "Dallas TX"),
        Reading("description", "security guards", "security guards", "security guard company"),
    ]
    assert line(readings) == "Reading: 75 employees · revenue $5.0M · TX · security guards"
    assert line([]) == ""
    assert [correction(r) for r in readings] == [
        "correction: employees is 75",
        "correction: revenue is $5.0M",
        "correction: state is TX",
        "correction: it is a security guards",
    ]
    assert correction(Reading("annual_payroll", None, "payroll not known", "", unknown=True)) == (
        "correction: payroll is "
    )


def test_referral_rules_are_said_as_rules():
    sections = {s.id: s for s in load_sections()}
    authority = rules_of(sections["authority-levels"].text)
    assert "annual revenue is above $10,000,000" in authority and "the appetite verdict is Qualified" in authority
    assert "it declines a renewal" in authority and "**" not in authority
    triggers = rules_of(sections["referral-triggers"].text)
    assert "no SBA size standard" in triggers and "Facts contradict each other" in triggers
    assert "What a referral is not" not in triggers  # a sub-heading's list is not one of the section's own


# --- end to end with the offline model --------------------------------------------------------------------------
def test_a_correction_chip_is_read_back_as_the_fact_it_corrects(catalog):
    from graph.offline.facts import parse
    from graph.readback import read

    said = "GL for a security guard company in Dallas TX, 75 emps, rev 5M, payroll 1.2M, NAICS 561612, 4 vans"
    readings = read(said, catalog)
    assert {"employees", "annual_revenue", "state", "lob"} <= {r.fact for r in readings}
    for r in readings:  # the pre-filled message says the same fact again, and names no company
        p = parse(correction(r, dict(catalog.lobs)), catalog)
        assert p.facts.get(r.fact) == r.value and p.company is None, (correction(r), p)


def test_the_read_back_names_every_line_the_message_asks_of(catalog):
    from graph.readback import read

    readings = read("florist in Macon GA, 6 staff: do we write property and cyber?", catalog)
    assert [r.value for r in readings if r.fact == "lob"] == ["property", "cyber"]
    assert [r.shown for r in readings if r.fact == "lob"] == ["Property", "Cyber"]


def test_a_turn_reads_back_its_facts_and_keeps_every_finding(cp):
    tid = cp.new_thread().id
    r = cp.send(tid, "What limits and what deductible for commercial auto on NAICS 484121?")
    assert [f["task_type"] for f in r.findings] == ["policy_limits", "deductible"] and r.finding == r.findings[-1]
    assert {x.fact for x in r.readings} >= {"naics", "lob"}
    shown = cp.history(tid)[-1]
    assert [f["task_type"] for f in shown["findings"]] == ["policy_limits", "deductible"]
    assert [x.fact for x in shown["readings"]] == [x.fact for x in r.readings]


def test_the_facts_panel_shows_a_fact_as_soon_as_a_message_states_it(cp):
    tid = cp.new_thread().id
    r = cp.send(tid, "is a roof repair crew in Texas with 12 employees small?")  # (a code to pick first)
    assert not any("employees" in s["arguments"] for s in r.steps)  # no tool has used it yet
    known = cp.known_facts(tid)
    assert known.get("employees") == 12 and known.get("state") == "TX"


def test_the_facts_panel_never_shows_a_figure_only_supposed(cp):
    tid = cp.new_thread().id
    cp.send(tid, "optometrist in Boise ID, code 621320, 7 on staff, about 1.1M a year - cyber in appetite?")
    r = cp.send(tid, "and suppose the headcount were 300?")
    assert any(s["arguments"].get("employees") == 300 for s in r.steps)  # the what-if was answered with it
    assert cp.known_facts(tid)["employees"] == 7  # and the panel still shows what was said


def test_when_to_refer_is_answered_from_the_referral_rules(cp):
    for opening in ([], ["Is NAICS 484121 small? revenue 9M"]):
        tid = cp.new_thread().id
        for text in opening:
            cp.send(tid, text)
        r = cp.send(tid, "When do I refer to a senior underwriter?")
        assert [s["tool"] for s in r.steps] == ["search_guidelines"] and r.finding is None
        assert "[authority-levels]" in r.answer or "[referral-triggers]" in r.answer
        assert "$10,000,000" in r.answer or "no SBA size standard" in r.answer
        assert r.readings == []  # a question about the rules states nothing about the applicant


def test_a_rules_question_while_we_wait_for_an_answer_is_not_taken_for_the_answer(cp):
    """Asked while the copilot waits for the NAICS code, the question is answered from the guidelines; it is not
    read as what the business does (which once classified it as an executive search firm, in appetite)."""
    tid = cp.new_thread().id
    first = cp.send(tid, "gl for a security guard company in dallas tx, 75 emps, rev 5M")
    assert first.finding is None and "?" in first.answer
    r = cp.send(tid, "When do I refer to a senior underwriter?")
    assert [s["tool"] for s in r.steps] == ["search_guidelines"] and r.finding is None
    assert "description" not in cp.known_facts(tid) or "refer" not in str(cp.known_facts(tid)["description"])


def test_a_finding_lists_only_facts_as_not_known(cp):
    """Our own questions ("which of these codes?") are no facts: a finding never says one is not known."""
    tid = cp.new_thread().id
    cp.send(tid, "small biz check on a family bakery in raleigh nc, 14 people, sales about 1.2 mil")
    cp.send(tid, "none of those")
    for text in ("311811", "don't know", "311811"):
        r = cp.send(tid, text)
        if r.finding:
            break
    recorded = [s["arguments"] for s in r.steps if s["tool"] == "record_finding"]
    assert all("naics_choice" not in (a.get("facts") or {}).get("unknown", []) for a in recorded)


def test_a_closest_name_of_another_business_is_no_fact(cp):
    """find_applicant offers the closest seeded name to one it does not know; a different business ("Maple Street
    Dental" is not "Clever Smile Dental") gives the facts panel and the decision record nothing of its record."""
    from tools.applicants import established_applicant

    tid = cp.new_thread().id
    r = cp.send(
        tid,
        "From: Dana Whitfield <dana@harborbrokers.example>\nSubject: New submission - Maple Street Dental Group PLLC"
        "\n\nHi team,\n\nMaple Street Dental Group PLLC is a 3-dentist general dentistry practice in Raleigh, NC. "
        "They have 14 employees and annual revenue of approx $2.1M. Looking for property and general liability."
        "\n\nThanks,\nDana Whitfield | Harbor Insurance Brokers | 1200 Oberlin Rd, Raleigh, NC 27605",
    )
    found = [s for s in r.steps if s["tool"] == "find_applicant"]
    assert found and found[0]["result"].get("applicant")  # the tool did offer its closest name
    assert established_applicant(found[0]["arguments"], found[0]["result"]) is None
    known = cp.known_facts(tid)
    assert known.get("state") == "NC" and known.get("company") != found[0]["result"]["applicant"]["company_name"]
    assert established_applicant({"name_or_id": "Clever Smile Dentl"}, found[0]["result"]) is not None  # a typo is


def test_a_table_row_keeps_its_verdict_when_the_first_column_is_long():
    sections = {s.id: s for s in load_sections()}
    redirects = rules_of(sections["not-written-redirects"].text)
    rows = [line for line in redirects.splitlines() if line.startswith("- ") and line != "- …"]
    assert rows and all("Not written" in line for line in rows)  # never a bare product name, read as an offer
    construction = rules_of(sections["property-qualified"].text)
    assert "wood frame: Decline" in construction
