"""Features and the CRF (python-crfsuite): tokens in, one BIO label per token out.

Features per token: the lower-cased word, its shape, prefixes and suffixes, digit patterns (phone, ZIP, year,
six digits, money units), lexicon hits (fact nouns and units, states, US cities, lines, construction, NAICS title
words), the same for neighbours up to two away, the label a "Label: value" line starts with, and the question
asked, on every token (a bare "280k" after the payroll question is payroll).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from graph.reader import lexicon
from graph.reader.tokens import Token
from graph.reader.values import NUMBER_WORDS, identifier

MODEL = Path(__file__).resolve().parent / "data" / "reader.crfsuite"
DIGEST = MODEL.with_suffix(".digest")


def _shape(w: str) -> str:
    s = re.sub(r"[A-Z]", "X", w)
    s = re.sub(r"[a-z]", "x", s)
    s = re.sub(r"\d", "d", s)
    return re.sub(r"(.)\1{2,}", r"\1\1", s)


class _Lex:
    """The lexicons, looked up per token and per run of up to three tokens (city, line, construction phrases)."""

    def __init__(self) -> None:
        self.cue = lexicon.cue_of()
        self.states = lexicon.states()
        self.codes = lexicon.state_codes()
        self.cities = lexicon.cities()
        self.lobs = lexicon.lob_phrases()
        self.cons = set(lexicon.construction_phrases())
        self.naics = lexicon.naics_words()
        self.unknown = set(lexicon.UNKNOWN_WORDS)


@cache
def _lex() -> _Lex:
    return _Lex()


def _phrases(tokens: list[Token], table, tag: str, feats: list[list[str]]) -> None:
    n = len(tokens)
    i = 0
    while i < n:
        for k in (4, 3, 2, 1):
            if i + k <= n:
                phrase = " ".join(t.text.lower() for t in tokens[i : i + k])
                if phrase in table:
                    for j in range(i, i + k):
                        feats[j].append(f"{tag}={'B' if j == i else 'I'}")
                    i += k - 1
                    break
        i += 1


def features(text: str, tokens: list[Token], asked: str | None) -> list[list[str]]:
    lx = _lex()
    n = len(tokens)
    own: list[list[str]] = []
    for i, tok in enumerate(tokens):
        w = tok.text
        lw = w.lower()
        f = [f"w={lw}", f"sh={_shape(w)}", f"k={tok.kind}"]
        if len(lw) > 3:
            f += [f"p3={lw[:3]}", f"s3={lw[-3:]}"]
        if w[:1].isupper():
            f.append("title")
        if w.isupper() and len(w) > 1:
            f.append("upper")
        if tok.kind == "num":
            digits = re.sub(r"\D", "", w.split(".")[0])
            f.append(f"nd={min(len(digits), 8)}")
            if w.startswith("$"):
                f.append("cur")
            if re.search(r"(?:mm|mil|bn|[kmb])$", lw):
                f.append("unit")
            if "." in w:
                f.append("dec")
        if (kind := identifier(tokens, i, lx.codes)) is not None:
            f.append(f"ident={kind}")
        if lw in NUMBER_WORDS:
            f.append("numword")
        if cue := lx.cue.get(lw):
            f.append(f"cue={cue}")
        elif lw in lexicon.OTHER_MONEY:
            f.append("cue=other_money")
        if lw in lx.states or (w in lx.codes):
            f.append("state")
        elif lw.upper() in lx.codes:
            f.append("statecode_lc")
        if lw in lx.naics:
            f.append("naicsw")
        if lw in lx.unknown:
            f.append("unkw")
        own.append(f)
    _phrases(tokens, lx.cities, "city", own)
    _phrases(tokens, lx.lobs, "lob", own)
    _phrases(tokens, lx.cons, "cons", own)
    _phrases(tokens, lx.states, "stname", own)

    # the nearest fact noun on each side of a number, within its clause: "revenue is about 4.1M", "1,251 employees"
    for i, tok in enumerate(tokens):
        if tok.kind != "num" and tok.text.lower() not in NUMBER_WORDS:
            continue
        for step, reach, side in ((-1, 5, "L"), (1, 4, "R")):
            j = i + step
            while 0 <= j < n and abs(j - i) <= reach and tokens[j].text not in (",", ";", ".", "?", "!", "\n"):
                low = tokens[j].text.lower()
                if cue := lx.cue.get(low) or ("other_money" if low in lexicon.OTHER_MONEY else None):
                    own[i].append(f"near{side}={cue}")
                    break
                j += step

    # where each line starts, and the label a "Label: value" line gives
    line_head = [""] * n
    head = ""
    for i, tok in enumerate(tokens):
        if i == 0 or "\n" in text[tokens[i - 1].end : tok.start]:
            head = tok.text.lower()
            own[i].append("bol")
            colon = next((j for j in range(i, min(n, i + 5)) if tokens[j].text == ":"), None)
            head = head if colon is not None else ""
        line_head[i] = head

    a = asked or "none"
    short = "short" if n <= 5 else "long"  # a reply of a few words is what the question asked for
    out: list[list[str]] = []
    for i in range(n):
        f = ["b", f"asked={a}", f"asked+len={a}|{short}"] + own[i]
        if tokens[i].kind == "num" or "numword" in own[i]:
            f.append(f"asked+num={a}")
        if line_head[i]:
            f.append(f"head={line_head[i]}")
        for d in (-2, -1, 1, 2):
            j = i + d
            if 0 <= j < n:
                for x in own[j]:
                    if not x.startswith(("p3=", "s3=")):
                        f.append(f"{d}:{x}")
            else:
                f.append(f"{d}:edge")
        out.append(f)
    return out


@cache
def _tagger():
    import pycrfsuite

    t = pycrfsuite.Tagger()
    t.open(str(MODEL))
    return t


def tag(text: str, tokens: list[Token], asked: str | None) -> list[str]:
    if not tokens:
        return []
    return list(_tagger().tag(features(text, tokens, asked)))


def tag_features(feats: list[list[str]]) -> list[str]:
    return list(_tagger().tag(feats)) if feats else []
