"""The offline model: which question a short or indirect message asks, and how a follow-up continues the
conversation — a line named alone asks of it what was asked last, a question after stated facts is read on its
own, and a business described with no question read is asked what they want to know (never the help text)."""

from __future__ import annotations

import pytest

from graph import prompts
from graph.offline import intent
from tests.test_offline_model import chat, cp  # noqa: F401  (cp: a fixture)

FACTS = "NAICS 238160 in Texas, 20 employees, 6 vehicles, payroll 1.1M, revenue $4M, masonry building"
OPENING = f"{FACTS}: in appetite for general liability?"


@pytest.mark.parametrize(
    ("follow_up", "line"),
    [
        ("what about their property?", "property"),
        ("ok and how about cyber for them", "cyber"),
        ("what about comp", "workers_compensation"),  # "comp" alone is workers comp
    ],
)
def test_a_line_named_alone_after_an_appetite_answer_is_checked_for_appetite(cp, follow_up, line):  # noqa: F811
    _, r = chat(cp, OPENING, follow_up)
    assert [(f["task_type"], f["facts"]["lob"]) for f in r.findings] == [("appetite", line)]
    assert not [s for s in r.steps if s["tool"] == "recommend_lobs"]  # not "which other lines"


def test_a_line_named_alone_after_a_deductible_asks_the_deductible_of_it(cp):  # noqa: F811
    _, r = chat(
        cp, "NAICS 238160 in Texas, 20 employees, revenue $4M: deductible for general liability?", "what about auto?"
    )
    assert [(f["task_type"], f["facts"]["lob"]) for f in r.findings] == [("deductible", "auto")]


def test_other_lines_asked_after_an_appetite_answer_are_still_a_recommendation(cp):  # noqa: F811
    _, r = chat(cp, OPENING, "so what would we write for them")
    assert [f["task_type"] for f in r.findings] == ["product_recommendation"]


def test_a_line_stated_beside_a_question_is_the_line_they_have_not_a_question(cp):  # noqa: F811
    (r,) = chat(cp, f"roofing contractor, {FACTS}, on GL, what else?")
    assert [f["task_type"] for f in r.findings] == ["product_recommendation"]


def test_a_size_question_without_the_word_small_is_a_size_test(cp):  # noqa: F811
    (r,) = chat(cp, "naics 713910 in CT, revenue 16.8M, 180 employees. size ok?")
    assert r.finding is not None and r.finding["task_type"] == "small_business"


def test_a_described_business_with_no_question_is_asked_what_they_want_to_know(cp):  # noqa: F811
    catalog_help = prompts.OFFLINE_HELP.split(":")[0]
    first, second = chat(cp, "ice cream parlor in Cheyenne WY, 9 employees, payroll 140k", "not sure")
    for r in (first, second):
        assert r.finding is None and r.steps == [] and r.answer.startswith("What would you like to know about")
        assert catalog_help not in r.answer
    (greeting,) = chat(cp, "hello")  # nothing about a business: the help text, as before
    assert greeting.answer.startswith(catalog_help)


def test_the_question_after_stated_facts_is_read_alone():
    assert intent.question_part("taxi company in Reno, 14 cabs, revenue 3M. products?") == "products?"
    assert intent.question_part("taxi company in Reno: other products?") is None  # one sentence: the whole message
    assert intent.question_part("cabs? or limos?") is None  # two questions: the clauses are read instead
    found = intent.classify("taxi company in Reno, 14 cabs, revenue 3M, 2 garages on 5 acres. lines?")
    assert found.name == "product_recommendation"


@pytest.mark.parametrize("text", ["comp and collision on the trucks", "they want comp & coll", "comp/collision"])
def test_comp_and_collision_is_an_auto_coverage_not_workers_comp(catalog, text):
    from graph.offline.facts import lob_fact

    assert lob_fact(text, catalog) != "workers_compensation"


BAKERY = "bakery and cafe in Austin TX, NAICS 311811, 9 employees, revenue 650k: deductible for property?"


@pytest.mark.parametrize(
    "switch",
    [
        "ok switching - different acct. roofing contractor in fl, 40 employees, 6m revenue, they want GL",
        "new client: roofing contractor in fl, 40 employees, 6m revenue, GL appetite?",
        # no word of a switch, but what the business does and its figures all change: another business
        "roofing contractor in fl, 40 employees, 6m revenue, is GL in appetite?",
    ],
)
def test_another_account_starts_afresh_and_keeps_nothing_of_the_last(cp, switch):  # noqa: F811
    *_, r = chat(cp, BAKERY, switch)
    assert not [s for s in r.steps if s["arguments"].get("naics") == "311811"]  # the bakery's code is not theirs
    assert [s["arguments"]["description"] for s in r.steps if s["tool"] == "classify_business"] == [
        "roofing contractor"
    ]
    assert "Noted" not in r.answer  # nothing of the last account was corrected


def test_the_facts_panel_starts_afresh_with_another_business(cp):  # noqa: F811
    tid = cp.new_thread().id
    cp.send(tid, BAKERY)
    assert cp.known_facts(tid)["annual_revenue"] == 650_000
    cp.send(tid, "next one: a locksmith in Provo UT, 3 employees, revenue 400k, GL appetite?")
    known = cp.known_facts(tid)
    assert known["annual_revenue"] == 400_000 and known["state"] == "UT"
    assert known.get("naics") in (None, "561622")  # the locksmith's own title, never the bakery's code
    first = next(m for m in cp.history(tid) if m.get("findings"))
    assert first["stale"] == [{}]  # the locksmith's figures are no correction of the bakery's finding


