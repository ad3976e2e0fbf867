"""The domain tools, with expected answers worked by hand from the guidelines and the public SBA table
(guidelines/03-small-business.md, 04-appetite.md, 05-qualified-rules.md, 06-limits-deductibles.md)."""

from __future__ import annotations

import pytest


def ok(event):
    assert event.ok, event.result
    return event.result


# --- small business: SBA 2023 table: 516120 $47.0M receipts; 524126 1,500 employees ---------------------


@pytest.mark.parametrize(
    "args,small",
    [
        ({"naics": "516120", "annual_revenue": 47_000_000}, True),  # at the standard is small
        ({"naics": "516120", "annual_revenue": 47_000_001}, False),
        ({"naics": "516120", "annual_revenue": "$46.9M"}, True),
        ({"naics": "524126", "employees": 1500}, True),
        ({"naics": "524126", "employees": 1501}, False),
        ({"naics": "722511", "annual_revenue": "12,000,000"}, False),  # full-service restaurants: $11.5M
    ],
)
def test_small_business(call, args, small):
    r = ok(call("check_small_business", args))
    assert r["status"] == "decided" and r["small_business"] is small
    assert "small-business-rule" in r["sections"]


def test_small_business_asks_for_the_figure_its_standard_needs(call):
    r = ok(call("check_small_business", {"naics": "524126", "annual_revenue": 5_000_000}))
    assert r["status"] == "need_facts" and r["needs"] == ["employees"] and "employees" in r["question"]
    assert r["standard"]["measure"] == "employees" and r["standard"]["threshold"] == 1500


def test_small_business_reports_exceptions_and_missing_standards(call):
    r = ok(call("check_small_business", {"naics": "531110", "annual_revenue": 10_000_000}))
    assert r["standard"]["threshold"] == 34_000_000 and r["exceptions"]
    none = ok(call("check_small_business", {"naics": "921110", "annual_revenue": 1_000_000}))
    assert none["status"] == "refer" and none["small_business"] is None


# --- appetite --------------------------------------------------------------------------------------------

SMALL = {"annual_revenue": 900_000, "employees": 8}


@pytest.mark.parametrize(
    "args,appetite",
    [
        # B&B in Maine (721191, $9M standard) wants property: hospitality rule, Type I/II only.
        (
            {"naics": "721191", "state": "ME", "lob": "property", "construction": "wood frame, two stories", **SMALL},
            "no",
        ),
        (
            {
                "naics": "721191",
                "state": "ME",
                "lob": "property",
                "construction": "concrete columns, beams and floors",
                **SMALL,
            },
            "yes",
        ),
        (
            {
                "naics": "721191",
                "state": "ME",
                "lob": "property",
                "construction": "masonry walls with wood interior",
                **SMALL,
            },
            "no",
        ),
        # Other accommodation (721199) uses the general property rule: Types I-IV.
        ({"naics": "721199", "state": "ME", "lob": "property", "construction": "heavy timber", **SMALL}, "yes"),
        ({"naics": "721199", "state": "ME", "lob": "property", "construction": "Type V", **SMALL}, "no"),
        # Monopolistic WC states, whatever the size or payroll.
        ({"naics": "722511", "state": "Ohio", "lob": "workers' comp"}, "no"),
        ({"naics": "722511", "state": "TX", "lob": "WC", **SMALL}, "yes"),
        # Auto Qualified for trucking (484121, $34M standard): more than 20 vehicles declines.
        ({"naics": "484121", "state": "TX", "lob": "commercial auto", "vehicles": 21, "annual_revenue": "$6M"}, "no"),
        ({"naics": "484121", "state": "TX", "lob": "auto", "vehicles": 20, "annual_revenue": "$6M"}, "yes"),
        ({"naics": "484121", "state": "TX", "lob": "auto", "annual_revenue": "$6M"}, "qualified"),
        # WC Qualified for plumbing contractors (238220, $19M): payroll over $5M declines.
        (
            {
                "naics": "238220",
                "state": "FL",
                "lob": "workers compensation",
                "annual_payroll": 5_000_001,
                "annual_revenue": 15_000_000,
            },
            "no",
        ),
        (
            {
                "naics": "238220",
                "state": "FL",
                "lob": "workers compensation",
                "annual_payroll": 5_000_000,
                "annual_revenue": 15_000_000,
            },
            "yes",
        ),
        # Not small: out of appetite for every line (516120 TV stations, $47M).
        ({"naics": "516120", "state": "NY", "lob": "cyber", "annual_revenue": 60_000_000}, "no"),
        # Guide says No: declined without asking for size.
        ({"naics": "212114", "state": "WV", "lob": "property"}, "no"),
        # Cyber Qualified for dental offices (621210, $9M): revenue up to $10M.
        ({"naics": "621210", "state": "CA", "lob": "cyber", "annual_revenue": 3_100_000}, "yes"),
        # GL Qualified for fitness centers (713940, $17.5M): more than 50 employees declines.
        ({"naics": "713940", "state": "CO", "lob": "GL", "annual_revenue": 4_000_000, "employees": 51}, "no"),
        ({"naics": "713940", "state": "CO", "lob": "CGL", "annual_revenue": 4_000_000, "employees": 50}, "yes"),
        # BOP Qualified for restaurants (722511, $11.5M): revenue up to $5M.
        ({"naics": "722511", "state": "TX", "lob": "business owner's policy", "annual_revenue": 6_000_000}, "no"),
        ({"naics": "722511", "state": "TX", "lob": "BOP", "annual_revenue": 4_500_000}, "yes"),
    ],
)
def test_check_appetite(call, args, appetite):
    r = ok(call("check_appetite", args))
    assert r["appetite"] == appetite, r["reason"]
    assert r["sections"] and r["rules_applied"]


