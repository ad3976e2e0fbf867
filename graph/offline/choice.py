"""Which of the offered NAICS codes a reply to "Which NAICS code fits best: A; B; C?" picks.

A reply names its pick by position ("the second", "option 2", "#3", "the last one", "the middle one") or by a word
of its title that no other offered title shares ("the retail one", "wholesale", "it's the manufacturer"), every
other word said being the title's too: a word all the titles share ("hardware" among three hardware codes) picks
nothing, nor does a new description that shares one word with a title ("online pet supplies"). A reply that turns a choice down
("not the retail one", "none of those") picks nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from retrieval.search import singular  # the light plural stem the search reads titles with

_ORDINALS = {
    "first": 0, "1st": 0, "top": 0, "one": 0, "1": 0, "a": 0,
    "second": 1, "2nd": 1, "two": 1, "2": 1, "b": 1,
    "third": 2, "3rd": 2, "three": 2, "3": 2, "c": 2,
}  # fmt: skip
# "the second", "2nd one", "option 2", "number two", "#3", "no. 1", "3", "(b)"; a bare "one" or "a" is no position
# An ordinal before a noun of its own names no place ("third-party warehousing", "second hand", "first aid", "top
# soil"): only before nothing, punctuation or a word of the list ("the second one", "first option", "3rd is it").
# The words that may follow a place in the list ("the second one", "last option", "first is it")
_LIST_WORDS = (
    "one|ones|option|choice|code|pick|entry|listed|match|fits?|works?|is|it|please|then|of|on|i|we|they|looks|seems"
    "|sounds|probably"
)
_POSITION = re.compile(
    rf"\b(first|1st|second|2nd|third|3rd|top)\b(?!\s*-?\s*(?!(?:{_LIST_WORDS}|for|in|if|def|definitely)\b)[a-z])"
    r"|\b(?:option|number|choice|no\.?|#)\s*(one|two|three|[1-3]|[abc])\b"
    r"|#\s*([1-3])\b"
    r"|^\W*([1-3]|[abc])\W*$",
    re.I,
)
# as a place in the list, not of time ("2 claims last year", "the final payroll"): before nothing or a word of the list
_LAST = re.compile(rf"\b(last|bottom|final)\b(?!\s*-?\s*(?!(?:{_LIST_WORDS})\b)[a-z0-9$])", re.I)
_MIDDLE = re.compile(r"\bmiddle\b", re.I)
REFUSED = re.compile(r"\b(not|none|neither|nor|no one|wrong)\b|n't\b", re.I)
# "45 employees, not 38": a "not" before a figure names the figure replaced, it refuses nothing
_REPLACED = re.compile(r"\bnot\s+(?:\$\s*)?\d[\d.,]*\s*[a-z]*", re.I)


def refuses(text: str) -> bool:
    """The reply turns the offered codes down ("none of those", "not that one"), not merely a figure it corrects."""
    return bool(REFUSED.search(_REPLACED.sub(" ", text)))


_WORD = re.compile(r"[a-z]+")
# Words around a pick that say nothing of which ("I'd go with the retail one, please").
_FILLER = set(
    "the one ones its it's that this those these go going with pick picked choose chose take use option please "
    "okay yes yeah think guess say probably definitely sure more like closer best fits fit code naics should would "
    "mark let's lets their them they for and one's".split()
)
MIN_STEM = 5  # "retail" ~ "retailers", "wholesale" ~ "wholesalers", "manufacturer" ~ "manufacturing"


def _alike(said: str, title_word: str) -> bool:
    if said == title_word:
        return True
    n = 0
    for a, b in zip(said, title_word, strict=False):
        if a != b:
            break
        n += 1
    return n >= MIN_STEM and n >= min(len(said), len(title_word)) - 3


def _by_words(text: str, offered: Sequence[str], titles: Mapping[str, str]) -> str | None:
    said = {w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _FILLER}
    words = {code: set(_WORD.findall(titles.get(code, "").lower())) for code in offered}
    picked = []
    for code in offered:
        others = set().union(*(w for c, w in words.items() if c != code))
        own = words[code] - others  # the title's words no other offered title has
        names = any(_alike(s, w) for s in said for w in own)
        # every word said is the title's: "online pet supplies" is a new description, not "the supplies one"
        if names and all(any(_alike(s, w) for w in words[code]) for s in said):
            picked.append(code)
    return picked[0] if len(picked) == 1 else None


def names_a_position(text: str) -> bool:
    """The reply points at an offered code by its place ("the second", "option 3", "the last", "the middle one")."""
    return bool(_POSITION.search(text) or _LAST.search(text) or _MIDDLE.search(text))


def picked(text: str, offered: Sequence[str], titles: Mapping[str, str]) -> str | None:
    """The offered code ``text`` picks, or None (none of them, or it cannot tell which)."""
    if not offered or refuses(text):
        return None
    m = _POSITION.search(text)
    if m:
        word = next(g for g in m.groups() if g).lower()
        i = _ORDINALS.get(word)
        return offered[i] if i is not None and i < len(offered) else None
    if _LAST.search(text):
        return offered[-1]
    if _MIDDLE.search(text) and len(offered) == 3:
        return offered[1]
    return _by_words(text, offered, titles)


_TITLE_STOP = frozenset({"of", "and", "the", "for", "services", "service"})  # ("Other ...": a residual class, kept)
_EXCEPT = re.compile(r"\([^)]*\)")


def _title_words(title: str) -> list[set[str]]:
    """The ways a title can be named: all its words ("Offices of Dentists"), or either of two one-word trades it
    joins ("Hotels (except Casino Hotels) and Motels": hotel or motel). Brackets and generic words left out."""
    bare = _EXCEPT.sub(" ", title.lower())
    whole = {singular(w) for w in _WORD.findall(bare) if w not in _TITLE_STOP}
    ways = [whole] if whole else []
    parts = [p.strip() for p in bare.split(" and ")]
    if len(parts) == 2 and all(len(_WORD.findall(p)) == 1 for p in parts):
        ways += [{singular(p)} for p in parts]
    return ways


def titled(description: str, offered: Sequence[str], titles: Mapping[str, str]) -> str | None:
    """The offered code whose title the description is, word for word but for case, plurals and hyphens
    ("locksmith": 561622 Locksmiths), when exactly one is: nothing left to pick."""
    said = _every_word(description)
    found = [c for c in offered if said and _every_word(titles.get(c, "")) == said]
    return found[0] if len(found) == 1 else None


def _every_word(text: str) -> tuple[str, ...]:
    """A title's words in order, for ``titled``: lower case, each singular, no "(except ...)" aside."""
    return tuple(singular(w) for w in re.findall(r"[a-z0-9']+", _EXCEPT.sub(" ", text.lower())))


# A pick by a word of its title, said as "the <word> one": "the retail one", "that commercial one"
_A_PICK = re.compile(
    r"(?:i'?d say |go with |probably |prob )?(?:the|that|this)\s+[\w-]+(?:\s+[\w-]+)?\s+ones?\W*", re.I
)


def says_a_pick(text: str) -> bool:
    """The reply is a pick said by a word of its title ("the retail one"), whichever title the word is in."""
    return bool(_A_PICK.fullmatch(text.strip()))


def named_by_title(description: str, offered: Sequence[str], titles: Mapping[str, str]) -> str | None:
    """The offered code whose title the description says in full ("nail salon": Nail Salons; "dentist office":
    Offices of Dentists), when no other offered title is said as well: nothing left to pick."""
    said = {singular(w) for w in _WORD.findall(description.lower())}
    named = [c for c in offered if any(way <= said for way in _title_words(titles.get(c, "")))]
    return named[0] if len(named) == 1 else None
