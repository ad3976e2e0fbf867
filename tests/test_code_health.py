"""The layers point one way: app -> evals -> graph -> tools -> seed_db (+ guidelines) -> retrieval -> core.

The contract lives in pyproject.toml ([tool.importlinter]); `make lint` runs the same check with ruff and mypy.
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_no_module_imports_a_layer_above_it(capsys):
    # lint_imports configures logging with dictConfig, which disables every logger that exists (ours included) for
    # the rest of the process: a later test in the same worker would then see no log records at all.
    loggers = [lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    enabled = [lg for lg in loggers if not lg.disabled]
    try:
        code = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    finally:
        for lg in enabled:
            lg.disabled = False
    assert code == 0, capsys.readouterr().out
    assert not logging.getLogger("uwc.tracing").disabled


def test_every_package_is_in_the_contract():
    """A new top-level package outside the layers would be unchecked: the contract must name every one."""
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in config["tool"]["setuptools"]["packages"]["find"]["include"]}
    [contract] = config["tool"]["importlinter"]["contracts"]
    layered = {name.strip() for layer in contract["layers"] for name in layer.replace(":", "|").split("|")}
    assert packages == layered == set(config["tool"]["importlinter"]["root_packages"])
