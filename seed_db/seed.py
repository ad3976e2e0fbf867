"""``uwc seed``: build the database and the guideline index into the data folder."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from core.database import is_postgres
from guidelines import GUIDELINES_DIR, Section, load_sections
from seed_db.build import inputs_digest, load_seed_data, sqlite_path, write_database
from seed_db.sources import DATA_DIR


@dataclass
class SeedReport:
    database: Path | None
    database_bytes: int | None
    counts: dict[str, int]
    index: object | None  # retrieval.index.IndexReport
    seconds: float
    skipped: bool = False


def guideline_docs(sections: list[Section]) -> list:
    """The guideline sections as index documents (``retrieval.index.Doc``), with what the search tool shows."""
    from retrieval.index import Doc, section_document

    return [
        Doc(s.id, section_document(s.title, s.text), {"title": s.title, "file": s.file, "document": s.document})
        for s in sections
    ]


def is_seeded(database_url: str, index_dir: Path) -> bool:
    if is_postgres(database_url):
        from seed_db.postgres import seeded_digest

        return seeded_digest(database_url) is not None and (Path(index_dir) / "chroma.sqlite3").is_file()
    db = sqlite_path(database_url)
    return db is not None and db.is_file() and (Path(index_dir) / "chroma.sqlite3").is_file()


def is_current(
    database_url: str, index_dir: Path, data_dir: Path = DATA_DIR, guidelines_dir: Path = GUIDELINES_DIR
) -> bool:
    """Seeded, and from the inputs in the working tree (a `git pull` that changed the rules makes it stale)."""
    if is_postgres(database_url):
        from seed_db.postgres import seeded_digest

        digest = seeded_digest(database_url)
        return digest == inputs_digest(data_dir, guidelines_dir) and (Path(index_dir) / "chroma.sqlite3").is_file()
    if not is_seeded(database_url, index_dir):
        return False
    try:
        with sqlite3.connect(f"file:{sqlite_path(database_url)}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT value FROM seed_info WHERE key = 'inputs_sha256'").fetchone()
    except sqlite3.Error:
        return False
    return row is not None and row[0] == inputs_digest(data_dir, guidelines_dir)


def run_seed(
    database_url: str,
    index_dir: Path,
    embedding,
    *,
    if_missing: bool = False,
    with_index: bool = True,
    data_dir: Path = DATA_DIR,
    guidelines_dir: Path = GUIDELINES_DIR,
) -> SeedReport:
    """Validate every input first, then write the database, then (re)build the guideline index."""
    start = time.perf_counter()
    if if_missing and is_current(database_url, index_dir, data_dir, guidelines_dir):
        db = sqlite_path(database_url)
        size = db.stat().st_size if db else None  # None: PostgreSQL
        return SeedReport(db, size, {}, None, time.perf_counter() - start, skipped=True)
    data = load_seed_data(data_dir, guidelines_dir)
    written = write_database(database_url, data)
    index = None
    if with_index:
        from retrieval.index import (
            GUIDELINES,
            NAICS,
            Doc,
            build_index,
            naics_document,
        )  # chromadb only when indexing

        naics = [
            Doc(r["code"], naics_document(r["code"], r["title"], r["description"]), {"title": r["title"]})
            for r in data.tables["naics_code"]
        ]
        from retrieval.embeddings import MiniLMEmbedding

        # NAICS descriptions are long: their first 128 tokens classify as well as 256 and embed twice as fast.
        per = {NAICS: MiniLMEmbedding(max_tokens=128)} if isinstance(embedding, MiniLMEmbedding) else None
        index = build_index(
            {GUIDELINES: guideline_docs(load_sections(guidelines_dir)), NAICS: naics}, index_dir, embedding, per
        )
    counts = {name: len(rows) for name, rows in data.tables.items()}
    return SeedReport(written["path"], written["bytes"], counts, index, time.perf_counter() - start)