def test_appetite_names_every_rule_and_its_section(call):
    r = ok(
        call(
            "check_appetite",
            {
                "naics": "721191",
                "state": "Maine",
                "lob": "Property",
                "construction": "wood frame",
                "annual_revenue": "$0.9M",
            },
        )
    )
    rules = {s["rule"]: s for s in r["rules_applied"]}
    assert rules["small_business"]["outcome"] == "pass"
    assert rules["appetite_guide"]["outcome"] == "Qualified"
    assert rules["qualified_property"]["outcome"] == "fail"
    assert "property-hospitality-construction" in r["sections"] and "small-business-rule" in r["sections"]
    assert r["state"] == "ME" and r["lob"] == "property" and r["facts_used"]["annual_revenue"] == 900_000


def test_appetite_asks_for_missing_facts_one_at_a_time(call):
    first = ok(call("check_appetite", {"naics": "484121", "state": "TX", "lob": "auto"}))
    assert first["status"] == "need_facts" and first["needs"] == ["annual_revenue"] and first["appetite"] is None
    second = ok(call("check_appetite", {"naics": "484121", "state": "TX", "lob": "auto", "annual_revenue": 3_000_000}))
    assert second["needs"] == ["vehicles"] and "vehicles" in second["question"]


def test_monopolistic_state_cites_its_section(call):
    r = ok(call("check_appetite", {"naics": "541511", "state": "WY", "lob": "workers_compensation"}))
    assert r["appetite"] == "no" and "monopolistic-states" in r["sections"]


# --- recommendations -------------------------------------------------------------------------------------


def test_recommend_other_lines(call):
    # Restaurant in TX, $2M revenue, 30 staff, payroll $900k, 2 vehicles, masonry: all five others fit.
    r = ok(
        call(
            "recommend_lobs",
            {
                "naics": "722511",
                "state": "TX",
                "exclude_lob": "property",
                "annual_revenue": 2_000_000,
                "employees": 30,
                "annual_payroll": 900_000,
                "vehicles": 2,
                "construction": "masonry walls",
            },
        )
    )
    assert sorted(x["lob"] for x in r["recommended"]) == [
        "auto",
        "bop",
        "cyber",
        "general_liability",
        "workers_compensation",
    ]
    # Same in Ohio: no workers compensation.
    oh = ok(
        call(
            "recommend_lobs", {"naics": "722511", "state": "OH", "exclude_lob": "property", "annual_revenue": 2_000_000}
        )
    )
    assert "workers_compensation" not in [x["lob"] for x in oh["recommended"]]
    assert "workers_compensation" in [x["lob"] for x in oh["declined"]]