def test_a_question_with_a_code_of_another_trade_is_another_business(cp):  # noqa: F811
    *_, r = chat(cp, BAKERY, "GL limits for naics 484110 pls?")
    # one answer, about the trucker: the bakery's property deductible is not redone, its revenue not carried over
    assert [(f["task_type"], f["facts"].get("naics")) for f in r.findings] == [("policy_limits", "484110")]
    assert "Noted" not in r.answer
    *_, size = chat(cp, BAKERY, "small business? naics 484110")
    assert not [s for s in size.steps if s["arguments"].get("annual_revenue") == 650_000]


@pytest.mark.parametrize("fix", ["GL limits? actually the code is 484110", "GL limits for 311812?"])
def test_a_code_said_as_a_fix_or_in_the_same_trade_keeps_the_account(cp, fix):  # noqa: F811
    *_, r = chat(cp, BAKERY, fix)
    assert "Noted" in r.answer and "deductible" in [f["task_type"] for f in r.findings]  # the property one, redone


def test_a_correction_of_one_figure_keeps_the_account(cp):  # noqa: F811
    *_, r = chat(cp, BAKERY, "sorry, 12 employees, not 9")
    assert [(f["task_type"], f["facts"].get("naics")) for f in r.findings] == [("deductible", "311811")]


@pytest.mark.parametrize("question", ["what other lines shld i offer", "whats the appetite for general liability"])
def test_a_question_typed_during_a_code_pick_describes_nothing(cp, question):  # noqa: F811
    first, r = chat(
        cp, "small landscaping co in ohio, 12 employees, about 1.8m revenue. is it a small business?", question
    )
    assert "Which NAICS code" in first.answer
    assert not [s for s in r.steps if s["tool"] == "classify_business"]  # the question is not what the business does
    assert "landscaping" in r.answer and r.answer.startswith(prompts.CODE_FIRST)  # the choice again, the question waits


@pytest.mark.parametrize(
    "question",
    ["whats the max GL limit we can write for contractors generally?", "is there a rule about building age?"],
)
def test_a_question_about_the_rules_in_general_is_no_determination_for_the_applicant(cp, question):  # noqa: F811
    tid = cp.new_thread().id
    cp.send(tid, BAKERY)
    r = cp.send(tid, question)
    assert [s["tool"] for s in r.steps] == ["search_guidelines"] and not r.findings


def test_other_lines_with_no_line_applied_for_lists_every_line_we_can_offer(cp):  # noqa: F811
    *_, r = chat(
        cp, "custom software shop in Durham NC, NAICS 541511, 22 employees, revenue 3.6M: what should we pitch?", "open"
    )
    assert [f["task_type"] for f in r.findings] == ["product_recommendation"]
    assert r.answer.startswith("We can offer")


@pytest.mark.parametrize(
    ("text", "state", "description"),
    [
        ("plumber tulsa, 8 guys, GL?", "OK", "plumber"),
        ("AV rental co nashville, 26 ees. GL?", "TN", "AV rental co"),
        ("denver roofing contractor, 12 employees, small?", "CO", "roofing contractor"),
    ],
)
def test_a_city_beside_a_short_trade_says_the_state(catalog, text, state, description):
    from graph.offline.facts import parse

    facts = parse(text, catalog).facts
    assert (facts.get("state"), facts.get("description")) == (state, description)


@pytest.mark.parametrize(
    "text",
    ["Sunrise Terrace assisted living, 40 staff", "Valley Tank & Haul, 12 drivers"],  # a city's name begins the name
)
def test_a_city_in_a_company_name_says_no_state(catalog, text):
    from graph.offline.facts import parse

    assert "state" not in parse(text, catalog).facts


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("title agency in boise, 6 closers - GL?", "title agency"),  # no rule's pattern, a trade's head word
        ("skating rink 3 sheets of ice, up in duluth. limits for GL?", "skating rink"),  # cut before its count
        ("asset-light customs broker, rev 4M. small?", "asset-light customs broker"),  # our word after a trade's
    ],
)
def test_what_is_left_of_an_opening_names_the_business_by_its_head_word(catalog, text, description):
    from graph.offline.facts import parse

    assert parse(text, catalog).facts.get("description") == description


@pytest.mark.parametrize(
    "text",
    ["what about the trailers for auto?", "need a quote on GL for them?", "the broker wants GL, thoughts?"],
)
def test_a_question_or_a_request_is_no_description(catalog, text):
    from graph.offline.facts import parse

    assert "description" not in parse(text, catalog).facts


@pytest.mark.parametrize(
    ("text", "asked", "fact", "value"),
    [
        ("ice rink, sales 2.2M, they want 3M cyber", None, "annual_revenue", 2_200_000),  # the line's limit
        ("tile store, 8 staff. is the ded the usual one (10k)?", None, "annual_revenue", None),
        ("Sales: $2.4M   Full-time employees: 23   Trucks: 4", None, "employees", 23),  # the next field's label
        ("no truck rentals, just the shop", None, "vehicles", None),
        ("policy #TX-0098812, 40 employees", None, "state", None),  # a code's letters
    ],
)
def test_numbers_and_codes_that_name_no_fact(catalog, text, asked, fact, value):
    from graph.offline.facts import parse

    assert parse(text, catalog, asked).facts.get(fact) == value


def test_a_form_line_of_a_line_holds_its_values_not_revenue(catalog):
    from graph.offline.facts import parse

    text = "Riverside Millwork LLC\n21 employees / $3.1M\nProperty: bldg 2.2M, BPP 750K\nstd property ded?"
    assert parse(text, catalog).facts.get("annual_revenue") == 3_100_000


@pytest.mark.parametrize(
    ("text", "state"),
    [
        (
            "Re: BOP quote for Pine & Pearl Bakery, 12 Dock St, Bath ME 04530, 9 staff",
            "ME",
        ),  # past a pair naming no state
        ("fish smokehouse at La Porte, TX 77571, 40 staff", "TX"),  # "La" is a word of the name
        ("linden insurance services in hattiesburg, 6 staff, cyber?", "MS"),  # a place said with "in" wins
    ],
)
def test_the_state_of_an_address_or_a_place_said(catalog, text, state):
    from graph.offline.facts import parse

    assert parse(text, catalog).facts.get("state") == state


