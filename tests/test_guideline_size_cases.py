"""The guideline search reads a case that its size decides: a figure above the code's SBA standard, the verdict said in
words, a code the SBA gives no standard; and the words around a business that are not the business."""

from __future__ import annotations


def test_a_size_figure_is_read_by_the_nearest_measure_word_and_a_payroll_or_a_code_is_none():
    from tools.guidelines import size_figures

    assert size_figures("a print shop billing $9.5M a year, headcount 70") == {"revenue": 9_500_000, "employees": 70}
    assert size_figures("gross of 3 mil and a crew of 12") == {"revenue": 3_000_000, "employees": 12}
    assert size_figures("their wages come to 800k, staff of 15") == {"employees": 15}  # wages are no revenue
    assert size_figures("wants a 2M limit for the 541511 shop", frozenset({"541511"})) == {}


def test_a_figure_above_the_codes_standard_or_not_small_in_words_lifts_the_small_business_rule(db_toolkit):
    from tools.guidelines import DECIDING_WEIGHT, SIZE_WEIGHT, _size_sections

    ctx = db_toolkit.ctx
    above = {"small-business-rule": SIZE_WEIGHT, "size-standards": SIZE_WEIGHT}
    assert _size_sections(ctx, "516120", "a broadcaster with sales of $61M") == above  # $47.0M receipts
    assert _size_sections(ctx, "311919", "chip maker, 1,600 employees") == above  # 1,250 employees
    assert _size_sections(ctx, "311919", "chip maker, 1,200 employees") == {}  # at or below: small
    assert _size_sections(ctx, "311919", "chip maker with $900M in sales") == {}  # not the standard's measure
    assert _size_sections(ctx, "", "the account is too big for us?") == {"small-business-rule": SIZE_WEIGHT}
    assert _size_sections(ctx, "", "small or not small, which is it") == {}  # asked, not said
    assert _size_sections(ctx, "541120", "notary wants GL") == {"size-standards-exceptions": DECIDING_WEIGHT}
    assert _size_sections(ctx, "522110", "a bank wants cyber") == {"size-standards-exceptions": DECIDING_WEIGHT}


def test_a_buildings_construction_and_a_figures_measure_are_no_business_but_tv_is(db_toolkit):
    from tools.guidelines import _business_words, read_question

    ctx = db_toolkit.ctx

    def business(question: str) -> str:
        return _business_words(ctx, read_question(ctx, question))

    assert "steel" not in business("crane rental yard, the shop is a steel frame building").split()
    assert "commissions" not in business("realtor with 20M in commissions").split()
    assert business("tv station wants cyber") == "tv station"
    # a word the guidelines use in a few examples still names a business beside a business noun
    assert "snack" in business("pretzel and snack factory, 2,000 workers").split()


def test_a_case_above_its_size_standard_finds_the_small_business_rule(toolkit):
    """Real model and index: the size test decides before the building or the line does."""
    for question in (
        "pretzel and snack factory, 2,000 workers, wants property in a masonry building",
        "a local television broadcaster doing 75 million in sales wants GL and cyber",
    ):
        found = [s["id"] for s in toolkit.call("search_guidelines", {"query": question}).result["sections"]]
        assert {"small-business-rule", "size-standards"} & set(found), (question, found)


def test_a_loss_described_before_its_product_finds_the_products_we_do_not_write(toolkit):
    """Real model and index: the loss a product we do not write insures, said without the product's name."""
    for question in ("cashier stole from the register - covered?",):
        found = [s["id"] for s in toolkit.call("search_guidelines", {"query": question}).result["sections"]]
        assert {"products-not-written", "not-written-redirects"} & set(found), (question, found)


def test_a_limit_or_deductible_asked_about_gives_the_lines_rule_even_the_default_one(db_toolkit):
    from tools.guidelines import _deciding_sections, _tables_asked

    ctx = db_toolkit.ctx
    assert _tables_asked("what's the per occurrence limit on auto") == {"limit"}
    assert _tables_asked("property ded for a florist?") == {"deductible"}
    assert _tables_asked("payroll limit for comp") == frozenset()  # a qualification's threshold, no policy limit
    assert _deciding_sections(ctx, ["general_liability"], "", [], frozenset({"limit"})) == {"limits-standard"}
    assert _deciding_sections(ctx, ["property"], "", [], frozenset({"deductible"})) == {"deductibles-standard"}
    assert _deciding_sections(ctx, ["property"], "", []) == set()


def test_facts_that_disagree_and_the_catalog_asked_in_other_words_find_their_sections(toolkit):
    """Real model and index."""
    for question, section in (
        ("the headcount and the payroll on this submission are inconsistent, what now", "referral-triggers"),
        ("which lines do we offer at all", "lines-of-business"),
    ):
        found = [s["id"] for s in toolkit.call("search_guidelines", {"query": question}).result["sections"]]
        assert section in found, (question, found)


def test_the_insured_values_shorthand_and_approving_are_read_as_the_guidelines_words(db_toolkit):
    from tools.guidelines import _expand_abbreviations, _guideline_words

    ctx = db_toolkit.ctx
    assert "total insured value" in _expand_abbreviations(ctx, "tiv over 10 mil on the warehouse")
    assert "authority" in _guideline_words(ctx, "may i approve this one")
    assert "authority" in _guideline_words(ctx, "can a junior bind it")
