"""Fictional small-business applicants (insurance submissions) for the seed database.

The copilot needs a few hundred submissions the underwriters can ask about: company name, what it does,
where, how big (revenue, employees, payroll, vehicles), the building it occupies and the line of business
it wants. This module turns the business archetypes in ``data/applicant_profiles.yaml`` into such
applicants, deterministically: the same profiles, inputs and seed always give byte-identical output.

Most applicants are ordinary small businesses, but a fixed share is deliberately built around the edge
cases the underwriting rules care about (a business that is not small under its SBA size standard, a fleet
of more than 20 vehicles, a payroll over $5M, a workers-compensation request from a monopolistic state,
a hotel or landlord in a wood-frame building ...), so the evaluation has enough of each to test.
"""

from __future__ import annotations

import math
import pathlib
import random
import re
import string
from dataclasses import dataclass

import yaml

from seed_db.rules import InsurerData, match_construction


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
    construction_phrases: dict[str, str]  # lower-case phrase -> class (I-V), read by the seed's matcher

    @classmethod
    def from_data(cls, insurer: InsurerData, state_names: dict[str, str]) -> InsurerFacts:
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
            state_names=dict(state_names),
            construction_phrases={ph.lower(): c.type for c in insurer.construction_classes for ph in c.phrases},
        )

    def construction_class(self, phrase: str) -> str | None:
        return match_construction(phrase, self.construction_phrases)


# Share of applicants built around each scenario; the rest are "general". A scenario's applicant must
# show exactly its own flags (see _flags), so each edge case appears in the numbers planned here and not
# by accident. The two big-firm scenarios are the exception on purpose: a business well past its size
# standard in trucking or manufacturing also has a big fleet or payroll, and forbidding that would make it
# implausible; keeping them a minority keeps the fleet and payroll shares near their targets
# (measured for seed 20230317: 17% not small, 11% over 20 vehicles, 9% payroll over $5M).
_SCENARIO_SHARES = (
    ("not_small", 0.09),
    ("not_small_large", 0.03),
    ("not_small_employees", 0.013),  # mid-size manufacturers and wholesalers over an employee standard
    ("not_small_just_over", 0.04),  # within 5% above the size standard
    ("near_threshold", 0.03),  # small, but within 5% below the size standard
    ("fleet_over_20", 0.08),
    ("fleet_of_20", 0.013),
    ("payroll_over_5m", 0.045),
    ("payroll_at_5m", 0.007),  # exactly $5M: at the limit is not over it
    ("payroll_near_5m", 0.007),  # $4.9M up to just under $5M
    ("monopolistic_state", 0.08),
    ("hospitality_wood", 0.05),
    ("hospitality_fire_resistive", 0.03),
)
_REQUIRED_FLAGS = {
    "general": set(),
    "not_small": {"not_small"},
    "not_small_large": {"not_small"},
    "not_small_employees": {"not_small"},
    "not_small_just_over": {"not_small", "just_over_threshold"},
    "near_threshold": {"near_threshold"},
    "fleet_over_20": {"fleet_over_20"},
    "fleet_of_20": {"fleet_of_20"},
    "payroll_over_5m": {"payroll_over_5m"},
    "payroll_at_5m": {"payroll_near_5m"},
    "payroll_near_5m": {"payroll_near_5m"},
    "monopolistic_state": set(),
    "hospitality_wood": set(),
    "hospitality_fire_resistive": set(),
}
_THRESHOLD_SCENARIOS = ("not_small", "not_small_large", "not_small_employees", "not_small_just_over", "near_threshold")
_BIG_FIRM_SCENARIOS = ("not_small_large", "not_small_employees")
_BIG_FIRM_FLAGS = {"fleet_over_20", "fleet_of_20", "payroll_over_5m", "payroll_near_5m"}
# The LOB that makes each edge case worth asking about (the rule it exercises), requested most of the time.
_PREFERRED_LOB = {
    "fleet_over_20": "auto",
    "fleet_of_20": "auto",
    "payroll_over_5m": "workers_compensation",
    "payroll_at_5m": "workers_compensation",
    "payroll_near_5m": "workers_compensation",
    "monopolistic_state": "workers_compensation",
    "hospitality_wood": "property",
    "hospitality_fire_resistive": "property",
}