def test_recommend_nothing_for_a_business_that_is_not_small(call):
    r = ok(call("recommend_lobs", {"naics": "722511", "state": "TX", "annual_revenue": 20_000_000}))
    assert r["recommended"] == [] and "Not a small business" in r["reason"]


def test_recommend_asks_for_what_qualified_lines_need(call):
    r = ok(
        call("recommend_lobs", {"naics": "484121", "state": "TX", "exclude_lob": "auto", "annual_revenue": 3_000_000})
    )
    assert r["status"] == "need_facts" and "annual_payroll" in r["needs"]
    assert [x["lob"] for x in r["recommended"]] == ["general_liability", "property"] or sorted(
        x["lob"] for x in r["recommended"]
    ) == ["general_liability", "property"]


# --- limits and deductibles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "naics,lob,per_occ,agg",
    [
        ("522110", "cyber", 3_000_000, 5_000_000),
        ("517111", "cyber", 3_000_000, 5_000_000),
        ("518210", "cyber liability", 3_000_000, 5_000_000),
        ("621111", "cyber", 3_000_000, 5_000_000),
        ("622310", "cyber", 3_000_000, 5_000_000),
        ("622110", "cyber", 1_000_000, 2_000_000),  # only 622310 of the hospitals
        ("623110", "cyber", 3_000_000, 5_000_000),
        ("921110", "cyber", 3_000_000, 5_000_000),
        ("541511", "cyber", 1_000_000, 2_000_000),
        ("522110", "general liability", 1_000_000, 2_000_000),
        ("722511", "property", 1_000_000, 2_000_000),
    ],
)
def test_limits(call, naics, lob, per_occ, agg):
    r = ok(call("get_limits", {"naics": naics, "lob": lob}))
    assert (r["per_occurrence"], r["aggregate"]) == (per_occ, agg)
    assert r["sections"][0] in ("limits-standard", "limits-cyber-high-exposure")


@pytest.mark.parametrize(
    "naics,lob,amount",
    [
        ("484121", "auto", 5000),
        ("484220", "commercial auto", 5000),
        ("485310", "auto", 5000),
        ("485410", "auto", 5000),
        ("485510", "auto", 5000),
        ("487110", "auto", 5000),
        ("485210", "auto", 1000),  # 4852 is not in the list
        ("485991", "auto", 1000),
        ("722511", "auto", 1000),
        ("484121", "property", 500),
        ("541511", "cyber", 500),
        ("238220", "WC", 500),
    ],
)
def test_deductibles(call, naics, lob, amount):
    assert ok(call("get_deductible", {"naics": naics, "lob": lob}))["deductible"] == amount


# --- NAICS lookups ---------------------------------------------------------------------------------------


def test_get_naics_all_editions(call):
    r = ok(call("get_naics", {"code": "516120"}))
    assert r["edition"] == "2022" and r["title"] == "Television Broadcasting Stations"
    old = ok(call("get_naics", {"code": "511210"}))  # 2017 Software Publishers -> 2022 513210
    assert old["edition"] == "2017" and [m["code"] for m in old["maps_to_2022"]] == ["513210"]
    split = ok(call("get_naics", {"code": "515120"}))  # 2017 TV broadcasting splits in 2022
    assert {m["code"] for m in split["maps_to_2022"]} >= {"516120"} and "ask" in split
    e2012 = ok(call("get_naics", {"code": "454111"}))  # 2012 e-shopping -> 2017 454110 -> 2022 retail codes
    assert e2012["edition"] == "2012" and e2012["maps_to_2022"]
    assert not call("get_naics", {"code": "999999"}).ok


def test_classify_business_finds_obvious_codes(call_indexed):
    r = ok(
        call_indexed(
            "classify_business",
            {"description": "family dental practice with three dentists and hygienists cleaning teeth"},
        )
    )
    assert "621210" in [c["naics"] for c in r["candidates"][:3]]