@pytest.mark.parametrize(
    ("text", "task"),
    [
        ("optician, 5 staff, they have GL with us - anything else?", "product_recommendation"),
        ("the app coded it as a gym. is that right?", "classification"),
        ("sports bar code or restaurant code?", "classification"),
    ],
)
def test_what_a_short_question_asks(text, task):
    from graph.offline.facts import detect_task

    assert detect_task(text) == task


def test_a_describing_clause_asks_no_appetite(cp):  # noqa: F811
    r = cp.send(cp.new_thread().id, "fargo nd bakery. makes wedding cakes + caters. naics pls")
    assert "Which NAICS code fits" in r.answer or r.findings
    assert "line of business" not in r.answer


def test_the_code_our_classification_gave_is_not_offered_again(cp):  # noqa: F811
    tid = cp.new_thread().id
    first = cp.send(tid, "naics for a company that installs and services elevators in office buildings")
    assert [f["task_type"] for f in first.findings] == ["classification"]
    then = cp.send(tid, "and is GL in appetite for them in MN, 12 employees")
    assert "Which NAICS code fits" not in then.answer


def test_a_line_inside_a_product_we_do_not_write_is_no_line(catalog):
    from graph.reader.read import read

    assert [line.value for line in read("wants BOP plus pollution liability", catalog, None).lines] == ["bop"]


@pytest.mark.parametrize(
    ("text", "fact", "value"),
    [("deli, 11 empl, 900k sales", "employees", 11), ("deli, 11 employe, 900k revnue", "annual_revenue", 900_000)],
)
def test_a_fact_noun_typed_short_or_with_a_letter_dropped_still_names_its_figure(catalog, text, fact, value):
    from graph.offline.facts import parse

    assert parse(text, catalog).facts.get(fact) == value


def test_a_correction_of_the_place_is_no_description(catalog):
    from graph.offline.facts import parse

    assert "description" not in parse("oh wait, it is el paso", catalog).facts


def test_two_questions_joined_before_the_second_noun_are_both_asked():
    from graph.offline.facts import detect_tasks

    assert detect_tasks("limits n ded on their auto?") == ["policy_limits", "deductible"]


def test_no_code_but_what_the_business_does_describes_it(catalog):
    from graph.offline.facts import parse

    got = parse("dunno the naics, they haul refrigerated freight long distance", catalog, "naics")
    assert got.facts.get("description") == "they haul refrigerated freight long distance"


def test_what_a_junior_may_bind_is_a_question_about_the_rules(catalog):
    from graph.offline.facts import parse

    assert parse("can a junior uw sign off on a 2M auto limit?", catalog).intent == "guidelines"


@pytest.mark.parametrize("text", ["fuel jobber, 6 tankers, GL?", "towing outfit with 9 wreckers - auto ok?"])
def test_a_trade_word_for_its_vehicles_counts_them(catalog, text):
    from graph.offline.facts import parse

    assert parse(text, catalog).facts.get("vehicles") in (6, 9)


@pytest.mark.parametrize(
    ("text", "asked", "ctype"),
    [
        ("cinder block walls, wood rafters", "construction", "III"),
        ("it's JM", "construction", "III"),
        ("all wood studs", "construction", "V"),
        ("warehouse in Reno NV, bldg is CMU walls with a steel deck roof - property?", None, "II"),
    ],
)
def test_a_building_named_by_its_materials_or_iso_class_has_its_type(catalog, text, asked, ctype):
    from graph.offline.facts import parse

    got = parse(text, catalog, asked).facts.get("construction")
    assert got is not None and catalog.construction(got) == ctype


def test_a_material_the_business_works_is_no_building(catalog):
    from graph.offline.facts import parse

    assert "construction" not in parse("sheet metal fabricator, wood pallets too, 9 emps - GL?", catalog).facts


def test_a_possessive_fact_noun_still_names_its_figure(catalog):
    from graph.offline.facts import parse

    assert parse("payroll's around 2.4m - wc ok?", catalog).facts.get("annual_payroll") == 2_400_000


def test_a_correction_after_an_amount_replaces_it_before_any_line_named_next(catalog):
    from graph.offline.facts import parse

    got = parse("payroll 1.1M, sorry, 1.4M. GL?", catalog).facts
    assert got.get("annual_payroll") == 1_400_000 and "annual_revenue" not in got


@pytest.mark.parametrize(
    ("text", "n"), [("Staff: FT 9 / PT 4", 13), ("6 full-time and 2 part-time people", 8), ("30 ees (25 FT, 5 PT)", 30)]
)
def test_full_and_part_time_heads_are_one_headcount(catalog, text, n):
    from graph.offline.facts import parse

    assert parse(text, catalog).facts.get("employees") == n


@pytest.mark.parametrize("text", ["Customer ID 20931-7, Tucson AZ 85701", "tax id 58-0012345 / Tucson, AZ"])
def test_an_identifier_label_is_no_state(catalog, text):
    from graph.offline.facts import parse

    assert parse(text, catalog).facts.get("state") == "AZ"


@pytest.mark.parametrize(("text", "state"), [("dentist office in me, 8 staff", None), ("vet clinic in pa, gl?", "PA")])
def test_a_lower_case_code_after_in_is_the_state_unless_it_is_a_pronoun(catalog, text, state):
    from graph.offline.facts import parse

    assert parse(text, catalog).facts.get("state") == state


@pytest.mark.parametrize("text", ["plasterer ga 12 guys wc quote", "welders tn, 2.2m rev, gl please"])
def test_a_trade_then_a_state_code_is_what_they_do_and_where(catalog, text):
    from graph.offline.facts import parse

    got = parse(text, catalog).facts
    assert got.get("state") in ("GA", "TN") and got.get("description") in ("plasterer", "welders")


