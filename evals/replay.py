"""Scripted replays: YAML conversation scripts with expectations per turn, run against the real graph.

    name: Harbor Lights, property appetite
    turns:
      - user: Is Harbor Lights in appetite for property?
        expect:
          tools: [find_applicant]          # called this turn, in this order (other calls may come between)
          no_tools: [run_sql]              # not called this turn
          contains: ["construction"]       # in the answer, case-insensitive
          not_contains: ["umbrella"]
          finding: {task_type: appetite, appetite: "no"}   # fields of the finding recorded this turn
          no_finding: true                 # no finding recorded this turn
          no_guard_violation: true         # no guard event, no product we don't write in the answer
          no_tool_errors: true

A script stops at its first failed expectation, which is reported as a readable diff.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.vocabulary import MONEY_VERDICTS
from evals.grading import normalize_lobs


class ReplayFileError(ValueError):
    pass


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tools: list[str] = Field(default_factory=list)
    no_tools: list[str] = Field(default_factory=list)
    contains: list[str] = Field(default_factory=list)
    not_contains: list[str] = Field(default_factory=list)
    finding: dict | None = None
    no_finding: bool = False
    no_guard_violation: bool = False
    no_tool_errors: bool = False

    @field_validator("tools", "no_tools", "contains", "not_contains", mode="before")
    @classmethod
    def _one_or_many(cls, v):
        return [v] if isinstance(v, str) else v


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1)
    expect: Expect = Field(default_factory=Expect)


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None
    turns: list[Turn] = Field(min_length=1)


@dataclass
class ReplayResult:
    path: Path
    name: str
    ok: bool
    turns_run: int
    failure: str | None = None  # the readable diff of the first failed expectation


def load_script(path: Path | str) -> Script:
    path = Path(path)
    if not path.is_file():
        raise ReplayFileError(f"{path}: no such file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ReplayFileError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ReplayFileError(f"{path}: expected a mapping with 'name' and 'turns'")
    try:
        return Script.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:5]:
            loc = ".".join(str(p) for p in err["loc"])
            what = {"missing": "missing field", "extra_forbidden": "unknown field"}.get(err["type"])
            problems.append(f"{what} {loc!r}" if what else f"{loc}: {err['msg']}")
        raise ReplayFileError(f"{path}: {'; '.join(problems)}") from None


def _subsequence(wanted: list[str], called: list[str]) -> bool:
    it = iter(called)
    return all(any(c == w for c in it) for w in wanted)


def _diff(expected: list[str], actual: list[str]) -> str:
    lines = difflib.unified_diff(expected, actual, "expected", "actual", lineterm="", n=len(expected) + len(actual))
    return "\n".join("    " + line for line in list(lines)[2:] if not line.startswith("@@"))


def check_turn(expect: Expect, result, catalog) -> list[str]:
    """The failed expectations of one turn, each a readable block (empty when all hold)."""
    from tools.guard import scan_products

    problems: list[str] = []
    called = [s["tool"] for s in result.steps]
    answer = result.answer or ""
    low = answer.lower()
    if expect.tools and not _subsequence(expect.tools, called):
        problems.append(f"tools called (expected these, in order):\n{_diff(expect.tools, called)}")
    bad = [t for t in expect.no_tools if t in called]
    if bad:
        problems.append(
            f"tools that must not be called were called: {', '.join(bad)} (called: {', '.join(called) or 'none'})"
        )
    for text in expect.contains:
        if text.lower() not in low:
            problems.append(f"answer should contain {text!r}")
    for text in expect.not_contains:
        if text.lower() in low:
            problems.append(f"answer should not contain {text!r}")
    if expect.no_finding and result.finding:
        problems.append(f"no finding expected, got {json.dumps(_verdict(result.finding))}")
    if expect.finding is not None:
        if not result.finding:
            problems.append(
                f"finding expected:\n    - {json.dumps(expect.finding)}\n    + (no finding recorded this turn)"
            )
        else:
            wrong = []
            for key, want in expect.finding.items():
                got = result.finding.get(key)
                if not field_matches(key, got, want, catalog):
                    wrong.append(
                        f"    finding.{key}\n    - expected: {json.dumps(want)}\n    + actual:   {json.dumps(got)}"
                    )
            if wrong:
                problems.append("finding fields differ:\n" + "\n".join(wrong))
    if expect.no_guard_violation:
        guard = [e for e in result.events if e.get("type") == "guard"]
        invented = scan_products(answer, catalog)
        if guard or invented:
            what = [f"{g.get('where')}: {', '.join(g.get('products') or [str(g.get('value'))])}" for g in guard]
            what += [f"answer names {p}" for p in invented]
            problems.append(f"guard violation: {'; '.join(what)}")
    if expect.no_tool_errors:
        errors = [f"{s['tool']}: {s['result'].get('error')}" for s in result.steps if not s["ok"]]
        if errors:
            problems.append("tool errors:\n" + "\n".join(f"    {e}" for e in errors))
    return problems


def field_matches(key: str, got, want, catalog=None) -> bool:
    """One finding field against its expectation, compared as the grader compares it."""
    if got is None:
        return want is None
    if key == "lobs":
        return set(normalize_lobs(got, catalog)) == set(normalize_lobs(want, catalog))
    if key in MONEY_VERDICTS:
        try:
            return int(round(float(got))) == int(want)
        except (TypeError, ValueError):
            return False
    if key == "naics":
        return str(got) == str(want)
    return got == want


def _verdict(finding: dict) -> dict:
    return {k: v for k, v in finding.items() if k not in ("summary", "facts", "citations")}


def _steps_text(result) -> str:
    return ", ".join(f"{s['tool']}({'ok' if s['ok'] else 'error'})" for s in result.steps) or "none"


def run_script(copilot, path: Path | str, script: Script | None = None) -> ReplayResult:
    """Run one script on a new conversation; stop at the first turn whose expectations fail."""
    path = Path(path)
    script = script or load_script(path)
    catalog = copilot.toolkit.ctx.catalog
    thread = copilot.new_thread(title=f"replay {script.name}")
    for i, turn in enumerate(script.turns, start=1):
        result = copilot.send(thread.id, turn.user)
        problems = check_turn(turn.expect, result, catalog)
        if problems:
            body = "\n".join(f"  ✗ {p}" for p in problems)
            failure = (
                f"{path}: turn {i} of {len(script.turns)} failed\n  user:    {turn.user}\n  copilot: {result.answer}\n"
                f"  tools:   {_steps_text(result)}\n"
                + (f"  finding: {json.dumps(_verdict(result.finding))}\n" if result.finding else "")
                + body
            )
            return ReplayResult(path, script.name, False, i, failure)
    return ReplayResult(path, script.name, True, len(script.turns))


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for its *.yaml files."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        out += sorted(p.glob("*.yaml")) if p.is_dir() else [p]
    return out
