"""What ``classify_business`` returns for the descriptions the small real model's recorded traffic holds
(``tests/data/real_llm/small/tasks.cassette.jsonl``): the descriptions the replayed tasks classify, and the
arguments the model wrote. A candidate's code, title, score or place that moves changes the next recorded request,
and ``tests/test_real_llm_small.py`` can no longer replay it; re-recording needs the real model. A change to the
classifier must leave these as they are, or re-record the cassette and this file together."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RECORDED = json.loads((Path(__file__).parent / "data" / "classify_recorded.json").read_text())


@pytest.mark.parametrize("row", RECORDED, ids=[r["description"][:30] for r in RECORDED])
def test_the_recorded_descriptions_classify_as_recorded(toolkit, row):
    got = toolkit.call("classify_business", {"description": row["description"]}).result
    assert got["candidates"] == row["candidates"]


def test_the_recorded_descriptions_include_what_the_replay_classifies():
    cassette = (Path(__file__).parent / "data" / "real_llm" / "small" / "tasks.cassette.jsonl").read_text()
    recorded = [r["candidates"] for r in RECORDED]
    # every classification result in the cassette that this file's descriptions give is held here byte for byte
    # (the cassette holds each result as a JSON string inside a message: quoted once more)
    quoted = [json.dumps(json.dumps({"candidates": c, "sections": ["classification-naics"]}))[1:-1] for c in recorded]
    assert sum(q in cassette for q in quoted) >= 3
