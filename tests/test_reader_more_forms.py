"""Forms of facts the reader had read wrong or not at all, one test per kind (round 11, issue 23).

Each message is written for these tests. The reader's tests need no database; the offline model's (``parse``) use
the seeded catalog.
"""

from __future__ import annotations

import pytest

from graph.offline.facts import parse
from graph.reader.read import read


def facts(text: str, asked: str | None = None) -> dict:
    return {k: v.value for k, v in read(text, None, asked).facts.items() if k in ("employees", "vehicles",
            "annual_revenue", "annual_payroll")}  # fmt: skip


# --- a correction that says the figure before was another party's ----------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the figure after the correction is the applicant's, however far from the one it replaces
        ("sheet metal shop in Dayton, 950 employees - wait, that's the holding company; this shop alone has 140",
         {"employees": 140}),
        ("bakery, revenue $40M. sorry, that was the parent's number, the bakery itself does 2.2M",
         {"annual_revenue": 2_200_000}),
        # no figure of its own after it: the other party's figure is dropped, none is put in its place
        ("warehouse in Reno, 600 staff. oops, that's the parent org. small?", {}),
    ],
)  # fmt: skip
def test_a_figure_disowned_as_another_partys_is_replaced_or_dropped(text, expected):
    assert facts(text) == expected


def test_a_later_statement_about_another_party_leaves_the_figure_before_it():
    assert facts("machine shop, 45 employees. Actually the parent company has 2,000.") == {"employees": 45}


# --- kinds of vehicle or of staff listed one after another are one whole ------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fleet: 3 box trucks, 2 cargo vans, 1 pickup", {"vehicles": 6}),
        ("courier in Omaha, 5 vans and 2 sedans, auto?", {"vehicles": 7}),
        ("crew of 7 carpenters and 3 office staff, revenue 2M", {"employees": 10, "annual_revenue": 2_000_000}),
        ("4 hygienists, 2 dentists + 3 front desk reps", {"employees": 9}),
        # the whole said first stands over its kinds; a breakdown in brackets is no addition
        ("14 vehicles, 6 of them vans", {"vehicles": 14}),
        ("10 vehicles, 4 vans", {"vehicles": 10}),
        ("Fleet: 9 (5 tractors, 4 pickups)", {"vehicles": 9}),
        ("35 staff, 8 drivers", {"employees": 35}),
        # a total said after the kinds is the total
        ("2 vans, 3 trucks, 5 in total", {"vehicles": 5}),
        # trailers are never vehicles, listed or not; a noun of another figure ends the list
        ("Units: 8 tractors, 12 trailers", {"vehicles": 8}),
        ("5 box trucks, 6 trailers, 2 pickups", {"vehicles": 7}),
        ("6 trucks, 9 drivers", {"vehicles": 6, "employees": 9}),
    ],
)  # fmt: skip
def test_listed_kinds_add_up_to_the_whole(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11 cooks plus a manager", {"employees": 12}),
        ("3 dump trucks and one pickup", {"vehicles": 4}),
        ("8 technicians and a bookkeeper, revenue 1.5M", {"employees": 9, "annual_revenue": 1_500_000}),
        ("12 employees and a dog", {"employees": 12}),
    ],
)  # fmt: skip
def test_one_more_said_in_words_after_a_count_is_counted(text, expected):
    assert facts(text) == expected


# --- words of what kind between a count and its noun ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("farm store, 15 yr-round employees, revenue 900k", {"employees": 15, "annual_revenue": 900_000}),
        ("ski shop with 6 year round staff", {"employees": 6}),
        ("3 locations and employees", {}),
    ],
)
def test_a_count_noun_after_words_of_what_kind_is_read(text, expected):
    assert facts(text) == expected


# --- replies that hedge ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "asked", "expected"),
    [
        ("maybe 20ish mil", "annual_revenue", {"annual_revenue": 20_000_000}),
        ("50-ish employees", None, {"employees": 50}),
        # a figure given again by whoever knows it, after a rough one, is the one that stands
        ("um around 12 mil, the CFO said 12.6 on our call", "annual_revenue", {"annual_revenue": 12_600_000}),
        ("about 80 people, HR confirmed 84", "employees", {"employees": 84}),
        # a reporting verb before a figure that counts something else changes nothing
        ("40 employees, the owner said 3 of them are part time", None, {"employees": 40}),
    ],
)
def test_rough_and_restated_figures(text, asked, expected):
    assert facts(text, asked) == expected


