"""The product guard's judge of one mention: does the text offer the product, or decline, report or merely name it?

A logistic regression over the mention's context: the words in a bounded window either side within its sentence
(and the pairs of words before it), the product, whether the sentence asks, and the rule-based reading of its
clause (``rule:`` features, from the negation and decline cues the guard computes anyway). The weights are data,
``guard_weights.json`` beside this file, trained on the labelled sets the guard is tuned on by
``python -m tests.train_guard`` (which also prints their cross-validated calibration). The held-out sets are never
trained on. The cost per mention is bounded by the window, so judging stays linear in the text.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

WEIGHTS = Path(__file__).with_name("guard_weights.json")
WINDOW = 8  # words either side of the mention that it reads, within its sentence


def features(words: list[str], i: int, j: int, lo: int, hi: int, product: str, cues: dict[str, bool]) -> list[str]:
    """The features of the mention ``words[i:j]`` in the sentence ``words[lo:hi]``."""
    left = words[max(lo, i - WINDOW) : i]
    right = words[j : min(hi, j + WINDOW)]
    out = [f"p:{product}"] + [f"rule:{k}" for k, v in cues.items() if v]
    out += [f"L:{w}" for w in left] + [f"R:{w}" for w in right]
    out += [f"LB:{a}_{b}" for a, b in zip(left, left[1:], strict=False)]
    out += [f"RB:{a}_{b}" for a, b in zip(right, right[1:], strict=False)]
    if left:
        out.append(f"L1:{left[-1]}")
    else:
        out.append("starts")
    if right:
        out.append(f"R1:{right[0]}")
    return out


@lru_cache(maxsize=1)
def _weights() -> tuple[dict[str, float], float, float]:
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    return data["weights"], float(data["bias"]), float(data["threshold"])


def probability(feats: list[str]) -> float:
    """The calibrated probability that the mention is offered."""
    weights, bias, _ = _weights()
    z = bias + sum(weights.get(f, 0.0) for f in set(feats))
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def offered(feats: list[str]) -> bool:
    return probability(feats) >= _weights()[2]


def fit(samples: list[list[str]], labels: list[int], l2: float = 0.005, steps: int = 600) -> dict:
    """A logistic regression on binary features (full-batch gradient descent with L2), as the weights file holds."""
    import numpy as np

    names = sorted({f for s in samples for f in s})
    index = {f: k for k, f in enumerate(names)}
    x = np.zeros((len(samples), len(names)))
    for r, s in enumerate(samples):
        x[r, [index[f] for f in set(s)]] = 1.0
    y = np.asarray(labels, dtype=float)
    w, b = np.zeros(len(names)), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        g = p - y
        w -= 0.5 * (x.T @ g / len(y) + l2 * w)
        b -= 0.5 * float(g.mean())
    return {
        "weights": {f: round(float(v), 4) for f, v in zip(names, w, strict=True) if abs(v) >= 1e-3},
        "bias": round(b, 4),
        "threshold": 0.5,
    }
