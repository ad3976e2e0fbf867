"""What a tool is: a typed function whose docstring is the contract the model reads, and the spec derived from it.

A tool is ``def name(ctx: ToolContext, arg: T, ...) -> dict``: the first paragraph of its docstring is the
description, the ``Args:`` lines describe the arguments. ``@tool`` derives its JSON schema from the signature with
pydantic, never by hand. Nothing is registered anywhere: ``tools/all.py`` lists the tools the product offers, and
whoever builds a ``Toolkit`` hands it that list (or another).
"""

from __future__ import annotations

import copy
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from types import ModuleType
from typing import Any, TypeVar, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from core.vocabulary import LINE_FIELDS

F = TypeVar("F", bound=Callable[..., dict])
_SPEC = "__tool_spec__"  # the attribute ``@tool`` sets on the function


@dataclass(frozen=True)
class ToolSpec:
    name: str
    func: Callable[..., dict]
    description: str
    args_model: type[BaseModel]
    lob_args: tuple[str, ...]  # arguments that name a line of business: checked by the product guard

    @property
    def json_schema(self) -> dict:
        """The arguments' JSON schema: a copy of the one built once, the caller's to change."""
        return copy.deepcopy(self._schema)

    @cached_property
    def _schema(self) -> dict:  # (pydantic builds it afresh on every call: 0.1-0.3 ms)
        schema = self.args_model.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return schema

    @cached_property
    def not_booleans(self) -> frozenset[str]:
        """The arguments JSON true/false is no value of: those that take neither a boolean nor any value."""
        props = self._schema.get("properties", {})
        return frozenset(name for name, prop in props.items() if not _accepts_boolean(prop))

    def openai_schema(self) -> dict:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.json_schema},
        }


def _accepts_boolean(schema: dict) -> bool:
    options = schema.get("anyOf") or [schema]
    return any(o.get("type") in ("boolean", None) and "$ref" not in o and "enum" not in o for o in options)


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Google-style docstring -> (description without the Args block, {arg: text})."""
    doc = inspect.cleandoc(doc or "")
    args: dict[str, str] = {}
    m = re.search(r"^Args:\s*$", doc, flags=re.M)
    if not m:
        return doc, args
    head, block = doc[: m.start()].rstrip(), doc[m.end() :]
    rest = re.search(r"^\S.*:\s*$", block, flags=re.M)  # next section (e.g. Returns:)
    tail = ""
    if rest:
        block, tail = block[: rest.start()], block[rest.start() :]
    current = None
    for line in block.splitlines():
        mm = re.match(r"^\s{2,}(\w+)(?: \([^)]*\))?:\s*(.*)$", line)
        if mm:
            current = mm[1]
            args[current] = mm[2].strip()
        elif current and line.strip():
            args[current] += " " + line.strip()
    description = (head + ("\n\n" + tail.strip() if tail.strip() else "")).strip()
    return description, args


def tool(func: F) -> F:
    """Mark ``func`` as a tool and derive its spec (``spec_of``). Its first parameter is the injected ``ToolContext``;
    the function itself is unchanged, so code and tests may still call it directly."""
    description, arg_docs = _parse_docstring(func.__doc__ or "")
    hints = get_type_hints(func, include_extras=True)
    params = list(inspect.signature(func).parameters.values())[1:]  # skip ctx
    fields: dict[str, Any] = {}
    for p in params:
        default = ... if p.default is inspect.Parameter.empty else p.default
        fields[p.name] = (hints.get(p.name, Any), Field(default, description=arg_docs.get(p.name)))
    model = create_model(f"{func.__name__}_args", __config__=ConfigDict(extra="forbid"), **fields)
    spec = ToolSpec(func.__name__, func, description, model, tuple(n for n in fields if n in LINE_FIELDS))
    setattr(func, _SPEC, spec)
    return func


def spec_of(func: Callable[..., Any]) -> ToolSpec | None:
    return getattr(func, _SPEC, None)


def specs_in(module: ModuleType) -> list[ToolSpec]:
    """The tools ``module`` defines (not those it imports), in the order it defines them."""
    found = (spec_of(f) for f in vars(module).values() if getattr(f, "__module__", None) == module.__name__)
    return [s for s in found if s is not None]
