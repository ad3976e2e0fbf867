"""Reading a search query the way it was meant: typos corrected against the index's own vocabulary, shorthand
spelled out, a city followed by its state. Applied by ``search_guidelines`` before it searches; built from data
alone, so any layer above may use it.

Nothing here knows a phrasing: every rewrite comes from the data it is built with.

- A word is kept when the index uses it, when it is a known word (an English word of the embedding model's
  vocabulary, a word the caller knows, a place), when another form of it is (same stem), or when it is short:
  a query is never "corrected" into the index's words when it says something the index does not.
- An unknown word of three to six letters that begins a word of the index is read as that word, the most frequent
  such ("liab" -> "liability", "ded" -> "deductible"): shorthand cuts words short.
- An unknown word of three to six letters without a vowel is the index word it writes without vowels, keeping the
  first two and the last of its consonants, the most frequent such of the words the index uses often ("std" ->
  "standard", "bldg" -> "building"): shorthand drops vowels where it does not cut.
- Another unknown word is read as the index word nearest in edit distance (insert, delete, replace, swap two
  letters; one edit in five to nine letters, two from ten), the most frequent of the nearest ("limts" ->
  "limits"), unless it is capitalised inside a sentence: a name ("Alder Creek Roofing"). The candidates come from
  a symmetric-delete table (the SymSpell method): a lookup costs a few set probes, not a scan.
- A city named after "in", "near", "from", "at", "around" or "outside" is followed by its state's name when the
  query names no state, so a rule written for a state is found ("in columbus" -> "in columbus Ohio"); so is a city
  the caller says may stand alone (a populous one) when no word of its name is a common word ("fargo client").
- A question pasted from an e-mail is read without what the mail program and the sender wrap around it: header
  fields (the subject's words stay), forwarding markers, and the sign-off at the end (``message_body``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from pathlib import Path

TOKENIZER = Path(__file__).parent / "assets" / "minilm-tokenizer.json"
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
# A word is known when another form of it is ("drillers" and "drill", "authorizes" and "authorized"): the
# vocabularies hold some forms of a word, a question may use another. Forms are compared by their stem, the word
# without one of these endings (longest first).
SUFFIXES = ("ings", "ers", "ies", "ing", "ed", "es", "er", "ly", "s", "e")
PLACE_CUES = frozenset({"in", "near", "from", "at", "around", "outside"})
PREFIX_LETTERS = (3, 6)  # shorthand is a cut word of this many letters, or a word without its vowels
VOWELS = frozenset("aeiou")
SHORTHAND_MIN_COUNT = 3  # a word shortened without its vowels is one the texts use this often ("pls" is no "places")
# A typo is looked for in words of five letters or more (a four-letter word one edit from an index word is as often
# another word: "mows", "spay"); two edits from ten letters on.
TYPO_LETTERS = (5, 10)
MAX_QUERY = 2000  # characters read; the tools' own bounds are lower
MAX_WORD = 24  # letters: a longer "word" is no typo of an index word (and its deletes would be many)
# The fields a mail program writes above a message; the subject's text is kept (it often names the business). Each
# pattern is matched against one line at a time, without nested repeats: a hostile line costs linear time.
_HEADER = re.compile(r"[ \t>]*(?:from|sent|to|cc|bcc|date|reply-to|importance)[ \t]*:", re.IGNORECASE)
_SUBJECT = re.compile(r"[ \t>]*(?:subject[ \t]*:|(?:re|fwd?)[ \t]*:)", re.IGNORECASE)
_REPLY_MARK = re.compile(r"[ \t]*(?:re|fwd?)[ \t]*:", re.IGNORECASE)
_FORWARDED = frozenset({"forwarded message", "original message", "begin forwarded message"})
# A sign-off: a closing word alone on its line (a name may follow on it or below), or a dash and a name or initial.
_CLOSING = re.compile(
    r"(?:thanks|thank you|thx|tks|ty|regards|best|best regards|kind regards|cheers|sincerely|rgds)\b[ ,.!]*"
    r"(?:[A-Z][a-z]*\.? ?){0,3}|-+ ?[A-Z][a-z]*\.?(?: [A-Z][a-z]*\.?)?",
    re.IGNORECASE,
)
MAX_SIGN_OFF = 40  # characters: a longer last line is part of the message
SIGN_OFF_LINES = 4  # a sign-off starts within the last few lines of a message


@dataclass(frozen=True)
class Rewrite:
    typed: str
    read: str
    why: str  # "shorthand", "typo" or "place"


@dataclass(frozen=True)
class NormalisedQuery:
    text: str
    rewrites: tuple[Rewrite, ...] = ()


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole words of the embedding model's vocabulary (no word pieces): words a typo fix must leave alone."""
    return frozenset(vocabulary_words())


def vocabulary_words() -> list[str]:
    """``english_words`` read again, not kept: for a caller that holds them its own way (21,719 words as a set of
    ``str`` are ~3 MB a process)."""
    vocab = json.loads(TOKENIZER.read_text(encoding="utf-8"))["model"]["vocab"]
    return [w for w in vocab if w.isalpha() and w.isascii() and len(w) > 1]


