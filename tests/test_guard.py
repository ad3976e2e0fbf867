"""The answer scanner against the hand-labelled set, the catalog link, and `uwc guard scan`."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from app.cli import main as uwc
from tools.guard import find_mentions, scan_products

TEXTS = [json.loads(line) for line in open(__file__.rsplit("/", 1)[0] + "/data/guard_texts.jsonl", encoding="utf-8")]


def test_labelled_set_is_big_enough_and_balanced():
    assert len(TEXTS) >= 60
    flagged = sum(bool(t["invented_products"]) for t in TEXTS)
    assert 0.3 <= flagged / len(TEXTS) <= 0.7


def test_precision_and_recall_on_the_labelled_set(catalog):
    tp = fp = fn = 0
    for t in TEXTS:
        got, want = set(scan_products(t["text"], catalog)), set(t["invented_products"])
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    assert tp / (tp + fp) >= 0.9 and tp / (tp + fn) >= 0.9


@pytest.mark.parametrize(
    "text,expected",
    [
        ("We don't write umbrella.", []),
        ("You could also add umbrella coverage.", ["umbrella"]),
        ("We can't offer D&O, but we can offer E&O.", ["professional_liability"]),
        ("GL, workers' comp and a BOP are all in appetite.", []),
        ("Consider EPLI and liquor liability for the bar.", ["epli", "liquor_liability"]),
    ],
)
def test_offer_versus_decline(text, expected):
    assert scan_products(text) == expected


def test_products_in_the_catalog_are_never_flagged(catalog):
    assert scan_products("You could add umbrella coverage.", catalog) == ["umbrella"]
    # The day the insurer writes umbrella, the catalog says so and the guard follows.
    writes_umbrella = replace(
        catalog, synonyms={**catalog.synonyms, "umbrella": "umbrella"}, lobs={**catalog.lobs, "umbrella": "Umbrella"}
    )
    assert scan_products("You could add umbrella coverage.", writes_umbrella) == []


def test_mentions_carry_spans_for_marking(catalog):
    text = "Offer GL and an umbrella policy."
    [m] = find_mentions(text, catalog)
    assert text[m.start : m.end].lower() == "umbrella" and m.offered


def test_cli_guard_scan_keeps_input_order(tmp_path, seeded_db, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps({"id": t["id"], "text": t["text"]}) for t in TEXTS[:20]) + "\n")
    assert uwc(["guard", "scan", str(src), "--data-dir", str(seeded_db["dir"])]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == [t["id"] for t in TEXTS[:20]]
    assert all(set(o) == {"id", "invented_products"} for o in out)


def test_cli_guard_scan_refuses_bad_lines_without_partial_output(tmp_path, seeded_db, capsys):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"id": 1, "text": "fine"}\n{"id": 2}\n')
    assert uwc(["guard", "scan", str(src), "--data-dir", str(seeded_db["dir"])]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "line 2" in captured.err
