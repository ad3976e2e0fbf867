"""The evaluation harness: task files, simulated underwriters, grading, the runner, reports, replays.

``uwc eval`` and ``uwc replay`` (app/cli.py) are the way in; ``evals/README``-style notes live in the main README.
"""
