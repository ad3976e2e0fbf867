"""Guideline retrieval: hybrid search over the indexed sections, and lookup of one section by id."""

from __future__ import annotations

import re
from typing import Annotated

import numpy as np
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.vocabulary import LOB_SHORTHAND
from guidelines import load_query_words, load_search_terms, load_sections
from retrieval.acronyms import READ_IN_ANY_CASE
from retrieval.business_words import HeadNouns
from retrieval.index import GUIDELINE_CHUNKS, GUIDELINES, open_collection, section_document
from retrieval.normalise import NormalisedQuery, QueryNormaliser, stem, words_of
from retrieval.search import STOP_WORDS, HybridIndex, singular, tokenize
from retrieval.wordset import WordSet
from seed_db import models
from seed_db.sources import read_index_entries, read_us_cities
from tools.catalog import most_specific_rule
from tools.context import ToolContext
from tools.errors import InvalidArgument, NotFound
from tools.guard import lexicon, scan_products
from tools.spec import tool


def guideline_search(ctx: ToolContext) -> tuple[HybridIndex, dict]:
    """The shared hybrid index over the guideline sections (built on first use)."""

    def build():
        sections = load_sections()
        collection = open_collection(ctx.index_dir, GUIDELINES, ctx.embedding)
        # An index built before passages existed has none: whole-section vectors until the next `uwc seed`.
        chunks = open_collection(ctx.index_dir, GUIDELINE_CHUNKS, ctx.embedding, missing_ok=True)
        index = HybridIndex([s.id for s in sections], _lexical_texts(sections), collection, ctx.embedding, chunks)
        return index, {s.id: s for s in sections}

    return ctx.lazy("guidelines", build)


def _lexical_texts(sections) -> list[str]:
    """Each section as BM25 reads it: its title and text, then the words underwriters use for what it decides
    (``guidelines/search_terms.yaml``: "cross-sell" for recommending other lines). The embeddings read the section
    alone."""
    terms = load_search_terms(sections=sections)
    return [f"{section_document(s.title, s.text)}\n{', '.join(terms.get(s.id, []))}" for s in sections]


def question_reader(ctx: ToolContext) -> QueryNormaliser:
    """Reads a question against the guidelines' own words: typos, cut words, the trade's shorthand, a city's state
    (``retrieval.normalise``).
    The words of the NAICS titles and index entries are known words too: a business named in a question
    ("staffing firm") is never "corrected" into a word of the guidelines."""

    def build():
        sections = load_sections()
        names = [*ctx.catalog.naics_titles.values(), *(entry for _, entry in read_index_entries())]
        known = {w for name in names for w in words_of(name)}
        common = {w for name in names for w in re.findall(r"[A-Za-z]+", name) if w.islower()}
        states = ctx.catalog.states
        places = {city: states.get(code, code) for city, code in read_us_cities().items()}
        texts = _lexical_texts(sections)
        shorthand = lexicon().shorthand  # insurer.yaml's product_abbreviations, which the guard reads too
        alone = read_us_cities(min_population=CITY_ALONE_POPULATION)
        return QueryNormaliser(texts, known, places, states, common=common, shorthand=shorthand, alone=alone)

    return ctx.lazy("guideline_question_reader", build)


# A city this populous is a place without "in" before it ("fargo client wants wc"): fewer of its names are words too.
CITY_ALONE_POPULATION = 100_000


def read_question(ctx: ToolContext, query: str) -> NormalisedQuery:
    return question_reader(ctx)(query)


def sections_by_id(ctx: ToolContext) -> dict:
    """Every guideline section by id, read from the files: no search index or embedding model needed."""
    return ctx.lazy("guideline_sections", lambda: {s.id: s for s in load_sections()})


def _one(*words: str) -> str:
    """Words in the singular, as BM25 reads them ("insurance agencies" -> "insurance agency")."""
    return " ".join(singular(w) for w in words)


