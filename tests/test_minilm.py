"""The MiniLM session's saved optimised graph (``retrieval/minilm.py``): the process that builds the session saves
it, the next loads it, and both give the same vectors bit for bit; a saved graph that does not match its sha256 is
not loaded, the session is built from the pinned model again."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from retrieval import minilm

TEXTS = ["Is a roofing contractor with 12 employees in appetite?", "general liability limits", "x"]


@pytest.fixture
def saved_in(tmp_path, monkeypatch):
    loaded: list[str] = []
    real = ort.InferenceSession

    def session(path, *args, **kwargs):
        loaded.append(str(path))
        return real(path, *args, **kwargs)

    target = tmp_path / "minilm-test"
    monkeypatch.setattr(minilm, "_saved_graph", lambda: target)
    monkeypatch.setattr(ort, "InferenceSession", session)
    minilm._load_minilm_session.cache_clear()
    yield target, loaded
    minilm._load_minilm_session.cache_clear()  # the next test builds the process's session as it would


def _vectors() -> bytes:
    minilm._load_minilm_session.cache_clear()
    return np.stack(minilm.embed(TEXTS)).tobytes()


def test_the_saved_graph_gives_the_same_vectors_as_the_pinned_model(saved_in):
    target, loaded = saved_in
    built = _vectors()
    assert {p.name for p in target.iterdir()} == {minilm.GRAPH, minilm.WEIGHTS, minilm.DIGEST}
    assert not list(target.parent.glob("*.tmp"))
    assert _vectors() == built
    assert loaded[0] != str(target / minilm.GRAPH) and loaded[1] == str(target / minilm.GRAPH)


def test_a_saved_graph_that_does_not_match_its_sha256_is_not_loaded(saved_in):
    target, loaded = saved_in
    built = _vectors()
    with open(target / minilm.WEIGHTS, "r+b") as file:
        file.seek(-1, 2)
        last = file.read(1)
        file.seek(-1, 2)
        file.write(bytes([last[0] ^ 1]))
    assert _vectors() == built
    assert str(target / minilm.GRAPH) not in loaded
    assert _vectors() == built  # built again and saved again: loaded
    assert loaded[-1] == str(target / minilm.GRAPH)
