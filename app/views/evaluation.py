"""Evaluation page: the runs in the data folder, one run's figures and charts by task type, two runs side by side.

Thin on purpose: reading and comparing runs lives in ``evals/report.py``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app import resources
from app.ui.escape import code
from evals.living import find_drops, previous_run
from evals.report import by_task_type_rows, compare_rows, list_runs, load_results, run_label

settings = resources.settings()
runs_dir = settings.runs_dir
st.title("Evaluation")
ordered = list_runs(runs_dir)
runs = dict(ordered)
if not runs:
    st.info(
        f"No evaluation runs in `{runs_dir}` yet. Run one with "
        "`uwc eval --tasks evals/suite/tasks.jsonl` (offline model, scripted underwriter) and reload."
    )
    st.stop()

names = list(runs)
label = lambda n: run_label(n, runs[n])  # noqa: E731


def accuracy_chart(df: pd.DataFrame, color: str | None = None) -> alt.Chart:
    enc = {
        "x": alt.X("task type:N", sort=None, title=None),
        "y": alt.Y("accuracy:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        "tooltip": list(df.columns),
    }
    if color:
        enc.update(color=alt.Color(f"{color}:N"), xOffset=alt.XOffset(f"{color}:N"))
    return alt.Chart(df).mark_bar().encode(**enc).properties(height=280)


def rates_chart(rates: pd.DataFrame) -> alt.Chart:
    """Error and invented-product shares; the axis keeps a readable 0-10 % range when every share is zero
    (altair would otherwise draw a zero-height domain labelled "0.000000%")."""
    top = max(0.1, float(rates["share"].fillna(0).max()))
    return (
        alt.Chart(rates)
        .mark_bar()
        .encode(
            x=alt.X("task type:N", sort=None, title=None),
            xOffset="figure:N",
            color="figure:N",
            y=alt.Y(
                "share:Q",
                axis=alt.Axis(format=".0%", tickCount=5),
                scale=alt.Scale(domain=[0, top]),
                title="share of conversations",
            ),
            tooltip=["task type", "figure", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(height=240)
    )


one, two = st.tabs(["Run", "Compare two runs"])

with one:
    name = st.selectbox("Run", names, format_func=label)
    s = runs[name]
    cols = st.columns(5)
    cols[0].metric("Accuracy", f"{100 * s['accuracy']:.1f}%")
    cols[1].metric("Tool error rate", f"{100 * s['tool_error_rate']:.1f}%")
    cols[2].metric("Invented product rate", f"{100 * s['invented_product_rate']:.1f}%")
    cols[3].metric("Mean turns", f"{s['mean_turns']:.1f}")
    cols[4].metric("Cost", f"${s.get('total_cost_usd', 0):.4f}")
    st.caption(
        f"{s['tasks']} tasks × {s['trials']} trial(s); pass^k: "
        + ", ".join(f"k={k}: {100 * v:.1f}%" for k, v in s.get("pass_hat_k", {}).items())
        + (f"; wall time {s['wall_seconds']:.1f} s" if "wall_seconds" in s else "")
    )
    before = previous_run(ordered, name)
    if before is None:
        st.caption("No earlier run of the same task file to compare with.")
    else:
        drops = find_drops(runs[before], s)
        pct = lambda m, v: f"{v:,}" if m == "findings_mismatched" else f"{100 * v:.1f}%"  # noqa: E731
        if drops:
            st.error(
                f"**{len(drops)} drop(s) against the previous run** {code(before)}:\n\n"
                + "\n".join(
                    f"- {d['metric']}: {pct(d['metric'], d['before'])} → {pct(d['metric'], d['after'])}" for d in drops
                ),
                icon=":material/trending_down:",
            )
        else:
            st.success(f"No drop against the previous run {code(before)}.", icon=":material/trending_flat:")
    df = pd.DataFrame(by_task_type_rows(s))
    if not df.empty:
        st.altair_chart(accuracy_chart(df), width="stretch")
        rates = df.melt(
            id_vars=["task type"],
            value_vars=["tool error rate", "invented product rate"],
            var_name="figure",
            value_name="share",
        )
        st.altair_chart(rates_chart(rates), width="stretch")
        if not rates["share"].fillna(0).any():
            st.caption("No tool errors and no invented products in this run.")
        st.dataframe(df, hide_index=True, width="stretch")
    failures = [r for r in load_results(runs_dir / name) if not r.get("correct")]
    st.subheader(f"Failures ({len(failures)})")
    if failures:
        st.dataframe(
            [
                {k: r.get(k) for k in ("id", "trial", "expected", "predicted", "ended", "turns", "tool_errors")}
                for r in failures
            ],
            hide_index=True,
            width="stretch",
        )
        st.caption(f"Transcripts: {code(runs_dir / name / 'report.md')}")

with two:
    if len(names) < 2:
        st.info("Only one run so far: run `uwc eval` again (another model, more trials) to compare.")
    else:
        left, right = st.columns(2)
        a = left.selectbox("Run A", names, index=1, format_func=label)
        b = right.selectbox("Run B", names, index=0, format_func=label)
        st.dataframe(
            pd.DataFrame(compare_rows(runs[a], runs[b])).rename(columns={"a": f"A: {a}", "b": f"B: {b}"}),
            hide_index=True,
            width="stretch",
        )
        both = pd.DataFrame(by_task_type_rows(runs[a], f"A: {a}") + by_task_type_rows(runs[b], f"B: {b}"))
        if not both.empty:
            st.altair_chart(accuracy_chart(both, color="run"), width="stretch")
