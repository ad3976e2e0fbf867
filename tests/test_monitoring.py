"""The Monitoring page and its figures (evals/monitoring.py), over a small synthetic telemetry store."""

from __future__ import annotations

import json
import socket
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import guidelines  # noqa: F401  (imported as the app has it: AppTest puts app/views/ first on the path)
from bench.observability import synthetic_telemetry
from core.telemetry_store import INSERT_SPAN, CheckStore, connect
from evals.monitoring import Filters, filter_options, last_write, load_monitoring
from graph.threads import ThreadStore, feedback
from tests.pg import TcpProxy, pg_url  # noqa: F401  (pg_url: a fixture)

PAGE = str(Path(__file__).resolve().parents[1] / "app" / "views" / "monitoring.py")


@pytest.fixture
def store(data_dir):
    """The conversations store the synthetic feedback is written to (the data folder's SQLite file)."""
    threads = ThreadStore(data_dir / "conversations.db")
    yield threads
    threads.close()


def test_figures_match_the_store(data_dir, store):
    synthetic_telemetry(data_dir, 400)
    m = load_monitoring(data_dir / "telemetry.db", store)
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
    m = load_monitoring(data_dir / "telemetry.db", None)
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


def test_filters_by_model_user_and_date(data_dir, store):
    synthetic_telemetry(data_dir, 400)
    options = filter_options(data_dir / "telemetry.db")
    assert "offline" in options.models and "ana" in options.users
    only = load_monitoring(data_dir / "telemetry.db", store, Filters(models=("offline",), users=("ana",)))
    conn = sqlite3.connect(data_dir / "telemetry.db")
    expected = conn.execute(
        "SELECT COUNT(*) FROM span WHERE operation = 'invoke_agent' AND model = 'offline' AND user_id = 'ana'"
    ).fetchone()[0]
    assert only.turns == expected > 0 and list(only.models["model"]) == ["offline"]
    assert set(only.per_conversation["user"]) == {"ana"}
    assert only.tokens == 0  # the offline model uses no tokens
    day = options.last_day
    one_day = load_monitoring(data_dir / "telemetry.db", store, Filters(start=day, end=day))
    assert list(one_day.per_day["day"]) == [day.isoformat()]
    none = load_monitoring(data_dir / "telemetry.db", store, Filters(start=date(1999, 1, 1), end=date(1999, 1, 2)))
    assert none.turns == 0 and none.per_day.empty and none.p50_ms is None and none.tools.empty


def test_no_store_yet_gives_empty_figures(tmp_path):
    m = load_monitoring(tmp_path / "telemetry.db", None)
    assert m.turns == 0 and m.per_day.empty and m.models.empty and m.p95_ms is None
    assert m.feedback == {"up": 0, "down": 0, "ratio": None} and m.comments.empty
    assert last_write(tmp_path / "telemetry.db", None) == (None, None)
    threads = ThreadStore(tmp_path / "conversations.db")  # a new, empty store
    assert load_monitoring(tmp_path / "telemetry.db", threads).feedback["ratio"] is None
    assert last_write(tmp_path / "telemetry.db", threads) == (None, (0, None))
    threads.close()


def test_the_last_write_marker_moves_with_every_span_check_and_rating(data_dir, store):
    synthetic_telemetry(data_dir, 40)
    tel = data_dir / "telemetry.db"
    before = last_write(tel, store)
    assert before == last_write(tel, store)
    add_turn(tel)
    after_span = last_write(tel, store)
    CheckStore(tel).add("c1", "m1", "appetite", "ok", [])
    after_check = last_write(tel, store)
    thread = store.create("rated", "offline")
    store.add_feedback(thread.id, "m1", 1)
    after_rating = last_write(tel, store)
    store.add_feedback(thread.id, "m1", -1, "changed my mind")  # a rating replaced: same count, a later time
    assert len({before, after_span, after_check, after_rating, last_write(tel, store)}) == 5


def rate_conversations(store: ThreadStore) -> date:
    """Ratings and comments recorded through the store, one of them moved to the last instant of three days ago (the
    inclusive end of a day filter); returns that day."""
    bakery, trucker, naics = (
        store.create("appetite for a bakery", "offline"),
        store.create("limits for a trucker", "openai/gpt-4.1-mini"),
        store.create("a NAICS code", "offline"),
    )
    store.add_feedback(naics.id, "m1", -1, "asked twice")
    store.add_feedback(bakery.id, "m1", 1, "clear and right")
    store.add_feedback(bakery.id, "m2", -1, "wrong deductible")
    store.add_feedback(trucker.id, "m1", 1)
    store.add_feedback(trucker.id, "m2", 1, "   ")  # blank: a rating without a comment
    store.add_feedback(bakery.id, "m3", 1, "first thought")
    store.add_feedback(bakery.id, "m3", -1, "changed my mind")  # the same message re-rated: replaces the first
    day = datetime.now(UTC).date() - timedelta(days=3)
    with store.engine.begin() as c:
        c.execute(
            feedback.update().where(feedback.c.thread_id == naics.id).values(created_at=f"{day}T23:59:59.999999+00:00")
        )
    return day


