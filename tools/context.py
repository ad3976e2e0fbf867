"""``ToolContext``: the resources tools receive (never globals), and the factory that opens them from ``Settings``.

Expensive parts (the guideline and NAICS search indexes) are built on first use and kept for the
context's lifetime, so ``uwc tool --list`` or a SQL-only session never loads the embedding model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from seed_db.queries import readonly_engine
from tools.catalog import Catalog

if TYPE_CHECKING:
    from core.settings import Settings


@dataclass(frozen=True)
class SQLiteFile:
    """The insurer data in the embedded SQLite file of the data folder."""

    path: Path


@dataclass(frozen=True)
class PostgresDatabase:
    """The insurer data in PostgreSQL."""

    url: str  # the app's login (password included: never shown, see core.database.masked)
    reader_url: str  # the SQL tool's own read-only login (``core.database.reader_url``)


@dataclass
class ToolContext:
    database: SQLiteFile | PostgresDatabase  # the backend that holds the insurer data, and how to reach it
    engine: Engine
    catalog: Catalog
    index_dir: Path
    make_embedding: Callable[[], Any]  # the index's embedding function, made on first use: it imports chromadb
    _lazy: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    _embedding_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def embedding(self) -> Any:
        # its own lock: the index factories run under ``_lock`` and ask for the embedding
        with self._embedding_lock:
            if "embedding" not in self._lazy:
                self._lazy["embedding"] = self.make_embedding()
            return self._lazy["embedding"]

    def lazy(self, key: str, factory):
        """Build a shared resource once (thread-safe)."""
        with self._lock:
            if key not in self._lazy:
                self._lazy[key] = factory()
            return self._lazy[key]


def open_context(settings: Settings) -> ToolContext:
    """The tools' resources for ``settings``: the insurer data in its PostgreSQL database when ``database_url`` is
    one (the SQL tool signs in as ``reader_url``, or the login ``uwc seed`` derives), else in the data folder's
    SQLite file; the search index of the data folder; the embedding model."""
    from core.database import is_postgres, reader_url

    database: SQLiteFile | PostgresDatabase
    if settings.database_url is not None and is_postgres(settings.database_url):
        database = PostgresDatabase(settings.database_url, reader_url(settings.database_url, settings.reader_url))
        engine = readonly_engine(database.url)
    else:
        database = SQLiteFile(settings.database_path)
        engine = readonly_engine(database.path)
    catalog = Catalog.load(engine)

    def embedding():
        from retrieval.embeddings import make_embedding  # chromadb: only a turn that searches an index needs it

        return make_embedding(settings.embedding_model, settings.api_base)

    return ToolContext(database, engine, catalog, settings.index_dir, embedding)
