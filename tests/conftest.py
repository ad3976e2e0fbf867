"""Test-wide setup: offline switches, a guard that fails any non-loopback connection, a seeded data folder."""

from __future__ import annotations

import atexit
import hashlib
import ipaddress
import logging
import os
import shutil
import socket
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from core.settings import apply_offline_env

apply_offline_env()


class OutboundConnectionBlocked(RuntimeError):
    pass


def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self, address):
    if not _is_local(address):
        raise OutboundConnectionBlocked(f"test tried to connect to {address!r}: tests must stay offline")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_local(address):
        raise OutboundConnectionBlocked(f"test tried to connect to {address!r}: tests must stay offline")
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex


def _end_workers_without_teardown() -> None:
    """A parallel worker has sent every result to the controller before its interpreter shuts down; tearing down
    what it loaded (ONNX Runtime, Chroma, thousands of modules) then took 1.5 s that the whole run waited for.
    Registered as the conftest loads, so the exit handlers of everything the tests load later run before it."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return

    def exit_now() -> None:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    atexit.register(exit_now)


_end_workers_without_teardown()


def _scan_streamlit_components_once() -> None:
    """Every new AppTest scans all ~190 installed distributions for Streamlit components (about 0.3 s each time, a
    quarter of the page tests' time); the installed packages cannot change during a session, so scan once."""
    import functools

    from streamlit.components.v2 import manifest_scanner

    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


def pytest_configure(config):
    if not getattr(config.option, "numprocesses", None) or hasattr(config, "workerinput"):
        _scan_streamlit_components_once()  # where tests run (not in the controller of parallel workers)


# Fixtures that create a PostgreSQL database: such a test is part of `make test`, not of the inner loop.
POSTGRES_FIXTURES = {"pg_url", "pg_seeded", "pg_seeded_copy", "pg_toolkit"}


def pytest_collection_modifyitems(items):
    """Markers that follow from what a test uses, so `make test-fast` can leave it out: ``browser`` for every test
    driving a real browser, ``slow`` for every test that creates a PostgreSQL database."""
    for item in items:
        if item.path.name == "test_browser.py":
            item.add_marker(pytest.mark.browser)
        if POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's .env or data folder, or a real API key."""
    monkeypatch.chdir(tmp_path)
    for key in (
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "UWC_MODEL",
        "UWC_DATA_DIR",
        "UWC_DATABASE_URL",
        "UWC_RECORD",
        "UWC_REPLAY",
        "UWC_OWNER_URL",
        "UWC_AUDIT_KEY_FILE",
        "UWC_AUDIT_OLD_KEYS",
    ):
        monkeypatch.delenv(key, raising=False)
    # One decision record key for the whole run, as every process of a deployment shares one: tests on a shared
    # PostgreSQL database use data folders of their own, whose key files would each sign with a different key.
    monkeypatch.setenv("UWC_AUDIT_KEY", "uwc-test-run-decision-record-key-0123456789")


# --- seeded data folders, built once per inputs and reused across runs -----------------------------------

REPO = Path(__file__).resolve().parents[1]
# Outside pytest's own cache so `--cache-clear` or `-p no:cacheprovider` keep it; git-ignored under var/.
TEST_CACHE = Path(os.environ.get("UWC_TEST_CACHE", REPO / "var" / "test-cache"))
# Derived files (the fitted intent classifier, the MiniLM graph) shared by every worker and `uwc` subprocess of a run.
os.environ.setdefault("UWC_CACHE_DIR", str(TEST_CACHE / "derived"))
# The code that shapes a seeded folder: every module of the packages the builder imports, so a change to any of them
# never reuses a folder built by the old code (a stale folder once made "seeding twice is identical" fail).
BUILDER_SOURCES = tuple(
    sorted(
        str(p.relative_to(REPO))
        for package in ("seed_db", "retrieval", "guidelines", "core")
        for p in (REPO / package).glob("*.py")
    )
)


def seed_key(kind: str) -> str:
    """The seed's own inputs digest (data files, guidelines) plus the builder code and the embedding kind."""
    from seed_db.build import inputs_digest

    digest = hashlib.sha256(f"{kind}:{inputs_digest()}".encode())
    for source in BUILDER_SOURCES:  # paths relative to the repository root
        digest.update(source.encode())
        digest.update((REPO / source).read_bytes())
    return digest.hexdigest()[:16]


def _build(kind: str, folder: Path) -> None:
    from seed_db.seed import run_seed

    embedding = None
    if kind != "db":
        from retrieval.embeddings import make_embedding

        embedding = make_embedding("local" if kind == "minilm" else "hashing")
    run_seed(f"sqlite:///{folder / 'uwc.db'}", folder / "chroma", embedding, with_index=embedding is not None)


@contextmanager
def old_store(path: Path, revision: str):
    """A SQLite conversations store built by the migrations up to ``revision`` only (a store of then), its
    connection open in that transaction for rows of then."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    cfg = Config()
    cfg.set_main_option("script_location", str(REPO / "graph" / "migrations"))
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            yield conn
    finally:
        engine.dispose()


def cached_seed(kind: str) -> Path:
    """A seeded folder (``kind``: "db" without an index, "minilm" or "hashing" with one), read-only to tests.

    Built in a scratch folder and renamed into place, so concurrent runs never see half a folder: the loser
    of a race discards its copy (both are identical: the build is deterministic)."""
    final = TEST_CACHE / f"{kind}-{seed_key(kind)}"
    if final.is_dir():
        return final
    TEST_CACHE.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{kind}-building-", dir=TEST_CACHE))
    try:
        _build(kind, scratch)
        os.rename(scratch, final)
    except OSError:
        if not final.is_dir():
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for old in TEST_CACHE.glob(f"{kind}-*"):  # folders of older inputs or code; left alone while fresh
        if old != final and time.time() - old.stat().st_mtime > 3600:
            shutil.rmtree(old, ignore_errors=True)
    return final


@contextmanager
def bytes_unchanged(path: Path):
    """Fail if the file's bytes differ after the block: the seeded databases that attacks and fuzzing run against."""

    def digest() -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    before = digest()
    yield
    assert digest() == before, "the database changed"


def _session_folder(tmp_path_factory, kind: str) -> dict:
    """This session's data folder over a cached seed: the database linked (tools open it read-only), the index
    copied (Chroma opens its files read-write), so conversations and runs written here never reach the cache."""
    cache = cached_seed(kind)
    data_dir = tmp_path_factory.mktemp(kind)
    (data_dir / "uwc.db").symlink_to(cache / "uwc.db")
    if (cache / "chroma").is_dir():
        shutil.copytree(cache / "chroma", data_dir / "chroma")
    return {"dir": data_dir, "url": f"sqlite:///{data_dir / 'uwc.db'}", "db": cache / "uwc.db"}


def pytest_sessionstart(session):
    """With parallel workers (``-n``), build the seeded folders once here, before the workers start, instead of
    letting each worker build the same folders at once (the build is race-safe, but that would waste minutes)."""
    config = session.config
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    for kind in ("db", "hashing", "minilm"):
        cached_seed(kind)


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory):
    """A seeded database without a search index: for everything but guideline search and classification."""
    return _session_folder(tmp_path_factory, "db")