def words_of(text: str) -> list[str]:
    return [w.lower().replace("'", "") for w in _WORD.findall(text)]


def stem(word: str) -> str:
    """The word without its ending ("drillers" -> "drill", "landscape" -> "landscap"); at least three letters."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _deletes(word: str, distance: int) -> set[str]:
    out = {word}
    for d in range(1, min(distance, len(word) - 1) + 1):
        out |= {"".join(c for i, c in enumerate(word) if i not in drop) for drop in combinations(range(len(word)), d)}
    return out


def skeleton(word: str) -> str:
    """The word without its vowels and doubled letters ("standard" -> "stndrd", "limits" -> "lmts")."""
    out = [c for c in word if c not in VOWELS]
    return "".join(c for i, c in enumerate(out) if i == 0 or c != out[i - 1])


def _written_without_vowels(short: str, word: str) -> bool:
    """Whether ``short`` writes ``word`` without its vowels and some consonants: the first two and the last letter
    of the word's ``skeleton``, the others in order ("std": "standard", "bldg": "building"; "wks" is not "workers",
    whose skeleton begins "wr")."""
    bones = skeleton(word)
    letters = iter(bones[2:-1])
    return bones[:2] == short[:2] and bones[-1] == short[-1] and all(c in letters for c in short[2:-1])


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment): a swap of two neighbouring letters is one edit."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


class QueryNormaliser:
    """Built once from the texts an index holds; ``known`` words are never rewritten; ``places`` maps a lower-case
    city name (one to three words) to the text that follows it (its state's name); ``states`` maps each state's
    abbreviation to its name, to leave a query that names its state as it is; ``shorthand`` maps the trade's
    shorthand to its word ("cov" -> "coverage"), read first unless the texts use the shorthand themselves; a city
    named by one of the ``common``
    words or a word the texts write in lower case is a place only when capitalised ("in Mobile", not "in mobile
    homes")."""

    def __init__(
        self,
        texts: Iterable[str],
        known: Iterable[str] = (),
        places: Mapping[str, str] | None = None,
        states: Mapping[str, str] | None = None,
        max_distance: int = 2,
        common: Iterable[str] = (),
        shorthand: Mapping[str, str] | None = None,
        alone: Iterable[str] = (),
    ) -> None:
        # "don't" and "facility's" are not words to correct into
        texts = list(texts)
        self.counts = Counter(w.lower() for t in texts for w in _WORD.findall(t) if len(w) > 1 and "'" not in w)
        self.places = {k.lower(): v for k, v in (places or {}).items()}
        self.alone = {k.lower() for k in alone} & set(self.places)
        self.states = {k.upper(): v.lower() for k, v in (states or {}).items()}  # abbreviation -> name
        place_words = {w for name in [*self.places, *self.states.values()] for w in name.split()}
        self.known = english_words() | {w.lower() for w in known} | place_words
        self.max_distance = max_distance
        self.shorthand = {k.lower(): v for k, v in (shorthand or {}).items() if k.lower() not in self.counts}
        # words the texts use in lower case: "Columbus" in a worked example is a name, "mobile" in "mobile homes" a word
        self.common = {w.lower() for w in common} | {w for t in texts for w in _WORD.findall(t) if w.islower()}
        self._stems = {stem(w) for w in [*self.counts, *self.known]}
        self._deletes: dict[str, set[str]] = {}
        for word in self.counts:
            if len(word) >= TYPO_LETTERS[0] - 1:
                for d in _deletes(word, max_distance):
                    self._deletes.setdefault(d, set()).add(word)
        self._by_prefix: dict[str, str] = {}
        for word, _ in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])):
            for n in range(PREFIX_LETTERS[0], PREFIX_LETTERS[1] + 1):
                if len(word) > n:
                    self._by_prefix.setdefault(word[:n], word)
        # the index's words by their first and last letter, most frequent first, for shorthand without vowels
        self._by_ends: dict[str, list[str]] = {}
        for word, _ in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])):
            if len(word) > PREFIX_LETTERS[0] and self.counts[word] >= SHORTHAND_MIN_COUNT:
                self._by_ends.setdefault(word[0] + word[-1], []).append(word)

    def _is_known(self, w: str) -> bool:
        return w in self.counts or w in self.known or stem(w) in self._stems

    def read_word(self, word: str) -> tuple[str, str] | None:
        """(what an unknown word stands for, why), or None to keep it as typed."""
        w = word.lower()
        if w in self.shorthand:
            return self.shorthand[w], "shorthand"
        if not PREFIX_LETTERS[0] <= len(w) <= MAX_WORD or "'" in w or self._is_known(w):
            return None
        if len(w) <= PREFIX_LETTERS[1] and w in self._by_prefix:
            return self._by_prefix[w], "shorthand"
        if len(w) <= PREFIX_LETTERS[1] and not VOWELS & set(w):
            full = next(
                (c for c in self._by_ends.get(w[0] + w[-1], ()) if len(c) > len(w) and _written_without_vowels(w, c)),
                None,
            )
            if full:
                return full, "shorthand"
        if len(w) < TYPO_LETTERS[0]:
            return None
        limit = 1 if len(w) < TYPO_LETTERS[1] else self.max_distance
        candidates = {c for d in _deletes(w, limit) for c in self._deletes.get(d, ())}
        scored = [(edit_distance(w, c), -self.counts[c], c) for c in candidates]
        best = min((s for s in scored if s[0] <= limit), default=None)
        return (best[2], "typo") if best else None

    def __call__(self, query: str) -> NormalisedQuery:
        query = message_body(query[:MAX_QUERY])
        rewrites: list[Rewrite] = []

        def fix(m: re.Match) -> str:
            read = self.read_word(m.group(0))
            if read is None or (read[1] == "typo" and _a_name(query, m)):
                return m.group(0)
            rewrites.append(Rewrite(m.group(0), read[0], read[1]))
            return read[0]

        text = _WORD.sub(fix, query)
        return NormalisedQuery(self._place_states(text, rewrites), tuple(rewrites))

    def _place_states(self, text: str, rewrites: list[Rewrite]) -> str:
        if not self.places:
            return text
        spans = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
        lowered = [w.lower().replace("'", "") for _, _, w in spans]
        joined = f" {' '.join(lowered)} "
        # A state named in full anywhere, or by its abbreviation in capitals ("TX"; "in" is a word, "IN" a state).
        if any(f" {name} " in joined for name in self.states.values()) or any(w in self.states for _, _, w in spans):
            return text
        for cued in (True, False):  # a city after "in" first, then one named alone ("spokane roofer")
            for i in range(len(spans)):
                for n in (3, 2, 1):
                    name = " ".join(lowered[i : i + n])
                    if i + n > len(spans) or name not in self.places:
                        continue
                    if cued and (i == 0 or lowered[i - 1] not in PLACE_CUES):
                        continue  # "Center City Parking" is a company
                    if not cued and (name not in self.alone or set(name.split()) <= self.common):
                        continue
                    if set(name.split()) & self.common and spans[i][2].islower():
                        continue  # "in mobile homes": a city named by a common word counts when capitalised
                    if i + n < len(spans) and lowered[i + n].upper() in self.states:
                        return text  # "denver co": the state follows in lower case
                    start, end = spans[i][0], spans[i + n - 1][1]
                    state = self.places[name]
                    rewrites.append(Rewrite(text[start:end], f"{text[start:end]} {state}", "place"))
                    return f"{text[:end]} {state}{text[end:]}"
        return text