# 2020 census population in millions: outside the edge-case scenarios, applicants come from states
# roughly in proportion to where businesses are.
_STATE_POPULATION_M = {
    "AK": 0.73,
    "AL": 5.02,
    "AR": 3.01,
    "AZ": 7.15,
    "CA": 39.5,
    "CO": 5.77,
    "CT": 3.61,
    "DC": 0.69,
    "DE": 0.99,
    "FL": 21.5,
    "GA": 10.7,
    "HI": 1.46,
    "IA": 3.19,
    "ID": 1.84,
    "IL": 12.8,
    "IN": 6.79,
    "KS": 2.94,
    "KY": 4.51,
    "LA": 4.66,
    "MA": 7.03,
    "MD": 6.18,
    "ME": 1.36,
    "MI": 10.1,
    "MN": 5.71,
    "MO": 6.15,
    "MS": 2.96,
    "MT": 1.08,
    "NC": 10.4,
    "ND": 0.78,
    "NE": 1.96,
    "NH": 1.38,
    "NJ": 9.29,
    "NM": 2.12,
    "NV": 3.10,
    "NY": 20.2,
    "OH": 11.8,
    "OK": 3.96,
    "OR": 4.24,
    "PA": 13.0,
    "RI": 1.10,
    "SC": 5.12,
    "SD": 0.89,
    "TN": 6.91,
    "TX": 29.1,
    "UT": 3.27,
    "VA": 8.63,
    "VT": 0.64,
    "WA": 7.71,
    "WI": 5.89,
    "WV": 1.79,
    "WY": 0.58,
}
# Flattened on purpose so North Dakota and Wyoming show up too, not only Ohio and Washington.
_MONOPOLISTIC_WEIGHTS = {"ND": 1.5, "OH": 4.0, "WA": 3.0, "WY": 1.5}