@pytest.mark.parametrize(
    ("text", "asked", "expected", "unknown"),
    [
        ("not sure, maybe 3.5M", "annual_revenue", {"annual_revenue": 3_500_000}, set()),
        ("no idea exactly, around 25?", "employees", {"employees": 25}, set()),
        ("dunno", "employees", {}, {"employees"}),
        # a doubt that names its fact, or a figure that counts something else, is no estimate of the question
        ("no idea on payroll, maybe 3 locations", "employees", {}, {"annual_payroll"}),
        ("not sure, 3 locations", "employees", {}, {"employees"}),
    ],
)
def test_a_guess_after_a_doubt_answers_the_question(text, asked, expected, unknown):
    reading = read(text, None, asked)
    assert facts(text, asked) == expected
    assert set(reading.unknown) == unknown


# --- the offline model's reading (seeded catalog) --------------------------------------------------------------------
@pytest.mark.parametrize("text", ["no vehicle list attached", "no fleet info given yet", "no truck schedule provided"])
def test_a_missing_paper_says_the_count_is_unknown_not_zero(catalog, text):
    p = parse(text, catalog, "vehicles")
    assert "vehicles" not in p.facts and (p.unknown or "vehicles" in p.unknown_facts)
    assert "lob" not in p.facts


def test_no_vehicles_at_all_is_still_zero(catalog):
    assert parse("no vehicles, they rent when needed", catalog, "vehicles").facts.get("vehicles") == 0


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("florist in st paul, GL?", "MN"),
        ("deli in St. Louis - appetite for bop?", "MO"),
        ("roofer in ft. worth, wc?", "TX"),
        ("HVAC contractor in Saint Petersburg, gl?", "FL"),
    ],
)
def test_a_city_named_with_a_short_saint_fort_or_mount_gives_its_state(catalog, text, state):
    assert parse(text, catalog).facts.get("state") == state


def test_a_line_named_at_the_end_of_its_own_line_is_the_line(catalog):
    text = "Ridgeline Cider Works\nCider maker, 14 employees\nLines: property\ncode?"
    assert parse(text, catalog).facts.get("lob") == "property"


@pytest.mark.parametrize("ask", ["code please", "Code pls", "code, plz", "pls code this one"])
def test_a_request_for_the_code_in_a_few_words_is_classification(catalog, ask):
    text = f"Maple Lane Pottery\nMakes stoneware mugs and plates, sells online\nOregon\n{ask}"
    assert parse(text, catalog).task == "classification"


def test_a_zip_code_request_is_no_classification(catalog):
    assert parse("zip code please", catalog).task is None


def test_a_form_line_saying_a_figure_is_unknown_describes_nothing(catalog):
    text = "Lakeside Rowing Club\nPayroll: unknown, waiting on the treasurer\nGL for regattas\nwhat code?"
    p = parse(text, catalog)
    assert "treasurer" not in str(p.facts.get("description") or "")


def test_a_lines_word_inside_the_company_name_yields_to_the_line_asked_for(catalog):
    text = "Northgate Glass & Auto, Fargo ND\nWindshield replacement shop, 8 employees\nGL requested"
    p = parse(text, catalog)
    assert p.company == "Northgate Glass & Auto" and p.facts.get("lob") == "general_liability"


def test_a_name_that_is_the_only_mention_of_a_line_keeps_it(catalog):
    assert parse("Acme Auto Body LLC wants auto", catalog).facts.get("lob") == "auto"


def test_a_figures_label_on_a_form_is_no_description(catalog):
    text = "PINE HOLLOW STORAGE\nStorage rental receipts: $1.1M\nEmployees: 3\nsmall?"
    assert "receipts" not in str(parse(text, catalog).facts.get("description") or "").lower()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "BLUE HERON MANAGEMENT\nManages ~600 condo units for HOAs\nRevenue $3M\nsmall?",
            "manages condo units",
        ),
        ("Ridge Co LLC\nInstalls garage doors for homebuilders\nGL?", "installs garage doors"),
    ],
)
def test_a_line_opening_on_what_the_business_does_describes_it_without_its_counts(catalog, text, said):
    assert str(parse(text, catalog).facts.get("description")).lower().startswith(said)


def test_a_correction_that_only_names_another_party_leaves_the_figure():
    assert facts("roofer, 40 employees. Actually it's owned by a parent company with 900 staff") == {"employees": 40}