@pytest.mark.parametrize("text", ["and cyber by itself?", "their auto is placed with another carrier"])
def test_words_about_the_cover_describe_no_business(catalog, text):
    from graph.offline.facts import parse

    assert "description" not in parse(text, catalog).facts


def test_a_place_after_in_within_a_pasted_body_says_the_state(catalog):
    from graph.offline.facts import parse

    text = (
        "Fwd: new acct\n\nThey run a 40 room motel in Spokane, 9 staff, rev 1.4M.\nProperty?\n\n--\nDana Ruiz\nBoise ID"
    )
    assert parse(text, catalog).facts.get("state") == "WA"


def test_knowing_without_a_negation_is_no_unknown(catalog):
    from graph.offline.facts import parse

    got = parse("i know the payroll is 800k, wc ok?", catalog)
    assert got.facts.get("annual_payroll") == 800_000 and not got.unknown


@pytest.mark.parametrize("text", ["could we ever write auto for a tow outfit?", "can we honestly take the GL here"])
def test_an_adverb_inside_can_we_write_still_asks_the_appetite(text):
    from graph.offline.facts import detect_task

    assert detect_task(text) == "appetite"


@pytest.mark.parametrize(
    "text", ["adjusters who handle auto claims for carriers - cyber limits?", "GL class code 91342 on the app, cyber?"]
)
def test_a_word_about_a_line_is_not_the_line_asked(catalog, text):
    from graph.offline.facts import parse

    assert parse(text, catalog).facts.get("lob") == "cyber"


def test_a_count_the_tagger_missed_is_read_by_its_own_noun(catalog):
    from graph.reader.read import read

    got = read("hvac contractor oh gl, 22 trucks on the policy 41 emps", catalog, None).values()
    assert got.get("employees") == 41 and got.get("vehicles") == 22


def test_two_cell_rows_of_a_pasted_table_are_label_lines(catalog):
    from graph.offline.facts import parse

    table = (
        "| item | detail |\n|---|---|\n| Insured | Oak Hollow Dental |\n| Staff | 17 |\n| Gross receipts | $2,300,000 |"
    )
    tabbed = "Insured\tOak Hollow Dental\nStaff\t17\nGross receipts\t$2,300,000"
    for text in (table, tabbed):
        got = parse(text + "\n\nsmall?", catalog).facts
        assert got.get("employees") == 17 and got.get("annual_revenue") == 2_300_000


def test_label_lines_keep_every_character_in_place():
    from graph.reader.read import as_label_lines

    for text in ["| a | b |\n|---|---|\n| Staff | 17 |", "Staff\t17\nx\ty\tz", "no table here | at all"]:
        assert len(as_label_lines(text)) == len(text)


@pytest.mark.parametrize(
    ("text", "ctype"),
    [
        ("deli in tulsa ok, the walls are cinder block but the roof is wood frame - property?", "III"),
        ("property for a gift shop, wood walls and a metal roof", "V"),
        ("block walls with steel joists and deck, property?", "II"),
    ],
)
def test_walls_and_roof_of_different_materials_are_classed_together(catalog, text, ctype):
    from graph.offline.facts import parse

    got = parse(text, catalog).facts.get("construction")
    assert got is not None and catalog.construction(got) == ctype


@pytest.mark.parametrize(("text", "fact", "n"), [("9 full timers and 2 part timers", "employees", 11),
                                                 ("plumber in Mesa AZ, 3 service vans - auto?", "vehicles", 3)])  # fmt: skip
def test_counts_said_with_a_kind_word_are_read(catalog, text, fact, n):
    from graph.offline.facts import parse

    got = parse(text, catalog).facts
    assert got.get(fact) == n and got.get("description") != "service"


@pytest.mark.parametrize(
    "recap",
    ["what have I given you on this one?", "remind me what I gave you", "sum up what you have, please"],
)
def test_a_question_about_the_facts_given_says_them_back_and_records_nothing(cp, recap):  # noqa: F811
    first, r = chat(
        cp, "dental office in Boise ID, NAICS 621210, 14 staff, sales about $2.1M, payroll unknown. small?", recap
    )
    assert first.finding is not None
    assert r.finding is None and r.steps == []
    for said in ("14 employees", "revenue $2.1M", "NAICS 621210", "ID", "dental office"):
        assert said in r.answer
    assert "annual payroll" in r.answer.split("Not known:")[1]  # what they said nobody knows, apart


def test_a_question_about_the_facts_while_a_code_choice_is_open_is_no_description(cp):  # noqa: F811
    first, second, third = chat(
        cp, "sign shop in Tulsa OK, 6 employees, rev 700k: GL?", "what did I say about staff", "1"
    )
    assert "NAICS code fits" in first.answer
    assert "6 employees" in second.answer and second.answer.endswith(first.answer)  # the choice asked again
    assert "what did I say" not in second.answer  # not taken as what the business does
    assert second.readings == []  # nor read back as one
    assert third.finding is not None and third.finding["task_type"] == "appetite"


def test_a_recap_before_anything_is_said_says_so(cp):  # noqa: F811
    (r,) = chat(cp, "what have I told you so far?")
    assert r.finding is None and "not told me anything" in r.answer


def test_a_short_question_after_many_facts_is_what_the_message_asks(cp):  # noqa: F811
    # the facts drown the question for the whole message's classifier; its last clause asks it
    (r,) = chat(cp, f"{FACTS}, they're on GL, anything else")
    assert [f["task_type"] for f in r.findings] == ["product_recommendation"]


