"""The Monitoring page and its figures (evals/monitoring.py), over a small synthetic telemetry store."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import guidelines  # noqa: F401  (imported as the app has it: AppTest puts app/views/ first on the path)
from core.telemetry_store import INSERT_SPAN, CheckStore, connect
from evals.monitoring import Filters, filter_options, last_write, load_monitoring
from graph.threads import ThreadStore
from tests.bench_observability import synthetic_telemetry

PAGE = str(Path(__file__).resolve().parents[1] / "app" / "views" / "monitoring.py")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("UWC_DATA_DIR", str(tmp_path))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield tmp_path
    st.cache_resource.clear()
    st.cache_data.clear()


def test_figures_match_the_store(data_dir):
    synthetic_telemetry(data_dir, 400)
    m = load_monitoring(data_dir / "telemetry.db", data_dir / "conversations.db")
    conn = sqlite3.connect(data_dir / "telemetry.db")
    q = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731  (an independent count, straight from SQL)
    assert m.turns == 400 == m.per_day["turns"].sum()
    own = "operation = 'execute_tool' AND parent_id NOT IN (SELECT span_id FROM span WHERE operation = 'online_check')"
    calls, errors = (
        q(f"SELECT COUNT(*) FROM span WHERE {own}"),
        q(f"SELECT COUNT(*) FROM span WHERE {own} AND status = 'error'"),
    )
    assert calls < q("SELECT COUNT(*) FROM span WHERE operation = 'execute_tool'")  # the checks' re-runs are left out
    assert m.tools["calls"].sum() == calls and m.tools["errors"].sum() == errors
    assert m.checks.set_index("status")["count"].sum() == q("SELECT COUNT(*) FROM finding_check")
    assert m.feedback["up"] + m.feedback["down"] == 100
    # Every turn, straight from the store: the reference the SQL aggregates are checked against.
    turns = pd.read_sql_query("SELECT * FROM span WHERE operation = 'invoke_agent'", conn)
    assert m.p50_ms == pytest.approx(turns["duration_ms"].median())
    assert m.p95_ms == pytest.approx(turns["duration_ms"].quantile(0.95))
    by_day = turns.groupby("day")["duration_ms"]
    assert list(m.per_day["p95_ms"]) == pytest.approx(list(by_day.quantile(0.95)))
    assert m.cost_usd == pytest.approx(turns["cost_usd"].sum())
    assert m.tokens == turns["input_tokens"].sum() + turns["output_tokens"].sum()
    assert m.conversations == turns["conversation_id"].nunique()
    assert m.per_conversation["cost_usd"].iloc[0] == pytest.approx(
        turns.groupby("conversation_id")["cost_usd"].sum().max()
    )
    invented = turns["attributes"].str.contains("uwc.turn.invented_products")
    assert m.invented_product_rate == pytest.approx(invented.mean())
    assert m.determinations["count"].sum() == turns["attributes"].str.contains("uwc.finding.task_type").sum()


def test_retries_per_model_and_per_day(data_dir):
    synthetic_telemetry(data_dir, 400)
    m = load_monitoring(data_dir / "telemetry.db", data_dir / "conversations.db")
    chat = pd.read_sql_query(
        "SELECT model, attributes FROM span WHERE operation = 'chat'", sqlite3.connect(data_dir / "telemetry.db")
    )
    retries = chat["attributes"].map(lambda a: json.loads(a)["uwc.retries"])
    assert retries.sum() > 0
    models = m.models.set_index("model")
    assert models["retries"].sum() == m.per_day["retries"].sum() == retries.sum()
    assert models["retried_calls"].sum() == (retries > 0).sum()
    assert models["model_calls"].sum() == m.per_day["model_calls"].sum() == len(chat)
    assert models.loc["offline", "model_calls"] == models.loc["offline", "retries"] == 0  # the rules model: no calls
    gpt = chat["model"] == "openai/gpt-4.1-mini"
    assert models.loc["openai/gpt-4.1-mini", "retries"] == retries[gpt].sum()


def test_filters_by_model_user_and_date(data_dir):
    synthetic_telemetry(data_dir, 400)
    options = filter_options(data_dir / "telemetry.db")
    assert "offline" in options.models and "ana" in options.users
    only = load_monitoring(
        data_dir / "telemetry.db", data_dir / "conversations.db", Filters(models=("offline",), users=("ana",))
    )
    conn = sqlite3.connect(data_dir / "telemetry.db")
    expected = conn.execute(
        "SELECT COUNT(*) FROM span WHERE operation = 'invoke_agent' AND model = 'offline' AND user_id = 'ana'"
    ).fetchone()[0]
    assert only.turns == expected > 0 and list(only.models["model"]) == ["offline"]
    assert set(only.per_conversation["user"]) == {"ana"}
    assert only.tokens == 0  # the offline model uses no tokens
    day = options.last_day
    one_day = load_monitoring(data_dir / "telemetry.db", data_dir / "conversations.db", Filters(start=day, end=day))
    assert list(one_day.per_day["day"]) == [day.isoformat()]
    none = load_monitoring(
        data_dir / "telemetry.db", data_dir / "conversations.db", Filters(start=date(1999, 1, 1), end=date(1999, 1, 2))
    )
    assert none.turns == 0 and none.per_day.empty and none.p50_ms is None and none.tools.empty


def test_no_store_yet_gives_empty_figures(tmp_path):
    m = load_monitoring(tmp_path / "telemetry.db", tmp_path / "conversations.db")
    assert m.turns == 0 and m.per_day.empty and m.models.empty and m.p95_ms is None
    assert last_write(tmp_path / "telemetry.db", tmp_path / "conversations.db") == (None, None)


def test_the_last_write_marker_moves_with_every_span_check_and_rating(data_dir):
    synthetic_telemetry(data_dir, 40)
    tel, conv = data_dir / "telemetry.db", data_dir / "conversations.db"
    before = last_write(tel, conv)
    assert before == last_write(tel, conv)
    add_turn(tel)
    after_span = last_write(tel, conv)
    CheckStore(tel).add("c1", "m1", "appetite", "ok", [])
    after_check = last_write(tel, conv)
    threads = ThreadStore(conv)
    thread = threads.create("rated", "offline")
    threads.add_feedback(thread.id, "m1", 1)
    threads.close()
    assert len({before, after_span, after_check, last_write(tel, conv)}) == 4


def add_turn(telemetry_db):
    """One more traced turn in the store, as the exporter writes it."""
    conn = connect(telemetry_db)
    with conn:
        row = list(conn.execute("SELECT * FROM span WHERE operation = 'invoke_agent' LIMIT 1").fetchone())
        row[0], row[1] = "f" * 16, "f" * 32
        conn.execute(INSERT_SPAN, row)
    conn.close()


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
    assert any({"model_calls", "retries"} <= set(f.columns) for f in frames)  # retries per model and per day
    at.multiselect(key="mon-models").select("offline").run()
    assert not at.exception
    assert int(at.metric[0].value.replace(",", "")) < 300


def test_the_page_is_cached_until_the_store_is_written(data_dir, monkeypatch):
    import evals.monitoring

    loads = []
    real = evals.monitoring.load_monitoring
    monkeypatch.setattr(evals.monitoring, "load_monitoring", lambda *a: loads.append(a) or real(*a))
    synthetic_telemetry(data_dir, 300)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert at.metric[0].value == "300"
    assert AppTest.from_file(PAGE, default_timeout=60).run().metric[0].value == "300"
    assert len(loads) == 1  # the second view (a refresh, another admin) is served from the cache
    add_turn(data_dir / "telemetry.db")
    assert not at.run().exception
    assert at.metric[0].value == "301" and len(loads) == 2