# Word banks for names. Invented place names keep the companies clearly fictional; surnames avoid a
# final "s" so "{surname}'s" always reads right.
_SURNAMES = (
    "Abbott",
    "Albright",
    "Barlow",
    "Becker",
    "Bennett",
    "Bishop",
    "Bradford",
    "Brennan",
    "Calloway",
    "Carver",
    "Castillo",
    "Chandler",
    "Conway",
    "Crawford",
    "Dalton",
    "Delgado",
    "Dempsey",
    "Donovan",
    "Dunbar",
    "Eckert",
    "Ellison",
    "Esposito",
    "Fenwick",
    "Flanagan",
    "Fletcher",
    "Friedman",
    "Gallagher",
    "Garrison",
    "Greer",
    "Gutierrez",
    "Hadley",
    "Hargrove",
    "Harmon",
    "Haskell",
    "Holloway",
    "Hutchinson",
    "Ingram",
    "Iverson",
    "Jablonski",
    "Jensen",
    "Kaplan",
    "Keller",
    "Kessler",
    "Kincaid",
    "Kowalski",
    "Lambert",
    "Larkin",
    "Lindqvist",
    "Lockwood",
    "Lombardi",
    "Lowell",
    "Maddox",
    "Marlowe",
    "Mayfield",
    "McAllister",
    "Mercer",
    "Moreno",
    "Nakamura",
    "Nguyen",
    "Nolan",
    "Novak",
    "O'Brien",
    "Okafor",
    "Ortega",
    "Patel",
    "Pemberton",
    "Prescott",
    "Pruitt",
    "Quintero",
    "Radford",
    "Redmond",
    "Santoro",
    "Schaefer",
    "Shelton",
    "Sorensen",
    "Stanton",
    "Stratton",
    "Sullivan",
    "Talbot",
    "Tanaka",
    "Thornton",
    "Tolliver",
    "Underwood",
    "Vance",
    "Vasquez",
    "Vogel",
    "Waller",
    "Webber",
    "Whitaker",
    "Winslow",
    "Yoder",
    "Zeller",
)
_GIVEN_NAMES = (
    "Ada",
    "Andre",
    "Bianca",
    "Carla",
    "Celeste",
    "Dominic",
    "Dolores",
    "Elena",
    "Frank",
    "Grace",
    "Gus",
    "Hazel",
    "Hector",
    "Iris",
    "Ivan",
    "Jonah",
    "June",
    "Kira",
    "Lena",
    "Luis",
    "Marco",
    "Maya",
    "Nora",
    "Owen",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tessa",
    "Vera",
    "Walt",
    "Yusuf",
    "Zoe",
)
_PLACES = (
    "Ashford Mills",
    "Bellhaven",
    "Birch Hollow",
    "Bramblewood",
    "Briar Glen",
    "Cedar Hollow",
    "Coldwater Junction",
    "Copper Bend",
    "Dunmore Springs",
    "Eastbrook",
    "Elk Valley",
    "Fernley Park",
    "Fox Run",
    "Gable Ridge",
    "Harbor Point",
    "Hartwell Springs",
    "Hickory Flats",
    "Ironton Falls",
    "Juniper Flats",
    "Kestrel Bay",
    "Kettle River",
    "Lark Meadow",
    "Laurel Bend",
    "Maple Grove",
    "Marlow Point",
    "Millbrook",
    "Mossy Oak",
    "Northgate",
    "Orchard Hill",
    "Pine Ridge",
    "Prairie View",
    "Quarry Hill",
    "Red Cedar",
    "Saddle Creek",
    "Silver Lake",
    "Stonebridge",
    "Tamarack",
    "Thornbury",
    "Union Mills",
    "Vale Crossing",
    "Willow Creek",
    "Wolf Lake",
)
_ADJECTIVES = (
    "Bold",
    "Blue",
    "Bright",
    "Clever",
    "Copper",
    "Cozy",
    "Evergreen",
    "Friendly",
    "Gentle",
    "Golden",
    "Grand",
    "Green",
    "Happy",
    "Hearty",
    "Honest",
    "Humble",
    "Little",
    "Lucky",
    "Noble",
    "Prime",
    "Red",
    "Rustic",
    "Silver",
    "Steady",
    "Sturdy",
    "Sunny",
    "Swift",
    "True",
    "Trusty",
)
_BRANDS = (
    "Anchor",
    "Aspen",
    "Beacon",
    "Bellwether",
    "Blue Heron",
    "Bluebird",
    "Cardinal",
    "Clearwater",
    "Compass",
    "Cornerstone",
    "Crescent",
    "Firefly",
    "Foxglove",
    "Granite",
    "Harvest",
    "Heritage",
    "Highland",
    "Ironwood",
    "Juniper",
    "Keystone",
    "Kingfisher",
    "Lakeside",
    "Lantern",
    "Lodestar",
    "Magnolia",
    "Meridian",
    "Milestone",
    "Northstar",
    "Oak Leaf",
    "Pioneer",
    "Red Fox",
    "Riverbend",
    "Sequoia",
    "Sterling",
    "Summit",
    "Sunrise",
    "Tidewater",
    "Trailhead",
    "Twin Oaks",
    "Wayfarer",
)
_INITIAL_LETTERS = "ABCDEFGHJKLMNPRSTW"
_LEGAL_SUFFIXES = ("LLC", "LLC", "Inc.", "")  # most small firms are LLCs; some carry no suffix at all
_CITY_PHRASES = (
    "{town}, {state}",
    "downtown {town}, {state}",
    "the suburbs of {town}, {state}",
    "a small town in {state}",
    "the {town} area of {state}",
)

_NAME_FIELDS = {"surname", "surname2", "given", "place", "adjective", "brand", "initials"}
_DESCRIPTION_FIELDS = {"name", "city_phrase", "state_name", "employees", "vehicles"}
_COUNT_FIELDS = {"employees", "vehicles"}
_REQUIRED_KEYS = {
    "naics",
    "kind",
    "name_patterns",
    "descriptions",
    "revenue",
    "employees",
    "payroll_per_employee",
    "vehicles",
    "construction",
    "lobs",
}
_OPTIONAL_KEYS = {"weight", "scale_hints", "min_staff_per_vehicle", "legal_suffix"}


def load_profiles(path: pathlib.Path, facts: InsurerFacts) -> list[dict]:
    """Read and validate the applicant archetypes; raise ValueError naming the profile and the problem."""
    path = pathlib.Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(data, list) or not data:
        raise ValueError(f"{path.name}: expected a non-empty list of profiles")
    for number, profile in enumerate(data, start=1):
        naics = profile.get("naics") if isinstance(profile, dict) else None
        problem = _profile_problem(profile, facts)
        if problem:
            raise ValueError(f"{path.name}: profile {number} (naics {naics}): {problem}")
    return data


