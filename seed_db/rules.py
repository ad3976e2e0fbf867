"""The insurer's rules (``data/insurer.yaml``): validated, then compiled into table rows.

The appetite guide is written as a few dozen readable rules by sector, prefix or code plus state
exceptions, and compiled here into one row per 2022 NAICS code x jurisdiction x LOB.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from seed_db.authority import Authority
from seed_db.sources import SeedError

Verdict = Literal["Yes", "No", "Qualified"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Insurer(Strict):
    name: str
    short_name: str
    note: str


class Lob(Strict):
    code: str
    display_name: str
    description: str
    synonyms: list[str]


class ConstructionClass(Strict):
    type: Literal["I", "II", "III", "IV", "V"]
    name: str
    description: str
    fire_resistive: bool
    phrases: list[str]


class AppetiteRule(Strict):
    id: str
    sectors: list[str] = []
    prefixes: list[str] = []
    codes: list[str] = []
    set: dict[str, Verdict]
    section: str | None = None

    @model_validator(mode="after")
    def matches_something(self):
        if not (self.sectors or self.prefixes or self.codes):
            raise ValueError("a rule needs sectors, prefixes or codes")
        return self


class StateException(Strict):
    id: str
    states: list[str]
    set: dict[str, Verdict]
    section: str


class Appetite(Strict):
    default: dict[str, Verdict]
    default_section: str
    rules: list[AppetiteRule]
    state_exceptions: list[StateException]


class QualificationRule(Strict):
    lob: str
    fact: Literal["annual_payroll", "vehicles", "construction", "employees", "annual_revenue"]
    max: float | None = None
    types: list[Literal["I", "II", "III", "IV", "V"]] | None = None
    codes: list[str] = []
    section: str

    @model_validator(mode="after")
    def one_test(self):
        if (self.max is None) == (self.types is None):
            raise ValueError("a qualification rule needs exactly one of max or types")
        if (self.fact == "construction") != (self.types is not None):
            raise ValueError("construction rules use types; other facts use max")
        return self


class LimitRule(Strict):
    lob: str | None
    prefixes: list[str]
    per_occurrence: int
    aggregate: int
    section: str


class DeductibleRule(Strict):
    lob: str | None
    prefixes: list[str]
    deductible: int
    section: str


class NotWrittenProduct(Strict):
    """A product we do not write and the words people use for it (read by the product guard)."""

    id: str
    name: str
    terms: list[str]
    bare: list[str] = []
    other_before: list[str] = []
    other_after: list[str] = []


class InsurerData(Strict):
    insurer: Insurer
    lines_of_business: list[Lob]
    construction_classes: list[ConstructionClass]
    appetite: Appetite
    qualification_rules: list[QualificationRule]
    limit_rules: list[LimitRule]
    deductible_rules: list[DeductibleRule]
    products_not_written: list[NotWrittenProduct] = []
    product_abbreviations: dict[str, str] = {}
    authority: Authority

    @field_validator("lines_of_business")
    @classmethod
    def unique_lobs(cls, lobs: list[Lob]) -> list[Lob]:
        codes = [lob.code for lob in lobs]
        if len(set(codes)) != len(codes):
            raise ValueError(f"duplicate LOB code in {codes}")
        synonyms = [s.lower() for lob in lobs for s in lob.synonyms]
        dupes = sorted({s for s in synonyms if synonyms.count(s) > 1})
        if dupes:
            raise ValueError(f"synonym(s) used by two LOBs: {dupes}")
        return lobs


def match_construction(description: str, phrases: dict[str, str]) -> str | None:
    """The construction type whose longest known phrase occurs in a description ('steel frame' beats 'frame'); when
    no phrase matches, or only a bare material word does ('concrete walls, wood joists' is not all concrete), the
    type its materials or its ISO class name (``construction_by_materials``)."""
    text_ = " " + re.sub(r"\s+", " ", description.lower()) + " "
    best: tuple[str, str] | None = None
    for phrase, ctype in phrases.items():
        if re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", text_) and (
            best is None or len(phrase) > len(best[0])
        ):
            best = (phrase, ctype)
    kinds = materials(description)
    if best is None or best[0] in _BARE_MATERIALS or ("wood" in kinds and len(kinds) > 1):
        # walls of one material and a roof of another: the materials decide ("brick walls, wood frame roof" is
        # ordinary, not frame), whatever phrase names one of them
        return construction_by_materials(description) or (best[1] if best else None)
    return best[1]


# ISO's construction classes by the abbreviations and numbers underwriters use, as building types (ISO 1 frame, 2
# joisted masonry, 3 non-combustible, 4 masonry non-combustible, 5 modified fire resistive, 6 fire resistive).
_ISO_CLASSES = {"jm": "III", "mnc": "II", "mfr": "I", "fr": "I", "iso 1": "V", "iso 2": "III", "iso 3": "II",
                "iso 4": "II", "iso 5": "I", "iso 6": "I", "iso class 1": "V", "iso class 2": "III",
                "iso class 3": "II", "iso class 4": "II", "iso class 5": "I", "iso class 6": "I"}  # fmt: skip
# What walls, frames, floors and roofs are made of, by how they burn.
_MATERIALS = {
    "masonry": {"masonry", "brick", "bricks", "block", "blocks", "cmu", "cinder", "cinderblock", "stone", "tilt-up",
                "tiltup", "adobe"},
    "concrete": {"concrete", "precast", "poured"},
    "steel": {"steel", "metal", "iron"},
    "wood": {"wood", "wooden", "joist", "joists", "truss", "trusses", "rafter", "rafters", "lumber", "stud",
             "studs", "plywood"},
}  # fmt: skip
_BARE_MATERIALS = set().union(*_MATERIALS.values()) | {"frame"}
# the ISO names, compiled once (read for every word of a message), the longest first
_ISO_PATTERNS = [
    (re.compile(rf"(?<![a-z0-9-]){re.escape(name)}(?![a-z0-9-])"), ctype)
    for name, ctype in sorted(_ISO_CLASSES.items(), key=lambda kv: -len(kv[0]))
]


def materials(description: str) -> set[str]:
    """The kinds of material a description names, a veneer's aside ("brick veneer over wood frame" is wood) and a
    member of steel counted as steel ("steel joists")."""
    low = re.sub(r"\b[a-z-]+\s+veneer\b", " ", description.lower())
    # "steel joists", "metal studs": a member of a material is that material, not wood
    low = re.sub(r"\b(steel|metal|iron)\s+(?:joists?|truss(?:es)?|rafters?|studs?)\b", r"\1", low)
    words = set(re.findall(r"[a-z0-9-]+", low))
    return {kind for kind, names in _MATERIALS.items() if words & names}


def construction_by_materials(description: str) -> str | None:
    """A building's type from its materials, as the building codes class them: non-combustible walls (masonry,
    concrete) around a wood roof or floors are ordinary (III); wood alone is frame (V); steel or metal, alone or with
    masonry, non-combustible (II); concrete alone fire-resistive (I); wood with steel, frame (V). None when nothing
    says."""
    low = " ".join(re.findall(r"[a-z0-9-]+", description.lower()))
    for pattern, ctype in _ISO_PATTERNS:
        if pattern.search(low):
            return ctype
    has = materials(description)
    if "wood" in has:
        if has & {"masonry", "concrete"}:
            return "III"
        return "V"  # wood with steel or metal ("wood walls, metal roof", "wood or metal studs") burns: frame
    if "steel" in has:
        return "II"
    if "masonry" in has:
        return "III"
    if "concrete" in has:
        return "I"
    return None


def load_insurer(path: Path, data: object) -> InsurerData:
    try:
        return InsurerData.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise SeedError(path, f"{where}: {err['msg']}") from None


def sector_prefixes(sector: str) -> list[str]:
    """'31-33' -> ['31', '32', '33']; '11' -> ['11']."""
    if "-" in sector:
        lo, hi = sector.split("-")
        return [str(n) for n in range(int(lo), int(hi) + 1)]
    return [sector]


def validate_references(
    path: Path, data: InsurerData, codes: list[str], states: set[str], sections: set[str] | None
) -> None:
    """Every code, prefix, state, LOB and (when given) guideline section the rules name must exist."""
    lobs = {lob.code for lob in data.lines_of_business}
    sector_codes = {c[:2] for c in codes}

    def check_lobs(where: str, keys) -> None:
        for key in keys:
            if key != "all" and key not in lobs:
                raise SeedError(path, f"{where}: unknown LOB {key!r}; known: {sorted(lobs)}")

    def check_prefix(where: str, prefix: str, exact: bool = False) -> None:
        if exact and len(prefix) != 6:
            raise SeedError(path, f"{where}: code {prefix!r} is not six digits")
        if not any(c.startswith(prefix) for c in codes):
            raise SeedError(path, f"{where}: unknown NAICS code or prefix {prefix!r} (no 2022 code starts with it)")

    def check_section(where: str, section: str | None) -> None:
        if sections is not None and section is not None and section not in sections:
            raise SeedError(path, f"{where}: unknown guideline section {section!r}")

    check_lobs("appetite.default", data.appetite.default)
    check_section("appetite.default_section", data.appetite.default_section)
    for rule in data.appetite.rules:
        where = f"appetite rule {rule.id!r}"
        check_lobs(where, rule.set)
        check_section(where, rule.section)
        for sector in rule.sectors:
            for p in sector_prefixes(sector):
                if p not in sector_codes:
                    raise SeedError(path, f"{where}: unknown NAICS sector {sector!r}")
        for p in rule.prefixes:
            check_prefix(where, p)
        for c in rule.codes:
            check_prefix(where, c, exact=True)
    for exc in data.appetite.state_exceptions:
        where = f"state exception {exc.id!r}"
        check_lobs(where, exc.set)
        check_section(where, exc.section)
        for s in exc.states:
            if s not in states:
                raise SeedError(path, f"{where}: unknown state {s!r}")
    for i, qual in enumerate(data.qualification_rules):
        where = f"qualification rule {i + 1} ({qual.lob})"
        check_lobs(where, [qual.lob])
        check_section(where, qual.section)
        for c in qual.codes:
            check_prefix(where, c, exact=True)
    check_section("authority.override_section", data.authority.override_section)
    for refer in data.authority.rules:
        where = f"authority rule {refer.id!r}"
        check_lobs(where, refer.lobs)
        check_section(where, refer.section)
        for section in (*refer.cites, *refer.not_cites):
            check_section(where, section)
        for p in refer.naics:
            check_prefix(where, p, exact=len(p) == 6)
    amounts: tuple[tuple[str, Sequence[LimitRule | DeductibleRule]], ...] = (
        ("limit", data.limit_rules),
        ("deductible", data.deductible_rules),
    )
    for kind, rules in amounts:
        for i, amount in enumerate(rules):
            where = f"{kind} rule {i + 1}"
            if amount.lob is not None:
                check_lobs(where, [amount.lob])
            check_section(where, amount.section)
            for p in amount.prefixes:
                if p:
                    check_prefix(where, p)


def _specificity(rule: AppetiteRule, code: str) -> int:
    """How specifically a rule matches a code: 6 for the code itself, prefix length, 2 for a sector, -1 no match."""
    if code in rule.codes:
        return 6
    best = -1
    for p in rule.prefixes:
        if code.startswith(p):
            best = max(best, len(p))
    for sector in rule.sectors:
        if code[:2] in sector_prefixes(sector):
            best = max(best, 2)
    return best


def _expand(setting: dict[str, Verdict], lobs: list[str]) -> dict[str, Verdict]:
    base = {lob: setting["all"] for lob in lobs} if "all" in setting else {}
    base.update({k: v for k, v in setting.items() if k != "all"})
    return base


def compile_appetite(data: InsurerData, codes: list[str], states: list[str]) -> list[dict]:
    """One row per code x state x LOB, sorted, with the rule and guideline section behind it."""
    lobs = [lob.code for lob in data.lines_of_business]
    default = _expand(data.appetite.default, lobs)
    state_sets = [(set(e.states), _expand(e.set, lobs), e) for e in data.appetite.state_exceptions]
    rows: list[dict] = []
    for code in sorted(codes):
        # per LOB: (specificity, rule order) of the winning rule; later rules win ties
        chosen: dict[str, tuple[int, int, Verdict, str, str]] = {
            lob: (0, -1, default[lob], "default", data.appetite.default_section) for lob in lobs
        }
        for order, rule in enumerate(data.appetite.rules):
            spec = _specificity(rule, code)
            if spec < 0:
                continue
            for lob, verdict in _expand(rule.set, lobs).items():
                if (spec, order) >= chosen[lob][:2]:
                    chosen[lob] = (spec, order, verdict, rule.id, rule.section or data.appetite.default_section)
        for state in sorted(states):
            for lob in lobs:
                _, _, verdict, rule_id, section = chosen[lob]
                for exc_states, exc_set, exc in state_sets:
                    if state in exc_states and lob in exc_set:
                        verdict, rule_id, section = exc_set[lob], exc.id, exc.section
                rows.append(
                    {
                        "naics_code": code,
                        "state": state,
                        "lob": lob,
                        "appetite": verdict,
                        "rule_id": rule_id,
                        "section_id": section,
                    }
                )
    return rows
