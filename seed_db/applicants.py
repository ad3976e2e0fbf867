"""Fictional small-business applicants (insurance submissions) for the seed database.

The copilot needs a few hundred submissions the underwriters can ask about: company name, what it does,
where, how big (revenue, employees, payroll, vehicles), the building it occupies and the line of business
it wants. This module turns the business archetypes in ``data/applicant_profiles.yaml`` and the word banks in
``data/applicant_words.yaml`` (both read and validated by ``applicant_inputs``) into such applicants,
deterministically: the same profiles, words, inputs and seed always give byte-identical output.

Most applicants are ordinary small businesses, but a fixed share is deliberately built around the edge
cases the underwriting rules care about (a business that is not small under its SBA size standard, a fleet
of more than 20 vehicles, a payroll over $5M, a workers-compensation request from a monopolistic state,
a hotel or landlord in a wood-frame building ...), so the evaluation has enough of each to test.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from seed_db.applicant_inputs import ApplicantWords, InsurerFacts, Profile

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

# Flattened on purpose so North Dakota and Wyoming show up too, not only Ohio and Washington.
_MONOPOLISTIC_WEIGHTS = {"ND": 1.5, "OH": 4.0, "WA": 3.0, "WY": 1.5}


def generate_applicants(
    profiles: list[Profile],
    words: ApplicantWords,
    size_standards: dict[str, dict],
    facts: InsurerFacts,
    *,
    seed: int = 20230317,
    count: int = 300,
) -> list[dict]:
    """Generate ``count`` fictional applicants from the profiles, deterministically for a given seed.

    ``words`` are the word banks names and places are made of;
    ``size_standards[code]`` is the SBA base row ({"receipts_musd", "employees", "assets_musd"});
    ``facts`` are the insurer's rules the edge cases play to and the states applicants may be located in.
    Returns dicts with keys id, company_name, description, naics_code, state, annual_revenue, employees,
    annual_payroll, vehicles, construction, requested_lob.
    """
    if not 1 <= count <= 9999:
        raise ValueError("count must be between 1 and 9999 (ids are APP-0001 to APP-9999)")

    # Only random.Random(seed) is used, never the global generator, the clock or str hashes (salted per
    # process), so the output is the same in every run.
    rng = random.Random(seed)
    states = list(facts.state_names)
    usual_states = [s for s in states if s not in facts.monopolistic_wc_states]
    usual_weights = [facts.state_population_m[s] for s in usual_states]
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
        name, short_name = _company_name(rng, profile, words, used_names)
        applicants.append(
            {
                "id": f"APP-{number:04d}",
                "company_name": name,
                "description": _description(rng, profile, words, short_name, state, figures, hints, facts),
                "naics_code": profile.naics,
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


def _pool(
    profiles: list[Profile], scenario: str, size_standards: dict[str, dict], facts: InsurerFacts
) -> list[Profile]:
    """The profiles that can plausibly play a scenario (in file order, so draws are reproducible)."""

    def fits(profile: Profile) -> bool:
        if scenario in _THRESHOLD_SCENARIOS:
            # Only industries whose typical firm already comes within reach of the standard: an SBA-sized
            # florist would be absurd, a restaurant group or a 500-employee machine shop is not.
            measure = _size_measure(profile.naics, size_standards)
            if measure is None:
                return False
            figure, limit = measure
            # employee standards (500-1,500) get their own, milder scenario: "large" would mean thousands
            if (scenario == "not_small_employees") != (figure == "employees") and scenario in _BIG_FIRM_SCENARIOS:
                return False
            high = profile.revenue[1] if figure == "annual_revenue" else profile.employees[1]
            return high >= 0.4 * limit
        if scenario in ("fleet_over_20", "fleet_of_20"):
            return profile.vehicles[1] >= facts.fleet_limit
        if scenario in ("payroll_over_5m", "payroll_at_5m", "payroll_near_5m"):
            return profile.employees[1] * profile.payroll_per_employee[1] >= 0.6 * facts.payroll_limit
        if scenario == "hospitality_wood":
            return profile.naics in facts.hospitality_leasing_codes and bool(_phrases(profile, {"V"}, facts))
        if scenario == "hospitality_fire_resistive":
            return profile.naics in facts.hospitality_leasing_codes and bool(_phrases(profile, {"I", "II"}, facts))
        return True

    return [p for p in profiles if fits(p)]


def _phrases(profile: Profile, classes: set[str], facts: InsurerFacts) -> list[str]:
    return [ph for ph in profile.construction if facts.construction_class(ph) in classes]


def _flags(profile: Profile, figures: dict, size_standards: dict[str, dict], facts: InsurerFacts) -> set[str]:
    """The edge cases an applicant's figures fall into."""
    flags = set()
    measure = _size_measure(profile.naics, size_standards)
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
    rng: random.Random, pool: list[Profile], scenario: str, size_standards: dict[str, dict], facts: InsurerFacts
):
    required = _REQUIRED_FLAGS[scenario]
    allowed_extra = _BIG_FIRM_FLAGS if scenario in _BIG_FIRM_SCENARIOS else set()
    weights = [p.weight for p in pool]
    for _ in range(500):
        profile = rng.choices(pool, weights=weights)[0]
        figures, size = _draw_figures(rng, profile, scenario, size_standards, facts)
        flags = _flags(profile, figures, size_standards, facts)
        if required <= flags and flags - required <= allowed_extra:
            return profile, figures, _scale_hints(profile, size)
    raise ValueError(f"could not generate a {scenario!r} applicant from the profiles; widen their ranges")


