"""``ToolContext``: the resources tools receive (never globals), and the factory that opens them.

Expensive parts (the guideline and NAICS search indexes) are built on first use and kept for the
context's lifetime, so ``uwc tool --list`` or a SQL-only session never loads the embedding model.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from seed_db.queries import readonly_engine
from tools.catalog import Catalog


@dataclass
class ToolContext:
    db_path: Path | None  # the SQLite file; None when the insurer data is in PostgreSQL (``url``)
    engine: Engine
    catalog: Catalog
    index_dir: Path
    embedding: Any
    url: str | None = None  # the PostgreSQL URL (password included: never shown, see core.database.masked)
    reader_url: str | None = None  # PostgreSQL: the SQL tool's own read-only login (``core.database.reader_url``)
    _lazy: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def lazy(self, key: str, factory):
        """Build a shared resource once (thread-safe)."""
        with self._lock:
            if key not in self._lazy:
                self._lazy[key] = factory()
            return self._lazy[key]


def open_context(
    data_dir: Path,
    embedding_model: str = "local",
    api_base: str | None = None,
    database_url: str | None = None,
    reader_url: str | None = None,
) -> ToolContext:
    """The tools' resources over a seeded data folder (and the PostgreSQL database when ``database_url`` is one;
    ``reader_url`` is ``UWC_READER_URL``, unset for the login ``uwc seed`` derives)."""
    from core.database import is_postgres
    from core.database import reader_url as sql_login
    from retrieval.embeddings import make_embedding

    data_dir = Path(data_dir)
    if database_url is not None and is_postgres(database_url):
        engine = readonly_engine(database_url)
        return ToolContext(
            None,
            engine,
            Catalog.load(engine),
            data_dir / "chroma",
            make_embedding(embedding_model, api_base),
            url=database_url,
            reader_url=sql_login(database_url, reader_url),
        )
    db_path = data_dir / "uwc.db"
    engine = readonly_engine(db_path)
    return ToolContext(
        db_path, engine, Catalog.load(engine), data_dir / "chroma", make_embedding(embedding_model, api_base)
    )