@pytest.fixture(scope="session")
def seeded(tmp_path_factory):
    """A seeded database and its guideline/NAICS index with the real offline embedding (semantics matter)."""
    return _session_folder(tmp_path_factory, "minilm")


@pytest.fixture(scope="session")
def seeded_hashing(tmp_path_factory):
    """A seeded database and an index built with HashingEmbedding: for tests that need an index, not meaning."""
    return _session_folder(tmp_path_factory, "hashing")


@pytest.fixture(scope="session")
def catalog(seeded_db):
    """The live vocabulary (lines, synonyms, states, construction phrases, NAICS titles) of the seeded database."""
    from seed_db.queries import readonly_engine
    from tools.catalog import Catalog

    engine = readonly_engine(seeded_db["db"])
    yield Catalog.load(engine)
    engine.dispose()


def open_toolkit(data_dir: Path | str, **settings):
    """The product's tools over ``data_dir``, behind the real boundary; ``settings`` (``database_url``,
    ``embedding_model``, ...) are given here, never read from the developer's environment."""
    from core.settings import Settings
    from tools.all import default_tools
    from tools.context import open_context
    from tools.toolkit import Toolkit

    defaults: dict = {"embedding_model": "local", "api_base": None, "database_url": None, "reader_url": None}
    return Toolkit(open_context(Settings(data_dir=Path(data_dir), **(defaults | settings))), default_tools())


@pytest.fixture(scope="session")
def db_toolkit(seeded_db):
    """The tools over the database only; search and classification would report the missing index."""
    return open_toolkit(seeded_db["dir"])


@pytest.fixture(scope="session")
def toolkit(seeded):
    """The tools over the session's seeded and indexed data folder, behind the real boundary."""
    return open_toolkit(seeded["dir"])


@pytest.fixture
def call(db_toolkit):
    """Call a tool that needs no search index through the boundary; returns the ToolEvent."""
    return db_toolkit.call


@pytest.fixture
def call_indexed(toolkit):
    """Call any tool, search and classification included, through the boundary; returns the ToolEvent."""
    return toolkit.call


@pytest.fixture
def cp(seeded, toolkit):
    """An offline-model Copilot over the session's seeded data and tools (conversations end to end)."""
    from core.settings import get_settings
    from graph.copilot import Copilot

    copilot = Copilot(get_settings(data_dir=seeded["dir"]), toolkit=toolkit)
    yield copilot
    copilot.close()


@pytest.fixture
def copilot_toolkit(toolkit):
    """The tools ``make_copilot`` gives its copilots; a module overrides it (e.g. with ``db_toolkit``)."""
    return toolkit


@pytest.fixture
def make_copilot(tmp_path, copilot_toolkit):
    """``make_copilot(model)``: a Copilot over this test's data folder and the session's tools, closed after."""
    from core.settings import get_settings
    from graph.copilot import Copilot

    made = []

    def make(model=None):
        cp = Copilot(get_settings(data_dir=tmp_path), model=model, toolkit=copilot_toolkit)
        made.append(cp)
        return cp

    yield make
    for cp in made:
        cp.close()


def _page_folder(folder: Path, monkeypatch):
    """Serve the app's pages from ``folder`` (``UWC_DATA_DIR``): Streamlit's caches hold the settings, the engine
    and the copilot per process, so they are cleared before and after, and the pages rebuild them over it."""
    import streamlit as st

    monkeypatch.setenv("UWC_DATA_DIR", str(folder))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield folder
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty data folder for the app's pages (a module may override it with ``seeded_data_dir``)."""
    yield from _page_folder(tmp_path, monkeypatch)


@pytest.fixture
def seeded_data_dir(seeded, tmp_path, monkeypatch):
    """A data folder for the app's pages: the seeded database and index (shared, read-only) with this test's own
    conversations."""
    d = tmp_path / "data"
    d.mkdir()
    (d / "uwc.db").symlink_to(seeded["db"])
    (d / "chroma").symlink_to(seeded["dir"] / "chroma")
    yield from _page_folder(d, monkeypatch)
