"""The layers point one way: app -> evals -> graph -> tools -> seed_db (+ guidelines) -> retrieval -> core, and
``tools/`` is a tree (the tool list on top, the boundary beside the tools, what they share below, no cycle).

The contracts live in pyproject.toml ([tool.importlinter]); `make lint` runs the same check with ruff and mypy.
"""

from __future__ import annotations

import ast
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


def _layered(contract: dict) -> set[str]:
    return {name.strip() for layer in contract["layers"] for name in layer.replace(":", "|").split("|")}


def _contracts() -> tuple[dict, list[dict]]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    return config, config["tool"]["importlinter"]["contracts"]


def test_every_package_is_in_the_contract():
    """A new top-level package outside the layers would be unchecked: the contract must name every one."""
    config, contracts = _contracts()
    packages = {p.rstrip("*") for p in config["tool"]["setuptools"]["packages"]["find"]["include"]}
    [contract] = [c for c in contracts if c["type"] == "layers" and "containers" not in c]
    assert packages == _layered(contract) == set(config["tool"]["importlinter"]["root_packages"])


def test_every_module_of_tools_is_in_its_tree():
    """A new module of tools/ outside its layers could import anything there: the contract must name every one,
    and another contract keeps tools/ free of cycles."""
    _, contracts = _contracts()
    [tree] = [c for c in contracts if c.get("containers") == ["tools"]]
    modules = {p.stem for p in (PYPROJECT.parent / "tools").glob("*.py") if p.stem != "__init__"}
    assert _layered(tree) == modules
    assert any(c["type"] == "acyclic_siblings" and c["ancestors"] == ["tools"] for c in contracts)


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def test_no_module_imports_a_private_name_of_a_dependency():
    """A library's ``_name`` can change or vanish in any release (graph/state.py once took LangGraph's private
    messages reducer): product code imports only what its dependencies publish."""
    config, _ = _contracts()
    ours = set(config["tool"]["importlinter"]["root_packages"])
    found = []
    for package in sorted(ours):
        for path in sorted((PYPROJECT.parent / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    if node.module.split(".")[0] not in ours:
                        names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                        found += [f"{path.relative_to(PYPROJECT.parent)}: {n}" for n in names if _private(n)]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names if a.name.split(".")[0] not in ours]
                    found += [f"{path.relative_to(PYPROJECT.parent)}: {n}" for n in names if _private(n)]
    assert found == []
