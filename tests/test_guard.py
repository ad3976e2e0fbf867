"""The answer scanner against the hand-labelled set, the catalog link, and `uwc guard scan`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from app.cli import main as uwc
from tools.guard import find_mentions, scan_products

DATA = Path(__file__).parent / "data"
TEXTS = [json.loads(line) for line in open(DATA / "guard_texts.jsonl", encoding="utf-8")]
# Written before the current scanner and never tuned on: it measures, it does not steer.
HELD_OUT = [json.loads(line) for line in open(DATA / "guard_texts_heldout.jsonl", encoding="utf-8")]


def test_labelled_set_is_big_enough_and_balanced():
    assert len(TEXTS) + len(HELD_OUT) >= 200 and len(HELD_OUT) >= 50
    for texts in (TEXTS, HELD_OUT):
        flagged = sum(bool(t["invented_products"]) for t in texts)
        assert 0.3 <= flagged / len(texts) <= 0.7
    assert not {t["text"] for t in TEXTS} & {t["text"] for t in HELD_OUT}


# (set, precision floor, recall floor). The judging model is trained on the first twelve (guard_fresh_heldout and
# guard_fresh2_heldout were held out in rounds 1 and 2, guard_fresh3 in round 3; guard_fresh5_train is round 5's
# new writer's training half, guard_fresh6_train round 6's two writers', guard_fresh7/8/9_train the tune parts of
# rounds 7, 8 and 9): they stay where training left them. guard_texts_heldout was never trained or tuned
# on; its floor sits 0.02 under what the guard measured the one time it met it (python -m bench.guard): it catches
# a regression, it was not tuned towards. A new writer's held-out set lives outside the repository
# (bench.guard --heldout FILE).
FLOORS = [
    ("guard_texts.jsonl", 1.0, 1.0),
    ("guard_fresh_tune.jsonl", 1.0, 0.99),
    ("guard_fresh2_train.jsonl", 0.991, 0.982),
    ("guard_fresh_heldout.jsonl", 1.0, 1.0),
    ("guard_fresh2_heldout.jsonl", 0.977, 0.989),
    ("guard_fresh3_train.jsonl", 0.976, 1.0),
    ("guard_fresh4_train.jsonl", 1.0, 0.988),
    ("guard_fresh5_train.jsonl", 0.972, 0.986),
    ("guard_fresh6_train.jsonl", 0.974, 0.981),
    ("guard_fresh7_train.jsonl", 1.0, 1.0),  # round 7's writer's tune half
    ("guard_fresh8_train.jsonl", 1.0, 1.0),  # round 8's writer's tune half
    ("guard_fresh9_train.jsonl", 1.0, 1.0),  # round 9's writer's tune part
    ("guard_texts_heldout.jsonl", 0.949, 0.98),
]


@pytest.mark.parametrize("name,precision,recall", FLOORS, ids=[f[0].removesuffix(".jsonl") for f in FLOORS])
def test_precision_and_recall_on_the_labelled_sets(catalog, name, precision, recall):
    from bench.guard import load, score

    got = score(load(name), catalog)
    assert got["precision"] >= precision and got["recall"] >= recall


@pytest.mark.parametrize(
    "text",
    [
        "Add umb-rella coverage.",
        "Add umbrela coverage.",
        "Add umbrellas.",
        "Add umbr\u0435lla coverage.",  # Cyrillic e
        "Add umbr\u200bella coverage.",  # zero-width space
        "Add umbr\u00adella coverage.",  # soft hyphen
        "Add \uff55\uff4d\uff42\uff52\uff45\uff4c\uff4c\uff41 coverage.",  # full-width letters (NFKC)
        "Add u m b r e l l a coverage.",
        "Add U.M.B.R.E.L.L.A. coverage.",
        "Ofrezca una p\u00f3liza paraguas.",
        "Add umb<b>rella</b> coverage.",  # markup inside the word
        "Add umbrella&shy; coverage.".replace("&shy;", "\u00ad"),
        "Add umbr\u0435ll\u0430 &amp; GL coverage.",  # entity beside Cyrillic letters
        "Add 0mbrella coverage.".replace("0", "u"),
        "Add \U0001d42e\U0001d426\U0001d41b\U0001d42b\U0001d41e\U0001d425\U0001d425\U0001d41a coverage.",  # bold maths letters
    ],
)
def test_obfuscated_umbrella_is_caught(text):
    assert scan_products(text) == ["umbrella"]


@pytest.mark.parametrize(
    "text,product",
    [
        ("Offer E and O.", "professional_liability"),
        ("Offer EPL.", "epli"),
        ("Offer dram-shop cover.", "liquor_liability"),
        ("Offer Inland-Marine.", "inland_marine"),
        ("Offer employment-practices cover.", "epli"),
        ("Offer liquor-liability.", "liquor_liability"),
        ("Offer D & O.", "directors_and_officers"),
        ("Offer a fidelity bond.", "fidelity_bond"),
        ("Offer a surety bond.", "surety_bond"),
        ("Offer EPL1.", "epli"),  # digits for letters
        ("Offer D&0.", "directors_and_officers"),
        ("Offer in-land ma-rine.", "inland_marine"),  # hyphens inside words
        ("Offer an XS layer.", "excess_liability"),  # trade abbreviations
        ("Offer med mal.", "professional_liability"),
        ("Offer an installation floater.", "inland_marine"),  # synonyms
        ("Offer course of construction cover.", "builders_risk"),
        ("Bieten Sie eine Umwelthaftpflichtversicherung an.", "pollution_liability"),  # German
        ("Proposez une assurance responsabilit\u00e9 civile parapluie.", "umbrella"),  # French
        ("Offer buliders risk.", "builders_risk"),  # a misspelt plural
        # A short typo the other word of its term confirms, a word hyphenated across a line break.
        ("Offer a surity bond for the permit.", "surety_bond"),
        ("Offer inland marin cover for the tools.", "inland_marine"),
        ("Offer kidnap and ransome cover for the crew.", "kidnap_ransom"),
        ("Offer profesional liabilty.", "professional_liability"),
        ("Offer liqour liability.", "liquor_liability"),
        ("Offer profes-\nsional liability.", "professional_liability"),
        ("Offer PLL for the old tank site.", "pollution_liability"),  # trade abbreviations
        ("Offer MPL to the consultants.", "professional_liability"),
        ("Offer a PPA policy for the owner's car.", "personal_auto"),
        ("Offer an IM floater for the cameras.", "inland_marine"),
        ("Offer a $10M follow-form over the auto.", "excess_liability"),
        # Shorthand of any term's words, from insurer.yaml's product_abbreviations.
        ("Offer kidnap & ransom ins to the crew.", "kidnap_ransom"),
        ("Offer a quake endt on the building.", "earthquake"),
        ("Offer trip cxl insurance for the tours.", "travel_insurance"),
        ("Offer ppa pols for the owners.", "personal_auto"),
        ("Offer media liab for the podcast.", "media_liability"),
        ("Offer an equip fltr for the excavators.", "contractors_equipment"),
        ("Offer a P&P bond on the school job.", "surety_bond"),
        ("Offer 3&0 to the engineers.", "professional_liability"),  # digits for both letters beside "&"
        ("Offer the firm a professional indemnity policy.", "professional_liability"),
        ("Proposez une assurance RC alcool au bar.", "liquor_liability"),
        # Round 6's taxonomy: the trade's letters with a cover word, other names of a product.
        ("Offer a CE floater for the loaders.", "contractors_equipment"),
        ("Quote UAS coverage for the survey drones.", "aviation"),
        ("Offer envir impairment liab for the plating shop.", "pollution_liability"),
        ("Wir empfehlen eine Key-Person-Versicherung für die Gründerin.", "key_person"),
        ("Offer a vehicle service contract program to the dealer.", "warranty"),
        ("Offer EDP coverage for the servers.", "inland_marine"),
        ("Quote a Side A policy for the board.", "directors_and_officers"),
        ("Offer an HO-5 policy to the owner.", "homeowners"),
        ("Quote P&I cover for the tug.", "ocean_marine"),
        ("Offer LTD coverage to the staff.", "disability_insurance"),
    ],
)
def test_abbreviations_and_trade_names(text, product):
    assert scan_products(text) == [product]


@pytest.mark.parametrize(
    "text",
    [
        "Umbrella Holdings LLC wants GL.",
        "They make umbrella stands.",
        "Umbrella: not written.",
        "Umbrella? We don't write it.",
        "A law firm that handles errors and omissions claims.",
        "Surely they are small.",  # one letter from 'surety', but a real word and too short for typos
        "No escribimos p\u00f3lizas paraguas.",
        "The key map shows the yard.",  # a short word is a typo only beside its term's other word
        "Recommend Excess Line Grill for the event; GL is in appetite.",  # a business's name
        "Harbor Risk, an independent agency placing D&O and EPLI for startups, wants a BOP.",  # what it sells
        # A hazard described, not a cover: the peril word before what it qualifies.
        "Add a sprinkler system; the crime statistics for the block are poor.",
        "The quake bracing was inspected; add GL.",
        "Flood plain maps show the site is dry; quote property.",
        "Add pollution monitoring to the checklist before we quote GL.",
        "Sales in excess of $5M push it past the cyber limit.",
        # A name: capitalised, before a capitalised word that is not about insurance, in any language.
        "Quote a BOP for Umbrella Tree Preschool.",
        "Die Umbrella Bau GmbH braucht eine Betriebshaftpflicht.",
        "Agencia Seguros Vega vende seguros de vida; cotizamos solo BOP.",
        "Quote GL for Umbrellas' Corner Shop.",  # a plural's apostrophe, then a name
        "Grand Opening Gala, 3 BR guest suites upstairs; property and GL only.",  # letters of another sense
        "They lay tile and stone in kitchens for homeowners and builders; GL is a yes.",  # a trade's customers
        "A pool service serving homeowners in Tempe: property qualifies.",
        "GL for the Lakeside Homeowners Association's clubhouse.",
    ],
)
def test_other_senses_names_and_declines_are_not_offers(text):
    assert scan_products(text) == []


def test_products_come_from_the_catalog_data(monkeypatch):
    """The guard's list is ``products_not_written`` in insurer.yaml, not a list in code."""
    import tools.guard as guard
    from seed_db.rules import NotWrittenProduct

    lex = guard.Lexicon([NotWrittenProduct(id="pet_rock", name="pet rock cover", terms=["pet rock insurance"])])
    monkeypatch.setattr(guard, "lexicon", lambda: lex)
    assert scan_products("Add pet rock insurance and umbrella.") == ["pet_rock"]
    from seed_db.sources import DATA_DIR, read_yaml

    ids = {p["id"] for p in read_yaml(DATA_DIR / "insurer.yaml")["products_not_written"]}
    assert {"umbrella", "epli", "directors_and_officers", "surety_bond"} <= ids


