"""What a pasted description carries besides the business, and how ``classify_business`` reads around it: shortened
words and trade names, numbers that identify rather than describe, a mail's lines and a spreadsheet's cells, and a
NAICS code stated in an old edition."""

from __future__ import annotations

from collections import Counter

import numpy as np


def test_shortened_words_and_trade_names_are_written_out():
    from retrieval.acronyms import lengthen

    assert lengthen("Mech contractor, svc and install") == "mechanical contractor, service and install"
    assert lengthen("structural engr, 3 engrs, resi + comml") == (
        "structural engineer, 3 engineers, residential + commercial"
    )
    # a trade name reads as its trade, in brackets after the trade's words, so the name's clause is the trade's
    assert lengthen("Orangetheory studio franchise") == "fitness gym (Orangetheory) studio franchise"
    # words that are words stay: "eng" only whole, "rep" inside "repair" not
    assert lengthen("engine repair, english tutoring") == "engine repair, english tutoring"
    # a shop's shortened trade, and a used car lot named by how it finances its buyers
    assert lengthen("metal fab and repair") == "metal fabrication and repair"
    assert lengthen("Buy Here Pay Here dealer").startswith("used car dealer")


def test_a_delivery_partners_and_an_in_house_lenders_abbreviations_are_spelled_out():
    from retrieval.acronyms import spell_out

    assert spell_out("runs a DSP with 12 vans", {}) == "runs a courier parcel delivery service (DSP) with 12 vans"
    assert spell_out("a small BHPH lot", {}).startswith("a small used car dealer")


def test_a_makers_representative_reads_as_a_wholesale_agent_not_a_maker():
    from retrieval.acronyms import lengthen
    from retrieval.activity import Activity, establishment_test

    for typed in ("manufacturers rep agency", "mfr's rep for pump lines", "Manufacturers' Sales Agents group"):
        read = lengthen(typed)
        assert read.startswith("wholesale trade agent (manufacturers' representative)"), read
        assert Activity(establishment_test(lambda w: {})).sectors(read) == ("42",)


def test_mental_health_licences_read_as_the_practitioner():
    from retrieval.acronyms import spell_out

    assert spell_out("LMFT, sees couples", {}).startswith("licensed marriage and family therapist, mental health")
    assert spell_out("nemt company", {}, {"company"}).startswith("non-emergency medical special needs transportation")


def test_two_words_the_naics_texts_write_as_one_are_closed_up():
    from retrieval.business_words import Spelling

    spelling = Spelling.build(Counter({"lumberyards": 4, "bookkeeping": 6, "shops": 9, "yards": 3}), [])
    assert spelling.closed_up("lumber yard and book keeping") == "lumberyard and bookkeeping"
    # only lower-case words a space apart: a name, a comma or a hyphen between them keeps them apart
    assert spelling.closed_up("Lumber Yard, lumber, yard") == "Lumber Yard, lumber, yard"
    assert spelling.closed_up("a shop yard") == "a shop yard"  # not one word of the texts


def _words():
    from retrieval.business_words import BusinessWords

    return BusinessWords.build(set(), ["Austin"], {"TX": "Texas", "IA": "Iowa"}, [])


def test_numbers_that_identify_a_business_go_with_their_labels():
    words = _words()
    assert words("flatbed hauler, US DOT # 3318822, MC-114422") == "flatbed hauler"
    assert words("sign shop (lic no. SC-4471) call 512.555.0110 or ann@signs.example") == "sign shop call or"
    assert words("florist, established 1987, zip 50310") == "florist"
    assert words("diner since 1962, www.diner.example") == "diner"


