"""What the applicant generator reads, validated: the business archetypes (``data/applicant_profiles.yaml``),
the word banks for names and places (``data/applicant_words.yaml``) and the insurer's facts the edge cases play
to (``insurer.yaml``, ``states.csv``). A bad input raises ``SeedError`` naming the file, the profile and the problem.
"""

from __future__ import annotations

import re
import string
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from seed_db.rules import InsurerData, match_construction
from seed_db.sources import SeedError, StateRow, read_yaml


@dataclass(frozen=True)
class InsurerFacts:
    """The insurer's rules and the states the generator plays to, read from ``insurer.yaml`` and ``states.csv``
    (never restated here): a rule changed there moves the edge cases with it."""

    lobs: tuple[str, ...]
    monopolistic_wc_states: tuple[str, ...]  # workers compensation is "No" there (state funds)
    payroll_limit: int  # workers compensation marked Qualified declines above this payroll
    fleet_limit: int  # auto marked Qualified declines above this many vehicles
    hospitality_leasing_codes: tuple[str, ...]  # property only in the fire-resistive classes
    state_names: dict[str, str]  # code -> name, in file order
    state_population_m: dict[str, float]  # code -> 2020 census population in millions
    construction_phrases: dict[str, str]  # lower-case phrase -> class (I-V), read by the seed's matcher

    @classmethod
    def from_data(cls, insurer: InsurerData, states: Sequence[StateRow]) -> InsurerFacts:
        def limit(lob: str, fact: str) -> int:
            found = [q.max for q in insurer.qualification_rules if q.lob == lob and q.fact == fact]
            if not found or found[0] is None:
                raise ValueError(f"insurer.yaml has no qualification rule for {lob} {fact}")
            return int(found[0])

        return cls(
            lobs=tuple(lob.code for lob in insurer.lines_of_business),
            monopolistic_wc_states=tuple(
                s
                for exc in insurer.appetite.state_exceptions
                if exc.set.get("workers_compensation") == "No"
                for s in exc.states
            ),
            payroll_limit=limit("workers_compensation", "annual_payroll"),
            fleet_limit=limit("auto", "vehicles"),
            hospitality_leasing_codes=tuple(
                c
                for q in insurer.qualification_rules
                if q.lob == "property" and q.fact == "construction" and q.codes
                for c in q.codes
            ),
            state_names={s.code: s.name for s in states},
            state_population_m={s.code: s.population_2020_m for s in states},
            construction_phrases={ph.lower(): c.type for c in insurer.construction_classes for ph in c.phrases},
        )

    def construction_class(self, phrase: str) -> str | None:
        return match_construction(phrase, self.construction_phrases)


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a format string uses."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Text = Annotated[StrictStr, AfterValidator(_not_blank)]
Texts = Annotated[list[Text], Field(min_length=1)]
Range = tuple[StrictInt, StrictInt]  # [low, high] in the YAML
Number = StrictInt | StrictFloat  # kept as the YAML gives it