def generate_applicants(
    profiles: list[dict],
    naics_titles: dict[str, str],
    size_standards: dict[str, dict],
    facts: InsurerFacts,
    *,
    seed: int = 20230317,
    count: int = 300,
) -> list[dict]:
    """Generate ``count`` fictional applicants from the profiles, deterministically for a given seed.

    ``naics_titles`` maps every valid 2022 code to its title (used to reject unknown codes);
    ``size_standards[code]`` is the SBA base row ({"receipts_musd", "employees", "assets_musd"});
    ``facts`` are the insurer's rules the edge cases play to and the states applicants may be located in.
    Returns dicts with keys id, company_name, description, naics_code, state, annual_revenue, employees,
    annual_payroll, vehicles, construction, requested_lob.
    """
    for number, profile in enumerate(profiles, start=1):
        if profile["naics"] not in naics_titles:
            raise ValueError(
                f"applicant_profiles.yaml: profile {number} (naics {profile['naics']}): not a 2022 NAICS code"
            )
    if not 1 <= count <= 9999:
        raise ValueError("count must be between 1 and 9999 (ids are APP-0001 to APP-9999)")

    # Only random.Random(seed) is used, never the global generator, the clock or str hashes (salted per
    # process), so the output is the same in every run.
    rng = random.Random(seed)
    states = list(facts.state_names)
    usual_states = [s for s in states if s not in facts.monopolistic_wc_states]
    usual_weights = [_STATE_POPULATION_M.get(s, 1.0) for s in usual_states]
    mono_states = [s for s in facts.monopolistic_wc_states if s in states]
    pools = {scenario: _pool(profiles, scenario, size_standards, facts) for scenario in _REQUIRED_FLAGS}

    scenarios = _scenario_plan(count)
    rng.shuffle(scenarios)  # interleave the edge cases with ordinary applicants
    used_names: set[str] = set()
    applicants = []
    for number, scenario in enumerate(scenarios, start=1):
        if not pools[scenario]:
            raise ValueError(f"no profile can produce a {scenario!r} applicant")
        if scenario == "monopolistic_state":
            if not mono_states:
                raise ValueError(f"none of {', '.join(facts.monopolistic_wc_states)} is in the list of states")
            state = rng.choices(mono_states, weights=[_MONOPOLISTIC_WEIGHTS.get(s, 1.0) for s in mono_states])[0]
        else:
            state = rng.choices(usual_states, weights=usual_weights)[0]
        profile, figures, hints = _draw_business(rng, pools[scenario], scenario, size_standards, facts)
        name, short_name = _company_name(rng, profile, used_names)
        applicants.append(
            {
                "id": f"APP-{number:04d}",
                "company_name": name,
                "description": _description(rng, profile, short_name, state, figures, hints, facts),
                "naics_code": profile["naics"],
                "state": state,
                "annual_revenue": figures["annual_revenue"],
                "employees": figures["employees"],
                "annual_payroll": figures["annual_payroll"],
                "vehicles": figures["vehicles"],
                "construction": _construction(rng, profile, scenario, facts),
                "requested_lob": _requested_lob(rng, profile, scenario, figures["vehicles"]),
            }
        )
    return applicants


# ---------------------------------------------------------------------------------------- validation


