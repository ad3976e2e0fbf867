"""UI figures in a real browser: the page's cold start, the time from pressing Enter to the first visible step or
token and to the finished answer, with the offline model. Also the helpers the browser test drives the app with.

    .venv/bin/python -m bench.ui [--data-dir var] [--runs 3]

Needs Debian's Chromium (/usr/bin/chromium; `apt-get install chromium`) and a seeded data folder, which it copies
so the benchmark's conversations never land in yours. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]  # the browser stays on loopback
QUESTIONS = (
    "Can you check if this one is in the small business bucket?",
    "It's a full-service restaurant, NAICS 722511",
    "about $2M in revenue",
)

# The first moment the newest assistant message shows a tool step or text (not the "Thinking…" status).
FIRST_VISIBLE_JS = """
() => {
  const live = document.querySelector('.st-key-live-turn');
  const messages = [...document.querySelectorAll('[data-testid="stChatMessage"]')];
  const root = live || messages[messages.length - 1];
  if (!root || messages.length <= window.__uwcBaseline) return false;
  if (root.querySelector('[data-testid="stExpander"]')) return true;
  const text = live ? (live.querySelector('.st-key-live-text') || {}).innerText || '' : root.innerText;
  return text.trim().length > 0 && !/Thinking…|Running /.test(text);
}
"""
IDLE_JS = "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'"
TURN_DONE_JS = """
() => !document.querySelector('.st-key-live-turn')
      && !document.querySelector('[data-testid="stChatInputTextArea"]').disabled
      && document.querySelectorAll('[data-testid="stChatMessage"]').length >= window.__uwcBaseline + 2
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _uwc() -> list[str]:
    script = Path(sys.executable).with_name("uwc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def start(
    data_dir: Path, port: int | None = None, env: dict | None = None, timeout: float = 90.0, log: Path | None = None
) -> tuple[subprocess.Popen, str, float]:
    """Start `uwc serve` on a loopback port (a free one unless given); return (process, url, seconds until
    /_stcore/health answered). ``env`` adds variables (e.g. a model pointed at a local fake provider); by default
    the offline model, no API key. Stop it with ``stop``."""
    port = port or free_port()
    extra = env or {}
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.pop("UWC_MODEL", None)
    env.update(extra)
    start_s = time.perf_counter()
    with open(log, "w") if log else open(os.devnull, "w") as out:  # the child keeps its own copy of the file
        proc = subprocess.Popen(
            [*_uwc(), "serve", "--port", str(port), "--data-dir", str(data_dir)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # own group: stop it whole
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uwc serve exited with code {proc.returncode}" + (f"; see {log}" if log else ""))
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        return proc, url, time.perf_counter() - start_s
            except OSError:
                pass
            if time.perf_counter() - start_s > timeout:
                raise TimeoutError(f"uwc serve did not answer on {url} within {timeout:.0f} s")
            time.sleep(0.05)
    except BaseException:
        stop(proc)
        raise


@contextmanager
def serve(data_dir: Path, timeout: float = 90.0, log: Path | None = None, env: dict | None = None):
    """``start`` as a context: yield (url, seconds until /_stcore/health answered); stop the server after."""
    proc, url, health_s = start(data_dir, env=env, timeout=timeout, log=log)
    try:
        yield url, health_s
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """Kill a server started here, with its process group (`uwc serve` runs Streamlit as a child). Killed, not asked
    to stop: it serves a throwaway copy of the data, and a graceful stop (tested in test_serve.py) spends over a
    second tearing down the interpreter."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def open_app(browser, url: str, width: int = 1400, height: int = 1000, model_note: str = "Offline rules model"):
    """A new tab on the app; returns (page, seconds until the chat input and the model note are visible). Given a
    Playwright ``Browser`` the tab has a fresh profile (a first visit); given a ``BrowserContext``, it shares that
    context's cache with its other tabs."""
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": height})
    start = time.perf_counter()
    page.goto(url)
    page.get_by_test_id("stChatInputTextArea").wait_for(timeout=60_000)
    page.get_by_text(model_note).first.wait_for(timeout=60_000)
    return page, time.perf_counter() - start


def ask(page, text: str, timeout_ms: int = 60_000) -> float:
    """Send ``text``; wait for the turn to finish; return the seconds from Enter to the first visible step or token."""
    return ask_timed(page, text, timeout_ms)[0]


def ask_timed(page, text: str, timeout_ms: int = 60_000) -> tuple[float, float]:
    """Send ``text``; return (seconds to the first visible step or token, seconds to the finished answer)."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.wait_for(timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stChatInputTextArea\"]').disabled", timeout=timeout_ms
    )
    page.evaluate(
        "() => { window.__uwcBaseline = document.querySelectorAll('[data-testid=\"stChatMessage\"]').length; }"
    )
    box.fill(text)
    start = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(FIRST_VISIBLE_JS, timeout=timeout_ms, polling=5)
    first = time.perf_counter() - start
    page.wait_for_function(TURN_DONE_JS, timeout=timeout_ms, polling=5)
    done = time.perf_counter() - start
    wait_idle(page, timeout_ms)  # the final rerun has landed: the next click is not on a page being redrawn
    return first, done


def wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Until Streamlit runs no script for this page (its own marker on the app's root element)."""
    page.wait_for_function(IDLE_JS, timeout=timeout_ms, polling=10)


def measure(data_dir: Path, runs: int = 1) -> dict:
    from playwright.sync_api import sync_playwright

    figures: dict[str, list[float]] = {
        "server_health_s": [],
        "cold_start_s": [],
        "warm_load_s": [],
        "first_visible_s": [],
        "finished_answer_s": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            copy = Path(tmp) / f"data-{len(figures['cold_start_s'])}"
            shutil.copytree(
                data_dir, copy, ignore=shutil.ignore_patterns("conversations.db*", "checkpoints.db*", "runs")
            )
            with serve(copy) as (url, health), sync_playwright() as p:
                browser = launch(p)
                page, cold = open_app(browser, url)
                figures["server_health_s"].append(health)
                figures["cold_start_s"].append(cold)
                for q in QUESTIONS:
                    first, done = ask_timed(page, q)
                    figures["first_visible_s"].append(first)
                    figures["finished_answer_s"].append(done)
                _, warm = open_app(browser, url)
                figures["warm_load_s"].append(warm)
                browser.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("var"), help="a seeded data folder (copied first)")
    parser.add_argument("--runs", type=int, default=1, help="server starts to measure")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found: apt-get install chromium", file=sys.stderr)
        return 2
    if not (args.data_dir / "uwc.db").exists():
        print(f"no database in {args.data_dir}: run `uwc seed` first", file=sys.stderr)
        return 2
    figures = measure(args.data_dir, args.runs)
    for name, values in figures.items():
        print(
            f"{name:>16}: median {statistics.median(values):.3f} s  (min {min(values):.3f}, max {max(values):.3f}, n={len(values)})"
        )
    print("target: first_visible_s < 1 s with the offline model (finished_answer_s: Enter to the finished answer)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