def _business_vocabulary(ctx: ToolContext) -> tuple[WordSet, WordSet]:
    """The words the NAICS titles and index entries name businesses with, and their two-word names of which one word
    is a word of the guidelines too ("insurance carriers", "travel agencies"), both in the singular."""
    used = question_reader(ctx).counts  # before ctx.lazy below: its lock is held while it builds

    def build():
        names = [*ctx.catalog.naics_titles.values(), *(entry for _, entry in read_index_entries())]
        words, pairs = set(), set()
        for name in names:
            ws = words_of(name)
            words.update(_one(w) for w in ws)
            pairs.update(_one(a, b) for a, b in zip(ws, ws[1:], strict=False) if (a in used) != (b in used))
        return WordSet(words), WordSet(pairs)

    return ctx.lazy("guideline_business_vocabulary", build)


def _business_words(ctx: ToolContext, read: NormalisedQuery) -> str:
    """Where a business is said ("roofing"): the question's words that the NAICS texts name businesses with and the
    guidelines do not use, with a word of the guidelines that forms a two-word NAICS name with one of them ("insurance
    carrier": "insurance" alone is the guidelines' word); a word the guidelines use only in an example, in a business's
    name ("machine shop"); a trade's abbreviation ("GC"). Not the chat around it
    ("whats", "thanks"), a figure's letters ("2.5M"), a place or a state, nor the trade's words ("agent", the broker):
    embedded with the business, such words moved the link to an industry of their own, or made one of nothing."""
    reader, (naics_words, naics_pairs) = question_reader(ctx), _business_vocabulary(ctx)
    used = reader.counts
    places = {w for r in read.rewrites if r.why == "place" for w in words_of(r.read)}
    places |= {w for name in reader.states.values() for w in name.split()}
    words = words_of(read.text)
    building = _building_words(ctx, words)

    trade, topics = _trade_words(ctx), _topic_words(ctx)

    def example(i: int) -> bool:
        # A word the guidelines use only in an example or a cited title ("machine shop", "dental office"), in a
        # business's name: it, or a word of the two after it, ends names of the Census index ("shop", "office").
        w = words[i]
        return (
            used[w] <= EXAMPLE_WORD_MAX_COUNT
            and singular(w) not in topics
            and any(x not in STOP_WORDS and _head_nouns(ctx).of_noun(x) for x in words[i : i + 3])
        )

    def business(i: int) -> bool:
        w = words[i]
        if w in READ_IN_ANY_CASE and (w not in used or example(i)):  # a trade's abbreviation ("GC", "HVAC", "TV")
            return True
        return (
            len(w) > 2
            and i not in building
            and (w not in used or example(i))
            and w not in STOP_WORDS
            and w not in places
            and singular(w) not in trade
            and w not in _MEASURE_OF  # a figure's measure ("sales", "commissions", "staff"), no business
            and _one(w) in naics_words
        )

    def named_with(i: int) -> bool:  # a word of the guidelines naming a business with its neighbour
        return any(
            0 <= j < len(words) and business(j) and _one(words[min(i, j)], words[max(i, j)]) in naics_pairs
            for j in (i - 1, i + 1)
        )

    return " ".join(
        w for i, w in enumerate(words) if business(i) or (w in used and w not in STOP_WORDS and named_with(i))
    )


def _building_words(ctx: ToolContext, words: list[str]) -> set[int]:
    """The positions of ``words`` that describe a building in a phrase of two words or more of the catalog's
    construction phrases ("steel frame", "brick walls", "metal building"): the building, not the business ("steel" is
    also a mill's). A material alone stays a possible business word ("concrete contractor")."""
    out: set[int] = set()
    for phrase in ctx.catalog.construction_phrases:
        terms = words_of(phrase)
        if len(terms) < 2:
            continue
        for i in range(len(words) - len(terms) + 1):
            if words[i : i + len(terms)] == terms:
                out.update(range(i, i + len(terms)))
    return out


def _head_nouns(ctx: ToolContext) -> HeadNouns:
    """The nouns the Census index entries end business names with ("shops", "offices", "banks"): read from the
    entries, with no index (the classifier keeps its own)."""
    return ctx.lazy("guideline_head_nouns", lambda: HeadNouns.build(read_index_entries()))


