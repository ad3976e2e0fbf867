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
        what = ", ".join(f"{n:,} {name}" for name, n in ix.counts.items())
        console.print(f"search index: {what}; embedding {ix.embedding} ({ix.dimensions} dims) at {ix.path}, {ix.seconds:.2f} s")
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


def _toolkit(settings):
    from tools.context import open_context
    from tools.registry import Toolkit

    try:
        return Toolkit(open_context(settings.data_dir, settings.embedding_model, settings.api_base))
    except FileNotFoundError as exc:
        raise CliError(f"{exc} (or `make run`)") from None


def cmd_tool(args: argparse.Namespace) -> int:
    import json

    settings = get_settings(data_dir=args.data_dir)
    if args.list or not args.name:
        import tools.all  # noqa: F401
        from tools.registry import REGISTRY

        if not args.list:
            raise CliError("give a tool name (and --args JSON), or --list to see the tools", 2)
        for spec in REGISTRY.values():
            print(json.dumps({"name": spec.name, "description": spec.description, "parameters": spec.json_schema}))
        return 0
    try:
        arguments = json.loads(args.args)
    except json.JSONDecodeError as exc:
        print(json.dumps({"error": f"--args is not valid JSON: {exc.msg} at position {exc.pos}", "hint": "e.g. --args '{\"naics\": \"722511\"}'"}))
        return 2
    event = _toolkit(settings).call(args.name, arguments)
    print(json.dumps(event.result, default=str, indent=None if args.compact else 2))
    return 0 if event.ok else 2


def cmd_guard_scan(args: argparse.Namespace) -> int:
    import json

    from tools.guard import scan_products

    catalog = None
    settings = get_settings(data_dir=args.data_dir)
    try:
        from tools.catalog import Catalog
        from tools.context import readonly_engine

        catalog = Catalog.load(readonly_engine(settings.database_path))
    except FileNotFoundError as exc:
        raise CliError(f"{exc} (the scanner checks against the live catalog)") from None
    source = sys.stdin if str(args.file) == "-" else None
    if source is None and not args.file.is_file():
        raise CliError(f"{args.file}: no such file", 2)
    lines = (source or args.file.open(encoding="utf-8")).read().splitlines()
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CliError(f"{args.file}, line {n}: not JSON ({exc.msg}); expected {{\"id\": ..., \"text\": ...}}", 2) from None
        if not isinstance(item, dict) or "id" not in item or not isinstance(item.get("text"), str):
            raise CliError(f"{args.file}, line {n}: expected an object with \"id\" and a string \"text\"", 2)
        out.append({"id": item["id"], "invented_products": scan_products(item["text"], catalog)})
    for item in out:  # written only when every line was valid: no partial output
        print(json.dumps(item))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from rich.console import Console

    from graph.copilot import Copilot, InputRejected
    from graph.threads import ThreadNotFound

    settings = get_settings(data_dir=args.data_dir, model=args.model)
    console = Console(highlight=False, stderr=False)
    try:
        copilot = Copilot(settings)
    except FileNotFoundError as exc:
        raise CliError(f"{exc} (or `make run`)") from None
    except Exception as exc:  # e.g. a cassette that does not exist
        raise CliError(f"cannot start the copilot: {exc}") from None
    if args.thread:
        try:
            thread = copilot.threads.get(args.thread)
        except ThreadNotFound:
            known = ", ".join(t.id for t in copilot.threads.list(5)) or "none yet"
            raise CliError(f"no conversation with id {args.thread!r}; recent ids: {known}", 2) from None
        for m in copilot.history(thread.id):
            console.print(f"[bold]{'you' if m['role'] == 'user' else 'copilot'}:[/bold] {m['content']}")
    else:
        thread = copilot.new_thread()
    console.print(f"[dim]{copilot.label} · conversation {thread.id} (resume with --thread {thread.id}) · Ctrl+D to quit[/dim]")
    interactive = sys.stdin.isatty()

    def show(event: dict) -> None:
        if event["type"] == "tool":
            status = "ok" if event["ok"] else f"error: {event['result'].get('error', '')[:100]}"
            args_text = ", ".join(f"{k}={v!r}" for k, v in event["arguments"].items())[:160]
            console.print(f"  [cyan]· {event['tool']}[/cyan]({args_text}) [dim]{event['duration_ms']:.0f} ms, {status}[/dim]")
        elif event["type"] == "notice":
            for n in event["notices"]:
                console.print(f"  [yellow]! {n}[/yellow]")

    while True:
        try:
            line = input("you> " if interactive else "")
        except EOFError:
            break
        except KeyboardInterrupt:
            console.print()
            break
        if not line.strip():
            continue
        if not interactive:
            console.print(f"[bold]you:[/bold] {line}")
        try:
            result = copilot.send(thread.id, line, on_event=show)
        except InputRejected as exc:
            console.print(f"[red]{exc}[/red]")
            continue
        style = "red" if result.error else "green"
        console.print(f"[bold {style}]copilot:[/bold {style}] {result.answer}")
        if result.finding:
            f = result.finding
            verdict = {k: f[k] for k in ("appetite", "lobs", "small_business", "per_occurrence", "aggregate", "deductible", "naics") if k in f}
            console.print(f"  [magenta]finding ({f['task_type']}): {verdict} · cites {', '.join(f['citations'])}[/magenta]")
    copilot.close()
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

    p = sub.add_parser("chat", help="talk to the copilot in the terminal (reads stdin lines when piped)")
    p.add_argument("--model", default=None, help="litellm model string or 'offline' (default: $UWC_MODEL or offline)")
    p.add_argument("--thread", default=None, help="resume a conversation by id")
    p.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("tool", help="list the tools or call one through the guarded boundary")
    p.add_argument("name", nargs="?", help="tool name (see --list)")
    p.add_argument("--args", default="{}", help="arguments as a JSON object")
    p.add_argument("--list", action="store_true", help="print each tool's name, description and JSON schema")
    p.add_argument("--compact", action="store_true", help="one-line JSON output")
    p.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    p.set_defaults(func=cmd_tool)

    p = sub.add_parser("guard", help="the product guard")
    gsub = p.add_subparsers(dest="guard_command", metavar="ACTION", required=True)
    g = gsub.add_parser("scan", help="JSONL {id, text} in -> JSONL {id, invented_products} out, in input order")
    g.add_argument("file", type=Path, help="JSONL file, or - for stdin")
    g.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    g.set_defaults(func=cmd_guard_scan)
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
