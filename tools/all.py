"""Importing this module registers every tool (the registry's single list)."""

from tools import applicants, calculator, findings, guidelines, naics, sql, underwriting  # noqa: F401