def _profile_problem(profile, facts: InsurerFacts) -> str | None:
    """What is wrong with one profile, or None."""
    if not isinstance(profile, dict):
        return "expected a mapping"
    missing = sorted(_REQUIRED_KEYS - profile.keys())
    if missing:
        return f"missing {', '.join(missing)}"
    unknown = sorted(profile.keys() - _REQUIRED_KEYS - _OPTIONAL_KEYS)
    if unknown:
        return f"unknown key(s) {', '.join(unknown)}"
    if not isinstance(profile["naics"], str) or not re.fullmatch(r"\d{6}", profile["naics"]):
        return 'naics must be a quoted six-digit string, e.g. "722511"'
    if not isinstance(profile["kind"], str) or not profile["kind"].strip():
        return "kind must be a short noun"
    for key, low_min in (("revenue", 1000), ("employees", 1), ("payroll_per_employee", 1000), ("vehicles", 0)):
        value = profile[key]
        if not (
            isinstance(value, list)
            and len(value) == 2
            and all(_is_int(v) for v in value)
            and low_min <= value[0] <= value[1]
        ):
            return f"{key} must be [low, high] whole numbers with {low_min} <= low <= high"
    if profile["revenue"][0] == profile["revenue"][1] or profile["employees"][0] == profile["employees"][1]:
        return "revenue and employees need a range (low < high)"
    hints = profile.get("scale_hints", {})
    if not isinstance(hints, dict):
        return "scale_hints must be a mapping of placeholder: [low, high]"
    for key in sorted(hints):
        value = hints[key]
        if not re.fullmatch(r"[a-z][a-z_]*", str(key)) or key in _DESCRIPTION_FIELDS:
            return f"scale hint {key!r} must be a new lower-case placeholder name"
        if not (
            isinstance(value, list) and len(value) == 2 and all(_is_int(v) for v in value) and 1 <= value[0] <= value[1]
        ):
            return f"scale hint {key} must be [low, high] whole numbers with 1 <= low <= high"
    if not _string_list(profile["name_patterns"]):
        return "name_patterns must be a non-empty list of strings"
    for pattern in _string_list(profile["name_patterns"]):
        bad = _fields(pattern) - _NAME_FIELDS
        if bad:
            return f"name pattern {pattern!r} uses unknown placeholder(s) {', '.join(sorted(bad))}"
    if not _string_list(profile["descriptions"]):
        return "descriptions must be a non-empty list of strings"
    for text in _string_list(profile["descriptions"]):
        used = _fields(text)
        bad = used - _DESCRIPTION_FIELDS - hints.keys()
        if bad:
            return f"description uses unknown placeholder(s) {', '.join(sorted(bad))}: {text[:60]!r}..."
        if "city_phrase" not in used:
            return f"description must say where the business is ({{city_phrase}}): {text[:60]!r}..."
        sentences = len(re.findall(r"[.!?](?=\s|$)", text))
        if not 2 <= sentences <= 4:
            return f"description must have 2-4 sentences, found {sentences}: {text[:60]!r}..."
        # Counts are followed by plural nouns ("{vehicles} trucks"), so they must never be 1 (or 0).
        for field in sorted(used & (_COUNT_FIELDS | hints.keys())):
            low = hints[field][0] if field in hints else profile[field][0]
            if low < 2:
                return f"description uses {{{field}}}, so its low end must be at least 2 (it reads as a plural)"
    phrases = _string_list(profile["construction"])
    if not phrases:
        return "construction must be a non-empty list of strings"
    for phrase in phrases:
        if facts.construction_class(phrase) is None:
            return f"construction {phrase!r} names no construction class (say wood frame, masonry, non-combustible ...)"
    lobs = _string_list(profile["lobs"])
    if not lobs or any(lob not in facts.lobs for lob in lobs) or len(set(lobs)) != len(lobs):
        return f"lobs must be a non-empty list of distinct codes from {', '.join(facts.lobs)}"
    if "auto" in lobs and profile["vehicles"][1] < 1:
        return "lobs lists auto but vehicles allows none"
    weight = profile.get("weight", 1)
    if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight <= 0:
        return "weight must be a positive number"
    staff = profile.get("min_staff_per_vehicle", 0)
    if not isinstance(staff, (int, float)) or isinstance(staff, bool) or staff < 0:
        return "min_staff_per_vehicle must be a number >= 0"
    if not isinstance(profile.get("legal_suffix", True), bool):
        return "legal_suffix must be true or false"
    return None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _string_list(value) -> list[str]:
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return value
    return []


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


# ---------------------------------------------------------------------------------------- scenarios


def _scenario_plan(count: int) -> list[str]:
    plan = []
    for scenario, share in _SCENARIO_SHARES:
        plan += [scenario] * round(share * count)
    if len(plan) > count:
        raise ValueError(f"count {count} is too small for the planned edge cases")
    return plan + ["general"] * (count - len(plan))


