"""Property-based fuzzing (hypothesis): every tool's argument schema, the SQL grammar and the calculator grammar.

For any input: no internal error (only the named tool errors), no hang (every call ends within its limits) and
the database unchanged. Examples are derandomised and capped by the ``uwc-fuzz`` profile, so a run is the same
every time and stays modest: ``FUZZ_EXAMPLES`` per tool, ``SQL_EXAMPLES`` queries, ``CALC_EXAMPLES`` expressions.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import bytes_unchanged
from tools.all import default_tools
from tools.calculator import MAX_MAGNITUDE, evaluate
from tools.errors import ToolError
from tools.sql_checks import ALLOWED_TABLES
from tools.sql_sqlite import execute

FUZZ_EXAMPLES = 40
SQL_EXAMPLES = 200
CALC_EXAMPLES = 400
HANG_S = 30.0  # far above every tool's own limit: only a hang trips it
PROFILE = dict(
    deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck), print_blob=False
)
TOOLS = {spec.name: spec for spec in default_tools()}
KNOWN_KINDS = {"invalid_argument", "not_found", "guard_rejected", "query_rejected", "timeout"}


@pytest.fixture(scope="module")
def unchanged(seeded):
    with bytes_unchanged(seeded["db"]):
        yield


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=60),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


# Plausible values per argument name, so fuzzing also reaches the code behind the normalisers.
SAMPLES = {
    "naics": ["722511", "484121", "531190", "999999", "72251", "7225-11", " 236115 "],
    "code": ["722511", "515120", "000000", "541511"],
    "state": ["TX", "Texas", "ND", "dc", "ZZ", "New  York"],
    "lob": ["auto", "Workers' Comp", "umbrella", "GL", "bop", "u m b r e l l a", "póliza paraguas"],
    "exclude_lob": ["auto", "umbrella", None],
    "lobs": [["auto", "cyber"], ["umbrella"], []],
    "annual_revenue": ["$4.5M", "4,500,000", 4500000, "1e99", -5, "12 dollars"],
    "employees": [12, "1,200", 10**9, "twelve", 3.5],
    "annual_payroll": ["$5M", 5000001, "-1"],
    "vehicles": [21, "20", 0],
    "construction": ["wood frame", "Type II", "steel", "straw"],
    "query": ["SELECT * FROM state", "SELECT printf('%.*c', 9, 'x')", "WITH state AS (SELECT 1) SELECT 1"],
    "expression": ["4.5M / 32", "10 % 3", "round(1e29, 12)", "2 ** 1000"],
    "table": ["appetite", "sqlite_master", "Appetite"],
    "section_id": ["auto-qualified", "products-not-written", "nope"],
    "name_or_id": ["APP-0042", "Harbor", "APP-99999"],
    "task_type": ["appetite", "deductible", "classification"],
    "citations": [["auto-qualified"], ["nope"], []],
}


def from_schema(schema: dict) -> st.SearchStrategy:
    """Values that fit a tool's JSON schema (the subset pydantic emits for our signatures)."""
    if "anyOf" in schema:
        return st.one_of([from_schema(s) for s in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        return st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 80), 400))
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=4)
    if kind == "object" and "properties" in schema:
        required = set(schema.get("required", []))
        props = {
            k: (st.sampled_from(SAMPLES[k]) | from_schema(v)) if k in SAMPLES else from_schema(v)
            for k, v in schema["properties"].items()
        }
        return st.fixed_dictionaries(
            {k: v for k, v in props.items() if k in required},
            optional={k: v for k, v in props.items() if k not in required},
        )
    return json_values


def arguments_for(spec):
    """Arguments that fit the schema, and arguments that do not (wrong types, unknown names, junk)."""
    props = list(spec.json_schema.get("properties", {}))
    valid = from_schema(spec.json_schema)
    wrong = st.dictionaries(st.sampled_from(props + ["junk", ""]), json_values, max_size=len(props) + 1)
    return valid | wrong | json_values | st.text(max_size=40)


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_every_tool_schema(toolkit, unchanged, name):
    spec = TOOLS[name]

    @settings(max_examples=FUZZ_EXAMPLES, **PROFILE)
    @given(arguments_for(spec))
    def run(arguments):
        event = toolkit.call(name, arguments)
        assert event.ok or event.error_kind in KNOWN_KINDS, event.result
        json.dumps(event.result, default=str)  # the model can always read it
        assert event.duration_ms < HANG_S * 1000

    run()