def test_find_applicant(call, seeded_db):
    import sqlite3

    with sqlite3.connect(seeded_db["db"]) as conn:
        app_id, name = conn.execute("SELECT id, company_name FROM applicant ORDER BY id LIMIT 1").fetchone()
    by_id = ok(call("find_applicant", {"name_or_id": app_id.lower()}))
    assert by_id["applicant"]["company_name"] == name
    by_name = ok(call("find_applicant", {"name_or_id": name.upper()}))
    assert by_name["applicant"]["id"] == app_id
    typo = ok(call("find_applicant", {"name_or_id": name[:-1] + ("x" if name[-1] != "x" else "y")}))
    assert typo.get("applicant", {}).get("id") == app_id or app_id in [c["id"] for c in typo.get("candidates", [])]
    missing = ok(call("find_applicant", {"name_or_id": "Zzyzx Quantum Llama Holdings"}))
    assert missing["applicant"] is None and missing["candidates"] == [] and "ask the underwriter" in missing["note"]


# --- bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tool,args,kind,hint_has",
    [
        ("check_appetite", {"naics": "999999", "state": "TX", "lob": "auto"}, "invalid_argument", "classify_business"),
        ("check_appetite", {"naics": "722511", "state": "XX", "lob": "auto"}, "invalid_argument", "50 states"),
        (
            "check_appetite",
            {"naics": "722511", "state": "TX", "lob": "umbrella"},
            "guard_rejected",
            "workers_compensation",
        ),
        ("check_appetite", {"naics": "722511", "state": "TX", "lob": "pet insurance"}, "guard_rejected", "bop"),
        ("recommend_lobs", {"naics": "722511", "state": "TX", "exclude_lob": "EPLI"}, "guard_rejected", "cyber"),
        ("check_appetite", {"naics": "722511", "state": "TX"}, "invalid_argument", "lob"),
        ("check_appetite", {"naics": "722511", "state": "TX", "lob": "auto", "vehicles": -3}, "invalid_argument", None),
        (
            "check_appetite",
            {"naics": "722511", "state": "TX", "lob": "auto", "annual_revenue": "lots"},
            "invalid_argument",
            "4.5M",
        ),
        (
            "check_appetite",
            {"naics": "722511", "state": "TX", "lob": "auto", "annual_revenue": 1e15},
            "invalid_argument",
            None,
        ),
        ("check_appetite", {"naics": ["722511"], "state": "TX", "lob": "auto"}, "invalid_argument", "naics"),
        (
            "check_appetite",
            {"naics": "722511", "state": "TX", "lob": "auto", "colour": "red"},
            "invalid_argument",
            "takes",
        ),
        ("check_small_business", {"naics": "72251"}, "invalid_argument", "six digits"),
        (
            "check_appetite",
            {"naics": "722511", "state": "TX", "lob": "property", "construction": "a tent"},
            "invalid_argument",
            "wood frame",
        ),
        ("get_limits", {"naics": "722511", "lob": "D&O"}, "guard_rejected", "general_liability"),
        ("no_such_tool", {}, "invalid_argument", "check_appetite"),
    ],
)
def test_bad_input_says_what_is_valid(call, tool, args, kind, hint_has):
    event = call(tool, args)
    assert not event.ok and event.error_kind == kind, event.result
    assert event.result["error"]
    if hint_has:
        assert hint_has in event.result.get("hint", "") + event.result["error"]


def test_guard_rejections_are_recorded_events(toolkit):
    event = toolkit.call("check_appetite", {"naics": "722511", "state": "TX", "lob": "umbrella"})
    assert event.guard == [
        {"guard": "product", "argument": "lob", "value": "umbrella", "allowed": False, "products": ["umbrella"]}
    ]
    assert toolkit.events[-1] is event and event.duration_ms >= 0


@pytest.mark.parametrize(
    "question,section",
    [
        ("Can we write workers comp in Ohio?", "monopolistic-states"),
        ("what deductible for a taxi company's auto policy", "deductibles-auto-transport"),
        ("Do we sell umbrella policies?", "products-not-written"),
        ("B&B with wood frame building, property ok?", "property-hospitality-construction"),
    ],
)
def test_search_guidelines_finds_the_rule(call_indexed, question, section):
    r = ok(call_indexed("search_guidelines", {"query": question}))
    assert section in [s["id"] for s in r["sections"]]
    assert all(s["text"] and s["title"] for s in r["sections"])