def _size_measure(code: str, size_standards: dict[str, dict]) -> tuple[str, int] | None:
    """Which applicant figure the SBA standard limits, and the limit; None when it cannot be checked
    from revenue or employees (asset-based standards of banks, public bodies without a standard)."""
    standard = size_standards.get(code) or {}
    if standard.get("receipts_musd") is not None:
        return "annual_revenue", round(standard["receipts_musd"] * 1_000_000)
    if standard.get("employees") is not None:
        return "employees", int(standard["employees"])
    return None


def _pool(profiles: list[dict], scenario: str, size_standards: dict[str, dict], facts: InsurerFacts) -> list[dict]:
    """The profiles that can plausibly play a scenario (in file order, so draws are reproducible)."""

    def fits(profile: dict) -> bool:
        if scenario in _THRESHOLD_SCENARIOS:
            # Only industries whose typical firm already comes within reach of the standard: an SBA-sized
            # florist would be absurd, a restaurant group or a 500-employee machine shop is not.
            measure = _size_measure(profile["naics"], size_standards)
            if measure is None:
                return False
            figure, limit = measure
            # employee standards (500-1,500) get their own, milder scenario: "large" would mean thousands
            if (scenario == "not_small_employees") != (figure == "employees") and scenario in _BIG_FIRM_SCENARIOS:
                return False
            high = profile["revenue"][1] if figure == "annual_revenue" else profile["employees"][1]
            return high >= 0.4 * limit
        if scenario in ("fleet_over_20", "fleet_of_20"):
            return profile["vehicles"][1] >= facts.fleet_limit
        if scenario in ("payroll_over_5m", "payroll_at_5m", "payroll_near_5m"):
            return profile["employees"][1] * profile["payroll_per_employee"][1] >= 0.6 * facts.payroll_limit
        if scenario == "hospitality_wood":
            return profile["naics"] in facts.hospitality_leasing_codes and bool(_phrases(profile, {"V"}, facts))
        if scenario == "hospitality_fire_resistive":
            return profile["naics"] in facts.hospitality_leasing_codes and bool(_phrases(profile, {"I", "II"}, facts))
        return True

    return [p for p in profiles if fits(p)]


def _phrases(profile: dict, classes: set[str], facts: InsurerFacts) -> list[str]:
    return [ph for ph in profile["construction"] if facts.construction_class(ph) in classes]


def _flags(profile: dict, figures: dict, size_standards: dict[str, dict], facts: InsurerFacts) -> set[str]:
    """The edge cases an applicant's figures fall into."""
    flags = set()
    measure = _size_measure(profile["naics"], size_standards)
    if measure:
        figure, limit = measure
        value = figures[figure]
        if value > limit:  # SBA: small means not exceeding the standard
            flags.add("not_small")
            if value <= 1.05 * limit:
                flags.add("just_over_threshold")
        elif value >= 0.95 * limit:
            flags.add("near_threshold")
    if figures["vehicles"] > facts.fleet_limit:
        flags.add("fleet_over_20")
    elif figures["vehicles"] == facts.fleet_limit:
        flags.add("fleet_of_20")
    if figures["annual_payroll"] > facts.payroll_limit:
        flags.add("payroll_over_5m")
    elif figures["annual_payroll"] >= 0.98 * facts.payroll_limit:
        flags.add("payroll_near_5m")
    return flags


# ---------------------------------------------------------------------------------------- figures
# Every figure of a business is read from its profile's ranges at one "size" u (0 = the low ends,
# 1 = the high ends, on a log scale, with a little independent noise), so revenue, employees, payroll and
# fleet grow together. Edge cases fix one figure (revenue at the size standard, 25 trucks, a $6M payroll),
# solve for the size that figure implies, and derive the rest from it.


def _draw_business(
    rng: random.Random, pool: list[dict], scenario: str, size_standards: dict[str, dict], facts: InsurerFacts
):
    required = _REQUIRED_FLAGS[scenario]
    allowed_extra = _BIG_FIRM_FLAGS if scenario in _BIG_FIRM_SCENARIOS else set()
    weights = [p.get("weight", 1) for p in pool]
    for _ in range(500):
        profile = rng.choices(pool, weights=weights)[0]
        figures, size = _draw_figures(rng, profile, scenario, size_standards, facts)
        flags = _flags(profile, figures, size_standards, facts)
        if required <= flags and flags - required <= allowed_extra:
            return profile, figures, _scale_hints(profile, size)
    raise ValueError(f"could not generate a {scenario!r} applicant from the profiles; widen their ranges")