def _business_code(ctx: ToolContext, words: str, typed: str) -> str:
    """The 2022 NAICS code of the business a question names: a code typed in it (surer than any reading of its
    words), else the product's classifier's best code for its business words (``_business_words``) when it scores
    at least ``INDUSTRY_LINK_MIN_SCORE``; "" for none. The guidelines' own words (broker, payroll, insured, fire,
    vehicle count) are never read as a business: they are the rule asked about ("payroll" was Payroll Services)."""
    from tools.naics import naics_classifier

    code = next((c for c in re.findall(r"(?<!\d)\d{6}(?!\d)", typed) if c in ctx.catalog.naics_titles), "")
    if words and not code:
        classifier = naics_classifier(ctx)
        scores = classifier.scores(words)
        best = int(np.argmax(scores))
        code = classifier.index.ids[best] if scores[best] >= INDUSTRY_LINK_MIN_SCORE else ""
    return code


def _industry_terms(ctx: ToolContext, code: str) -> str:
    """A business's NAICS code and every level above it, so BM25 can find the appetite tables, which are keyed by
    sector, subsector and group ("roofer" -> 238160, 238, 23 Construction); "" without a code."""
    from tools.naics import naics_levels

    if not code:
        return ""
    levels = naics_levels(ctx)
    # Three sectors span two-digit ranges ("31-33" Manufacturing); the guidelines write the range.
    sector = next((s for s in levels if "-" in s and s[:2] <= code[:2] <= s[-2:]), code[:2])
    return " ".join(
        [code, code[:4], code[:3], sector, levels.get(code[:4], ""), levels.get(code[:3], ""), levels.get(sector, "")]
    )


# The classifier's score (classify_business) from which its best code is the business a question names: a business's
# name scores 1.5-2.3 ("roofer", "machine shop"), a stray word about 1.1 ("mix").
INDUSTRY_LINK_MIN_SCORE = 1.3
# A word the guidelines use this often or less may still name a business (an example's "machine shop"), beside a
# business noun: a business the worked examples come back to is named there several times (issue g13: 2 lost them).
EXAMPLE_WORD_MAX_COUNT = 6
# What the sections that decide the case a question names (``_deciding_sections``) add to their fused score (a sum of
# about three z-scores): enough to lift the appetite entry's section above the line's own rule ("cyber for a GC"),
# not so much that the question's words no longer choose between the appetite, the limit and the deductible.
# Issue g12: 1.0 and 2.0 gained less on the g12 tune set, 3.0 lost top-1 on the own set.
DECIDING_WEIGHT = 2.5
# A question naming a product we do not write is about these (what we say of it, what may stand in for it).
NOT_WRITTEN_SECTIONS = {"products-not-written", "not-written-redirects"}
# What the sections that decide a case by its size (``_size_sections``) add: more than the appetite entry's, since
# a business above its standard is out of appetite for every line whatever the rest of the question names.
SIZE_WEIGHT = 6.0
# Expansions only add weight to BM25: the industry link is the classifier's best code, a hint (0.3 lost the g12 tune
# set's top-1 on sector tables; 0.6 and 1.0 alike); an abbreviation's meaning is surer. Both are below the query's own
# words (weight 1). Dropped when the appetite guide names the deciding sections: it then pulled up any section that
# lists the code's prefix for another rule (cyber limits for a dentist asked about workers compensation).
INDUSTRY_WEIGHT = 0.6
ABBREVIATION_WEIGHT = 0.5
# Word pairs of the query matched as phrases: half a signal, chosen on the own and the r6 tune questions together
# (1.0 lost top-1 on both; 0.25-0.35 gained less recall@3).
PAIR_WEIGHT = 0.5
# The guidelines' word for what a question says in other words (``guidelines/query_words.yaml``): a plain synonym,
# surer than the industry link, not surer than an abbreviation.
QUERY_WORDS_WEIGHT = 1.0
# Shorthand underwriters type that neither embeddings nor BM25 can read. LOB names come from the catalog's
# synonyms and the shared LOB shorthand (core.vocabulary).
ABBREVIATIONS = {
    "b&b": "bed-and-breakfast inn",
    "bnb": "bed-and-breakfast inn",
    "lob": "line of business",
    "uw": "underwriter",
    "sba": "SBA size standard",
    "d&o": "directors and officers",
    "e&o": "errors and omissions professional liability",
    "epli": "employment practices liability",
    "k&r": "kidnap and ransom",
    "tiv": "total insured value",
    "naics": "NAICS code classification",
}


