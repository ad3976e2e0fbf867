"""The evaluation harness: task files, simulated underwriters, grading, the runner, reports, replays.

``uwc eval`` and ``uwc replay`` (app/cli.py) and the MCP tool ``run_eval_tasks`` are the way in; every run goes
through ``runner.run_to_folder``. The README's "Evaluation" and "Replays" sections describe both. The bundled task
suite lives in ``evals/suite/`` (its own README), replay scripts in ``evals/replays/``.
"""
