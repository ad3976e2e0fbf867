"""The words of a description that say what a business does, for classification (``classify_business``):
figures with the fact they count ("20 employees", "revenue $2M"), a place ("in Dallas TX", "boise ID") and a line
of business in shorthand that no NAICS text uses ("GL for a bar") are taken out, so a message pasted whole
classifies as its business.

Built from data the caller hands over, not phrasings: the fact nouns of the vocabulary (``core.vocabulary``), the
catalog's states and LOB synonyms, the cities of the gazetteer (``seed_db/data/us_cities.csv``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.vocabulary import FACT_NOUNS, LOB_SHORTHAND, NUMERIC_FACTS

# A number after letters and a hyphen is part of a model name ("CO-2", "F-150"), not a figure.
_NUMBER = r"(?<![A-Za-z]-)(?<!\d)[$€£]?\d[\d,.]*(?:\s*(?:k|m|mm|mil|million|thousand|bn|b)\b)?\+?"
_WORD = re.compile(r"[A-Za-z][A-Za-z'&.-]*")
# Where a description's first clause ends: a dash between spaces, a comma, colon, semicolon, bracket, full stop, "+".
_CLAUSE_BREAK = re.compile(r"\s+[-–—]\s+|[,;:.()!?]\s*|\s+\+\s+")
_LEFT_OVER = re.compile(r"^(?:(?:for|on|a|an|the)\s+)+(?=\w)", re.IGNORECASE)
PLACE_CUES = r"in|near|from|around|outside|based in|located in"


@dataclass(frozen=True)
class BusinessWords:
    figures: re.Pattern
    places: re.Pattern | None
    states: re.Pattern
    shorthand: re.Pattern | None

    @classmethod
    def build(
        cls,
        naics_words: Iterable[str],
        cities: Iterable[str],
        states: Mapping[str, str],
        lob_synonyms: Iterable[str],
    ) -> BusinessWords:
        # A fleet's size says what a business does ("14 trucks"): only the money and head-count facts go.
        nouns = "|".join(f"(?:{FACT_NOUNS[k]})" for k in NUMERIC_FACTS if k != "vehicles")
        figures = re.compile(
            rf"(?:\b(?:annual\s+)?(?:{nouns})\b\s*(?:of|is|was|about|around|approx\.?|:|=|~)?\s*{_NUMBER}"
            rf"|{_NUMBER}\s*(?:in\s+)?(?:annual\s+)?(?:(?:{nouns})\b)?)",
            re.IGNORECASE,
        )
        # A city named by a word the NAICS texts write in lower case ("Mobile", "Commerce") counts only when
        # capitalised: "in mobile homes" is no place. ``naics_words``: those words.
        known = {w.lower() for w in naics_words}
        names = [
            f"(?-i:{' '.join(w.capitalize() for w in c.split())})" if set(c.split()) & known else re.escape(c)
            for c in sorted({c.lower() for c in cities}, key=len, reverse=True)
        ]
        state_names = sorted({n.lower() for n in states.values()}, key=len, reverse=True)
        codes = "|".join(sorted(states))
        after = rf"(?:,?\s*(?:{'|'.join(map(re.escape, state_names))}|(?i:{codes}))\b)?"
        places = re.compile(rf"\b(?:{PLACE_CUES})\s+(?:{'|'.join(names)})\b{after}", re.IGNORECASE) if names else None
        # A state by its name anywhere, by its code in capitals ("TX"; "in" is a word, "IN" a state), but not the
        # letters of a model name ("CO-2 tanks": the figures keep it whole, see ``_NUMBER``).
        state = re.compile(rf"(?i:\b(?:{'|'.join(map(re.escape, state_names))})\b)|\b(?:{codes})\b(?!-\w)")
        unused = sorted(
            {p for p in [*lob_synonyms, *LOB_SHORTHAND] if any(w not in known for w in re.findall(r"[a-z']+", p))},
            key=len,
            reverse=True,
        )
        shorthand = re.compile(rf"\b(?:{'|'.join(map(re.escape, unused))})(?![\w'])", re.IGNORECASE) if unused else None
        return cls(figures, places, state, shorthand)

    def __call__(self, text: str) -> str:
        """``text`` without figures, places and unused shorthand; ``text`` itself when nothing would be left."""
        out = self.figures.sub(" ", text)
        if self.places is not None:
            out = self.places.sub(" ", out)
        out = self.states.sub(" ", out)
        if self.shorthand is not None:
            out = self.shorthand.sub(" ", out)
        out = re.sub(r"\s+([,.;:)])", r"\1", " ".join(out.split()))
        out = re.sub(r"^[\s,.;:-]+|[\s,;:-]+$", "", out)
        # what a line taken out leaves at the start ("GL for a bakery" -> "for a bakery") says nothing of the business
        out = _LEFT_OVER.sub("", out)
        return out if _WORD.search(out) else text


def head_clause(text: str) -> str:
    """The first clause of a description that has a word of three letters or more ("hay farm" of "hay farm, sells
    bales to horse stables"); ``text`` itself when it is one clause.

    People name the business first and then detail it with what it handles, whom it serves and how big it is; in the
    detail the objects ("bales", "stables") pull towards the industries that make, sell or run them, so the
    classifier weighs the name again on its own (``tools.naics``).
    """
    for part in _CLAUSE_BREAK.split(text):
        part = part.strip()
        if len(part) > 2 and re.search(r"[A-Za-z]{3}", part):
            return part
    return text
