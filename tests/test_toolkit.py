"""The boundary runs the tools its caller hands it; `tools/all.py` hands it every tool; the context names its
database, opened from the settings' one definition of the data folder's files."""

from __future__ import annotations

import importlib
import pkgutil

import tools
from core.settings import Settings
from tools.all import default_tools
from tools.calculator import calculate
from tools.context import SQLiteFile, open_context
from tools.spec import spec_of, specs_in
from tools.toolkit import Toolkit


def test_a_toolkit_runs_only_the_tools_it_is_handed(db_toolkit):
    only = Toolkit(db_toolkit.ctx, [spec_of(calculate)])
    assert only.call("calculate", {"expression": "4.5M / 32"}).result["result"] == "140625"
    event = only.call("run_sql", {"query": "SELECT 1"})
    assert not event.ok and event.error_kind == "invalid_argument"
    assert event.result["hint"] == "tools: calculate"


def test_the_default_list_holds_every_tool_of_the_package_once():
    """A tool module left out of tools/all.py would silently take its tools away from the model and `uwc tool`."""
    defined = []
    for module in pkgutil.iter_modules(tools.__path__):
        defined += [spec.name for spec in specs_in(importlib.import_module(f"tools.{module.name}"))]
    listed = [spec.name for spec in default_tools()]
    assert sorted(listed) == sorted(defined) and len(set(listed)) == len(listed)


def test_the_context_opens_the_data_folders_sqlite_file(seeded_db):
    settings = Settings(data_dir=seeded_db["dir"], database_url=None, embedding_model="hashing")
    ctx = open_context(settings)
    try:
        assert ctx.database == SQLiteFile(settings.database_path) and ctx.index_dir == settings.index_dir
        assert ctx.catalog.find_lob("auto")
    finally:
        ctx.engine.dispose()


def test_a_tools_schema_is_built_once_and_each_caller_gets_its_own_copy():
    """The schema was built afresh by pydantic on every read (the boundary read it on every call with a boolean):
    now once per tool; a caller that changes its copy changes nobody else's."""
    from tools.underwriting import get_limits

    spec = spec_of(get_limits)
    schema = spec.json_schema
    built = spec.args_model.model_json_schema()
    del built["title"]
    for prop in built["properties"].values():
        del prop["title"]
    assert schema == built
    schema["properties"].clear()
    assert spec.json_schema["properties"] and spec.json_schema is not spec.json_schema
    assert spec.not_booleans == {"naics", "lob"}


def test_true_false_is_refused_where_the_schema_takes_no_boolean(db_toolkit):
    event = db_toolkit.call("get_limits", {"naics": True, "lob": "general_liability"})
    assert not event.ok and event.error_kind == "invalid_argument" and "true/false" in event.result["error"]
    assert "get_limits takes (naics: " in event.result["hint"]