def _draw_figures(
    rng: random.Random, profile: Profile, scenario: str, size_standards: dict[str, dict], facts: InsurerFacts
):
    fixed: dict[str, int] = {}
    pay_rate = rng.uniform(*profile.payroll_per_employee)
    measure = _size_measure(profile.naics, size_standards)
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
            size = _size_of(profile.revenue, fixed["annual_revenue"])
        else:
            fixed["employees"] = math.ceil(limit * factor) if factor > 1 else math.floor(limit * factor)
            size = _size_of(profile.employees, fixed["employees"])
    elif scenario in ("fleet_over_20", "fleet_of_20"):
        high, fleet_limit = profile.vehicles[1], facts.fleet_limit
        fixed["vehicles"] = (
            fleet_limit if scenario == "fleet_of_20" else rng.randint(fleet_limit + 1, max(30, round(high * 1.2)))
        )
        size = _size_of(_offset(profile.vehicles), fixed["vehicles"] + 1)
    elif scenario in ("payroll_over_5m", "payroll_at_5m", "payroll_near_5m"):
        if scenario == "payroll_over_5m":
            payroll = _round_k(facts.payroll_limit * math.exp(rng.uniform(math.log(1.02), math.log(2.4))))
        elif scenario == "payroll_at_5m":
            payroll = facts.payroll_limit
        else:
            payroll = _round_k(rng.uniform(0.981, 0.999) * facts.payroll_limit)
        fixed["annual_payroll"] = payroll
        fixed["employees"] = max(1, round(payroll / pay_rate))
        size = _size_of(profile.employees, fixed["employees"])
    else:
        size = rng.random() ** 1.3  # most small businesses sit at the small end of their industry

    figures = dict(fixed)
    if "employees" not in figures:
        count = _at_size(profile.employees, _noisy(rng, size, 0.06))
        figures["employees"] = max(profile.employees[0], round(count))
    if "vehicles" not in figures:
        low, high = profile.vehicles
        fleet = _at_size(_offset(profile.vehicles), _noisy(rng, size, 0.12)) - 1 if high > low else low
        figures["vehicles"] = max(low, round(fleet))
    if "employees" not in fixed:
        # a fleet needs people to drive it (rental fleets excepted: their profiles set no minimum)
        staff = math.ceil(figures["vehicles"] * profile.min_staff_per_vehicle)
        figures["employees"] = max(figures["employees"], staff, 1)
    if "annual_payroll" not in figures:
        figures["annual_payroll"] = max(1000, _round_k(figures["employees"] * pay_rate))
    if "annual_revenue" not in figures:
        figures["annual_revenue"] = _round_k(_at_size(profile.revenue, _noisy(rng, size, 0.06)))
    # Wages cannot eat the whole top line: keep payroll under 70% of revenue, moving whichever is not fixed.
    if figures["annual_payroll"] > 0.7 * figures["annual_revenue"]:
        labour_share = rng.uniform(0.4, 0.65)
        if "annual_revenue" in fixed:
            figures["annual_payroll"] = _round_k(figures["annual_revenue"] * labour_share)
        else:
            figures["annual_revenue"] = _round_k(figures["annual_payroll"] / labour_share)
    return figures, size


