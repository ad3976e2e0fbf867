"""Retrieval pieces on their own: guideline passages, weighted BM25 expansions, ranking by the best passage."""

from __future__ import annotations

from guidelines import load_sections
from retrieval.embeddings import HashingEmbedding
from retrieval.index import GUIDELINE_CHUNKS, GUIDELINES, chunk_document, chunk_id, open_collection, section_chunks
from retrieval.search import HybridIndex


def test_every_passage_is_headed_and_together_they_hold_the_whole_section():
    for s in load_sections():
        chunks = section_chunks(s.document, s.title, s.text, max_words=60)
        assert len(chunks) >= 2  # every section is longer than one passage
        assert all(c.startswith(f"{s.document}: {s.title}\n") for c in chunks)
        held = "\n".join(chunks)
        assert all(line.strip() in held for line in s.text.splitlines())
        # A passage closes at the first line that reaches the budget: one line over it at most, plus its context.
        longest = max(len(line.split()) for line in s.text.splitlines())
        assert all(len(c.split()) <= 60 + 3 * longest + len(f"{s.document}: {s.title}".split()) for c in chunks)


def test_a_passage_inside_an_h3_part_carries_its_heading():
    text = "Intro line.\n### Part two\n" + "\n".join(f"- item {i} with several words in it" for i in range(20))
    chunks = section_chunks("Doc", "Title", text, max_words=30)
    assert chunks[0].startswith("Doc: Title\nIntro line.")
    assert all(c.startswith("Doc: Title\n### Part two\n") for c in chunks[1:])


def test_a_passage_that_continues_a_nested_list_or_a_table_carries_its_parent_line():
    text = "- **23 Construction:** " + "word " * 60 + "\n  - Subsector 237: all six No.\n\n| A | B |\n|---|---|\n"
    text += "\n".join(f"| row {i} | " + "word " * 10 + "|" for i in range(8))
    chunks = section_chunks("Doc", "Title", text, max_words=60)
    assert chunks[1].startswith("Doc: Title\n- **23 Construction:** ") and "Subsector 237" in chunks[1]
    assert len(chunks) == 3 and chunks[2].startswith("Doc: Title\n| A | B |\n| row ")


def test_chunk_ids_name_their_section():
    assert chunk_document(chunk_id("auto-qualified", 3)) == "auto-qualified"


def _lexical_only(texts: dict[str, str]) -> HybridIndex:
    return HybridIndex(list(texts), list(texts.values()), collection=None, embedding=None)


def test_a_weak_expansion_breaks_ties_but_does_not_outvote_the_query():
    index = _lexical_only(
        {
            "vehicles": "auto vehicles fleet count rule twenty vehicles",
            "limits": "limits per occurrence aggregate limits",
            "appetite": "appetite manufacturing sector 31 33 construction",
        }
    )
    assert index.lexical("fleet vehicles", 3)[0][0] == "vehicles"
    # The expansion alone would pick "appetite"; at a low weight the query's own match still leads.
    boosted = index.lexical("fleet vehicles", 3, [("manufacturing sector 31 33", 0.3)])
    assert boosted[0][0] == "vehicles" and "appetite" in [d for d, _ in boosted]
    assert index.lexical("zzz", 3, [("", 0.5)]) == []


class _Vectors:
    """A stand-in for a Chroma collection: fixed distances, nearest first."""

    def __init__(self, distances: dict[str, float]):
        self.distances = distances

    def count(self) -> int:
        return len(self.distances)

    def query(self, query_embeddings, n_results, include):
        ranked = sorted(self.distances.items(), key=lambda kv: kv[1])[:n_results]
        return {"ids": [[i for i, _ in ranked]], "distances": [[d for _, d in ranked]]}


class _Embedding:
    def embed_query(self, texts):
        return [[0.0]]


