"""Attacks of the security issue's red team, one module per area; ``python -m bench.security`` runs them all.

Each attack is a function decorated with ``@attack(area, name)`` that returns ``Outcome(held, detail)``: held means
the product did what it must (refused, bounded, kept the secret, ...). An attack sets up what it needs (a seeded
folder through ``tests.conftest.cached_seed``, a PostgreSQL database through ``tests.pg.fresh_database``) and
cleans up after itself. Attacks must stay on loopback and finish in seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    held: bool
    detail: str


@dataclass(frozen=True)
class Attack:
    area: str
    name: str
    run: Callable[[], Outcome]


ATTACKS: list[Attack] = []


def attack(area: str, name: str):
    """Register an attack (a function returning ``Outcome``)."""

    def register(fn: Callable[[], Outcome]) -> Callable[[], Outcome]:
        ATTACKS.append(Attack(area, name, fn))
        return fn

    return register