def _a_name(text: str, m: re.Match) -> bool:
    """Whether the word ``m`` is capitalised inside a sentence ("Alder Creek Roofing"): a name, no typo of a word."""
    word, before = m.group(0), text[: m.start()].rstrip(" \t\"'(")
    return word[:1].isupper() and not word.isupper() and before != "" and before[-1] not in ".!?:\n-"


def without_reply_marks(line: str) -> str:
    """A line without the "RE:", "Fwd:", "FW:" that open it."""
    while reply := _REPLY_MARK.match(line):
        line = line[reply.end() :]
    return line


def subject_of(text: str) -> str:
    """A pasted e-mail's subject, its words only ("Subject: FW: Acme - GL" -> "Acme - GL"); "" when it has none."""
    for line in text.split("\n"):
        if subject := _SUBJECT.match(line):
            return without_reply_marks(line[subject.end() :]).strip()
    return ""


def sign_off_at(text: str) -> int | None:
    """Where a message's sign-off starts (its closing line, within the last few lines; the sender's name and firm
    follow it), or None: a one-line text or one without a closing line has none."""
    if "\n" not in text.strip():
        return None
    starts, at = [], 0
    for line in text.split("\n"):
        if line.strip():
            starts.append((at, line.strip()))
        at += len(line) + 1
    for start, line in starts[max(len(starts) - SIGN_OFF_LINES, 1) :]:
        if len(line) <= MAX_SIGN_OFF and _CLOSING.fullmatch(line):
            return start
    return None


def message_body(text: str) -> str:
    """``text`` without e-mail header fields, forwarding markers and a sign-off at its end; a text that is only
    these is returned as it was (a one-line "thanks, what is a TIV?" keeps its question)."""
    if "\n" not in text.strip():
        return text
    lines = []
    for line in text.split("\n"):
        if _HEADER.match(line) or line.strip(" \t>-").rstrip(":").lower() in _FORWARDED:
            continue
        subject = _SUBJECT.match(line)
        if subject:  # the subject's words, without "Subject:", "RE:", "Fwd:"
            line = without_reply_marks(line[subject.end() :])
        lines.append(line)
    while lines and not lines[-1].strip():
        lines.pop()
    for i in range(max(len(lines) - SIGN_OFF_LINES, 1), len(lines)):
        line = lines[i].strip()
        if len(line) <= MAX_SIGN_OFF and _CLOSING.fullmatch(line):
            lines = lines[:i]
            break
    out = "\n".join(lines).strip()
    return out if out else text