def test_get_guideline_section(call):
    r = ok(call("get_guideline_section", {"section_id": "[auto-qualified]"}))
    assert r["id"] == "auto-qualified" and "20" in r["text"]
    missing = call("get_guideline_section", {"section_id": "nope"})
    assert not missing.ok and "auto-qualified" in missing.result["hint"]


def test_classify_business_reads_a_business_by_the_name_people_give_it(call_indexed):
    """Short names are matched to the Census index entries; the expected codes are the entries' own."""
    from seed_db.sources import read_index_entries

    top = ok(call_indexed("classify_business", {"description": "coffee shop", "k": 3}))["candidates"]
    assert top[0]["naics"] == "722515"  # "Coffee shops, on premise brewing", not 311920 Coffee and Tea Manufacturing
    entries = read_index_entries()
    sample = entries[::500]
    found = sum(
        code
        in [c["naics"] for c in ok(call_indexed("classify_business", {"description": entry, "k": 3}))["candidates"]]
        for code, entry in sample
    )
    assert found >= 0.9 * len(sample)


def test_figures_places_and_line_shorthand_are_not_read_as_the_business():
    from retrieval.business_words import BusinessWords

    words = BusinessWords.build(
        naics_words={"mobile", "homes", "auto", "repair"},
        cities=["Dallas", "Mobile", "Boise"],
        states={"TX": "Texas", "AL": "Alabama", "ID": "Idaho"},
        lob_synonyms=["gl", "general liability", "auto"],
    )
    assert words("GL for a security guard company in Dallas TX, 75 emps, rev 5M") == "security guard company"
    assert words("bakery in boise id with 12 employees and $900k in sales") == "bakery with and"
    assert words("dealer of mobile homes in Mobile, AL") == "dealer of mobile homes"  # the word stays, the city goes
    assert words("auto repair shop, 14 trucks") == "auto repair shop, trucks"  # a fleet says what the business does
    assert words("Texas") == "Texas" and words("75") == "75"  # nothing left: the text as it came
    # a model name is no state and no figure: letters, a hyphen and digits stay whole
    models = BusinessWords.build(set(), [], {"CO": "Colorado", "ID": "Idaho"}, [])
    assert models("refills CO-2 tanks and ID-9 scanners, 15 employees, CO") == "refills CO-2 tanks and ID-9 scanners"
    # an abbreviation that starts with a digit is no figure ("2FA", "4WD"); a sum in millions still is
    assert models("4WD upfitter, $3M revenue") == "4WD upfitter"


def test_the_head_clause_is_the_name_before_the_detail():
    from retrieval.business_words import head_clause

    assert head_clause("hay farm, 300 acres, sells bales to horse stables") == "hay farm"
    assert head_clause("pet groomer - baths, nail trims (dogs and cats)") == "pet groomer"
    assert head_clause("Ok: used bookshop. Also sells coffee") == "used bookshop"  # a two-letter opener is no name
    assert head_clause("locksmith") == "locksmith" and head_clause("-- 12 --") == "-- 12 --"


def test_acronyms_are_spelled_out_as_the_naics_texts_define_them_when_typed_in_capitals():
    from retrieval.acronyms import defined_acronyms, spell_out

    texts = ["Certified public accountants' (CPAs) offices", "Scanning, positron emission tomography (PET)"]
    texts += ["Professional employer organizations (PEOs)", "Offices of lawyers (except patent)", "Boats (e.g., RIB)"]
    acronyms = defined_acronyms(texts)
    assert acronyms == {
        "cpa": "certified public accountants",
        "pet": "positron emission tomography",
        "peo": "professional employer organizations",
    }
    assert spell_out("two PET scanners and a PEO", acronyms) == (
        "two positron emission tomography (PET) scanners and a professional employer organizations (PEO)"
    )
    # a trade's own shorthand reads as the trade means it, where the NAICS texts define it too
    assert spell_out("two CPAs", acronyms) == "two certified public accountant (CPAs)"
    assert spell_out("pet groomer, cpa firm", acronyms) == "pet groomer, cpa firm"  # lower case: a word


