"""The Monitoring page and its figures (evals/monitoring.py), over a small synthetic telemetry store."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import guidelines  # noqa: F401  (imported as the app has it: AppTest puts app/views/ first on the path)
from evals.monitoring import Filters, filter_options, load_monitoring
from tests.bench_observability import synthetic_telemetry

PAGE = str(Path(__file__).resolve().parents[1] / "app" / "views" / "monitoring.py")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("UWC_DATA_DIR", str(tmp_path))
    st.cache_resource.clear()
    yield tmp_path
    st.cache_resource.clear()


def test_figures_match_the_store(data_dir):
    synthetic_telemetry(data_dir, 400)
    m = load_monitoring(data_dir / "telemetry.db", data_dir / "conversations.db")
    conn = sqlite3.connect(data_dir / "telemetry.db")
    q = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731  (an independent count, straight from SQL)
    assert len(m.turns) == 400 == m.per_day["turns"].sum()
    own = "operation = 'execute_tool' AND parent_id NOT IN (SELECT span_id FROM span WHERE operation = 'online_check')"
    calls, errors = (
        q(f"SELECT COUNT(*) FROM span WHERE {own}"),
        q(f"SELECT COUNT(*) FROM span WHERE {own} AND status = 'error'"),
    )
    assert calls < q("SELECT COUNT(*) FROM span WHERE operation = 'execute_tool'")  # the checks' re-runs are left out
    assert m.tools["calls"].sum() == calls and m.tools["errors"].sum() == errors
    assert m.checks.set_index("status")["count"].sum() == q("SELECT COUNT(*) FROM finding_check")
    durations = sorted(r[0] for r in conn.execute("SELECT duration_ms FROM span WHERE operation = 'invoke_agent'"))
    assert durations[0] <= m.p50_ms <= m.p95_ms <= durations[-1]
    assert m.feedback["up"] + m.feedback["down"] == 100
    assert (
        abs(m.per_conversation["cost_usd"].sum() - q("SELECT SUM(cost_usd) FROM span WHERE operation = 'invoke_agent'"))
        < 1e-6
    )


def test_filters_by_model_user_and_date(data_dir):
    synthetic_telemetry(data_dir, 400)
    options = filter_options(data_dir / "telemetry.db")
    assert "offline" in options.models and "ana" in options.users
    only = load_monitoring(
        data_dir / "telemetry.db", data_dir / "conversations.db", Filters(models=("offline",), users=("ana",))
    )
    assert len(only.turns) and set(only.turns["model"]) == {"offline"} and set(only.turns["user_id"]) == {"ana"}
    assert only.turns["tokens"].sum() == 0  # the offline model uses no tokens
    day = options.last_day
    one_day = load_monitoring(data_dir / "telemetry.db", data_dir / "conversations.db", Filters(start=day, end=day))
    assert set(one_day.turns["day"]) == {day.isoformat()}
    assert load_monitoring(
        data_dir / "telemetry.db", data_dir / "conversations.db", Filters(start=date(1999, 1, 1), end=date(1999, 1, 2))
    ).turns.empty


def test_the_page_with_no_traces_says_how_to_get_some(data_dir):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert any("No traced turns" in i.value for i in at.info)


def test_the_page_shows_the_figures_and_links_to_conversations(data_dir):
    synthetic_telemetry(data_dir, 300)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    values = {m.label: m.value for m in at.metric}
    assert values["Turns"] == "300"
    assert "Check mismatches" in values and "Invented-product rate" in values and "Latency p95" in values
    frames = [d.value for d in at.dataframe]
    linked = [f for f in frames if "conversation" in f.columns]
    assert linked and all(str(v).startswith("/?thread=") for v in linked[0]["conversation"])
    at.multiselect(key="mon-models").select("offline").run()
    assert not at.exception
    assert int(at.metric[0].value.replace(",", "")) < 300
