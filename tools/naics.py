"""NAICS tools: classify a business description, and look a code up in any edition (2012, 2017, 2022)."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Annotated

import numpy as np
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.heap import give_back
from retrieval.acronyms import defined_acronyms, lengthen, spell_out
from retrieval.activity import Activity, establishment_test, retailer_test
from retrieval.business_words import BusinessWords, HeadNouns, Spelling, business_name, denied, head_clause
from retrieval.entries import CodeNames, PackedNames, entry_vectors
from retrieval.index import NAICS, collection_vectors, naics_document, open_collection
from retrieval.normalise import message_body, stem, vocabulary_words
from retrieval.search import STOP_WORDS, HybridIndex
from retrieval.stated_codes import StatedCode, stated_codes, without_codes
from retrieval.vectors import identity_of
from seed_db import models
from seed_db.sources import read_index_entries, read_us_cities
from tools.catalog import naics_digits
from tools.context import ToolContext
from tools.errors import NotFound
from tools.spec import tool


def naics_search(ctx: ToolContext) -> HybridIndex:
    def build():
        with Session(ctx.engine) as c:
            rows = c.execute(
                select(models.NaicsCode.code, models.NaicsCode.title, models.NaicsCode.description).order_by(
                    models.NaicsCode.code
                )
            ).all()
        # Titles twice in the lexical text: a title word is worth more than a passing word in a description.
        texts = [f"{t} {t} {naics_document(code, t, d)}" for code, t, d in rows]
        opens = functools.partial(open_collection, ctx.index_dir, NAICS, ctx.embedding)
        return HybridIndex([r[0] for r in rows], texts, None, ctx.embedding, opens=opens)

    return ctx.lazy("naics", build)


@dataclass(frozen=True)
class NaicsClassifier:
    """Every code scored three ways at once (exact, over all 1,012 codes): how near the query is to the code's
    official title and description, how near to the nearest of the names the Census index gives it, and how much
    its words match the title and description (BM25, scaled to the best match of the query)."""

    index: HybridIndex
    documents: np.ndarray  # the NAICS collection's vectors, in ``index.ids`` order
    entries: CodeNames | None  # the Census index entries' vectors, grouped by code
    business_words: BusinessWords | None = None  # figures, places and LOB shorthand taken out of the query
    head_nouns: HeadNouns | None = None  # which sectors a name's head noun points to, from the index entries
    acronyms: dict[str, str] | None = None  # acronyms the NAICS texts define ("CPAs", "RV", "PEO"), spelled out
    activity: Activity | None = None  # the sectors a description's verbs name (makes, installs, distributes...)
    spelling: Spelling | None = None  # trade words typed with a slip or without their vowels, read as meant
    titles: Mapping[str, str] = field(default_factory=dict)  # code -> official title
    # code -> the stems of what its official description says its establishments work without ("operators")
    without: Mapping[str, frozenset[str]] = field(default_factory=dict)
    since_2017: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # 2017 code -> its 2022 codes
    since_2012: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # 2012 code -> its 2017 codes

    def scores(self, query: str) -> np.ndarray:
        query = message_body(query)
        stated = stated_codes(query)
        query = without_codes(query) if any(s.labelled for s in stated) else query
        denial = denied(query)
        if self.business_words is not None:
            query = self.business_words(query)
        query = lengthen(query)
        if self.spelling is not None:
            query = self.spelling(query)
        query = spell_out(query, self.acronyms or {}, self.spelling.known if self.spelling is not None else ())
        head = head_clause(query)  # the text itself when it is one clause: embedded once (its vector in any batch)
        texts = [query] if head == query else [query, head]
        vehicle = _VEHICLE_NAME.search(business_name(head))
        fare = [vehicle.group(1)] if vehicle else []
        vectors = np.asarray(
            self.index.embedding.embed_query([*texts, *([denial] if denial else []), *fare]), np.float32
        )
        if fare:
            vectors, fare_vector = vectors[:-1], vectors[-1]
        score = self.similarity(vectors[0]) + HEAD_WEIGHT * self.similarity(vectors[len(texts) - 1])
        if denial:
            # a code whose own text says its establishments work without what is denied ("renting ... without
            # operators" for "no operators") is the one the denial describes: not moved down
            agrees = self.texts_denying(denial)
            score = score - DENIED_WEIGHT * self.similarity(vectors[-1]) * (1 - agrees)
            score = score - DENIED_TITLE_WEIGHT * self.titles_naming(denial)
        score = score - EXCEPTED_WEIGHT * self.titles_excepting(query)
        lexical = self.index.bm25_scores(query)
        if lexical.max() > 0:
            score = score + LEXICAL_WEIGHT * lexical / lexical.max()
        sectors = self.head_nouns.sectors(query) if self.head_nouns is not None else {}
        if sectors:
            score = score + HEAD_NOUN_WEIGHT * np.array([sectors.get(code[:2], 0.0) for code in self.index.ids])
        if fare:
            score = self.by_food_vehicle(fare_vector, score)
        return self.by_stated_codes(stated, self.by_activity(query, score))

    def by_food_vehicle(self, fare: np.ndarray, score: np.ndarray) -> np.ndarray:
        """``score`` with the mobile food codes raised when a business is named by a vehicle it serves from and what
        it serves ("a crepe cart", "a smoothie van"): ``fare``, the vector of the words before the vehicle, is nearest
        a code that makes, sells or serves food or drink. Else the vehicle's makers, dealers and renters come first."""
        similarity = self.similarity(fare)
        if not self.index.ids[int(np.argmax(similarity))].startswith(FOOD_CODES):
            return score
        mobile = np.array([bool(_MOBILE_FOOD.search(self.titles.get(c, ""))) for c in self.index.ids], dtype=float)
        return score + FOOD_VEHICLE_WEIGHT * mobile

    def by_stated_codes(self, stated: list[StatedCode], score: np.ndarray) -> np.ndarray:
        """``score`` with the 2022 codes of the NAICS codes the text states raised (an old edition's code through
        the Census concordances: the text decides among a code that split): by ``STATED_WEIGHT`` when labelled
        "NAICS", by ``BARE_CODE_WEIGHT`` when a bare six-digit number is a code the words already rank among the
        first ``BARE_CODE_RANK`` (a number of another kind that happens to be a code is no evidence alone)."""
        if not stated:
            return score
        row = {code: i for i, code in enumerate(self.index.ids)}
        first = {self.index.ids[i] for i in np.argsort(-score, kind="stable")[:BARE_CODE_RANK]}
        raised = np.zeros_like(score)
        for s in stated:
            targets = [c for c in self.in_2022(s.code, s.edition) if c in row]
            if not s.labelled and not first & set(targets):
                continue
            for code in targets:
                raised[row[code]] = max(raised[row[code]], STATED_WEIGHT if s.labelled else BARE_CODE_WEIGHT)
        return score + raised

    def in_2022(self, code: str, edition: str | None) -> tuple[str, ...]:
        """The 2022 codes ``code`` stands for: itself when it is one (unless said to be of an older edition),
        else through the 2017 concordance, or the 2012 one then the 2017 one; () when it is no code."""

        def from_2017(c: str) -> tuple[str, ...]:
            return self.since_2017.get(c, ())

        def from_2012(c: str) -> tuple[str, ...]:
            return tuple(sorted({t for old in self.since_2012.get(c, ()) for t in from_2017(old)}))

        if edition == "2017":
            return from_2017(code) or ((code,) if code in self.titles else ())
        if edition == "2012":
            return from_2012(code) or from_2017(code) or ((code,) if code in self.titles else ())
        if code in self.titles:
            return (code,)
        return from_2017(code) or from_2012(code)

    def by_activity(self, query: str, score: np.ndarray) -> np.ndarray:
        """``score`` with the codes of the sector the verbs name raised, when the first code is of another sector:
        the verbs correct a first candidate of the wrong kind and leave one of the right kind as it is."""
        if self.activity is None or not (named := self.activity.sectors(query)):
            return score
        first = self.index.ids[int(np.argmax(score))]
        # a first code whose own title names the activity ("Electric Power Distribution") is of the kind the verb says
        if first.startswith(named) or self.activity.sectors(self.titles.get(first, "")) == named:
            return score
        return score + ACTIVITY_WEIGHT * np.array([code.startswith(named) for code in self.index.ids], dtype=float)

    def texts_denying(self, text: str) -> np.ndarray:
        """1 for each code whose official description says "without" one of ``text``'s words in any form ("without
        operators" for "operators"), else 0, in ``index.ids`` order."""
        words = {stem(w) for w in re.findall(r"[a-z]+", text.lower()) if w not in STOP_WORDS}
        return np.array([bool(words & self.without.get(code, frozenset())) for code in self.index.ids], dtype=float)

    def titles_naming(self, text: str) -> np.ndarray:
        """1 for each code whose title has one of ``text``'s distinctive words in any form ("trucks": "Trucking"), else
        0, in ``index.ids`` order."""
        words = {stem(w) for w in re.findall(r"[a-z]+", text.lower())}
        return np.array([bool(words & self.title_words.get(code, frozenset())) for code in self.index.ids], dtype=float)

    @functools.cached_property
    def title_words(self) -> dict[str, frozenset[str]]:
        """code -> the stems of its title's words that are in at most ``TITLE_WORD_MAX`` titles ("truck", "cater",
        "construction"; not "offic", "servic", "manufactur", which name no one industry, nor "in", "the")."""
        stems = {
            code: frozenset(stem(w) for w in re.findall(r"[a-z]+", t.lower()) if w not in STOP_WORDS)
            for code, t in self.titles.items()
        }
        counts = Counter(w for words in stems.values() for w in words)
        return {code: frozenset(w for w in words if counts[w] <= TITLE_WORD_MAX) for code, words in stems.items()}

    def titles_excepting(self, text: str) -> np.ndarray:
        """1 for each code whose title leaves out what ``text`` names ("Aluminum Foundries (except Die-Casting)" for
        "die casting"; "Nonchocolate Confectionery" for "chocolate"), else 0, in ``index.ids`` order: the title itself
        sends that business to another code, though its other words match."""
        words = {stem(w) for w in re.findall(r"[a-z]+", text.lower())}
        return np.array(
            [any(item <= words for item in self.title_exceptions.get(code, ())) for code in self.index.ids], dtype=float
        )

    @functools.cached_property
    def title_exceptions(self) -> dict[str, tuple[frozenset[str], ...]]:
        """code -> what its title leaves out, one set of word stems an item: each item of its "(except ...)" list
        ("Copper and Aluminum": "copper", "aluminum"; "Die-Casting": "die" and "cast") and the word after a "Non"
        ("Nonalcoholic": "alcoholic") unless the title names it too."""
        out: dict[str, tuple[frozenset[str], ...]] = {}
        for code, title in self.titles.items():
            items: list[frozenset[str]] = []
            for listed in re.findall(r"\(except ([^)]*)\)", title):
                parts = [p for p in re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", listed.lower()) if p.strip()]
                for part in parts:
                    found = frozenset(stem(w) for w in re.findall(r"[a-z]+", part) if w not in STOP_WORDS)
                    if found:
                        items.append(found)
            # "Mortgage and Nonmortgage Loan Brokers" leaves out nothing: it names both
            named = {w.lower() for w in re.findall(r"\b[A-Za-z]+", title)}
            items += [frozenset({stem(w)}) for w in re.findall(r"\bnon-?([a-z]{4,})", title.lower()) if w not in named]
            if items:
                out[code] = tuple(items)
        return out

    def similarity(self, vector: np.ndarray) -> np.ndarray:
        """How near ``vector`` is to each code: its official title and description, plus its nearest index entry."""
        vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
        score = self.documents @ vector
        return score + self.entries.best(vector) if self.entries is not None else score


# The two similarities are on one scale (cosines of one model) and weigh the same: a long description is matched by
# the official description, a name by an index entry. BM25 is a tie-breaker on exact terms. Chosen on the project's
# own sets (tests/data/classification_*.jsonl) and a tune set written by someone else; scores summed, not
# rank-fused: how near the nearest name is says more than its rank.
LEXICAL_WEIGHT = 0.15
# The description's first clause, the name people give the business (``retrieval.business_words.head_clause``), is
# weighed again at this weight; a one-clause description is its own first clause, so BM25 weighs a little less against
# the similarities than it did before (0.15 against 1.3 each, not 1). Issue 23 round 5: the fresh held-out set's top-1
# 0.723 -> 0.754, the own sets unchanged.
HEAD_WEIGHT = 0.3
# A sector's share of the index entries that end in the description's head noun, at this weight: a prior on the kind
# of business, so a welding shop or a lawn-care crew is not classified as the maker of what it works on. Issue 23
# round 6: r6 tune top-1 0.60 -> 0.65, the own sets unchanged (0.2 lost one own description; sectors, not subsectors:
# a noun's entries are too few per subsector).
HEAD_NOUN_WEIGHT = 0.1
# Raised codes of the sector a description's verbs name (``retrieval.activity``), when the first code is of another.
# Issue 23 round 9: r9 tune top-1 0.69 -> 0.76, the own sets unchanged (0.4 lost an own description); gated on the
# first code so the descriptions the real model's traffic recorded classify as recorded (tests/test_classify_recorded).
ACTIVITY_WEIGHT = 0.3
# Codes near what a description says the business has not or does not do ("no seating", "without a kitchen",
# "non-profit": ``retrieval.business_words.denied``) move down by their similarity to it at this weight. Issue 23
# round 10: r10 tune top-1 0.812 -> 0.839 (0.15-0.4 score alike), the own sets unchanged. The denial is not taken out
# of the text: "there is no storefront" keeps a bakery plant from the retail bakeries by the word itself.
DENIED_WEIGHT = 0.2
# A code whose title names what a description denies ("freight broker, no trucks": the Trucking codes; "they don't do
# construction") moves down by this much more: the denial's embedding alone moved the neighbour down about as much as
# the business itself, for they share the rest of the words. Only a title word of at most ``TITLE_WORD_MAX`` of the
# 1,012 titles (2%) counts: "Offices", "Services", "Manufacturing" name no one industry ("not in their office" is no
# denial of a physician's office). Issue 23 round 11: r11 tune top-1 0.873 -> 0.902 (0.05-0.2 score alike; at 0.2 with
# "Offices" counted a physicians' group was lost), the own sets unchanged.
DENIED_TITLE_WEIGHT = 0.1
TITLE_WORD_MAX = 20
# A code the text states ("NAICS 2017: 454110", ``retrieval.stated_codes``), in 2022 terms, is raised by this much: a
# labelled code all but decides (about three times the usual gap between a first and a second), the words choosing
# among the 2022 codes an old one split into; a bare six-digit number that is a code raises it by less and only when
# the words rank it among the first ``BARE_CODE_RANK`` already (a DOT number or a licence may be a code by chance).
STATED_WEIGHT = 0.3
BARE_CODE_WEIGHT = 0.15
BARE_CODE_RANK = 10
# A code whose title leaves out what a description names ("Aluminum Foundries (except Die-Casting)" for an aluminum
# die caster, "Snack and Nonalcoholic Beverage Bars" for an alcoholic one) moves down by this much: NAICS says by the
# title that the business belongs elsewhere, while the rest of the title's words still match. Round 12: c12 tune
# (0.05-0.2 score alike), the own sets unchanged.
EXCEPTED_WEIGHT = 0.1


# A business named by a vehicle and what comes before it ("tamale truck", "ice cream trailer", "coffee cart"): the one
# or two words before the vehicle. Not a stand: a fruit stand is a retailer's.
_VEHICLE_NAME = re.compile(
    r"(?:^|\s)((?:[a-z'-]+\s+)?[a-z'-]+)\s+(?:trucks?|trailers?|carts?|vans?|wagons?|buses)$", re.I
)
# the industries of food and drink: its makers (311, 312), its specialty retailers (4452) and its food services (722)
FOOD_CODES = ("311", "312", "4452", "722")
_MOBILE_FOOD = re.compile(r"\bMobile Food\b")
# How much the mobile food codes are raised: the vehicle's makers, dealers and renters match a name like "pizza
# trailer" by its title word far better (0.3 left "taco trailer" fourth; round c13b: c13b tune 0.867 -> 0.889, c13
# 0.897 -> 0.914, the own sets unchanged at 0.3 and 0.5)
FOOD_VEHICLE_WEIGHT = 0.5


def naics_classifier(ctx: ToolContext) -> NaicsClassifier:
    index = naics_search(ctx)  # outside ``lazy``: its lock is not re-entrant

    def build():
        classifier = _build_classifier(ctx, index)
        # what the build parsed and dropped (the index entries, the NAICS texts' words, the tokenizer's vocabulary),
        # handed back before the turn's own peak: ~5 MB of the classifying turn's peak
        give_back()
        return classifier

    return ctx.lazy("naics_classifier", build)


def _build_classifier(ctx: ToolContext, index: HybridIndex) -> NaicsClassifier:
    documents = _document_vectors(ctx, index)
    documents /= np.maximum(np.linalg.norm(documents, axis=1, keepdims=True), 1e-12)
    names = PackedNames(read_index_entries())
    vectors = entry_vectors(names, ctx.embedding, identity_of(ctx.embedding))
    entries = vectors.by_code(index.ids) if vectors is not None else None
    with Session(ctx.engine) as c:
        rows = c.execute(select(models.NaicsCode.code, models.NaicsCode.title, models.NaicsCode.description)).all()
    texts = [f"{t} {d}" for _, t, d in rows]
    without = {code: denies for code, _, d in rows if (denies := without_words(d))}
    del rows
    # the words NAICS writes in lower case: "mobile" is one ("mobile homes"), "Austin" is not; gathered text by
    # text (a list of every word of the entries took 8 MB at the build's peak)
    words: set[str] = set()
    counts: Counter[str] = Counter()
    for text in chain(texts, (e for _, e in names)):
        found = re.findall(r"[A-Za-z']+", text)
        words.update(w for w in found if w.islower())
        counts.update(w.lower() for w in found if "'" not in w)
    acronyms = defined_acronyms(chain((e for _, e in names), texts))
    heads = HeadNouns.build(names)
    del names, texts  # before the cities are read: they reuse the memory
    business = BusinessWords.build(words, read_us_cities(), ctx.catalog.states, ctx.catalog.synonyms)
    del words
    activity = Activity(establishment_test(heads.of_noun), retailer_test(heads.of_noun), heads.practice)
    spelling = Spelling.build(counts, vocabulary_words())
    titles = ctx.catalog.naics_titles
    with Session(ctx.engine) as c:
        since_2017 = _grouped(
            c.execute(
                select(models.NaicsConcordance2022To2017.naics_2017, models.NaicsConcordance2022To2017.naics_2022)
            )
        )
        since_2012 = _grouped(
            c.execute(
                select(models.NaicsConcordance2012To2017.naics_2012, models.NaicsConcordance2012To2017.naics_2017)
            )
        )
    return NaicsClassifier(
        index,
        documents,
        entries,
        business,
        heads,
        acronyms,
        activity,
        spelling,
        titles,
        without,
        since_2017,
        since_2012,
    )


def _grouped(pairs) -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = {}
    for old, new in pairs:
        out.setdefault(old, set()).add(new)
    return {old: tuple(sorted(new)) for old, new in out.items()}


def without_words(description: str) -> frozenset[str]:
    """The stems of the words an official description says its establishments work without, the two words after
    each "without" ("renting ... heavy equipment without operators": "operator")."""
    return frozenset(
        stem(w)
        for m in re.finditer(r"\bwithout\s+([a-z]+)(?:\s+([a-z]+))?", description.lower())
        for w in m.groups()
        if w and w not in STOP_WORDS
    )


def _document_vectors(ctx: ToolContext, index: HybridIndex) -> np.ndarray:
    """The NAICS collection's vectors in ``index.ids`` order: as the index was built with them, else (an index built
    before they were kept beside it) from Chroma."""
    kept = collection_vectors(ctx.index_dir, NAICS, ctx.embedding)
    if kept is not None:
        ids, vectors = kept
        row = {code: i for i, code in enumerate(ids)}
        return vectors[[row[code] for code in index.ids]]
    got = index.collection.get(include=["embeddings"])
    by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
    return np.array([by_id[code] for code in index.ids], dtype=np.float32)


def naics_levels(ctx: ToolContext) -> dict[str, str]:
    """Titles of every NAICS 2022 code at every level (sector to national industry)."""

    def build():
        with Session(ctx.engine) as c:
            return dict(c.execute(select(models.NaicsLevel.code, models.NaicsLevel.title)).all())

    return ctx.lazy("naics_levels", build)


@tool
def classify_business(
    ctx: ToolContext,
    description: Annotated[str, Field(min_length=3, max_length=2000)],
    k: Annotated[int, Field(ge=1, le=10)] = 5,
) -> dict:
    """Find the most likely 2022 NAICS codes for a business from a description of what it does.

    Returns ranked candidates with titles and scores. Confirm the top one with the underwriter when the
    first two are close or describe different activities.

    Args:
        description: what the business does, in plain words
        k: how many candidates to return (1-10, default 5)
    """
    classifier = naics_classifier(ctx)
    scores = classifier.scores(description)
    top = np.argsort(-scores, kind="stable")[:k]
    titles, ids = ctx.catalog.naics_titles, classifier.index.ids
    return {
        "candidates": [{"naics": ids[i], "title": titles[ids[i]], "score": round(float(scores[i]), 4)} for i in top],
        "sections": ["classification-naics"],
    }


@tool
def get_naics(ctx: ToolContext, code: str) -> dict:
    """Look up a NAICS code: title and official description. Accepts 2022, 2017 or 2012 codes; an older code is
    mapped to its 2022 code(s) through the Census concordances, and the result says which edition matched.

    Args:
        code: six-digit NAICS code of any edition, e.g. "722511" or "515120"
    """
    c = naics_digits(code)
    with Session(ctx.engine) as conn:
        r = conn.execute(select(models.NaicsCode).where(models.NaicsCode.code == c)).scalars().first()
        if r is not None:
            return {
                "code": c,
                "edition": "2022",
                "title": r.title,
                "description": r.description,
                "sector": r.sector_code,
                "sections": ["classification-naics"],
            }
        via_2017 = (
            conn.execute(
                select(models.NaicsConcordance2022To2017).where(models.NaicsConcordance2022To2017.naics_2017 == c)
            )
            .scalars()
            .all()
        )
        edition, note = "2017", None
        if not via_2017:
            c2012 = (
                conn.execute(
                    select(models.NaicsConcordance2012To2017).where(models.NaicsConcordance2012To2017.naics_2012 == c)
                )
                .scalars()
                .all()
            )
            if not c2012:
                raise NotFound(
                    f"{c} is not a NAICS code of the 2012, 2017 or 2022 editions",
                    "check the digits, or describe the business and call classify_business",
                )
            edition = "2012"
            codes_2017 = sorted({r.naics_2017 for r in c2012})
            note = f"2012 code {c} ({c2012[0].title_2012}) maps to 2017 code(s) {', '.join(codes_2017)}"
            via_2017 = (
                conn.execute(
                    select(models.NaicsConcordance2022To2017).where(
                        models.NaicsConcordance2022To2017.naics_2017.in_(codes_2017)
                    )
                )
                .scalars()
                .all()
            )
        targets = sorted({r.naics_2022 for r in via_2017})
        details = (
            conn.execute(
                select(models.NaicsCode).where(models.NaicsCode.code.in_(targets)).order_by(models.NaicsCode.code)
            )
            .scalars()
            .all()
        )
    title_old = via_2017[0].title_2017 if edition == "2017" else None
    out = {
        "code": c,
        "edition": edition,
        "maps_to_2022": [{"code": d.code, "title": d.title, "description": d.description[:600]} for d in details],
        "sections": ["naics-editions"],
    }
    if title_old:
        out["title"] = title_old
    if note:
        out["note"] = note
    if len(targets) > 1:
        out["ask"] = "the old code splits into several 2022 codes: ask which activity applies"
    return out
