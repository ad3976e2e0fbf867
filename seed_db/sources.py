"""Read and validate the committed seed files (CSV and YAML in ``seed_db/data``).

Every problem becomes a ``SeedError`` naming the file, the row and what is wrong, so ``uwc seed``
can stop with one clear line before it touches the database.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

DATA_DIR = Path(__file__).parent / "data"


class SeedError(Exception):
    """A seed input is missing or malformed; the message names the file, the row and the problem."""

    def __init__(self, file: Path | str, problem: str, row: int | None = None):
        self.file, self.row, self.problem = Path(file).name, row, problem
        where = f"{self.file}, row {row}" if row is not None else self.file
        super().__init__(f"{where}: {problem}")


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and value.strip() == "" else value


Code6 = Annotated[str, BeforeValidator(str.strip)]
SIX_DIGITS = re.compile(r"^\d{6}$")


class Row(BaseModel):
    # No string cache: pydantic-core keeps the last 16,384 strings it made in a table for the process's life (the
    # index entries filled it: 1.2 MB kept by a classifying process after the rows were dropped).
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, cache_strings=False)


class NaicsRow(Row):
    code: Code6
    title: str
    description: str

    @field_validator("code")
    @classmethod
    def six_digits(cls, v: str) -> str:
        if not SIX_DIGITS.match(v):
            raise ValueError(f"code {v!r} is not a six-digit NAICS code")
        return v


class IndexEntryRow(NaicsRow):
    """A Census index entry: a name of an activity or a business, and its code."""

    title: str = ""
    description: str = ""
    entry: str


class LevelRow(Row):
    code: str
    level: int
    title: str


class SectorRow(Row):
    code: str
    title: str

    @field_validator("code")
    @classmethod
    def sector_code(cls, v: str) -> str:
        if not re.match(r"^\d{2}(-\d{2})?$", v):
            raise ValueError(f"sector code {v!r} is not 'NN' or 'NN-NN'")
        return v


class Concordance2022Row(Row):
    naics_2022: Code6
    naics_2017: Code6
    title_2022: str
    title_2017: str
    relationship: str


class Concordance2012Row(Row):
    naics_2012: Code6
    naics_2017: Code6
    title_2012: str
    title_2017: str
    relationship: str


class SizeStandardRow(Row):
    naics_code: Code6
    exception: Annotated[str | None, BeforeValidator(_blank_to_none)] = None
    title: str
    receipts_musd: Annotated[float | None, BeforeValidator(_blank_to_none)] = None
    employees: Annotated[int | None, BeforeValidator(_blank_to_none)] = None
    assets_musd: Annotated[float | None, BeforeValidator(_blank_to_none)] = None
    footnote_ref: Annotated[str | None, BeforeValidator(_blank_to_none)] = None

    def model_post_init(self, _: Any) -> None:
        measures = [m for m in (self.receipts_musd, self.employees, self.assets_musd) if m is not None]
        if len(measures) != 1:
            raise ValueError("exactly one of receipts_musd, employees, assets_musd must be set")
        if measures[0] <= 0:
            raise ValueError("the size standard must be positive")


class FootnoteRow(Row):
    footnote_ref: str
    footnote_text: str


class StateRow(Row):
    code: str
    name: str
    population_2020_m: float = Field(gt=0)  # 2020 census, millions: applicants are drawn in proportion

    @field_validator("code")
    @classmethod
    def two_letters(cls, v: str) -> str:
        if not re.match(r"^[A-Z]{2}$", v):
            raise ValueError(f"state code {v!r} is not two upper-case letters")
        return v


M = TypeVar("M", bound=Row)


def _problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "row"
    return f"{field}: {err['msg']}"


def read_csv(path: Path, model: type[M], key: tuple[str, ...]) -> list[M]:
    """Read a CSV into validated rows; duplicate keys and bad rows raise ``SeedError``.

    Row numbers count the header as row 1, as a spreadsheet shows them.
    """
    return list(iter_csv(path, model, key))


def iter_csv(path: Path, model: type[M], key: tuple[str, ...]) -> Iterator[M]:
    """``read_csv`` one row at a time, for a caller that keeps a few fields of each: a file's rows are never all
    held (20,373 index entries as rows take ~10 MB that stay in the allocator's arenas)."""
    if not path.is_file():
        raise SeedError(path, "file is missing")
    required = [name for name, f in model.model_fields.items() if f.is_required()]
    count = 0
    seen: dict[tuple, int] = {}
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh, strict=True)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise SeedError(path, f"missing column(s) {', '.join(missing)}; header is {reader.fieldnames}", 1)
            for line_no, raw in enumerate(reader, start=2):
                if None in raw or any(v is None for v in raw.values()):
                    raise SeedError(path, f"expected {len(reader.fieldnames or ())} fields", line_no)
                try:
                    row = model.model_validate(raw)
                except ValidationError as exc:
                    raise SeedError(path, _problem(exc), line_no) from None
                except ValueError as exc:
                    raise SeedError(path, str(exc), line_no) from None
                k = tuple(getattr(row, f) for f in key)
                if k in seen:
                    raise SeedError(
                        path, f"duplicate key {dict(zip(key, k, strict=True))} (first at row {seen[k]})", line_no
                    )
                seen[k] = line_no
                count += 1
                yield row
    except csv.Error as exc:
        raise SeedError(path, f"malformed CSV: {exc}") from None
    except UnicodeDecodeError as exc:
        raise SeedError(path, f"not UTF-8 text: {exc}") from None
    if not count:
        raise SeedError(path, "no data rows")


INDEX_ENTRIES = DATA_DIR / "naics_2022_index_entries.csv"


def read_index_entries(path: Path = INDEX_ENTRIES) -> list[tuple[str, str]]:
    """The Census NAICS 2022 index entries as (code, entry), in the file's order (kept out of the database: only
    classification reads them, through vectors derived from this file)."""
    return [(r.code, r.entry) for r in iter_csv(path, IndexEntryRow, ("code", "entry"))]


US_CITIES = DATA_DIR / "us_cities.csv"


class CityRow(Row):
    name: str
    state: str
    population: int


def read_us_cities(path: Path = US_CITIES, min_population: int = 0) -> dict[str, str]:
    """Lower-case city name -> state code, for the U.S. places of 15,000 people or more (``min_population`` or
    more, of the place the name goes to); a name several states share goes to its most populous place ("columbus"
    -> OH)."""
    rows = sorted(read_csv(path, CityRow, ("name", "state")), key=lambda r: -r.population)
    out: dict[str, str] = {}
    for r in rows:
        if r.name.lower() not in out and r.population >= min_population:
            out[r.name.lower()] = r.state
        out.setdefault(r.name.lower(), "")
    return {name: state for name, state in out.items() if state}


def read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise SeedError(path, "file is missing")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SeedError(
            path, f"malformed YAML: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None
        ) from None