def assert_feedback_figures(telemetry_db: Path, store: ThreadStore) -> None:
    """What the Monitoring figures show of ``rate_conversations``' ratings, under date and model filters."""
    day = rate_conversations(store)
    today = datetime.now(UTC).date()

    def figures(**filters):
        m = load_monitoring(telemetry_db, store, Filters(**filters))
        return m.feedback, list(m.comments["comment"]), m

    ratings, comments, m = figures()
    assert ratings == {"up": 3, "down": 3, "ratio": 0.5} and m.feedback_problem is None
    assert comments == ["changed my mind", "wrong deductible", "clear and right", "asked twice"]  # newest first
    assert list(m.comments.columns) == ["rating", "comment", "created_at", "conversation_id", "title", "model"]
    assert list(m.comments["rating"]) == [-1, -1, 1, -1] and set(m.comments["model"]) == {"offline"}
    assert m.comments["title"].iloc[-1] == "a NAICS code" and store.exists(m.comments["conversation_id"].iloc[0])
    ratings, comments, _ = figures(models=("offline",))
    assert ratings == {"up": 1, "down": 3, "ratio": 0.25} and len(comments) == 4
    ratings, comments, _ = figures(models=("openai/gpt-4.1-mini",))
    assert ratings == {"up": 2, "down": 0, "ratio": 1.0} and comments == []
    assert figures(start=day, end=day)[:2] == ({"up": 0, "down": 1, "ratio": 0.0}, ["asked twice"])
    ratings, comments, _ = figures(start=day + timedelta(days=1), end=today)
    assert ratings == {"up": 3, "down": 2, "ratio": 0.6} and "asked twice" not in comments
    assert figures(end=day - timedelta(days=1))[:2] == ({"up": 0, "down": 0, "ratio": None}, [])
    assert figures(start=today + timedelta(days=1))[0]["ratio"] is None
    latest = store.feedback_figures(comments=2).comments
    assert [c.comment for c in latest] == ["changed my mind", "wrong deductible"]
    before = last_write(telemetry_db, store)
    store.add_feedback(m.comments["conversation_id"].iloc[0], "m9", 1)
    assert last_write(telemetry_db, store) != before


def test_feedback_figures_from_the_sqlite_store(data_dir, store):
    assert_feedback_figures(data_dir / "telemetry.db", store)


def test_feedback_figures_from_postgresql(data_dir, pg_url):  # noqa: F811
    """The conversations store in PostgreSQL (``UWC_DATABASE_URL``): the same figures as from SQLite."""
    store = ThreadStore(pg_url)
    try:
        assert_feedback_figures(data_dir / "telemetry.db", store)
    finally:
        store.close()


@pytest.mark.integration
def test_the_page_shows_feedback_kept_in_postgresql(data_dir, pg_url, monkeypatch):  # noqa: F811
    synthetic_telemetry(data_dir, 40)  # its ratings go to the SQLite file, which the page must not read now
    monkeypatch.setenv("UWC_DATABASE_URL", pg_url)
    store = ThreadStore(pg_url)
    day = rate_conversations(store)
    store.close()
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.date_input(key="mon-dates").set_value((day, datetime.now(UTC).date())).run()  # the traces may end yesterday
    assert not at.exception, [e.value for e in at.exception]
    thumbs = next(m for m in at.metric if m.label == "Thumbs up")
    assert thumbs.value == "50%" and "3 up, 3 down" in thumbs.help
    assert any("changed my mind" in set(d.value.get("comment", [])) for d in at.dataframe)


def test_postgresql_going_down_leaves_the_traces_figures_and_says_so(data_dir, pg_url):  # noqa: F811
    synthetic_telemetry(data_dir, 40)
    proxy = TcpProxy()
    store = ThreadStore(proxy.url(pg_url), wait=1)
    try:
        rate_conversations(store)
        up = last_write(data_dir / "telemetry.db", store)
        proxy.cut()
        try:  # the proxy's thread blocked in accept() still takes one client after the cut (Linux): this one
            socket.create_connection(("127.0.0.1", proxy.port), timeout=1).close()
        except OSError:
            pass
        m = load_monitoring(data_dir / "telemetry.db", store)
        assert m.turns == 40 and m.feedback["ratio"] is None and m.comments.empty
        assert "not answering" in m.feedback_problem and "Traceback" not in m.feedback_problem
        down = last_write(data_dir / "telemetry.db", store)
        assert down[-1] == "unreachable" != up[-1]  # new figures once it answers again
        proxy.start()
        m = load_monitoring(data_dir / "telemetry.db", store)
        assert m.feedback_problem is None and m.feedback["up"] == 3
    finally:
        store.close()
        proxy.cut()


@pytest.mark.integration
def test_the_page_says_when_the_feedback_store_does_not_answer(data_dir, monkeypatch):
    synthetic_telemetry(data_dir, 40)
    monkeypatch.setenv("UWC_DATABASE_URL", "postgresql://uwc@127.0.0.1:1/none")  # nothing listens on port 1
    monkeypatch.setenv("UWC_DATABASE_WAIT", "1")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.metric[0].value == "40"  # the traces still show
    assert any("No feedback figures" in w.value and "not answering" in w.value for w in at.warning)


def add_turn(telemetry_db):
    """One more traced turn in the store, as the exporter writes it."""
    conn = connect(telemetry_db)
    with conn:
        row = list(conn.execute("SELECT * FROM span WHERE operation = 'invoke_agent' LIMIT 1").fetchone())
        row[0], row[1] = "f" * 16, "f" * 32
        conn.execute(INSERT_SPAN, row)
    conn.close()


@pytest.mark.integration
def test_the_page_with_no_traces_says_how_to_get_some(data_dir):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert any("No traced turns" in i.value for i in at.info)


@pytest.mark.integration
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


@pytest.mark.integration
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
