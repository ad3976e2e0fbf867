"""Derive the shipped index vectors, ``retrieval/assets/minilm-vectors.npz`` and ``naics-entry-vectors.npz``:
``python -m seed_db.vectors``.

Every text ``uwc seed`` indexes from the committed inputs (guideline sections, their passages, the NAICS
descriptions), embedded by the offline model and keyed by content (``retrieval.vectors``), so a fresh clone's seed
embeds none of them. Run it after changing the NAICS data or the guidelines (an edited text is only embedded again
by each seed until then) or the model; tests/test_seed.py checks that the file covers every NAICS description and
equals what the model computes for a sample. The second file holds the Census index entries' vectors
(``retrieval.entries``); ``--only entries`` or ``--only index`` derives one of the two.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from guidelines import GUIDELINES_DIR, load_sections
from retrieval.embeddings import MiniLMEmbedding
from retrieval.entries import SHIPPED as ENTRIES_SHIPPED
from retrieval.entries import entries_digest, entry_text, write_entry_vectors
from retrieval.vectors import SHIPPED, vector_key, write_shipped
from seed_db.build import load_seed_data
from seed_db.seed import index_collections
from seed_db.sources import DATA_DIR, read_index_entries


def index_texts(data_dir: Path = DATA_DIR, guidelines_dir: Path = GUIDELINES_DIR) -> list[tuple[MiniLMEmbedding, str]]:
    """Each text the seed indexes with the offline model, with the embedding it is indexed with."""
    embedding = MiniLMEmbedding()
    collections, per = index_collections(
        load_seed_data(data_dir, guidelines_dir), load_sections(guidelines_dir), embedding
    )
    return [((per or {}).get(name, embedding), d.text) for name, docs in collections.items() for d in docs]


def derive(target: Path = SHIPPED) -> int:
    by_key: dict[str, tuple[MiniLMEmbedding, str]] = {}
    for embed, text in index_texts():
        by_key[vector_key(embed.vector_identity(), text)] = (embed, text)
    groups: dict[int, list[str]] = {}  # one model call per embedding (the NAICS one truncates shorter)
    for key, (embed, _) in by_key.items():
        groups.setdefault(id(embed), []).append(key)
    keys: list[str] = []
    vectors: list[np.ndarray] = []
    for group in groups.values():
        keys += group
        vectors += by_key[group[0]][0]([by_key[k][1] for k in group])
    write_shipped(target, keys, vectors)
    return len(keys)


def derive_entries(target: Path = ENTRIES_SHIPPED) -> int:
    """The index entries' vectors, by the model that embeds queries (the entries are short: never truncated)."""
    embedding = MiniLMEmbedding(batch_size=64)
    entries = [(code, entry_text(entry)) for code, entry in read_index_entries()]
    vectors = np.array(embedding([text for _, text in entries]), dtype=np.float32)
    digest = entries_digest(embedding.vector_identity(), entries)
    write_entry_vectors(target, digest, [code for code, _ in entries], vectors)
    return len(entries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seed_db.vectors", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=SHIPPED)
    parser.add_argument("--entries-output", type=Path, default=ENTRIES_SHIPPED)
    parser.add_argument("--only", choices=["index", "entries"], help="derive one file (default: both)")
    args = parser.parse_args(argv)
    for name, derive_one, target in (("index", derive, args.output), ("entries", derive_entries, args.entries_output)):
        if args.only in (None, name):
            start = time.perf_counter()
            n = derive_one(target)
            print(f"{n} vectors written to {target} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
