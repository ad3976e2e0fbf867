"""The live vocabulary of the database (LOBs and synonyms, states, construction phrases, NAICS codes) and
the normalisers that map what people type onto it: "Texas" -> "TX", "Workers' Comp" -> "workers_compensation",
"$4.5M" -> 4500000, "wood frame" -> "V". A value that cannot be mapped raises ``InvalidArgument`` saying what
is valid, so no lookup ever fails silently on spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.engine import Engine

from seed_db import models
from seed_db.rules import match_construction
from tools.errors import InvalidArgument

MAX_MONEY = 10**12  # $1 trillion: above any small business, catches unit mistakes
MAX_COUNT = 10**7


@dataclass(frozen=True)
class Catalog:
    lobs: dict[str, str]  # code -> display name
    synonyms: dict[str, str]  # lower-case synonym -> code
    states: dict[str, str]  # code -> name
    construction_phrases: dict[str, str]  # phrase -> type
    construction_names: dict[str, str]  # type -> name
    naics_titles: dict[str, str]  # 2022 code -> title
    insurer: str

    @classmethod
    def load(cls, engine: Engine) -> Catalog:
        with engine.connect() as c:
            return cls(
                lobs=dict(
                    c.execute(
                        select(models.LineOfBusiness.code, models.LineOfBusiness.display_name).order_by(
                            models.LineOfBusiness.code
                        )
                    ).all()
                ),
                synonyms=dict(c.execute(select(models.LobSynonym.synonym, models.LobSynonym.lob_code)).all()),
                states=dict(c.execute(select(models.State.code, models.State.name).order_by(models.State.code)).all()),
                construction_phrases=dict(
                    c.execute(select(models.ConstructionPhrase.phrase, models.ConstructionPhrase.type)).all()
                ),
                construction_names=dict(
                    c.execute(select(models.ConstructionClass.type, models.ConstructionClass.name)).all()
                ),
                naics_titles=dict(c.execute(select(models.NaicsCode.code, models.NaicsCode.title)).all()),
                insurer=c.execute(
                    select(models.SeedInfo.value).where(models.SeedInfo.key == "insurer")
                ).scalar_one_or_none()
                or "the insurer",
            )

    # --- lines of business ---------------------------------------------------------------------------
    def lob_list(self) -> str:
        return ", ".join(f"{code} ({name})" for code, name in self.lobs.items())

    def find_lob(self, text: str) -> str | None:
        """The LOB code a phrase names, or None."""
        key = _squash(text)
        if key.replace(" ", "_") in self.lobs:
            return key.replace(" ", "_")
        return self.synonyms.get(key) or self.synonyms.get(key.replace("'", ""))

    def lob(self, text: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise InvalidArgument("lob is required", f"lines we write: {self.lob_list()}")
        code = self.find_lob(text)
        if code is None:
            raise InvalidArgument(f"{text!r} is not a line of business we write", f"lines we write: {self.lob_list()}")
        return code

    # --- states --------------------------------------------------------------------------------------
    def state(self, text: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise InvalidArgument(
                "state is required", "give a US state or DC as a two-letter code (TX) or a name (Texas)"
            )
        t = _squash(text).replace(".", "")
        if t.upper() in self.states:
            return t.upper()
        by_name = {name.lower(): code for code, name in self.states.items()}
        by_name.update({"washington dc": "DC", "dc": "DC", "washington, dc": "DC", "d c": "DC"})
        if t in by_name:
            return by_name[t]
        raise InvalidArgument(
            f"unknown state {text!r}", "use one of the 50 states or DC, as a code (TX) or a name (Texas)"
        )

    # --- NAICS ---------------------------------------------------------------------------------------
    def naics(self, code: str | int) -> str:
        """A known six-digit 2022 code (older editions are mapped by ``get_naics``, not here)."""
        c = naics_digits(code)
        if c not in self.naics_titles:
            raise InvalidArgument(
                f"{c} is not a 2022 NAICS code",
                "use a six-digit 2022 code; get_naics maps 2012/2017 codes, classify_business finds a code from a description",
            )
        return c

    # --- construction --------------------------------------------------------------------------------
    def construction(self, text: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise InvalidArgument(
                "construction is required",
                "describe the building, e.g. 'wood frame' or 'steel columns, beams and deck'",
            )
        t = text.strip().upper().removeprefix("TYPE ").strip()
        roman = {"1": "I", "2": "II", "3": "III", "4": "IV", "5": "V"}.get(t, t)
        if roman in self.construction_names:
            return roman
        ctype = match_construction(text, self.construction_phrases)
        if ctype is None:
            raise InvalidArgument(
                f"cannot tell the construction type from {text!r}",
                "say Type I-V or describe it, e.g. 'wood frame' (V), 'masonry walls with wood interior' (III), "
                "'non-combustible steel' (II), 'concrete, fire-resistive' (I), 'heavy timber' (IV)",
            )
        return ctype


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower().replace("’", "'").replace("-", " "))


def naics_digits(code: str | int) -> str:
    if isinstance(code, bool) or not isinstance(code, (str, int)):
        raise InvalidArgument("naics must be a six-digit code as text, e.g. '722511'")
    c = re.sub(r"[\s\-.]", "", str(code))
    if not re.fullmatch(r"\d{6}", c):
        raise InvalidArgument(f"{code!r} is not a six-digit NAICS code", "give six digits, e.g. '722511'")
    return c


_MONEY = re.compile(
    r"^\$?\s*(?P<num>\d[\d,]*(?:\.\d+)?|\.\d+)\s*(?P<unit>k|thousand|m|mm|mil|million|b|bn|billion)?\s*(?:usd|dollars)?$",
    re.I,
)
_UNITS = {
    "k": 10**3,
    "thousand": 10**3,
    "m": 10**6,
    "mm": 10**6,
    "mil": 10**6,
    "million": 10**6,
    "b": 10**9,
    "bn": 10**9,
    "billion": 10**9,
}


def money(value, field: str = "amount") -> int:
    """'$4.5M', '4,500,000', 4500000, '4.5 million' -> 4500000 (whole dollars)."""
    if isinstance(value, bool):
        raise InvalidArgument(f"{field} must be an amount in dollars, got {value!r}")
    if isinstance(value, (int, float, Decimal)):
        amount = Decimal(str(value))
    elif isinstance(value, str):
        m = _MONEY.match(value.strip())
        if not m:
            raise InvalidArgument(
                f"{field}: cannot read {value!r} as dollars", "write e.g. 4500000, '$4.5M' or '4,500,000'"
            )
        try:
            amount = Decimal(m["num"].replace(",", "")) * _UNITS.get((m["unit"] or "").lower(), 1)
        except InvalidOperation:
            raise InvalidArgument(f"{field}: cannot read {value!r} as dollars") from None
    else:
        raise InvalidArgument(f"{field} must be an amount in dollars, got {type(value).__name__}")
    if not amount.is_finite():  # NaN and Infinity compare with nothing: say so before any comparison
        raise InvalidArgument(f"{field} must be a finite amount in dollars, got {value!r}", "write e.g. 4500000")
    if amount < 0:
        raise InvalidArgument(f"{field} cannot be negative ({value!r})")
    if amount > MAX_MONEY:
        raise InvalidArgument(f"{field} {value!r} is implausibly large", "give annual dollars, e.g. 4500000 for $4.5M")
    return int(amount.to_integral_value())


def count(value, field: str) -> int:
    """A whole, non-negative number of employees or vehicles ('32', 32, '1,200')."""
    if isinstance(value, bool):
        raise InvalidArgument(f"{field} must be a whole number, got {value!r}")
    if isinstance(value, str):
        v = value.strip().replace(",", "")
        if not re.fullmatch(r"\d+(\.0+)?", v):
            raise InvalidArgument(f"{field} must be a whole number, got {value!r}")
        value = int(float(v))
    if isinstance(value, float):
        if not value.is_integer():
            raise InvalidArgument(f"{field} must be a whole number, got {value!r}")
        value = int(value)
    if not isinstance(value, int):
        raise InvalidArgument(f"{field} must be a whole number, got {type(value).__name__}")
    if value < 0:
        raise InvalidArgument(f"{field} cannot be negative ({value})")
    if value > MAX_COUNT:
        raise InvalidArgument(f"{field} {value} is implausibly large")
    return value


def most_specific_rule(rows, code: str, lob: str):
    """Of a limit or deductible table's rows (each with ``lob`` and ``naics_prefix``), the one that applies to a 2022
    code and a line: the longest NAICS prefix of the code, then a rule of that line over an all-line rule; None when
    none applies."""
    return max(
        (r for r in rows if code.startswith(r.naics_prefix) and r.lob in (None, lob)),
        key=lambda r: (len(r.naics_prefix), r.lob is not None),
        default=None,
    )
