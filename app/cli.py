"""The ``uwc`` command line: one entry point, one subcommand per job.

Each subcommand imports what it needs when it runs (``uwc --help`` stays fast) and turns expected errors
into one readable line on stderr and a non-zero exit code; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from core.settings import apply_offline_env, get_settings
from core.vocabulary import VERDICT_FIELDS

MAX_ARGS_BYTES = 1_000_000  # `uwc tool` arguments (inline, file or stdin)
MAX_ARGS_DEPTH = 20  # nesting of the arguments' JSON
MAX_SCAN_CHARS = 1_000_000  # one `guard scan` text
MAX_SCAN_LINE_BYTES = 6 * MAX_SCAN_CHARS + 4096  # its JSONL line: a text of \uXXXX escapes, its id and braces
MAX_SCRIPT_BYTES = 5_000_000  # one replay script
MAX_LINE_BYTES = 4 * 8000 + 2  # one `uwc chat` line from a pipe: 8,000 characters of UTF-8 and its line end


class LineTooLong(Exception):
    def __init__(self, limit: int):
        self.limit = limit


def _read_line(src, limit: int) -> str:
    """One line of a stream (binary, or text where there is no binary one), read at most ``limit`` bytes or
    characters at a time: a longer line is skipped in bounded chunks (``LineTooLong``), never held whole;
    ``EOFError`` at the end; ``UnicodeDecodeError`` if not UTF-8."""
    raw = src.readline(limit + 1)
    if not raw:
        raise EOFError
    end = b"\n" if isinstance(raw, bytes) else "\n"
    if len(raw) > limit:
        while raw and not raw.endswith(end):
            raw = src.readline(65536)
        raise LineTooLong(limit)
    return (raw.decode("utf-8") if isinstance(raw, bytes) else raw).rstrip("\r\n")


_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")


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

    from app.progress import progress_bar, wanted
    from core.database import database_errors, explain, is_postgres, masked
    from graph.store_roles import prepare_store
    from retrieval.embeddings import EmbeddingUnavailable, make_embedding
    from seed_db.seed import run_seed
    from seed_db.sources import SeedError

    settings = get_settings(data_dir=args.data_dir)
    console = Console(stderr=False)
    owner = settings.owner_url
    if owner and not (is_postgres(owner) and is_postgres(settings.database_url)):
        raise CliError(
            "UWC_OWNER_URL is for PostgreSQL: set it and UWC_DATABASE_URL (the app's login) to postgresql:// URLs", 2
        )
    try:
        with progress_bar(wanted(args.progress)) as progress:
            report = run_seed(
                owner or settings.resolved_database_url,
                settings.index_dir,
                make_embedding(settings.embedding_model, settings.api_base),
                if_missing=args.if_missing,
                with_index=not args.no_index,
                reader_url=settings.reader_url,
                cache_dir=settings.cache_path,
                progress=progress,
                app_url=settings.database_url if owner else None,
            )
        # the owner migrates the conversations store; the app's login gets INSERT and SELECT on the record
        store_note = prepare_store(owner, str(settings.database_url)) if owner else None
    except SeedError as exc:
        raise CliError(f"seed failed: {exc}; the existing database was left untouched") from None
    except database_errors() as exc:
        raise CliError(
            f"seed failed: {explain(exc, owner or settings.resolved_database_url)}; the existing data was left untouched"
        ) from None
    except EmbeddingUnavailable as exc:
        raise CliError(f"seed failed while indexing guidelines: {exc}") from None
    except OSError as exc:  # a read-only or full data folder: no traceback, say what to do
        where = exc.filename or settings.data_dir
        raise CliError(
            f"seed failed: cannot write {where} ({exc.strerror or exc}); make the data folder writable or set "
            "UWC_DATA_DIR (or --data-dir) to one that is; the existing database was left untouched"
        ) from None
    if store_note:
        console.print(f"[yellow]note: {store_note}[/yellow]")
    from graph.offline import intent

    intent.prepare(settings.cache_path)  # kept there: no chat process pays for building it (seeded or not)
    if report.skipped:
        console.print(
            f"Database and search index already built from the current inputs in {settings.data_dir} (`uwc seed` rebuilds)."
        )
        return 0
    table = Table(title=f"Seeded {report.database or masked(settings.resolved_database_url)}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in report.counts.items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    console.print(f"database size: {_human_bytes(report.database_bytes)}")
    if report.index is not None:
        ix = report.index
        what = ", ".join(f"{n:,} {name}" for name, n in ix.counts.items())
        console.print(
            f"search index: {what}; embedding {ix.embedding} ({ix.dimensions} dims) at {ix.path}, {ix.seconds:.2f} s; "
            f"{ix.embedded:,} texts embedded, the rest reused from the shipped or cached vectors"
        )
    if report.note:
        console.print(f"[yellow]note: {report.note}[/yellow]")
    console.print(f"seed wall time: {report.seconds:.2f} s")
    return 0


def check_host(host: str) -> str:
    """An IP address or a syntactically valid host name (all-numeric names must be IPv4 addresses)."""
    import ipaddress

    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    if _HOSTNAME.match(host) and not re.fullmatch(r"[\d.]+", host):
        return host
    raise CliError(f"--host {host!r} is not an IP address or a host name (e.g. 127.0.0.1 or 0.0.0.0)", 2)


def url_host(host: str) -> str:
    """``host`` as it appears in a URL (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host else host


def cmd_serve(args: argparse.Namespace) -> int:
    from app.auth import AuthConfigError, check_auth_settings, write_oidc_secrets
    from app.serve import bind_problem, is_loopback, run_supervised, server_env, streamlit_command
    from core.database import is_postgres, masked

    host = check_host(args.host)  # "[::1]" -> "::1": Streamlit binds the bare address
    from seed_db.seed import is_seeded

    settings = get_settings(data_dir=args.data_dir)
    if not 1 <= args.port <= 65535:
        raise CliError(f"--port must be between 1 and 65535, got {args.port}", 2)
    try:
        mode = check_auth_settings(settings)
    except AuthConfigError as exc:
        raise CliError(str(exc), 2) from None
    if mode is None and not is_loopback(host):
        raise CliError(
            f"refusing to listen on {host} without sign-in: set UWC_AUTH=demo (with UWC_AUTH_USERS_FILE) "
            "or UWC_AUTH=oidc (with the UWC_OIDC_* settings), or use --host 127.0.0.1",
            2,
        )
    problem = bind_problem(host, args.port)
    if problem:
        raise CliError(problem, 2)
    if is_postgres(settings.database_url):
        _check_postgres(settings)
    if not is_seeded(settings.resolved_database_url, settings.index_dir):
        where = masked(settings.database_url) if settings.database_url else settings.data_dir
        raise CliError(f"no seeded data in {where}: run `uwc seed` (or `make run`) first")
    secrets = write_oidc_secrets(settings, settings.data_dir / "streamlit-secrets.toml") if mode == "oidc" else None
    sign_in = {None: "no sign-in", "demo": "demo sign-in", "oidc": "OIDC sign-in"}[mode]
    print(
        f"Underwriting Copilot on http://{url_host(host)}:{args.port} (model: {settings.model}, {sign_in}); "
        "Ctrl+C stops it.",
        flush=True,
    )
    env = server_env(settings.data_dir)
    # The submission desk's triage runs beside the app (UWC_DESK_WORKERS, 0: workers run elsewhere).
    desk = [[sys.executable, "-m", "app.cli", "desk", "worker", "--workers", str(settings.desk_workers)]]
    return run_supervised(
        streamlit_command(host, args.port, secrets), env, companions=desk if settings.desk_workers else []
    )


def _check_postgres(settings) -> None:
    """Fail fast, in one line, when PostgreSQL is down, refuses us, or the store cannot be written."""
    from core.database import DatabaseUnavailable, database_errors, explain
    from graph.threads import check_stores

    try:
        check_stores(settings)
    except DatabaseUnavailable as exc:  # already one line (a store only its owner may upgrade)
        raise CliError(str(exc)) from None
    except database_errors() as exc:
        raise CliError(explain(exc, settings.database_url)) from None


def cmd_hash_password(args: argparse.Namespace) -> int:
    import getpass

    from app.auth import hash_password

    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("Password: ")
    if not password:
        raise CliError("the password is empty", 2)
    print(hash_password(password))
    return 0


def _toolkit(settings):
    from core.database import database_errors, explain
    from tools.all import default_tools
    from tools.context import open_context
    from tools.toolkit import Toolkit

    try:
        return Toolkit(open_context(settings), default_tools())
    except FileNotFoundError as exc:
        raise CliError(f"{exc} (or `make run`)") from None
    except database_errors() as exc:
        raise CliError(explain(exc, settings.resolved_database_url)) from None


def cmd_tool(args: argparse.Namespace) -> int:
    import json

    settings = get_settings(data_dir=args.data_dir)
    if args.list or not args.name:
        from tools.all import default_tools

        if not args.list:
            raise CliError("give a tool name (and --args JSON), or --list to see the tools", 2)
        for spec in default_tools():
            print(json.dumps({"name": spec.name, "description": spec.description, "parameters": spec.json_schema}))
        return 0
    source = "--args"
    text = args.args
    if args.args_file is not None:
        source = "stdin" if str(args.args_file) == "-" else str(args.args_file)
        text = _read_text(args.args_file, MAX_ARGS_BYTES, "--args-file")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_ARGS_BYTES:
        raise CliError(f"{source} is over {MAX_ARGS_BYTES:,} bytes", 2)
    try:
        arguments = json.loads(text)
    except json.JSONDecodeError as exc:
        print(
            json.dumps(
                {
                    "error": f"{source} is not valid JSON: {exc.msg} at position {exc.pos}",
                    "hint": 'e.g. --args \'{"naics": "722511"}\' or --args-file args.json',
                }
            )
        )
        return 2
    except RecursionError:
        raise CliError(f"{source} nests deeper than {MAX_ARGS_DEPTH} levels", 2) from None
    if _depth(arguments) > MAX_ARGS_DEPTH:
        raise CliError(f"{source} nests deeper than {MAX_ARGS_DEPTH} levels", 2)
    event = _toolkit(settings).call(args.name, arguments)
    print(json.dumps(event.result, default=str, indent=None if args.compact else 2))
    return 0 if event.ok else 2


def _depth(value, limit: int = MAX_ARGS_DEPTH + 1) -> int:
    """Nesting depth of a JSON value, counted iteratively (no recursion on hostile input)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, d = stack.pop()
        deepest = max(deepest, d)
        if d > limit:
            return d
        if isinstance(item, dict):
            stack += [(v, d + 1) for v in item.values()]
        elif isinstance(item, list):
            stack += [(v, d + 1) for v in item]
    return deepest


def _read_text(path: Path, limit: int, what: str) -> str:
    """A UTF-8 text file (or ``-`` for stdin) of at most ``limit`` bytes, else one readable error."""
    if str(path) == "-":
        data = sys.stdin.buffer.read(limit + 1)
        name = "stdin"
    else:
        if not path.is_file():
            raise CliError(f"{what} {path}: no such file", 2)
        if path.stat().st_size > limit:
            raise CliError(f"{what} {path} is over {limit:,} bytes", 2)
        data, name = path.read_bytes(), str(path)
    if len(data) > limit:
        raise CliError(f"{what} {name} is over {limit:,} bytes", 2)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(f"{what} {name} is not UTF-8 text (byte {exc.start})", 2) from None


def cmd_guard_scan(args: argparse.Namespace) -> int:
    import json

    from tools.guard import scan_products

    catalog = None
    settings = get_settings(data_dir=args.data_dir)
    try:
        from seed_db.queries import readonly_engine
        from tools.catalog import Catalog

        catalog = Catalog.load(readonly_engine(settings.resolved_database_url))
    except FileNotFoundError as exc:
        raise CliError(f"{exc} (the scanner checks against the live catalog)") from None
    import tempfile

    if str(args.file) != "-" and not args.file.is_file():
        raise CliError(f"{args.file}: no such file", 2)
    # Two streaming passes: every line is checked first (no partial output), then scanned and written one at a
    # time. Stdin is spooled to a temporary file for the second pass. Memory stays one line; time is linear.
    with tempfile.TemporaryFile() as spool:
        src = sys.stdin.buffer if str(args.file) == "-" else args.file.open("rb")
        try:
            for n, raw in _bounded_lines(src, args.file):
                _scan_item(raw, n, args.file)
                if str(args.file) == "-":
                    spool.write(raw)
        finally:
            if src is not sys.stdin.buffer:
                src.close()
        if str(args.file) == "-":
            spool.seek(0)
        with spool if str(args.file) == "-" else args.file.open("rb") as again:
            for n, raw in _bounded_lines(again, args.file):
                item = _scan_item(raw, n, args.file)
                if item is not None:
                    print(json.dumps({"id": item["id"], "invented_products": scan_products(item["text"], catalog)}))
    return 0


def _bounded_lines(src, file: Path):
    """The numbered lines of a binary stream, each read at most MAX_SCAN_LINE_BYTES at a time: a longer line is
    refused while it is read, so a 300 MB line never sits in memory whole."""
    n = 0
    while raw := src.readline(MAX_SCAN_LINE_BYTES + 1):
        n += 1
        if len(raw) > MAX_SCAN_LINE_BYTES:
            raise CliError(f"{file}, line {n}: over {MAX_SCAN_LINE_BYTES:,} bytes", 2)
        yield n, raw


def _scan_item(raw: bytes, n: int, file: Path) -> dict | None:
    """One JSONL line of `guard scan`: {"id", "text"}, or None for a blank line; else one readable error."""
    import json

    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(f"{file}, line {n}: not UTF-8 text (byte {exc.start})", 2) from None
    if not line.strip():
        return None
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CliError(f'{file}, line {n}: not JSON ({exc.msg}); expected {{"id": ..., "text": ...}}', 2) from None
    except RecursionError:
        raise CliError(f"{file}, line {n}: nested too deeply", 2) from None
    if not isinstance(item, dict) or "id" not in item or not isinstance(item.get("text"), str):
        raise CliError(f'{file}, line {n}: expected an object with "id" and a string "text"', 2)
    if len(item["text"]) > MAX_SCAN_CHARS:
        raise CliError(f"{file}, line {n}: text is over {MAX_SCAN_CHARS:,} characters", 2)
    return item


def cmd_chat(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.text import Text

    from core.database import DatabaseUnavailable, database_errors, explain
    from core.faults import start_problem
    from graph import readback
    from graph.copilot import MAX_MESSAGE_CHARS, Copilot, InputRejected, MessageNotSent
    from graph.headline import headline
    from graph.threads import ThreadNotFound

    settings = get_settings(data_dir=args.data_dir, model=args.model)
    console = Console(highlight=False, stderr=False)

    def say(label: str, style: str, text: str) -> None:
        # Model and user text is printed literally: "[auto-qualified]" citations, the guard's "[removed: …]"
        # marks and a stray "[/x]" are text, not rich markup.
        console.print(Text.assemble((f"{label}:", style), " ", str(text)), soft_wrap=True)

    def note(style: str, text: str) -> None:
        console.print(Text(text, style=style), soft_wrap=True)

    from core import tracing

    tracing.configure_from_settings(settings)  # the Monitoring page sees terminal conversations too
    try:
        copilot = Copilot(settings)
    except FileNotFoundError as exc:
        raise CliError(f"{exc} (or `make run`)") from None
    except DatabaseUnavailable as exc:  # a store of the conversations, named with its fault
        raise CliError(str(exc)) from None
    except database_errors() as exc:
        raise CliError(explain(exc, settings.resolved_database_url)) from None
    except Exception as exc:  # e.g. a cassette that does not exist
        raise CliError(start_problem(exc, settings.data_dir)) from None
    if args.thread:
        try:
            thread = copilot.threads.get(args.thread)
        except ThreadNotFound:
            known = ", ".join(t.id for t in copilot.threads.list(5)) or "none yet"
            raise CliError(f"no conversation with id {args.thread!r}; recent ids: {known}", 2) from None
        for m in copilot.history(thread.id):
            say("you" if m["role"] == "user" else "copilot", "bold", m["content"])
    else:
        thread = copilot.new_thread()
    note("dim", f"{copilot.label} · conversation {thread.id} (resume with --thread {thread.id}) · Ctrl+D to quit")
    catalog = copilot.toolkit.ctx.catalog
    interactive = sys.stdin.isatty()

    def show(event: dict) -> None:
        if event["type"] == "tool":
            status = "ok" if event["ok"] else f"error: {event['result'].get('error', '')[:100]}"
            args_text = ", ".join(f"{k}={v!r}" for k, v in event["arguments"].items())[:160]
            console.print(
                Text.assemble(
                    (f"  · {event['tool']}", "cyan"),
                    f"({args_text}) ",
                    (f"{event['duration_ms']:.0f} ms, {status}", "dim"),
                ),
                soft_wrap=True,
            )
        elif event["type"] == "notice":
            for n in event["notices"]:
                note("yellow", f"  ! {n}")

    while True:
        try:
            line = (
                _with_pasted_lines(input("you> "))
                if interactive
                else _read_line(getattr(sys.stdin, "buffer", sys.stdin), MAX_LINE_BYTES)
            )
        except EOFError:
            break
        except LineTooLong as exc:
            note(
                "red",
                f"message not sent: it is over {exc.limit:,} bytes; the limit is {MAX_MESSAGE_CHARS:,} characters",
            )
            continue
        except UnicodeDecodeError as exc:
            copilot.close()
            raise CliError(f"stdin is not UTF-8 text (byte {exc.start}); the conversation is kept", 2) from None
        except KeyboardInterrupt:
            console.print()
            break
        if not line.strip():
            continue
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:  # undecodable bytes smuggled in as surrogates (a non-UTF-8 locale)
            copilot.close()
            raise CliError("stdin is not UTF-8 text; the conversation is kept", 2) from None
        if not interactive:
            say("you", "bold", line)
        try:
            result = copilot.send(thread.id, line, on_event=show)
        except (MessageNotSent, DatabaseUnavailable) as exc:  # nothing of it was stored: the line is still the user's
            if not interactive:  # a later line sent without this one would change the conversation: stop here
                copilot.close()
                raise CliError(
                    f"message not sent ({_excerpt(line)}): {exc}; the lines after it were not read"
                ) from None
            note("red", f"Message not sent: {exc}. It is back at the prompt: press Enter to send it again.")
            _prefill(line)
            continue
        except InputRejected as exc:  # too long, empty: the next line continues the conversation
            note("red", str(exc))
            continue
        style = "red" if result.error else "green"
        if result.readings:  # what was read from the line, before the answer that rests on it
            note("blue", f"  {readback.line(result.readings)} (say 'correction: …' to change one)")
        name = copilot.known_facts(thread.id).get("company") if result.findings else None
        for f in result.findings:  # the determinations first, one line each, from the typed findings
            note(f"bold {style}", f"  ▸ {headline(f, catalog.lobs, catalog.naics_titles, name)}")
        say("copilot", f"bold {style}", result.answer)
        if result.error and result.error != result.answer:  # e.g. an answer a locked store kept back
            note("yellow", f"  ! {result.error}")
        for line in result.referral_lines:  # the page shows them as the conversation's next lines
            note("yellow", f"  ! {line}")
        for f in result.findings:
            verdict = {k: f[k] for k in VERDICT_FIELDS if k in f}
            note("magenta", f"  finding ({f['task_type']}): {verdict} · cites {', '.join(f['citations'])}")
    unsaved = copilot.save_pending()  # no next message will save an answer a store fault kept back
    copilot.close()
    if unsaved:
        raise CliError(f"the last answer in conversation {thread.id} could not be saved (its store stayed locked)")
    return 0


def _with_pasted_lines(first: str, wait: float = 0.05) -> str:
    """The line typed and the lines pasted with it: a pasted e-mail arrives as many lines at once, already waiting
    when the first is read, and is one message, not one turn a line. (Piped input stays one message a line.)"""
    import select

    lines = [first]
    try:
        while len(lines) < 500 and select.select([sys.stdin], [], [], wait)[0]:
            lines.append(input())
    except (EOFError, OSError, ValueError):  # the end of input, or no select on this stdin (Windows)
        pass
    return "\n".join(lines)


def _excerpt(line: str, limit: int = 60) -> str:
    return repr(line if len(line) <= limit else line[:limit] + "…")


def _prefill(text: str) -> None:
    """Put ``text`` at the next prompt, editable, where readline is available (a terminal)."""
    try:
        import readline
    except ImportError:  # no readline (Windows): the text is on screen above
        return

    def insert() -> None:
        readline.insert_text(text)
        readline.set_startup_hook(None)  # once

    readline.set_startup_hook(insert)


def _eval_compare(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from evals.report import RunNotFound, compare_rows, load_summary

    try:
        a, b = (load_summary(d) for d in args.compare)
    except RunNotFound as exc:
        raise CliError(str(exc), 2) from None
    table = Table(title="Evaluation runs side by side")
    table.add_column("figure")
    for d, s in zip(args.compare, (a, b), strict=True):
        table.add_column(f"{Path(d).name}\n{s.get('model', '?')}", justify="right")
    table.add_column("change", justify="right")
    for row in compare_rows(a, b):
        table.add_row(row["metric"], row["a"], row["b"], row["delta"])
    Console(highlight=False).print(table)
    return 0


def _eval_import(args: argparse.Namespace) -> int:
    from evals.snorkel import SnorkelImportError, import_file
    from evals.tasks import dump_tasks

    if args.out is None:
        raise CliError("--import-snorkel needs --out TASKS.jsonl (the task file to write)", 2)
    if args.out.is_dir():
        raise CliError(
            f"--out {args.out} is a folder; give the task file to write, e.g. {args.out / 'snorkel.jsonl'}", 2
        )
    settings = get_settings(data_dir=args.data_dir)
    catalog = _toolkit(settings).ctx.catalog
    try:
        report = import_file(args.import_snorkel, catalog)
    except SnorkelImportError as exc:
        raise CliError(str(exc), 2) from None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    dump_tasks(report.tasks, args.out)
    by_type: dict[str, int] = {}
    for t in report.tasks:
        by_type[t.task_type] = by_type.get(t.task_type, 0) + 1
    print(
        f"wrote {len(report.tasks)} task(s) to {args.out}: " + ", ".join(f"{k} {v}" for k, v in sorted(by_type.items()))
    )
    if report.duplicates:
        print(f"{report.duplicates} row(s) repeated a task already imported (same task id, another model's trace)")
    for line in report.skipped:
        print(f"skipped {line}", file=sys.stderr)
    return 0


def _eval_run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.table import Table

    from evals.runner import CannotStart, RunRefused, run_to_folder
    from evals.tasks import TaskFileError, load_tasks

    if args.trials < 1 or args.concurrency < 1 or args.max_turns < 1:
        raise CliError("--trials, --concurrency and --max-turns must be at least 1", 2)
    settings = get_settings(data_dir=args.data_dir, model=args.model)
    try:
        tasks = load_tasks(args.tasks)
    except TaskFileError as exc:
        raise CliError(f"{exc}; nothing was run", 2) from None
    toolkit = _toolkit(settings)
    console = Console(highlight=False)
    bar = Progress(
        TextColumn("[bold]eval[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("correct {task.fields[correct]}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    correct = 0

    def started(label: str) -> None:
        bar.start()
        bar.add_task(f"{label} · {args.user}", total=len(tasks) * args.trials, correct=0)

    def done(conv) -> None:
        nonlocal correct
        correct += bool(conv.row["correct"])
        bar.update(bar.task_ids[0], advance=1, correct=correct)

    try:
        run = run_to_folder(
            settings,
            toolkit,
            tasks,
            tasks_file=str(args.tasks),
            user=args.user,
            out=args.out,
            trials=args.trials,
            concurrency=args.concurrency,
            max_turns=args.max_turns,
            judge=args.judge,
            on_start=started,
            on_done=done,
        )
    except CannotStart as exc:
        raise CliError(str(exc)) from None
    except RunRefused as exc:
        raise CliError(f"{exc}; nothing was run", 2) from None
    finally:
        bar.stop()
    summary, out = run.summary, run.out

    table = Table(title=f"{summary['conversations']} conversations · {settings.model} · {args.user}")
    table.add_column("task type")
    table.add_column("n", justify="right")
    table.add_column("accuracy", justify="right")
    table.add_column("tool errors", justify="right")
    table.add_column("invented", justify="right")
    table.add_column("turns", justify="right")
    for t, v in summary["by_task_type"].items():
        table.add_row(
            t,
            str(v["conversations"]),
            f"{100 * v['accuracy']:.1f}%",
            f"{100 * v['tool_error_rate']:.1f}%",
            f"{100 * v['invented_product_rate']:.1f}%",
            f"{v['mean_turns']:.1f}",
        )
    table.add_row(
        "[bold]all[/bold]",
        str(summary["conversations"]),
        f"[bold]{100 * summary['accuracy']:.1f}%[/bold]",
        f"{100 * summary['tool_error_rate']:.1f}%",
        f"{100 * summary['invented_product_rate']:.1f}%",
        f"{summary['mean_turns']:.1f}",
    )
    console.print(table)
    passk = "  ".join(f"pass^{k} {100 * v:.1f}%" for k, v in summary["pass_hat_k"].items())
    console.print(
        f"{passk}  ·  mean tool calls {summary['mean_tool_calls']:.1f}  ·  cost ${summary['total_cost_usd']:.4f}  ·  "
        f"wall time {summary['wall_seconds']:.1f} s"
    )
    if summary["conversation_errors"]:
        console.print(
            f"[red]{summary['conversation_errors']} conversation(s) ended in an error: see {out / 'report.md'}[/red]"
        )
    console.print(f"results in {out} (report.md, summary.json, results.jsonl)")
    return 0


def _eval_promote(args: argparse.Namespace) -> int:
    import json

    from evals.promote import REGRESSION_SET, PromoteError, promote, task_from_thread
    from evals.tasks import TaskFileError
    from graph.copilot import Copilot
    from graph.threads import ThreadNotFound

    if not args.thread:
        raise CliError("give the conversation id: uwc eval promote THREAD [--expected JSON] [--task-type T]", 2)
    expected = None
    if args.expected:
        try:
            expected = json.loads(args.expected)
        except json.JSONDecodeError as exc:
            raise CliError(f"--expected is not valid JSON: {exc.msg}", 2) from None
        if not isinstance(expected, dict):
            raise CliError("--expected must be a JSON object, e.g. '{\"deductible\": 5000}'", 2)
    settings = get_settings(data_dir=args.data_dir)
    copilot = Copilot(settings, toolkit=_toolkit(settings))
    try:
        task = task_from_thread(copilot, args.thread, expected, args.task_type, args.id)
        line = promote(task, copilot.toolkit.ctx.catalog, args.out or REGRESSION_SET)
    except ThreadNotFound:
        known = ", ".join(t.id for t in copilot.threads.list(5)) or "none yet"
        raise CliError(f"no conversation with id {args.thread!r}; recent ids: {known}", 2) from None
    except (PromoteError, TaskFileError) as exc:
        raise CliError(f"not promoted: {exc}", 2) from None
    finally:
        copilot.close()
    print(
        f"added {line['id']} ({line['task_type']}, expected {json.dumps(line['expected'])}) to {args.out or REGRESSION_SET}"
    )
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    if args.action == "promote":
        return _eval_promote(args)
    if args.action:
        raise CliError(f"unknown eval action {args.action!r}: the only one is 'promote'", 2)
    modes = [m for m in ("tasks", "compare", "import_snorkel") if getattr(args, m)]
    if len(modes) != 1:
        raise CliError("give exactly one of --tasks FILE, --compare DIR1 DIR2 or --import-snorkel FILE", 2)
    if args.compare:
        return _eval_compare(args)
    if args.import_snorkel:
        return _eval_import(args)
    return _eval_run(args)


def cmd_replay(args: argparse.Namespace) -> int:
    from rich.console import Console

    from evals.replay import ReplayFileError, expand, load_script, run_script
    from evals.runner import CannotStart, private_copilot

    settings = get_settings(data_dir=args.data_dir, model=args.model)
    files = expand(args.files)
    if not files:
        raise CliError("no replay scripts found (give .yaml files or a folder of them)", 2)
    for f in files:
        _read_text(f, MAX_SCRIPT_BYTES, "replay script")  # exists, bounded, UTF-8
    try:
        scripts = [(f, load_script(f)) for f in files]
    except ReplayFileError as exc:
        raise CliError(str(exc), 2) from None
    console = Console(highlight=False)
    failed = 0
    try:
        with private_copilot(settings, _toolkit(settings)) as copilot:
            for path, script in scripts:
                result = run_script(copilot, path, script)
                if result.ok:
                    console.print(
                        f"[green]PASS[/green] {path} · {script.name} ({result.turns_run} turn(s))", soft_wrap=True
                    )
                else:
                    failed += 1
                    console.print(f"[red]FAIL[/red] {path} · {script.name}", soft_wrap=True)
                    console.print(result.failure, markup=False, soft_wrap=True)
    except CannotStart as exc:
        raise CliError(str(exc)) from None
    console.print(f"{len(scripts) - failed} passed, {failed} failed ({copilot.label})")
    return 1 if failed else 0


def cmd_desk_worker(args: argparse.Namespace) -> int:
    from core.database import is_postgres, masked
    from desk.queue import engine_url, queue_name
    from desk.worker import stop_on_signals, supervise, worker_command
    from seed_db.seed import is_seeded

    if not 1 <= args.workers <= 64:
        raise CliError(f"--workers must be between 1 and 64, got {args.workers}", 2)
    settings = get_settings(data_dir=args.data_dir)
    if is_postgres(settings.database_url):
        _check_postgres(settings)  # down or refusing us: one line now, not workers failing in a loop
    if not is_seeded(settings.resolved_database_url, settings.index_dir):
        raise CliError("no seeded data: run `uwc seed` (or `make run`) first")
    url = engine_url(settings)
    where = masked(url) if settings.database_url else url.removeprefix("sqlite:///")
    print(
        f"{args.workers} triage worker(s) on {where}, queue {queue_name(settings.model)}, "
        f"{settings.desk_concurrency} at once each; SIGTERM or Ctrl+C stops them.",
        flush=True,
    )
    stop = stop_on_signals()
    if settings.inbox:
        _watch_inbox(settings, stop)
    supervise(lambda slot: worker_command(slot, args.data_dir), args.workers, stop)
    return 0


def cmd_desk_samples(args: argparse.Namespace) -> int:
    """Generated submissions from the seeded applicants, taken in and queued like any (a demo's desk)."""
    from core.database import database_errors, explain
    from desk.samples import generate, load_applicants
    from desk.service import open_service

    if not 1 <= args.count <= 1000:
        raise CliError(f"--count must be between 1 and 1000, got {args.count}", 2)
    settings = get_settings(data_dir=args.data_dir)
    try:
        desk = open_service(settings)
        applicants, lobs = load_applicants(settings.resolved_database_url)
    except FileNotFoundError as exc:
        raise CliError(f"{exc} (or `make run`)") from None
    except database_errors() as exc:
        raise CliError(explain(exc, settings.resolved_database_url)) from None
    try:
        if args.if_empty and desk.store.list(limit=1):
            return 0
        outcome = desk.submit([(s.file_name, s.data) for s in generate(applicants, lobs, args.count)])
        print(f"{len(outcome.submissions)} sample submissions queued for triage (the desk workers triage them)")
    finally:
        desk.close()
    return 0


def _watch_inbox(settings, stop) -> None:
    """Take in what lands in ``UWC_INBOX`` beside the workers (a thread of the supervisor)."""
    import threading

    from desk.inbox import watch
    from desk.service import open_service

    desk = open_service(settings)
    print(f"watching {settings.inbox} for submissions", flush=True)
    threading.Thread(target=watch, args=(Path(settings.inbox), desk.submit, stop), daemon=True).start()


def cmd_mcp(args: argparse.Namespace) -> int:
    from app import mcp_server
    from app.mcp_access import ListenerRefused, http_access
    from app.serve import bind_problem
    from core import tracing

    settings = get_settings(data_dir=args.data_dir)
    access = None
    if args.transport == "http":  # decided before opening anything: a refused listener fails fast
        host = check_host(args.host)
        if not 1 <= args.port <= 65535:
            raise CliError(f"--port must be between 1 and 65535, got {args.port}", 2)
        try:
            access = http_access(settings, host)
        except ListenerRefused as exc:
            raise CliError(str(exc), 2) from None
        problem = bind_problem(host, args.port)
        if problem:
            raise CliError(problem, 2)
    toolkit = _toolkit(settings)
    tracing.configure_from_settings(settings)  # tool calls from other agents are traced like the copilot's
    server = mcp_server.build_server(settings, toolkit)
    try:
        if access is None:
            mcp_server.serve_stdio(server)
        else:
            sign_in = "bearer token required" if access.token else "no sign-in, loopback only"
            print(
                f"MCP (streamable HTTP) on http://{url_host(host)}:{args.port}/mcp ({sign_in}); Ctrl+C stops it.",
                file=sys.stderr,
            )
            mcp_server.serve_http(server, access, host, args.port)
    except KeyboardInterrupt:
        pass
    finally:
        tracing.shutdown()
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """The decision record: ``verify`` the chain, ``export`` records and memos (logic: graph/records.py,
    app/audit.py)."""
    from app.audit import ExportRefused, export
    from graph.audit_key import AuditKeyError, key_file, load_key, rotate_file
    from graph.records import RecordStore
    from graph.threads import store_url

    settings = get_settings(data_dir=args.data_dir)
    try:
        if args.audit_command == "rotate-key":
            if settings.audit_key:
                raise CliError(
                    "the key is UWC_AUDIT_KEY: set a new one there and add the old one to UWC_AUDIT_OLD_KEYS", 2
                )
            key = rotate_file(key_file(settings))
            print(f"new key {key.alg} in {key.source}; {len(key.retired)} retired key(s) kept there to verify")
            return 0
        store = RecordStore(store_url(settings), settings.database_wait, load_key(settings))
    except AuditKeyError as exc:
        raise CliError(str(exc), 2) from None
    try:
        if args.audit_command == "verify":
            report = store.verify()
            if not report.ok:
                raise CliError(f"chain broken: {report.problem}")
            unkeyed = f", {report.unkeyed:,} of them unkeyed (written before the key)" if report.unkeyed else ""
            print(f"ok: {report.count:,} records, chain intact{unkeyed} ({report.seconds:.2f} s)")
            print(f"head: record {report.head_seq}, hash {report.head_hash} (keep it elsewhere to compare later)")
            return 0
        try:
            done = export(
                store,
                args.out,
                Path.cwd(),
                thread_id=args.thread,
                submission_id=args.submission,
                since=args.since,
                fmt=args.format,
            )
        except ExportRefused as exc:
            raise CliError(str(exc), 2) from None
        memos = f" and {len(done.memos):,} memo(s)" if args.format != "jsonl" else ""
        print(f"exported {done.records:,} record(s){memos} to {done.out}")
        return 0
    finally:
        store.close()


def cmd_submit(args: argparse.Namespace) -> int:
    """One line per file: its submission(s) and the facts read, or the one reason it was refused; each new
    submission is queued for triage (the desk workers, or `uwc serve`, triage it)."""
    import json

    from core.database import database_errors, explain
    from desk.intake import display_name
    from desk.service import open_service

    settings = get_settings(data_dir=args.data_dir)
    try:
        desk = open_service(settings)
    except FileNotFoundError as exc:
        raise CliError(f"{exc} (or `make run`)") from None
    except database_errors() as exc:
        raise CliError(explain(exc, settings.resolved_database_url)) from None
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # a file name that is not UTF-8 is shown with U+FFFD, never a crash
    refused = 0
    try:
        for path in args.files:
            outcome = desk.submit([path]).outcomes[0]
            shown = display_name(path)
            refused += not outcome.ok
            if args.json:
                print(
                    json.dumps(
                        {"file": shown, "refused": outcome.refused, "duplicate": outcome.duplicate}
                        | {"submissions": [_submission_json(s) for s in outcome.submissions]}
                    )
                )
            else:
                print(f"{shown}: {_submission_line(outcome)}")
    finally:
        desk.close()
    return 2 if refused else 0


def _submission_json(s) -> dict:
    return {
        "id": s.id,
        "kind": s.kind,
        "status": s.status,
        "received_at": s.received_at,
        "needs_person": s.needs_person,
        "lines_requested": list(s.lines_requested),
        "facts": {f.key: {"value": f.value, "where": f.source.where(), "snippet": f.snippet} for f in s.facts},
        "notes": list(s.notes),
    }


def _submission_line(outcome) -> str:
    from desk.intake import without_controls

    return without_controls(_submission_text(outcome))  # a submission stored before intake made it plain


def _submission_text(outcome) -> str:
    if not outcome.ok:
        return f"refused: {outcome.refused}"
    again = " (already received)" if outcome.duplicate else ""
    subs = outcome.submissions
    if len(subs) == 1:
        s = subs[0]
        facts = ", ".join(f"{f.key}={f.value}" for f in s.facts) or "no facts read"
        tail = f"; needs a person: {s.needs_person}" if s.needs_person else ""
        tail += f"; {len(s.notes)} note(s): {s.notes[0]}" if s.notes else ""
        return f"{s.id} ({s.kind}){again}: {facts}{tail}"
    ids = ", ".join(s.id for s in subs[:3]) + (", …" if len(subs) > 3 else "")
    facts = sum(len(s.facts) for s in subs)
    return f"{len(subs)} submissions ({subs[0].kind}){again}: {ids}; {facts} facts read"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uwc",
        description="Underwriting Copilot: an agent that helps junior underwriters with small-business submissions.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("seed", help="build the database and the guideline index in the data folder")
    p.add_argument(
        "--if-missing", action="store_true", help="do nothing when both are already built from the current inputs"
    )
    p.add_argument("--no-index", action="store_true", help="build the database only")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bars on stderr (default: when stderr is a terminal)",
    )
    p.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("serve", help="start the Streamlit app")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    p.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("hash-password", help="print a salted hash for a demo user (reads the password from stdin)")
    p.set_defaults(func=cmd_hash_password)

    p = sub.add_parser("chat", help="talk to the copilot in the terminal (reads stdin lines when piped)")
    p.add_argument("--model", default=None, help="litellm model string or 'offline' (default: $UWC_MODEL or offline)")
    p.add_argument("--thread", default=None, help="resume a conversation by id")
    p.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("tool", help="list the tools or call one through the guarded boundary")
    p.add_argument("name", nargs="?", help="tool name (see --list)")
    p.add_argument("--args", default="{}", help="arguments as a JSON object")
    p.add_argument(
        "--args-file", type=Path, default=None, metavar="FILE", help="read the arguments' JSON from FILE (- for stdin)"
    )
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

    p = sub.add_parser(
        "eval", help="run the evaluation suite against a simulated underwriter, compare runs, import tasks"
    )
    p.add_argument(
        "action", nargs="?", metavar="promote", help="promote THREAD: add a conversation to the regression set"
    )
    p.add_argument("thread", nargs="?", help="with promote: the conversation id")
    p.add_argument(
        "--expected", default=None, help="with promote: the confirmed answer as JSON (default: the finding's)"
    )
    p.add_argument("--task-type", default=None, help="with promote: the task type when the conversation recorded none")
    p.add_argument("--id", default=None, help="with promote: the task id (default regression-<thread>)")
    p.add_argument("--tasks", type=Path, default=None, help="task file (JSONL) to run")
    p.add_argument("--model", default=None, help="litellm model string or 'offline' (default: $UWC_MODEL or offline)")
    p.add_argument(
        "--user",
        default="scripted",
        help="simulated underwriter: scripted (default, no LLM), natural (shorthand, seeded) or llm:<model>",
    )
    p.add_argument(
        "--trials", type=int, default=1, help="conversations per task (pass^k is reported for k = 1..trials)"
    )
    p.add_argument("--concurrency", type=int, default=1, help="conversations at once (one copilot per worker)")
    p.add_argument("--max-turns", type=int, default=20, help="turn cap per conversation (default 20)")
    p.add_argument(
        "--judge",
        default=None,
        metavar="MODEL",
        help="optional LLM judge for answers the text parser cannot read (off by default)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="run folder (default: <data dir>/runs/<timestamp>); with --import-snorkel or promote, the task file to write",
    )
    p.add_argument("--compare", nargs=2, type=Path, metavar=("DIR1", "DIR2"), help="print two runs side by side")
    p.add_argument(
        "--import-snorkel",
        type=Path,
        metavar="FILE",
        help="convert SnorkelUnderwrite rows (Parquet or JSONL) into a task file (--out)",
    )
    p.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("replay", help="run YAML conversation scripts and check their expectations")
    p.add_argument("files", nargs="+", type=Path, help="replay scripts (.yaml) or folders of them")
    p.add_argument("--model", default=None, help="litellm model string or 'offline' (default: $UWC_MODEL or offline)")
    p.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("audit", help="the decision record: verify its hash chain, export records and memos")
    asub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    a = asub.add_parser("verify", help="recompute every record's hash in order; exit 1 naming the first bad record")
    a.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    a = asub.add_parser(
        "rotate-key",
        help="sign new records with a new key; the key file keeps the old one to verify older records",
    )
    a.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    a = asub.add_parser("export", help="write records.jsonl and one underwriting memo PDF per determination")
    a.add_argument(
        "--out", required=True, help="folder to write into, under the current directory (created if missing)"
    )
    a.add_argument("--thread", default=None, help="only this conversation's records")
    a.add_argument("--submission", default=None, help="only this submission's records (an applicant id, e.g. APP-0042)")
    a.add_argument("--since", default=None, help="only records from this ISO date or date-time on (UTC)")
    a.add_argument("--format", choices=("jsonl", "pdf", "both"), default="both", help="what to write (default both)")
    a.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("submit", help="take in broker submissions: e-mails (.eml), PDFs, CSV/XLSX lists, text")
    p.add_argument(
        "files", nargs="+", help="the files; each is read on its own and refused with a reason if unreadable"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per file instead of a line of text")
    p.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    p.set_defaults(func=cmd_submit)

    p = sub.add_parser("desk", help="the submission desk's background triage")
    dsub = p.add_subparsers(dest="desk_command", metavar="ACTION", required=True)
    d = dsub.add_parser("worker", help="run triage worker processes until SIGTERM (restarting any that die)")
    d.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    d.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    d.set_defaults(func=cmd_desk_worker)
    d = dsub.add_parser("samples", help="submit generated sample submissions (e-mails, PDFs, account lists)")
    d.add_argument("--count", type=int, default=12, help="files to make (a list holds several accounts; default 12)")
    d.add_argument("--if-empty", action="store_true", help="only when the desk holds no submission yet (make run)")
    d.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    d.set_defaults(func=cmd_desk_samples)

    p = sub.add_parser("mcp", help="serve the tools and the evaluation loop to other agents over MCP")
    p.add_argument("--transport", choices=("stdio", "http"), default="stdio", help="stdio (default) or streamable HTTP")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="with --transport http: address (default 127.0.0.1; any other needs UWC_MCP_TOKEN)",
    )
    p.add_argument("--port", type=int, default=8765, help="with --transport http: port (default 8765)")
    p.add_argument("--data-dir", type=Path, default=None, help="data folder (default: $UWC_DATA_DIR or var/)")
    p.set_defaults(func=cmd_mcp)
    return parser


def main(argv: list[str] | None = None) -> int:
    from core.faults import database_problem
    from core.redact import install_log_redaction, redact, redact_error

    apply_offline_env()
    install_log_redaction()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except CliError as exc:
        print(f"uwc {args.command}: {redact(str(exc))}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print(f"uwc {args.command}: interrupted", file=sys.stderr)
        return 130
    except UnicodeDecodeError as exc:
        print(f"uwc {args.command}: the input is not UTF-8 text (byte {exc.start}); give a text file", file=sys.stderr)
        return 2
    except RecursionError:
        print(f"uwc {args.command}: the input nests too deeply", file=sys.stderr)
        return 2
    except Exception as exc:  # no traceback reaches a user: a store fault says what to run, anything else is a bug
        from graph.audit_key import AuditKeyError

        if isinstance(exc, AuditKeyError):  # the decision record's key, wherever a command opens the record
            print(f"uwc {args.command}: {redact(str(exc))}", file=sys.stderr)
            return 2
        data_dir = getattr(args, "data_dir", None) or os.environ.get("UWC_DATA_DIR") or "var"
        problem = database_problem(exc, data_dir)
        print(f"uwc {args.command}: {problem or 'failed unexpectedly (' + redact_error(exc) + ')'}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
