"""Build the copilot's database from the committed seed files, deterministically and atomically.

``load_seed_data`` reads and cross-checks every input and returns plain rows per table (nothing is written
if any input is bad); ``write_database`` writes them to a scratch SQLite file and swaps it in with
``os.replace``, so an interrupted or failed build leaves the previous database untouched.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event, insert, make_url, text
from sqlalchemy.schema import CreateTable

from core.database import is_postgres
from guidelines import GUIDELINES_DIR, GuidelineError, load_sections
from seed_db import models
from seed_db.applicant_inputs import InsurerFacts, load_profiles, load_words
from seed_db.applicants import generate_applicants
from seed_db.rules import compile_appetite, load_insurer, match_construction, validate_references
from seed_db.sources import (
    DATA_DIR,
    Concordance2012Row,
    Concordance2022Row,
    FootnoteRow,
    LevelRow,
    NaicsRow,
    SectorRow,
    SeedError,
    SizeStandardRow,
    StateRow,
    read_csv,
    read_yaml,
)

if TYPE_CHECKING:
    from retrieval.vectors import Count

APPLICANT_SEED = 20230317
FILES = {
    "naics": "naics_2022.csv",
    "levels": "naics_2022_all_levels.csv",
    "sectors": "naics_2022_sectors.csv",
    "c2022": "naics_2022_to_2017.csv",
    "c2012": "naics_2012_to_2017.csv",
    "sba": "sba_size_standards_2022naics_2023-03-17.csv",
    "footnotes": "sba_size_standards_2022naics_2023-03-17_footnotes.csv",
    "states": "states.csv",
    "insurer": "insurer.yaml",
    "profiles": "applicant_profiles.yaml",
    "words": "applicant_words.yaml",
}


@dataclass
class SeedData:
    tables: dict[str, list[dict]] = field(default_factory=dict)  # table name -> rows, in insert order

    def count(self, table: str) -> int:
        return len(self.tables.get(table, []))


# Bump when the builder's output changes shape (a new table, a new index collection): a folder seeded by the old
# builder is then stale, and `uwc seed --if-missing` (what `make run` calls) rebuilds it.
BUILD_FORMAT = 2  # 2: guideline passages (retrieval.index.GUIDELINE_CHUNKS)


def inputs_digest(data_dir: Path = DATA_DIR, guidelines_dir: Path = GUIDELINES_DIR) -> str:
    """One hash of the builder's format and every seed input and guideline file: a folder built otherwise is stale."""
    digest = hashlib.sha256(f"format {BUILD_FORMAT}".encode())
    paths = [Path(data_dir) / FILES[k] for k in sorted(FILES)] + sorted(Path(guidelines_dir).glob("*.md"))
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"missing")
    return digest.hexdigest()


def sector_of(code: str, sectors: list[str]) -> str:
    for sector in sectors:
        lo, _, hi = sector.partition("-")
        if lo <= code[:2] <= (hi or lo):
            return sector
    raise ValueError(f"no sector for {code}")


