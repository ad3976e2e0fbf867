"""The evaluation harness: task files, simulated underwriters, grading, the runner, reports, replays.

``uwc eval`` and ``uwc replay`` (app/cli.py) are the way in; the README's "Evaluation" and "Replays" sections
describe both. The bundled task suite lives in ``evals/suite/`` (its own README), replay scripts in ``evals/replays/``.
"""
