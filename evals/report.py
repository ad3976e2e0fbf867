"""A run folder: results.jsonl, transcripts.jsonl, summary.json, report.md with PNG charts; and comparisons.

Everything here reads and writes files only, so the CLI, the Streamlit page and the tests share it.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.vocabulary import TASK_TYPES
from evals.metrics import summarize

COMPARED = (
    ("accuracy", "pct"),
    ("tool_error_rate", "pct"),
    ("invented_product_rate", "pct"),
    ("mean_turns", "num"),
    ("mean_tool_calls", "num"),
    ("total_cost_usd", "usd"),
    ("wall_seconds", "num"),
    ("conversation_errors", "int"),
)


class RunNotFound(FileNotFoundError):
    pass


def write_run(out_dir: Path, conversations, meta: dict) -> dict:
    """Write every file of a run and return its summary."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [c.row for c in conversations]
    with (out_dir / "results.jsonl").open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, default=str) + "\n")
    with (out_dir / "transcripts.jsonl").open("w", encoding="utf-8") as fh:
        for c in conversations:
            fh.write(
                json.dumps({"id": c.row["id"], "trial": c.row["trial"], "transcript": c.transcript}, default=str) + "\n"
            )
    summary = summarize(rows, meta)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    charts = write_charts(summary, out_dir)
    (out_dir / "report.md").write_text(render_report(summary, conversations, charts), encoding="utf-8")
    return summary


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def fmt(value, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "pct":
        return _pct(value)
    if kind == "usd":
        return f"${value:,.4f}"
    if kind == "int":
        return f"{int(value):,}"
    return f"{value:,.2f}"


def write_charts(summary: dict, out_dir: Path) -> list[str]:
    """PNG bar charts by task type (accuracy; tool errors and invented products; turns and tool calls)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    per = summary.get("by_task_type", {})
    types = [t for t in TASK_TYPES if t in per]
    if not types:
        return []
    labels = [t.replace("_", "\n") for t in types]
    files = []

    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=110)
    values = [100 * per[t]["accuracy"] for t in types]
    bars = ax.bar(labels, values, color="#2f6f9f")
    ax.bar_label(bars, labels=[f"{v:.0f}%" for v in values], padding=2, fontsize=8)
    ax.set_ylim(0, 110)
    ax.set_ylabel("accuracy (%)")
    ax.set_title(
        f"Accuracy by task type (overall {_pct(summary['accuracy'])}, {summary['conversations']} conversations)",
        fontsize=10,
    )
    ax.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "accuracy_by_task_type.png")
    plt.close(fig)
    files.append("accuracy_by_task_type.png")

    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=110)
    x = range(len(types))
    w = 0.38
    errs = [100 * per[t]["tool_error_rate"] for t in types]
    inv = [100 * per[t]["invented_product_rate"] for t in types]
    ax.bar([i - w / 2 for i in x], errs, w, label="conversations with a tool error", color="#c4702b")
    ax.bar([i + w / 2 for i in x], inv, w, label="conversations naming a product we don't write", color="#8e3b8e")
    ax.set_xticks(list(x), labels, fontsize=8)
    ax.set_ylim(0, 105)
    ax.set_ylabel("% of conversations")
    ax.set_title("Tool errors and invented products by task type", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "errors_by_task_type.png")
    plt.close(fig)
    files.append("errors_by_task_type.png")

    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=110)
    ax.bar([i - w / 2 for i in x], [per[t]["mean_turns"] for t in types], w, label="mean turns", color="#4a8f5a")
    ax.bar(
        [i + w / 2 for i in x], [per[t]["mean_tool_calls"] for t in types], w, label="mean tool calls", color="#9a9a3a"
    )
    ax.set_xticks(list(x), labels, fontsize=8)
    ax.set_title("Conversation length by task type", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "turns_by_task_type.png")
    plt.close(fig)
    files.append("turns_by_task_type.png")
    return files


def _transcript_md(transcript: list[dict]) -> str:
    lines = []
    for t in transcript:
        if t["role"] == "underwriter":
            lines.append(f"- **underwriter:** {t['text']}")
        elif t["role"] == "copilot":
            for s in t.get("tools", []):
                args = json.dumps(s["arguments"], default=str)
                status = "ok" if s["ok"] else f"error: {s.get('error', '')}"
                lines.append(f"  - `{s['tool']}({args[:200]})` → {status[:200]}")
            lines.append(f"- **copilot:** {t['text']}")
            if t.get("finding"):
                f = t["finding"]
                verdict = {
                    k: f[k]
                    for k in (
                        "appetite",
                        "lobs",
                        "small_business",
                        "per_occurrence",
                        "aggregate",
                        "deductible",
                        "naics",
                    )
                    if k in f
                }
                lines.append(f"  - finding ({f.get('task_type')}): `{json.dumps(verdict)}`")
            for n in t.get("notices", []):
                lines.append(f"  - notice: {n}")
        else:
            lines.append(f"- **{t['role']}:**\n\n```\n{t['text']}\n```")
    return "\n".join(lines)


def render_report(summary: dict, conversations, charts: list[str]) -> str:
    s = summary
    out = [f"# Evaluation run {s.get('run', '')}".rstrip(), ""]
    out.append(
        f"Model **{s.get('model', '?')}**, simulated underwriter **{s.get('user', '?')}**, tasks `{s.get('tasks_file', '?')}`, "
        f"{s['tasks']} tasks x {s['trials']} trial(s) = {s['conversations']} conversations, "
        f"wall time {s.get('wall_seconds', 0):.1f} s (concurrency {s.get('concurrency', 1)})."
    )
    out += ["", "| figure | value |", "|---|---|"]
    out.append(f"| accuracy | {_pct(s['accuracy'])} |")
    for k, v in s["pass_hat_k"].items():
        out.append(f"| pass^{k} | {_pct(v)} |")
    for key, kind in COMPARED[1:]:
        if key in s:
            out.append(f"| {key} | {fmt(s[key], kind)} |")
    if s.get("tool_errors_by_kind"):
        out.append(
            f"| tool errors by kind | {', '.join(f'{k}: {v}' for k, v in sorted(s['tool_errors_by_kind'].items()))} |"
        )
    out.append(f"| graded by | {', '.join(f'{k}: {v}' for k, v in sorted(s.get('graded_by', {}).items()))} |")
    out.append(f"| turn cap reached | {s.get('turn_cap_reached', 0)} |")
    out.append(f"| ended: answers the grader cannot read | {s.get('ended_unreadable', 0)} |")
    out.append(f"| invented citations | {s.get('invented_citations', 0)} |")
    out += [
        "",
        "## By task type",
        "",
        "| task type | conversations | accuracy | tool error rate | invented product rate | mean turns | mean tool calls |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for t, v in s.get("by_task_type", {}).items():
        out.append(
            f"| {t} | {v['conversations']} | {_pct(v['accuracy'])} | {_pct(v['tool_error_rate'])} | "
            f"{_pct(v['invented_product_rate'])} | {v['mean_turns']:.2f} | {v['mean_tool_calls']:.2f} |"
        )
    if charts:
        out += ["", "## Charts", ""] + [f"![{c.removesuffix('.png').replace('_', ' ')}]({c})" for c in charts]
    failures = [c for c in conversations if not c.row["correct"]]
    out += ["", f"## Failures ({len(failures)})", ""]
    if not failures:
        out.append("None.")
    for c in failures:
        r = c.row
        out += [
            f"### {r['id']} (trial {r['trial']}, {r['task_type']})",
            "",
            f"expected `{json.dumps(r['expected'])}`, got `{json.dumps(r['predicted'])}` (graded by {r.get('graded_by')}); "
            f"ended by {r.get('ended')} after {r['turns']} turn(s), {r['tool_calls']} tool call(s), {r['tool_errors']} tool error(s)"
            + (f"; invented: {', '.join(r['invented_products'])}" if r["invented_products"] else "")
            + (f"; error: {r['error']}" if r.get("error") else "")
            + ".",
            "",
            _transcript_md(c.transcript),
            "",
        ]
    return "\n".join(out) + "\n"


def load_summary(run_dir: Path | str) -> dict:
    path = Path(run_dir) / "summary.json"
    if not path.is_file():
        raise RunNotFound(f"{run_dir}: no summary.json (not an evaluation run folder)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RunNotFound(f"{path}: not valid JSON ({exc.msg})") from None


def load_results(run_dir: Path | str) -> list[dict]:
    path = Path(run_dir) / "results.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def list_runs(runs_dir: Path | str) -> list[tuple[str, dict]]:
    """(folder name, summary) of every readable run under ``runs_dir``, newest first."""
    runs_dir = Path(runs_dir)
    out = []
    for p in sorted(runs_dir.glob("*/summary.json"), reverse=True):
        try:
            out.append((p.parent.name, json.loads(p.read_text(encoding="utf-8"))))
        except (OSError, json.JSONDecodeError):
            continue
    return out


def compare_rows(a: dict, b: dict) -> list[dict]:
    """Metric rows for two summaries side by side: overall figures, pass^k, then accuracy by task type."""
    rows = []
    for key, kind in COMPARED:
        va, vb = a.get(key), b.get(key)
        rows.append({"metric": key, "a": fmt(va, kind), "b": fmt(vb, kind), "delta": _delta(va, vb, kind)})
    for k in sorted(set(a.get("pass_hat_k", {})) | set(b.get("pass_hat_k", {})), key=int):
        va, vb = a.get("pass_hat_k", {}).get(k), b.get("pass_hat_k", {}).get(k)
        rows.append({"metric": f"pass^{k}", "a": fmt(va, "pct"), "b": fmt(vb, "pct"), "delta": _delta(va, vb, "pct")})
    for t in TASK_TYPES:
        va, vb = a.get("accuracy_by_task_type", {}).get(t), b.get("accuracy_by_task_type", {}).get(t)
        if va is None and vb is None:
            continue
        rows.append(
            {"metric": f"accuracy: {t}", "a": fmt(va, "pct"), "b": fmt(vb, "pct"), "delta": _delta(va, vb, "pct")}
        )
    return rows


def _delta(va, vb, kind: str) -> str:
    if va is None or vb is None:
        return ""
    d = vb - va
    if kind == "pct":
        return f"{100 * d:+.1f} pts"
    if kind == "usd":
        return f"{d:+,.4f}"
    return f"{d:+,.2f}"


def by_task_type_rows(summary: dict, run: str | None = None) -> list[dict]:
    """One row per task type (for tables and charts): accuracy, error and invention rates, turns."""
    rows = []
    for t, v in summary.get("by_task_type", {}).items():
        rows.append(
            {
                **({"run": run} if run else {}),
                "task type": t,
                "conversations": v["conversations"],
                "accuracy": v["accuracy"],
                "tool error rate": v["tool_error_rate"],
                "invented product rate": v["invented_product_rate"],
                "mean turns": v["mean_turns"],
                "mean tool calls": v["mean_tool_calls"],
            }
        )
    return rows


def run_label(name: str, summary: dict) -> str:
    return (
        f"{name} · {summary.get('model', '?')} · {summary.get('user', '?')} · "
        f"{summary.get('conversations', 0)} conversations · {100 * summary.get('accuracy', 0):.1f}%"
    )