def test_a_classification_question_with_a_fitting_code_given_confirms_it(cp):  # noqa: F811
    (r,) = chat(cp, "which naics is right for a tire shop doing alignments and brakes? application says 811198")
    assert r.finding is not None and "the code given, 811198" in r.answer  # replaced, and said so
    (fits,) = chat(cp, "code check: tax preparation office, the form lists 541213")
    assert fits.finding is not None and fits.finding["naics"] == "541213" and "code given fits" in fits.answer


_MAIL = "From: Nina Shah <nina@brightlinebrokers.com>\n{when}\nSubject: {subject}\n\n{body}\nNina | 555-010-2233"


@pytest.mark.parametrize(
    ("text", "company"),
    [  # a header's weekday, a street address, a form's label column, a plural noun, a subject's shorthand
        (_MAIL.format(when="Date: Fri, Oct 3, 2025 at 4:10 PM", subject="renewal", body="Tow yard in Akron OH."), None),
        (
            _MAIL.format(when="Sent: Tue 1/14/2025 9:00 AM", subject="New - Pell Towing", body="Tow yard, 4 trucks."),
            "Pell Towing",
        ),  # fmt: skip
        ("Sign shop at 310 Lorimer Ave, Trenton NJ 08608, which code?", None),
        ("Name        Osprey Marine Supply\nLocation    Mystic, CT\nRevenue     $2,000,000", "Osprey Marine Supply"),
        ("Can we write the property too? Greenhouses are glass on steel frames.", None),
        (
            "small or not? copied from their form:\n\nInsured | City | ST | NAICS\nBluestem Survey Inc | Wichita | KS | 541370\n",
            "Bluestem Survey Inc",
        ),  # fmt: skip
        (
            _MAIL.format(
                when="Sent: Thu 9/4/2025 8:00 AM",
                subject="Renewal - Kestrel Freight, pol # CA-1234567",
                body="9 power units, flatbed out of Omaha NE. Auto deductible?",
            ),
            "Kestrel Freight",
        ),  # fmt: skip
        (
            _MAIL.format(
                when="Sent: Mon 3/3/2025 1:00 PM",
                subject="GL - Tern Print",
                body="Tern Printing & Graphics LLC, 9 employees, in Dover DE. GL?",
            ),
            "Tern Printing & Graphics LLC",
        ),  # fmt: skip
    ],
)
def test_words_that_only_look_like_a_name_are_not_the_applicant(catalog, text, company):
    from graph.offline.facts import parse

    assert parse(text, catalog).company == company


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("residential GC in tulsa, revenue 6M, small?", "residential GC"),  # a trade's shorthand
        ("MSP in toledo, rev 3M, cyber?", "MSP"),
        ("PI firm in el paso tx, 9 employees, rev 1.1M", "PI firm"),
        ("Marsh Lane Partners (architecture firm), revenue 2M, Austin TX. cyber?", "architecture firm"),  # brackets
        ("Tannery in Gloversville NY, 30 employees; what else could we write?", "Tannery"),  # capital first word
        ("Cider mill in Hood River OR, 11 employees.", "Cider mill"),
        (
            _MAIL.format(
                when="Sent: Wed 2/5/2025 10:00 AM",
                subject="Cyber - Harbor MSP",
                body="Harbor Managed Tech LLC, 77 W 3rd St, Dayton OH 45402. MSP, revenue $4.2M. Cyber limits?",
            ),
            "MSP",
        ),  # fmt: skip
        (
            _MAIL.format(
                when="Sent: Wed 4/2/2025 2:00 PM",
                subject="code?",
                body="Liquor store, no deli. Wine, beer, mixers. 12 Court St, Elmira NY. Which code?",
            ),
            "Liquor store",
        ),  # fmt: skip
    ],
)
def test_a_description_in_shorthand_or_brackets_is_read(catalog, text, description):
    from graph.offline.facts import parse

    assert parse(text, catalog).facts.get("description") == description


@pytest.mark.parametrize(
    ("short", "says"),
    [("commercial GC", "general contractor"), ("MSP", "managed computer services"), ("b & b", "bed-and-breakfast")],
)
def test_a_trades_shorthand_is_classified_by_what_it_stands_for(short, says):
    from graph.offline.facts import expand_abbreviations

    assert says in expand_abbreviations(short)


@pytest.mark.parametrize(
    "text",
    [
        "Could we write the property for them? Sheds are pre-engineered metal.",  # the building's subject
        "property as well? Kennels are masonry.",
        "is this one small? copied from the broker's sheet",  # a verb, no trade
    ],
)
def test_words_about_the_building_or_the_paste_are_no_description(catalog, text):
    from graph.offline.facts import parse

    assert "description" not in parse(text, catalog).facts


def test_a_description_that_names_its_customers_is_no_request_for_a_product(cp):  # noqa: F811
    first, second = chat(
        cp,
        "auto in appetite? 9 trucks, Oregon",
        "they run a garden center selling plants and mulch to landscapers and homeowners",
    )
    assert "do not write" not in second.answer and "NAICS" in second.answer


def test_the_read_back_chip_wording_corrects_the_fact_and_describes_nothing(cp):  # noqa: F811
    first, second = chat(
        cp, "GL for a pet grooming salon in Tulsa OK, NAICS 812910, 9 staff, rev 800k?", "correction: employees is 11"
    )
    assert "11" in second.answer and "what the business does is correction" not in second.answer
    (r,) = chat(cp, "correction: employees is 11")
    assert r.readings and all(x.fact != "description" for x in r.readings)


def test_a_correction_while_the_code_is_asked_is_the_figure_it_names(cp):  # noqa: F811
    first, second = chat(
        cp, "cyber for an insurance office in Boise ID, 8 employees, revenue 600k?", "correction: revenue is 650000"
    )
    assert "650000 is not a NAICS code" not in second.answer
    assert any(x.fact == "annual_revenue" and x.value == 650_000 for x in second.readings)