def load_seed_data(data_dir: Path = DATA_DIR, guidelines_dir: Path = GUIDELINES_DIR) -> SeedData:
    """Read, validate and compile every seed input; raise ``SeedError`` at the first problem."""
    p = {k: Path(data_dir) / v for k, v in FILES.items()}
    naics = read_csv(p["naics"], NaicsRow, ("code",))
    levels = read_csv(p["levels"], LevelRow, ("code",))
    sectors = read_csv(p["sectors"], SectorRow, ("code",))
    c2022 = read_csv(p["c2022"], Concordance2022Row, ("naics_2022", "naics_2017"))
    c2012 = read_csv(p["c2012"], Concordance2012Row, ("naics_2012", "naics_2017"))
    sba = read_csv(p["sba"], SizeStandardRow, ("naics_code", "exception"))
    footnotes = read_csv(p["footnotes"], FootnoteRow, ("footnote_ref",))
    states = read_csv(p["states"], StateRow, ("code",))

    codes = [r.code for r in naics]
    code_set = set(codes)
    sector_codes = [s.code for s in sectors]
    for i, r in enumerate(sba, start=2):
        if r.naics_code not in code_set:
            raise SeedError(p["sba"], f"unknown 2022 NAICS code {r.naics_code!r}", i)
        for ref in (r.footnote_ref or "").split(";"):  # a row may cite several footnotes: "7;6"
            if ref and ref not in {f.footnote_ref for f in footnotes}:
                raise SeedError(p["sba"], f"unknown footnote {ref!r}", i)
    for i, c in enumerate(c2022, start=2):
        if c.naics_2022 not in code_set:
            raise SeedError(p["c2022"], f"unknown 2022 NAICS code {c.naics_2022!r}", i)
    for i, n in enumerate(naics, start=2):
        try:
            sector_of(n.code, sector_codes)
        except ValueError:
            raise SeedError(p["naics"], f"code {n.code} belongs to no sector in {FILES['sectors']}", i) from None

    try:
        sections = load_sections(guidelines_dir)
    except GuidelineError as exc:
        raise SeedError(guidelines_dir, str(exc)) from None
    insurer = load_insurer(p["insurer"], read_yaml(p["insurer"]))
    state_codes = [s.code for s in states]
    validate_references(p["insurer"], insurer, codes, set(state_codes), {s.id for s in sections})

    facts = InsurerFacts.from_data(insurer, states)
    phrases = facts.construction_phrases
    lobs = facts.lobs
    profiles = load_profiles(p["profiles"], facts, code_set)
    words = load_words(p["words"])
    base_standards = {
        r.naics_code: {"receipts_musd": r.receipts_musd, "employees": r.employees, "assets_musd": r.assets_musd}
        for r in sba
        if r.exception is None
    }
    applicants = generate_applicants(profiles, words, base_standards, facts, seed=APPLICANT_SEED, count=300)
    for a in applicants:
        if a["requested_lob"] not in lobs:
            raise SeedError(p["profiles"], f"applicant {a['id']}: unknown LOB {a['requested_lob']!r}")
        a["construction_type"] = match_construction(a["construction"], phrases)

    t: dict[str, list[dict]] = {}
    t["naics_sector"] = [{"code": s.code, "title": s.title} for s in sectors]
    t["naics_level"] = [{"code": r.code, "level": r.level, "title": r.title} for r in levels]
    t["naics_code"] = [
        {"code": r.code, "title": r.title, "description": r.description, "sector_code": sector_of(r.code, sector_codes)}
        for r in naics
    ]
    t["naics_2022_to_2017"] = [
        r.model_dump(include={"naics_2022", "naics_2017", "title_2022", "title_2017", "relationship"}) for r in c2022
    ]
    t["naics_2012_to_2017"] = [
        r.model_dump(include={"naics_2012", "naics_2017", "title_2012", "title_2017", "relationship"}) for r in c2012
    ]
    t["size_standard_footnote"] = [{"ref": f.footnote_ref, "text": f.footnote_text} for f in footnotes]
    t["size_standard"] = [
        {
            "id": i,
            **r.model_dump(
                include={
                    "naics_code",
                    "exception",
                    "title",
                    "receipts_musd",
                    "employees",
                    "assets_musd",
                    "footnote_ref",
                }
            ),
        }
        for i, r in enumerate(sba, start=1)
    ]
    t["state"] = [{"code": s.code, "name": s.name} for s in states]
    t["line_of_business"] = [
        {"code": lob.code, "display_name": lob.display_name, "description": lob.description}
        for lob in insurer.lines_of_business
    ]
    t["lob_synonym"] = sorted(
        (
            {"synonym": s.lower(), "lob_code": lob.code}
            for lob in insurer.lines_of_business
            for s in {*lob.synonyms, lob.code.replace("_", " ")}
        ),
        key=lambda r: r["synonym"],
    )
    t["construction_class"] = [
        c.model_dump(include={"type", "name", "description", "fire_resistive"}) for c in insurer.construction_classes
    ]
    t["construction_phrase"] = [{"phrase": ph, "type": ct} for ph, ct in sorted(phrases.items())]
    t["appetite"] = compile_appetite(insurer, codes, state_codes)
    t["qualification_rule"] = [
        {
            "id": i,
            "lob": q.lob,
            "fact": q.fact,
            "max_value": q.max,
            "allowed_types": ",".join(q.types) if q.types else None,
            "codes": ",".join(q.codes) or None,
            "section_id": q.section,
        }
        for i, q in enumerate(insurer.qualification_rules, start=1)
    ]
    t["limit_rule"] = [
        {
            "id": i,
            "lob": r.lob,
            "naics_prefix": pre,
            "per_occurrence": r.per_occurrence,
            "aggregate": r.aggregate,
            "section_id": r.section,
        }
        for i, (r, pre) in enumerate(((r, pre) for r in insurer.limit_rules for pre in r.prefixes), start=1)
    ]
    t["deductible_rule"] = [
        {"id": i, "lob": r.lob, "naics_prefix": pre, "deductible": r.deductible, "section_id": r.section}
        for i, (r, pre) in enumerate(((r, pre) for r in insurer.deductible_rules for pre in r.prefixes), start=1)
    ]
    t["applicant"] = applicants
    t["seed_info"] = [
        {"key": "insurer", "value": insurer.insurer.name},
        {"key": "naics_edition", "value": "2022"},
        {"key": "size_standards", "value": "SBA table effective 2023-03-17"},
        {"key": "applicant_seed", "value": str(APPLICANT_SEED)},
        {"key": "inputs_sha256", "value": inputs_digest(data_dir, guidelines_dir)},
    ]
    return SeedData(t)


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _create_schema(conn) -> None:
    """``create_all``, but each table's indexes in name order: SQLAlchemy keeps them in a set, whose order changes
    with the process's hash seed and, with it, the file's page layout (the same rows, a different file)."""
    for table in models.Base.metadata.sorted_tables:
        conn.execute(CreateTable(table))
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            index.create(conn)


