"""``python -m graph.reader.train``: builds the corpus, trains the CRF and writes the model and its digest.

Deterministic: the same generator inputs give the same model file (crfsuite's L-BFGS has no randomness).
"""

from __future__ import annotations

import time

from graph.reader import corpus, tagger
from graph.reader.tokens import chunks

TRAIN_SEED, TRAIN_SIZE = 23, 9000
HELD_OUT_SEED, HELD_OUT_SIZE = 2023, 1000  # a different seed: messages the model never saw
TUNE_COPIES = 3  # the hand-written phrasings weigh a little more than one generated message each


def sequences(examples):
    for text, asked, spans in examples:
        tokens, labels = corpus.bio(text, spans)
        feats = tagger.features(text, tokens, asked)
        for a, b in chunks(text, tokens):
            yield feats[a:b], labels[a:b]


def main() -> None:
    import pycrfsuite

    t0 = time.perf_counter()
    trainer = pycrfsuite.Trainer(verbose=False)
    examples = list(corpus.generated(TRAIN_SEED, TRAIN_SIZE)) + corpus.tune_examples() * TUNE_COPIES
    for x, y in sequences(examples):
        trainer.append(x, y)
    trainer.set_params({"c1": 0.05, "c2": 0.01, "max_iterations": 150, "feature.possible_transitions": True})
    tagger.MODEL.parent.mkdir(exist_ok=True)
    trainer.train(str(tagger.MODEL))
    tagger.DIGEST.write_text(corpus.digest() + "\n")
    size = tagger.MODEL.stat().st_size
    print(
        f"trained on {len(examples)} messages in {time.perf_counter() - t0:.0f} s: {tagger.MODEL} ({size / 1024:.0f} KiB)"
    )


if __name__ == "__main__":
    main()