def test_a_code_stated_a_few_words_on_is_no_question_about_the_code(cp):  # noqa: F811
    (r,) = chat(cp, "Dog daycare in Reno NV, 11 employees, revenue 900k. NAICS on the form is 812910. GL and property?")
    assert [f["task_type"] for f in r.findings][:1] == ["appetite"]


def test_a_recap_names_every_line_asked_of(cp):  # noqa: F811
    first, second = chat(
        cp, "florist in Macon GA, NAICS 459310, 6 staff, rev 500k: cyber and auto?", "what do you have so far?"
    )
    assert "Cyber" in second.answer and "Commercial Auto" in second.answer


def test_saying_another_fact_is_unknown_keeps_the_code_choice_open(cp):  # noqa: F811
    first, second = chat(
        cp, "plumbing outfit in Dayton OH, 18 staff, appetite for GL?", "we don't have their sales figure"
    )
    assert "NAICS code fits" in first.answer
    assert second.answer.endswith(first.answer.split(". ")[-1])  # the same choice, offered again
    assert "Do you know the business's NAICS code" not in second.answer


def test_a_message_with_nothing_to_read_after_an_answer_stays_with_the_business(cp):  # noqa: F811
    first, second = chat(cp, OPENING, "hmm ok, gimme a sec")
    assert first.finding is not None and second.finding is None
    assert second.answer.startswith("What would you like to know about")


def test_a_recap_of_one_fact_says_that_fact(cp):  # noqa: F811
    opening = "tire shop in Macon GA, NAICS 811198, 7 staff, sales 900k, payroll not known: GL?"
    first, one, none = chat(cp, opening, "remind me, which sales number did I give you", "how many trucks did i say?")
    assert "revenue $900,000" in one.answer and "7 employees" not in one.answer
    assert none.answer.startswith("You have not told me the number of vehicles")


@pytest.mark.parametrize(
    ("description", "offered", "code"),
    [
        ("nail salon", ["812113", "812112", "611511"], "812113"),  # the title said: nothing to pick
        ("dentist's office", ["621210", "621399"], "621210"),  # "Offices of Dentists", in any order and number
        ("small motel off the highway", ["721110", "721191"], "721110"),  # one of two one-word trades of a title
        ("toy store", ["339930", "459120"], None),  # a word of two titles names neither
        ("casino hotel", ["721120", "721110"], None),  # two titles said: the underwriter picks
        ("bakery", ["311811", "311812"], None),  # a part of a title is not the title
    ],
)
def test_a_description_that_says_a_candidates_title_in_full_needs_no_pick(catalog, description, offered, code):
    from graph.offline.choice import named_by_title

    assert named_by_title(description, offered, catalog.naics_titles) == code


# --- round 11 (r11a tune part): unknowns said as "not sent yet", and a dash that is no minus sign ------------------


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("agent hasn't sent the payroll", "annual_payroll"),
        ("revenue: still waiting on the broker", "annual_revenue"),
        ("they won't tell us the headcount", "employees"),
        ("we don't have the vehicle count yet", "vehicles"),
    ],
)
def test_a_fact_not_sent_yet_or_kept_back_is_unknown(text, fact):
    from graph.offline.facts import unknown_facts

    assert fact in unknown_facts(text)


def test_waiting_said_of_something_else_is_no_unknown():
    from graph.offline.facts import unknown_facts

    assert unknown_facts("6 vans, 2 of them waiting for new tires") == set()


def test_a_dash_between_figures_is_no_minus_sign(toolkit):
    from graph.offline.facts import parse

    p = parse("Tractors 6, box trucks 3 -- 9 power units\nSales ~4M\nauto ok?", toolkit.ctx.catalog)
    assert not p.invalid and p.facts["vehicles"] == 9 and p.facts["annual_revenue"] == 4_000_000


def test_a_code_asked_about_is_checked_not_taken(cp):  # noqa: F811
    """ "is that <code> or something else?" asks whether the code is right: the closest code answers (offered to pick
    when the description is short), never "the code given fits" because the code asked about is among the three."""
    (r,) = chat(cp, "youth soccer training camps in tampa fl. is 713940 right?")
    assert r.finding is not None and r.finding["naics"] == "611620" and "713940" in r.answer
    assert "fits" not in r.answer
    first, pick = chat(cp, "kids swim lessons in tampa fl - is that 713940 or something else?", "611620")
    assert first.finding is None and "611620" in first.answer
    assert pick.finding is not None and pick.finding["naics"] == "611620"
    (stated,) = chat(cp, "youth soccer training camps in tampa fl, app says naics 611620. code?")
    assert stated.finding["naics"] == "611620" and "fits" in stated.answer  # a code stated, not doubted, stands


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("gl for the pier 39 bakery in monterey ca?", "bakery"),  # a number inside a name, then its trade
        ("Taco truck w/ catering, 4 staff, GL?", "Taco truck w/ catering"),  # what comes with the trade stays with it
    ],
)
def test_descriptions_around_a_number_or_a_joining_word(toolkit, text, description):
    from graph.offline.facts import parse

    assert parse(text, toolkit.ctx.catalog).facts.get("description") == description


@pytest.mark.parametrize("what_if", ["what if they had 20 staff?", "suppose headcount drops to 20, still a no?"])
def test_a_what_if_changes_no_fact_and_records_nothing(cp, what_if):  # noqa: F811
    opening = "GL for a night patrol company in Reno NV, naics 561612, 64 employees, 3.1M revenue - in appetite?"
    first, supposed, after = chat(cp, opening, what_if, "what deductible then?")
    assert first.finding["appetite"] == "no"
    # the question in hand answered with the figure supposed, said as a what-if, recorded nowhere
    assert supposed.findings == [] and supposed.answer.startswith("What if (20 employees): Yes")
    assert supposed.readings == []  # nothing was read as a fact of the applicant
    assert [f["facts"]["employees"] for f in after.findings] == [64]  # the figure given stands


