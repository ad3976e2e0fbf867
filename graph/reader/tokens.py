"""Tokens with their character offsets: what the tagger labels and what every reading points back to.

Numbers keep their currency sign and unit ("$4.2mm", "5M", "~800k" is "~" then "800k"), phone numbers and e-mail
addresses stay whole, so that no piece of an identifier can be read as a figure on its own.
"""

from __future__ import annotations

import re
from typing import NamedTuple

MAX_CHARS = 8_000  # longer text is read up to here: a chat line or a pasted e-mail fits, a book does not

_TOKEN = re.compile(
    r"""
    (?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
  | (?P<url>https?://\S+|www\.\S+)
  | (?P<phone>(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\d)|\b\d{3}-\d{4}\b)
  | (?P<date>\b\d{1,2}[/-]\d{1,2}[/-]\d{2,4}\b)
  | (?P<num>\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:mm|mil|bn|[kmb])?(?![\w])|\$?\.\d+(?:mm|mil|bn|[kmb])?(?![\w]))
  | (?P<id>[A-Za-z]+[-#]?\d[\w-]*|\d+[A-Za-z][\w-]*)
  | (?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*\.?)
  | (?P<punct>\S)
    """,
    re.X | re.I,
)
_ABBREV_DOT = re.compile(r"^(?:inc|co|corp|ltd|st|ave|rd|dr|jr|sr|no|approx|mr|mrs|ms|[a-z])\.$", re.I)


class Token(NamedTuple):
    text: str
    start: int
    end: int
    kind: str  # email, url, phone, date, num, id, word, punct


def clean(text: object) -> str:
    """Any input to bounded, printable text: never raises (bytes, None and numbers included)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS].rsplit(None, 1)[0]  # never half a number at the cut
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    # control characters (binary-looking input) become spaces, so offsets stay those of the text
    return "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "punct"
        s, e = m.start(), m.end()
        word = m.group(0)
        if kind == "word" and word.endswith(".") and not _ABBREV_DOT.search(word):
            out.append(Token(word[:-1], s, e - 1, "word"))
            out.append(Token(".", e - 1, e, "punct"))
            continue
        out.append(Token(word, s, e, kind))
    return out


_BREAK = {".", "?", "!", ";", "\n"}


def chunks(text: str, tokens: list[Token], size: int = 48) -> list[tuple[int, int]]:
    """Token ranges of at most ``size`` tokens, cut at line or sentence ends: the tagger's context is a clause or
    two, and tagging cost stays linear in the length of the text."""
    out: list[tuple[int, int]] = []
    start = 0
    last_break = -1
    for i, tok in enumerate(tokens):
        newline = i + 1 < len(tokens) and "\n" in text[tok.end : tokens[i + 1].start]
        if tok.text in _BREAK or newline:
            last_break = i
        if i - start + 1 >= size:
            cut = last_break if last_break >= start else i
            out.append((start, cut + 1))
            start = cut + 1
            last_break = -1
    if start < len(tokens):
        out.append((start, len(tokens)))
    return out