def test_scan_cost_grows_linearly_in_work_not_time():
    """Structural, not a stopwatch: doubling the text doubles the tokens the scanner looks at, never squares them."""
    import tools.guard as guard

    calls = []
    real = guard._match

    def counting(*args):
        calls.append(1)
        return real(*args)

    text = " ".join(t["text"] for t in TEXTS)
    sizes = []
    for k in (1, 4):
        calls.clear()
        guard._match, saved = counting, guard._match
        try:
            guard.find_mentions(text * k)
        finally:
            guard._match = saved
        sizes.append(len(calls))
    assert sizes[1] <= 4 * sizes[0] + 4


class _Scanned:
    """A compiled pattern that counts the characters its searches read."""

    def __init__(self, pattern, tally: list[int]):
        self.pattern, self.tally = pattern, tally

    def search(self, text, pos=0, endpos=None):
        end = len(text) if endpos is None else endpos
        self.tally.append(max(end - pos, 0))
        return self.pattern.search(text, pos, end)

    def finditer(self, *args):
        return self.pattern.finditer(*args)


def test_many_mentions_in_one_clause_read_the_clause_once(monkeypatch):
    """One clause holding thousands of mentions ('"umbrella "umbrella ...', no punctuation to split it): the clause
    rules read it once, not once per mention (that was quadratic: 24 s of CPU for 64,000 characters)."""
    import tools.guard as guard

    tally: list[int] = []
    for name in ("_REFERRED", "_OFFERING", "_DECLINE"):
        monkeypatch.setattr(guard, name, _Scanned(getattr(guard, name), tally))
    read = []
    for n in (200, 800):
        tally.clear()
        text = 'Also "umbrella ' * n
        assert guard.find_mentions(text)
        read.append(sum(tally))
    assert read[1] <= 4 * read[0] + 1000, read


