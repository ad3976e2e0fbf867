"""The layers point one way: app -> evals -> graph -> tools -> seed_db (+ guidelines) -> retrieval -> core.

The contract lives in pyproject.toml ([tool.importlinter]); `make lint` runs the same check with ruff and mypy.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_no_module_imports_a_layer_above_it(capsys):
    code = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    assert code == 0, capsys.readouterr().out


def test_every_package_is_in_the_contract():
    """A new top-level package outside the layers would be unchecked: the contract must name every one."""
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in config["tool"]["setuptools"]["packages"]["find"]["include"]}
    [contract] = config["tool"]["importlinter"]["contracts"]
    layered = {name.strip() for layer in contract["layers"] for name in layer.replace(":", "|").split("|")}
    assert packages == layered == set(config["tool"]["importlinter"]["root_packages"])