def _draw_figures(
    rng: random.Random, profile: dict, scenario: str, size_standards: dict[str, dict], facts: InsurerFacts
):
    fixed: dict[str, int] = {}
    pay_rate = rng.uniform(*profile["payroll_per_employee"])
    measure = _size_measure(profile["naics"], size_standards)
    if scenario in _THRESHOLD_SCENARIOS and measure is not None:  # _pool admits only profiles with a measure
        figure, limit = measure
        if scenario == "not_small":
            factor = math.exp(rng.uniform(math.log(1.07), math.log(1.8)))
        elif scenario == "not_small_large":
            factor = math.exp(rng.uniform(math.log(1.2), math.log(2.5)))
        elif scenario == "not_small_employees":
            factor = rng.uniform(1.05, 1.6)  # mid-size, not a national manufacturer
        elif scenario == "not_small_just_over":
            factor = rng.uniform(1.005, 1.045)
        else:
            factor = rng.uniform(0.955, 0.998)
        if figure == "annual_revenue":
            fixed["annual_revenue"] = _round_k(limit * factor)
            size = _size_of(profile["revenue"], fixed["annual_revenue"])
        else:
            fixed["employees"] = math.ceil(limit * factor) if factor > 1 else math.floor(limit * factor)
            size = _size_of(profile["employees"], fixed["employees"])
    elif scenario in ("fleet_over_20", "fleet_of_20"):
        high, fleet_limit = profile["vehicles"][1], facts.fleet_limit
        fixed["vehicles"] = (
            fleet_limit if scenario == "fleet_of_20" else rng.randint(fleet_limit + 1, max(30, round(high * 1.2)))
        )
        size = _size_of(_offset(profile["vehicles"]), fixed["vehicles"] + 1)
    elif scenario in ("payroll_over_5m", "payroll_at_5m", "payroll_near_5m"):
        if scenario == "payroll_over_5m":
            payroll = _round_k(facts.payroll_limit * math.exp(rng.uniform(math.log(1.02), math.log(2.4))))
        elif scenario == "payroll_at_5m":
            payroll = facts.payroll_limit
        else:
            payroll = _round_k(rng.uniform(0.981, 0.999) * facts.payroll_limit)
        fixed["annual_payroll"] = payroll
        fixed["employees"] = max(1, round(payroll / pay_rate))
        size = _size_of(profile["employees"], fixed["employees"])
    else:
        size = rng.random() ** 1.3  # most small businesses sit at the small end of their industry

    figures = dict(fixed)
    if "employees" not in figures:
        count = _at_size(profile["employees"], _noisy(rng, size, 0.06))
        figures["employees"] = max(profile["employees"][0], round(count))
    if "vehicles" not in figures:
        low, high = profile["vehicles"]
        fleet = _at_size(_offset(profile["vehicles"]), _noisy(rng, size, 0.12)) - 1 if high > low else low
        figures["vehicles"] = max(low, round(fleet))
    if "employees" not in fixed:
        # a fleet needs people to drive it (rental fleets excepted: their profiles set no minimum)
        staff = math.ceil(figures["vehicles"] * profile.get("min_staff_per_vehicle", 0))
        figures["employees"] = max(figures["employees"], staff, 1)
    if "annual_payroll" not in figures:
        figures["annual_payroll"] = max(1000, _round_k(figures["employees"] * pay_rate))
    if "annual_revenue" not in figures:
        figures["annual_revenue"] = _round_k(_at_size(profile["revenue"], _noisy(rng, size, 0.06)))
    # Wages cannot eat the whole top line: keep payroll under 70% of revenue, moving whichever is not fixed.
    if figures["annual_payroll"] > 0.7 * figures["annual_revenue"]:
        labour_share = rng.uniform(0.4, 0.65)
        if "annual_revenue" in fixed:
            figures["annual_payroll"] = _round_k(figures["annual_revenue"] * labour_share)
        else:
            figures["annual_revenue"] = _round_k(figures["annual_payroll"] / labour_share)
    return figures, size