def test_the_trades_own_abbreviations_are_spelled_out_as_typed():
    from retrieval.acronyms import spell_out

    assert spell_out("a 3PL and a SaaS vendor", {}) == (
        "a third-party logistics warehousing (3PL) and a software publisher, software as a service (SaaS) vendor"
    )
    # typed otherwise they are words or other things: "saas", "Pt. Reyes", "it"
    assert spell_out("saas billing near Pt. Reyes, it is 3PLX", {}) == "saas billing near Pt. Reyes, it is 3PLX"
    assert spell_out("GCs and PT", {"gc": "gas chromatography"}).startswith("general contractor (GCs)")
    assert spell_out("IT IS A GC IN OHIO", {}) == "IT IS A GC IN OHIO"  # typed in capitals throughout
    # the definition stands where the acronym stood, so the name keeps its words before any bracket
    assert spell_out("mobile DJ, karaoke nights", {}) == "mobile disc jockey (DJ), karaoke nights"


def test_acronyms_typed_in_lower_case_are_spelled_out_when_they_are_no_word():
    from retrieval.acronyms import spell_out

    acronyms = {"peo": "professional employer organizations", "ai": "artificial intelligence"}
    words = {"it", "pt", "and", "a", "peo", "shop"}
    got = spell_out("gc and a msp shop", acronyms, words)
    assert got == "general contractor (gc) and a managed computer services provider (msp) shop"
    # a word of the texts stays; a defined acronym of two letters typed small is too likely something else
    assert spell_out("it and pt, a peo, ai", acronyms, words) == "it and pt, a peo, ai"
    assert spell_out("an rv dealer", acronyms, words) == "an recreational vehicle (rv) dealer"  # a trade's own
    assert spell_out("gc and a msp shop", acronyms) == "gc and a msp shop"  # without the words: capitals only


def test_trade_words_typed_with_a_slip_are_read_as_meant_and_other_words_are_left_alone():
    from collections import Counter

    from retrieval.business_words import Spelling

    counts = Counter({"plumbers": 5, "plumbing": 9, "contractors": 7, "liquor": 3, "stores": 8, "stones": 2})
    spelling = Spelling.build(counts, ["scones", "temp"])
    assert spelling("plumbr and contrcator, liqour sotres") == "plumber and contractor, liquor stores"
    assert spelling("cntrctr") == "contractor"  # the vowels dropped
    # a known word, a word with a letter replaced (another word as often as a slip), a capitalised name, a short word
    assert spelling("scones, stpnes, Plumbr Bros, plmb") == "scones, stpnes, Plumbr Bros, plmb"
    assert spelling("xliquor") == "xliquor"  # the first letter is as typed
    # in a long word the vowels may be mixed up; in a short one that makes another word as often
    more = Spelling.build(Counter({"separators": 4, "radios": 3, "cemeteries": 2}), [])
    assert more("seperator, cemetary") == "separator, cemetery"  # -ies: -y
    assert more("redoes") == "redoes"


def test_two_words_hyphenated_are_read_as_one_where_the_naics_texts_write_them_as_one():
    from collections import Counter

    from retrieval.business_words import Spelling

    spelling = Spelling.build(Counter({"warehousing": 3, "videotape": 2, "long": 9, "term": 9}), [])
    assert spelling("video-tape duplication, ware-housing") == "videotape duplication, warehousing"
    assert spelling("Video-tape library") == "Videotape library"
    assert spelling("long-term care, on-site") == "long-term care, on-site"  # written apart, or not at all


def test_what_a_description_denies_is_read_apart():
    from retrieval.business_words import denied

    assert denied("taqueria, no seating") == "seating"
    assert denied("caterer without a kitchen of its own; cooks on site") == "a kitchen of its own"
    assert denied("non-profit shelter and no boarding or grooming") == "profit\nboarding"
    assert denied("a bakery that ships cakes nationwide") == ""
    # a verb denied with "do not" / "don't" is denied with what follows it; a hedge is left alone
    assert denied("tile setter; they don't sell the tile") == "sell the tile"
    assert denied("surveyor, does not do any grading.") == "any grading"
    assert denied("Kennel. We do not breed puppies") == "breed puppies"
    assert denied("does not have a storefront") == ""
    assert denied("not just a gift shop, not sure of the rest") == ""
    assert denied("hauls gravel, not more than 6 trucks; parts incl. but not limited to axles") == ""
    # who owns it is no activity: a studio "not part of any college" still teaches
    assert denied("voice lessons studio, not part of any college, not affiliated with a church") == ""


