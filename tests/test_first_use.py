"""What a new underwriter ran into on a first session (try-out r5), each fixed and held here: a figure corrected as
"new, not old" keeps the new one; a closing "Any advice?" is no applicant; an applicant named first, before "in
appetite", is looked up and no word of its name becomes a place or a business; a headline without a name reads as a
sentence; the uploader states the desk's own size limit; a paste over the chat limit is not dropped in silence.

Every message here is written for these tests."""

from __future__ import annotations

import pytest

from graph.headline import headline
from graph.reader.read import read


# --- a correction written "new figure, not old figure" ----------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "fact", "value"),
    [
        ("headcount is 31 not 13", "employees", 31),
        ("they run 15 vans not 12", "vehicles", 15),
        ("payroll comes to $1.4M, not $900k", "annual_payroll", 1_400_000),
        ("receipts are 3.3 million rather than 2.8 million", "annual_revenue", 3_300_000),
    ],
)
def test_the_figure_after_not_is_the_one_replaced(text, fact, value):
    r = read(text)
    assert r.facts[fact].value == value
    assert fact not in r.unknown and not r.says_unknown  # "not 13" says nothing is unknown


def test_a_figure_after_not_that_names_another_fact_stands():
    r = read("9 tractors, not 4 drivers on staff")
    assert r.facts["vehicles"].value == 9
    assert "vehicles" not in r.unknown


def test_a_plain_unknown_statement_still_removes_the_fact():
    assert "annual_revenue" in read("sales figure not known yet, 22 employees").unknown


def test_a_not_correction_in_a_conversation_redoes_the_finding_with_the_new_figure(cp):
    tid = cp.new_thread().id
    cp.send(tid, "NAICS 561730 in Georgia, 25 employees, revenue $3M: is this a small business?")
    fixed = cp.send(tid, "my bad, the revenue is 12 million not 3")
    assert fixed.findings and all(f["facts"].get("annual_revenue") == 12_000_000 for f in fixed.findings)
    assert "$12,000,000 (not $3,000,000)" in fixed.answer


def tools_run(result) -> list[str]:
    return [step.get("tool") for step in result.steps]


# --- names: a closing word is no applicant; a name before "in appetite" is looked up ---------------------------
def test_a_closing_request_for_advice_is_not_looked_up_as_an_applicant(cp):
    tid = cp.new_thread().id
    result = cp.send(
        tid, "Got an HVAC installer in Arizona, 16 staff, $3.1M sales, after general liability. Any advice?"
    )
    assert "did not find an applicant" not in result.answer
    assert "find_applicant" not in tools_run(result)


def test_an_applicant_named_before_in_appetite_is_looked_up_with_its_own_state(cp):
    # Mayfield is also a town in Kentucky; the record says Texas
    result = cp.send(cp.new_thread().id, "Mayfield Electrical Distributors in appetite for property?")
    assert "find_applicant" in tools_run(result)
    facts = result.findings[0]["facts"]
    assert facts["company"] == "Mayfield Electrical Distributors" and facts["state"] == "TX"
    assert "description" not in facts


# --- headline ---------------------------------------------------------------------------------------------------
def test_a_size_headline_without_a_name_is_a_sentence():
    assert headline({"task_type": "small_business", "small_business": False}) == (
        "The business is not a small business"
    )
    assert headline({"task_type": "small_business", "small_business": True}, name="Ridgeback Tile LLC") == (
        "Small business — Ridgeback Tile LLC"
    )


