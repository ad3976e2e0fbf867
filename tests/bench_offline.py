"""``python -m tests.bench_offline``: the offline model's figures, the same command as ``python -m bench.offline``."""

from bench.offline import main

if __name__ == "__main__":
    main()
