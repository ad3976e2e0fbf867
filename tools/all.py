"""The tools the product offers: the one list its callers hand to ``Toolkit`` (the boundary runs what it is given).

The only module that names every tool; nothing inside ``tools/`` imports it (the contract in pyproject.toml).
"""

from __future__ import annotations

from tools import applicants, calculator, findings, guidelines, naics, sql, underwriting
from tools.spec import ToolSpec, specs_in

# The order the model reads the tools in (and the order ``uwc tool --list`` prints them).
MODULES = (applicants, calculator, findings, guidelines, naics, sql, underwriting)


def default_tools() -> tuple[ToolSpec, ...]:
    """Every tool the product offers, each module's in the order it defines them."""
    return tuple(spec for module in MODULES for spec in specs_in(module))
