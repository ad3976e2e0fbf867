"""The red team's attacks of the security issue, on both backends: what held.

    .venv/bin/python -m bench.security [--area sql,guard,...] [--json FILE]

Each area's attacks live in ``bench/redteam/<area>.py`` (see ``bench/redteam/__init__.py``); this runs them all,
prints one line each and the totals per area. The exit status is 1 when any attack got through.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
import traceback

import bench.redteam as redteam
from core.settings import apply_offline_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--area", help="comma-separated areas (default: all)")
    parser.add_argument("--json", help="also write the outcomes to this file")
    args = parser.parse_args(argv)
    apply_offline_env()
    for module in pkgutil.iter_modules(redteam.__path__):
        importlib.import_module(f"bench.redteam.{module.name}")
    areas = set(args.area.split(",")) if args.area else None
    rows = []
    for a in redteam.ATTACKS:
        if areas and a.area not in areas:
            continue
        start = time.perf_counter()
        try:
            outcome = a.run()
            held, detail = outcome.held, outcome.detail
        except Exception as exc:  # an attack that crashes the harness did not show the product held
            held, detail = False, f"attack crashed: {type(exc).__name__}: {exc}"[:300]
            traceback.print_exc(file=sys.stderr)
        seconds = time.perf_counter() - start
        rows.append({"area": a.area, "attack": a.name, "held": held, "detail": detail, "seconds": round(seconds, 2)})
        print(f"{'held ' if held else 'FAILED'} {a.area:<10} {a.name:<70} {seconds:5.1f} s  {detail[:110]}", flush=True)
    print()
    for area in sorted({r["area"] for r in rows}):
        mine = [r for r in rows if r["area"] == area]
        print(f"{area:<10} {sum(r['held'] for r in mine)}/{len(mine)} held")
    failed = [r for r in rows if not r["held"]]
    print(f"total      {len(rows) - len(failed)}/{len(rows)} held")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