def _expand_abbreviations(ctx: ToolContext, query: str) -> str:
    # Shorthand is often typed in the plural ("BOPs", "LOBs", "UWs"): each word is read as typed and singular.
    text = _typed_words(query)
    words = set(text.split())
    extra = [full for short, full in ABBREVIATIONS.items() if short in words]
    extra += [ctx.catalog.lobs[code] for code in _lines_in(ctx, text)]
    # A product we do not write, in any of the words the guard knows for it ("xs layer", "med mal", "dram shop"):
    # the name the guidelines list it under.
    extra += [lexicon().names[p] for p in scan_products(query, ctx.catalog, mentions_only=True)]
    return " ".join(dict.fromkeys(extra))


def _typed_words(query: str) -> str:
    """The words of ``query`` as typed and in the singular, spaced (" bops | bop "): "|" keeps a phrase from
    spanning the two. A quotation mark is no apostrophe: "'fleet policy'" is the words fleet and policy."""
    typed = [w.strip("'") for w in re.findall(r"[a-z0-9&']+", query.lower().replace("’", "'").replace("‘", "'"))]
    typed = [w for w in typed if w]
    singular = [w[:-1] if len(w) > 2 and w.endswith("s") and not w.endswith("ss") else w for w in typed]
    return " " + " ".join(typed) + " | " + " ".join(singular) + " "


def _lines_in(ctx: ToolContext, text: str) -> list[str]:
    """The codes of the lines of business ``text`` (as ``_typed_words`` spaces it) names, in the catalog's synonyms
    or the trade's shorthand, multi-word too ("comm auto", "gen liab")."""
    phrases = {**ctx.catalog.synonyms, **LOB_SHORTHAND}
    found = [
        code for phrase, code in phrases.items() if f" {phrase} " in text or f" {phrase.replace(chr(39), '')} " in text
    ]
    return list(dict.fromkeys(found))


def _states_in(ctx: ToolContext, typed: str, read: NormalisedQuery) -> list[str]:
    """The codes of the states a question names: a code in capitals ("WA"), a state's name, or a city the reader
    placed in its state ("Seattle" -> Washington)."""
    states = ctx.catalog.states
    text = f" {' '.join(words_of(read.text))} "
    named = [code for code, name in states.items() if f" {' '.join(words_of(name))} " in text]
    named += [w for w in re.findall(r"\b[A-Z]{2}\b", typed) if w in states and w.lower() not in STOP_WORDS]
    return list(dict.fromkeys(named))


def _deciding_sections(
    ctx: ToolContext, lines: list[str], code: str, states: list[str], asked: frozenset[str] = frozenset()
) -> set[str]:
    """The sections whose rules decide the case a question names, read from the insurer's tables (each row says the
    section that states it): for each line it names, the appetite guide's entry for the business's code in the states
    it names (in most states when it names none), and the line's own limit or deductible for the code; with no
    business, the one section every entry of the line in those states cites (a state exception: workers compensation
    in a monopolistic state). Which of them the question asks about, its words choose. A table the question asks
    about (``asked``: "limit", "deductible"; ``_tables_asked``) gives its rule for the line even when it is the
    default one, with or without a business."""
    if not lines or not (code or states or asked):
        return set()
    row = models.Appetite
    found: set[str] = set()
    with Session(ctx.engine) as c:
        tables = [
            (name in asked, c.execute(select(t.lob, t.naics_prefix, t.section_id)).all())
            for name, t in (("limit", models.LimitRule), ("deductible", models.DeductibleRule))
            if code or name in asked
        ]
        for line in lines:
            where = [row.lob == line]
            if code:
                where.append(row.naics_code == code)
            if states:
                where.append(row.state.in_(states))
            counts = (
                c.execute(select(row.section_id, func.count()).where(*where).group_by(row.section_id)).all()
                if code or states
                else []
            )
            if code and counts:
                found |= {s for s, _ in counts} if states else {max(counts, key=lambda r: r[1])[0]}
            elif len(counts) == 1:
                found.add(counts[0][0])
            for is_asked, rules in tables:  # the line's own limit or deductible for the code (the default if asked)
                best = most_specific_rule(rules, code, line)
                if best is not None and (is_asked or best.lob is not None or best.naics_prefix):
                    found.add(best.section_id)
    return found