def test_a_document_ranks_by_its_best_vector_whole_or_passage():
    whole = _Vectors({"a": 0.6, "b": 0.2, "c": 0.5})
    passages = _Vectors({"a#0": 0.7, "a#1": 0.1, "b#0": 0.3, "c#0": 0.9})
    index = HybridIndex(["a", "b", "c"], ["x", "y", "z"], collection=whole, embedding=_Embedding(), chunks=passages)
    ranked = index.semantic("q", 3)
    assert [d for d, _ in ranked] == ["a", "b", "c"]  # a by its passage a#1, b by its whole vector
    assert abs(ranked[0][1] - 0.9) < 1e-9 and abs(ranked[1][1] - 0.8) < 1e-9
    assert [d for d, _ in HybridIndex(["a", "b", "c"], ["x", "y", "z"], whole, _Embedding()).semantic("q", 2)] == [
        "b",
        "c",
    ]


def test_the_index_has_passages_and_an_older_index_reads_as_without(seeded_hashing):
    from retrieval.embeddings import make_embedding

    chroma, embedding = seeded_hashing["dir"] / "chroma", make_embedding("hashing")
    sections = open_collection(chroma, GUIDELINES, embedding)
    passages = open_collection(chroma, GUIDELINE_CHUNKS, embedding)
    assert passages.count() > sections.count()
    owners = {m["section"] for m in passages.get(include=["metadatas"])["metadatas"]}
    assert owners == {s.id for s in load_sections()}
    assert open_collection(chroma, "no-such-collection", embedding, missing_ok=True) is None


def test_search_guidelines_embeds_the_question_once_and_works_without_passages(seeded_hashing, tmp_path):
    """The question is embedded once (the words that may name its business are the classifier's to read); an index
    from before passages still answers."""
    import shutil

    from retrieval.index import _client, _release
    from tests.conftest import open_toolkit
    from tools.guidelines import guideline_search

    data_dir = tmp_path / "data"
    shutil.copytree(seeded_hashing["dir"], data_dir, symlinks=True)
    toolkit = open_toolkit(data_dir, embedding_model="hashing")
    calls = []
    real = toolkit.ctx.embedding.embed_query
    toolkit.ctx.embedding.embed_query = lambda texts: calls.append(texts) or real(texts)
    question = "roofing contractor GL appetite"
    found = toolkit.call("search_guidelines", {"query": question, "k": 3})
    assert found.ok and len(found.result["sections"]) == 3
    assert sum(question in texts for texts in calls) == 1

    client = _client(data_dir / "chroma")
    client.delete_collection(GUIDELINE_CHUNKS)
    _release(client)
    older = open_toolkit(data_dir, embedding_model="hashing")
    found = older.call("search_guidelines", {"query": "umbrella"})
    assert found.ok and found.result["sections"] and guideline_search(older.ctx)[0].chunks is None