# --- SQL: a small grammar of SELECTs, hostile functions included, plus junk ------------------------------------
_TABLES = sorted(ALLOWED_TABLES) + ["sqlite_master", "sqlite_schema", "main.state", "x", "c"]
_COLUMNS = ["naics_code", "state", "lob", "appetite", "code", "title", "name", "rowid", "x", "s"]
_FUNCS = [
    "length", "lower", "upper", "substr", "instr", "replace", "trim", "ltrim", "hex", "quote", "abs", "coalesce",
    "printf", "format", "group_concat", "count", "max", "min", "sum", "zeroblob", "randomblob", "load_extension",
    "readfile", "char", "unicode", "like", "glob", "json_extract", "typeof", "sqlite_version",
]  # fmt: skip
_atoms = st.one_of(
    st.sampled_from(_COLUMNS),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["'x'", "'%.*c'", "'%.999999999c'", "'Auto'", "NULL", "'('", "999999999", "-1", "?"]),
    st.text(alphabet="abcXYZ_%'()\";-0123456789 ", max_size=12).map(lambda t: "'" + t.replace("'", "''") + "'"),
)
_exprs = st.recursive(
    _atoms,
    lambda e: st.one_of(
        st.tuples(e, st.sampled_from(["+", "-", "*", "/", "%", "||", "=", "<", "AND", "OR", "LIKE"]), e).map(
            lambda t: f"{t[0]} {t[1]} {t[2]}"
        ),
        st.tuples(st.sampled_from(_FUNCS), st.lists(e, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        e.map(lambda x: f"({x})"),
        st.tuples(e, e).map(lambda t: f"CASE WHEN {t[0]} THEN {t[1]} END"),
    ),
    max_leaves=12,
)
_selects = st.builds(
    lambda cols, tables, where, tail: f"SELECT {cols} FROM {tables} WHERE {where}{tail}",
    st.lists(_exprs, min_size=1, max_size=3).map(", ".join) | st.just("*"),
    st.lists(st.sampled_from(_TABLES), min_size=1, max_size=3).map(", ".join),
    _exprs,
    st.sampled_from(["", " LIMIT 5", " ORDER BY 1", " GROUP BY 1", " LIMIT -1", "; DROP TABLE state", " --"]),
)
_sql = st.one_of(
    _selects,
    st.builds(lambda n, s: f"WITH {n} AS ({s}) SELECT * FROM {n}", st.sampled_from(_TABLES + ["t1"]), _selects),
    st.builds(
        lambda s: f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) {s}",
        _selects,
    ),
    st.tuples(_selects, _selects).map(" UNION ALL ".join),
    st.text(max_size=200),
    st.sampled_from(["PRAGMA writable_schema=1", "ATTACH ':memory:' AS m", "VACUUM", "DELETE FROM state"]),
)


@settings(max_examples=SQL_EXAMPLES, **PROFILE)
@given(_sql)
def test_sql_grammar(seeded, unchanged, sql):
    try:
        result = execute(seeded["db"], sql, time_limit=0.2)
    except ToolError as exc:
        assert exc.kind in KNOWN_KINDS
        return
    json.dumps(result, default=str)
    assert result["row_count"] <= 200


# --- calculator: numbers as people write money, operators, functions, junk --------------------------------------
_numbers = st.one_of(
    st.integers(-(10**40), 10**40).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.builds(lambda n, s: f"{n}{s}", st.integers(0, 10**6), st.sampled_from(["k", "M", "%", "m", " %", "K"])),
    st.builds(lambda n: f"${n:,}", st.integers(0, 10**9)),
    st.sampled_from(["true", "True", "None", "1e29", "1e309", "0", "-0", "1_000", "0x10", "1j", "x", "'3'"]),
)
_calc = st.recursive(
    _numbers,
    lambda e: st.one_of(
        st.tuples(e, st.sampled_from(["+", "-", "*", "/", "//", "**", "%", " mod ", "@", "<<", "and"]), e).map("".join),
        st.tuples(
            st.sampled_from(["round", "abs", "min", "max", "pow", "int", "__import__"]), st.lists(e, max_size=3)
        ).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        e.map(lambda x: f"({x})"),
        e.map(lambda x: f"-{x}"),
    ),
    max_leaves=15,
)


@settings(max_examples=CALC_EXAMPLES, **PROFILE)
@given(_calc | st.text(max_size=80))
def test_calculator_grammar(expression):
    try:
        value = evaluate(expression)
    except ToolError as exc:
        assert exc.kind == "invalid_argument"
        return
    assert value.is_finite() and abs(value) <= MAX_MAGNITUDE


@pytest.mark.parametrize(
    "arguments",
    [
        {"lob": "u" * 40_000, "naics": "722511", "state": "TX"},  # a 40,000-letter line once took the guard to 1.6 GB
        {"lob": " ".join("umbrella") * 3_000, "naics": "722511", "state": "TX"},
        {"naics": "722511", "state": "TX", "lob": "gl", "x": [["a" * 5_000] * 3] * 2},
        json.dumps({"lob": "gl" + "x" * 30_000}),
        {"lob": "gl", "deep": json.loads("[" * 50 + "]" * 50)},
    ],
)
def test_oversized_arguments_are_refused_before_anything_reads_them(call, arguments):
    import tracemalloc

    tracemalloc.start()
    try:
        event = call("check_appetite", arguments)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not event.ok and event.error_kind == "invalid_argument", event.result
    assert "limit" in event.result["error"] or "deeper" in event.result["error"]
    assert peak < 10 * 2**20, f"{peak / 2**20:.0f} MB"