# The words that ask about a limit or a deductible, as the reader spells them out ("ded" is read "deductible"). A limit
# after a figure's measure ("revenue limit", "payroll limit", "fleet limit") is a qualification's threshold, no policy
# limit.
_TABLE_WORDS = {
    "limit": re.compile(r"\b(?:(\w+)\s+)?(?:limits?|per occurrence|aggregate)\b", re.I),
    "deductible": re.compile(r"\b(?:(\w+)\s+)?(?:deductibles?|deds?|retentions?)\b", re.I),
}
_THRESHOLD_OF = frozenset(
    "revenue rev sales receipts payroll employee employees headcount staff vehicle vehicles fleet truck trucks unit units "
    "size".split()
)


def _tables_asked(text: str) -> frozenset[str]:
    """The rule tables a question asks about: "limit", "deductible" (``_TABLE_WORDS``)."""
    return frozenset(
        name
        for name, words in _TABLE_WORDS.items()
        if any((m.group(1) or "").lower() not in _THRESHOLD_OF for m in words.finditer(text))
    )


# The words a question names a business's size figure with, read beside the figure (within ``SIZE_WORD_REACH`` words,
# the nearest word deciding): its annual revenue or its employee count, the two measures of the SBA standards; and the
# other figures a question gives beside them (payroll, a limit, a deductible, vehicles), so a payroll is no revenue.
SIZE_FIGURE_WORDS = {
    "revenue": "revenue revenues rev revs sales receipts turnover gross grosses grossing doing topline fees "
    "commissions billing billings income",
    "employees": "employees employee emps emp ees staff staffers people workers headcount fte ftes employ employs heads "
    "crew",
    "other": "payroll wages remuneration limit limits ded deductible deductibles occurrence aggregate premium trucks "
    "vehicles units drivers assets sq ft years yrs",
}
SIZE_WORD_REACH = 3
_FIGURE = re.compile(
    r"(?<![\w.$])(\$?\s?\d[\d,]*(?:\.\d+)?)\s?(k|thousand|mm|m|mil|million|b|bn|billion)?(?![\w,]*\d)(?!\w)", re.I
)
_MEASURE_OF = {w: measure for measure, ws in SIZE_FIGURE_WORDS.items() for w in ws.split()}
# A question that gives the size test's verdict in words ("not small", "over the size standard", "too big"): the
# small-business rule decides its case. Under or within the standard says nothing beyond the words themselves.
_NOT_SMALL = re.compile(
    r"(?<!\bor\s)\b(?:not|isn'?t|aren'?t|no longer)\s+(?:a\s+)?small\b"
    r"|\b(?:over|above|exceeds?|exceeding|exceeded|past|beyond|bigger than|larger than)\s+(?:the\s+|its\s+|their\s+)?"
    r"(?:sba\s+)?(?:size\s+)?(?:standard|std|threshold|cutoff|cap)\b"
    r"|\btoo\s+(?:big|large)\b",
    re.I,
)
# The sections that decide a case by the business's size: above its SBA standard, the small-business rule (out of
# appetite for every line); a code with no standard, or one measured by assets, the exceptions (refer).
NOT_SMALL_SECTIONS = {"small-business-rule"}
ABOVE_STANDARD_SECTIONS = {"small-business-rule", "size-standards"}
NO_STANDARD_SECTIONS = {"size-standards-exceptions"}


def size_figures(text: str, codes: frozenset[str] = frozenset()) -> dict[str, int]:
    """The annual revenue (whole dollars) and the employee count a question gives, by the nearest measure word of
    ``SIZE_FIGURE_WORDS`` within ``SIZE_WORD_REACH`` words of the figure ("$52M in sales", "rev is 12M", "1,300
    emps", "staff of 40"); a six-digit NAICS code of ``codes`` is no figure. The first of each measure counts."""
    from tools.catalog import money

    words = [(m.group(0).lower(), m.start(), m.end()) for m in re.finditer(r"[A-Za-z]+", text)]
    found: dict[str, int] = {}
    for m in _FIGURE.finditer(text):
        number, unit = m.group(1), m.group(2) or ""
        if number.strip("$ ").isdigit() and number.strip("$ ") in codes:
            continue
        before = [w for w, _, end in words if end <= m.start()][-SIZE_WORD_REACH:]
        after = [w for w, start, _ in words if start >= m.end() and w != unit.lower()][:SIZE_WORD_REACH]
        near = sorted(
            [(len(before) - i, _MEASURE_OF[w]) for i, w in enumerate(before) if w in _MEASURE_OF]
            + [(i + 1, _MEASURE_OF[w]) for i, w in enumerate(after) if w in _MEASURE_OF],
            key=lambda pair: pair[0],
        )
        if not near or near[0][1] == "other" or near[0][1] in found:
            continue
        if near[0][1] == "employees" and ("$" in number or unit):  # dollars are no headcount ("800k, staff of 15")
            continue
        try:
            value = money(f"{number}{unit}")
        except InvalidArgument:
            continue
        found[near[0][1]] = value
    return found


