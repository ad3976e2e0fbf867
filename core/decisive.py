"""The call that decides a task: its deciding tool with the arguments the known facts give.

The offline rules model makes this call to answer; the online checks make it again to re-verify a finding. One
definition, so the two can never disagree on what a determination rests on.
"""

from __future__ import annotations

from typing import NamedTuple

from core.vocabulary import TASKS

CLASSIFY_DEPTH = 10  # a classification is confirmed when the classifier ranks its code among this many
MAX_DESCRIPTION = 2_000  # characters of a description handed to the classifier


class ToolCall(NamedTuple):
    tool: str
    args: dict


def missing(value: object) -> bool:
    return value is None or value == ""


def decisive_call(task: str, facts: dict) -> ToolCall | None:
    """The task's deciding tool and its arguments from ``facts``, or None when a fact it needs is missing.

    Arguments come in the order the tool lists them: the facts it needs, the line to leave out, the figures known.
    ``facts`` may name the line to leave out as ``exclude_lob`` (a tool call's argument) or as ``lob``."""
    spec = TASKS[task]
    if any(missing(facts.get(k)) for k in spec.needs):
        return None
    args = {k: facts[k] for k in spec.needs}
    if "description" in args:
        args = {"description": str(args["description"])[:MAX_DESCRIPTION], "k": CLASSIFY_DEPTH}
    if spec.leaves_out_line and not missing(left_out := facts.get("exclude_lob") or facts.get("lob")):
        args["exclude_lob"] = left_out
    args |= {k: facts[k] for k in spec.figures if not missing(facts.get(k))}
    return ToolCall(spec.tool, args)