# The placeholders a name pattern may use (filled from the word banks) and those every description may use.
NAME_FIELDS = frozenset({"surname", "surname2", "given", "place", "adjective", "brand", "initials"})
DESCRIPTION_FIELDS = frozenset({"name", "city_phrase", "state_name", "employees", "vehicles"})
_COUNT_FIELDS = ("employees", "vehicles")
_LOWEST = {"revenue": 1000, "employees": 1, "payroll_per_employee": 1000, "vehicles": 0}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Profile(_Strict):
    """One business archetype; ranges are [low, high] and a business's figures are drawn between them."""

    naics: Annotated[StrictStr, Field(pattern=r"^\d{6}$")]  # quoted in the YAML, e.g. "722511"
    kind: Text  # a short noun: "bakery"
    name_patterns: Texts  # e.g. "{surname}'s Bakery", placeholders from NAME_FIELDS
    descriptions: Texts  # 2-4 sentences with {city_phrase}, DESCRIPTION_FIELDS and the scale hints
    revenue: Range
    employees: Range
    payroll_per_employee: Range
    vehicles: Range
    construction: Texts  # phrases the seed's matcher maps to a construction class
    lobs: Texts  # the lines of business such a business asks for
    weight: Annotated[Number, Field(gt=0)] = 1  # how often the archetype is drawn, relative to the others
    scale_hints: dict[str, Range] = {}  # extra description placeholders that grow with the business
    min_staff_per_vehicle: Annotated[Number, Field(ge=0)] = 0  # a fleet needs people to drive it
    legal_suffix: StrictBool = True  # false: never "LLC" or "Inc." (sole proprietors, practices)

    @field_validator(*_LOWEST)
    @classmethod
    def _ordered(cls, value: Range, info: ValidationInfo) -> Range:
        lowest = _LOWEST[str(info.field_name)]
        if not lowest <= value[0] <= value[1]:
            raise ValueError(f"must be [low, high] whole numbers with {lowest} <= low <= high")
        if info.field_name in ("revenue", "employees") and value[0] == value[1]:
            raise ValueError("needs a range (low < high)")
        return value

    @field_validator("scale_hints")
    @classmethod
    def _new_placeholders(cls, hints: dict[str, Range]) -> dict[str, Range]:
        for key, (low, high) in sorted(hints.items()):
            if not re.fullmatch(r"[a-z][a-z_]*", key) or key in DESCRIPTION_FIELDS:
                raise ValueError(f"{key!r} must be a new lower-case placeholder name")
            if not 1 <= low <= high:
                raise ValueError(f"{key} must be [low, high] whole numbers with 1 <= low <= high")
        return hints

    @field_validator("name_patterns")
    @classmethod
    def _known_name_words(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            unknown = placeholders(pattern) - NAME_FIELDS
            if unknown:
                raise ValueError(f"{pattern!r} uses unknown placeholder(s) {', '.join(sorted(unknown))}")
        return patterns

    @model_validator(mode="after")
    def _descriptions_read_right(self) -> Profile:
        for text in self.descriptions:
            used = placeholders(text)
            unknown = used - DESCRIPTION_FIELDS - self.scale_hints.keys()
            if unknown:
                raise ValueError(
                    f"description uses unknown placeholder(s) {', '.join(sorted(unknown))}: {text[:60]!r}..."
                )
            if "city_phrase" not in used:
                raise ValueError(f"description must say where the business is ({{city_phrase}}): {text[:60]!r}...")
            sentences = len(re.findall(r"[.!?](?=\s|$)", text))
            if not 2 <= sentences <= 4:
                raise ValueError(f"description must have 2-4 sentences, found {sentences}: {text[:60]!r}...")
            # Counts are followed by plural nouns ("{vehicles} trucks"), so they must never be 1 (or 0).
            lows = {"employees": self.employees[0], "vehicles": self.vehicles[0]}
            lows |= {key: low for key, (low, _) in self.scale_hints.items()}
            for field in sorted(used & (set(_COUNT_FIELDS) | self.scale_hints.keys())):
                if lows[field] < 2:
                    raise ValueError(f"description uses {{{field}}}, so its low end must be at least 2 (a plural)")
        return self

    @model_validator(mode="after")
    def _fits_the_insurer(self, info: ValidationInfo) -> Profile:
        context = info.context or {}  # load_profiles gives both
        facts: InsurerFacts = context["facts"]
        if self.naics not in context["codes"]:
            raise ValueError(f"naics {self.naics} is not a 2022 NAICS code")
        for phrase in self.construction:
            if facts.construction_class(phrase) is None:
                raise ValueError(
                    f"construction {phrase!r} names no construction class (say wood frame, masonry, non-combustible ...)"
                )
        if any(lob not in facts.lobs for lob in self.lobs) or len(set(self.lobs)) != len(self.lobs):
            raise ValueError(f"lobs must be distinct codes from {', '.join(facts.lobs)}")
        if "auto" in self.lobs and self.vehicles[1] < 1:
            raise ValueError("lobs lists auto but vehicles allows none")
        return self


class ApplicantWords(_Strict):
    """The word banks company names and descriptions are made of (``applicant_words.yaml``)."""

    surnames: Annotated[list[Text], Field(min_length=2)]  # a name may use two different ones
    given_names: Texts
    places: Texts
    adjectives: Texts
    brands: Texts
    initial_letters: Annotated[StrictStr, Field(pattern=r"^[A-Z]{3,}$")]  # three are drawn for "BKM"
    legal_suffixes: Annotated[list[StrictStr], Field(min_length=1)]  # "" for none
    city_phrases: Texts  # with {town} (one of the places) and {state} (its name)

    @field_validator("surnames")
    @classmethod
    def _possessive_reads_right(cls, surnames: list[str]) -> list[str]:
        ending = [s for s in surnames if s.endswith("s")]
        if ending:
            raise ValueError(f'{", ".join(ending)}: a surname ending in s reads wrong in "{{surname}}\'s"')
        return surnames

    @field_validator("city_phrases")
    @classmethod
    def _town_and_state(cls, phrases: list[str]) -> list[str]:
        for phrase in phrases:
            unknown = placeholders(phrase) - {"town", "state"}
            if unknown:
                raise ValueError(f"{phrase!r} uses unknown placeholder(s) {', '.join(sorted(unknown))}")
        return phrases


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    message = err["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def load_profiles(path: Path, facts: InsurerFacts, codes: Collection[str]) -> list[Profile]:
    """The applicant archetypes, each checked against the insurer's facts and the 2022 NAICS ``codes``."""
    data = read_yaml(path)
    if not isinstance(data, list) or not data:
        raise SeedError(path, "expected a non-empty list of profiles")
    profiles = []
    for number, raw in enumerate(data, start=1):
        try:
            profiles.append(Profile.model_validate(raw, context={"facts": facts, "codes": codes}))
        except ValidationError as exc:
            naics: Any = raw.get("naics") if isinstance(raw, dict) else None
            raise SeedError(path, f"profile {number} (naics {naics}): {_first_problem(exc)}") from None
    return profiles


def load_words(path: Path) -> ApplicantWords:
    try:
        return ApplicantWords.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise SeedError(path, _first_problem(exc)) from None