INSERT_ROWS = 20_000  # rows per statement: the step of the progress count


def _insert_all(conn, data: SeedData, progress: Count | None = None) -> None:
    tables = models.Base.metadata.sorted_tables
    total, done = sum(data.count(t.name) for t in tables), 0
    for table in tables:
        rows = data.tables.get(table.name) or []
        for lo in range(0, len(rows), INSERT_ROWS):
            conn.execute(insert(table), rows[lo : lo + INSERT_ROWS])
            done += len(rows[lo : lo + INSERT_ROWS])
            if progress:
                progress(done, total)


def write_database(
    url: str,
    data: SeedData,
    reader_url: str | None = None,
    progress: Count | None = None,
    app_url: str | None = None,
) -> dict:
    """Write ``data`` to the database at ``url``. SQLite files are built aside and swapped in atomically; PostgreSQL
    also gets the SQL tool's own login (``reader_url``: ``UWC_READER_URL``, unset for the derived one) and, when
    ``url`` is the owner's, the app's own login (``app_url``).
    ``progress`` hears the rows written (SQLite) as (done, total)."""
    start = time.perf_counter()
    target = sqlite_path(url)
    if is_postgres(url):
        from seed_db.postgres import write_postgres  # COPY into a new schema, then swap in one transaction

        return write_postgres(url, data, reader_url, app_url)
    if target is None:
        # Other databases: one transaction, so a failure rolls back.
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                models.Base.metadata.drop_all(conn)
                _create_schema(conn)
                _insert_all(conn, data)
        finally:
            engine.dispose()
        return {"path": None, "bytes": None, "seconds": time.perf_counter() - start}

    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.building-{os.getpid()}")
    scratch.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{scratch}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _):
        # The scratch file is disposable until swapped in: skip the journal, keep foreign keys honest.
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=OFF")
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    try:
        with engine.begin() as conn:
            _create_schema(conn)
            _insert_all(conn, data, progress)
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM")
            problems = conn.execute(text("PRAGMA foreign_key_check")).fetchall()
            if problems:
                raise SeedError(target, f"foreign key violations: {problems[:3]}")
    except BaseException:
        engine.dispose()
        scratch.unlink(missing_ok=True)
        raise
    engine.dispose()
    os.replace(scratch, target)
    return {"path": target, "bytes": target.stat().st_size, "seconds": time.perf_counter() - start}
