"""Run the benchmarks: `python bench/run.py [name ...]` (or `make bench`).

Every module bench/bench_<name>.py exposes `run() -> list[Result]`; a module may also expose
`PARTS`, a dict of part name -> callable returning results, so that parts can be chosen and a
failing part does not hide the others. Names on the command line choose modules (`baselines`
or `bench_baselines`) or parts (`baselines.pg`); none means all. The table goes to stdout and
the results to bench/results/latest.json. Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from common import Result  # noqa: E402

RESULTS_FILE = BENCH_DIR / "results" / "latest.json"
Part = Callable[[], list[Result]]


def discover() -> list[str]:
    return sorted(path.stem.removeprefix("bench_") for path in BENCH_DIR.glob("bench_*.py"))


def parts_of(module_name: str) -> dict[str, Part]:
    module = importlib.import_module(f"bench_{module_name}")
    parts: dict[str, Part] | None = getattr(module, "PARTS", None)
    if parts:
        return {f"{module_name}.{part}": function for part, function in parts.items()}
    run: Part = module.run
    return {module_name: run}


def select(names: Sequence[str]) -> dict[str, Part]:
    available = discover()
    wanted = [name.removeprefix("bench_") for name in names] or available
    chosen: dict[str, Part] = {}
    for name in wanted:
        module_name, _, part = name.partition(".")
        if module_name not in available:
            raise SystemExit(f"no benchmark {name!r}; available: {', '.join(available)}")
        parts = parts_of(module_name)
        if part:
            key = f"{module_name}.{part}"
            if key not in parts:
                raise SystemExit(f"no part {name!r}; available: {', '.join(parts)}")
            chosen[key] = parts[key]
        else:
            chosen.update(parts)
    return chosen


def format_number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3f}"


def print_table(results: Sequence[Result]) -> None:
    header = ("benchmark", "figure", "unit", "baseline", "ratio", "note")
    rows = [
        (
            r.name,
            format_number(r.figure),
            r.unit,
            r.baseline or "(baseline)",
            format_number(r.ratio),
            r.note,
        )
        for r in results
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header) - 1)]
    right_aligned = {1, 4}
    for row in [header, *rows]:
        cells = [
            str(cell).rjust(widths[i]) if i in right_aligned else str(cell).ljust(widths[i])
            for i, cell in enumerate(row[:-1])
        ]
        print("  ".join(cells) + "  " + str(row[-1]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("names", nargs="*", help="benchmark modules or module.part to run")
    args = parser.parse_args(argv)

    chosen = select(args.names)
    results: list[Result] = []
    failures: dict[str, str] = {}
    timings: dict[str, float] = {}
    for key, part in chosen.items():
        print(f"--- {key}", flush=True)
        started = time.perf_counter()
        try:
            produced = part()
        except Exception as exc:  # report every failing part and run the rest
            traceback.print_exc()
            failures[key] = f"{type(exc).__name__}: {exc}"
        else:
            results.extend(produced)
            for result in produced:
                print(
                    f"{result.name}: figure {format_number(result.figure)} {result.unit}"
                    + (
                        f", ratio {format_number(result.ratio)} to {result.baseline}"
                        if result.baseline
                        else " (baseline)"
                    ),
                    flush=True,
                )
        timings[key] = round(time.perf_counter() - started, 2)

    print()
    print_table(results)
    for key, error in failures.items():
        print(f"FAILED {key}: {error}")

    report: dict[str, Any] = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "database": "postgres" if os.environ.get("DATABASE_URL") else "sqlite",
        "results": [r.as_dict() for r in results],
        "seconds": timings,
        "failures": failures,
    }
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {RESULTS_FILE.relative_to(BENCH_DIR.parent)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