def _size_sections(ctx: ToolContext, code: str, typed: str) -> dict[str, float]:
    """The sections that decide the case a question names by its size, with what each adds to its score: the
    small-business rule when the question says the business is not small, or gives a revenue or an employee count above
    the SBA standard of its code (the standard's own measure only; ``SIZE_WEIGHT``); the exceptions when its code has
    no standard or an asset standard (``DECIDING_WEIGHT``: the test cannot be run, which decides an appetite question,
    not a limit's)."""
    if _NOT_SMALL.search(typed):
        return dict.fromkeys(NOT_SMALL_SECTIONS, SIZE_WEIGHT)
    if not code:
        return {}
    row = models.SizeStandard
    with Session(ctx.engine) as c:
        base = c.execute(select(row).where(row.naics_code == code, row.exception.is_(None))).scalars().first()
    if base is None or base.assets_musd is not None:
        return dict.fromkeys(NO_STANDARD_SECTIONS, DECIDING_WEIGHT)
    figures = size_figures(typed, frozenset(ctx.catalog.naics_titles))
    above = (base.receipts_musd is not None and figures.get("revenue", 0) > base.receipts_musd * 1_000_000) or (
        base.employees is not None and figures.get("employees", 0) > base.employees
    )
    return dict.fromkeys(ABOVE_STANDARD_SECTIONS, SIZE_WEIGHT) if above else {}


def _stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in tokenize(text))


def _query_words(ctx: ToolContext) -> list[tuple[tuple[str, ...], str]]:
    """(words as the search reads them, the guidelines' word for them) from ``guidelines/query_words.yaml``."""

    def build():
        table = load_query_words()  # not through another ctx.lazy: its lock is held here
        return [(_stems(other), word) for word, others in table.items() for other in others if _stems(other)]

    return ctx.lazy("guideline_query_words", build)


def _trade_words(ctx: ToolContext) -> frozenset[str]:
    """The words of ``guidelines/query_words.yaml``'s lists, each as BM25 reads it ("agent", "pitch"): the trade's
    words, no business ("staffing" is one, "staff" is not)."""

    def build():
        return frozenset(w for others in load_query_words().values() for other in others for w in tokenize(other))

    return ctx.lazy("guideline_trade_words", build)


def _topic_words(ctx: ToolContext) -> frozenset[str]:
    """Words the guidelines use rarely that still name what a rule is about, not a business: the words of a product we
    do not write ("liquor", "surety") and the guidelines' own words of ``guidelines/query_words.yaml`` ("broker")."""

    def build():
        names = [*lexicon().names.values(), *load_query_words()]
        return frozenset(w for name in names for w in tokenize(name))

    return ctx.lazy("guideline_topic_words", build)


def _guideline_words(ctx: ToolContext, query: str) -> str:
    """The guidelines' words for what the question says in other words ("sell" -> offer; "respond" -> answer;
    "escalate" -> refer): each a whole run of the question's words, compared by their stems ("escalated" is
    "escalate")."""
    words = _stems(query)
    found = [
        word
        for run, word in _query_words(ctx)
        if any(tuple(words[i : i + len(run)]) == run for i in range(len(words) - len(run) + 1))
    ]
    return " ".join(dict.fromkeys(found))