def _offset(bounds: Sequence[int]) -> tuple[int, int]:
    # vehicles may start at 0; shift by one so the log scale works
    return bounds[0] + 1, bounds[1] + 1


def _at_size(bounds: Sequence[int], size: float) -> float:
    low, high = bounds
    return math.exp(math.log(low) + size * (math.log(high) - math.log(low)))


def _size_of(bounds: Sequence[int], value: float) -> float:
    low, high = bounds
    if high <= low:
        return 1.0
    return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))


def _noisy(rng: random.Random, size: float, spread: float) -> float:
    # reflected at 0 rather than clipped, so figures do not pile up exactly on a range's low end
    return abs(size + rng.gauss(0.0, spread))


def _round_k(value: float) -> int:
    return max(1000, int(round(value / 1000)) * 1000)


def _scale_hints(profile: Profile, size: float) -> dict[str, str]:
    hints = {}
    for key in sorted(profile.scale_hints):
        low, high = profile.scale_hints[key]
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


def _company_name(rng: random.Random, profile: Profile, words: ApplicantWords, used: set[str]) -> tuple[str, str]:
    """A company name not used before (compared without the legal suffix) and its short form."""
    for _ in range(200):
        surname, surname2 = rng.sample(words.surnames, 2)
        first, second, third = rng.sample(words.initial_letters, 3)
        fill = {
            "surname": surname,
            "surname2": surname2,
            "given": rng.choice(words.given_names),
            "place": rng.choice(words.places),
            "adjective": rng.choice(words.adjectives),
            "brand": rng.choice(words.brands),
            "initials": rng.choice((f"{first}&{second}", f"{first}{second}{third}")),
        }
        short = rng.choice(profile.name_patterns).format(**fill)
        suffix = rng.choice(words.legal_suffixes) if profile.legal_suffix else ""
        if short.lower() not in used:
            used.add(short.lower())
            return (f"{short} {suffix}" if suffix else short), short
    raise ValueError(f"ran out of distinct company names for {profile.kind!r}; add name patterns")


def _description(
    rng: random.Random,
    profile: Profile,
    words: ApplicantWords,
    short_name: str,
    state: str,
    figures: dict,
    hints: dict,
    facts: InsurerFacts,
) -> str:
    state_name = facts.state_names.get(state, state)
    if state == "DC":
        city_phrase = "Washington, DC"  # no trailing period: descriptions often end a sentence with the place
    else:
        city_phrase = rng.choice(words.city_phrases).format(town=rng.choice(words.places), state=state_name)
    return rng.choice(profile.descriptions).format(
        name=short_name,
        city_phrase=city_phrase,
        state_name=state_name,
        employees=f"{figures['employees']:,}",
        vehicles=f"{figures['vehicles']:,}",
        **hints,
    )


def _construction(rng: random.Random, profile: Profile, scenario: str, facts: InsurerFacts) -> str:
    if scenario == "hospitality_wood":
        return rng.choice(_phrases(profile, {"V"}, facts))
    if scenario == "hospitality_fire_resistive":
        return rng.choice(_phrases(profile, {"I", "II"}, facts))
    return rng.choice(profile.construction)


def _requested_lob(rng: random.Random, profile: Profile, scenario: str, vehicles: int) -> str:
    preferred = _PREFERRED_LOB.get(scenario)
    if preferred is not None and preferred in profile.lobs and rng.random() < 0.6:
        return preferred
    # nobody asks for commercial auto without a vehicle
    choices = [lob for lob in profile.lobs if vehicles > 0 or lob != "auto"]
    return rng.choice(choices or profile.lobs)