def test_a_code_whose_title_names_what_is_denied_moves_down(toolkit, monkeypatch):
    import tools.naics
    from tools.naics import naics_classifier

    classifier = naics_classifier(toolkit.ctx)
    ids = classifier.index.ids
    marked = {ids[i] for i, hit in enumerate(classifier.titles_naming("no trucks, no caterers")) if hit}
    assert {"484110", "484121", "722320"} <= marked and "488510" not in marked
    # a title word many industries share names none of them, nor does a word like "in"
    assert not classifier.titles_naming("not in their offices; other services").any()
    text = "booking agent for party halls, we do not do catering"
    moved = classifier.scores(text)
    monkeypatch.setattr(tools.naics, "DENIED_TITLE_WEIGHT", 0.0)
    drop = classifier.scores(text) - moved
    assert drop[ids.index("722320")] == pytest.approx(0.1) and drop[ids.index("531120")] == pytest.approx(0.0)


def test_a_code_whose_title_leaves_out_what_a_description_names_moves_down(toolkit, monkeypatch):
    import tools.naics
    from tools.naics import naics_classifier

    classifier = naics_classifier(toolkit.ctx)
    ids = classifier.index.ids
    marked = {ids[i] for i, hit in enumerate(classifier.titles_excepting("retreads truck tires")) if hit}
    assert marked == {"326211"}  # Tire Manufacturing (except Retreading)
    marked = {ids[i] for i, hit in enumerate(classifier.titles_excepting("woven labels")) if hit}
    assert "313230" in marked  # Nonwoven Fabric Mills
    # every word of an item must be named ("Casino Hotels"), and a title that names both sides leaves out nothing
    assert not classifier.titles_excepting("motel next to a casino")[ids.index("721110")]
    assert not classifier.titles_excepting("mortgage broker")[ids.index("522310")]
    text = "tire retreading plant"
    moved = classifier.scores(text)
    monkeypatch.setattr(tools.naics, "EXCEPTED_WEIGHT", 0.0)
    drop = classifier.scores(text) - moved
    assert drop[ids.index("326211")] == pytest.approx(0.1) and drop[ids.index("326212")] == pytest.approx(0.0)


def test_how_a_submission_refers_to_the_business_is_not_read_as_the_business():
    from retrieval.business_words import BusinessWords

    words = BusinessWords.build(set(), [], {"OH": "Ohio"}, [])
    assert words("Hello - the insured is a locksmith") == "locksmith"
    assert words("Applicant repairs boat engines") == "repairs boat engines"
    assert words("our client: a tree nursery, 9 employees") == "tree nursery"
    assert words("quote attached. Insd is a tanning salon") == "quote attached. a tanning salon"
    # the same words where they are the business's own
    assert words("client services firm") == "client services firm"
    assert words("risk management consultancy") == "risk management consultancy"
    assert words("insured value appraisals") == "insured value appraisals"
    # a submission named as such, and a name's legal form, are the paperwork's words
    assert words("Hello - new submission for Kessler Tile Works, Inc., sets tile in homes") == (
        "Kessler Tile Works, sets tile in homes"
    )
    assert words("Submission: Harbor Row Rentals LLC") == "Harbor Row Rentals"
    assert words("submission portal software vendor") == "submission portal software vendor"