def test_a_mails_lines_and_a_sheets_cells_are_clauses_and_its_framing_goes():
    from retrieval.business_words import head_clause

    words = _words()
    mail = "new account - landscaping\nHello all,\nthey mow and edge for HOAs\nthx"
    assert words(mail) == "landscaping | they mow and edge for HOAs | thx"
    assert head_clause(words("Bluebird Cafe\tcoffee shop\t11 staff\tTX")) == "Bluebird Cafe"
    assert head_clause(words("Bluebird Cafe | coffee shop")) == "Bluebird Cafe"


def test_a_count_after_a_name_ends_the_name():
    from retrieval.business_words import head_clause

    words = _words()
    assert head_clause(words("boat marina 140 slips, fuel dock")) == "boat marina"
    assert head_clause(words("kennel 30 runs")) == "kennel"
    # a count inside the detail, or of what the name is made of, is a figure as before
    assert words("owns 3 apartment buildings") == "owns apartment buildings"


def test_stated_codes_are_told_from_other_numbers():
    from retrieval.stated_codes import stated_codes, without_codes

    got = stated_codes("e-commerce seller (2017 NAICS: 454110), DOT 238160, #238210, lic 236220, ph 561-720-1111")
    assert [(s.code, s.labelled, s.edition) for s in got] == [("454110", True, "2017")]
    assert [(s.code, s.labelled) for s in stated_codes("Acme | 238160 | roofing")] == [("238160", False)]
    assert stated_codes("founded 1999, 12345 units, 1234567 sq ft") == []
    assert without_codes("NAICS 2017 code 454110 - sells shoes online").strip() == "- sells shoes online"


def test_a_stated_code_is_read_in_2022_terms_and_a_bare_one_only_as_support(toolkit):
    from tools.naics import naics_classifier

    classifier = naics_classifier(toolkit.ctx)
    # a 2017 code that became another 2022 code; a 2012 code through 2017; a 2022 code as it is
    assert classifier.in_2022("443142", "2017") == ("449210",)
    assert "459510" in classifier.in_2022("454110", None) and len(classifier.in_2022("454110", None)) > 5
    assert classifier.in_2022("238160", None) == ("238160",) and classifier.in_2022("999999", None) == ()
    from retrieval.stated_codes import StatedCode

    ids = classifier.index.ids
    score = np.linspace(1.0, 0.0, len(ids))  # the first code first, the last last
    last = ids[-1]
    labelled = classifier.by_stated_codes([StatedCode(last, True, None)], score)
    assert labelled[-1] > score[-1]
    # a bare number that is a code far down the words' ranking is no evidence; one near the top is
    assert classifier.by_stated_codes([StatedCode(last, False, None)], score)[-1] == score[-1]
    assert classifier.by_stated_codes([StatedCode(ids[2], False, None)], score)[2] > score[2]


def test_a_code_whose_text_also_works_without_what_is_denied_is_not_moved_down(toolkit):
    from tools.naics import naics_classifier, without_words

    assert without_words("renting heavy equipment without operators, such as cranes") == {"operator"}
    classifier = naics_classifier(toolkit.ctx)
    agrees = classifier.texts_denying("operators")
    assert agrees.sum() >= 1 and agrees[classifier.index.ids.index("532412")] == 1.0


def test_a_labelled_old_code_decides_among_the_codes_the_words_allow(call_indexed):
    got = call_indexed("classify_business", {"description": "store, 2017 NAICS 443142, also repairs phones"})
    assert got.result["candidates"][0]["naics"] == "449210"


def test_a_business_named_by_the_vehicle_it_serves_food_from_is_a_mobile_food_service(toolkit):
    from tools.naics import naics_classifier

    classifier = naics_classifier(toolkit.ctx)

    def first(description: str) -> str:
        return classifier.index.ids[int(np.argmax(classifier.scores(description)))]

    # not the trailer's maker nor its renter: what it serves says it is a food service
    assert first("pizza trailer with a wood oven, weddings") == "722330"
    assert first("burger trailer at fairs") == "722330"
    # a vehicle named by what it does, not by food, stays with its trade
    assert first("tow truck with two drivers") == "488410"
