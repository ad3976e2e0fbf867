"""``uwc seed``: build the database and the guideline index into the data folder.

A build is complete only when both are: the database is swapped in first, the index second, and only then is
``uwc-seed.json`` (the inputs' digest) written into the index folder. ``--if-missing`` trusts that marker, so a
build killed while indexing is redone. Scratch files a killed build left behind are removed on the next run.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.database import is_postgres
from guidelines import GUIDELINES_DIR, Section, load_sections
from seed_db.build import SeedData, inputs_digest, load_seed_data, sqlite_path, write_database
from seed_db.sources import DATA_DIR

if TYPE_CHECKING:
    from retrieval.vectors import Progress


@dataclass
class SeedReport:
    database: Path | None
    database_bytes: int | None
    counts: dict[str, int]
    index: object | None  # retrieval.index.IndexReport
    seconds: float
    skipped: bool = False
    note: str | None = None  # PostgreSQL: what of the SQL tool's own login could not be set up


def guideline_docs(sections: list[Section]) -> list:
    """The guideline sections as index documents (``retrieval.index.Doc``), with what the search tool shows."""
    from retrieval.index import Doc, section_document

    return [
        Doc(s.id, section_document(s.title, s.text), {"title": s.title, "file": s.file, "document": s.document})
        for s in sections
    ]


def guideline_chunk_docs(sections: list[Section]) -> list:
    """The sections' passages (``retrieval.index.section_chunks``) as index documents, ids ``section-id#n``."""
    from retrieval.index import Doc, chunk_id, section_chunks

    return [
        Doc(chunk_id(s.id, n), text, {"section": s.id})
        for s in sections
        for n, text in enumerate(section_chunks(s.document, s.title, s.text))
    ]


def index_collections(data: SeedData, sections: list[Section], embedding) -> tuple[dict[str, list], dict | None]:
    """What ``uwc seed`` indexes: each collection's documents, and the collections with an embedding of their own."""
    from retrieval.embeddings import MiniLMEmbedding
    from retrieval.index import GUIDELINE_CHUNKS, GUIDELINES, NAICS, Doc, naics_document

    naics = [
        Doc(r["code"], naics_document(r["code"], r["title"], r["description"]), {"title": r["title"]})
        for r in data.tables["naics_code"]
    ]
    # NAICS descriptions are long: their first 128 tokens classify as well as 256 and embed twice as fast.
    per = {NAICS: MiniLMEmbedding(max_tokens=128)} if isinstance(embedding, MiniLMEmbedding) else None
    collections = {GUIDELINES: guideline_docs(sections), GUIDELINE_CHUNKS: guideline_chunk_docs(sections), NAICS: naics}
    return collections, per


INPUTS_TASK = "checking the inputs"
DATABASE_TASK = "writing the database rows"

MARKER = "uwc-seed.json"  # in the index folder: written last, when database and index are both built


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def remove_leftovers(database_url: str, index_dir: Path) -> list[Path]:
    """Delete scratch files and folders of builds whose process is gone (kill -9, power loss)."""
    removed: list[Path] = []
    db = sqlite_path(database_url)
    if db is not None and db.parent.is_dir():
        for p in db.parent.glob(f".{db.name}.building-*"):
            pid = p.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not _alive(int(pid)):
                p.unlink(missing_ok=True)
                removed.append(p)
    index_dir = Path(index_dir)
    for suffix in (".building", ".old"):
        p = index_dir.with_name(index_dir.name + suffix)
        if p.exists():
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def _marker_digest(index_dir: Path) -> str | None:
    try:
        return json.loads((Path(index_dir) / MARKER).read_text(encoding="utf-8")).get("inputs_sha256")
    except (OSError, ValueError, AttributeError):
        return None


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
    digest = inputs_digest(data_dir, guidelines_dir)
    return row is not None and row[0] == digest and _marker_digest(index_dir) == digest


def run_seed(
    database_url: str,
    index_dir: Path,
    embedding,
    *,
    if_missing: bool = False,
    with_index: bool = True,
    data_dir: Path = DATA_DIR,
    guidelines_dir: Path = GUIDELINES_DIR,
    reader_url: str | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    app_url: str | None = None,
) -> SeedReport:
    """Validate every input first, then write the database, then (re)build the guideline index.

    ``cache_dir`` keeps the vectors embedded here for the next build (``retrieval.vectors``); ``progress`` hears
    each step as (task, done, total). ``app_url``: the app's own login when ``database_url`` is the owner's.
    """
    start = time.perf_counter()
    remove_leftovers(database_url, index_dir)
    if if_missing and is_current(database_url, index_dir, data_dir, guidelines_dir):
        db = sqlite_path(database_url)
        size = db.stat().st_size if db else None  # None: PostgreSQL
        return SeedReport(db, size, {}, None, time.perf_counter() - start, skipped=True)
    if progress:
        progress(INPUTS_TASK, 0, 1)
    data = load_seed_data(data_dir, guidelines_dir)
    if progress:
        progress(INPUTS_TASK, 1, 1)
    rows = functools.partial(progress, DATABASE_TASK) if progress else None
    written = write_database(database_url, data, reader_url, rows, app_url)
    index = None
    if with_index:
        from retrieval.index import build_index  # chromadb only when indexing
        from retrieval.vectors import VectorCache

        collections, per = index_collections(data, load_sections(guidelines_dir), embedding)
        index = build_index(collections, index_dir, embedding, per, VectorCache(cache_dir), progress)
        # Written last: only now is the build complete (see is_current).
        marker = {"inputs_sha256": inputs_digest(data_dir, guidelines_dir), "database": str(written["path"] or "")}
        (Path(index_dir) / MARKER).write_text(json.dumps(marker), encoding="utf-8")
    counts = {name: len(rows) for name, rows in data.tables.items()}
    seconds = time.perf_counter() - start
    return SeedReport(written["path"], written["bytes"], counts, index, seconds, note=written.get("note"))