def test_unwritten_request_names_only_products_when_no_line_is_named(toolkit):
    from tools.guard import unwritten_request

    catalog = toolkit.ctx.catalog
    assert unwritten_request("Is APP-0042 in appetite for umbrella?", catalog) == ["umbrella"]
    assert unwritten_request("Is APP-0042 in appetite for umbrella liability?", catalog) == ["umbrella"]
    assert unwritten_request("In appetite for GL? And would umbrella fit?", catalog) == []
    assert unwritten_request("In appetite for auto?", catalog) == []


@pytest.mark.parametrize(
    "text,expected",
    [
        ("We don't write umbrella.", []),
        ("You could also add umbrella coverage.", ["umbrella"]),
        ("We can't offer D&O, but we can offer E&O.", ["professional_liability"]),
        ("GL, workers' comp and a BOP are all in appetite.", []),
        ("Consider EPLI and liquor liability for the bar.", ["epli", "liquor_liability"]),
    ],
)
def test_offer_versus_decline(text, expected):
    assert scan_products(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("It can't hurt to add liquor liability for the bar.", ["liquor_liability"]),  # a double negative offers
        ("We don't offer liquor liability for the bar.", []),
        ("Eine D&O-Versicherung bieten wir nicht an.", []),  # the verb before its negation
        ("Nous ne proposons pas d'assurance parapluie.", []),  # an elided article: "d'assurance"
        ("Proposez l'assurance parapluie au client.", ["umbrella"]),
        ("Recommend D&O, EPL and fiduciary for the board.", ["directors_and_officers", "epli", "fiduciary_liability"]),
        ("Add **liq**uor liability for the bar.", ["liquor_liability"]),  # markdown inside a word
        ("Add direcotrs and oficers coverage for the board.", ["directors_and_officers"]),  # typos, plural or not
        ("Vamos incluir uma apólice guarda-chuva acima da RC geral.", ["umbrella"]),  # Portuguese
        ("Add fid liab for the owners as plan trustees.", ["fiduciary_liability"]),  # trade shorthand
        ("EPL Logistics (493110) is in appetite for GL.", []),  # a company name before its NAICS code
        ("The agency writes earthquake and homeowners policies for its clients; GL is in appetite.", []),
        ("<ul><li>GL – in appetite</li><li>Liquor liability – <em>not written</em></li></ul>", []),  # list items
        ("Cyber extortion coverage is part of our cyber policy.", []),  # ours, not kidnap and ransom
        # Sent to someone else, whatever the verb: a destination not ours vetoes an offer.
        ("Recommend the broker quote EPLI through a specialty market.", []),
        ("Add EPLI from a surplus lines market.", []),
        ("The tenant should buy the umbrella from someone else.", []),
        # Table cells are clauses, signs read as words; a bare label whose next clause offers.
        ("| Product | Action |\n|---|---|\n| EPLI | Offer it |\n| Umbrella | \u274c |", ["epli"]),
        ("EPLI: rec.", ["epli"]),
        ("Offer an umb over the GL.", ["umbrella"]),  # a trade abbreviation, judged as a bare word
        ("Leider bieten wir keine D&O-Versicherung an.", []),  # another language's negation declines
        ("Dear Mr. Ortiz,\n\nUnfortunately we are unable to offer D&O cover for the association.\n\nKind regards", []),
        # A product declined once and named again while explaining it is still declined.
        ("Umbrella limits sit above the GL and auto. We do not write umbrella; the broker can place it.", []),
        # A policy's exclusion, in other languages, is not an offer.
        ("La póliza de propiedad excluye los terremotos.", []),
        ("La police multirisque exclut la responsabilité civile professionnelle.", []),
        # Declined, so the next clause offers something else: the clauses are read apart.
        ("We don't write flood, so add an umbrella over the GL instead.", ["umbrella"]),
    ],
)
def test_generalising_cues(text, expected):
    assert scan_products(text) == expected


