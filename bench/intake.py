"""Submission intake: the fraction of facts read back correctly per kind of generated submission, and the time to
take in a 20-page PDF (target < 2 s).

    .venv/bin/python -m bench.intake [--data-dir var] [--count 100] [--seed 7]

The submissions come from ``desk.samples`` (seeded applicants, deterministic by seed); nothing is stored.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

from core.settings import apply_offline_env

apply_offline_env()

FACTS = (
    "company",
    "naics",
    "state",
    "lob",
    "annual_revenue",
    "employees",
    "annual_payroll",
    "vehicles",
    "construction",
)


def same(key: str, got, want, catalog) -> bool:
    if got is None:
        return False
    if key == "construction":  # the phrase the reader matched, compared by the class it names
        try:
            return catalog.construction(str(got)) == catalog.construction(str(want))
        except Exception:
            return False
    if key == "company":  # "Acme Inc" is "Acme Inc.": the reader drops a name's final full stop
        return str(got).strip().rstrip(".").lower() == str(want).strip().rstrip(".").lower()
    return got == want


def read_back(samples, catalog) -> dict:
    from desk.intake import intake_one

    right: dict = defaultdict(lambda: defaultdict(int))
    total: dict = defaultdict(lambda: defaultdict(int))
    misses: dict = defaultdict(list)
    for s in samples:
        outcome = intake_one((s.file_name, s.data), catalog=catalog)
        subs = outcome.submissions if outcome.ok else ()
        for i, exp in enumerate(s.expected):
            got = subs[i].values() if i < len(subs) else {}
            for key in FACTS:
                total[s.kind][key] += 1
                if same(key, got.get(key), exp.facts[key], catalog):
                    right[s.kind][key] += 1
                elif len(misses[s.kind]) < 5:
                    misses[s.kind].append(f"{exp.applicant_id} {key}: want {exp.facts[key]!r}, got {got.get(key)!r}")
    out = {}
    for kind in total:
        n, ok = sum(total[kind].values()), sum(right[kind].values())
        out[kind] = {
            "facts": n,
            "read_back": round(ok / n, 3),
            "by_fact": {k: round(right[kind][k] / total[kind][k], 3) for k in FACTS},
            "misses": misses[kind],
        }
    return out


def twenty_pages(samples, catalog, runs: int = 5) -> dict:
    from desk.intake import intake_one
    from desk.samples import letter_pdf

    letter = next(s for s in samples if s.kind == "letter_pdf")
    import io

    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(letter.data)).pages[0].extract_text()
    data = letter_pdf(text, pages=20)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        outcome = intake_one(("twenty.pdf", data), catalog=catalog)
        times.append(time.perf_counter() - t)
        assert outcome.ok
    return {
        "pages": 20,
        "bytes": len(data),
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="a seeded data folder (default $UWC_DATA_DIR or var/)"
    )
    parser.add_argument("--count", type=int, default=100, help="generated files (lists hold several submissions)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from core.settings import get_settings
    from desk.samples import generate, load_applicants
    from seed_db.queries import readonly_engine
    from tools.catalog import Catalog

    settings = get_settings(data_dir=args.data_dir) if args.data_dir else get_settings()
    applicants, lobs = load_applicants(settings.resolved_database_url)
    engine = readonly_engine(settings.resolved_database_url)
    catalog = Catalog.load(engine)
    samples = generate(applicants, lobs, args.count, args.seed)
    t = time.perf_counter()
    report = {"read_back": read_back(samples, catalog)}
    report["seconds_all"] = round(time.perf_counter() - t, 2)
    report["submissions"] = sum(len(s.expected) for s in samples)
    report["twenty_page_pdf"] = twenty_pages(samples, catalog)
    print(json.dumps(report, indent=1))
    engine.dispose()


if __name__ == "__main__":
    main()
