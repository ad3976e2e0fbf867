"""Scripted replays: every checked-in script passes with the offline model; a failing one exits 1 with a readable diff."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.cli import main
from core.settings import get_settings
from core.vocabulary import TASK_TYPES
from evals.replay import ReplayFileError, load_script, run_script
from graph.copilot import Copilot

REPLAYS = sorted((Path(__file__).parent.parent / "evals" / "replays").glob("*.yaml"))


@pytest.fixture(scope="module")
def copilot(tmp_path_factory, toolkit):
    cp = Copilot(get_settings(data_dir=tmp_path_factory.mktemp("replays"), model="offline"), toolkit=toolkit)
    yield cp
    cp.close()


@pytest.mark.parametrize("path", REPLAYS, ids=[p.stem for p in REPLAYS])
def test_checked_in_replay_passes_with_the_offline_model(copilot, path):
    result = run_script(copilot, path)
    assert result.ok, result.failure


def test_there_is_a_replay_for_every_task_type():
    covered = {t.expect.finding.get("task_type") for p in REPLAYS for t in load_script(p).turns if t.expect.finding}
    assert set(TASK_TYPES) <= covered


def write(tmp_path, name, data) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_cli_failing_script_exits_1_with_a_readable_diff(seeded, tmp_path, capsys):
    bad = write(
        tmp_path,
        "wrong.yaml",
        {
            "name": "wrong on purpose",
            "turns": [
                {
                    "user": "What deductible should we offer Wayfarer Heavy Haul for auto?",
                    "expect": {
                        "tools": ["find_applicant", "get_limits"],
                        "finding": {"task_type": "deductible", "deductible": 1000},
                        "contains": "per occurrence",
                    },
                },
                {"user": "never sent", "expect": {}},
            ],
        },
    )
    good = REPLAYS[0]
    code = main(["replay", str(bad), str(good), "--model", "offline", "--data-dir", str(seeded["dir"])])
    out = capsys.readouterr().out
    assert code == 1
    assert "wrong.yaml" in out and "turn 1 of 2" in out
    assert "-get_limits" in out and "+get_deductible" in out  # the tool diff
    assert "expected: 1000" in out and "actual:   5000" in out  # the finding diff
    assert "per occurrence" in out and "never sent" not in out  # stopped at the first failed turn
    assert "1 passed, 1 failed" in out


def test_cli_passing_scripts_exit_0(seeded, capsys):
    assert main(["replay", str(REPLAYS[0]), "--model", "offline", "--data-dir", str(seeded["dir"])]) == 0
    assert "1 passed, 0 failed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "data, words",
    [
        ({"turns": [{"user": "hi"}]}, ["missing", "name"]),
        ({"name": "x", "turns": [{"user": "hi", "expect": {"tool": ["a"]}}]}, ["unknown", "turns.0.expect.tool"]),
        ({"name": "x", "turns": []}, ["turns"]),
        (["not", "a", "mapping"], ["mapping"]),
    ],
)
def test_script_errors_name_the_file_and_field(tmp_path, seeded, capsys, data, words):
    path = write(tmp_path, "bad.yaml", data)
    with pytest.raises(ReplayFileError) as err:
        load_script(path)
    assert "bad.yaml" in str(err.value) and all(w in str(err.value) for w in words)
    assert main(["replay", str(path), "--data-dir", str(seeded["dir"])]) == 2
    err_line = capsys.readouterr().err.strip()
    assert err_line.startswith("uwc replay:") and len(err_line.splitlines()) == 1
