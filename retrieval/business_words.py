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

_NUMBER = r"[$€£]?\d[\d,.]*(?:\s*(?:k|m|mm|mil|million|thousand|bn|b)\b)?\+?"
_WORD = re.compile(r"[A-Za-z][A-Za-z'&.-]*")
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
        # A state by its name anywhere, by its code in capitals ("TX"; "in" is a word, "IN" a state).
        state = re.compile(rf"(?i:\b(?:{'|'.join(map(re.escape, state_names))})\b)|\b(?:{codes})\b")
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
        return out if _WORD.search(out) else text