def test_the_labelled_questions_are_split_by_their_hash_and_cite_real_sections():
    """The held-out part is fixed by the question's text, not chosen by how the search does on it."""
    import hashlib
    import json
    from pathlib import Path

    data = Path(__file__).parent / "data"
    ids = {s.id for s in load_sections()}
    seen = set()
    for name, held_out in (("retrieval_questions.jsonl", False), ("retrieval_questions_heldout.jsonl", True)):
        rows = [json.loads(line) for line in (data / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        for row in rows:
            digest = int(hashlib.sha256(row["question"].encode()).hexdigest()[:8], 16)
            assert (digest % 10 < 3) is held_out, row["question"]
            assert row["section_ids"] and set(row["section_ids"]) <= ids and row["question"] not in seen
            seen.add(row["question"])
    assert len(seen) >= 150


def test_shorthand_is_read_in_the_plural_and_in_several_words(db_toolkit):
    from tools.guidelines import _expand_abbreviations

    assert _expand_abbreviations(db_toolkit.ctx, "revenue limit on BOPs") == "Business Owner's Policy"
    assert _expand_abbreviations(db_toolkit.ctx, "which LOBs do we write") == "line of business"
    assert _expand_abbreviations(db_toolkit.ctx, "comm auto for a bakery") == "Commercial Auto"
    assert _expand_abbreviations(db_toolkit.ctx, "is gas a business") == ""
    # A product we do not write, in the guard's words for it, is searched under the name the guidelines give it.
    assert _expand_abbreviations(db_toolkit.ctx, "med mal for a dentist") == "professional liability / E&O"
    assert "excess liability" in _expand_abbreviations(db_toolkit.ctx, "an xs layer over the gl")
    assert _expand_abbreviations(db_toolkit.ctx, "beach umbrella rental shop, gl") == "General Liability"


# --- vectors kept by content (retrieval/vectors.py) ----------------------------------------------------------


class CountingEmbedding(HashingEmbedding):
    """The hashing double with an identity (so its vectors are cached), recording what it was asked to embed."""

    def __init__(self, identity: str = "counting v1") -> None:
        super().__init__(dim=8)
        self.identity, self.calls = identity, []

    def __call__(self, input):
        self.calls.append(list(input))
        return super().__call__(input)

    def vector_identity(self) -> str:
        return self.identity


def test_minilm_gives_a_text_the_same_vector_in_any_batch_and_keeps_the_input_order():
    import numpy as np

    from retrieval.embeddings import MiniLMEmbedding

    texts = ["roofing contractor " * 40, "bakery", "a florist that also delivers flowers", "plumbing " * 10]
    embed = MiniLMEmbedding(batch_size=2)  # batches of similar lengths, not of neighbours
    together = np.array(embed(texts))
    alone = np.array([embed([t])[0] for t in texts])
    reversed_ = np.array(embed(texts[::-1]))[::-1]
    assert np.array_equal(together, alone) and np.array_equal(together, reversed_)  # bit for bit: cacheable


def test_the_vector_cache_embeds_each_text_once_across_builds(tmp_path):
    from retrieval.vectors import VectorCache

    first = CountingEmbedding()
    vectors = VectorCache(tmp_path, shipped=None).embed(first, ["bb", "a", "bb"])
    assert sorted(sum(first.calls, [])) == ["a", "bb"]  # a repeated text is embedded once
    assert [v.tolist() for v in vectors] == [v.tolist() for v in first(["bb", "a", "bb"])]  # in the input order

    again = CountingEmbedding()
    cache = VectorCache(tmp_path, shipped=None)
    cache.embed(again, ["a", "bb", "ccc"])
    assert again.calls == [["ccc"]] and (cache.computed, cache.reused) == (1, 2)

    other_model = CountingEmbedding("counting v2")  # another model, truncation or runtime: never a stale hit
    VectorCache(tmp_path, shipped=None).embed(other_model, ["a"])
    assert other_model.calls == [["a"]]


def test_shipped_vectors_are_used_and_embeddings_without_identity_are_never_kept(tmp_path):
    from retrieval.vectors import VectorCache, load_shipped, vector_key, write_shipped

    ref = CountingEmbedding()
    shipped = tmp_path / "shipped.npz"
    write_shipped(shipped, [vector_key(ref.identity, t) for t in ("a", "bb")], ref(["a", "bb"]))
    fresh = CountingEmbedding()
    VectorCache(None, shipped).embed(fresh, ["bb", "a"])
    assert fresh.calls == []
    load_shipped.cache_clear()

    VectorCache(tmp_path / "cache", shipped=None).embed(HashingEmbedding(), ["hashing is instant"])
    assert not (tmp_path / "cache").exists()

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert len(VectorCache(blocked, shipped=None).embed(CountingEmbedding(), ["x", "y"])) == 2  # only costs time


def test_building_the_index_reports_each_collections_count_as_it_embeds(tmp_path):
    from retrieval.index import Doc, build_index
    from retrieval.vectors import BATCH

    docs = {"small": [Doc(f"s{i}", f"text {i}", {"n": i}) for i in range(3)]}
    docs["big"] = [Doc(f"b{i}", f"passage number {i}", {"n": i}) for i in range(BATCH + 5)]
    events = []
    report = build_index(docs, tmp_path / "chroma", CountingEmbedding(), progress=lambda *e: events.append(e))
    assert events == [
        ("embedding small", 0, 3),
        ("embedding small", 3, 3),
        ("embedding big", 0, BATCH + 5),
        ("embedding big", BATCH, BATCH + 5),
        ("embedding big", BATCH + 5, BATCH + 5),
    ]
    assert report.embedded == BATCH + 8
    events.clear()
    again = build_index(
        docs, tmp_path / "chroma", CountingEmbedding(), vectors=None, progress=lambda *e: events.append(e)
    )
    assert again.embedded == BATCH + 8  # no cache folder given: nothing kept between builds


# --- reading a query before search (retrieval/normalise.py) ----------------------------------------------------

_TEXTS = [
    "Umbrella and excess liability are not written. Standard limits per occurrence; the deductible for auto.",
    "Liability limits for contractors; deductibles by vehicle count; a self storage facility.",
]
_STATES = {"OH": "Ohio", "GA": "Georgia", "CO": "Colorado"}
_PLACES = {"columbus": "Ohio", "savannah": "Georgia", "denver": "Colorado", "new orleans": "Louisiana"}


def _reader():
    from retrieval.normalise import QueryNormaliser

    return QueryNormaliser(_TEXTS, known={"staffing"}, places=_PLACES, states=_STATES)


def test_typos_and_cut_words_are_read_as_the_index_words_they_stand_for():
    read = _reader()
    assert read("do we write umbrela?").text == "do we write umbrella?"
    assert read("standard limts on GL").text == "standard limits on GL"
    assert read("whats the ded on auto").text.endswith("the deductible on auto")
    assert read("liquor liab for a bar").text == "liquor liability for a bar"
    assert [(r.typed, r.read, r.why) for r in read("umbrela liab").rewrites] == [
        ("umbrela", "umbrella", "typo"),
        ("liab", "liability", "shorthand"),
    ]


def test_a_word_written_without_its_vowels_is_read_as_the_frequent_index_word_it_spells():
    from retrieval.normalise import QueryNormaliser

    texts = ["The size standard, standards and a building. " * 3, "Places, workers and computers. Stated once."]
    read = QueryNormaliser(texts)
    assert read("size std for a bldg").text == "size standard for a building"
    assert read("two stds").text == "two standards"
    # Not the word's first two consonants ("wrk..."), a word the texts use once ("stated"), a word with a vowel.
    for query in ("wks", "ctr", "pls advise", "a std", "xyz"):
        assert read(query).text == query.replace("std", "standard")


def test_a_name_capitalised_inside_a_sentence_is_no_typo():
    read = _reader()
    assert read("GL for Umbrela Creek Roofing").text == "GL for Umbrela Creek Roofing"
    assert read("Umbrela for a bar? and umbrela").text == "umbrella for a bar? and umbrella"


def test_words_the_index_does_not_use_but_people_do_are_left_alone():
    read = _reader()
    for query in ("what else can i sell them", "epl for a staffing firm", "oil drillers", "a plumber", "they're small"):
        assert read(query).text == query and read(query).rewrites == ()


def test_a_city_after_a_place_word_gains_its_state_unless_a_state_is_named():
    read = _reader()
    assert read("can we do wc in columbus?").text == "can we do wc in columbus Ohio?"
    assert read("property in New Orleans").text == "property in New Orleans Louisiana"
    assert read("property in savannah GA").text == "property in savannah GA"
    assert read("gl for a bar in denver co").text == "gl for a bar in denver co"
    assert read("gl in Denver, Colorado").text == "gl in Denver, Colorado"
    assert read("columbus day closing").text == "columbus day closing"  # no place word before it


def test_a_city_that_may_stand_alone_gains_its_state_without_a_place_word_unless_its_name_is_a_common_word():
    from retrieval.normalise import QueryNormaliser

    places = _PLACES | {"mobile": "Alabama", "fargo": "North Dakota"}
    read = QueryNormaliser(_TEXTS, places=places, states=_STATES, common={"mobile"}, alone={"fargo", "mobile"})
    assert read("fargo client wants wc").text == "fargo North Dakota client wants wc"
    assert read("Mobile home park, gl").text == "Mobile home park, gl"  # a common word, even capitalised
    assert read("savannah roofer").text == "savannah roofer"  # not a city that may stand alone
    assert read("fargo client, bakery in columbus").text == "fargo client, bakery in columbus Ohio"  # "in" first
    assert read("fargo client in GA").text == "fargo client in GA"  # a state is named


def test_the_trades_shorthand_is_read_as_its_word_unless_the_index_uses_it():
    from retrieval.normalise import QueryNormaliser

    read = QueryNormaliser(_TEXTS, shorthand={"cov": "coverage", "auto": "automobile"})
    assert read("auto cov for a fleet").text == "auto coverage for a fleet"  # the texts write "auto"


def test_an_email_is_searched_without_its_headers_forwarding_marks_and_sign_off():
    from retrieval.normalise import message_body

    mail = (
        "-----Original Message-----\nFrom: Pat Lee <pat@agency.com>\nSent: Mon 9:14 AM\nTo: desk\n"
        "Subject: RE: Fwd: roofing contractor\n\nHi - do we need payroll for WC?\n\nThanks,\nPat Lee"
    )
    assert message_body(mail) == "roofing contractor\n\nHi - do we need payroll for WC?"
    assert message_body("limits for a bar\n-M") == "limits for a bar"
    # One line is a question whatever it starts with; a text of nothing but a header is kept as it is.
    assert message_body("thanks, what is a TIV?") == "thanks, what is a TIV?"
    assert message_body("From: Pat\nSent: today") == "From: Pat\nSent: today"
    # Hostile lines cost linear time (each pattern once per line, no nested repeats).
    for hostile in ("-" * 50_000 + "x\nq", "fw " * 20_000 + "\nx", "Subject: " + "re: " * 5_000 + "\nq", "\n" * 50_000):
        assert isinstance(message_body(hostile), str)


def test_word_pairs_weigh_a_phrase_above_its_words_apart():
    from retrieval.search import word_pairs

    assert word_pairs("Is it not small?") == ["not_small"]
    assert word_pairs("the other lines we write") == ["other_line", "line_write"]


def test_the_edit_distance_counts_a_swap_as_one_edit():
    from retrieval.normalise import edit_distance

    assert [edit_distance(a, b) for a, b in (("limts", "limits"), ("form", "from"), ("abc", "abc"), ("", "ab"))] == [
        1,
        1,
        0,
        2,
    ]


def test_reading_is_idempotent_and_never_fails_on_any_text():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    read = _reader()

    @settings(max_examples=200, derandomize=True, deadline=None)
    @given(st.text(max_size=300) | st.from_regex(r"[a-zA-Z' ]{0,60}", fullmatch=True))
    def check(text):
        once = read(text)
        assert read(once.text).text == once.text
        assert all(r.typed in text for r in once.rewrites)

    check()
    assert read("x" * 100_000).text == "x" * 2000  # bounded: a query is read up to its first 2,000 characters


def test_a_misspelt_question_finds_what_the_spelt_one_finds_and_says_how_it_was_read(toolkit):
    """Metamorphic: a typo or a cut word does not change the sections found (real model and index)."""
    for typed, spelt in (
        ("do we write umbrela?", "do we write umbrella?"),
        ("standard limts on GL", "standard limits on GL"),
    ):
        misspelt = toolkit.call("search_guidelines", {"query": typed}).result
        right = toolkit.call("search_guidelines", {"query": spelt}).result
        assert [s["id"] for s in misspelt["sections"]] == [s["id"] for s in right["sections"]]
        assert misspelt["read_as"] == spelt and "read_as" not in right


def test_search_sums_each_signals_z_scores_so_a_clear_winner_in_one_signal_counts_more_than_a_rank():
    # Similarities (1 - distance). Whole sections: a 0.60 and b 0.59 almost tied, c far behind at 0.10.
    # Passages: b clearly best at 0.90, a and c tied at 0.40.
    whole = _Vectors({"a": 0.40, "b": 0.41, "c": 0.90})
    passages = _Vectors({"a#0": 0.60, "b#0": 0.10, "c#0": 0.60})
    index = HybridIndex(["a", "b", "c"], ["x y", "x z", "w"], whole, _Embedding(), chunks=passages)
    # b's clear lead among passages outweighs a's hair's-breadth lead among whole sections (by rank, a tie)
    assert [d for d, _ in index.search("nothing matches", k=3)] == ["b", "a", "c"]  # no word in common: no BM25
    # BM25 is a third signal, scaled by its weight: c alone holds "w", and at three times the weight of the others
    # that match lifts it from last to first
    assert index.search("w", k=1, lexical_weight=3.0)[0][0] == "c"
    # without passages, the whole sections alone decide
    assert [d for d, _ in HybridIndex(["a", "b", "c"], ["u", "v", "t"], whole, _Embedding()).search("q", k=3)] == [
        "a",
        "b",
        "c",
    ]


# --- classification without Chroma (docs/measuring.md, round 8) ---------------------------------------------------


def test_the_vectors_kept_beside_the_index_are_chromas_bit_for_bit(seeded):
    import numpy as np

    from retrieval.embeddings import HashingEmbedding, make_embedding
    from retrieval.index import NAICS, collection_vectors, open_collection

    index_dir, embedding = seeded["dir"] / "chroma", make_embedding("local")
    kept = collection_vectors(index_dir, NAICS, embedding)
    assert kept is not None and len(kept[0]) == 1012
    held = open_collection(index_dir, NAICS, embedding).get(include=["embeddings"])
    by_id = dict(zip(held["ids"], held["embeddings"], strict=True))
    assert np.array_equal(np.array([by_id[i] for i in kept[0]], dtype=np.float32), kept[1])
    assert collection_vectors(index_dir, NAICS, HashingEmbedding()) is None  # another model's vectors: not these


def test_the_classifier_scores_the_same_without_the_kept_vectors(seeded, tmp_path):
    """An index built before the vectors were kept beside it: the classifier takes them from Chroma, same scores."""
    import shutil

    import numpy as np

    from tests.conftest import open_toolkit
    from tools.naics import naics_classifier

    old = tmp_path / "old"
    old.mkdir()
    (old / "uwc.db").symlink_to(seeded["db"])
    shutil.copytree(seeded["dir"] / "chroma", old / "chroma")
    (old / "chroma" / "naics-vectors.npz").unlink()
    new_classifier = naics_classifier(open_toolkit(seeded["dir"]).ctx)
    old_classifier = naics_classifier(open_toolkit(old).ctx)
    assert np.array_equal(new_classifier.documents, old_classifier.documents)
    for text in ("family bakery, bread and cakes", "trucking company hauling freight", "CPA firm"):
        assert np.array_equal(new_classifier.scores(text), old_classifier.scores(text))


def test_int8_entry_vectors_are_scored_in_blocks_as_the_float_product():
    """The entries stay int8 (31 MB less than float32); each block made float scores as the whole float product."""
    import numpy as np

    from retrieval.entries import ROWS_AT_ONCE, EntryVectors

    rng = np.random.default_rng(7)
    rows = 2 * ROWS_AT_ONCE + 37
    q = rng.integers(-127, 128, size=(rows, 16), dtype=np.int8)
    scale = rng.uniform(0.001, 0.01, size=rows).astype(np.float32)
    codes = np.array(sorted(f"{n:06d}" for n in rng.integers(100000, 100400, size=rows)))
    ids = sorted({str(c) for c in codes} | {"999999"})  # a code without entries
    names = EntryVectors(codes, q, scale).by_code(ids)
    assert np.shares_memory(names.vectors, q)  # already in code order: grouped without a copy
    floats = q.astype(np.float32) * scale[:, None]
    for _ in range(5):
        query = rng.standard_normal(16).astype(np.float32)
        want = np.full(len(ids), -1.0, dtype=np.float32)
        for i, code in enumerate(ids):
            mine = floats[codes == code]
            if len(mine):
                want[i] = (mine @ query).max()
        assert np.allclose(names.best(query), want, atol=1e-6)
        assert names.best(query)[ids.index("999999")] == -1.0


def test_a_compact_word_set_answers_as_a_set_of_the_same_words():
    """The typo reader's known words are held as bytes by length; asked about any word, the same answer as a set."""
    from retrieval.normalise import stem, vocabulary_words
    from retrieval.wordset import WordSet

    words = [*vocabulary_words(), "café", "naïve", "a", "zz"]
    words += [stem(w) for w in words]
    held, plain = WordSet(words), set(words)
    assert len(held) == len(plain)
    asked = [
        *plain,
        *(w + "x" for w in words[:3000]),
        *(w[:-1] for w in words[:3000]),
        "",
        "é",
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
    ]
    assert [w in held for w in asked] == [w in plain for w in asked]
    assert 3 not in held and None not in held


def test_packed_index_names_give_back_the_same_pairs_each_time_they_are_read():
    import pytest

    from retrieval.entries import PackedNames
    from seed_db.sources import read_index_entries

    pairs = read_index_entries()
    packed = PackedNames(pairs)
    assert len(packed) == len(pairs)
    assert list(packed) == pairs
    assert list(packed) == pairs  # read again, as the classifier's build does several times
    assert list(PackedNames([("111110", "")])) == [("111110", "")] and list(PackedNames([])) == []
    with pytest.raises(ValueError):
        PackedNames([("111110", "two\nlines")])


def test_the_search_terms_name_real_sections_and_reach_only_the_lexical_text(tmp_path):
    """The words underwriters use for a section ("cross-sell") are BM25's, never the embedded or cited text."""
    import pytest

    from guidelines import GuidelineError, load_search_terms
    from tools.guidelines import _lexical_texts

    sections = load_sections()
    terms = load_search_terms()
    assert terms and set(terms) <= {s.id for s in sections}
    texts = dict(zip([s.id for s in sections], _lexical_texts(sections), strict=True))
    assert "cross-sell" in texts["product-recommendations"] and "cross-sell" not in next(
        s.text for s in sections if s.id == "product-recommendations"
    )
    wrong = tmp_path / "terms.yaml"
    for text in ("no-such-section: [a word]\n", "overview: a word\n", "- a list\n"):
        wrong.write_text(text)
        with pytest.raises(GuidelineError):
            load_search_terms(wrong, sections)


# --- a question in the words people use (issue 23, item 6, round 11) ---------------------------------------------


def test_a_line_named_inside_quotation_marks_is_still_read_as_the_line(db_toolkit):
    from tools.guidelines import _expand_abbreviations

    # Single quotes around a name are no apostrophes of it ("owner's" keeps its own).
    assert _expand_abbreviations(db_toolkit.ctx, "they call it a 'work comp' policy") == "Workers Compensation"
    assert _expand_abbreviations(db_toolkit.ctx, "only the \u2018gl\u2019 side") == "General Liability"


def test_the_trades_words_for_an_act_are_searched_as_the_guidelines_word_for_it(db_toolkit):
    from tools.guidelines import _guideline_words

    ctx = db_toolkit.ctx
    assert _guideline_words(ctx, "Should I escalate it to my supervisor?") == "refer senior underwriter"
    assert _guideline_words(ctx, "any other coverage I could pitch") == "offer recommend"
    assert _guideline_words(ctx, "they'll turn us down again") == "decline"
    assert _guideline_words(ctx, "is it worth pitching them auto") == "offer recommend"
    # A word of a phrase alone is not the phrase, and the guidelines' own words need no hint.
    assert _guideline_words(ctx, "does it pass the size test") == ""
    assert _guideline_words(ctx, "the broker wants an answer today") == ""


def test_the_query_words_name_words_the_guidelines_use(tmp_path):
    import pytest

    from guidelines import GuidelineError, load_query_words

    sections = load_sections()
    table = load_query_words(sections=sections)
    assert table["refer"] and all(others for others in table.values())
    wrong = tmp_path / "words.yaml"
    for text in ("zeppelin: [airship]\n", "refer: escalate\n", "- a list\n"):
        wrong.write_text(text)
        with pytest.raises(GuidelineError):
            load_query_words(wrong, sections)


def test_the_business_of_a_question_is_named_without_the_chat_the_place_or_the_figures(db_toolkit):
    from tools.guidelines import _business_words, read_question

    ctx = db_toolkit.ctx

    def business(question: str) -> str:
        return _business_words(ctx, read_question(ctx, question))

    # "insurance" alone is the guidelines' word; with "agencies" it names the business.
    assert business("hey - insurance agencies in Boise, 4m revenue, thanks") == "insurance agencies"
    assert business("travel agencies: cyber?") == "travel agencies"
    # "office" is a word of the guidelines' examples only, and names the business with "staffing"
    assert business("staffing office in Dallas, Texas wants GL") == "staffing office"
    # The trade's own words are no business: "agent" is the broker, not a talent agency.
    assert business("agent says the client keeps asking") == ""


def test_a_need_a_product_we_do_not_write_insures_finds_the_partial_alternatives(toolkit):
    """Asked by the loss, not the product's name (real model and index)."""
    for question in (
        "an employee stealing from the till, does cyber respond",
        "worried about employee theft, can property cover it",
    ):
        found = [s["id"] for s in toolkit.call("search_guidelines", {"query": question}).result["sections"]]
        assert "not-written-redirects" in found, (question, found)


def test_a_referral_asked_in_other_words_finds_its_section(toolkit):
    """A plain word for the guidelines' "senior underwriter" (real model and index)."""
    for question, section in (("should this go to my supervisor?", "referral-triggers"),):
        found = [s["id"] for s in toolkit.call("search_guidelines", {"query": question}).result["sections"]]
        assert section in found, (question, found)


def test_the_case_a_question_names_points_to_the_sections_whose_rules_decide_it(db_toolkit):
    """The insurer's tables say which section states each rule: the appetite entry for a line and a business (in the
    states named, else in most), the line's own limit or deductible for the code, and a state exception alone."""
    from tools.guidelines import _deciding_sections

    ctx = db_toolkit.ctx
    assert _deciding_sections(ctx, ["workers_compensation"], "", ["WY"]) == {"monopolistic-states"}
    assert _deciding_sections(ctx, ["workers_compensation"], "", ["TX"]) == set()  # every sector's own entry
    assert _deciding_sections(ctx, ["cyber"], "621330", []) == {
        "sector-appetite-care-leisure",
        "limits-cyber-high-exposure",
    }
    assert "deductibles-auto-transport" in _deciding_sections(ctx, ["auto"], "484220", [])
    assert _deciding_sections(ctx, ["general_liability"], "", []) == set()
    assert _deciding_sections(ctx, [], "484220", ["WY"]) == set()


def test_a_question_names_its_state_by_code_name_or_city_and_its_business_by_a_typed_code(db_toolkit):
    from tools.guidelines import _business_code, _states_in, read_question

    ctx = db_toolkit.ctx

    def states(question: str) -> list[str]:
        return _states_in(ctx, question, read_question(ctx, question))

    assert states("a WY ranch wants comp") == ["WY"]
    assert states("ok so a bar in texas") == ["TX"]
    assert states("bakery in Fargo") == ["ND"]
    assert states("Portland OR cafe") == []  # "or" is a word before it is Oregon
    assert _business_code(ctx, "", "a 311811 bakery") == "311811"
    assert _business_code(ctx, "", "their 999999 code") == ""


def test_a_line_in_shorthand_only_the_catalog_table_writes_is_searched_by_the_guidelines_name(db_toolkit):
    """Said "wc" or "gen liab", the line is what the question is about, not the table that lists the line's names;
    a word other sections use too ("fleet") stays as typed."""
    from tools.guidelines import _lines_named

    read = _lines_named(db_toolkit.ctx, "wc for a print shop, fleet of 9 vans, gen liab too")
    assert read == "Workers Compensation for a print shop, fleet of 9 vans, General Liability too"


def test_a_business_is_named_by_a_word_of_an_example_or_a_trades_abbreviation_but_not_by_a_rules_word(db_toolkit):
    from tools.guidelines import _business_words, read_question

    ctx = db_toolkit.ctx

    def business(question: str) -> str:
        return _business_words(ctx, read_question(ctx, question))

    assert business("hotel wants cyber") == "hotel"  # the guidelines name a hotel once, in an example
    assert business("the HVAC outfit wants GL").startswith("hvac")
    assert business("our broker wants cyber") == ""
    assert business("what does the glossary say") == ""


def test_the_section_that_decides_the_named_case_comes_up(toolkit):
    """A line and a business, a line and a monopolistic state, a product we do not write (real model and index)."""
    for question, section, within in (
        ("does WC work for a framing crew in Cheyenne", "monopolistic-states", 1),
        ("excess layer over the auto for a landscaper, they need 3M", "products-not-written", 1),
        ("a 484121 trucker wants a BOP", "sector-appetite", 3),
        ("can we do property for a 325412 drug maker", "sector-appetite", 3),
    ):
        found = [s["id"] for s in toolkit.call("search_guidelines", {"query": question}).result["sections"]]
        assert section in found[:within], (question, found)