def _offset(bounds: list[int]) -> list[int]:
    # vehicles may start at 0; shift by one so the log scale works
    return [bounds[0] + 1, bounds[1] + 1]


def _at_size(bounds: list[int], size: float) -> float:
    low, high = bounds
    return math.exp(math.log(low) + size * (math.log(high) - math.log(low)))


def _size_of(bounds: list[int], value: float) -> float:
    low, high = bounds
    if high <= low:
        return 1.0
    return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))


def _noisy(rng: random.Random, size: float, spread: float) -> float:
    # reflected at 0 rather than clipped, so figures do not pile up exactly on a range's low end
    return abs(size + rng.gauss(0.0, spread))


def _round_k(value: float) -> int:
    return max(1000, int(round(value / 1000)) * 1000)


def _scale_hints(profile: dict, size: float) -> dict[str, str]:
    hints = {}
    for key in sorted(profile.get("scale_hints", {})):
        low, high = profile["scale_hints"][key]
        # capped so an unusually large firm gets a large, not an absurd, building
        hints[key] = f"{_nice(low + min(max(size, 0.0), 1.3) * (high - low)):,}"
    return hints


def _nice(value: float) -> int:
    """Round a description number the way people say it: 7, 35, 120, 4,500, 12,000."""
    for limit, step in ((20, 1), (100, 5), (1000, 10), (10000, 100), (100000, 1000)):
        if value < limit:
            return max(step, int(round(value / step)) * step)
    return int(round(value / 10000)) * 10000


# ---------------------------------------------------------------------------------------- words


def _company_name(rng: random.Random, profile: dict, used: set[str]) -> tuple[str, str]:
    """A company name not used before (compared without the legal suffix) and its short form."""
    for _ in range(200):
        surname, surname2 = rng.sample(_SURNAMES, 2)
        first, second, third = rng.sample(_INITIAL_LETTERS, 3)
        words = {
            "surname": surname,
            "surname2": surname2,
            "given": rng.choice(_GIVEN_NAMES),
            "place": rng.choice(_PLACES),
            "adjective": rng.choice(_ADJECTIVES),
            "brand": rng.choice(_BRANDS),
            "initials": rng.choice((f"{first}&{second}", f"{first}{second}{third}")),
        }
        short = rng.choice(profile["name_patterns"]).format(**words)
        suffix = rng.choice(_LEGAL_SUFFIXES) if profile.get("legal_suffix", True) else ""
        if short.lower() not in used:
            used.add(short.lower())
            return (f"{short} {suffix}" if suffix else short), short
    raise ValueError(f"ran out of distinct company names for {profile['kind']!r}; add name patterns")


def _description(
    rng: random.Random, profile: dict, short_name: str, state: str, figures: dict, hints: dict, facts: InsurerFacts
) -> str:
    state_name = facts.state_names.get(state, state)
    if state == "DC":
        city_phrase = "Washington, DC"  # no trailing period: descriptions often end a sentence with the place
    else:
        city_phrase = rng.choice(_CITY_PHRASES).format(town=rng.choice(_PLACES), state=state_name)
    return rng.choice(profile["descriptions"]).format(
        name=short_name,
        city_phrase=city_phrase,
        state_name=state_name,
        employees=f"{figures['employees']:,}",
        vehicles=f"{figures['vehicles']:,}",
        **hints,
    )


def _construction(rng: random.Random, profile: dict, scenario: str, facts: InsurerFacts) -> str:
    if scenario == "hospitality_wood":
        return rng.choice(_phrases(profile, {"V"}, facts))
    if scenario == "hospitality_fire_resistive":
        return rng.choice(_phrases(profile, {"I", "II"}, facts))
    return rng.choice(profile["construction"])


def _requested_lob(rng: random.Random, profile: dict, scenario: str, vehicles: int) -> str:
    preferred = _PREFERRED_LOB.get(scenario)
    if preferred is not None and preferred in profile["lobs"] and rng.random() < 0.6:
        return preferred
    # nobody asks for commercial auto without a vehicle
    choices = [lob for lob in profile["lobs"] if vehicles > 0 or lob != "auto"]
    return rng.choice(choices or profile["lobs"])