def test_a_what_if_before_any_question_changes_no_fact(cp):  # noqa: F811
    (r,) = chat(cp, "what if the insured had 30 trucks")
    assert r.steps == [] and r.findings == [] and "what-if" in r.answer


PLUMBER = "plumbing contractor in Boise ID, naics 238220, 11 employees, 2.2M revenue, 5 vans"


def test_each_question_of_a_message_takes_the_line_its_own_clause_names(cp):  # noqa: F811
    *_, r = chat(cp, f"{PLUMBER}: GL in appetite?", "ded on auto and the property limits?")
    assert [(f["task_type"], f["facts"]["lob"]) for f in r.findings] == [
        ("deductible", "auto"),
        ("policy_limits", "property"),
    ]


@pytest.mark.parametrize("follow_up", ["deductibles for both?", "and the deductible on each of them"])
def test_both_asks_of_the_lines_the_last_question_named(cp, follow_up):  # noqa: F811
    *_, r = chat(cp, f"{PLUMBER}. can we write auto and property?", follow_up)
    assert [(f["task_type"], f["facts"]["lob"]) for f in r.findings] == [
        ("deductible", "auto"),
        ("deductible", "property"),
    ]
    assert "Noted" not in r.answer  # "both" describes no business


def test_asked_whether_the_case_goes_to_a_senior_the_answer_says_where_it_stands(cp):  # noqa: F811
    declined = "GL for a night patrol company in Reno NV, naics 561612, 64 employees, 3.1M revenue - in appetite?"
    *_, none = chat(cp, declined, "do i need to escalate this?")
    assert none.answer.startswith("In this case: nothing has been referred") and "[referral-triggers]" in none.answer
    inn = "inn in Savannah GA, naics 721191, 9 employees, 1.4M revenue, poured concrete bldg - property ok?"
    first, referred = chat(cp, inn, "does it go to a senior?")
    (ref,) = first.referrals  # hospitality property, in appetite: a senior approves it
    assert referred.answer.startswith(f"In this case: Referred to a senior underwriter ({ref.id})")
    assert referred.findings == []  # the question is about the case, nothing is redone
    *_, status = chat(cp, inn, "any news on my referral?")
    assert status.answer.startswith("In this case: Referred to a senior underwriter")
    (general,) = chat(cp, "when should a junior refer to a senior underwriter?")
    assert "In this case" not in general.answer and "[referral-triggers]" in general.answer


@pytest.mark.parametrize(
    "question",
    ["what needs a seniors approval", "when must a junior escalate to a senior?", "who signs off, a senior?"],
)
def test_our_own_process_words_describe_no_business(catalog, question):
    from graph.offline.facts import parse

    assert "description" not in parse(question, catalog).facts


@pytest.mark.parametrize(
    ("text", "task"),
    [
        ("which class would you put a kennel in?", "classification"),  # "class" alone: the trade's word for the code
        ("whats the right class for them", "classification"),
        ("what class of construction is the warehouse?", None),  # a building's class is no code
        ("cyber is bound already. anything else you can write?", "product_recommendation"),  # "you": the insurer
        ("are 75 staff small for a print shop? GL is the line", "small_business"),  # small for a trade, a figure
        ("is $14M small for a machine shop?", "small_business"),
    ],
)
def test_a_class_a_line_offered_by_you_and_small_for_a_trade_are_the_questions_they_ask(text, task):
    from graph.offline.facts import detect_task

    assert detect_task(text) == task


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("would a 2 chair barber shop count as small? 3 staff", "barber shop"),  # the question ends it; no size
        ("naics for a company that does overnight floor waxing? omaha", "company that does overnight floor waxing"),
        ("MSP, 14 techs. cyber?", "MSP"),  # a trade's shorthand alone is what it does, not the company's name
    ],
)
def test_a_business_inside_a_question_is_what_it_does(catalog, text, description):
    from graph.offline.facts import parse

    p = parse(text, catalog)
    assert p.facts.get("description") == description and p.company is None


@pytest.mark.parametrize(
    ("text", "construction"),
    [
        ("feed store, steel bldgs, property?", "steel"),  # "bldgs": the trade's shorthand for buildings
        ("horse boarding, two masonry barns", "masonry"),  # a barn is a building
        ("machine shop, 4 sheds, GL", None),  # a shed beside no material says nothing of the building
    ],
)
def test_a_building_by_its_shorthand_or_its_kind_takes_its_material(catalog, text, construction):
    from graph.offline.facts import parse

    assert parse(text, catalog).facts.get("construction") == construction


def test_could_not_tell_you_says_the_fact_asked_is_unknown(catalog):
    from graph.offline.facts import parse

    p = parse("couldn't tell you, the form skips it", catalog, "annual_payroll")
    assert p.unknown and "annual_payroll" not in p.facts


@pytest.mark.parametrize(
    ("text", "task", "trade"),
    [
        (
            "Harlan Paving, Reno NV\nAsphalt sealcoating, striping - commercial and residential\n3.1M / 22 emps",
            None,
            "striping",
        ),  # fmt: skip
        (
            "Ridgeway Millwork, Boise ID\nBuild custom cabinets - residential and commercial\n7 emps\n\nGL class?",
            "classification",
            "cabinets",
        ),  # fmt: skip
    ],
)
def test_who_a_business_serves_is_not_what_it_does(catalog, text, task, trade):
    from graph.offline.facts import parse

    p = parse(text, catalog)
    desc = str(p.facts.get("description"))
    assert p.task == task and trade in desc and "residential" not in desc.split("-")[0]


