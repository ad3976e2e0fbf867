"""The seeded folders the tests share (tests/conftest.py): built once per inputs, never half-built, reused."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import conftest


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(conftest, "TEST_CACHE", tmp_path / "cache")
    return tmp_path / "cache"


def test_concurrent_builds_leave_one_complete_folder_and_no_scratch(cache, monkeypatch):
    both_building = threading.Barrier(2)

    def slow_build(kind, folder):
        both_building.wait(timeout=10)  # the two runs really race
        (folder / "uwc.db").write_text(f"built by thread {threading.get_ident()}")
        time.sleep(0.05)
        (folder / "chroma").mkdir()

    monkeypatch.setattr(conftest, "_build", slow_build)
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: conftest.cached_seed("db"), range(2))
    assert first == second
    assert (first / "uwc.db").is_file() and (first / "chroma").is_dir()
    assert [p.name for p in cache.iterdir()] == [first.name]  # the loser's scratch folder is gone

    monkeypatch.setattr(conftest, "_build", lambda kind, folder: pytest.fail("a cached folder was rebuilt"))
    assert conftest.cached_seed("db") == first


def test_a_failed_build_leaves_nothing_behind(cache, monkeypatch):
    def broken_build(kind, folder):
        (folder / "uwc.db").write_text("half")
        raise RuntimeError("seed input is bad")

    monkeypatch.setattr(conftest, "_build", broken_build)
    with pytest.raises(RuntimeError):
        conftest.cached_seed("db")
    assert list(cache.iterdir()) == []


def test_changed_inputs_or_kind_get_their_own_folder(cache, monkeypatch):
    monkeypatch.setattr(conftest, "_build", lambda kind, folder: (folder / "uwc.db").write_text(kind))
    before = conftest.cached_seed("db")
    assert conftest.cached_seed("hashing") != before
    monkeypatch.setattr("seed_db.build.inputs_digest", lambda *a, **k: "edited insurer.yaml")
    assert conftest.cached_seed("db") != before