def _line_names(ctx: ToolContext) -> list[tuple[re.Pattern, str]]:
    """(a shorthand for a line of business, the line's name): the catalog's synonyms and the trade's shorthand
    (``core.vocabulary.LOB_SHORTHAND``) that no section but one writes (the catalog's table of names,
    ``lines-of-business``), longest first."""

    def build():
        texts = [f" {' '.join(tokenize(section_document(s.title, s.text)))} " for s in load_sections()]
        names = []
        for phrase, code in sorted({**ctx.catalog.synonyms, **LOB_SHORTHAND}.items(), key=lambda p: -len(p[0])):
            terms = " ".join(tokenize(phrase))
            if terms and sum(f" {terms} " in text for text in texts) <= 1:
                pattern = re.compile(rf"(?<![\w']){re.escape(phrase)}(?![\w'])", re.IGNORECASE)
                names.append((pattern, ctx.catalog.lobs[code]))
        return names

    return ctx.lazy("guideline_line_names", build)


def _lines_named(ctx: ToolContext, text: str) -> str:
    """``text`` with a line of business named in shorthand the guidelines write only in the catalog's table ("work
    comp", "wc") named as the guidelines name it elsewhere ("Workers Compensation"): said in shorthand, the line is
    what the question is about, not the table that lists its names."""
    for pattern, name in _line_names(ctx):
        text = pattern.sub(name, text)
    return text


@tool
def search_guidelines(
    ctx: ToolContext,
    query: Annotated[str, Field(min_length=2, max_length=500)],
    k: Annotated[int, Field(ge=1, le=8)] = 3,
) -> dict:
    """Search the insurer's underwriting guidelines and return the best sections (id, title, text) to cite.

    Use it for any question about rules, definitions, what we write or do not write, and how to decide.
    Cite the returned section ids in your answer, e.g. [property-hospitality-construction]. Typos and cut words
    are read before searching; ``read_as`` (when present) is the query as it was searched.

    Args:
        query: what you want to know, in plain words
        k: how many sections to return (1-8, default 3)
    """
    if not query.strip():
        raise InvalidArgument("query is empty", "describe what you are looking for")
    index, sections = guideline_search(ctx)
    # Searched as read (typos fixed, cut words whole, a city's state added); shorthand is spelled out from the words
    # as typed too ("gen liab" is a catalog phrase, "gen liability" is not).
    read = read_question(ctx, query)
    typed, query = query, read.text
    # The case the question names (its lines, its business, its state) and the sections whose rules decide it.
    code = _business_code(ctx, _business_words(ctx, read), typed)
    lines = _lines_in(ctx, _typed_words(typed))
    asked = _tables_asked(f"{typed} {query}")
    deciding = _deciding_sections(ctx, lines, code, _states_in(ctx, typed, read), asked)
    not_written = NOT_WRITTEN_SECTIONS if scan_products(typed, ctx.catalog, mentions_only=True) else set()
    vector = index.embedding.embed_query([query])
    shorthand = dict.fromkeys(f"{_expand_abbreviations(ctx, typed)} {_expand_abbreviations(ctx, query)}".split())
    expansions = [
        (" ".join(shorthand), ABBREVIATION_WEIGHT),
        (_industry_terms(ctx, code) if not deciding else "", INDUSTRY_WEIGHT),
        (_guideline_words(ctx, query), QUERY_WORDS_WEIGHT),
    ]
    words = _lines_named(ctx, query)  # what BM25 reads: a line in shorthand named as the guidelines name it
    hits = index.search(
        query,
        k=k,
        expansions=expansions,
        vector=vector,
        pair_weight=PAIR_WEIGHT,
        words=words,
        boosts={
            **dict.fromkeys(deciding | not_written, DECIDING_WEIGHT),
            **_size_sections(ctx, code, typed),
        },
    )
    out: dict = {
        "sections": [
            {"id": sid, "title": sections[sid].title, "text": sections[sid].text, "score": round(score, 4)}
            for sid, score in hits
        ]
    }
    if read.rewrites:  # what was searched, so a misread is seen: "umbrela" -> "umbrella"
        out["read_as"] = read.text
    return out


@tool
def get_guideline_section(ctx: ToolContext, section_id: str) -> dict:
    """Return one guideline section's full text by its id (e.g. "auto-qualified").

    Args:
        section_id: a section id as cited in answers or returned by search_guidelines
    """
    sections = sections_by_id(ctx)
    sid = section_id.strip().strip("[]#").lower()
    if sid not in sections:
        raise NotFound(f"no guideline section {section_id!r}", "ids: " + ", ".join(sections))
    s = sections[sid]
    return {"id": s.id, "title": s.title, "text": s.text, "document": s.document}
