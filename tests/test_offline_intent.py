"""The offline model's intent classifier: its held-out phrasings stay out of training, several questions in one
message are each read, a message it cannot place is not guessed, and it works without the embedding model.
Its accuracy is measured, not asserted: ``python -m bench.offline --only intent``."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from graph.offline import intent

HELDOUT = sorted((Path(__file__).parent / "data").glob("intents_heldout_*.tsv"))
NEAR_DUPLICATE = 0.7  # character-trigram Jaccard similarity


def _trigrams(text: str) -> set[str]:
    t = " " + re.sub(r"[^a-z0-9 ]", "", text.lower()) + " "
    return {t[i : i + 3] for i in range(len(t) - 2)}


def test_no_heldout_phrasing_is_trained_on_or_nearly_so():
    train = [_trigrams(text) for _, text in intent.load_examples()]
    assert HELDOUT
    for path in HELDOUT:
        for _, text in intent.load_examples(path):
            g = _trigrams(text)
            nearest = max(len(g & t) / len(g | t) for t in train)
            assert nearest < NEAR_DUPLICATE, f"{path.name}: {text!r} is (nearly) in the training set"


def test_a_label_that_is_not_an_intent_is_refused_with_the_line(tmp_path):
    bad = tmp_path / "intents.tsv"
    bad.write_text("appetite\tcan we write it\nappetit\tdo we write it\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"intents.tsv:2: .*appetite"):
        intent.load_examples(bad)


@pytest.fixture(scope="module")
def clf() -> intent.IntentClassifier:
    return intent.IntentClassifier(cache=Path(os.environ["UWC_CACHE_DIR"]))  # set by conftest


def test_two_questions_in_one_message_are_each_read_in_order(clf):
    assert clf.classify("is a florist ok for property, and how high can the limits go").names == (
        "appetite",
        "policy_limits",
    )
    # figures after the question state facts, they ask nothing
    assert clf.classify("is a florist ok for property? rev 2M, naics 459310").names == ("appetite",)


def test_a_message_it_cannot_place_is_not_guessed(clf):
    found = clf.classify("zxqv plorb")
    assert found.name is None and found.names == () and found.confidence < intent.MIN_CONFIDENCE


def test_confidences_are_probabilities(clf):
    p = clf.probabilities(["whats the ded on prop", "hi"])
    assert p.shape == (2, len(clf.labels)) and np.allclose(p.sum(axis=1), 1.0)


def test_typos_and_shorthand_share_the_word_meant(clf):
    assert clf.classify("lmits for comm auto").name == "policy_limits"
    assert clf.classify("x-sell ideas?").name == "product_recommendation"


def test_without_the_embedding_model_words_and_characters_still_classify():
    def missing(texts):
        raise RuntimeError("no weights")

    alone = intent.IntentClassifier(embed=missing)
    assert alone.classify("whats the deductibel on property").name == "deductible"
    assert not alone.embedding


def test_training_converges_to_the_training_labels():
    examples = [("deductible", "what is the deductible"), ("smalltalk", "hello there"), ("why", "why is that")]
    small = intent.IntentClassifier(examples, embed=lambda texts: [np.ones(4)] * len(texts))
    assert [small.classify(t).name for _, t in examples] == ["deductible", "smalltalk", "why"]


def test_the_fitted_classifier_is_kept_between_processes_and_never_trusted_blindly(tmp_path, monkeypatch):
    """A new classifier with the same cache folder neither embeds the phrasings nor trains, and reads messages bit
    for bit as the first; a damaged file or another training setting trains anew; a folder it cannot write only
    costs the time."""
    examples = intent.load_examples()[::8]  # a small training set keeps this quick; the cache does not care
    messages = ["whats the ded on a trucker", "can we write a bop for a bakery in ohio", "thanks!"]
    embedded: list[int] = []
    trainings: list[int] = []
    real_vectors, real_train = intent.IntentClassifier._vectors, intent.train_softmax

    def counting(self, texts):
        embedded.append(len(texts))
        return real_vectors(self, texts)

    def training(*args, **kwargs):
        trainings.append(1)
        return real_train(*args, **kwargs)

    def classifier(cache, l2=intent.L2):
        return intent.IntentClassifier(examples=examples, cache=cache, l2=l2)

    monkeypatch.setattr(intent.IntentClassifier, "_vectors", counting)
    monkeypatch.setattr(intent, "train_softmax", training)
    first = classifier(tmp_path).probabilities(messages)
    [saved] = tmp_path.glob("intent-model-*.npz")
    trained = max(embedded)
    assert trained > len(messages) and len(trainings) == 1  # the training phrasings

    embedded.clear()
    again = classifier(tmp_path).probabilities(messages)
    assert max(embedded) == len(messages) and len(trainings) == 1 and np.array_equal(first, again)

    saved.write_bytes(b"not an archive")
    embedded.clear()
    mended = classifier(tmp_path).probabilities(messages)
    assert max(embedded) == trained and len(trainings) == 2 and np.array_equal(first, mended)
    assert classifier(tmp_path).probabilities(messages).shape == first.shape and len(trainings) == 2  # rewritten

    other = classifier(tmp_path, l2=intent.L2 * 2).probabilities(messages)
    assert len(trainings) == 3 and not np.array_equal(first, other) and len(list(tmp_path.glob("intent-model-*"))) == 2

    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")
    assert np.array_equal(first, classifier(blocked).probabilities(messages))