# --- the page's limits -------------------------------------------------------------------------------------------
def test_the_uploader_is_told_the_desks_file_limit(monkeypatch, seeded):
    import tomllib
    from pathlib import Path

    from app import cli, serve
    from bench.ui import free_port
    from desk.limits import MAX_FILE_BYTES, MB

    seen: dict = {}
    monkeypatch.setattr(serve, "run_supervised", lambda cmd, env=None, companions=(): seen.setdefault("cmd", cmd) and 0)
    assert cli.main(["serve", "--data-dir", str(seeded["dir"]), "--port", str(free_port())]) == 0
    cmd = seen["cmd"]
    assert cmd[cmd.index("--server.maxUploadSize") + 1] == str(MAX_FILE_BYTES // MB)
    config = tomllib.loads((Path(serve.__file__).parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_FILE_BYTES // MB


def test_an_over_long_message_typed_in_the_box_is_refused_with_its_text_kept(seeded_data_dir):
    from tests.test_app import checked, run

    at = run()
    assert not at.chat_input[0].proto.max_chars  # the browser would drop a longer paste whole, saying nothing
    pasted = "Fwd: renewal for a marina in Maine, 11 slips staff\n" * 200
    checked(at.chat_input[0].set_value(pasted).run())
    errors = "\n".join(e.value for e in at.error)
    assert "characters; the limit is 8,000" in errors and "Desk" in errors
    assert pasted.strip() in [c.value for c in at.code]


# --- two questions in one; an offered choice that a reply leaves open ------------------------------------------
def test_do_we_want_a_line_is_an_appetite_question_beside_a_second_one(cp):
    result = cp.send(cp.new_thread().id, "Mayfield Electrical Distributors: do we want their cyber, and what limits?")
    assert [f["task_type"] for f in result.findings] == ["appetite", "policy_limits"]


def test_a_reply_giving_another_fact_leaves_the_offered_codes_open(cp):
    tid = cp.new_thread().id
    first = cp.send(tid, "A tile store in Nevada, 9 employees, wants general liability: are we in?")
    assert "Which NAICS code fits" in first.answer
    offer = first.answer[first.answer.index("Which NAICS code fits") :]
    again = cp.send(tid, "payroll runs about 400k")
    assert offer in again.answer  # the same three codes, not a bare "Do you know the NAICS code?"
    assert cp.send(tid, "none of those fit").answer.endswith("NAICS code?")


def test_a_long_first_message_is_titled_by_whole_words():
    from graph.threads import title_from_message

    title = title_from_message(
        "Could you tell me whether a mobile pet grooming van in Oregon fits our appetite for auto?"
    )
    assert title.endswith("…") and len(title) <= 80
    assert (
        title[:-1].split()[-1]
        in "Could you tell me whether a mobile pet grooming van in Oregon fits our appetite".split()
    )
    assert title_from_message("  Is  APP-0031 small? ") == "Is APP-0031 small?"


# --- the desk ----------------------------------------------------------------------------------------------------
def test_a_broker_asking_for_two_lines_in_one_sentence_gets_both_triaged(catalog):
    from desk.intake import intake_one

    body = (
        b"Morning all,\nOrchard Row Cabinetry LLC builds kitchen cabinets in Boise, ID; 27 on staff, about $3.9M a year.\n"
        b"We'd like quotes on workers comp and property for the 7/1 renewal.\nRegards, Lee"
    )
    sub = intake_one(("orchard.txt", body), catalog=catalog).submissions[0]
    assert list(sub.lines_requested) == ["workers_compensation", "property"]


def test_an_appetite_reason_names_its_rule_in_words_not_by_its_id(cp):
    result = cp.send(cp.new_thread().id, "NAICS 541330 in Ohio, 12 employees, revenue $1.6M: in appetite for cyber?")
    assert "our default for every sector" in result.answer
    assert "(rule " not in result.answer


def test_another_unnamed_business_brought_in_starts_from_its_own_facts(cp):
    tid = cp.new_thread().id
    cp.send(tid, "Mayfield Electrical Distributors in appetite for property?")
    other = cp.send(tid, "Next one: a florist in Reno, Nevada with 6 staff and $700k in sales, general liability ok?")
    assert "Mayfield" not in other.answer and "423610" not in other.answer
    assert all(f["facts"].get("company") != "Mayfield Electrical Distributors" for f in other.findings)


def test_a_corrected_figure_while_codes_are_offered_keeps_the_offer(cp):
    tid = cp.new_thread().id
    first = cp.send(tid, "a sign shop out of Tulsa OK, 14 staff, revenue $1.8M - appetite for property?")
    if "Which NAICS code fits" not in first.answer:
        pytest.skip("the classifier settled the code at once: no offer to keep")
    offer = first.answer[first.answer.index("Which NAICS code fits") :]
    again = cp.send(tid, "oops - 16 staff, not 14")
    assert offer in again.answer  # "not 14" names the figure replaced; it does not turn the codes down


@pytest.mark.parametrize(
    ("pasted", "title"),
    [
        (
            "From: Dana Ruiz <dana@example-brokers.com>\nSent: Monday 9:14 AM\nSubject: FW: Bluebird Bakery - GL quote\n"
            "\nHi team,\nRetail bakery in Boise, 9 staff.",
            "Bluebird Bakery - GL quote",
        ),
        ("Fwd: sub\n\nHello,\nRetail bakery in Boise, 9 staff, GL?", "Retail bakery in Boise, 9 staff, GL?"),
        ("---------- Forwarded message ---------\nRoofer in Tampa, wc?", "Roofer in Tampa, wc?"),
    ],
)
def test_a_pasted_email_is_titled_by_its_subject_or_body_not_its_header(pasted, title):
    from graph.threads import title_from_message

    assert title_from_message(pasted) == title
