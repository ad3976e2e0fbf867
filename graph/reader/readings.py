"""The typed result of reading one text: every value with its unit and the span of text it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


HowRead = Literal["cue", "label", "reply", "correction", "named"]


@dataclass(frozen=True)
class FactReading:
    fact: str  # a key of core.vocabulary.FACTS
    value: int | str
    unit: str  # "USD", "employees", "vehicles", or "" for codes, places and text
    span: Span  # the words the value was read from
    how: HowRead  # what made this number this fact
    cue: Span | None = None  # the word, unit or label that names the fact, when there is one


@dataclass
class Reading:
    text: str
    facts: dict[str, FactReading] = field(default_factory=dict)
    unknown: dict[str, Span] = field(default_factory=dict)  # fact -> the words saying nobody knows it
    says_unknown: bool = False  # an "I don't know" about no fact in particular (the question asked, if any)
    corrections: list[Span] = field(default_factory=list)
    company: FactReading | None = None
    city: FactReading | None = None
    lines: list[FactReading] = field(default_factory=list)  # every line of business named, in order

    def values(self) -> dict[str, int | str]:
        return {k: f.value for k, f in self.facts.items()}