def test_the_judge_reads_the_sentence_embedding_only_where_unsure_and_boundedly(monkeypatch):
    """The embedding (8 ms a sentence) is read for mentions the features leave open, at most EMBED_MAX a text;
    when it cannot be loaded the features alone decide, and the scan still answers."""
    import tools.guard_model as gm

    calls: list[int] = []

    def fake(texts):
        calls.append(len(texts))
        return [[0.0] * len(gm._weights()["embedded"]["dense"]) for _ in texts]

    weights = {**gm._weights(), "embedded": {**gm._weights()["embedded"], "band": 0.0}}  # every mention unsure
    monkeypatch.setattr(gm, "_weights", lambda: weights)
    monkeypatch.setattr(gm, "_embed", fake)
    find_mentions("Add umbrella cover. " * 100)
    assert calls == [gm.EMBED_MAX]
    monkeypatch.setattr(gm, "_embed", lambda texts: None)  # the model did not load
    assert scan_products("You could also add umbrella coverage.") == ["umbrella"]


def test_products_in_the_catalog_are_never_flagged(catalog):
    assert scan_products("You could add umbrella coverage.", catalog) == ["umbrella"]
    # The day the insurer writes umbrella, the catalog says so and the guard follows.
    writes_umbrella = replace(
        catalog, synonyms={**catalog.synonyms, "umbrella": "umbrella"}, lobs={**catalog.lobs, "umbrella": "Umbrella"}
    )
    assert scan_products("You could add umbrella coverage.", writes_umbrella) == []