@pytest.mark.parametrize(
    "reply",
    [
        "the agent left it blank",
        "blank on their supp",
        "none given on the form",
        "the acord doesn't show it",
        "missing from the application",
        "beats me",
        "we'd have to check with the agent",
        "couldn't say",
    ],  # fmt: skip
)
def test_a_field_left_empty_says_the_fact_asked_is_unknown(catalog, reply):
    from graph.offline.facts import parse

    p = parse(reply, catalog, "vehicles")
    assert (p.unknown or "vehicles" in p.unknown_facts) and "vehicles" not in p.facts


@pytest.mark.parametrize(
    ("text", "task"),
    [
        ("could you quote anything more for the florist?", "product_recommendation"),
        ("is there anything else they might buy from us", "product_recommendation"),
        ("did they buy anything else from the old carrier", None),
        ("how should we code a dog daycare?", "classification"),
        ("would you class them as a kennel", "classification"),
        ("would the dental lab be deemed small", "small_business"),
    ],
)
def test_other_lines_the_code_and_the_size_asked_in_other_orders(text, task):
    from graph.offline.facts import detect_task

    assert detect_task(text) == task


def test_two_questions_of_two_lines_named_together_answer_each_of_each(cp):  # noqa: F811
    *_, r = chat(cp, f"{PLUMBER}: GL in appetite?", "limits + deductables on property and auto?")
    assert sorted((f["task_type"], f["facts"]["lob"]) for f in r.findings) == [
        ("deductible", "auto"),
        ("deductible", "property"),
        ("policy_limits", "auto"),
        ("policy_limits", "property"),
    ]  # no appetite check was asked of either line


def test_a_reply_mark_in_a_subject_is_no_company(catalog):
    from graph.offline.facts import parse

    pasted = "Subject: RE: RE: FW: new acct - Harbor View Dental\n\nDentist in Mobile AL, 9 staff, 1.3M. GL ok?\n\nDana"
    assert parse(pasted, catalog).company != "RE"


def test_a_question_about_the_rules_asked_instead_of_a_reply_keeps_our_question_open(cp):  # noqa: F811
    first, rules, reply = chat(
        cp,
        "plumbing contractor in Boise ID, naics 238220, 11 employees - small biz?",
        "what do the guidelines say about referrals?",
        "2.2M",
    )
    assert first.answer.endswith("annual revenue?") and rules.answer.endswith("annual revenue?")
    assert [f["facts"]["annual_revenue"] for f in reply.findings] == [2_200_000]


def test_the_help_texts_example_is_an_applicant_on_file(cp):  # noqa: F811
    import re as _re

    example = _re.search(r'"(Is [^"]+\?)"', prompts.OFFLINE_HELP)[1]
    (r,) = chat(cp, example)
    assert r.findings and r.findings[0]["facts"].get("applicant_id")  # found on file, answered, not asked about


def test_a_who_question_asked_instead_of_picking_a_code_describes_nothing_and_keeps_the_choice_open(cp):  # noqa: F811
    import re as _re

    first, rules, pick = chat(
        cp,
        "sign installer in Reno NV, 6 people, 900k in sales - is GL ok?",
        "who has to sign off if this turns out to be over my authority",  # no question mark, a question all the same
        "the first one",
    )
    codes = _re.findall(r"\b(\d{6})\b", first.answer)
    assert "Which NAICS code" in first.answer and len(codes) > 1
    assert "Which NAICS code" in rules.answer.split("From the guidelines")[-1]  # asked again after the rules
    assert "Noted" not in rules.answer  # nothing in it was read as what the business does
    assert [f["facts"]["naics"] for f in pick.findings] == [codes[0]]


def test_a_description_that_is_a_codes_own_title_needs_no_pick_and_a_loose_one_still_does(cp):  # noqa: F811
    (titled,) = chat(cp, "full service restaurant in Mesa AZ, 30 staff, 2.2M in sales - ok for GL?")
    assert "Which NAICS code" not in titled.answer
    assert [f["facts"]["naics"] for f in titled.findings] == ["722511"]
    (loose,) = chat(cp, "a place that does tacos and beer in Mesa AZ, 30 staff, 2.2M in sales - ok for GL?")
    assert "Which NAICS code" in loose.answer and not loose.findings


def test_a_thank_you_while_we_wait_for_a_pick_keeps_the_codes_on_offer(cp):  # noqa: F811
    first, thanks = chat(cp, "tattoo and piercing place in Eugene OR, 5 staff, 700k - GL?", "ok thank you")
    assert "Which NAICS code" in first.answer
    assert "Which NAICS code" in thanks.answer and "Do you know" not in thanks.answer


def test_a_limits_question_about_what_we_usually_do_is_answered_from_the_rules(cp):  # noqa: F811
    (r,) = chat(cp, "what limits do we normally write on GL")
    assert r.findings == [] and "[limits-standard]" in r.answer and "What does the business do" not in r.answer
    (own,) = chat(cp, "GL limits for a dry cleaner?")  # of a business: its own answer, not the rule alone
    assert "[limits-standard]" not in own.answer or own.findings


def test_facts_given_while_the_codes_are_on_offer_are_kept_and_the_codes_stay_on_offer(cp):  # noqa: F811
    tid = cp.new_thread().id
    first = cp.send(tid, "candle maker out of Springfield, 7 people, 800k in sales - property?")
    assert "Which NAICS code" in first.answer
    for reply in ("Illinois", "cinder block walls, wood trusses on the roof"):
        r = cp.send(tid, reply)
        assert "Which NAICS code" in r.answer and "Do you know" not in r.answer and not r.findings
    known = cp.known_facts(tid)
    assert known["state"] == "IL" and known.get("construction")
    last = cp.send(tid, "the first one")
    assert [f["facts"]["state"] for f in last.findings] == ["IL"]
    assert cp.known_facts(tid)["description"] != "the first one"


def test_a_pick_by_a_word_of_its_title_is_no_description(catalog):
    from graph.offline.facts import parse

    assert "description" not in parse("the wholesale one", catalog, "naics_choice").facts
