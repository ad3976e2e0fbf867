"""The ``uwc`` command line: one entry point, one subcommand per job.

Each subcommand imports what it needs when it runs (``uwc --help`` stays fast) and turns expected errors
into one readable line on stderr and a non-zero exit code; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from app.settings import apply_offline_env, get_settings


class CliError(Exception):
    """An expected failure: the message is shown as is, with exit code ``code``."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def _human_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return str(n)


def cmd_seed(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from seed_db.seed import run_seed
    from seed_db.sources import SeedError
    from tools.embeddings import EmbeddingUnavailable, make_embedding

    settings = get_settings(data_dir=args.data_dir)
    console = Console(stderr=False)
    try:
        report = run_seed(
            settings.resolved_database_url,
            settings.index_dir,
            make_embedding(settings.embedding_model, settings.api_base),
            if_missing=args.if_missing,
            with_index=not args.no_index,
        )
    except SeedError as exc:
        raise CliError(f"seed failed: {exc}; the existing database was left untouched") from None
    except EmbeddingUnavailable as exc:
        raise CliError(f"seed failed while indexing guidelines: {exc}") from None
    if report.skipped:
        console.print(f"Database and guideline index already built in {settings.data_dir} (use `uwc seed` to rebuild).")
        return 0
    table = Table(title=f"Seeded {report.database or settings.resolved_database_url}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in report.counts.items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    console.print(f"database size: {_human_bytes(report.database_bytes)}")
    if report.index is not None:
        ix = report.index
        console.print(f"guideline index: {ix.sections} sections, embedding {ix.embedding} ({ix.dimensions} dims) at {ix.path}, {ix.seconds:.2f} s")
    console.print(f"seed wall time: {report.seconds:.2f} s")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = get_settings(data_dir=args.data_dir)
    from seed_db.seed import is_seeded

    if not is_seeded(settings.resolved_database_url, settings.index_dir):
        raise CliError(f"no database in {settings.data_dir}: run `uwc seed` (or `make run`) first")
    if not 1 <= args.port <= 65535:
        raise CliError(f"--port must be between 1 and 65535, got {args.port}", 2)
    page = Path(__file__).parent / "streamlit_app.py"
    env = {**os.environ, "UWC_DATA_DIR": str(settings.data_dir)}
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(page),
        "--server.address", args.host, "--server.port", str(args.port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]
    print(f"Underwriting Copilot on http://{args.host}:{args.port} (model: {settings.model}); Ctrl+C stops it.", flush=True)
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uwc",
        description="Underwriting Copilot: an agent that helps junior underwriters with small-business submissions.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("seed", help="build the database and the guideline index in the data folder")
    p.add_argument("--if-missing", action="store_true", help="do nothing when both are already built")
    p.add_argument("--no-index", action="store_true", help="build the database only")
    p.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("serve", help="start the Streamlit app")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    p.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    apply_offline_env()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except CliError as exc:
        print(f"uwc {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print(f"uwc {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