def test_a_names_head_noun_points_to_the_sectors_whose_index_entries_end_in_it():
    from retrieval.business_words import HeadNouns, head_noun

    assert head_noun("wireless retailer for a big carrier") == "retail"
    assert head_noun("pipeline contractor that lays lines") == "contractor"
    assert head_noun("123 -") is None
    # "w/" and "w/o" are "with" and "without": the name ends before them, not at the slash
    assert head_noun("taco truck w/ a trailer") == "truck" and head_noun("nail salon w/o pedicure chairs") == "salon"
    entries = [("811111", "Shops, automotive repair"), ("722515", "Coffee shops"), ("811310", "Welding repair shops")]
    entries += [("311920", "Coffee and tea manufacturing"), ("333992", "Welding equipment manufacturing")]
    nouns = HeadNouns.build(entries, min_entries=2)
    assert nouns.sectors("welding shop, mostly repairs on farm equipment") == {"81": 2 / 3, "72": 1 / 3}
    # "and" ends a description's name but stays inside an entry's ("Coffee and tea manufacturing")
    assert nouns.sectors("gear manufacturing, 20 employees") == {"31": 0.5, "33": 0.5}
    assert nouns.sectors("coffee and tea manufacturing") == {}  # "coffee": too few entries end in it


def test_a_business_named_by_its_practitioner_is_the_practitioners_office():
    from retrieval.business_words import HeadNouns

    entries = [("621320", "Optometrists' offices (e.g., centers, clinics)"), ("339115", "Optometric lenses, mfg")]
    entries += [("541110", "Attorneys' offices"), ("922130", "District attorneys' offices")]
    entries += [("621399", "Licensed practical nurses' offices"), ("541330", "Engineers' offices")]
    entries += [("531390", "Agents' offices, real estate")] + [("711410", f"Agents, {w}") for w in "abcde"]
    nouns = HeadNouns.build(entries)
    assert nouns.practice("optometrists - frames, contacts, 2 exam lanes") == ("6213",)
    assert nouns.practice("structural engineer") == ("5413",) and nouns.practice("small engine repair") == ()
    # offices of two industry groups, a practitioner never named alone, a word that ends other trades' names
    assert nouns.practice("attorney") == () and nouns.practice("home care nurses") == ()
    assert nouns.practice("booking agent for bands") == ()


def test_a_business_named_by_a_one_word_index_entry_is_of_that_entrys_code():
    from retrieval.business_words import HeadNouns

    entries = [("238220", "Plumbers"), ("312130", "Wineries"), ("115210", "Branding")]
    entries += [("333318", "Water heaters, commercial, manufacturing")]
    nouns = HeadNouns.build(entries)
    # the tradesman's or the establishment's name decides, whatever the detail names
    assert nouns.practice("plumber - water heaters, repipes, drains") == ("2382",)
    assert nouns.practice("family winery with a tasting room") == ("3121",)
    assert nouns.practice("two small wineries") == ("3121",)
    # an activity's "-ing" of one word is no business's name ("branding" is livestock's, and a marketer's too)
    assert nouns.practice("branding") == () and nouns.practice("plumbing supply house") == ()


def test_a_business_classifies_the_same_with_or_without_the_facts_around_it(call_indexed):
    """Metamorphic: the place, the figures and the line asked about do not change what the business is."""
    for name in ("coffee shop", "roofing contractor", "intercity bus line", "nail salon"):
        plain = ok(call_indexed("classify_business", {"description": name, "k": 1}))["candidates"][0]["naics"]
        for noisy in (f"GL for a {name} in Boise ID", f"{name} in dallas tx, 20 employees, revenue $2M"):
            assert (
                ok(call_indexed("classify_business", {"description": noisy, "k": 1}))["candidates"][0]["naics"] == plain
            )


@pytest.mark.parametrize(
    "args,appetite",
    [
        # property-hospitality-construction: a motel accepts only Types I-II; wood frame (V) is a No at any size
        ({"naics": "721110", "state": "TX", "lob": "property", "construction": "wood frame"}, "no"),
        # the same motel in steel frame (II) still needs its size: no verdict without the revenue
        ({"naics": "721110", "state": "TX", "lob": "property", "construction": "steel frame"}, None),
        # general-liability-qualified: over 50 employees is a No whatever the revenue (561612 is receipts-based)
        ({"naics": "561612", "state": "GA", "lob": "general liability", "employees": 80}, "no"),
    ],
)
def test_a_qualification_rule_that_declines_needs_no_size(call, args, appetite):
    r = ok(call("check_appetite", args))
    assert r["appetite"] == appetite
    assert (r["status"] == "decided") is (appetite is not None)
