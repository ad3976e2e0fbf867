"""The page's pure text functions: answer layout, citation links, guideline passages, fact corrections."""

from __future__ import annotations

from app.ui.answer import follow_ups, format_answer, layout, link_citations
from app.ui.escape import code, md, md_lines, model_markdown
from app.ui.facts import correction_message
from app.ui.passages import matches, passage
from guidelines import load_sections
from tests.rendered import active_markup, plain

APPETITE = (
    "I found Harbor Point Lodge LLC (APP-0138): NAICS 721110 Hotels (except Casino Hotels) and Motels, Ohio. "
    "Yes — Harbor Point Lodge LLC (NAICS 721110 Hotels (except Casino Hotels) and Motels, OH) is in appetite for "
    "Property: $787,000 is at or below the SBA standard of $40.0M for 721110: small; appetite guide for 721110 in OH: "
    "Qualified (rule hospitality-construction); Type I (Fire-resistive) is among the accepted types I, II. "
    "[small-business-rule] [property-hospitality-construction]"
)


FINDING = {
    "task_type": "appetite",
    "appetite": "yes",
    "summary": APPETITE[APPETITE.index("Yes — ") :],
    "citations": ["small-business-rule", "property-hospitality-construction"],
    "facts": {"company": "Harbor Point Lodge LLC", "lob": "property"},
}


def test_a_one_paragraph_answer_becomes_headline_reasons_and_sources():
    laid = layout(APPETITE, [FINDING], {"property": "Property"})
    assert [p.headline for p in laid.parts] == ["Yes — Harbor Point Lodge LLC is in appetite for Property"]
    assert laid.notes == [
        "I found Harbor Point Lodge LLC (APP-0138): NAICS 721110 Hotels (except Casino Hotels) and Motels, Ohio."
    ]
    assert laid.parts[0].reasons == [
        "$787,000 is at or below the SBA standard of $40.0M for 721110: small",
        "Appetite guide for 721110 in OH: Qualified (rule hospitality-construction)",
        "Type I (Fire-resistive) is among the accepted types I, II",
    ]
    assert laid.cited == ["small-business-rule", "property-hospitality-construction"]
    md = format_answer(APPETITE, {"small-business-rule", "property-hospitality-construction"}, [FINDING])
    assert md.startswith("**Yes — ") and "\n- \\$787,000" in md
    assert md.endswith(
        "Sources: [small-business-rule](guidelines?section=small-business-rule) · "
        "[property-hospitality-construction](guidelines?section=property-hospitality-construction)"
    )


def test_questions_and_markdown_answers_keep_their_layout():
    assert format_answer("What is the applicant's annual revenue?") == "What is the applicant's annual revenue?"
    llm = "Yes, in appetite.\n\n- small [small-business-rule]\n- guide Yes"
    assert format_answer(llm, {"small-business-rule"}) == llm.replace(
        "[small-business-rule]", "[\\[small-business-rule\\]](guidelines?section=small-business-rule)"
    )


def test_only_known_section_ids_become_links():
    text = "See [auto-qualified] and [not-a-section] and [a link](http://example.invalid)."
    out = link_citations(text, {"auto-qualified"})
    assert "[\\[auto-qualified\\]](guidelines?section=auto-qualified)" in out and "[not-a-section] " in out
    assert "[a link](http://example.invalid)" in out


def test_follow_ups_fit_the_task():
    assert follow_ups({"task_type": "deductible"}) == ["What limits should we offer?", "What other lines can we offer?"]
    assert follow_ups(None) == [] and follow_ups({"task_type": None}) == []
    # a turn that answered limits and the deductible offers neither again
    both = follow_ups([{"task_type": "policy_limits"}, {"task_type": "deductible"}])
    assert both == ["What other lines can we offer?"]


def test_guideline_search_lists_sections_with_their_passage():
    sections = load_sections()
    found = matches(sections, "wood frame")
    assert found and all("wood" in s.text.lower() and "frame" in s.text.lower() for s in found)
    assert "wood frame" in found[0].text.lower()  # the whole phrase ranks first
    assert "**wood** **frame**" in passage(found[0], "wood frame").lower()
    assert matches(sections, "   ") == []


def test_a_fact_correction_is_the_underwriters_own_sentences():
    known = {"annual_revenue": 787000, "state": "OH", "construction": "wood frame", "lob": "property"}
    edited = {**known, "annual_revenue": 60_000_000, "state": "TX", "construction": "Fire-resistive", "vehicles": 25}
    text = correction_message(known, edited, {"TX": "Texas", "OH": "Ohio"})
    assert text == (
        "Annual revenue is $60,000,000. They have 25 vehicles. "
        "The building's construction is fire-resistive. It's in Texas."
    )
    assert correction_message(known, dict(known), {}) == ""


EVIL = (
    "Evil [click](http://example.invalid) ![x](http://example.invalid/x.png) <img src=x> <http://example.invalid> "
    "www.example.invalid mail@example.invalid https://example.invalid/p $x$ **b** _i_ :red[r] &amp; [ref][1] | a |"
)


def test_text_from_data_reads_as_written_and_makes_no_link_image_or_html():
    assert active_markup(EVIL)  # the attack is real: links, an image, HTML and autolinks
    for text in (md(EVIL), md_lines(EVIL + "\n\n- item\n1. one\n==="), code(EVIL)):
        assert active_markup(text) == [], text
    assert plain(md(EVIL)) == EVIL
    assert plain(md_lines("line one\n- two\n\n1. three")) == "line one\n- two\n1. three"
    assert plain(f"The id {code('x` [a](http://example.invalid) `y')}.") == "The id x` [a](http://example.invalid) `y."


def test_a_model_answer_keeps_its_layout_but_makes_no_link_of_its_own():
    answer = f"**In appetite.**\n\n- {EVIL}\n- see [auto-qualified]\n\n[1]: http://example.invalid"
    out = format_answer(answer, {"auto-qualified"})
    assert active_markup(out) == ["link guidelines?section=auto-qualified"]
    assert out.startswith("**In appetite.**\n\n- Evil")


def test_a_backslash_before_link_syntax_does_not_reopen_it():
    """A model that writes the escape itself ("[pay\\](//x)", "\\<ftp://x>"), e.g. copying a broker's letter: the
    escape the app adds must not pair with it into a literal backslash and a live link, image or autolink."""
    for answer in (
        "[Pay the fee here\\](//example.invalid/pay)",
        "[a\\\\\\](//example.invalid)",
        "\\<ftp://example.invalid/x>",
        "!\\[x\\](//example.invalid/a.png) and \\\\![y\\](//example.invalid/b.png)",
        "[r\\][1]\n\n[1\\]: //example.invalid",
    ):
        assert active_markup(model_markdown(answer)) == [], answer
    assert active_markup(model_markdown("**b** \\* [auto-qualified]")) == []  # layout and citations untouched