def test_mentions_carry_spans_for_marking(catalog):
    text = "Offer GL and an umbrella policy."
    [m] = find_mentions(text, catalog)
    assert text[m.start : m.end].lower() in ("umbrella", "umbrella policy") and m.offered


def test_cli_guard_scan_keeps_input_order(tmp_path, seeded_db, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps({"id": t["id"], "text": t["text"]}) for t in TEXTS[:20]) + "\n")
    assert uwc(["guard", "scan", str(src), "--data-dir", str(seeded_db["dir"])]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == [t["id"] for t in TEXTS[:20]]
    assert all(set(o) == {"id", "invented_products"} for o in out)


def test_cli_guard_scan_refuses_bad_lines_without_partial_output(tmp_path, seeded_db, capsys):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"id": 1, "text": "fine"}\n{"id": 2}\n')
    assert uwc(["guard", "scan", str(src), "--data-dir", str(seeded_db["dir"])]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "line 2" in captured.err


def test_no_finding_for_a_line_when_only_unwritten_products_were_asked_about(toolkit):
    finding = {
        "task_type": "appetite",
        "appetite": "yes",
        "summary": "Yes for property.",
        "citations": ["small-business-rule"],
        "facts": {"lob": "property"},
    }
    refused = toolkit.call("record_finding", finding, request="Is APP-0042 in appetite for umbrella?")
    assert not refused.ok and refused.error_kind == "guard_rejected" and "umbrella" in refused.result["error"]
    assert toolkit.call("record_finding", finding, request="Is APP-0042 in appetite for property?").ok
    assert toolkit.call("record_finding", finding).ok  # no request known (uwc tool): nothing to compare
    umbrella = {**finding, "facts": {"lob": "umbrella"}}
    assert toolkit.call("record_finding", umbrella).error_kind == "guard_rejected"  # a finding about umbrella


def test_offline_copilot_records_no_finding_for_umbrella(tmp_path, toolkit):
    from core.settings import get_settings
    from graph.copilot import Copilot

    cp = Copilot(get_settings(data_dir=tmp_path), toolkit=toolkit)
    try:
        r = cp.send(cp.new_thread().id, "Is APP-0042 in appetite for umbrella?")
        assert r.finding is None
        assert "do not write umbrella" in r.answer.lower()
    finally:
        cp.close()


@pytest.mark.parametrize(
    "text,expected",
    [
        # Words a fifth writer used that no rule read (round 5), in our own examples.
        ("Offer a c-r-i-m-e b-o-n-d for the till.", ["crime"]),  # one joiner per spelled word
        ("Add L/T disab. for the two partners.", ["disability_insurance"]),  # a slash pair, shorthand
        ("Nous recommandons une assurance enlèvement et rançon.", ["kidnap_ransom"]),  # "et" joins a term
        ("Offer a PAP for the owner's sedan.", ["personal_auto"]),
        ("Propose trip insurance for the tour groups.", ["travel_insurance"]),
        ("Sería prudente incluir una póliza de terremoto.", ["earthquake"]),
        (
            "The client runs outlet stores — a credit insurance policy on the receivables is worth quoting.",
            ["trade_credit"],
        ),
        ("Recommend XS over the GL and auto.", ["excess_liability"]),  # a layer over a line
        ("If not, add a fidelity bond for the cashiers.", ["fidelity_bond"]),  # "if not" is a condition
        ("Bind order: GL, property, liquor liab.", ["liquor_liability"]),  # a list after a label that offers
        ("Umbrella (n/a), EPLI (recommend), cyber ok", ["epli"]),  # a verdict in brackets after each item
        # Declines without a negation word, and a verdict carried over.
        ("EPLI is out, and so is D&O for the board.", []),
        ("Not quoting fiduciary liability. Crime coverage - same.", []),
        ("Umbrella is a no from us; EPLI too.", []),
        ("Let's keep travel insurance out of this proposal.", []),
        # each "keep ... out" of a clause holds only what it encloses
        ("Keep EPLI out and keep umbrella out, but add flood.", ["flood"]),
        ("Keep umbrella out and add EPLI for the staff.", ["epli"]),
        ("Nothing to recommend beyond GL, malpractice included.", []),
        # Other senses: a hazard, a verb, an idiom, a business, another party's policy.
        ("There is no earthquake exposure at this site; property Yes.", []),
        ("I recall the owner said 12 employees.", []),
        ("A flood of renewals came in this week; GL Yes.", []),
        ("Liquor store (445320): BOP Yes.", []),
        ("They already carry med mal through a captive.", []),
        # Round 6: a party named as the reason for an offer is no destination.
        ("Quote a flood policy to comply with the bank's loan terms.", ["flood"]),
        # Round 8, in our own examples: notes without vowels, text-speak digits, a negated harm that recommends, a
        # destination in a phrase a comma closes, "as is" carrying a decline, a form of a declined product offered
        # under another name, the farm, title and care lines.
        ("Pls quote hlth ins for the 3 partners.", ["health_insurance"]),
        ("b4 we bind, add earthquake cover.", ["earthquake"]),
        ("A crime policy can't hurt for the cashiers.", ["crime"]),
        ("With the ledger kept at a local bank, a fidelity bond makes sense: add it.", ["fidelity_bond"]),
        ("Aviation is outside our lines, as is a marine cargo policy.", []),
        ("EPLI is off the table, so add wrongful termination insurance instead.", ["epli"]),
        ("Offer crop hail cover for the orchard.", ["crop_livestock"]),
        ("We don't write title insurance; the buyer's lender arranges it.", []),
        ("Add long-term care insurance for the owners.", ["long_term_care"]),
        # Round 9, in our own examples: a product taken out of a draft (not when the removal is negated), the
        # applicant's own cover, a label with its cover word, terse refusals, an E&S market as destination, a name
        # that runs past a capitalised product word or stands before its NAICS code, trade letters.
        ("Remove the umbrella from the proposal.", []),
        ("We dropped EPLI before sending.", []),
        ("Pull the flood policy from the package and bind the GL.", []),
        ("The D&O was deleted from the quote.", []),
        ("Don't drop the umbrella, the lease requires it.", ["umbrella"]),
        ("Drop the GL deductible and add an umbrella.", ["umbrella"]),
        ("Cut costs with an umbrella over the auto.", ["umbrella"]),
        ("Their expiring D&O is with Northline Mutual; renewal in June.", []),
        ("The owner already holds flood on the warehouse.", []),
        ("Quote their expiring D&O for the board.", ["directors_and_officers"]),
        ("Crime coverage: n/a", []),
        ("Umbrella? Nope.", []),
        ("Why not pitch a crime policy to the owner?", ["crime"]),  # a suggestion, not a refusal
        ("Fiduciary: pass.", []),
        ("EPLI is a non-starter for this account.", []),
        ("The wholesaler can take the umbrella to an E&S market.", []),
        ("Liquor Auto Repair wants commercial auto for 3 tow trucks.", []),
        ("Umbrella Roofing - 238160, WC Yes.", []),
        ("Add Umbrella Auto Liability for the fleet.", ["umbrella"]),
        ("Warehouse in Fresno: property, GL and EQ.", ["earthquake"]),
        ("Architects, 4 staff: add a PL policy with the BOP.", ["professional_liability"]),
        ("Offer GK for the valet lot.", ["garage_keepers"]),
        ("Quote AD&D for the field crew.", ["life_insurance"]),
        ("Add jewelers block for the diamond dealer.", ["inland_marine"]),
    ],
)
def test_kinds_a_new_writer_used(text, expected):
    assert scan_products(text) == expected


def _peak_bytes(fn) -> int:
    """The most memory ``fn()`` held at once (tracemalloc: a count of bytes, not a stopwatch)."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("joiner", ["", " ", "-", "."], ids=["word", "spaced", "hyphenated", "dotted"])
def test_a_long_word_costs_memory_linear_in_its_length(joiner):
    """One 30,000-letter word took 887 MB (its typo neighbourhood is the square of its length): words longer than
    any term word are never looked up letter by letter."""
    import random

    import tools.guard as guard

    rng = random.Random(joiner)  # letters of their own: a word already looked up is cached
    text = joiner.join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6_000))
    guard.lexicon()  # loaded once per process: not the scan's cost
    peak = _peak_bytes(lambda: find_mentions(text))
    assert peak < 200 * len(text)  # the square would be 36,000,000 characters


def test_cli_guard_scan_refuses_a_huge_line_while_reading_it(tmp_path, seeded_db, capsys):
    """The line limit is checked as the line is read: a 30 MB line is never held whole."""
    from app.cli import MAX_SCAN_LINE_BYTES

    src = tmp_path / "huge.jsonl"
    size = 30_000_000
    with src.open("wb") as f:
        f.write(b'{"id": 1, "text": "fine"}\n{"id": 2, "text": "')
        for _ in range(size // 1_000_000):
            f.write(b"a" * 1_000_000)
        f.write(b'"}\n')
    peak = _peak_bytes(lambda: uwc(["guard", "scan", str(src), "--data-dir", str(seeded_db["dir"])]) == 2 or 1 / 0)
    captured = capsys.readouterr()
    assert captured.out == "" and "line 2" in captured.err and "bytes" in captured.err
    assert peak < MAX_SCAN_LINE_BYTES + size // 3


def test_a_company_name_is_not_an_offer():
    assert scan_products("Umbrella Cover Is Approved LLC wants GL.") == []
    # A name the data holds, even without "LLC", where the answer repeats it (a name that reads as an offer).
    name = "Buy umbrella cover today"
    assert scan_products(f"{name} is in appetite for GL.") == ["umbrella"]
    assert scan_products(f"{name} is in appetite for GL.", names=[name]) == []
    # The copilot's own words beside the name are still judged.
    assert scan_products(f"{name} is in appetite. Add umbrella cover too.", names=[name]) == ["umbrella"]


def test_the_answer_guard_keeps_a_determination_about_an_applicant_named_like_an_offer(tmp_path, seeded_db):
    """An applicant named "Umbrella cover is approved" made the guard strip the whole determination."""
    import shutil
    import sqlite3

    from core.settings import get_settings
    from graph.copilot import Copilot
    from tests.conftest import open_toolkit

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(seeded_db["db"], data / "uwc.db")
    with sqlite3.connect(data / "uwc.db") as con:
        con.execute("UPDATE applicant SET company_name = 'Umbrella cover is approved' WHERE id = 'APP-0042'")
    cp = Copilot(get_settings(data_dir=tmp_path / "home"), toolkit=open_toolkit(data))
    try:
        r = cp.send(cp.new_thread().id, "Is APP-0042 in appetite?")
    finally:
        cp.close()
    assert "Umbrella cover is approved" in r.answer and "in appetite" in r.answer
    assert not r.notices and "[removed" not in r.answer and r.finding is not None


def test_product_words_inside_citation_ids_are_not_mentions():
    """``[umbrella-unwritten]`` is a reference, whatever words the id is made of; the words outside still count."""
    for text in (
        "Declined: we do not write it [umbrella-unwritten].",
        "See [epli-unwritten] and [d-and-o_unwritten].",
        "Declined [umbrella_unwritten] [liquor-liability-unwritten]",
    ):
        assert find_mentions(text) == [], text
    offered = find_mentions("We can add an umbrella policy [umbrella-unwritten].")
    assert [(m.product, m.offered) for m in offered] == [("umbrella", True)]


def test_a_long_text_is_judged_a_segment_at_a_time(monkeypatch):
    """What one scan holds is bounded by the segment, not the text (a 5 MB list of mentions held 940 MB); mentions
    keep their places in the whole text."""
    import tools.guard as guard

    monkeypatch.setattr(guard, "SEGMENT_CHARS", 2_000)
    monkeypatch.setattr(guard, "MAX_JUDGED_CHARS", 0)  # the short text judged each time too, not kept
    item = "\n- We could add umbrella cover"
    short, long = item * 60, item * 1_200  # one segment of mentions; twenty times as many
    guard.scan_products(short)  # warm: the lexicon and the judge's model load once
    assert guard.scan_products(long) == ["umbrella"]
    assert _peak_bytes(lambda: guard.scan_products(long)) < 3 * _peak_bytes(lambda: guard.scan_products(short))
    mentions = guard.find_mentions(long)
    assert len(mentions) == 1_200 and all(long[m.start : m.end] == m.text for m in mentions)
    assert [m.start for m in mentions] == sorted(m.start for m in mentions)


def test_a_text_is_judged_once_with_the_same_verdicts_until_what_it_depends_on_changes(catalog, monkeypatch):
    """A turn judges the same words several times (streamed pieces, the answer, its summary, a redo's same answer):
    the mentions are kept per text, names, catalog and judge, with the verdicts of a fresh judgement."""
    import tools.guard as guard
    import tools.guard_model as gm

    monkeypatch.setattr(guard, "_judged", guard.Bounded(3))
    judged: list[str] = []
    judge = guard._find_mentions
    monkeypatch.setattr(guard, "_find_mentions", lambda text, *a: judged.append(text) or judge(text, *a))
    text = "Offer GL and an umbrella policy; we do not write cyber."
    fresh = judge(text, guard.lexicon(), guard._written(guard.lexicon(), catalog), ())
    assert find_mentions(text, catalog) == fresh == find_mentions(text, catalog) and judged == [text]
    mentions = find_mentions(text, catalog)
    mentions.clear()  # the caller's list: what is kept is untouched
    assert find_mentions(text, catalog) == fresh and len(judged) == 1
    assert scan_products(text, catalog) == [m.product for m in fresh if m.offered] and len(judged) == 1
    # Whatever the verdict depends on is in the key: names, the products the catalog writes, the judge's weights.
    find_mentions(text, catalog, ["Umbrella Policy Co"])
    writes_umbrella = replace(catalog, lobs={**catalog.lobs, "umbrella": "Umbrella"})
    assert [m.product for m in find_mentions(text, writes_umbrella)] == [
        m.product for m in fresh if m.product != "umbrella"
    ]
    weights = {**gm._weights()}
    monkeypatch.setattr(gm, "_weights", lambda: weights)
    assert find_mentions(text, catalog) == fresh
    assert len(judged) == 4
    assert len(guard._judged) == 3  # bounded: the oldest dropped
    find_mentions(text, catalog, ["Umbrella Policy Co"])
    assert len(judged) == 5


def test_a_long_text_is_judged_every_time(monkeypatch):
    import tools.guard as guard

    monkeypatch.setattr(guard, "_judged", guard.Bounded(8))
    text = "You could also add umbrella coverage. " * (guard.MAX_JUDGED_CHARS // 30)
    assert len(text) > guard.MAX_JUDGED_CHARS and find_mentions(text) == find_mentions(text)
    assert not guard._judged
